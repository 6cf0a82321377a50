//! The shared region's layout, and mapping it in the parent and the children.
//!
//! Every field is an atomic (or a fixed array or struct of atomics), and all
//! zero bytes are every field's empty state: a fresh memfd is zero-filled, so
//! a new mapping is a valid, empty region with no initialisation step that a
//! child could observe half-done. The parent creates one region per process
//! and reuses it run after run (`reset`), so memory does not grow with
//! restarts.

use std::io;
use std::num::NonZeroUsize;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

use nix::sys::mman::{MapFlags, ProtFlags, mmap};

use super::{ProcessLock, ProcessQueue};
use crate::control::Controls;
use crate::probes::{Histogram, TaskStats, WorkerProbe};

/// Most worker processes one run may have.
pub const MAX_PROCESSES: usize = 64;
/// Cross-process locks in the region.
pub const REGION_LOCKS: usize = 2;
/// Shared values (a `multiprocessing.Value` each). Each demo names the ones
/// it uses in `process::value`, so no two meanings share an index.
pub const VALUES: usize = 16;
/// Length of the shared array (a `multiprocessing.Array`), also used for
/// per-task results.
pub const ARRAY_LEN: usize = 1024;

/// Written last by the parent: a child that sees it knows the region is set up.
const MAGIC: u64 = u64::from_be_bytes(*b"corescop");

/// The run's controls as the children see them.
#[repr(C)]
#[derive(Debug, Default)]
pub struct SharedControls {
    stopping: AtomicU32,
    paused: AtomicU32,
    slow_motion: AtomicU32,
    workers: AtomicU32,
}

impl SharedControls {
    /// Copies the parent's controls into the region.
    pub fn publish(&self, controls: &Controls) {
        // Relaxed: each is a value on its own, polled by the children.
        self.stopping
            .store(u32::from(controls.is_stopping()), Ordering::Relaxed);
        self.paused
            .store(u32::from(controls.is_paused()), Ordering::Relaxed);
        self.slow_motion
            .store(controls.slow_motion(), Ordering::Relaxed);
        self.workers.store(
            u32::try_from(controls.workers()).unwrap_or(u32::MAX),
            Ordering::Relaxed,
        );
    }

    /// Applies the region's controls to a child's own copy.
    pub fn apply_to(&self, controls: &Controls) {
        if self.stopping.load(Ordering::Relaxed) != 0 {
            controls.stop();
        }
        controls.set_paused(self.paused.load(Ordering::Relaxed) != 0);
        controls.set_slow_motion(self.slow_motion.load(Ordering::Relaxed));
        controls.set_workers(self.workers.load(Ordering::Relaxed) as usize);
    }

    fn reset(&self) {
        for field in [
            &self.stopping,
            &self.paused,
            &self.slow_motion,
            &self.workers,
        ] {
            field.store(0, Ordering::Relaxed);
        }
    }
}

/// One worker process's slot.
#[repr(C)]
#[derive(Debug, Default)]
pub struct WorkerSlot {
    /// What the worker is doing; its own probe, written by the child.
    pub probe: WorkerProbe,
    /// When the parent asked for the process (`CLOCK_MONOTONIC` ns).
    pub spawned_ns: AtomicU64,
    /// When the child had mapped the region and was ready to work.
    pub ready_ns: AtomicU64,
    /// Bytes the worker sent to other processes (pipes, queue items).
    pub bytes_sent: AtomicU64,
}

/// Everything corescope and its worker processes share.
#[repr(C)]
#[derive(Debug)]
pub struct SharedRegion {
    magic: AtomicU64,
    /// The run's controls.
    pub controls: SharedControls,
    /// The run's task counts.
    pub tasks: TaskStats,
    /// The next task number a pool worker takes.
    pub next_task: AtomicU64,
    /// Worker processes' slots, by worker index.
    pub workers: [WorkerSlot; MAX_PROCESSES],
    /// Locks shared between processes.
    pub locks: [ProcessLock; REGION_LOCKS],
    /// A bounded queue between processes.
    pub queue: ProcessQueue,
    /// Shared values.
    pub values: [AtomicU64; VALUES],
    /// A shared array (and per-task results).
    pub array: [AtomicU64; ARRAY_LEN],
    /// Durations the workers timed, nanoseconds: a pipe's round trips, a
    /// manager's requests. One demo uses it at a time.
    pub latency: Histogram,
}

/// The parent's region and the descriptor children inherit.
struct Owned {
    fd: OwnedFd,
    region: &'static SharedRegion,
}

static GLOBAL: OnceLock<Result<Owned, String>> = OnceLock::new();

/// True while a run uses this process's region.
static CLAIMED: AtomicBool = AtomicBool::new(false);

/// One run's exclusive use of this process's region; released when dropped.
#[derive(Debug)]
pub struct RegionClaim {
    region: &'static SharedRegion,
}

impl RegionClaim {
    /// The claimed region.
    #[must_use]
    pub const fn region(&self) -> &'static SharedRegion {
        self.region
    }
}

impl Drop for RegionClaim {
    fn drop(&mut self) {
        CLAIMED.store(false, Ordering::Release);
    }
}

impl SharedRegion {
    /// This process's region, created on first use.
    pub fn global() -> io::Result<&'static Self> {
        Self::owned().map(|owned| owned.region)
    }

    /// Takes this process's region for one run and empties it. One run at a
    /// time: a second claim fails until the first is dropped (its workers
    /// stopped), so a run never sees another's numbers.
    pub fn claim() -> io::Result<RegionClaim> {
        let region = Self::global()?;
        if CLAIMED
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return Err(io::Error::other(
                "another process-mode demo is using the shared region",
            ));
        }
        region.reset();
        Ok(RegionClaim { region })
    }

    /// The descriptor of this process's region, for a child to inherit.
    pub fn global_fd() -> io::Result<BorrowedFd<'static>> {
        Self::owned().map(|owned| owned.fd.as_fd())
    }

    fn owned() -> io::Result<&'static Owned> {
        GLOBAL
            .get_or_init(|| Self::create().map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| io::Error::other(format!("cannot create shared memory: {e}")))
    }

    fn create() -> io::Result<Owned> {
        let fd =
            nix::sys::memfd::memfd_create(c"corescope", nix::sys::memfd::MFdFlags::MFD_CLOEXEC)?;
        nix::unistd::ftruncate(
            &fd,
            nix::libc::off_t::try_from(size_of::<Self>()).map_err(io::Error::other)?,
        )?;
        let region = map(fd.as_fd())?;
        Ok(Owned { fd, region })
    }

    /// Maps the region a parent passed as descriptor `fd` (in a child).
    pub fn attach(fd: RawFd) -> io::Result<&'static Self> {
        // SAFETY: the descriptor was handed to this process by its parent for
        // exactly this use and nothing else in the child owns or closes it.
        let fd = unsafe { BorrowedFd::borrow_raw(fd) };
        let size = nix::sys::stat::fstat(fd)?.st_size;
        if usize::try_from(size).ok() != Some(size_of::<Self>()) {
            return Err(io::Error::other(
                "shared region of the wrong size (another corescope build?)",
            ));
        }
        let region = map(fd)?;
        if region.magic.load(Ordering::Acquire) != MAGIC {
            return Err(io::Error::other("shared region not set up by the parent"));
        }
        Ok(region)
    }

    /// Empties the region for a new run and marks it ready. No child of the
    /// previous run may be alive.
    pub fn reset(&self) {
        self.magic.store(0, Ordering::Release);
        self.controls.reset();
        self.tasks.reset();
        self.next_task.store(0, Ordering::Relaxed);
        for slot in &self.workers {
            slot.probe.reset();
            for field in [&slot.spawned_ns, &slot.ready_ns, &slot.bytes_sent] {
                field.store(0, Ordering::Relaxed);
            }
        }
        for lock in &self.locks {
            lock.reset();
        }
        self.queue.reset();
        for value in self.values.iter().chain(&self.array) {
            value.store(0, Ordering::Relaxed);
        }
        self.latency.reset();
        self.magic.store(MAGIC, Ordering::Release);
    }

    /// The raw descriptor number, for the child's command line.
    pub fn global_fd_number() -> io::Result<RawFd> {
        Self::global_fd().map(|fd| fd.as_raw_fd())
    }
}

/// Maps the whole region read-write and shared, for the rest of the process.
fn map(fd: BorrowedFd<'_>) -> io::Result<&'static SharedRegion> {
    let length = NonZeroUsize::new(size_of::<SharedRegion>())
        .ok_or_else(|| io::Error::other("empty region"))?;
    // SAFETY: a fresh shared mapping of `length` bytes of the memfd at offset
    // 0, at an address the kernel picks: no existing memory is affected.
    let address = unsafe {
        mmap(
            None,
            length,
            ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
            MapFlags::MAP_SHARED,
            fd,
            0,
        )
    }?;
    // SAFETY: the mapping is page-aligned (more than `SharedRegion`'s
    // alignment) and exactly its size. Its bytes are the memfd's: zero-filled
    // when created, then only ever written through the atomics of this same
    // layout (by this process or by children running this same binary), so
    // they always hold a valid `SharedRegion`; all-zero is valid because
    // every field is an atomic. Shared mutation goes through atomics only,
    // which is what `&` to atomics allows. The mapping is never unmapped, so
    // the reference may live as long as the process: `'static`.
    Ok(unsafe { address.cast::<SharedRegion>().as_ref() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fresh_region_is_empty_and_reset_marks_it_ready() {
        let region = SharedRegion::create().expect("region").region;
        assert_eq!(region.magic.load(Ordering::Acquire), 0, "zero-filled");
        region.reset();
        assert_eq!(region.tasks.report().done, 0);
        assert_eq!(region.workers[0].probe.read().tid, 0);
        region.values[3].store(7, Ordering::Relaxed);
        region.latency.record(1_000);
        region.reset();
        assert_eq!(region.values[3].load(Ordering::Relaxed), 0);
        assert_eq!(region.latency.count(), 0);
        assert_eq!(region.magic.load(Ordering::Acquire), MAGIC);
    }

    #[test]
    fn a_second_mapping_of_the_descriptor_sees_the_same_memory() {
        let owned = SharedRegion::create().expect("region");
        let region = owned.region;
        assert!(
            SharedRegion::attach(owned.fd.as_raw_fd()).is_err(),
            "not set up yet"
        );
        region.reset();
        let other = SharedRegion::attach(owned.fd.as_raw_fd()).expect("attach");
        region.array[10].store(42, Ordering::Relaxed);
        assert_eq!(other.array[10].load(Ordering::Relaxed), 42);
        assert!(!std::ptr::eq(region, other), "two mappings, one memory");
    }
}
