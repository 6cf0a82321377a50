//! One thread's `/proc/PID/task/TID` files, read each tick into a `ThreadSample`.
//!
//! Cost matters here: watching a program with 1,000 threads must stay under
//! 10 ms a tick. Files are kept open (about 1 us a re-read against 10 us an
//! open), and `status` (the only universal source of context-switch counts,
//! the dearest file a thread has) is re-read only for threads that ran since
//! its last read: a thread whose schedstat (CPU time, run-queue wait, slices)
//! did not move cannot have switched context, forked or changed its wait
//! channel. That is exact, not a guess. A thread that ran has it read at most
//! every [`STATUS_MIN_AGE`]: at shorter ticks its switch rates are measured
//! over that span and shown until the next read. The same holds between
//! ticks: a poll reads `schedstat` first and the wait channel only if it moved.
//!
//! `stat` (state, last CPU, name: the dearest file a thread reads every tick)
//! is skipped too for a thread whose schedstat did not move at all, for up
//! to [`STAT_MAX_AGE`]. Without running a thread keeps its CPU time, its name
//! and its last CPU (short of a migration while it waits), and its state,
//! with one exception: a sleeper woken but not yet given a CPU reads `R`
//! where the skipped stat still says `S`. So that case shows at most that
//! late, and every thread's stat is read again at least every
//! [`STAT_MAX_AGE`] (staggered, so the rereads spread over the ticks).
//!
//! Each reading also ends an interval of the thread's futex-wait estimate
//! (see [`super::futex_time`]).

use std::path::PathBuf;
use std::time::Instant;

use super::futex_time::{FutexClock, Wait};
use super::proc_file::{ProcFile, ReadError};
use super::stat::{TaskStat, ticks_per_second};
use crate::snapshot::ThreadSample;

/// The cumulative counters of one reading, kept to turn the next into rates.
#[derive(Debug, Clone, Copy)]
struct Counters {
    at: Instant,
    cpu_ns: Option<u64>,
    runq_ns: Option<u64>,
    slices: Option<u64>,
}

/// The context-switch counts of the last `status` read, and the rates per
/// second over the span that read closed.
#[derive(Debug, Clone, Copy, Default)]
struct Switches {
    at: Option<Instant>,
    voluntary: Option<u64>,
    nonvoluntary: Option<u64>,
    voluntary_per_sec: Option<f32>,
    nonvoluntary_per_sec: Option<f32>,
    /// It ran since that read: the counts may have moved.
    stale: bool,
}

/// Least time between two reads of a thread's `status` (its context-switch
/// counts, the dearest file it has): at ticks shorter than this, a thread
/// that runs has its rates measured over this span and shown until the
/// next read, instead of its `status` read at every tick.
pub(super) const STATUS_MIN_AGE: std::time::Duration = std::time::Duration::from_millis(250);

/// Longest a thread's `stat` is reused while it does not run.
pub(super) const STAT_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(2);

/// Kept-open files and the previous reading of one thread.
#[derive(Debug)]
pub(super) struct ThreadReader {
    pid: i32,
    tid: i32,
    dir: PathBuf,
    stat: ProcFile,
    schedstat: Option<ProcFile>,
    status: Option<ProcFile>,
    children: Option<ProcFile>,
    wchan: Option<ProcFile>,
    /// Start time in clock ticks after boot: tells a reused TID from the thread we knew.
    start_ticks: Option<u64>,
    previous: Option<Counters>,
    switches: Switches,
    /// The last `stat` read, and when it is to be read again at the latest.
    stat_seen: Option<TaskStat>,
    stat_due: Option<Instant>,
    wchan_seen: Option<String>,
    /// The schedstat of the last reading (tick or poll) and the wait it
    /// found. A thread whose schedstat has not moved since has not run, so
    /// it is still in that wait: a poll reuses it instead of reading `wchan`
    /// (the dearest file of all: the kernel looks the symbol up).
    last_seen: Option<(SchedStat, Wait)>,
    /// Child processes as last read; re-read only when they may have changed.
    children_seen: Vec<i32>,
    /// The list may have changed without a fork of this thread (a sibling's
    /// children handed over, a child reaped unseen), or was never read.
    children_stale: bool,
    /// It ran since the list was read, so it may have forked.
    ran_since_children: bool,
    /// The machine's fork count read just before the list was.
    children_forks: Option<u64>,
    /// Its time asleep in futex waits (see [`super::futex_time`]).
    futex: FutexClock,
}

/// Schedstat's three fields: on-CPU ns, run-queue wait ns, slices run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SchedStat {
    cpu_ns: u64,
    runq_ns: u64,
    slices: u64,
}

impl ThreadReader {
    /// Opens the thread's files. `Gone` if the thread already exited.
    pub(super) fn open(pid: i32, tid: i32) -> Result<Self, ReadError> {
        let dir = PathBuf::from(format!("/proc/{pid}/task/{tid}"));
        let stat = ProcFile::open(dir.join("stat"))?;
        Ok(Self {
            pid,
            tid,
            schedstat: ProcFile::open(dir.join("schedstat")).ok(),
            status: ProcFile::open(dir.join("status")).ok(),
            children: ProcFile::open(dir.join("children")).ok(),
            wchan: None,
            dir,
            stat,
            start_ticks: None,
            previous: None,
            switches: Switches::default(),
            stat_seen: None,
            stat_due: None,
            wchan_seen: None,
            last_seen: None,
            children_seen: Vec::new(),
            children_stale: true,
            ran_since_children: false,
            children_forks: None,
            futex: FutexClock::default(),
        })
    }

    /// Its kept-open `stat`.
    pub(super) const fn stat_file(&self) -> &ProcFile {
        &self.stat
    }

    /// Reads the wait channel once between two ticks, so that the futex
    /// share of the thread's sleep is sampled more often than the ticks;
    /// returns what it said and the thread's CPU time (ns) at the reading.
    /// A thread found asleep that has not run since (one `schedstat` read
    /// tells) is not read again: it is still in the same wait.
    pub(super) fn poll_wait(&mut self, buf: &mut Vec<u8>) -> (Wait, Option<u64>) {
        let sched = self
            .schedstat
            .as_ref()
            .and_then(|file| file.read(buf).ok())
            .and_then(parse_schedstat);
        // Only a sleep is kept: a thread read as running (or still on its
        // run queue) may have gone to sleep at the end of the slice whose
        // CPU time was read, without its schedstat moving since.
        let wait = match (sched, self.last_seen) {
            (Some(now), Some((then, wait))) if now == then && wait != Wait::Awake => wait,
            _ => {
                self.wchan_seen = self.read_wchan(buf);
                Wait::of(self.wchan_seen.as_deref())
            }
        };
        if let Some(sched) = sched {
            self.last_seen = Some((sched, wait));
        }
        self.futex.observe(wait);
        (wait, sched.map(|s| s.cpu_ns))
    }

    /// Reads the thread now. `Gone` means it exited (or its TID was reused by a
    /// new thread, which the caller should open afresh).
    pub(super) fn read(&mut self, buf: &mut Vec<u8>) -> Result<ThreadSample, ReadError> {
        let sched = match &self.schedstat {
            Some(file) => parse_schedstat(file.read(buf)?),
            None => None,
        };
        let now = Instant::now();
        // Schedstat unchanged to the nanosecond: the same thread, and it did
        // not run (an exited thread's schedstat read fails: it is `Gone`).
        let still = match (sched, self.previous) {
            (Some(s), Some(p)) => {
                p.cpu_ns == Some(s.cpu_ns)
                    && p.runq_ns == Some(s.runq_ns)
                    && p.slices == Some(s.slices)
            }
            _ => false,
        };
        let stat = match (&self.stat_seen, self.stat_due) {
            // Not a thread read as running: it may have gone to sleep at the
            // end of the slice whose CPU time was read (see `poll_wait`).
            (Some(seen), Some(due)) if still && now < due && seen.state != 'R' => seen.clone(),
            _ => {
                let stat = TaskStat::parse(self.stat.read(buf)?).ok_or(ReadError::Gone)?;
                if *self.start_ticks.get_or_insert(stat.start_ticks) != stat.start_ticks {
                    return Err(ReadError::Gone);
                }
                // The first reread is staggered by TID, so that the rereads
                // of idle threads spread over the ticks instead of coming
                // all at once; the phase then stays.
                let age = match self.stat_due {
                    Some(_) => STAT_MAX_AGE,
                    None => STAT_MAX_AGE.mul_f64(f64::from(1 + self.tid.rem_euclid(8)) / 8.0),
                };
                self.stat_due = Some(now + age);
                self.stat_seen = Some(stat.clone());
                stat
            }
        };

        // Any of the three moving counts as running. The slice count alone
        // misses a thread read while on a CPU that then forks and sleeps in
        // the same slice: its slice count stays, but its CPU time (brought up
        // to date when it leaves the CPU) moves.
        let ran = !still;
        let switches = self.switches_at(buf, ran, now);
        let sleeping = matches!(stat.state, 'S' | 'D');
        if !sleeping {
            self.wchan_seen = None;
        } else if self.wchan_seen.is_none()
            || self.last_seen.is_none_or(|(seen, _)| Some(seen) != sched)
        {
            // It ran since the last reading (tick or poll) of its wait.
            self.wchan_seen = self.read_wchan(buf);
        }
        let wait = if sleeping {
            Wait::of(self.wchan_seen.as_deref())
        } else {
            Wait::Awake
        };
        self.last_seen = sched.map(|sched| (sched, wait));

        let cpu_ns = sched.map(|s| s.cpu_ns).or_else(|| {
            let ticks = stat.utime + stat.stime;
            Some(ticks * 1_000_000_000 / ticks_per_second())
        });
        let current = Counters {
            at: now,
            cpu_ns,
            runq_ns: sched.map(|s| s.runq_ns),
            slices: sched.map(|s| s.slices),
        };
        let rates = self.previous.map(|p| Rates::between(&p, &current));
        // The futex time so far, and its growth over the interval as a share
        // of the interval's wall time.
        let (futex_wait_ns, futex_wait_pct) = match (sched, self.previous) {
            (Some(s), Some(p)) => {
                let wall_ns =
                    u64::try_from(now.duration_since(p.at).as_nanos()).unwrap_or(u64::MAX);
                let ran_ns = s.cpu_ns.saturating_sub(p.cpu_ns.unwrap_or(s.cpu_ns));
                let queued_ns = s.runq_ns.saturating_sub(p.runq_ns.unwrap_or(s.runq_ns));
                let off_cpu_ns = wall_ns.saturating_sub(ran_ns + queued_ns);
                let before_ns = self.futex.total_ns();
                let total_ns = self.futex.close(off_cpu_ns, wait);
                let pct = (wall_ns > 0).then(|| {
                    (total_ns.saturating_sub(before_ns) as f64 * 100.0 / wall_ns as f64).min(100.0)
                        as f32
                });
                (Some(total_ns), pct)
            }
            (Some(_), None) => (Some(0), None),
            (None, _) => (None, None),
        };
        self.previous = Some(current);
        self.ran_since_children |= ran;

        Ok(ThreadSample {
            pid: self.pid,
            tid: self.tid,
            name: stat.comm,
            state: stat.state,
            last_cpu: stat.processor,
            cpu_pct: rates.and_then(|r| r.cpu_pct),
            cpu_time_ns: cpu_ns,
            voluntary_ctxt: switches.voluntary,
            nonvoluntary_ctxt: switches.nonvoluntary,
            voluntary_per_sec: switches.voluntary_per_sec,
            nonvoluntary_per_sec: switches.nonvoluntary_per_sec,
            runq_wait_ns: current.runq_ns,
            runq_wait_pct: rates.and_then(|r| r.runq_wait_pct),
            wchan: self.wchan_seen.clone(),
            futex_wait_ns,
            futex_wait_pct,
            nice: stat.nice,
            waiting_on: None,
        })
    }

    /// Marks the child list as possibly changed although this thread did not
    /// run: a sibling thread exited (its children may be handed to this one)
    /// or a listed child vanished (reaped without us seeing the parent run).
    pub(super) fn invalidate_children(&mut self) {
        self.children_stale = true;
    }

    /// Child processes this thread has forked (`/proc/.../children`), re-read
    /// only when they may have changed. A thread that did not run cannot
    /// fork; and one that ran cannot have forked since its list was read if
    /// the machine's fork count `forks` (read before this, every tick) has
    /// not moved since the count read before the list. Exact, not a guess.
    pub(super) fn children(&mut self, buf: &mut Vec<u8>, forks: Option<u64>) -> &[i32] {
        let forked = forks.is_none() || forks != self.children_forks;
        if self.children_stale || (self.ran_since_children && forked) {
            self.children_stale = false;
            self.ran_since_children = false;
            self.children_forks = forks;
            self.children_seen.clear();
            if let Some(text) = self.children.as_ref().and_then(|f| f.read_to_end(buf).ok()) {
                self.children_seen.extend(
                    String::from_utf8_lossy(text)
                        .split_ascii_whitespace()
                        .filter_map(|p| p.parse::<i32>().ok()),
                );
            }
        }
        &self.children_seen
    }

    /// The context switches at a reading `now`, `ran` saying whether the
    /// thread ran since the last. `status` is read when it ran since the last
    /// read and that read is [`STATUS_MIN_AGE`] old; a thread that ran since,
    /// not yet read, shows the rates of the span that read closed, and one
    /// that did not run since has switched 0 times a second since.
    fn switches_at(&mut self, buf: &mut Vec<u8>, ran: bool, now: Instant) -> Switches {
        let seen = &mut self.switches;
        seen.stale |= ran;
        let due = seen
            .at
            .is_none_or(|at| now.duration_since(at) >= STATUS_MIN_AGE);
        if seen.stale && due {
            let (voluntary, nonvoluntary) = self
                .status
                .as_ref()
                .and_then(|file| file.read(buf).ok())
                .map_or((None, None), scan_switches);
            let secs = seen.at.map(|at| now.duration_since(at).as_secs_f64());
            let per_sec = |before: Option<u64>, after: Option<u64>| -> Option<f32> {
                let delta = after?.checked_sub(before?)?;
                secs.filter(|s| *s > 0.0).map(|s| (delta as f64 / s) as f32)
            };
            *seen = Switches {
                at: Some(now),
                voluntary,
                nonvoluntary,
                voluntary_per_sec: per_sec(seen.voluntary, voluntary),
                nonvoluntary_per_sec: per_sec(seen.nonvoluntary, nonvoluntary),
                stale: false,
            };
            *seen
        } else if seen.stale {
            *seen
        } else {
            Switches {
                voluntary_per_sec: seen.voluntary.map(|_| 0.0),
                nonvoluntary_per_sec: seen.nonvoluntary.map(|_| 0.0),
                ..*seen
            }
        }
    }

    fn read_wchan(&mut self, buf: &mut Vec<u8>) -> Option<String> {
        if self.wchan.is_none() {
            self.wchan = ProcFile::open(self.dir.join("wchan")).ok();
        }
        let text = self.wchan.as_ref()?.read(buf).ok()?;
        let name = String::from_utf8_lossy(text).trim().to_owned();
        // "0" is what the kernel shows when we may not see the wait channel.
        (!name.is_empty() && name != "0").then_some(name)
    }
}

/// Rates over the interval between two readings of the same thread.
#[derive(Debug, Clone, Copy)]
struct Rates {
    cpu_pct: Option<f32>,
    runq_wait_pct: Option<f32>,
}

impl Rates {
    fn between(before: &Counters, now: &Counters) -> Self {
        let wall_ns = now.at.duration_since(before.at).as_nanos() as f64;
        let share = |a: Option<u64>, b: Option<u64>| -> Option<f32> {
            let delta = b?.checked_sub(a?)?;
            // Clock and file are read a few microseconds apart: a thread busy the
            // whole interval can show a hair over 100%. One thread is one core.
            (wall_ns > 0.0).then(|| (delta as f64 * 100.0 / wall_ns).min(100.0) as f32)
        };
        Self {
            cpu_pct: share(before.cpu_ns, now.cpu_ns),
            runq_wait_pct: share(before.runq_ns, now.runq_ns),
        }
    }
}

fn parse_schedstat(text: &[u8]) -> Option<SchedStat> {
    let text = std::str::from_utf8(text).ok()?;
    let mut fields = text.split_ascii_whitespace().map(str::parse::<u64>);
    Some(SchedStat {
        cpu_ns: fields.next()?.ok()?,
        runq_ns: fields.next()?.ok()?,
        slices: fields.next()?.ok()?,
    })
}

/// The two context-switch lines of `status`. Scanned by hand because procfs'
/// `Status` parser builds a map of all ~55 fields: 24 us a thread against the
/// 9 us the read itself costs, which alone would break the tick budget. They
/// are the file's last lines, so the scan starts from its end.
fn scan_switches(text: &[u8]) -> (Option<u64>, Option<u64>) {
    let text = String::from_utf8_lossy(text);
    let value = |key: &str| -> Option<u64> {
        text.lines()
            .rev()
            .find_map(|line| line.strip_prefix(key))
            .and_then(|rest| rest.trim().parse().ok())
    };
    (
        value("voluntary_ctxt_switches:"),
        value("nonvoluntary_ctxt_switches:"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    #[test]
    fn schedstat_fields_parse_and_garbage_is_none() {
        assert_eq!(
            parse_schedstat(b"1853 59512993 121\n"),
            Some(SchedStat {
                cpu_ns: 1853,
                runq_ns: 59_512_993,
                slices: 121
            })
        );
        assert_eq!(parse_schedstat(b"1853\n"), None);
    }

    #[test]
    fn switch_lines_are_found_without_confusing_the_two() {
        let status = b"Name:\tx\nvoluntary_ctxt_switches:\t146\nnonvoluntary_ctxt_switches:\t15\n";
        assert_eq!(scan_switches(status), (Some(146), Some(15)));
        assert_eq!(scan_switches(b"Name:\tx\n"), (None, None));
    }

    #[test]
    fn a_busy_thread_reads_at_most_one_core_and_an_idle_one_near_zero() {
        let (tx, rx) = mpsc::channel();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let spin_stop = stop.clone();
        let busy = std::thread::spawn(move || {
            tx.send(nix::unistd::gettid().as_raw()).expect("send");
            let mut x = 0u64;
            while !spin_stop.load(std::sync::atomic::Ordering::Relaxed) {
                x = std::hint::black_box(x.wrapping_add(1));
            }
        });
        let (idle_tx, idle_rx) = mpsc::channel();
        let idle = std::thread::spawn(move || {
            idle_tx.send(nix::unistd::gettid().as_raw()).expect("send");
            std::thread::sleep(Duration::from_millis(400));
        });
        let pid = std::process::id() as i32;
        let mut busy_reader = ThreadReader::open(pid, rx.recv().expect("tid")).expect("open");
        let mut idle_reader = ThreadReader::open(pid, idle_rx.recv().expect("tid")).expect("open");
        let mut buf = Vec::new();
        let first = busy_reader.read(&mut buf).expect("read");
        assert_eq!(first.cpu_pct, None, "no rate before a second reading");
        idle_reader.read(&mut buf).expect("read");
        std::thread::sleep(Duration::from_millis(200));
        let busy_now = busy_reader.read(&mut buf).expect("read");
        let idle_now = idle_reader.read(&mut buf).expect("read");
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        busy.join().expect("join");
        idle.join().expect("join");

        // How much of a core the spinner gets depends on what else the
        // machine runs; that it ran, and never more than one core (1% for the
        // skew between the clock and the schedstat read), does not.
        let busy_pct = busy_now.cpu_pct.expect("rate");
        assert!(
            busy_pct > 0.0 && busy_pct <= 101.0,
            "expected a spinning thread between 0 and 100% of a core, read {busy_pct}%"
        );
        let idle_pct = idle_now.cpu_pct.expect("rate");
        assert!(
            idle_pct < 5.0,
            "expected a sleeping thread near 0% of a core, read {idle_pct}%"
        );
        assert_eq!(idle_now.state, 'S');
        assert!(idle_now.voluntary_ctxt.is_some());
    }

    #[test]
    fn an_idle_threads_stat_is_reused_until_it_is_due_then_read_again() {
        let (tx, rx) = mpsc::channel();
        let (stop_tx, stop_rx) = mpsc::channel::<()>();
        let sleeper = std::thread::spawn(move || {
            tx.send(nix::unistd::gettid().as_raw()).expect("send");
            let _ = stop_rx.recv();
        });
        let tid = rx.recv().expect("tid");
        std::thread::sleep(Duration::from_millis(20));
        let mut reader = ThreadReader::open(std::process::id() as i32, tid).expect("open");
        let mut buf = Vec::new();
        let first = reader.read(&mut buf).expect("read");
        let first_due = reader
            .stat_due
            .expect("a reread is due after the first read");
        let staggered = first_due.saturating_duration_since(Instant::now());
        let again = reader.read(&mut buf).expect("read");
        let reused_due = reader.stat_due;
        // Due now: the next reading reads `stat` again, and the one after
        // is due a whole STAT_MAX_AGE later.
        reader.stat_due = Some(Instant::now());
        let refreshed = reader.read(&mut buf).expect("read");
        let next_due = reader.stat_due.expect("due again");
        stop_tx.send(()).expect("stop");
        sleeper.join().expect("join");
        assert_eq!(first.state, 'S');
        assert!(
            staggered <= STAT_MAX_AGE,
            "the first reread should be due within {STAT_MAX_AGE:?}, is due in {staggered:?}"
        );
        assert_eq!((again.state, again.last_cpu), (first.state, first.last_cpu));
        assert_eq!(again.cpu_pct, Some(0.0), "it did not run");
        assert_eq!(
            reused_due,
            Some(first_due),
            "a thread that did not run should have its stat reused, not read again"
        );
        assert_eq!(refreshed.state, 'S');
        assert!(
            next_due.saturating_duration_since(Instant::now()) >= STAT_MAX_AGE / 2,
            "after a due reread the next should be about {STAT_MAX_AGE:?} away"
        );
    }

    #[test]
    fn a_poll_reads_the_wait_again_once_the_thread_has_run() {
        let lock = std::sync::Arc::new(std::sync::Mutex::new(()));
        let held = lock.lock().expect("lock");
        let (tx, rx) = mpsc::channel();
        let (stop_tx, stop_rx) = mpsc::channel::<()>();
        let waiter_lock = std::sync::Arc::clone(&lock);
        let waiter = std::thread::spawn(move || {
            tx.send(nix::unistd::gettid().as_raw()).expect("send");
            drop(waiter_lock.lock().expect("lock"));
            // Then asleep in something else than a futex.
            let _ = stop_rx.recv_timeout(Duration::from_secs(30));
        });
        let tid = rx.recv().expect("tid");
        let mut reader = ThreadReader::open(std::process::id() as i32, tid).expect("open");
        let mut buf = Vec::new();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let mut first_polls = Vec::new();
        while reader.poll_wait(&mut buf).0 != Wait::Futex {
            first_polls.push((reader.last_seen, reader.wchan_seen.clone()));
            assert!(
                std::time::Instant::now() < deadline,
                "the waiter should be found asleep on the lock within 10 s; \
                 polls saw {:?}",
                &first_polls[first_polls.len().saturating_sub(4)..]
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        let (_, cpu_before) = reader.poll_wait(&mut buf);
        drop(held);
        // It takes the lock, runs, and sleeps in its timed receive: a
        // futex wait too (std's channels park on one), but at another
        // address, having run. What the poll must not do is keep the wait
        // it saw before the run: its CPU time has moved, so it reads again.
        let mut seen = Vec::new();
        while std::time::Instant::now() < deadline {
            let (wait, cpu_ns) = reader.poll_wait(&mut buf);
            seen.push(wait);
            if cpu_ns != cpu_before && wait != Wait::Awake {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let (_, cpu_after) = reader.poll_wait(&mut buf);
        stop_tx.send(()).expect("stop");
        waiter.join().expect("join");
        assert_ne!(
            cpu_after, cpu_before,
            "after taking the lock the thread ran, so its CPU time should have moved; polls saw {seen:?}"
        );
        assert_eq!(
            reader.last_seen.map(|(sched, _)| Some(sched.cpu_ns)),
            Some(cpu_after),
            "the poll should remember the schedstat it read last"
        );
    }

    #[test]
    fn context_switches_are_read_at_most_every_status_min_age() {
        let (tx, rx) = mpsc::channel();
        let (stop_tx, stop_rx) = mpsc::channel::<()>();
        let switcher = std::thread::spawn(move || {
            tx.send(nix::unistd::gettid().as_raw()).expect("send");
            // A voluntary switch every millisecond until told to stop.
            while stop_rx.recv_timeout(Duration::from_millis(1)).is_err() {}
        });
        let tid = rx.recv().expect("tid");
        let mut reader = ThreadReader::open(std::process::id() as i32, tid).expect("open");
        let mut buf = Vec::new();
        // Timed from before the first read, so that `soon_after` is at least
        // the age of the first read's switch counts when the second is made.
        let started = std::time::Instant::now();
        let first = reader.read(&mut buf).expect("read");
        std::thread::sleep(Duration::from_millis(30));
        let soon = reader.read(&mut buf).expect("read");
        let soon_after = started.elapsed();
        std::thread::sleep(STATUS_MIN_AGE);
        let later = reader.read(&mut buf).expect("read");
        stop_tx.send(()).expect("stop");
        switcher.join().expect("join");
        if soon_after < STATUS_MIN_AGE {
            assert_eq!(
                soon.voluntary_ctxt, first.voluntary_ctxt,
                "a read {soon_after:?} after the first should reuse its switch counts"
            );
        }
        let (before, after) = (
            first.voluntary_ctxt.expect("switch count"),
            later.voluntary_ctxt.expect("switch count"),
        );
        assert!(
            after > before,
            "a thread switching every millisecond should have more voluntary switches \
             {STATUS_MIN_AGE:?} later: {before} then {after}"
        );
        let rate = later
            .voluntary_per_sec
            .expect("a rate once two reads are made");
        assert!(rate > 0.0, "its voluntary switch rate read {rate}/s");
    }

    #[test]
    fn a_thread_blocked_on_a_lock_counts_its_whole_sleep_as_futex_wait() {
        let lock = std::sync::Arc::new(std::sync::Mutex::new(()));
        let held = lock.lock().expect("lock");
        let (tx, rx) = mpsc::channel();
        let waiter_lock = std::sync::Arc::clone(&lock);
        let waiter = std::thread::spawn(move || {
            tx.send(nix::unistd::gettid().as_raw()).expect("send");
            drop(waiter_lock.lock().expect("lock"));
        });
        let tid = rx.recv().expect("tid");
        let mut reader = ThreadReader::open(std::process::id() as i32, tid).expect("open");
        let mut buf = Vec::new();
        // Until it sleeps on the lock.
        while !reader.read(&mut buf).expect("read").blocked_on_futex() {
            std::thread::sleep(Duration::from_millis(5));
        }
        let start = std::time::Instant::now();
        let first = reader.read(&mut buf).expect("read");
        for _ in 0..4 {
            std::thread::sleep(Duration::from_millis(50));
            reader.poll_wait(&mut buf);
        }
        let second = reader.read(&mut buf).expect("read");
        let wall_ns = start.elapsed().as_nanos() as u64;
        drop(held);
        waiter.join().expect("join");
        let futex_ns =
            second.futex_wait_ns.expect("estimate") - first.futex_wait_ns.expect("estimate");
        // It never ran: its whole sleep is known, and all of it a futex wait.
        assert!(
            futex_ns <= wall_ns && futex_ns >= 200_000_000,
            "{futex_ns} ns of futex wait over {wall_ns} ns"
        );
        // And all of the last interval, as a share.
        let share = second.futex_wait_pct.expect("share of the interval");
        assert!(
            share >= 99.0,
            "a thread asleep on a lock throughout: {share}% futex"
        );
        assert_eq!(first.futex_wait_pct.map(|p| p >= 0.0), Some(true));
        let nice = second.nice.expect("nice value");
        assert!((-20..=19).contains(&nice), "nice {nice}");
    }

    #[test]
    fn an_exited_thread_is_gone() {
        let (tx, rx) = mpsc::channel();
        let t = std::thread::spawn(move || {
            tx.send(nix::unistd::gettid().as_raw()).expect("send");
        });
        let tid = rx.recv().expect("tid");
        let mut reader = ThreadReader::open(std::process::id() as i32, tid);
        t.join().expect("join");
        std::thread::sleep(Duration::from_millis(20));
        let mut buf = Vec::new();
        let result = reader.as_mut().map(|r| r.read(&mut buf).map(|_| ()));
        assert!(matches!(
            result,
            Err(ReadError::Gone) | Ok(Err(ReadError::Gone))
        ));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        #[test]
        fn any_schedstat_or_status_parses_without_panicking(text in crate::fuzz_inputs::proc_text()) {
            let _ = parse_schedstat(&text);
            let _ = scan_switches(&text);
        }
    }
}
