//! What the thread table and the process tree show of a snapshot: the rows
//! the user's filter keeps, in the order chosen, and (in the tree view) the
//! threads grouped under their processes.
//!
//! The app moves its selection through exactly these rows and the screens
//! draw exactly these, so a key never selects a row that is not on screen.

use std::collections::HashMap;

use corescope_widgets::ThreadColumn;

use crate::snapshot::{ProcessSample, Snapshot, ThreadSample};

/// How the user asked the thread table to look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TableChoice<'a> {
    /// The order of the threads (within each process, in the tree view).
    pub(crate) sort: ThreadSort,
    /// The filter text; empty keeps every thread.
    pub(crate) filter: &'a str,
    /// True to nest the threads under their processes.
    pub(crate) tree: bool,
}

/// The short label of each lock of the snapshot, by process and address.
pub(crate) fn lock_labels(snapshot: &Snapshot) -> HashMap<(i32, u64), &str> {
    snapshot
        .target
        .locks
        .iter()
        .flatten()
        .map(|lock| ((lock.pid, lock.address), short_label(&lock.label)))
        .collect()
}

/// A lock's label without its explanation: `CPython GIL` for
/// `CPython GIL (in _PyRuntime)`.
pub(crate) fn short_label(label: &str) -> &str {
    label.split_once(" (").map_or(label, |(short, _)| short)
}

/// True when `filter` keeps a row of `name`, ids `ids`, state `state` and
/// lock label `lock`: the text (ignoring case) is part of the name, of an id
/// or of the lock's label, or is the state letter itself.
fn matches(filter: &str, name: &str, ids: &[i32], state: char, lock: Option<&str>) -> bool {
    let wanted = filter.trim().to_lowercase();
    if wanted.is_empty() {
        return true;
    }
    let mut letters = wanted.chars();
    let is_state = letters
        .next()
        .is_some_and(|c| c == state.to_ascii_lowercase())
        && letters.next().is_none();
    is_state
        || name.to_lowercase().contains(&wanted)
        || ids.iter().any(|id| id.to_string().contains(&wanted))
        || lock.is_some_and(|label| label.to_lowercase().contains(&wanted))
}

/// True when `filter` keeps `thread`: by name (Python's where the probes give it), TID, PID, state or the short
/// label of the lock it waits on.
pub(crate) fn thread_matches(
    snapshot: &Snapshot,
    thread: &ThreadSample,
    labels: &HashMap<(i32, u64), &str>,
    filter: &str,
) -> bool {
    let lock = thread
        .waiting_on
        .and_then(|address| labels.get(&(thread.pid, address)).copied());
    matches(
        filter,
        snapshot.thread_name(thread),
        &[thread.tid, thread.pid],
        thread.state,
        lock,
    )
}

/// True when `filter` keeps `process`: by name, PID or state.
pub(crate) fn process_matches(snapshot: &Snapshot, process: &ProcessSample, filter: &str) -> bool {
    matches(
        filter,
        snapshot.process_name(process),
        &[process.pid],
        process.state,
        None,
    )
}

/// The threads the table shows, in its order: those the filter keeps,
/// sorted; in the tree view grouped by process, the processes in tree order.
pub(crate) fn shown_threads<'a>(
    snapshot: &'a Snapshot,
    choice: TableChoice<'_>,
) -> Vec<&'a ThreadSample> {
    let labels = lock_labels(snapshot);
    let kept: Vec<&ThreadSample> = sorted_threads(snapshot, choice.sort)
        .into_iter()
        .filter(|t| thread_matches(snapshot, t, &labels, choice.filter))
        .collect();
    if !choice.tree {
        return kept;
    }
    let mut grouped = Vec::with_capacity(kept.len());
    for pid in process_order(snapshot) {
        grouped.extend(kept.iter().filter(|t| t.pid == pid));
    }
    grouped
}

/// The PIDs of the processes in tree order, then any PID a thread names that
/// the process list lacks (never expected), so that no thread is lost.
fn process_order(snapshot: &Snapshot) -> Vec<i32> {
    let mut pids: Vec<i32> = tree_order(snapshot).iter().map(|(_, p)| p.pid).collect();
    for thread in &snapshot.target.threads {
        if !pids.contains(&thread.pid) {
            pids.push(thread.pid);
        }
    }
    pids
}

/// The processes of `snapshot` in tree order, each with its depth: the root
/// first, every process after its parent, children by PID.
pub(crate) fn tree_order(snapshot: &Snapshot) -> Vec<(u16, &ProcessSample)> {
    let processes = &snapshot.target.processes;
    let mut children: HashMap<i32, Vec<&ProcessSample>> = HashMap::new();
    for process in processes {
        children.entry(process.ppid).or_default().push(process);
    }
    for list in children.values_mut() {
        list.sort_by_key(|p| p.pid);
    }
    let mut ordered = Vec::with_capacity(processes.len());
    let mut stack: Vec<(u16, &ProcessSample)> = processes
        .iter()
        .filter(|p| p.pid == snapshot.target.root_pid)
        .map(|p| (0, p))
        .collect();
    while let Some((depth, process)) = stack.pop() {
        ordered.push((depth, process));
        if let Some(list) = children.get(&process.pid) {
            stack.extend(list.iter().rev().map(|child| (depth + 1, *child)));
        }
    }
    // Anything not reached from the root (never expected) still shows.
    for process in processes {
        if !ordered.iter().any(|(_, p)| p.pid == process.pid) {
            ordered.push((0, process));
        }
    }
    ordered
}

/// One process's totals over the threads shown under it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ProcessGroup<'a> {
    /// Its PID.
    pub pid: i32,
    /// Its name, when the process list has it (else its first thread's).
    pub name: &'a str,
    /// Its resident memory, when known.
    pub rss_kib: Option<u64>,
    /// Threads shown under it.
    pub threads: usize,
    /// Their CPU percents summed; `None` when none of them is known.
    pub cpu_pct: Option<f32>,
    /// Their voluntary switch rates summed; `None` when none is known.
    pub voluntary_per_sec: Option<f32>,
    /// Their involuntary switch rates summed; `None` when none is known.
    pub involuntary_per_sec: Option<f32>,
    /// How many are in each state, as `2R 3S` (states in the kernel's
    /// letters, most common first).
    pub states: String,
}

/// The sum of the known values; `None` when none is known.
fn sum(values: impl Iterator<Item = Option<f32>>) -> Option<f32> {
    values
        .flatten()
        .fold(None, |total, v| Some(total.unwrap_or(0.0) + v))
}

/// The totals of each run of threads of one process in `threads` (as
/// [`shown_threads`] groups them in the tree view), with the index of the
/// group's first thread.
pub(crate) fn groups<'a>(
    snapshot: &'a Snapshot,
    threads: &[&'a ThreadSample],
) -> Vec<(usize, ProcessGroup<'a>)> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < threads.len() {
        let pid = threads[start].pid;
        let end = threads[start..]
            .iter()
            .position(|t| t.pid != pid)
            .map_or(threads.len(), |n| start + n);
        let members = &threads[start..end];
        let process = snapshot.target.processes.iter().find(|p| p.pid == pid);
        let mut counts: Vec<(char, usize)> = Vec::new();
        for thread in members {
            match counts.iter_mut().find(|(state, _)| *state == thread.state) {
                Some((_, n)) => *n += 1,
                None => counts.push((thread.state, 1)),
            }
        }
        counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let states = counts
            .iter()
            .map(|(state, n)| format!("{n}{state}"))
            .collect::<Vec<_>>()
            .join(" ");
        out.push((
            start,
            ProcessGroup {
                pid,
                name: process.map_or(members[0].name.as_str(), |p| p.name.as_str()),
                rss_kib: process.and_then(|p| p.rss_kib),
                threads: members.len(),
                cpu_pct: sum(members.iter().map(|t| t.cpu_pct)),
                voluntary_per_sec: sum(members.iter().map(|t| t.voluntary_per_sec)),
                involuntary_per_sec: sum(members.iter().map(|t| t.nonvoluntary_per_sec)),
                states,
            },
        ));
        start = end;
    }
    out
}

/// The columns the thread table may be sorted by, in the sort menu's order:
/// a thread's own columns (a process's totals are not sorted on).
pub(crate) const SORTABLE: [ThreadColumn; 13] = [
    ThreadColumn::CpuPct,
    ThreadColumn::RunqWait,
    ThreadColumn::FutexShare,
    ThreadColumn::Voluntary,
    ThreadColumn::Involuntary,
    ThreadColumn::State,
    ThreadColumn::Nice,
    ThreadColumn::LastCpu,
    ThreadColumn::WaitingOn,
    ThreadColumn::Wchan,
    ThreadColumn::Name,
    ThreadColumn::Tid,
    ThreadColumn::Pid,
];

/// The order a column is first sorted in: names and ids from the smallest,
/// figures from the largest (the busiest first, as in htop).
pub(crate) const fn descending_first(column: ThreadColumn) -> bool {
    !matches!(
        column,
        ThreadColumn::Name
            | ThreadColumn::Tid
            | ThreadColumn::Pid
            | ThreadColumn::Wchan
            | ThreadColumn::WaitingOn
            | ThreadColumn::Nice
    )
}

/// How the thread table is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ThreadSort {
    /// The column sorted on.
    pub(crate) column: ThreadColumn,
    /// Largest first.
    pub(crate) descending: bool,
}

impl Default for ThreadSort {
    /// Busiest threads first, as in htop.
    fn default() -> Self {
        Self {
            column: ThreadColumn::CpuPct,
            descending: true,
        }
    }
}

/// The snapshot's threads in the table's order (by the names shown:
/// Python's where the probes give them). Unknown values sort last in
/// both directions: "unknown" is not "smallest".
#[must_use]
pub(crate) fn sorted_threads(snapshot: &Snapshot, sort: ThreadSort) -> Vec<&ThreadSample> {
    use std::cmp::Ordering;
    fn by_option<T: PartialOrd>(a: Option<T>, b: Option<T>, descending: bool) -> Ordering {
        match (a, b) {
            (Some(a), Some(b)) => {
                let order = a.partial_cmp(&b).unwrap_or(Ordering::Equal);
                if descending { order.reverse() } else { order }
            }
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        }
    }
    let mut threads: Vec<&ThreadSample> = snapshot.target.threads.iter().collect();
    let d = sort.descending;
    // Threads waiting on a lock sort by its label, as the column shows it.
    let labels = lock_labels(snapshot);
    let lock = |t: &ThreadSample| {
        t.waiting_on
            .and_then(|address| labels.get(&(t.pid, address)).copied())
    };
    threads.sort_by(|a, b| {
        let primary = match sort.column {
            ThreadColumn::Pid => by_option(Some(a.pid), Some(b.pid), d),
            ThreadColumn::Tid => by_option(Some(a.tid), Some(b.tid), d),
            ThreadColumn::Name => by_option(
                Some(snapshot.thread_name(a)),
                Some(snapshot.thread_name(b)),
                d,
            ),
            ThreadColumn::State => by_option(Some(a.state), Some(b.state), d),
            ThreadColumn::LastCpu => by_option(a.last_cpu, b.last_cpu, d),
            ThreadColumn::CpuPct => by_option(a.cpu_pct, b.cpu_pct, d),
            ThreadColumn::Voluntary => by_option(a.voluntary_per_sec, b.voluntary_per_sec, d),
            ThreadColumn::Involuntary => {
                by_option(a.nonvoluntary_per_sec, b.nonvoluntary_per_sec, d)
            }
            ThreadColumn::RunqWait => by_option(a.runq_wait_pct, b.runq_wait_pct, d),
            ThreadColumn::WaitingOn => by_option(lock(a), lock(b), d),
            ThreadColumn::FutexShare => by_option(a.futex_wait_pct, b.futex_wait_pct, d),
            ThreadColumn::Nice => by_option(a.nice, b.nice, d),
            ThreadColumn::Wchan => by_option(a.wchan.as_ref(), b.wchan.as_ref(), d),
            // A process's own figures: its threads keep their id order.
            ThreadColumn::Threads | ThreadColumn::Memory => std::cmp::Ordering::Equal,
        };
        primary.then(a.tid.cmp(&b.tid))
    });
    threads
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures::{snapshot, thread};

    fn two_processes() -> Snapshot {
        let mut child = thread(50, "child", 30.0, 'R');
        child.pid = 50;
        let mut waiter = thread(12, "waiter", 0.0, 'S');
        waiter.waiting_on = Some(0x1000);
        let mut snap = snapshot(
            1,
            [0.0, 0.0],
            vec![
                thread(4242, "python3", 1.0, 'S'),
                thread(11, "worker-0", 90.0, 'R'),
                waiter,
                child,
            ],
        );
        snap.target.processes = vec![
            ProcessSample {
                pid: 4242,
                ppid: 1,
                name: "python3".to_owned(),
                state: 'S',
                threads: 3,
                rss_kib: Some(10_000),
            },
            ProcessSample {
                pid: 50,
                ppid: 4242,
                name: "child".to_owned(),
                state: 'R',
                threads: 1,
                rss_kib: None,
            },
        ];
        snap.target.locks = Some(vec![crate::snapshot::LockSample {
            pid: 4242,
            address: 0x1000,
            label: "queue_lock (in ./queue)".into(),
            symbol: None,
            kind: crate::snapshot::LockKind::Mutex,
            waiters_now: 1,
            waiters_max: 1,
            waiters_mean: 1.0,
            blocked_ns: 0,
            wait_share: 0.0,
            threads: Vec::new(),
            owner_tid: None,
        }]);
        snap
    }

    fn tids(snap: &Snapshot, filter: &str, tree: bool) -> Vec<i32> {
        let choice = TableChoice {
            sort: ThreadSort::default(),
            filter,
            tree,
        };
        shown_threads(snap, choice).iter().map(|t| t.tid).collect()
    }

    #[test]
    fn the_filter_matches_name_ids_state_and_lock_ignoring_case() {
        let snap = two_processes();
        assert_eq!(tids(&snap, "", false), [11, 50, 4242, 12]);
        assert_eq!(tids(&snap, "WORK", false), [11], "by name, any case");
        assert_eq!(tids(&snap, "4242", false), [11, 4242, 12], "by PID");
        assert_eq!(tids(&snap, "50", false), [50], "by TID");
        assert_eq!(tids(&snap, "r", false), [11, 50, 12], "by state, or a name");
        assert_eq!(tids(&snap, "queue", false), [12], "by lock label");
        assert_eq!(tids(&snap, "nothing-like-it", false), Vec::<i32>::new());
    }

    #[test]
    fn the_tree_view_groups_threads_under_processes_in_tree_order() {
        let snap = two_processes();
        let choice = TableChoice {
            sort: ThreadSort::default(),
            filter: "",
            tree: true,
        };
        let shown = shown_threads(&snap, choice);
        let order: Vec<i32> = shown.iter().map(|t| t.tid).collect();
        assert_eq!(
            order,
            [11, 4242, 12, 50],
            "the root's threads, busiest first"
        );
        let groups = groups(&snap, &shown);
        assert_eq!(groups.len(), 2);
        let (first, root) = &groups[0];
        assert_eq!((*first, root.pid, root.threads), (0, 4242, 3));
        assert_eq!(root.cpu_pct, Some(91.0));
        assert_eq!(root.states, "2S 1R");
        assert_eq!(root.rss_kib, Some(10_000));
        let (first, child) = &groups[1];
        assert_eq!((*first, child.pid, child.threads), (3, 50, 1));
        assert_eq!(child.rss_kib, None, "unknown memory stays unknown");
    }

    #[test]
    fn sorting_by_the_lock_orders_by_its_label_and_the_rest_after() {
        let mut snap = two_processes();
        snap.target.threads[1].waiting_on = Some(0x2000);
        if let Some(locks) = &mut snap.target.locks {
            let mut other = locks[0].clone();
            other.address = 0x2000;
            other.label = "accounts_lock".into();
            locks.push(other);
        }
        let sort = ThreadSort {
            column: ThreadColumn::WaitingOn,
            descending: false,
        };
        let choice = TableChoice {
            sort,
            filter: "",
            tree: false,
        };
        let order: Vec<i32> = shown_threads(&snap, choice).iter().map(|t| t.tid).collect();
        assert_eq!(
            order,
            [11, 12, 50, 4242],
            "accounts_lock, queue_lock, then by TID"
        );
    }

    #[test]
    fn totals_of_unknowns_are_unknown_not_zero() {
        assert_eq!(sum([None, None].into_iter()), None);
        assert_eq!(sum([None, Some(2.0)].into_iter()), Some(2.0));
    }
}
