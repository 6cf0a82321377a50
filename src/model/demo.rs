//! History of a running demo: each worker's timeline, each queue's depth and
//! each semaphore's use, one entry per tick, bounded like every history.
//!
//! A worker's timeline cell is derived from two consecutive readings of its
//! probe: the nanoseconds it spent in each state between them. The cell keeps
//! the two states it spent most time in and their proportion, which is what a
//! one-character cell can show (`▌` half computing, half waiting).

use corescope_demos::probes::{WorkerReading, WorkerState};
use corescope_demos::run::DemoSample;
use corescope_widgets::{Activity, LaneCell};

use super::{HISTORY_LEN, PercentHistory, RingBuffer};

/// A worker's timeline: one cell per tick, `None` where there was no reading.
pub(crate) type Lane = RingBuffer<Option<LaneCell>>;

/// The demo's history.
#[derive(Debug, Clone, Default)]
pub struct DemoHistory {
    /// Which run this history belongs to: (demo, mode name).
    run: Option<(&'static str, &'static str)>,
    last_elapsed: std::time::Duration,
    previous: Vec<WorkerReading>,
    lanes: Vec<Lane>,
    queues: Vec<PercentHistory>,
    semaphores: Vec<PercentHistory>,
}

impl DemoHistory {
    /// Takes in the demo part of a snapshot.
    pub fn ingest(&mut self, sample: &DemoSample, gaps: usize) {
        let run = (sample.name, sample.mode.name());
        // A restart (or another demo) starts every history afresh: its probes
        // are new, and deltas against the old ones would be nonsense.
        if self.run != Some(run) || sample.elapsed < self.last_elapsed {
            *self = Self {
                run: Some(run),
                ..Self::default()
            };
        }
        self.last_elapsed = sample.elapsed;

        let workers = &sample.probes.workers;
        self.lanes
            .resize_with(workers.len(), || RingBuffer::new(HISTORY_LEN));
        for (index, (reading, lane)) in workers.iter().zip(&mut self.lanes).enumerate() {
            push_gaps(lane, gaps);
            let cell = self
                .previous
                .get(index)
                .and_then(|before| lane_cell(before, reading));
            lane.push(cell);
        }
        self.previous.clone_from(workers);

        let queues = &sample.probes.queues;
        self.queues
            .resize_with(queues.len(), || RingBuffer::new(HISTORY_LEN));
        for (queue, history) in queues.iter().zip(&mut self.queues) {
            push_gaps(history, gaps);
            history.push(percent(queue.depth, queue.capacity));
        }
        let semaphores = &sample.probes.semaphores;
        self.semaphores
            .resize_with(semaphores.len(), || RingBuffer::new(HISTORY_LEN));
        for (semaphore, history) in semaphores.iter().zip(&mut self.semaphores) {
            push_gaps(history, gaps);
            history.push(percent(
                u64::from(semaphore.in_use),
                u64::from(semaphore.permits),
            ));
        }
    }

    /// The timeline of the `index`-th worker of the latest sample.
    #[must_use]
    pub fn lane(&self, index: usize) -> Option<&Lane> {
        self.lanes.get(index)
    }

    /// Depth history of the `index`-th queue, percent of capacity.
    #[must_use]
    pub fn queue_depth(&self, index: usize) -> Option<&PercentHistory> {
        self.queues.get(index)
    }

    /// Use history of the `index`-th semaphore, percent of its permits.
    #[must_use]
    pub fn semaphore_use(&self, index: usize) -> Option<&PercentHistory> {
        self.semaphores.get(index)
    }
}

fn push_gaps<T>(history: &mut RingBuffer<Option<T>>, gaps: usize) {
    for _ in 0..gaps {
        history.push(None);
    }
}

fn percent(value: u64, of: u64) -> Option<f32> {
    (of > 0).then(|| (value as f64 * 100.0 / of as f64) as f32)
}

/// How many workers the demo screen shows: one lane per worker probe, and
/// the title counts the same lanes, so the two never disagree (a demo whose
/// round runs 3 consumers and a producer has 4 workers, whatever its
/// `--workers` knob says). Before the first worker has registered, there is
/// no lane yet, and the count asked for stands in.
#[must_use]
pub(crate) fn workers_shown(sample: &DemoSample) -> usize {
    match sample.probes.workers.len() {
        0 => sample.workers,
        lanes => lanes,
    }
}

/// The widget's name for what a worker does.
#[must_use]
pub(crate) const fn activity(state: WorkerState) -> Activity {
    match state {
        WorkerState::Idle => Activity::Idle,
        WorkerState::Computing => Activity::Computing,
        WorkerState::WaitingLock => Activity::WaitingLock,
        WorkerState::WaitingPermit => Activity::WaitingPermit,
        WorkerState::WaitingQueue => Activity::WaitingQueue,
        WorkerState::WaitingGil => Activity::WaitingGil,
        WorkerState::SleepingIo => Activity::SleepingIo,
        WorkerState::Done => Activity::Done,
    }
}

/// The cell for the time between two readings of one worker: its two main
/// states and how the time split between them. `None` if no time is known
/// (not started, or a new worker in an old slot).
fn lane_cell(before: &WorkerReading, now: &WorkerReading) -> Option<LaneCell> {
    if now.tid == 0 || before.tid != now.tid {
        return None;
    }
    let mut spent: Vec<(WorkerState, u64)> = WorkerState::ALL
        .iter()
        .map(|s| {
            (
                *s,
                now.state_ns[*s as usize].saturating_sub(before.state_ns[*s as usize]),
            )
        })
        .filter(|(_, ns)| *ns > 0)
        .collect();
    spent.sort_by_key(|(_, ns)| std::cmp::Reverse(*ns));
    let (first, first_ns) = *spent.first()?;
    let (second, second_ns) = spent.get(1).copied().unwrap_or((first, 0));
    Some(LaneCell::new(
        activity(first),
        activity(second),
        (first_ns as f64 / (first_ns + second_ns) as f64) as f32,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_title_counts_the_lanes_drawn() {
        let mut sample = crate::model::fixtures::demo_snapshot(1).demo.expect("demo");
        // Two lanes drawn, whatever the knob says.
        sample.workers = 3;
        assert_eq!(workers_shown(&sample), sample.probes.workers.len());
        // Before the first worker registers there is no lane: the knob.
        sample.probes.workers.clear();
        assert_eq!(workers_shown(&sample), 3);
    }

    fn reading(tid: i32, ns: &[(WorkerState, u64)]) -> WorkerReading {
        let mut state_ns = [0; WorkerState::COUNT];
        for (state, n) in ns {
            state_ns[*state as usize] = *n;
        }
        WorkerReading {
            pid: 1,
            tid,
            state: WorkerState::Computing,
            tasks_done: 0,
            state_ns,
        }
    }

    #[test]
    fn a_cell_splits_between_the_two_main_states() {
        let before = reading(
            7,
            &[
                (WorkerState::Computing, 100),
                (WorkerState::WaitingGil, 100),
            ],
        );
        let now = reading(
            7,
            &[
                (WorkerState::Computing, 400),
                (WorkerState::WaitingGil, 200),
                (WorkerState::Idle, 110),
            ],
        );
        let cell = lane_cell(&before, &now).expect("cell");
        assert_eq!(
            (cell.first, cell.second),
            (Activity::Computing, Activity::Idle)
        );
        assert!(
            (cell.first_share - 300.0 / 410.0).abs() < 1e-6,
            "300 of the 410 ns the two kept states took"
        );
    }

    #[test]
    fn one_state_fills_the_cell_and_a_new_thread_is_a_gap() {
        let before = reading(7, &[(WorkerState::SleepingIo, 0)]);
        let now = reading(7, &[(WorkerState::SleepingIo, 500)]);
        let cell = lane_cell(&before, &now).expect("cell");
        assert_eq!(cell.first, Activity::SleepingIo);
        assert!((cell.first_share - 1.0).abs() < f32::EPSILON);
        assert_eq!(
            lane_cell(&reading(7, &[]), &reading(8, &[(WorkerState::Idle, 5)])),
            None
        );
        assert_eq!(
            lane_cell(&reading(0, &[]), &reading(0, &[])),
            None,
            "not started"
        );
    }
}
