//! The named probes of one running demo, and the report the sampler copies.
//!
//! Owns `ProbeRegistry` (where a demo registers its locks, semaphores, queues,
//! conditions, events, barriers, workers and task counter) and `ProbeReport`
//! (plain owned data). Registration is rare and takes a mutex; `report` takes
//! the same mutex only to walk the list, never a lock a worker uses, and only
//! loads atomics, so reporting never blocks the code being measured.

use std::collections::BTreeMap;

use parking_lot::Mutex;

use super::ProbeRef;
use super::lock::{LockReport, LockStats};
use super::queue::{QueueReport, QueueStats};
use super::semaphore::{SemaphoreReport, SemaphoreStats};
use super::sync::{
    BarrierReport, BarrierStats, ConditionReport, ConditionStats, EventReport, EventStats,
};
use super::tasks::{TaskReport, TaskStats};
use super::worker::{WorkerProbe, WorkerReading};

/// A list of named probes of one kind, in registration order.
type Named<T> = Vec<(String, ProbeRef<T>)>;

/// The probes of one demo run. Share it as `Arc<ProbeRegistry>` between the
/// demo (which registers) and the sampler (which reports).
///
/// Names need not be unique: each `lock`, `semaphore`, ... call registers a
/// new probe, since stats must not be shared between two primitives. Workers
/// are keyed by index instead: asking for the same index again returns the
/// same probe, so a restarted worker keeps its history.
#[derive(Debug, Default)]
pub struct ProbeRegistry {
    probes: Mutex<Probes>,
}

#[derive(Debug, Default)]
struct Probes {
    locks: Named<LockStats>,
    semaphores: Named<SemaphoreStats>,
    queues: Named<QueueStats>,
    conditions: Named<ConditionStats>,
    events: Named<EventStats>,
    barriers: Named<BarrierStats>,
    workers: BTreeMap<usize, ProbeRef<WorkerProbe>>,
    tasks: Option<ProbeRef<TaskStats>>,
}

/// Everything the probes of one demo say at one instant, as plain data.
#[derive(Clone, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct ProbeReport {
    /// Locks and re-entrant locks, in registration order.
    pub locks: Vec<LockReport>,
    /// Semaphores, in registration order.
    pub semaphores: Vec<SemaphoreReport>,
    /// Queues, in registration order.
    pub queues: Vec<QueueReport>,
    /// Conditions, in registration order.
    pub conditions: Vec<ConditionReport>,
    /// Events, in registration order.
    pub events: Vec<EventReport>,
    /// Barriers, in registration order.
    pub barriers: Vec<BarrierReport>,
    /// Workers, in order of their index.
    pub workers: Vec<WorkerReading>,
    /// The demo's task counts, if it registered a task counter.
    pub tasks: Option<TaskReport>,
}

fn register<T>(list: &mut Named<T>, name: &str, probe: ProbeRef<T>) -> ProbeRef<T> {
    list.push((name.to_owned(), probe.clone()));
    probe
}

fn reports<T, R>(list: &Named<T>, report: impl Fn(&T, &str) -> R) -> Vec<R> {
    list.iter()
        .map(|(name, probe)| report(probe, name))
        .collect()
}

impl ProbeRegistry {
    /// A registry with no probes.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers new lock statistics under `name` (for a mutex or a
    /// re-entrant lock).
    pub fn lock(&self, name: &str) -> ProbeRef<LockStats> {
        self.register_lock(name, ProbeRef::default())
    }

    /// Registers lock statistics that live in shared memory.
    pub fn register_lock_shared(
        &self,
        name: &str,
        stats: &'static LockStats,
    ) -> ProbeRef<LockStats> {
        self.register_lock(name, ProbeRef::Shared(stats))
    }

    fn register_lock(&self, name: &str, stats: ProbeRef<LockStats>) -> ProbeRef<LockStats> {
        register(&mut self.probes.lock().locks, name, stats)
    }

    /// Registers new statistics for a semaphore of `permits` permits.
    pub fn semaphore(&self, name: &str, permits: u32) -> ProbeRef<SemaphoreStats> {
        let stats = ProbeRef::new(SemaphoreStats::new());
        stats.set_permits(permits);
        register(&mut self.probes.lock().semaphores, name, stats)
    }

    /// Registers new statistics for a queue of `capacity` items.
    pub fn queue(&self, name: &str, capacity: usize) -> ProbeRef<QueueStats> {
        let stats = ProbeRef::new(QueueStats::new());
        stats.set_capacity(capacity as u64);
        self.register_queue(name, stats)
    }

    /// Registers queue statistics that live in shared memory.
    pub fn register_queue_shared(
        &self,
        name: &str,
        stats: &'static QueueStats,
    ) -> ProbeRef<QueueStats> {
        self.register_queue(name, ProbeRef::Shared(stats))
    }

    fn register_queue(&self, name: &str, stats: ProbeRef<QueueStats>) -> ProbeRef<QueueStats> {
        register(&mut self.probes.lock().queues, name, stats)
    }

    /// Registers new condition statistics.
    pub fn condition(&self, name: &str) -> ProbeRef<ConditionStats> {
        register(
            &mut self.probes.lock().conditions,
            name,
            ProbeRef::default(),
        )
    }

    /// Registers new event statistics.
    pub fn event(&self, name: &str) -> ProbeRef<EventStats> {
        register(&mut self.probes.lock().events, name, ProbeRef::default())
    }

    /// Registers new statistics for a barrier of `parties` threads.
    pub fn barrier(&self, name: &str, parties: u32) -> ProbeRef<BarrierStats> {
        let stats = ProbeRef::new(BarrierStats::new());
        stats.set_parties(parties);
        register(&mut self.probes.lock().barriers, name, stats)
    }

    /// The probe of worker `index`, created on first use.
    pub fn worker(&self, index: usize) -> ProbeRef<WorkerProbe> {
        self.probes.lock().workers.entry(index).or_default().clone()
    }

    /// Makes a probe in shared memory the probe of worker `index`, replacing
    /// any earlier one.
    pub fn register_worker_shared(
        &self,
        index: usize,
        probe: &'static WorkerProbe,
    ) -> ProbeRef<WorkerProbe> {
        let probe = ProbeRef::Shared(probe);
        self.probes.lock().workers.insert(index, probe.clone());
        probe
    }

    /// Starts every worker's count of finished tasks over: a new round
    /// begins. Called between rounds, when no worker runs.
    pub fn start_round(&self) {
        for probe in self.probes.lock().workers.values() {
            probe.start_round();
        }
    }

    /// The demo's task counter, created on first use.
    pub fn tasks(&self) -> ProbeRef<TaskStats> {
        self.probes.lock().tasks.get_or_insert_default().clone()
    }

    /// Makes a counter in shared memory the demo's task counter, replacing
    /// any earlier one.
    pub fn register_tasks_shared(&self, tasks: &'static TaskStats) -> ProbeRef<TaskStats> {
        let tasks = ProbeRef::Shared(tasks);
        self.probes.lock().tasks = Some(tasks.clone());
        tasks
    }

    /// Copies every probe out. Loads atomics only; never waits on a lock that
    /// a worker takes.
    #[must_use]
    pub fn report(&self) -> ProbeReport {
        let probes = self.probes.lock();
        ProbeReport {
            locks: reports(&probes.locks, LockStats::report),
            semaphores: reports(&probes.semaphores, SemaphoreStats::report),
            queues: reports(&probes.queues, QueueStats::report),
            conditions: reports(&probes.conditions, ConditionStats::report),
            events: reports(&probes.events, EventStats::report),
            barriers: reports(&probes.barriers, BarrierStats::report),
            workers: probes.workers.values().map(|probe| probe.read()).collect(),
            tasks: probes.tasks.as_ref().map(|tasks| tasks.report()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ProbeRegistry;
    use crate::probes::{
        BoundedQueue, InstrumentedMutex, InstrumentedSemaphore, LockStats, TaskStats, WorkerProbe,
        WorkerState,
    };
    use std::sync::Arc;

    static SHARED_LOCK: LockStats = LockStats::new();
    static SHARED_WORKER: WorkerProbe = WorkerProbe::new();
    static SHARED_TASKS: TaskStats = TaskStats::new();

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn an_empty_registry_reports_nothing() {
        assert_send_sync::<ProbeRegistry>();
        assert_eq!(ProbeRegistry::new().report(), super::ProbeReport::default());
    }

    #[test]
    fn reports_every_registered_probe_by_name() {
        let registry = Arc::new(ProbeRegistry::new());
        let mutex = InstrumentedMutex::new(0, registry.lock("balance"));
        let semaphore = InstrumentedSemaphore::new(2, registry.semaphore("pool", 2)).unwrap();
        let queue = BoundedQueue::new(3, registry.queue("jobs", 3)).unwrap();
        registry.condition("ready");
        registry.event("go");
        registry.barrier("line", 4);
        registry.tasks().set_total(5);
        *mutex.lock() += 1;
        let _permit = semaphore.acquire();
        queue.send(1).unwrap();
        registry.tasks().done();
        registry.worker(1).set_state(WorkerState::Computing);
        registry.worker(0);

        let report = registry.report();
        assert_eq!(report.locks[0].name, "balance");
        assert_eq!(report.locks[0].acquires, 1);
        assert_eq!(
            (report.semaphores[0].permits, report.semaphores[0].in_use),
            (2, 1)
        );
        assert_eq!((report.queues[0].capacity, report.queues[0].depth), (3, 1));
        assert_eq!(report.conditions[0].name, "ready");
        assert_eq!(report.events[0].name, "go");
        assert_eq!(report.barriers[0].parties, 4);
        assert_eq!(report.workers.len(), 2);
        assert_eq!(report.workers[1].state, WorkerState::Computing);
        assert_eq!(
            report.tasks.map(|tasks| (tasks.total, tasks.done)),
            Some((5, 1))
        );
    }

    #[test]
    fn the_same_worker_index_gives_the_same_probe() {
        let registry = ProbeRegistry::new();
        registry.worker(3).task_done();
        registry.worker(3).task_done();
        assert_eq!(registry.report().workers[0].tasks_done, 2);
    }

    #[test]
    fn shared_probes_report_like_owned_ones() {
        let registry = ProbeRegistry::new();
        let mutex = InstrumentedMutex::new((), registry.register_lock_shared("shm", &SHARED_LOCK));
        drop(mutex.lock());
        registry
            .register_worker_shared(0, &SHARED_WORKER)
            .task_done();
        registry.register_tasks_shared(&SHARED_TASKS).done();
        let report = registry.report();
        assert_eq!(
            (report.locks[0].name.as_str(), report.locks[0].acquires),
            ("shm", 1)
        );
        assert_eq!(report.workers[0].tasks_done, 1);
        registry.start_round();
        assert_eq!(
            registry.report().workers[0].tasks_done,
            0,
            "a new round counts its own tasks"
        );
        assert_eq!(report.tasks.map(|tasks| tasks.done), Some(1));
    }
}
