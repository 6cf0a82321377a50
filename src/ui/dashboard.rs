//! The dashboard screen: header, per-core load with history, counts, the
//! thread table and the key hints.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use corescope_widgets::{Stat, StatLine, Theme, ThreadFlag, ThreadRow, ThreadTable};

use super::chrome::{render_cores, render_footer, title_bar};
use super::format;
use crate::app::{App, sorted_threads};
use crate::snapshot::{Snapshot, ThreadSample};

/// A thread that spent at least this share of the interval runnable but not
/// running is flagged as waiting for a CPU.
const RUNQ_WAIT_FLAG_PCT: f32 = 10.0;

/// Draws the dashboard into `area`.
pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let theme = &Theme::default();
    let model = app.visible_model();
    let core_rows = model.latest().map_or(1, |s| s.cores.len()) as u16;
    // Cores get their rows (plus borders) but at most half of what is left
    // after the fixed lines; the widget packs columns when that is too few.
    let spare = area.height.saturating_sub(3);
    let cores_height = (core_rows + 2).min((spare / 2).max(3));
    let [header, cores, stats, threads, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(cores_height),
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);

    let detail = model
        .latest()
        .map(|s| format!(" PID {} {} ", s.target.root_pid, s.target.command));
    frame.render_widget(title_bar(app, model, detail, theme), header);
    let Some(snapshot) = model.latest() else {
        let waiting = Paragraph::new("waiting for the first sample…").style(theme.dim);
        frame.render_widget(waiting, cores);
        render_footer(app, frame, footer, theme);
        return;
    };
    render_cores(model, snapshot, frame, cores, theme);
    let stat_values = stats_of(snapshot);
    frame.render_widget(StatLine::new(&stat_values).theme(*theme), stats);
    render_threads(app, snapshot, frame, threads, theme);
    render_footer(app, frame, footer, theme);
}

/// The stat line: parallelism, threads, processes, memory, load.
pub fn stats_of(snapshot: &Snapshot) -> Vec<Stat<'static>> {
    let target = &snapshot.target;
    let live_processes = target.processes.iter().filter(|p| p.state != 'Z').count();
    let mut stats = Vec::new();
    if !target.alive {
        stats.push(Stat {
            label: "target",
            value: "exited".to_owned(),
            emphasis: true,
        });
    }
    stats.push(Stat {
        label: "parallelism",
        value: target
            .parallelism
            .map_or_else(|| "? cores".to_owned(), |p| format!("{p:.2} cores")),
        emphasis: true,
    });
    stats.push(Stat {
        label: "threads",
        value: format!("{} (peak {})", target.threads.len(), target.threads_peak),
        emphasis: false,
    });
    stats.push(Stat {
        label: "processes",
        value: format!("{live_processes} (peak {})", target.processes_peak),
        emphasis: false,
    });
    stats.push(Stat {
        label: "memory",
        value: snapshot.memory.map_or_else(
            || "?".to_owned(),
            |m| {
                format!(
                    "{} / {}",
                    format::bytes(m.used_bytes),
                    format::bytes(m.total_bytes)
                )
            },
        ),
        emphasis: false,
    });
    stats.push(Stat {
        label: "load",
        value: snapshot.load_average.map_or_else(
            || "?".to_owned(),
            |[a, b, c]| format!("{a:.2} {b:.2} {c:.2}"),
        ),
        emphasis: false,
    });
    stats
}

fn flag_of(thread: &ThreadSample) -> ThreadFlag {
    if thread.blocked_on_futex() {
        ThreadFlag::BlockedOnLock
    } else if thread
        .runq_wait_pct
        .is_some_and(|p| p >= RUNQ_WAIT_FLAG_PCT)
    {
        ThreadFlag::WaitingForCpu
    } else {
        ThreadFlag::None
    }
}

/// Draws the thread table, sorted and scrolled as the user chose.
pub fn render_threads(
    app: &App,
    snapshot: &Snapshot,
    frame: &mut Frame,
    area: Rect,
    theme: &Theme,
) {
    let sort = app.sort();
    let ordered = sorted_threads(snapshot, sort);
    let rows: Vec<ThreadRow<'_>> = ordered
        .iter()
        .map(|t| ThreadRow {
            pid: t.pid,
            tid: t.tid,
            name: &t.name,
            state: t.state,
            last_cpu: t.last_cpu,
            cpu_pct: t.cpu_pct,
            voluntary_per_sec: t.voluntary_per_sec,
            involuntary_per_sec: t.nonvoluntary_per_sec,
            runq_wait_pct: t.runq_wait_pct,
            flag: flag_of(t),
        })
        .collect();
    let selected = app
        .selected_tid()
        .and_then(|tid| ordered.iter().position(|t| t.tid == tid));
    let title = Line::from(vec![
        Span::raw(" Threads "),
        Span::styled("yellow", theme.warn),
        Span::raw(": waiting for a CPU  "),
        Span::styled("red", theme.alert),
        Span::raw(": blocked on a lock (futex) "),
    ]);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(title);
    let table = ThreadTable::new(&rows)
        .block(block)
        .theme(*theme)
        .selected(selected)
        .sorted_by(Some(sort.column));
    frame.render_widget(&table, area);
}
