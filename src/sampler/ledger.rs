//! The tree's CPU time, kept as a running total of deltas so that CPU once
//! seen is never lost.
//!
//! Each tick the tree reader tells the ledger, for every process it read, two
//! cumulative figures: the process's own CPU time (all its threads, the exited
//! ones included: the kernel's process CPU clock, to the nanosecond) and the
//! CPU time of the children it has reaped (`cutime + cstime`, or `getrusage`
//! for corescope itself). The ledger adds what each grew by since the last
//! tick. A process that leaves the tree keeps what it was seen to use: its
//! part stays in the total whether its parent reaps it, ignores `SIGCHLD` (the
//! kernel reaps it and no `cutime` ever grows) or is gone too.
//!
//! A reaped child's time moves into its parent's `cutime`, where it would be
//! counted a second time. So when a process leaves the tree, everything
//! already counted for it (own and children's, as last read) becomes a credit
//! of its parent, which the parent's next growth of `cutime` pays off first;
//! only the rest (what the child used after its last sample, and children
//! never seen at all) is added. A credit lives [`CREDIT_TICKS`] ticks: the
//! reap may be noticed before or after the parent's `cutime` read of the same
//! tick, and a parent that never reaps (it ignores `SIGCHLD`) must not swallow
//! a later child's time.
//!
//! The ledger holds one entry per live process and one credit per parent:
//! bounded by the tree alive, however many processes came and went.

use std::collections::HashMap;

/// Ticks a departed child's credit waits for its parent's `cutime` to grow.
pub(super) const CREDIT_TICKS: u8 = 2;

/// Ticks a departed process is remembered: one missed for a tick (a stale
/// child list, a reparenting inside the tree) and read again resumes from
/// what was counted, instead of being counted again from its start.
pub(super) const GHOST_TICKS: u64 = 8;

/// One process's cumulative figures at a tick, in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ProcessCpu {
    /// Process id.
    pub pid: i32,
    /// Parent process id.
    pub ppid: i32,
    /// Start time, clock ticks after boot: tells a reused PID apart.
    pub start_ticks: u64,
    /// CPU time of the process itself, all its threads (exited ones too).
    pub own_ns: u64,
    /// CPU time of the children it has waited for.
    pub children_ns: u64,
}

/// A process as last read.
#[derive(Debug, Clone, Copy)]
struct Seen {
    cpu: ProcessCpu,
    /// The tick it was last read at.
    tick: u64,
}

/// CPU already counted for departed children, waiting for the parent's
/// `cutime` to show it.
#[derive(Debug, Clone, Copy)]
struct Credit {
    ns: u64,
    ticks_left: u8,
}

/// The running total.
#[derive(Debug, Default)]
pub(super) struct CpuLedger {
    total_ns: u64,
    measured: bool,
    tick: u64,
    seen: HashMap<i32, Seen>,
    /// Processes that left recently, as last counted (`tick`: when they left).
    ghosts: HashMap<i32, Seen>,
    credits: HashMap<i32, Credit>,
    departed: u64,
}

impl CpuLedger {
    /// Takes in the processes read at one tick and returns the tree's CPU
    /// time so far; `None` while no process has ever been read.
    pub(super) fn tick(&mut self, read: &[ProcessCpu]) -> Option<u64> {
        self.tick += 1;
        let tick = self.tick;
        for cpu in read {
            if let Some(seen) = self.seen.get(&cpu.pid)
                && seen.cpu.start_ticks != cpu.start_ticks
            {
                // The PID was reused: the old process left.
                self.depart(cpu.pid);
            }
        }
        for cpu in read {
            self.resume(cpu);
        }
        let mut growth: Vec<(i32, u64)> = Vec::with_capacity(read.len());
        for cpu in read {
            let (own, children) = match self.seen.get(&cpu.pid) {
                Some(seen) => (
                    cpu.own_ns.saturating_sub(seen.cpu.own_ns),
                    cpu.children_ns.saturating_sub(seen.cpu.children_ns),
                ),
                None => (cpu.own_ns, cpu.children_ns),
            };
            self.total_ns = self.total_ns.saturating_add(own);
            growth.push((cpu.pid, children));
            // A cumulative figure never shrinks; a reading that did (two
            // sources, read microseconds apart) keeps the higher one.
            let kept = self.seen.get(&cpu.pid).map_or(*cpu, |seen| ProcessCpu {
                own_ns: cpu.own_ns.max(seen.cpu.own_ns),
                children_ns: cpu.children_ns.max(seen.cpu.children_ns),
                ..*cpu
            });
            self.seen.insert(cpu.pid, Seen { cpu: kept, tick });
            self.measured = true;
        }
        let gone: Vec<i32> = self
            .seen
            .iter()
            .filter(|(_, seen)| seen.tick != tick)
            .map(|(pid, _)| *pid)
            .collect();
        for pid in gone {
            self.depart(pid);
        }
        for (pid, children) in growth {
            let paid = self.credits.get_mut(&pid).map_or(0, |credit| {
                let paid = credit.ns.min(children);
                credit.ns -= paid;
                paid
            });
            self.total_ns = self.total_ns.saturating_add(children - paid);
        }
        self.credits.retain(|pid, credit| {
            credit.ticks_left = credit.ticks_left.saturating_sub(1);
            credit.ns > 0 && credit.ticks_left > 0 && self.seen.contains_key(pid)
        });
        self.ghosts
            .retain(|_, ghost| tick.saturating_sub(ghost.tick) < GHOST_TICKS);
        self.measured.then_some(self.total_ns)
    }

    /// Takes in a fresher reading of one known process's own CPU time,
    /// between two ticks: so that a process that then vanishes unreaped
    /// (its parent outside the tree reaps it at once) keeps all but the last
    /// few milliseconds of its CPU. Unknown processes wait for the tick.
    pub(super) fn refresh(&mut self, pid: i32, own_ns: u64) {
        if let Some(seen) = self.seen.get_mut(&pid)
            && own_ns > seen.cpu.own_ns
        {
            self.total_ns = self.total_ns.saturating_add(own_ns - seen.cpu.own_ns);
            seen.cpu.own_ns = own_ns;
        }
    }

    /// Processes seen in the tree that have left it since counting began.
    pub(super) const fn departed(&self) -> u64 {
        self.departed
    }

    /// A process read again after it was missed: it was not reaped (it is
    /// still there), so its parent owes nothing for it, and its counting goes
    /// on from where it stopped.
    fn resume(&mut self, cpu: &ProcessCpu) {
        if self.seen.contains_key(&cpu.pid) {
            return;
        }
        let Some(ghost) = self
            .ghosts
            .remove(&cpu.pid)
            .filter(|ghost| ghost.cpu.start_ticks == cpu.start_ticks)
        else {
            return;
        };
        let counted = ghost.cpu.own_ns.saturating_add(ghost.cpu.children_ns);
        if let Some(credit) = self.credits.get_mut(&ghost.cpu.ppid) {
            credit.ns = credit.ns.saturating_sub(counted);
        }
        self.departed = self.departed.saturating_sub(1);
        self.seen.insert(cpu.pid, ghost);
    }

    /// `pid` left the tree: what was counted for it waits in its parent's
    /// credit.
    fn depart(&mut self, pid: i32) {
        let Some(seen) = self.seen.remove(&pid) else {
            return;
        };
        self.ghosts.insert(
            pid,
            Seen {
                tick: self.tick,
                ..seen
            },
        );
        self.departed += 1;
        let counted = seen.cpu.own_ns.saturating_add(seen.cpu.children_ns);
        let credit = self.credits.entry(seen.cpu.ppid).or_insert(Credit {
            ns: 0,
            ticks_left: 0,
        });
        credit.ns = credit.ns.saturating_add(counted);
        credit.ticks_left = CREDIT_TICKS;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    fn cpu(pid: i32, parent: i32, own_ms: u64, children_ms: u64) -> ProcessCpu {
        ProcessCpu {
            pid,
            ppid: parent,
            start_ticks: u64::try_from(pid).unwrap_or(0),
            own_ns: own_ms * MS,
            children_ns: children_ms * MS,
        }
    }

    #[test]
    fn nothing_read_is_no_figure_and_a_departure_keeps_what_was_seen() {
        let mut ledger = CpuLedger::default();
        assert_eq!(ledger.tick(&[]), None, "never measured: unknown, not 0");
        assert_eq!(ledger.tick(&[cpu(10, 1, 100, 0)]), Some(100 * MS));
        assert_eq!(ledger.tick(&[cpu(10, 1, 300, 0)]), Some(300 * MS));
        // Reaped by a parent outside the tree: the 300 ms stay.
        assert_eq!(ledger.tick(&[]), Some(300 * MS));
        assert_eq!(ledger.departed(), 1);
    }

    #[test]
    fn a_child_reaped_into_its_parent_is_counted_once_plus_its_unseen_end() {
        let mut ledger = CpuLedger::default();
        ledger.tick(&[cpu(10, 1, 0, 0)]);
        ledger.tick(&[cpu(10, 1, 0, 0), cpu(11, 10, 200, 0)]);
        // The child ran 50 ms more after its last sample, then was reaped:
        // the parent's cutime grows by all of its 250 ms.
        let total = ledger.tick(&[cpu(10, 1, 0, 250)]);
        assert_eq!(total, Some(250 * MS));
        // Later growth of cutime (a child never seen) counts in full.
        assert_eq!(ledger.tick(&[cpu(10, 1, 0, 290)]), Some(290 * MS));
    }

    #[test]
    fn a_reap_seen_before_the_parents_cutime_grows_is_not_counted_twice() {
        let mut ledger = CpuLedger::default();
        ledger.tick(&[cpu(10, 1, 0, 0), cpu(11, 10, 200, 0)]);
        // Read the parent, then the child was reaped before we reached it.
        ledger.tick(&[cpu(10, 1, 0, 0)]);
        assert_eq!(ledger.tick(&[cpu(10, 1, 0, 210)]), Some(210 * MS));
    }

    #[test]
    fn children_the_kernel_reaps_keep_their_time() {
        // A parent that ignores SIGCHLD: no cutime ever grows.
        let mut ledger = CpuLedger::default();
        ledger.tick(&[cpu(10, 1, 5, 0), cpu(11, 10, 100, 0), cpu(12, 10, 100, 0)]);
        ledger.tick(&[cpu(10, 1, 5, 0), cpu(11, 10, 400, 0), cpu(12, 10, 380, 0)]);
        assert_eq!(ledger.tick(&[cpu(10, 1, 5, 0)]), Some(785 * MS));
        // The stale credit expires: a later child reaped by wait counts.
        for _ in 0..CREDIT_TICKS {
            ledger.tick(&[cpu(10, 1, 5, 0)]);
        }
        assert_eq!(ledger.tick(&[cpu(10, 1, 5, 40)]), Some(825 * MS));
    }

    #[test]
    fn a_refresh_between_ticks_counts_once() {
        let mut ledger = CpuLedger::default();
        ledger.tick(&[cpu(10, 1, 100, 0)]);
        ledger.refresh(10, 180 * MS);
        ledger.refresh(10, 170 * MS);
        ledger.refresh(99, 5_000 * MS);
        // Gone before the tick: the 180 ms read between ticks stay.
        assert_eq!(ledger.tick(&[]), Some(180 * MS));
        let mut ledger = CpuLedger::default();
        ledger.tick(&[cpu(10, 1, 100, 0)]);
        ledger.refresh(10, 150 * MS);
        assert_eq!(ledger.tick(&[cpu(10, 1, 200, 0)]), Some(200 * MS));
    }

    #[test]
    fn a_process_missed_for_a_tick_is_not_counted_again() {
        let mut ledger = CpuLedger::default();
        ledger.tick(&[cpu(10, 1, 0, 0), cpu(11, 10, 300, 0)]);
        ledger.tick(&[cpu(10, 1, 0, 0)]);
        assert_eq!(
            ledger.tick(&[cpu(10, 1, 0, 0), cpu(11, 10, 350, 0)]),
            Some(350 * MS)
        );
        assert_eq!(ledger.departed(), 0, "it never left");
        // Its parent owes nothing for it when it reaps another child.
        assert_eq!(
            ledger.tick(&[cpu(10, 1, 0, 20), cpu(11, 10, 350, 0)]),
            Some(370 * MS)
        );
    }

    #[test]
    fn a_reused_pid_is_a_new_process() {
        let mut ledger = CpuLedger::default();
        ledger.tick(&[cpu(10, 1, 500, 0)]);
        let mut reused = cpu(10, 1, 20, 0);
        reused.start_ticks = 999;
        assert_eq!(ledger.tick(&[reused]), Some(520 * MS));
        assert_eq!(ledger.departed(), 1);
    }

    proptest::proptest! {
        /// Whatever processes come, grow and go, the total never shrinks,
        /// and never exceeds what was ever read (own and children's time of
        /// every process, as last seen), so nothing is counted twice.
        #[test]
        fn the_total_never_shrinks_nor_counts_twice(
            ticks in proptest::collection::vec(
                proptest::collection::vec((2_i32..8, 0_u64..50, 0_u64..50), 0..6),
                1..40,
            )
        ) {
            let mut ledger = CpuLedger::default();
            // By PID: cumulative own and children's ms, start, last tick read.
            let mut processes: HashMap<i32, (u64, u64, u64, u64)> = HashMap::new();
            // What every process that ever lived used, for the bound.
            let mut gone_ms = 0;
            let mut before = 0;
            for (at, tick) in (0_u64..).zip(ticks) {
                let mut read = Vec::new();
                for (pid, own, children) in tick {
                    if read.iter().any(|p: &ProcessCpu| p.pid == pid) {
                        continue;
                    }
                    let entry = processes.entry(pid).or_insert((0, 0, at, at));
                    if at - entry.3 > GHOST_TICKS {
                        // Long gone: this is another process with its PID.
                        gone_ms += entry.0 + entry.1;
                        *entry = (0, 0, at, at);
                    }
                    *entry = (entry.0 + own, entry.1 + children, entry.2, at);
                    let mut reading = cpu(pid, 1, entry.0, entry.1);
                    reading.start_ticks = entry.2;
                    read.push(reading);
                }
                let total = ledger.tick(&read).unwrap_or(0);
                let live_ms: u64 = processes.values().map(|(o, c, _, _)| o + c).sum();
                let bound = (gone_ms + live_ms) * MS;
                proptest::prop_assert!(total >= before);
                proptest::prop_assert!(total <= bound);
                before = total;
            }
        }
    }

    #[test]
    fn memory_stays_bounded_by_the_live_tree() {
        let mut ledger = CpuLedger::default();
        for pid in 100..10_100 {
            ledger.tick(&[cpu(10, 1, 0, 0), cpu(pid, 10, 1, 0)]);
        }
        assert!(ledger.seen.len() <= 2 && ledger.credits.len() <= 1);
        assert_eq!(ledger.departed(), 9_999);
    }
}
