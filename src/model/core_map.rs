//! Where each thread of the watched tree ran, tick by tick: the history behind
//! the thread-to-core map.
//!
//! A cell is the CPU a thread last ran on in a tick and the share of the tick
//! it ran, from its CPU time and `processor` field; a thread that did not run
//! in a tick (or was not read) has no cell. Every lane gets one cell per tick,
//! so all lanes stay aligned in time. Bounded twice: [`CORE_MAP_LEN`] ticks
//! per lane, and a lane is dropped once its thread has been gone for a whole
//! window (or, past [`MAX_LANES`], the longest-gone first).

use std::collections::HashMap;

use corescope_widgets::CoreCell;

use super::RingBuffer;
use crate::snapshot::{Snapshot, ThreadSample};

/// Ticks kept per thread: two minutes at 500 ms, wider than any map drawn.
pub(crate) const CORE_MAP_LEN: usize = 240;
/// Most lanes kept: live threads, then those that exited most recently.
pub(super) const MAX_LANES: usize = 4096;

/// One thread's history.
#[derive(Debug, Clone)]
pub struct CoreLane {
    /// The thread's name when last seen: the one its runtime gave (a
    /// Python thread's) once it gave one, else the kernel's.
    pub name: String,
    /// Its runtime gave it a name.
    runtime_named: bool,
    /// Where it ran, oldest tick first.
    pub cells: RingBuffer<Option<CoreCell>>,
    /// Ticks since it was last seen alive (0: in the latest snapshot).
    gone_for: usize,
}

/// Every thread's lane, by TID.
#[derive(Debug, Clone, Default)]
pub struct CoreMap {
    lanes: HashMap<i32, CoreLane>,
}

impl CoreMap {
    /// Adds one tick from `snapshot`, after `gaps` ticks that never arrived.
    pub fn ingest(&mut self, snapshot: &Snapshot, gaps: usize) {
        for lane in self.lanes.values_mut() {
            for _ in 0..gaps.min(CORE_MAP_LEN) {
                lane.cells.push(None);
            }
            lane.gone_for += gaps + 1;
        }
        let names = snapshot
            .run
            .as_ref()
            .and_then(|run| run.python.as_ref())
            .map(|python| &python.names);
        for thread in &snapshot.target.threads {
            let lane = self.lanes.entry(thread.tid).or_insert_with(|| CoreLane {
                name: String::new(),
                runtime_named: false,
                cells: RingBuffer::new(CORE_MAP_LEN),
                gone_for: 0,
            });
            match names.and_then(|n| n.thread(thread.pid, thread.tid)) {
                Some(name) => {
                    name.clone_into(&mut lane.name);
                    lane.runtime_named = true;
                }
                // An ending thread is no longer named: it keeps its name.
                None if lane.runtime_named => {}
                None => lane.name.clone_from(&thread.name),
            }
            lane.gone_for = 0;
            lane.cells.push(cell_of(thread));
        }
        for lane in self.lanes.values_mut().filter(|lane| lane.gone_for > 0) {
            lane.cells.push(None);
        }
        self.lanes.retain(|_, lane| lane.gone_for < CORE_MAP_LEN);
        if self.lanes.len() > MAX_LANES {
            let mut gone: Vec<(usize, i32)> = self
                .lanes
                .iter()
                .map(|(tid, lane)| (lane.gone_for, *tid))
                .collect();
            gone.sort_unstable_by(|a, b| b.cmp(a));
            for (_, tid) in gone.into_iter().take(self.lanes.len() - MAX_LANES) {
                self.lanes.remove(&tid);
            }
        }
    }

    /// The lane of thread `tid`.
    #[must_use]
    pub fn lane(&self, tid: i32) -> Option<&CoreLane> {
        self.lanes.get(&tid)
    }

    /// Threads gone from the tree whose lanes are still in the window, by TID.
    #[must_use]
    pub fn exited(&self) -> Vec<(i32, &CoreLane)> {
        let mut gone: Vec<(i32, &CoreLane)> = self
            .lanes
            .iter()
            .filter(|(_, lane)| lane.gone_for > 0)
            .map(|(tid, lane)| (*tid, lane))
            .collect();
        gone.sort_unstable_by_key(|(tid, _)| *tid);
        gone
    }

    /// Lanes held.
    #[must_use]
    pub fn len(&self) -> usize {
        self.lanes.len()
    }

    /// True when no lane is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.lanes.is_empty()
    }
}

/// The cell of one thread's tick: where it ran, if it ran and we know where.
fn cell_of(thread: &ThreadSample) -> Option<CoreCell> {
    let busy_pct = thread.cpu_pct.filter(|pct| *pct > 0.0)?;
    Some(CoreCell::new(thread.last_cpu?, busy_pct))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::model::fixtures::{snapshot, thread};

    fn cells(map: &CoreMap, tid: i32) -> Vec<Option<(u32, f32)>> {
        map.lane(tid)
            .expect("lane")
            .cells
            .iter()
            .map(|c| c.map(|c| (c.core(), c.busy_pct().unwrap_or(f32::NAN))))
            .collect()
    }

    #[test]
    fn a_cell_names_the_core_a_thread_ran_on_and_idle_ticks_are_blank() {
        let mut map = CoreMap::default();
        let mut idle = thread(2, "idle", 0.0, 'S');
        idle.last_cpu = Some(1);
        map.ingest(
            &snapshot(0, [0.0, 0.0], vec![thread(1, "busy", 80.0, 'R'), idle]),
            0,
        );
        let mut unknown = thread(1, "busy", 50.0, 'R');
        unknown.last_cpu = None;
        map.ingest(&snapshot(1, [0.0, 0.0], vec![unknown]), 0);
        assert_eq!(cells(&map, 1), [Some((1, 80.0)), None]);
        assert_eq!(cells(&map, 2), [None, None], "did not run, then gone");
        assert_eq!(
            map.exited().iter().map(|(t, _)| *t).collect::<Vec<_>>(),
            [2]
        );
    }

    #[test]
    fn a_lane_keeps_the_python_name_its_thread_had() {
        let mut map = CoreMap::default();
        let named = |named: bool| {
            let mut snap = snapshot(0, [0.0, 0.0], vec![thread(7, "python3", 5.0, 'R')]);
            let mut python = crate::python_probes::PythonProbes::default();
            if named {
                python.names.threads.insert(
                    7,
                    crate::python_probes::TaskName {
                        pid: snap.target.threads[0].pid,
                        name: "worker-1".to_owned(),
                    },
                );
            }
            snap.run = Some(crate::snapshot::RunSample {
                log: None,
                output: std::sync::Arc::from(Vec::new()),
                exit: None,
                python: Some(python),
            });
            snap
        };
        map.ingest(
            &snapshot(0, [0.0, 0.0], vec![thread(7, "python3", 5.0, 'R')]),
            0,
        );
        assert_eq!(map.lane(7).map(|l| l.name.as_str()), Some("python3"));
        map.ingest(&named(true), 0);
        map.ingest(&named(false), 0);
        map.ingest(&snapshot(3, [0.0, 0.0], vec![]), 0);
        assert_eq!(
            map.exited().first().map(|(_, l)| l.name.as_str()),
            Some("worker-1"),
            "the exited lane keeps the Python name, even past its last named tick"
        );
    }

    #[test]
    fn lanes_stay_aligned_through_gaps_and_go_after_a_window() {
        let mut map = CoreMap::default();
        let busy = || vec![thread(1, "a", 10.0, 'R')];
        map.ingest(&snapshot(0, [0.0, 0.0], busy()), 0);
        map.ingest(&snapshot(3, [0.0, 0.0], busy()), 2);
        assert_eq!(cells(&map, 1).len(), 4, "two missed ticks are two blanks");
        for seq in 4..(4 + CORE_MAP_LEN as u64) {
            map.ingest(&snapshot(seq, [0.0, 0.0], vec![]), 0);
        }
        assert!(map.is_empty(), "gone for a whole window: dropped");
    }

    #[test]
    fn lanes_are_bounded_dropping_the_longest_gone() {
        let mut map = CoreMap::default();
        let many = |from: i32| -> Vec<ThreadSample> {
            (from..from + MAX_LANES as i32)
                .map(|tid| thread(tid, "t", 1.0, 'R'))
                .collect()
        };
        map.ingest(&snapshot(0, [0.0, 0.0], many(0)), 0);
        map.ingest(&snapshot(1, [0.0, 0.0], many(10)), 0);
        assert_eq!(map.len(), MAX_LANES);
        assert!(map.lane(9).is_none() && map.lane(10).is_some());
        let model = Arc::new(snapshot(2, [0.0, 0.0], vec![]));
        map.ingest(&model, 0);
        assert_eq!(map.len(), MAX_LANES);
    }
}
