//! The probes of a Python program on the watch screen (`run -- python3 …`):
//! its locks in the demos' lock table (wait p50/p99, hold, contention) and
//! its semaphores and queues as the demos' level gauges (permits in use and
//! waiters; depth against capacity, peak, puts and gets), each named by the
//! variable and line that created it.
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

/// The probes of `snapshot`'s command, when it has any to show.
pub(crate) fn of(snapshot: &Snapshot) -> Option<&PythonProbes> {
    snapshot
        .run
        .as_ref()
        .and_then(|run| run.python.as_ref())
        .filter(|p| p.probes.on)
}

/// `probes on · ` for the title bar of a command with probes (before the
/// command line, which a narrow title bar cuts).
pub(crate) fn title_note(snapshot: &Snapshot) -> &'static str {
    if of(snapshot).is_some() {
        "probes on · "
    } else {
        ""
    }
}

/// Rows the panel wants out of a body of `height` rows and `width` columns.
pub(crate) fn rows(snapshot: &Snapshot, width: u16, height: u16) -> u16 {
    let Some(probes) = of(snapshot) else {
        return 0;
    };
    let locks = probes.locks.len() as u16;
    let gauges = (probes.semaphores.len() + probes.queues.len()) as u16;
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
    let Some(probes) = of(snapshot).filter(|_| !area.is_empty()) else {
        return;
    };
    let has_locks = !probes.locks.is_empty();
    let has_levels = !probes.semaphores.is_empty() || !probes.queues.is_empty();
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

fn render_levels(probes: &PythonProbes, frame: &mut Frame, area: Rect, theme: &Theme) {
    let count = probes.semaphores.len() + probes.queues.len();
    if count == 0 || area.height < 3 {
        return;
    }
    let block = bordered(" Python semaphores and queues ", theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let rows = Layout::vertical(vec![Constraint::Length(1); count]).split(inner);
    for (row, s) in rows.iter().zip(&probes.semaphores) {
        let gauge = LevelGauge::new(&s.name, s.in_use, s.permits)
            .peak(s.peak_in_use)
            .waiting(Some(s.waiters))
            .unit("permits in use")
            .theme(*theme);
        frame.render_widget(gauge, *row);
    }
    let units: Vec<String> = probes
        .queues
        .iter()
        .map(|q| {
            let bound = if q.capacity == 0 {
                " (unbounded: of peak)"
            } else {
                ""
            };
            let end = if q.sentinels > 0 { ", None seen" } else { "" };
            format!("items{bound} · {} put, {} got{end}", q.sent, q.received)
        })
        .collect();
    for ((row, q), unit) in rows
        .iter()
        .skip(probes.semaphores.len())
        .zip(&probes.queues)
        .zip(&units)
    {
        // An unbounded queue is drawn against its peak (the gauge reads a
        // capacity of 0 as unknown, which this one is not).
        let peak = q.peak_depth.unwrap_or(q.depth);
        let scale = if q.capacity == 0 {
            peak.max(q.depth).max(1)
        } else {
            q.capacity
        };
        let mut gauge = LevelGauge::new(&q.name, q.depth, scale)
            .unit(unit)
            .theme(*theme);
        if let Some(peak) = q.peak_depth {
            gauge = gauge.peak(peak);
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
        ProbeLock, ProbeQueue, ProbeSemaphore, ProbesStatus, PythonProbes, Spread,
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
        }
    }

    fn probed() -> Snapshot {
        let mut snap = crate::model::fixtures::snapshot(3, [40.0, 20.0], Vec::new());
        snap.run = Some(crate::snapshot::RunSample {
            log: None,
            output: std::sync::Arc::from(Vec::new()),
            exit: None,
            python: Some(probes()),
        });
        snap
    }

    fn screen(width: u16, height: u16) -> String {
        let snap = probed();
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
