//! Shared memory between corescope and its worker processes: one fixed-layout
//! region of atomics, and the futex calls that let processes wait on it.
//!
//! This is the one module allowed `unsafe`: mapping memory and calling
//! `futex(2)` have no safe wrappers. Everything built on it (the
//! cross-process lock and queue, the probes in the region) is safe code.
//!
//! The region lives in an anonymous memfd: private to this user, never named
//! in `/dev/shm`, gone when the last process holding it exits, whatever the
//! way out. Children inherit the descriptor (it loses close-on-exec only for
//! the moment of the spawn) and map it themselves.

#![expect(
    unsafe_code,
    reason = "mapping shared memory and futex(2) have no safe wrappers"
)]

mod lock;
mod queue;
mod region;

pub use lock::{ProcessGuard, ProcessLock};
pub use queue::{MAX_QUEUE_CAPACITY, ProcessQueue};
pub use region::{
    ARRAY_LEN, MAX_PROCESSES, REGION_LOCKS, RegionClaim, SharedControls, SharedRegion, VALUES,
    WorkerSlot,
};

use std::sync::atomic::AtomicU32;
use std::time::Duration;

/// Sleeps while `word` holds `expected`, until woken, `timeout` passes, or
/// spuriously: callers re-check their condition in a loop. The futex is not
/// `FUTEX_PRIVATE`: the word may be shared by processes.
pub(crate) fn futex_wait(word: &AtomicU32, expected: u32, timeout: Duration) {
    let timeout = nix::libc::timespec {
        tv_sec: nix::libc::time_t::try_from(timeout.as_secs()).unwrap_or(nix::libc::time_t::MAX),
        tv_nsec: nix::libc::c_long::from(timeout.subsec_nanos().min(999_999_999) as i32),
    };
    // SAFETY: FUTEX_WAIT only reads the 4 aligned bytes at `word`, a live
    // `AtomicU32` borrowed for the whole call, and the `timespec` on this
    // stack frame (a relative timeout); the last two arguments are unused by
    // this operation.
    unsafe {
        nix::libc::syscall(
            nix::libc::SYS_futex,
            word.as_ptr(),
            nix::libc::FUTEX_WAIT,
            expected,
            &raw const timeout,
            std::ptr::null::<u32>(),
            0u32,
        );
    }
}

/// Wakes up to `count` processes or threads waiting on `word`.
pub(crate) fn futex_wake(word: &AtomicU32, count: i32) {
    // SAFETY: FUTEX_WAKE does not access memory; it uses the address of a live
    // `AtomicU32` only as the key of the wait queue.
    unsafe {
        nix::libc::syscall(
            nix::libc::SYS_futex,
            word.as_ptr(),
            nix::libc::FUTEX_WAKE,
            count,
        );
    }
}
