//! Every process of the machine, for the process list of `watch` without a
//! PID: per process one read of `/proc/PID/stat`, the owner of `/proc/PID`
//! (one `stat(2)`, no file read), and `/proc/PID/cmdline` on first sight
//! only (again when its name changes: an `exec`). No thread, wait channel
//! or schedstat is read: the list stays cheap on a machine of thousands of
//! processes.
//!
//! Read only; it returns plain readings. A process's CPU share is measured
//! over the time between two readings, so it is unknown (`None`) on first
//! sight, and for a reused PID (another start time). A process that exits
//! between readings is not in the next one; a file that cannot be read
//! leaves its values `None`. Names and command lines are made printable
//! here: any process may put terminal escapes in its argv.

use std::collections::HashMap;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::time::Instant;

use super::proc_file::ReadError;
use super::stat::{TaskStat, page_kib, ticks_per_second};
use crate::printable::printable;

/// Bytes of a command line kept: more than any screen shows.
const COMMAND_BYTES: u64 = 4096;

/// One process at one reading.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessReading {
    /// Process id.
    pub pid: i32,
    /// The user owning `/proc/PID` (its effective uid); `None` if unknown.
    pub uid: Option<u32>,
    /// That user's name; `None` when unknown or unnamed.
    pub user: Option<String>,
    /// Short name (`comm`), printable; `None` when `stat` was unreadable.
    pub name: Option<String>,
    /// The command line, its arguments joined by spaces, printable; a
    /// kernel thread's (it has none) is its name in brackets. `None` when
    /// unreadable.
    pub command: Option<String>,
    /// Threads in the process.
    pub threads: Option<u64>,
    /// CPU used over the time since the last reading, percent of one core
    /// (a process busy on two cores is at 200); `None` on first sight.
    pub cpu_pct: Option<f64>,
    /// Resident memory, bytes.
    pub rss_bytes: Option<u64>,
}

/// Every process at one reading.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProcessesReading {
    /// Every process seen, in `/proc`'s order.
    pub processes: Vec<ProcessReading>,
}

/// What is kept of a process between readings.
#[derive(Debug, Clone)]
struct Seen {
    start_ticks: u64,
    cpu_ticks: u64,
    name: String,
    command: Option<String>,
}

/// Reads the machine's processes, reading after reading.
#[derive(Debug)]
pub struct ProcessesReader {
    previous: HashMap<i32, Seen>,
    last: Option<Instant>,
    users: HashMap<u32, Option<String>>,
    ns_per_tick: u64,
    page_bytes: u64,
    buf: Vec<u8>,
}

impl Default for ProcessesReader {
    fn default() -> Self {
        Self::new()
    }
}

impl ProcessesReader {
    /// A reader that has seen nothing yet.
    #[must_use]
    pub fn new() -> Self {
        Self {
            previous: HashMap::new(),
            last: None,
            users: HashMap::new(),
            ns_per_tick: 1_000_000_000 / ticks_per_second(),
            page_bytes: page_kib() * 1024,
            buf: Vec::with_capacity(1024),
        }
    }

    /// Forgets the last reading: the next one shows no CPU share, rather
    /// than one averaged over a long pause.
    pub fn forget(&mut self) {
        self.previous.clear();
        self.last = None;
    }

    /// Reads every process now.
    pub fn read(&mut self) -> ProcessesReading {
        let now = Instant::now();
        let elapsed_ns = self
            .last
            .map(|last| now.duration_since(last).as_nanos() as f64)
            .filter(|ns| *ns > 0.0);
        let mut seen = HashMap::with_capacity(self.previous.len());
        let mut processes = Vec::with_capacity(self.previous.len());
        for pid in pids() {
            let stat = match self.stat(pid) {
                Ok(stat) => stat,
                Err(ReadError::Gone) => continue,
                Err(ReadError::Unreadable) => None,
            };
            // The directory's owner: gone with the process, so a process
            // that exits here is dropped too.
            let uid = match std::fs::metadata(format!("/proc/{pid}")).map_err(ReadError::from) {
                Ok(meta) => Some(meta.uid()),
                Err(ReadError::Gone) => continue,
                Err(ReadError::Unreadable) => None,
            };
            let user = uid.and_then(|uid| self.user_name(uid));
            let Some(stat) = stat else {
                processes.push(ProcessReading {
                    pid,
                    uid,
                    user,
                    name: None,
                    command: read_command(pid),
                    threads: None,
                    cpu_pct: None,
                    rss_bytes: None,
                });
                continue;
            };
            let cpu_ticks = stat.utime.saturating_add(stat.stime);
            let before = self
                .previous
                .remove(&pid)
                .filter(|b| b.start_ticks == stat.start_ticks);
            let cpu_pct = match (&before, elapsed_ns) {
                (Some(before), Some(elapsed)) => Some(
                    cpu_ticks
                        .saturating_sub(before.cpu_ticks)
                        .saturating_mul(self.ns_per_tick) as f64
                        / elapsed
                        * 100.0,
                ),
                _ => None,
            };
            let name = printable(&stat.comm).into_owned();
            // The command line of a process seen before, unless it ran
            // another program since (its name changed).
            let command = match before {
                Some(before) if before.name == name && before.command.is_some() => before.command,
                _ => read_command(pid).map(|c| if c.is_empty() { format!("[{name}]") } else { c }),
            };
            processes.push(ProcessReading {
                pid,
                uid,
                user,
                name: Some(name.clone()),
                command: command.clone(),
                threads: u64::try_from(stat.num_threads).ok(),
                cpu_pct,
                rss_bytes: Some(stat.rss_pages.saturating_mul(self.page_bytes)),
            });
            seen.insert(
                pid,
                Seen {
                    start_ticks: stat.start_ticks,
                    cpu_ticks,
                    name,
                    command,
                },
            );
        }
        self.previous = seen;
        self.last = Some(now);
        ProcessesReading { processes }
    }

    /// The stat line of `pid`: `Ok(None)` when it cannot be read or parsed.
    fn stat(&mut self, pid: i32) -> Result<Option<TaskStat>, ReadError> {
        self.buf.clear();
        std::fs::File::open(format!("/proc/{pid}/stat"))?
            .take(COMMAND_BYTES)
            .read_to_end(&mut self.buf)?;
        Ok(TaskStat::parse(&self.buf))
    }

    /// The name of user `uid`, looked up once per reader.
    fn user_name(&mut self, uid: u32) -> Option<String> {
        self.users
            .entry(uid)
            .or_insert_with(|| {
                nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
                    .ok()
                    .flatten()
                    .map(|user| printable(&user.name).into_owned())
            })
            .clone()
    }
}

/// The command line of `pid`, arguments joined by spaces, printable; empty
/// for a kernel thread; `None` when unreadable.
fn read_command(pid: i32) -> Option<String> {
    let mut raw = Vec::new();
    std::fs::File::open(format!("/proc/{pid}/cmdline"))
        .ok()?
        .take(COMMAND_BYTES)
        .read_to_end(&mut raw)
        .ok()?;
    Some(command_text(&raw))
}

/// A `cmdline` file's arguments (NUL-separated) joined by spaces, on one
/// line, printable.
fn command_text(raw: &[u8]) -> String {
    let trimmed = raw.strip_suffix(b"\0").unwrap_or(raw);
    let joined: Vec<u8> = trimmed
        .iter()
        .map(|b| if *b == 0 { b' ' } else { *b })
        .collect();
    // One line: a newline in an argument is shown, not acted on.
    printable(&String::from_utf8_lossy(&joined)).replace('\n', "\u{fffd}")
}

/// The PIDs in `/proc` now.
fn pids() -> Vec<i32> {
    std::fs::read_dir("/proc").map_or_else(
        |_| Vec::new(),
        |entries| {
            entries
                .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn own_pid() -> i32 {
        i32::try_from(std::process::id()).expect("pid")
    }

    #[test]
    fn this_process_is_listed_with_its_user_and_a_share_from_the_second_reading() {
        let mut reader = ProcessesReader::new();
        let first = reader.read();
        let me = first
            .processes
            .iter()
            .find(|p| p.pid == own_pid())
            .expect("this process is listed");
        assert_eq!(me.cpu_pct, None, "no share on first sight");
        assert_eq!(me.uid, Some(nix::unistd::geteuid().as_raw()));
        assert!(me.threads.is_some_and(|t| t >= 1), "{me:?}");
        assert!(me.rss_bytes.is_some_and(|r| r > 0), "{me:?}");
        assert!(
            me.command.as_deref().is_some_and(|c| !c.is_empty()),
            "{me:?}"
        );
        let spin = Instant::now();
        while spin.elapsed().as_millis() < 30 {
            std::hint::black_box(0);
        }
        let second = reader.read();
        let me = second
            .processes
            .iter()
            .find(|p| p.pid == own_pid())
            .expect("still listed");
        assert!(me.cpu_pct.is_some_and(|c| c >= 0.0), "{me:?}");
        reader.forget();
        let again = reader.read();
        let me = again.processes.iter().find(|p| p.pid == own_pid());
        assert_eq!(
            me.and_then(|p| p.cpu_pct),
            None,
            "a forgotten reader starts over"
        );
    }

    #[test]
    fn a_process_that_exited_is_not_listed() {
        let mut child = std::process::Command::new("true").spawn().expect("spawn");
        let pid = i32::try_from(child.id()).expect("pid");
        child.wait().expect("reaped");
        let reading = ProcessesReader::new().read();
        assert!(
            reading.processes.iter().all(|p| p.pid != pid),
            "the reaped child {pid} is still listed"
        );
    }

    #[test]
    fn a_command_line_joins_its_arguments_and_shows_no_escape() {
        assert_eq!(command_text(b"sleep\x0030\x00"), "sleep 30");
        assert_eq!(command_text(b""), "");
        assert_eq!(
            command_text(b"evil\x00\x1b]2;pwned\x07\x00"),
            "evil \u{fffd}]2;pwned\u{fffd}"
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        #[test]
        fn any_command_line_becomes_printable_text_of_bounded_size(
            raw in crate::fuzz_inputs::proc_text()
        ) {
            let text = command_text(&raw);
            proptest::prop_assert!(text.chars().all(|c| !c.is_control()));
            proptest::prop_assert!(text.len() <= 3 * raw.len());
        }
    }
}
