//! `corescope compare`: one workload run as sequential, threads, gil,
//! processes and async, one after the other, every figure measured.
//!
//! Each mode is the `cpu-vs-io` demo with the same tasks; `sequential` is one
//! worker doing them one after another (run, not computed), which every
//! speedup is measured against. A mode's row is measured over exactly its own
//! run: wall time from the demo, cores used from the process's CPU time over
//! that time (`getrusage`), the machine's busy share from `/proc/stat` read at
//! its start and end, the start cost of its workers, and memory per worker
//! (each worker process's peak RSS; for threads and async tasks, the growth of
//! corescope's own RSS while the mode ran, per worker or task).

use std::collections::BTreeMap;

use anyhow::Result;

use corescope_demos::catalog::Mode;
use corescope_demos::config::{DemoConfig, DemoRequest};
use corescope_demos::demos::scaling::ScalingOutcome;
use corescope_demos::host::DemoHost;
use corescope_demos::outcome::Outcome;
use corescope_demos::run::{DemoSample, Rounds};

use crate::report::round2;
use crate::sampler::CpuReader;
use crate::snapshot::compare::{CompareMode, ComparePlan, CompareRow, CompareSample};
use crate::snapshot::{CoreSample, Snapshot};

/// A mode under way.
struct Running {
    mode: CompareMode,
    host: DemoHost,
    cpu: CpuReader,
    rss_before_kib: Option<u64>,
    rss_peak_kib: Option<u64>,
    /// Peak RSS of each worker process seen, by pid.
    worker_rss_kib: BTreeMap<i32, u64>,
}

/// The comparison: the modes done, the one under way, the ones to come.
pub(crate) struct Comparison {
    plan: ComparePlan,
    next: usize,
    running: Option<Running>,
    rows: Vec<CompareRow>,
    error: Option<String>,
}

impl Comparison {
    /// A comparison of `plan`; nothing runs until the first `step`. Every
    /// mode's configuration is checked now, so a plan that one mode cannot
    /// run (65 worker processes) fails before anything starts.
    pub(crate) fn new(plan: ComparePlan) -> Result<Self> {
        for mode in CompareMode::ALL {
            config_for(&plan, mode)?;
        }
        Ok(Self {
            plan,
            next: 0,
            running: None,
            rows: Vec::new(),
            error: None,
        })
    }

    /// True once every mode has run (or one failed to start).
    #[must_use]
    pub(crate) fn is_finished(&self) -> bool {
        self.running.is_none() && (self.next >= CompareMode::ALL.len() || self.error.is_some())
    }

    /// The rows so far.
    #[must_use]
    pub(crate) fn rows(&self) -> &[CompareRow] {
        &self.rows
    }

    /// The mode under way's demo, for its live figures.
    #[must_use]
    pub(crate) fn demo_sample(&self) -> Option<DemoSample> {
        self.running.as_ref().map(|r| r.host.sample())
    }

    /// Where the comparison stands.
    #[must_use]
    pub(crate) fn sample(&self) -> CompareSample {
        CompareSample {
            plan: self.plan,
            rows: self.rows.clone(),
            running: self.running.as_ref().map(|r| r.mode),
            error: self.error.clone(),
        }
    }

    /// Takes in the latest snapshot of corescope's own tree (for memory),
    /// ends the mode under way if its demo finished, and starts the next.
    /// `baseline` is a snapshot taken just now, before any next mode starts.
    pub(crate) fn step(&mut self, snapshot: &Snapshot) {
        if let Some(running) = &mut self.running {
            observe(running, snapshot);
            if running.host.is_finished() {
                let running = self.running.take();
                if let Some(running) = running {
                    let row = self.finish(running);
                    self.rows.push(row);
                }
            }
        }
        if self.running.is_none() && self.next < CompareMode::ALL.len() && self.error.is_none() {
            let mode = CompareMode::ALL[self.next];
            self.next += 1;
            match self.start(mode, snapshot) {
                Ok(running) => self.running = Some(running),
                Err(err) => self.error = Some(format!("{err:#}")),
            }
        }
    }

    /// Ends the comparison with `why`, shown in place of the next mode.
    pub(crate) fn fail(&mut self, why: String) {
        self.stop();
        self.error = Some(why);
    }

    /// Stops the mode under way; the comparison ends there.
    pub(crate) fn stop(&mut self) {
        if let Some(mut running) = self.running.take() {
            running.host.stop();
        }
        self.next = CompareMode::ALL.len();
    }

    fn start(&self, mode: CompareMode, baseline: &Snapshot) -> Result<Running> {
        let config = config_for(&self.plan, mode)?;
        let mut cpu =
            CpuReader::open().map_err(|e| anyhow::anyhow!("cannot read /proc/stat: {e:?}"))?;
        cpu.sample();
        let own = own_rss_kib(baseline);
        Ok(Running {
            mode,
            host: DemoHost::start(config, Rounds::Once)?,
            cpu,
            rss_before_kib: own,
            rss_peak_kib: own,
            worker_rss_kib: BTreeMap::new(),
        })
    }

    fn finish(&self, mut running: Running) -> CompareRow {
        let busy = running.cpu.sample();
        let demo = running.host.sample();
        let scaling = demo
            .outcome
            .as_ref()
            .and_then(Outcome::get::<ScalingOutcome>);
        let (wall_ms, tasks_done, max_concurrent) = match scaling {
            Some(o) => (o.wall_ms, o.tasks_done, Some(o.max_concurrent)),
            None => (demo.elapsed.as_secs_f64() * 1e3, 0, None),
        };
        let sequential = self
            .rows
            .first()
            .filter(|r| r.mode == CompareMode::Sequential)
            .map(|r| r.wall_ms);
        let per_worker = match running.mode {
            CompareMode::Processes => {
                let rss: Vec<u64> = running.worker_rss_kib.values().copied().collect();
                (!rss.is_empty()).then(|| rss.iter().sum::<u64>() as f64 / rss.len() as f64)
            }
            // A task's memory is its future, on the heap: the growth of the
            // process while they existed, per task.
            CompareMode::Async => {
                running
                    .rss_peak_kib
                    .zip(running.rss_before_kib)
                    .map(|(peak, before)| {
                        peak.saturating_sub(before) as f64 / self.plan.tasks.max(1) as f64
                    })
            }
            // A thread's memory is its stack, measured by each as it ended.
            _ => demo.thread_stack_kib,
        };
        CompareRow {
            mode: running.mode,
            wall_ms: round2(wall_ms),
            speedup: match (running.mode, sequential) {
                (CompareMode::Sequential, _) => Some(1.0),
                (_, Some(seq)) if wall_ms > 0.0 => Some(round2(seq / wall_ms)),
                _ => None,
            },
            cpu_busy_pct: mean_busy(&busy).map(round2),
            parallelism: demo.run_parallelism.map(round2),
            start_us_per_worker: demo.start_latency.map(|s| round2(s.mean_ns as f64 / 1e3)),
            rss_kib_per_worker: per_worker.map(round2),
            tasks_done,
            max_concurrent,
        }
    }
}

/// The `cpu-vs-io` configuration that runs `plan` as `mode`.
fn config_for(plan: &ComparePlan, mode: CompareMode) -> Result<DemoConfig> {
    let (demo_mode, workers) = match mode {
        CompareMode::Sequential => (Mode::Threads, 1),
        CompareMode::Threads => (Mode::Threads, plan.workers),
        CompareMode::Gil => (Mode::Gil, plan.workers),
        CompareMode::Processes => (Mode::Processes, plan.workers),
        CompareMode::Async => (Mode::Async, plan.workers),
    };
    let request = DemoRequest {
        name: "cpu-vs-io".to_owned(),
        mode: Some(demo_mode),
        kind: Some(plan.kind),
        values: vec![
            ("workers".to_owned(), workers as u64),
            ("tasks".to_owned(), plan.tasks),
            ("work-ms".to_owned(), plan.work_ms),
        ],
        ..DemoRequest::default()
    };
    DemoConfig::new(&request)
        .map_err(|e| anyhow::Error::new(crate::error::UsageError(format!("{mode} mode: {e}"))))
}

/// Memory seen in a snapshot: corescope's own peak, and each worker process's.
fn observe(running: &mut Running, snapshot: &Snapshot) {
    if let Some(own) = own_rss_kib(snapshot) {
        running.rss_peak_kib = Some(running.rss_peak_kib.map_or(own, |peak| peak.max(own)));
    }
    for process in &snapshot.target.processes {
        if process.pid != snapshot.target.root_pid
            && let Some(rss) = process.rss_kib
        {
            let peak = running.worker_rss_kib.entry(process.pid).or_default();
            *peak = (*peak).max(rss);
        }
    }
}

fn own_rss_kib(snapshot: &Snapshot) -> Option<u64> {
    let root = snapshot.target.root_pid;
    snapshot
        .target
        .processes
        .iter()
        .find(|p| p.pid == root)?
        .rss_kib
}

fn mean_busy(cores: &[CoreSample]) -> Option<f64> {
    let known: Vec<f64> = cores
        .iter()
        .filter_map(|c| c.busy_pct)
        .map(f64::from)
        .collect();
    (!known.is_empty()).then(|| known.iter().sum::<f64>() / known.len() as f64)
}

#[cfg(test)]
mod tests {
    use corescope_demos::registry;

    use super::*;

    /// The `--help` text's promise, checked: the workload is the
    /// catalogue's `cpu-vs-io`, so every mode compared is one it runs.
    #[test]
    fn the_workload_runs_in_every_compared_mode() {
        let spec = registry::find("cpu-vs-io").expect("the cpu-vs-io demo");
        for mode in [Mode::Threads, Mode::Gil, Mode::Processes, Mode::Async] {
            assert!(
                spec.modes.contains(&mode),
                "expected cpu-vs-io to run in {mode:?}, it runs in {:?}",
                spec.modes
            );
        }
    }

    #[test]
    fn the_busy_mean_ignores_cores_without_a_reading() {
        let cores = [
            CoreSample {
                core: 0,
                busy_pct: Some(40.0),
            },
            CoreSample {
                core: 1,
                busy_pct: None,
            },
            CoreSample {
                core: 2,
                busy_pct: Some(60.0),
            },
        ];
        assert_eq!(mean_busy(&cores), Some(50.0));
        assert_eq!(mean_busy(&[]), None);
    }
}
