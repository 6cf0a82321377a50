//! A blocked thread's system call, from `/proc/PID/task/TID/syscall`.
//!
//! The file reads `NR ARG1 ARG2 ...` (numbers in decimal, arguments in hex)
//! for a thread blocked in a system call, `running` for one on a CPU, and
//! `-1 SP PC` for one stopped outside any. For `futex(2)` the first argument
//! is the address of the futex word a thread waits on and the second the
//! operation; for `futex_waitv(2)` the first is an array of waiters whose
//! first entry's address the caller reads from the process's memory. The
//! kernel shows the file only to those who may trace the thread.

/// `futex` and `futex_waitv` system call numbers of this architecture.
#[cfg(target_arch = "x86_64")]
const FUTEX: u64 = 202;
#[cfg(target_arch = "aarch64")]
const FUTEX: u64 = 98;
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
const FUTEX: u64 = u64::MAX;
const FUTEX_WAITV: u64 = 449;

/// `FUTEX_WAIT` and friends: the low bits of the operation.
const FUTEX_CMD_MASK: u32 = 0x7f;
const FUTEX_WAIT: u32 = 0;
const FUTEX_LOCK_PI: u32 = 6;
const FUTEX_WAIT_BITSET: u32 = 9;
const FUTEX_LOCK_PI2: u32 = 13;
/// Set for waits timed against the wall clock: glibc's condition variables
/// and semaphores wait so by default, its mutexes never.
const FUTEX_CLOCK_REALTIME: u32 = 256;

/// What a thread blocked in a futex call waits on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FutexCall {
    /// `futex(uaddr, op, ...)`.
    Futex {
        /// The futex word's address.
        uaddr: u64,
        /// The operation, flags included.
        op: u32,
    },
    /// `futex_waitv(waiters, ...)`: the address of the waiter array.
    Waitv {
        /// Address of the first `struct futex_waitv`.
        waiters: u64,
    },
}

/// The futex call in a `syscall` file's text; `None` for any other state.
#[must_use]
pub(super) fn parse(text: &[u8]) -> Option<FutexCall> {
    let text = std::str::from_utf8(text).ok()?;
    let mut fields = text.split_ascii_whitespace();
    let nr: u64 = fields.next()?.parse().ok()?;
    let mut arg = || u64::from_str_radix(fields.next()?.strip_prefix("0x")?, 16).ok();
    match nr {
        FUTEX => {
            let uaddr = arg()?;
            let op = u32::try_from(arg()?).ok()?;
            Some(FutexCall::Futex { uaddr, op })
        }
        FUTEX_WAITV => Some(FutexCall::Waitv { waiters: arg()? }),
        _ => None,
    }
}

/// What the operation alone says of the lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum OpHint {
    /// A plain wait: a glibc mutex among others (its owner word decides).
    PlainWait,
    /// A priority-inheritance lock: a mutex whose word holds its owner.
    PiLock,
    /// A bitset wait against the wall clock: glibc's condition variables
    /// and semaphores.
    RealtimeBitset,
    /// A bitset wait on the monotonic clock: Rust's std locks, or a
    /// condition variable set to that clock (`CPython`'s GIL).
    Bitset,
    /// Anything else (a requeue, `futex_waitv`).
    Other,
}

/// Classifies a futex operation.
#[must_use]
pub(super) const fn hint(op: u32) -> OpHint {
    match op & FUTEX_CMD_MASK {
        FUTEX_WAIT => OpHint::PlainWait,
        FUTEX_LOCK_PI | FUTEX_LOCK_PI2 => OpHint::PiLock,
        FUTEX_WAIT_BITSET if op & FUTEX_CLOCK_REALTIME != 0 => OpHint::RealtimeBitset,
        FUTEX_WAIT_BITSET => OpHint::Bitset,
        _ => OpHint::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_futex_wait_gives_its_address_and_operation() {
        let line = format!("{FUTEX} 0x55d0c0a04040 0x80 0x2 0x0 0x0 0x0 0x7ffc 0x7f12\n");
        assert_eq!(
            parse(line.as_bytes()),
            Some(FutexCall::Futex {
                uaddr: 0x55d0_c0a0_4040,
                op: 0x80
            })
        );
    }

    #[test]
    fn other_states_and_calls_are_none() {
        assert_eq!(parse(b"running\n"), None);
        assert_eq!(parse(b"-1 0x7ffc 0x7f12\n"), None);
        assert_eq!(parse(b"7 0x1 0x2 0x3 0x0 0x0 0x0 0x7ffc 0x7f12\n"), None);
        assert_eq!(parse(format!("{FUTEX} 0x10").as_bytes()), None);
    }

    #[test]
    fn a_waitv_gives_its_array() {
        assert_eq!(
            parse(b"449 0x7ffc10 0x2 0x0 0x0 0x1 0x0 0x7ffc 0x7f12\n"),
            Some(FutexCall::Waitv { waiters: 0x7f_fc10 })
        );
    }

    #[test]
    fn operations_are_told_apart_by_command_and_clock() {
        assert_eq!(hint(0x80), OpHint::PlainWait);
        assert_eq!(hint(0x189), OpHint::RealtimeBitset);
        assert_eq!(hint(0x89), OpHint::Bitset, "Rust's std locks wait so");
        assert_eq!(hint(0x8b), OpHint::Other);
        assert_eq!(hint(0x86), OpHint::PiLock);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        #[test]
        fn any_syscall_text_parses_without_panicking(text in crate::fuzz_inputs::proc_text()) {
            let _ = parse(&text);
        }
    }
}
