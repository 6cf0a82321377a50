//! A few bytes of a process's memory, through `/proc/PID/mem` (`pread`,
//! the same access as tracing it): the owner word of a glibc mutex, the
//! first waiter of a `futex_waitv`.
//!
//! On `x86_64` and `aarch64` glibc a `pthread_mutex_t` begins with `__lock`
//! (the futex word), `__count`, then `__owner`: the TID of the thread that
//! holds it. A word read there is accepted as an owner only if it is a live
//! thread of the same process, so a lock of another kind (whose third word
//! is anything at all) does not name a stranger.

use std::fs::File;
use std::os::unix::fs::FileExt;

/// Bytes from the futex word to glibc's `__owner`.
pub(super) const GLIBC_OWNER_OFFSET: u64 = 8;

/// Bytes from a `struct futex_waitv` to its `uaddr`.
pub(super) const WAITV_UADDR_OFFSET: u64 = 8;

/// An open `/proc/PID/mem`.
#[derive(Debug)]
pub(super) struct Memory {
    file: File,
}

impl Memory {
    /// Opens the memory of `pid`; `None` when we may not read it.
    pub(super) fn open(pid: i32) -> Option<Self> {
        File::open(format!("/proc/{pid}/mem"))
            .ok()
            .map(|file| Self { file })
    }

    /// The 4-byte word at `address`; `None` when it cannot be read.
    pub(super) fn read_u32(&self, address: u64) -> Option<u32> {
        let mut bytes = [0u8; 4];
        self.file.read_exact_at(&mut bytes, address).ok()?;
        Some(u32::from_ne_bytes(bytes))
    }

    /// The 8-byte word at `address`; `None` when it cannot be read.
    pub(super) fn read_u64(&self, address: u64) -> Option<u64> {
        let mut bytes = [0u8; 8];
        self.file.read_exact_at(&mut bytes, address).ok()?;
        Some(u64::from_ne_bytes(bytes))
    }

    /// The TID glibc's mutex at `futex` names as its owner, if it is one of
    /// `live` (the threads of the process).
    pub(super) fn glibc_owner(&self, futex: u64, live: impl Fn(i32) -> bool) -> Option<i32> {
        let word = self.read_u32(futex.checked_add(GLIBC_OWNER_OFFSET)?)?;
        let tid = i32::try_from(word).ok().filter(|t| *t > 0)?;
        live(tid).then_some(tid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_of_our_own_memory_read_back() {
        let words: [u32; 3] = [7, 0, 4242];
        let memory = Memory::open(std::process::id() as i32).expect("own memory");
        let base = words.as_ptr() as u64;
        assert_eq!(memory.read_u32(base), Some(7));
        assert_eq!(memory.glibc_owner(base, |t| t == 4242), Some(4242));
        assert_eq!(
            memory.glibc_owner(base, |_| false),
            None,
            "not a live thread: no owner"
        );
        assert_eq!(memory.read_u32(8), None, "an unmapped page reads nothing");
    }
}
