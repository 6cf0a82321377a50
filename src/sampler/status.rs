//! The few lines of `/proc/PID/status` that say who a task is: the process
//! it belongs to (`Tgid`) and the user it runs as (`Uid`). Read once per
//! watch, not per tick, so the text is scanned simply.

/// The first number after `key` (`Tgid:`, `Uid:`) at the start of a line.
fn first_number(text: &[u8], key: &str) -> Option<u32> {
    let text = std::str::from_utf8(text).ok()?;
    text.lines()
        .find_map(|line| line.strip_prefix(key))?
        .split_ascii_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The process (thread group) a task belongs to: its own id for a process,
/// another for a thread.
pub(super) fn thread_group(text: &[u8]) -> Option<i32> {
    first_number(text, "Tgid:").and_then(|id| i32::try_from(id).ok())
}

/// The real user id the task runs as (the first of the `Uid:` line's four).
pub(super) fn real_uid(text: &[u8]) -> Option<u32> {
    first_number(text, "Uid:")
}

/// `/proc/PID/status` of `pid`, read to a bound (it is a few KiB).
pub(super) fn read(pid: i32) -> Option<Vec<u8>> {
    let file = std::fs::File::open(format!("/proc/{pid}/status")).ok()?;
    crate::outside_file::read_bounded(file, 64 * 1024).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const STATUS: &[u8] = b"Name:\tpython3\nUmask:\t0022\nState:\tS (sleeping)\n\
        Tgid:\t4242\nNgid:\t0\nPid:\t4243\nPPid:\t1\nUid:\t1000\t1001\t1002\t1003\n";

    #[test]
    fn a_thread_names_its_process_and_the_real_uid_is_the_first() {
        assert_eq!(thread_group(STATUS), Some(4242));
        assert_eq!(real_uid(STATUS), Some(1000));
        assert_eq!(thread_group(b"Name:\tx\n"), None);
        let own = read(std::process::id() as i32).expect("own status");
        assert_eq!(thread_group(&own), Some(std::process::id() as i32));
        assert_eq!(real_uid(&own), Some(nix::unistd::getuid().as_raw()));
    }

    proptest! {
        #[test]
        fn any_text_parses_without_panicking(text in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = thread_group(&text);
            let _ = real_uid(&text);
        }

        #[test]
        fn a_status_with_any_values_reads_them_back(tgid in 0_i32.., uid in any::<u32>()) {
            let text = format!("Name:\tx\nTgid:\t{tgid}\nUid:\t{uid}\t0\t0\t0\n");
            prop_assert_eq!(thread_group(text.as_bytes()), Some(tgid));
            prop_assert_eq!(real_uid(text.as_bytes()), Some(uid));
        }
    }
}
