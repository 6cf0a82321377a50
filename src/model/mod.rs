//! The app model: the latest snapshot and bounded history derived from it.
//!
//! The model only changes when a snapshot is ingested. It never reads `/proc`
//! and never draws; the view borrows it.

mod core_map;
mod demo;
mod ring;
pub(crate) mod warnings;

use std::sync::Arc;

pub(crate) use core_map::CoreMap;
pub(crate) use demo::{DemoHistory, activity, workers_shown};
pub(crate) use ring::RingBuffer;
pub(crate) use warnings::Severity;

use crate::snapshot::Snapshot;

/// How many ticks of history each series keeps: 5 minutes at the default
/// 500 ms, and wider than any terminal at the fastest 50 ms.
pub(crate) const HISTORY_LEN: usize = 600;

/// A history of percentages; `None` marks a tick with no reading (a gap).
pub(crate) type PercentHistory = RingBuffer<Option<f32>>;

/// The latest snapshot and the history of the values drawn over time.
#[derive(Debug, Clone)]
pub struct Model {
    latest: Option<Arc<Snapshot>>,
    core_history: Vec<(usize, PercentHistory)>,
    parallelism_history: RingBuffer<Option<f32>>,
    demo: DemoHistory,
    core_map: CoreMap,
    missed_ticks: u64,
}

impl Default for Model {
    fn default() -> Self {
        Self::new()
    }
}

impl Model {
    /// An empty model: nothing sampled yet.
    #[must_use]
    pub fn new() -> Self {
        Self {
            latest: None,
            core_history: Vec::new(),
            parallelism_history: RingBuffer::new(HISTORY_LEN),
            demo: DemoHistory::default(),
            core_map: CoreMap::default(),
            missed_ticks: 0,
        }
    }

    /// Takes in the next snapshot. Ticks the sampler dropped (a gap in `seq`)
    /// become gaps in every history, so time stays true on screen.
    pub fn ingest(&mut self, snapshot: Arc<Snapshot>) {
        let missed = self
            .latest
            .as_ref()
            .map_or(0, |prev| snapshot.seq.saturating_sub(prev.seq + 1));
        self.missed_ticks += missed;
        let gaps = missed.min(HISTORY_LEN as u64) as usize;

        for core in &snapshot.cores {
            if !self.core_history.iter().any(|(c, _)| *c == core.core) {
                self.core_history
                    .push((core.core, RingBuffer::new(HISTORY_LEN)));
            }
            let Some((_, history)) = self.core_history.iter_mut().find(|(c, _)| *c == core.core)
            else {
                continue;
            };
            for _ in 0..gaps {
                history.push(None);
            }
            history.push(core.busy_pct);
        }
        // A core that went offline keeps its history only while it is listed.
        self.core_history
            .retain(|(c, _)| snapshot.cores.iter().any(|s| s.core == *c));

        for _ in 0..gaps {
            self.parallelism_history.push(None);
        }
        self.parallelism_history
            .push(snapshot.target.parallelism.map(|p| p as f32));
        if let Some(demo) = &snapshot.demo {
            self.demo.ingest(demo, gaps);
        } else {
            // Only the watch screen draws the map.
            self.core_map.ingest(&snapshot, gaps);
        }
        self.latest = Some(snapshot);
    }

    /// The newest snapshot, if any arrived yet.
    #[must_use]
    pub fn latest(&self) -> Option<&Snapshot> {
        self.latest.as_deref()
    }

    /// Busy-percent history of a logical CPU.
    #[must_use]
    pub fn core_history(&self, core: usize) -> Option<&PercentHistory> {
        self.core_history
            .iter()
            .find(|(c, _)| *c == core)
            .map(|(_, h)| h)
    }

    /// History of the target's parallelism (cores kept busy).
    #[must_use]
    pub const fn parallelism_history(&self) -> &RingBuffer<Option<f32>> {
        &self.parallelism_history
    }

    /// History of the demo running inside corescope.
    #[must_use]
    pub const fn demo_history(&self) -> &DemoHistory {
        &self.demo
    }

    /// Where each thread of the tree ran, tick by tick.
    #[must_use]
    pub const fn core_map(&self) -> &CoreMap {
        &self.core_map
    }

    /// Ticks the sampler made that never reached the model (screen too slow).
    #[must_use]
    pub const fn missed_ticks(&self) -> u64 {
        self.missed_ticks
    }
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! Hand-made snapshots for model, app and screen tests: fixed numbers, so
    //! snapshot tests never depend on the live machine.

    use std::time::Duration;

    use crate::snapshot::{
        CoreSample, MemorySample, ProcessSample, Snapshot, TargetSample, ThreadSample,
    };

    /// A thread with the given CPU percent and state.
    pub(crate) fn thread(tid: i32, name: &str, cpu_pct: f32, state: char) -> ThreadSample {
        ThreadSample {
            pid: 4242,
            tid,
            name: name.to_owned(),
            state,
            last_cpu: Some((tid % 2) as u32),
            cpu_pct: Some(cpu_pct),
            cpu_time_ns: Some(1_000_000 * tid as u64),
            voluntary_ctxt: Some(100),
            nonvoluntary_ctxt: Some(7),
            voluntary_per_sec: Some(12.0),
            nonvoluntary_per_sec: Some(0.5),
            runq_wait_ns: Some(0),
            runq_wait_pct: Some(0.0),
            wchan: None,
            futex_wait_ns: Some(0),
            futex_wait_pct: Some(0.0),
            nice: Some(0),
            waiting_on: None,
        }
    }

    /// Tick `seq` of the race demo with two workers (tids 11 and 12) that
    /// each spent half of every tick computing and half waiting for the
    /// locked counter, and the outcome of its first round.
    pub(crate) fn demo_snapshot(seq: u64) -> Snapshot {
        use corescope_demos::catalog::Mode;
        use corescope_demos::demos::race::{RaceOutcome, RaceVariant};
        use corescope_demos::outcome::Outcome;
        use corescope_demos::probes::{
            HistogramSummary, LockReport, ProbeReport, TaskReport, WorkerReading, WorkerState,
        };
        use corescope_demos::run::DemoSample;

        let half = 250_000_000 * seq;
        let worker = |tid: i32, state: WorkerState| {
            let mut state_ns = [0; WorkerState::COUNT];
            state_ns[WorkerState::Computing as usize] = half;
            state_ns[WorkerState::WaitingLock as usize] = half;
            WorkerReading {
                pid: 4242,
                tid,
                state,
                tasks_done: seq / 2,
                state_ns,
            }
        };
        let mut snap = snapshot(
            seq,
            [55.0, 45.0],
            vec![
                thread(10, "corescope", 0.5, 'S'),
                thread(11, "worker-0", 50.0, 'R'),
                thread(12, "worker-1", 49.0, 'S'),
            ],
        );
        snap.demo = Some(DemoSample {
            name: "race",
            mode: Mode::Threads,
            kind: None,
            workers: 2,
            slow_motion: 1,
            paused: false,
            round: 2,
            finished: false,
            elapsed: std::time::Duration::from_millis(500 * seq),
            probes: ProbeReport {
                locks: vec![LockReport {
                    name: "counter (locked)".to_owned(),
                    acquires: 400,
                    contended: 390,
                    waiting_now: 1,
                    wait: HistogramSummary {
                        count: 390,
                        mean_ns: 5_100_000,
                        p50_ns: 5_000_000,
                        p99_ns: 9_000_000,
                        max_ns: 12_000_000,
                        outliers: 0,
                        ..HistogramSummary::default()
                    },
                    hold: HistogramSummary {
                        count: 390,
                        mean_ns: 5_000_000,
                        p50_ns: 5_000_000,
                        p99_ns: 5_200_000,
                        max_ns: 6_000_000,
                        outliers: 0,
                        ..HistogramSummary::default()
                    },
                }],
                workers: vec![
                    worker(11, WorkerState::Computing),
                    worker(12, WorkerState::WaitingLock),
                ],
                tasks: Some(TaskReport { total: 6, done: 3 }),
                ..ProbeReport::default()
            },
            outcome: Some(Outcome::new(RaceOutcome {
                variants: vec![
                    RaceVariant {
                        variant: "unsynchronized",
                        expected: 2_000_000,
                        actual: 1_312_877,
                        lost_updates: 687_123,
                        elapsed_ms: 40,
                    },
                    RaceVariant {
                        variant: "locked",
                        expected: 2_000_000,
                        actual: 2_000_000,
                        lost_updates: 0,
                        elapsed_ms: 55,
                    },
                ],
            })),
            outcome_round: 1,
            error: None,
            failures: Vec::new(),
            start_latency: None,
            ipc_bytes: None,
            run_parallelism: None,
            thread_stack_kib: None,
        });
        snap
    }

    /// Tick `seq` of a 2-core machine watching process 4242 with `threads`.
    pub(crate) fn snapshot(seq: u64, busy: [f32; 2], threads: Vec<ThreadSample>) -> Snapshot {
        Snapshot {
            seq,
            elapsed: Duration::from_millis(500 * seq),
            interval: (seq > 0).then_some(Duration::from_millis(500)),
            cores: vec![
                CoreSample {
                    core: 0,
                    busy_pct: Some(busy[0]),
                },
                CoreSample {
                    core: 1,
                    busy_pct: Some(busy[1]),
                },
            ],
            memory: Some(MemorySample {
                total_bytes: 24 << 30,
                used_bytes: 3 << 30,
            }),
            load_average: Some([0.52, 0.41, 0.30]),
            target: TargetSample {
                root_pid: 4242,
                command: "python3 busy.py".to_owned(),
                alive: true,
                restricted: false,
                another_user: false,
                processes: vec![ProcessSample {
                    pid: 4242,
                    ppid: 1,
                    name: "python3".to_owned(),
                    state: 'S',
                    threads: threads.len(),
                    rss_kib: Some(10_240),
                }],
                threads_peak: threads.len(),
                processes_peak: 1,
                exited_threads: 0,
                exited_processes: 0,
                epoch: 0,
                // The tree's figures agree with its threads, as on a live tree
                // with no exited threads.
                cpu_time_ns: Some(threads.iter().filter_map(|t| t.cpu_time_ns).sum()),
                parallelism: (seq > 0).then(|| {
                    threads
                        .iter()
                        .filter_map(|t| t.cpu_pct)
                        .map(f64::from)
                        .sum::<f64>()
                        / 100.0
                }),
                threads,
                locks: Some(Vec::new()),
            },
            demo: None,
            compare: None,
            notice: None,
            run: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{snapshot, thread};
    use super::*;

    #[test]
    fn history_follows_each_core_and_parallelism() {
        let mut model = Model::new();
        model.ingest(Arc::new(snapshot(
            0,
            [10.0, 20.0],
            vec![thread(1, "a", 50.0, 'R')],
        )));
        model.ingest(Arc::new(snapshot(
            1,
            [30.0, 40.0],
            vec![thread(1, "a", 75.0, 'R'), thread(2, "b", 75.0, 'R')],
        )));
        let core1: Vec<_> = model
            .core_history(1)
            .expect("core 1")
            .iter()
            .copied()
            .collect();
        assert_eq!(core1, [Some(20.0), Some(40.0)]);
        let par: Vec<_> = model.parallelism_history().iter().copied().collect();
        assert_eq!(par, [None, Some(1.5)], "no rate before a second tick");
        assert_eq!(model.latest().map(|s| s.seq), Some(1));
    }

    #[test]
    fn dropped_ticks_become_gaps_not_invented_values() {
        let mut model = Model::new();
        model.ingest(Arc::new(snapshot(0, [10.0, 10.0], vec![])));
        model.ingest(Arc::new(snapshot(3, [90.0, 90.0], vec![])));
        let core0: Vec<_> = model
            .core_history(0)
            .expect("core 0")
            .iter()
            .copied()
            .collect();
        assert_eq!(core0, [Some(10.0), None, None, Some(90.0)]);
        assert_eq!(model.missed_ticks(), 2);
    }

    #[test]
    fn history_stays_bounded() {
        let mut model = Model::new();
        for seq in 0..(HISTORY_LEN as u64 * 2) {
            model.ingest(Arc::new(snapshot(seq, [1.0, 2.0], vec![])));
        }
        assert_eq!(model.core_history(0).expect("core 0").len(), HISTORY_LEN);
        assert_eq!(model.parallelism_history().len(), HISTORY_LEN);
    }
}
