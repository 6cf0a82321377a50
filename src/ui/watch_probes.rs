//! The probes of a Python program on the watch screen (`run -- python3 …`):
//! its locks in the demos' lock table (wait p50/p99, hold, contention) and
//! its semaphores and queues as the demos' level gauges (permits in use and
//! waiters; depth against capacity, peak, puts and gets), its executors as
//! gauges of busy workers with their pending tasks as waiting, its barriers
//! as parties arrived, its events' and conditions' waiters against their
//! peak; each named by the variable and line that created it. Its threads
//! and processes take their Python names in the thread table, the map and
//! the process tree ([`thread_name`], [`process_name`]).
//!
//! The panel takes rows only when the program has probes with something to
//! show, at most half the body, so the thread table stays on screen.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::{Block, Borders};

use corescope_widgets::{LevelGauge, LockRow, LockTable, Theme};

use crate::python_probes::PythonProbes;
use crate::snapshot::Snapshot;

/// From this width the locks table and the gauges sit side by side (below
/// it, the table gets the whole width, so that lock names are not cut).
const SIDE_BY_SIDE_FROM: u16 = 160;

/// `probes on · ` for the title bar of a command with probes (before the
/// command line, which a narrow title bar cuts).
pub(crate) fn title_note(snapshot: &Snapshot) -> &'static str {
    if snapshot.python_probes().is_some() {
        "probes on · "
    } else {
        ""
    }
}

/// Rows the panel wants out of a body of `height` rows and `width` columns.
pub(crate) fn rows(snapshot: &Snapshot, width: u16, height: u16) -> u16 {
    let Some(probes) = snapshot.python_probes() else {
        return 0;
    };
    let locks = probes.locks.len() as u16;
    let gauges = levels(probes).len() as u16;
    let table = if locks > 0 { locks + 3 } else { 0 };
    let levels = if gauges > 0 { gauges + 2 } else { 0 };
    let wanted = if width >= SIDE_BY_SIDE_FROM {
        table.max(levels)
    } else {
        table + levels
    };
    let rows = wanted.min(height / 2);
    if rows < 3 { 0 } else { rows }
}

/// Draws the panel into `area` (nothing into an empty one).
pub(crate) fn render(snapshot: &Snapshot, frame: &mut Frame, area: Rect, theme: &Theme) {
    let Some(probes) = snapshot.python_probes().filter(|_| !area.is_empty()) else {
        return;
    };
    let has_locks = !probes.locks.is_empty();
    let has_levels = !levels(probes).is_empty();
    let (locks, levels) = match (has_locks, has_levels) {
        (true, false) => (area, Rect::default()),
        (false, _) => (Rect::default(), area),
        (true, true) if area.width >= SIDE_BY_SIDE_FROM => {
            let [l, r] =
                Layout::horizontal([Constraint::Percentage(55), Constraint::Min(0)]).areas(area);
            (l, r)
        }
        (true, true) => {
            let table = probes.locks.len() as u16 + 3;
            let [l, r] = Layout::vertical([Constraint::Max(table), Constraint::Min(0)]).areas(area);
            (l, r)
        }
    };
    render_locks(probes, frame, locks, theme);
    render_levels(probes, frame, levels, theme);
}

fn bordered<'a>(title: &'a str, theme: &Theme) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(title)
}

fn render_locks(probes: &PythonProbes, frame: &mut Frame, area: Rect, theme: &Theme) {
    if area.height < 3 {
        return;
    }
    let rows: Vec<LockRow<'_>> = probes
        .locks
        .iter()
        .map(|l| LockRow {
            name: &l.name,
            acquires: l.acquires,
            contended: l.contended,
            waiting_now: l.waiters,
            wait_p50_ns: l.wait_ns.p50,
            wait_p99_ns: l.wait_ns.p99,
            wait_max_ns: l.wait_ns.max,
            hold_p50_ns: l.hold_ns.p50,
            hold_p99_ns: l.hold_ns.p99,
        })
        .collect();
    frame.render_widget(
        LockTable::new(&rows)
            .block(bordered(" Python locks ", theme))
            .theme(*theme),
        area,
    );
}

/// One gauge of the levels panel.
struct Level<'a> {
    name: &'a str,
    value: u64,
    capacity: u64,
    peak: Option<u64>,
    /// `None`: no waiting count shown.
    waiting: Option<u64>,
    unit: String,
}

/// Waiters against the most seen (a level with no capacity of its own).
fn of_peak(name: &str, waiters: u64, peak: u64, unit: String) -> Level<'_> {
    Level {
        name,
        value: waiters,
        capacity: peak.max(waiters).max(1),
        peak: Some(peak),
        waiting: None,
        unit,
    }
}

/// The gauges: semaphores, queues, executors, barriers, events, conditions.
fn levels(probes: &PythonProbes) -> Vec<Level<'_>> {
    let mut out = Vec::new();
    for s in &probes.semaphores {
        out.push(Level {
            name: &s.name,
            value: s.in_use,
            capacity: s.permits,
            peak: Some(s.peak_in_use),
            waiting: Some(s.waiters),
            unit: "permits in use".to_owned(),
        });
    }
    for q in &probes.queues {
        let bound = if q.capacity == 0 {
            " (unbounded: of peak)"
        } else {
            ""
        };
        let end = if q.sentinels > 0 { ", None seen" } else { "" };
        // An unbounded queue is drawn against its peak (the gauge reads a
        // capacity of 0 as unknown, which this one is not).
        let peak = q.peak_depth.unwrap_or(q.depth);
        let capacity = if q.capacity == 0 {
            peak.max(q.depth).max(1)
        } else {
            q.capacity
        };
        out.push(Level {
            name: &q.name,
            value: q.depth,
            capacity,
            peak: q.peak_depth,
            waiting: None,
            unit: format!("items{bound} · {} put, {} got{end}", q.sent, q.received),
        });
    }
    for e in &probes.executors {
        out.push(Level {
            name: &e.name,
            value: e.busy,
            capacity: e.workers,
            peak: e.peak_busy,
            waiting: Some(e.pending),
            unit: format!(
                "workers busy · {} submitted, {} done",
                e.submitted, e.finished
            ),
        });
    }
    for b in &probes.barriers {
        let broken = if b.broken > 0 {
            format!(", {} broken", b.broken)
        } else {
            String::new()
        };
        out.push(Level {
            name: &b.name,
            value: b.waiting,
            capacity: b.parties,
            peak: Some(b.peak_waiting),
            waiting: None,
            unit: format!("parties arrived · {} trips{broken}", b.trips),
        });
    }
    for e in &probes.events {
        let flag = if e.is_set { "set" } else { "clear" };
        let unit = format!(
            "waiting (of peak) · {flag} · {} sets, {} clears",
            e.sets, e.clears
        );
        out.push(of_peak(&e.name, e.waiters, e.peak_waiters, unit));
    }
    for c in &probes.conditions {
        let unit = format!(
            "waiting (of peak) · {} waits, {} notifies",
            c.waits, c.notifies
        );
        out.push(of_peak(&c.name, c.waiters, c.peak_waiters, unit));
    }
    out
}

fn render_levels(probes: &PythonProbes, frame: &mut Frame, area: Rect, theme: &Theme) {
    let levels = levels(probes);
    if levels.is_empty() || area.height < 3 {
        return;
    }
    let more = probes.semaphores.len() + probes.queues.len() < levels.len();
    let title = if more {
        " Python pools, barriers, events, conditions, semaphores, queues "
    } else {
        " Python semaphores and queues "
    };
    let block = bordered(title, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let rows = Layout::vertical(vec![Constraint::Length(1); levels.len()]).split(inner);
    for (row, level) in rows.iter().zip(&levels) {
        let mut gauge = LevelGauge::new(level.name, level.value, level.capacity)
            .unit(&level.unit)
            .theme(*theme);
        if let Some(peak) = level.peak {
            gauge = gauge.peak(peak);
        }
        if let Some(waiting) = level.waiting {
            gauge = gauge.waiting(Some(waiting));
        }
        frame.render_widget(gauge, *row);
    }
}

#[cfg(test)]
mod tests {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::*;
    use crate::python_probes::{
        ProbeBarrier, ProbeCondition, ProbeEvent, ProbeExecutor, ProbeLock, ProbeQueue,
        ProbeSemaphore, ProbesStatus, PythonProbes, Spread,
    };

    fn spread(p50: u64, p99: u64) -> Spread {
        Spread {
            count: 40,
            mean: Some(p50),
            p50: Some(p50),
            p99: Some(p99),
            max: Some(p99),
        }
    }

    fn probes() -> PythonProbes {
        PythonProbes {
            probes: ProbesStatus {
                on: true,
                processes: 3,
                notices: Vec::new(),
            },
            locks: vec![ProbeLock {
                name: "lock (counter.py:20)".to_owned(),
                type_name: "Lock".to_owned(),
                processes: 1,
                acquires: 400_000,
                contended: 1_562,
                waiters: 2,
                peak_waiters: 3,
                wait_ns: spread(8_191, 16_777_215),
                hold_ns: Spread::default(),
                futex_words: Vec::new(),
            }],
            semaphores: vec![ProbeSemaphore {
                name: "sem (semaphore.py:15)".to_owned(),
                type_name: "Semaphore".to_owned(),
                processes: 1,
                permits: 2,
                in_use: 2,
                peak_in_use: 2,
                waiters: 3,
                peak_waiters: 3,
                acquires: 2,
                contended: 0,
                wait_ns: Spread::default(),
            }],
            queues: vec![ProbeQueue {
                name: "queue (sender_receiver.py:41)".to_owned(),
                type_name: "mp.Queue".to_owned(),
                processes: 3,
                capacity: 0,
                depth: 1,
                peak_depth: Some(5),
                sent: 6,
                received: 5,
                sentinels: 1,
            }],
            ..PythonProbes::default()
        }
    }

    /// The probes of a program with an executor, a barrier, an event and a
    /// condition beside a lock.
    fn more_probes() -> PythonProbes {
        let mut probes = probes();
        probes.semaphores.clear();
        probes.queues.clear();
        probes.executors = vec![ProbeExecutor {
            name: "pool (fetch.py:12)".to_owned(),
            type_name: "ThreadPoolExecutor".to_owned(),
            processes: 1,
            workers: 4,
            busy: 3,
            peak_busy: Some(4),
            pending: 6,
            peak_pending: Some(9),
            submitted: 20,
            started: 14,
            finished: 11,
            cancelled: 0,
        }];
        probes.barriers = vec![ProbeBarrier {
            name: "barrier (phases.py:9)".to_owned(),
            type_name: "Barrier".to_owned(),
            processes: 1,
            parties: 3,
            waiting: 2,
            peak_waiting: 3,
            arrivals: 11,
            trips: 3,
            broken: 0,
            wait_ns: Spread::default(),
        }];
        probes.events = vec![ProbeEvent {
            name: "ready (gate.py:5)".to_owned(),
            type_name: "Event".to_owned(),
            processes: 1,
            is_set: false,
            sets: 2,
            clears: 2,
            waits: 7,
            waiters: 2,
            peak_waiters: 4,
            timeouts: 0,
            wait_ns: Spread::default(),
        }];
        probes.conditions = vec![ProbeCondition {
            name: "cond (buffer.py:7)".to_owned(),
            type_name: "Condition".to_owned(),
            processes: 1,
            waits: 9,
            notifies: 12,
            notified: 9,
            waiters: 1,
            peak_waiters: 2,
            timeouts: 0,
            wait_ns: Spread::default(),
        }];
        probes
    }

    fn probed_with(python: PythonProbes) -> Snapshot {
        let mut snap = crate::model::fixtures::snapshot(3, [40.0, 20.0], Vec::new());
        snap.run = Some(crate::snapshot::RunSample {
            log: None,
            output: std::sync::Arc::from(Vec::new()),
            exit: None,
            python: Some(python),
        });
        snap
    }

    fn probed() -> Snapshot {
        probed_with(probes())
    }

    fn screen(width: u16, height: u16) -> String {
        screen_of(&probed(), width, height)
    }

    fn screen_of(snap: &Snapshot, width: u16, height: u16) -> String {
        let snap = snap.clone();
        let rows = rows(&snap, width, height * 2);
        let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
        terminal
            .draw(|frame| {
                let area = Rect::new(0, 0, width, rows.min(height));
                render(&snap, frame, area, &Theme::dark());
            })
            .expect("draw");
        format!("{}", terminal.backend())
    }

    #[test]
    fn probes_at_80x24() {
        insta::assert_snapshot!(screen(80, 24));
    }

    #[test]
    fn probes_at_120x40() {
        insta::assert_snapshot!(screen(120, 40));
    }

    #[test]
    fn probes_side_by_side_at_200x50() {
        insta::assert_snapshot!(screen(200, 50));
    }

    #[test]
    fn pools_barriers_events_and_conditions_at_80x24() {
        insta::assert_snapshot!(screen_of(&probed_with(more_probes()), 80, 24));
    }

    #[test]
    fn pools_barriers_events_and_conditions_at_200x50() {
        insta::assert_snapshot!(screen_of(&probed_with(more_probes()), 200, 50));
    }

    #[test]
    fn python_names_replace_the_kernels_only_for_their_own_threads() {
        let mut python = probes();
        python.names.threads.insert(
            11,
            crate::python_probes::TaskName {
                pid: 4242,
                name: "worker-1".to_owned(),
            },
        );
        python
            .names
            .processes
            .insert(4242, "SenderProcess-1".to_owned());
        let snap = probed_with(python);
        let mut thread = crate::model::fixtures::thread(11, "python3", 10.0, 'R');
        assert_eq!(snap.thread_name(&thread), "worker-1");
        thread.pid = 4;
        assert_eq!(
            snap.thread_name(&thread),
            "python3",
            "another process's thread 11"
        );
        let process = &snap.target.processes[0];
        assert_eq!(snap.process_name(process), "SenderProcess-1");
        let unnamed = probed();
        assert_eq!(unnamed.process_name(process), "python3");
    }

    #[test]
    fn no_probes_take_no_rows_and_tiny_areas_draw_nothing() {
        let snap = crate::model::fixtures::snapshot(3, [40.0, 20.0], Vec::new());
        assert_eq!(rows(&snap, 120, 40), 0);
        assert_eq!(title_note(&snap), "");
        let snap = probed();
        assert_eq!(title_note(&snap), "probes on · ");
        assert_eq!(
            rows(&snap, 80, 5),
            0,
            "never more than half the body, nor under 3 rows"
        );
        let mut terminal = Terminal::new(TestBackend::new(6, 2)).expect("terminal");
        terminal
            .draw(|frame| render(&snap, frame, Rect::new(0, 0, 6, 2), &Theme::dark()))
            .expect("a tiny area draws without a panic");
    }
}
