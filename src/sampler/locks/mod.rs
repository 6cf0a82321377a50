//! Which lock: the futex words the tree's threads wait on, named, with the
//! time spent on each, their waiters and their owners. No privileges beyond
//! those over one's own processes.
//!
//! - **What a thread waits on.** A thread the tick finds asleep in a futex
//!   wait (its wait channel says so) has its system call read from
//!   `/proc/PID/task/TID/syscall`: for `futex` the first argument is the
//!   futex word's address (for `futex_waitv`, the first waiter's, read from
//!   the process's memory). A thread that has not run since its last
//!   reading is still in the same call: its address is reused, not re-read.
//! - **Its name.** The address is looked up in `/proc/PID/maps` and, in a
//!   file, among the file's symbols ([`place`]).
//! - **Time, not counts.** Each thread's futex time per interval comes from
//!   [`super::futex_time`] (its off-CPU time, measured to the nanosecond,
//!   times the share of its sleep readings in a futex wait). That time is
//!   split among the addresses the thread was found on, in the interval's
//!   readings: at the tick and between ticks ([`LockTracker::poll`]), so a
//!   thread that waited on one lock throughout has its whole sleep counted
//!   on it exactly, and one that went between two is split by sampling at
//!   the poll rate, not the tick rate.
//! - **Owner.** For a glibc mutex the word after the futex's holds the
//!   owner's TID ([`owner`]); it is accepted only if it is a live thread of
//!   the process, and then the lock is a mutex.
//!
//! A process whose system calls the kernel withholds (another user's) makes
//! the whole table unknown (`None`), never empty. At most [`LOCKS_KEPT`]
//! locks are kept; the one waited on longest ago goes first.

mod maps;
mod owner;
mod place;
mod symbols;
mod syscall;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::time::Instant;

use super::futex_time::Wait;
use super::proc_file::{ProcFile, ReadError};
use crate::snapshot::{LockKind, LockSample, LockWaiter, ThreadSample};
use maps::MemoryMap;
use owner::Memory;
use place::Place;
use symbols::SymbolCache;
use syscall::{FutexCall, OpHint};

/// Most locks kept at once.
pub(super) const LOCKS_KEPT: usize = 256;

/// Bits of a priority-inheritance futex word that hold the owner's TID.
const FUTEX_TID_MASK: u32 = 0x3fff_ffff;

/// What a thread was found waiting on, and what it had run when read.
#[derive(Debug, Clone, Copy)]
struct Seen {
    address: u64,
    op: Option<u32>,
    cpu_ns: Option<u64>,
}

/// One thread's readings of the interval under way.
#[derive(Debug)]
struct ThreadLocks {
    pid: i32,
    syscall: Option<ProcFile>,
    first_seen: Instant,
    /// The previous tick, where the interval under way began.
    last_tick: Option<Instant>,
    /// Its futex time at the previous tick.
    futex_ns: Option<u64>,
    /// How many readings found it on each address this interval.
    readings: Vec<(u64, u32)>,
    last: Option<Seen>,
}

impl ThreadLocks {
    fn count(&mut self, address: u64) {
        match self.readings.iter_mut().find(|(a, _)| *a == address) {
            Some((_, n)) => *n += 1,
            None => self.readings.push((address, 1)),
        }
    }
}

/// One process's map and memory, opened when a lock is first seen in it.
#[derive(Debug, Default)]
struct ProcessLocks {
    map: Option<MemoryMap>,
    /// When `map` was last read: an address no mapping holds (one the map
    /// has not caught up with, or none at all) reads it again at most every
    /// [`MAP_REREAD`], not at every reading of every thread.
    map_read_at: Option<Instant>,
    memory: Option<Memory>,
    memory_tried: bool,
}

/// How often a process's memory map may be read again for an address it
/// does not hold.
const MAP_REREAD: std::time::Duration = std::time::Duration::from_secs(1);

/// One lock over the run.
#[derive(Debug)]
struct LockStats {
    place: Place,
    op: Option<u32>,
    kind: LockKind,
    first_seen: Instant,
    last_waited: Instant,
    waiters_now: usize,
    waiters_max: usize,
    blocked_ns: u64,
    per_thread: HashMap<i32, Waits>,
    owner_tid: Option<i32>,
}

/// One thread's waits on one lock.
#[derive(Debug, Clone, Copy)]
struct Waits {
    blocked_ns: u64,
    /// When the thread was first seen, and last seen alive.
    since: Instant,
    until: Instant,
}

/// Follows the locks of one tree, tick after tick.
#[derive(Debug, Default)]
pub(super) struct LockTracker {
    threads: HashMap<i32, ThreadLocks>,
    processes: HashMap<i32, ProcessLocks>,
    locks: HashMap<(i32, u64), LockStats>,
    /// Other words of a lock kept under another key (the GIL's).
    aliases: HashMap<(i32, u64), (i32, u64)>,
    symbols: SymbolCache,
    /// True once the kernel refused a thread's system call this run.
    denied: bool,
    buf: Vec<u8>,
}

impl LockTracker {
    /// Starts over (a new run of the tree, maybe a new program after an
    /// exec): every lock, reading and memory map goes.
    pub(super) fn reset(&mut self) {
        self.threads.clear();
        self.processes.clear();
        self.locks.clear();
        self.aliases.clear();
        self.denied = false;
    }

    /// Counts a reading between ticks: `wait` is what the thread's wait
    /// channel said just now, `cpu_ns` its CPU time then. A thread that has
    /// not run since its last reading is still in the same call: its address
    /// is reused, not re-read.
    pub(super) fn poll(&mut self, tid: i32, wait: Wait, cpu_ns: Option<u64>) {
        if wait != Wait::Futex {
            return;
        }
        let Some(thread) = self.threads.get_mut(&tid) else {
            return;
        };
        if let Some(last) = thread.last
            && last.cpu_ns.is_some()
            && last.cpu_ns == cpu_ns
        {
            thread.count(last.address);
            return;
        }
        let pid = thread.pid;
        match read_call(thread, pid, tid, &mut self.buf, &mut self.processes) {
            Ok(Some(seen)) => {
                thread.count(seen.address);
                thread.last = Some(Seen { cpu_ns, ..seen });
            }
            Ok(None) | Err(ReadError::Gone) => {}
            Err(ReadError::Unreadable) => self.denied = true,
        }
    }

    /// Reads what the tick's blocked threads wait on (setting their
    /// `waiting_on`), adds the interval's futex time to the locks, and
    /// returns the table; `None` when it is unknown (`restricted`: the
    /// kernel withholds the tree's wait channels, or refused a system call).
    pub(super) fn tick(
        &mut self,
        threads: &mut [ThreadSample],
        restricted: bool,
    ) -> Option<Vec<LockSample>> {
        let now = Instant::now();
        let live: HashSet<(i32, i32)> = threads.iter().map(|t| (t.pid, t.tid)).collect();
        self.threads.retain(|tid, t| live.contains(&(t.pid, *tid)));
        let pids: HashSet<i32> = live.iter().map(|(pid, _)| *pid).collect();
        self.processes.retain(|pid, _| pids.contains(pid));
        for lock in self.locks.values_mut() {
            lock.waiters_now = 0;
        }
        for sample in threads.iter_mut() {
            self.read_thread(sample, now);
        }
        self.refresh_owners(&live);
        self.bound();
        (!restricted && !self.denied).then(|| self.table(now))
    }

    /// One thread at the tick: its address now, and its futex time since
    /// the last tick split among the addresses it was found on.
    fn read_thread(&mut self, sample: &mut ThreadSample, now: Instant) {
        let (pid, tid) = (sample.pid, sample.tid);
        let thread = self.threads.entry(tid).or_insert_with(|| ThreadLocks {
            pid,
            syscall: None,
            first_seen: now,
            last_tick: None,
            futex_ns: None,
            readings: Vec::new(),
            last: None,
        });
        let seen = if sample.blocked_on_futex() {
            match thread.last {
                // It has not run since: still in the same call.
                Some(last) if last.cpu_ns.is_some() && last.cpu_ns == sample.cpu_time_ns => {
                    Some(last)
                }
                _ => match read_call(thread, pid, tid, &mut self.buf, &mut self.processes) {
                    Ok(seen) => seen.map(|s| Seen {
                        cpu_ns: sample.cpu_time_ns,
                        ..s
                    }),
                    Err(err) => {
                        self.denied |= err == ReadError::Unreadable;
                        None
                    }
                },
            }
        } else {
            None
        };
        thread.last = seen;
        if let Some(seen) = seen {
            thread.count(seen.address);
        }
        let waited_ns = match (sample.futex_wait_ns, thread.futex_ns) {
            (Some(total), Some(before)) => total.saturating_sub(before),
            _ => 0,
        };
        thread.futex_ns = sample.futex_wait_ns;
        let first_seen = thread.first_seen;
        // A lock first seen now was waited on since the interval began.
        let interval_start = thread.last_tick.replace(now).unwrap_or(now);
        let readings = std::mem::take(&mut thread.readings);
        let total: u32 = readings.iter().map(|(_, n)| n).sum();
        for (address, n) in readings {
            let share_ns = if total > 0 {
                (waited_ns as f64 * f64::from(n) / f64::from(total)) as u64
            } else {
                0
            };
            let now_here = seen.is_some_and(|s| s.address == address);
            let op = seen.filter(|_| now_here).and_then(|s| s.op);
            let Some(key) = self.key(pid, address, op, interval_start) else {
                continue;
            };
            if now_here {
                sample.waiting_on = Some(key.1);
            }
            let Some(lock) = self.locks.get_mut(&key) else {
                continue;
            };
            lock.blocked_ns += share_ns;
            let waits = lock.per_thread.entry(tid).or_insert(Waits {
                blocked_ns: 0,
                since: first_seen,
                until: now,
            });
            waits.blocked_ns += share_ns;
            waits.until = now;
            lock.last_waited = now;
            if now_here {
                lock.waiters_now += 1;
                lock.waiters_max = lock.waiters_max.max(lock.waiters_now);
            }
        }
    }

    /// The key of the lock at `address` of `pid`, named on first sight
    /// (waited on since `since`); `None` when no mapping of the process
    /// holds it. The words of `CPython`'s GIL (its mutex and the two words
    /// its condition variable alternates between) are one lock, keyed by
    /// the first seen.
    fn key(
        &mut self,
        pid: i32,
        address: u64,
        op: Option<u32>,
        since: Instant,
    ) -> Option<(i32, u64)> {
        let key = *self.aliases.get(&(pid, address)).unwrap_or(&(pid, address));
        if let Some(lock) = self.locks.get_mut(&key) {
            lock.op = lock.op.or(op);
            return Some(key);
        }
        let process = self.processes.entry(pid).or_default();
        let mut place = process
            .map
            .as_ref()
            .and_then(|map| place::describe(pid, address, map, &mut self.symbols));
        let now = Instant::now();
        let stale = process
            .map_read_at
            .is_none_or(|at| now.duration_since(at) >= MAP_REREAD);
        if place.is_none() && stale {
            // Mapped since the map was read, or never read: read it again.
            process.map = MemoryMap::read(pid);
            process.map_read_at = Some(now);
            place = process
                .map
                .as_ref()
                .and_then(|map| place::describe(pid, address, map, &mut self.symbols));
        }
        let place = place?;
        if place.gil
            && let Some(gil) = self
                .locks
                .iter()
                .find(|((p, _), l)| *p == pid && l.place.gil)
                .map(|(k, _)| *k)
        {
            self.aliases.insert((pid, address), gil);
            return Some(gil);
        }
        self.locks.insert(
            key,
            LockStats {
                place,
                op,
                kind: LockKind::Unknown,
                first_seen: since,
                last_waited: since,
                waiters_now: 0,
                waiters_max: 0,
                blocked_ns: 0,
                per_thread: HashMap::new(),
                owner_tid: None,
            },
        );
        Some(key)
    }

    /// Reads the owner (and so the kind) of each lock waited on now.
    fn refresh_owners(&mut self, live: &HashSet<(i32, i32)>) {
        for (&(pid, address), lock) in &mut self.locks {
            if lock.waiters_now == 0 {
                continue;
            }
            let process = self.processes.entry(pid).or_default();
            if !process.memory_tried {
                process.memory_tried = true;
                process.memory = Memory::open(pid);
            }
            let is_live = |tid: i32| live.contains(&(pid, tid));
            let hint = lock.op.map_or(OpHint::Other, syscall::hint);
            let owner = match (hint, &process.memory) {
                (OpHint::PlainWait, Some(memory)) => memory.glibc_owner(address, is_live),
                (OpHint::PiLock, Some(memory)) => memory
                    .read_u32(address)
                    .and_then(|word| i32::try_from(word & FUTEX_TID_MASK).ok())
                    .filter(|tid| is_live(*tid)),
                _ => None,
            };
            if owner.is_some() {
                lock.owner_tid = owner;
            }
            lock.kind = match hint {
                OpHint::PlainWait if lock.owner_tid.is_some() => LockKind::Mutex,
                OpHint::PiLock => LockKind::Mutex,
                OpHint::RealtimeBitset => LockKind::ConditionOrSemaphore,
                OpHint::Bitset if lock.place.gil => LockKind::Condition,
                _ => lock.kind,
            };
        }
    }

    /// Drops the locks waited on longest ago past [`LOCKS_KEPT`].
    fn bound(&mut self) {
        if self.locks.len() <= LOCKS_KEPT {
            return;
        }
        let mut by_age: Vec<((i32, u64), Instant)> = self
            .locks
            .iter()
            .map(|(k, l)| (*k, l.last_waited))
            .collect();
        by_age.sort_by_key(|(_, at)| *at);
        for (key, _) in by_age.iter().take(self.locks.len() - LOCKS_KEPT) {
            self.locks.remove(key);
        }
        self.aliases.retain(|_, key| self.locks.contains_key(key));
    }

    /// The locks that were waited on, most blocked time first.
    fn table(&self, now: Instant) -> Vec<LockSample> {
        let mut table: Vec<LockSample> = self
            .locks
            .iter()
            .filter(|(_, l)| l.blocked_ns > 0 || l.waiters_now > 0)
            .map(|(&(pid, address), lock)| {
                let span_ns = now.duration_since(lock.first_seen).as_nanos() as f64;
                let mut watched_total_ns = 0.0;
                let mut threads: Vec<LockWaiter> = lock
                    .per_thread
                    .iter()
                    .map(|(&tid, waits)| {
                        let until = if self.threads.contains_key(&tid) {
                            now
                        } else {
                            waits.until
                        };
                        let watched_ns = until.duration_since(waits.since).as_nanos() as f64;
                        watched_total_ns += watched_ns;
                        LockWaiter {
                            tid,
                            blocked_ns: waits.blocked_ns,
                            wait_share: share(waits.blocked_ns, watched_ns),
                        }
                    })
                    .collect();
                threads.sort_by_key(|w| w.tid);
                LockSample {
                    pid,
                    address,
                    label: lock.place.label.clone(),
                    symbol: lock.place.symbol.clone(),
                    kind: lock.kind,
                    waiters_now: lock.waiters_now,
                    waiters_max: lock.waiters_max,
                    waiters_mean: if span_ns > 0.0 {
                        lock.blocked_ns as f64 / span_ns
                    } else {
                        0.0
                    },
                    blocked_ns: lock.blocked_ns,
                    wait_share: share(lock.blocked_ns, watched_total_ns),
                    threads,
                    owner_tid: lock.owner_tid,
                }
            })
            .collect();
        table.sort_by(|a, b| {
            b.blocked_ns
                .cmp(&a.blocked_ns)
                .then(a.address.cmp(&b.address))
        });
        table
    }
}

/// `blocked_ns` over `watched_ns`, at most 1 (0 over no time).
fn share(blocked_ns: u64, watched_ns: f64) -> f64 {
    if watched_ns > 0.0 {
        (blocked_ns as f64 / watched_ns).min(1.0)
    } else {
        0.0
    }
}

/// Reads the futex call `tid` is in now: `Ok(None)` when it is in none
/// (it woke), `Unreadable` when the kernel withholds it.
fn read_call(
    thread: &mut ThreadLocks,
    pid: i32,
    tid: i32,
    buf: &mut Vec<u8>,
    processes: &mut HashMap<i32, ProcessLocks>,
) -> Result<Option<Seen>, ReadError> {
    if thread.syscall.is_none() {
        thread.syscall = Some(ProcFile::open(PathBuf::from(format!(
            "/proc/{pid}/task/{tid}/syscall"
        )))?);
    }
    let Some(file) = thread.syscall.as_ref() else {
        return Ok(None);
    };
    let call = syscall::parse(file.read(buf)?);
    Ok(match call {
        None => None,
        Some(FutexCall::Futex { uaddr, op }) => Some(Seen {
            address: uaddr,
            op: Some(op),
            cpu_ns: None,
        }),
        Some(FutexCall::Waitv { waiters }) => {
            let process = processes.entry(pid).or_default();
            if !process.memory_tried {
                process.memory_tried = true;
                process.memory = Memory::open(pid);
            }
            process
                .memory
                .as_ref()
                .zip(waiters.checked_add(owner::WAITV_UADDR_OFFSET))
                .and_then(|(memory, at)| memory.read_u64(at))
                .map(|address| Seen {
                    address,
                    op: None,
                    cpu_ns: None,
                })
        }
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::mpsc;
    use std::time::Duration;

    use super::*;
    use crate::sampler::tree::TreeReader;

    static LOCK_UNDER_TEST: Mutex<u64> = Mutex::new(0);

    #[test]
    fn a_thread_blocked_on_a_static_mutex_names_it_and_counts_its_time() {
        let held = LOCK_UNDER_TEST.lock().expect("lock");
        let (tx, rx) = mpsc::channel();
        let waiter = std::thread::spawn(move || {
            tx.send(nix::unistd::gettid().as_raw()).expect("send");
            *LOCK_UNDER_TEST.lock().expect("lock") += 1;
        });
        let tid = rx.recv().expect("tid");
        let mut tree = TreeReader::new(std::process::id() as i32).expect("own tree");
        let address = &raw const LOCK_UNDER_TEST as u64;
        // Until the waiter is seen asleep on the lock; then half a second more.
        let mut deadline = Instant::now() + Duration::from_mins(1);
        let mut blocked_since = None;
        let (thread, locks) = loop {
            let sample = tree.sample(None);
            let thread = sample.threads.iter().find(|t| t.tid == tid).cloned();
            let on_lock = thread.as_ref().and_then(|t| t.waiting_on).is_some();
            if on_lock && blocked_since.is_none() {
                blocked_since = Some(Instant::now());
                deadline = Instant::now() + Duration::from_millis(500);
            }
            if Instant::now() >= deadline {
                break (thread, sample.locks);
            }
            for _ in 0..5 {
                std::thread::sleep(Duration::from_millis(10));
                tree.poll_waits();
            }
        };
        drop(held);
        waiter.join().expect("join");
        let thread = thread.expect("the waiter in the tree");
        let waiting_on = thread.waiting_on.expect("the waiter found blocked");
        // std's Mutex is a futex word at its start (the poison flag follows).
        assert_eq!(waiting_on, address, "expected the address of the static");
        let locks = locks.expect("our own process: the table is known");
        let lock = locks
            .iter()
            .find(|l| l.address == address)
            .unwrap_or_else(|| panic!("expected a lock at {address:#x}, found {locks:?}"));
        assert!(
            lock.label.ends_with("LOCK_UNDER_TEST"),
            "expected the demangled static's name, found {:?}",
            lock.label
        );
        assert_eq!(lock.waiters_now, 1);
        assert!(lock.threads.iter().any(|w| w.tid == tid));
        assert!(lock.blocked_ns > 0, "expected blocked time, found none");
        assert_eq!(
            lock.kind,
            LockKind::Unknown,
            "a Rust mutex has no owner word"
        );
    }

    #[test]
    fn a_withheld_tree_makes_the_table_unknown_not_empty() {
        let mut tracker = LockTracker::default();
        assert_eq!(tracker.tick(&mut [], true), None, "restricted: unknown");
        assert_eq!(
            tracker.tick(&mut [], false),
            Some(Vec::new()),
            "nothing waited"
        );
        tracker.denied = true;
        assert_eq!(tracker.tick(&mut [], false), None, "a system call refused");
        tracker.reset();
        assert_eq!(tracker.tick(&mut [], false), Some(Vec::new()), "a new run");
    }

    #[test]
    fn the_locks_waited_on_longest_ago_go_first_past_the_bound() {
        let mut tracker = LockTracker::default();
        let start = Instant::now();
        for i in 0..(LOCKS_KEPT as u64 + 10) {
            let at = start + Duration::from_millis(i);
            tracker.locks.insert(
                (1, i),
                LockStats {
                    place: Place {
                        label: format!("{i:#x}").into(),
                        symbol: None,
                        gil: false,
                    },
                    op: None,
                    kind: LockKind::Unknown,
                    first_seen: at,
                    last_waited: at,
                    waiters_now: 0,
                    waiters_max: 0,
                    blocked_ns: 1,
                    per_thread: HashMap::new(),
                    owner_tid: None,
                },
            );
        }
        tracker.bound();
        assert_eq!(tracker.locks.len(), LOCKS_KEPT);
        assert!(
            (0..10).all(|i| !tracker.locks.contains_key(&(1, i))),
            "expected the ten oldest gone"
        );
    }
}
