//! The demo screen: per-core load, one timeline row per worker, the result
//! (expected vs actual), locks, semaphore and queue gauges, warnings, and what
//! to look for.
//!
//! Wide terminals get two columns (workers on the left, the figures on the
//! right); narrow ones stack them, workers and result first.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::{Block, Borders, Sparkline};

use corescope_demos::outcome::Verdict;
use corescope_demos::registry;
use corescope_demos::run::DemoSample;
use corescope_widgets::{
    Comparison, ComparisonRow, LaneSeries, LevelGauge, LockRow, LockTable, Notes, Severity, Stat,
    StatLine, Theme, Warning, Warnings, WorkerLane, WorkerLanes, format_ns,
};

use super::chrome::{render_cores, render_footer, series, title_bar};
use super::dashboard;
use super::format;
use crate::app::App;
use crate::hits::Hits;
use crate::model::{self, Model, warnings};
use crate::picker::Picker;
use crate::snapshot::Snapshot;

/// Below this width the panels stack instead of sitting side by side.
const TWO_COLUMNS_FROM: u16 = 100;

/// Draws the demo screen into `area`.
pub fn render(app: &App, frame: &mut Frame, area: Rect, hits: &mut Hits) {
    let theme = app.theme();
    let model = app.visible_model();
    let (Some(snapshot), Some(demo)) =
        (model.latest(), model.latest().and_then(|s| s.demo.as_ref()))
    else {
        return;
    };
    let found = warnings::warnings(model);
    let warning_rows = (found.len() as u16).min(3);
    let core_rows = (snapshot.cores.len() as u16 + 2).min((area.height / 5).max(3));
    let [header, cores, stats, body, notes, alerts, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(core_rows),
        Constraint::Length(1),
        Constraint::Min(6),
        Constraint::Length(notes_height(area)),
        Constraint::Length(warning_rows),
        Constraint::Length(1),
    ])
    .areas(area);

    frame.render_widget(title_bar(app, model, Some(title(demo)), theme), header);
    render_cores(model, snapshot, frame, cores, theme);
    let stat_values = stats_of(snapshot, demo);
    frame.render_widget(StatLine::new(&stat_values).theme(*theme), stats);
    render_body(app, snapshot, demo, frame, body, theme, hits);
    // In a lesson, the step's own notes; otherwise the demo's.
    if let Some((_, number, steps, step)) = app.picker().and_then(Picker::current_step) {
        let title = format!("Step {number} of {steps}: {}", step.title);
        frame.render_widget(Notes::new(&title, &step.notes).theme(*theme), notes);
    } else if let Some(spec) = registry::find(demo.name) {
        frame.render_widget(
            Notes::new("What to look for", spec.look_for).theme(*theme),
            notes,
        );
    }
    let rows: Vec<Warning<'_>> = found
        .iter()
        .map(|w| Warning {
            severity: match w.severity {
                model::Severity::Info => Severity::Info,
                model::Severity::Warn => Severity::Warn,
                model::Severity::Alert => Severity::Alert,
            },
            text: &w.text,
        })
        .collect();
    frame.render_widget(Warnings::new(&rows).theme(*theme), alerts);
    render_footer(app, frame, footer, theme, hits);
}

/// Rows for "what to look for": more on a tall screen, at least two.
fn notes_height(area: Rect) -> u16 {
    (area.height / 8).clamp(2, 5)
}

fn title(demo: &DemoSample) -> String {
    let mut parts = vec![
        format!("demo {}", demo.name),
        format!("{} mode", demo.mode.name()),
    ];
    parts.push(format::count(model::workers_shown(demo), "worker"));
    if let Some(kind) = demo.kind {
        parts.push(format!("{} tasks", kind.name()));
    }
    parts.push(format!("round {}", demo.round.max(1)));
    if demo.slow_motion > 1 {
        parts.push(format!("{}x slow motion", demo.slow_motion));
    }
    if demo.paused {
        parts.push("workers paused".to_owned());
    }
    format!(" {} ", parts.join(" · "))
}

fn stats_of(snapshot: &Snapshot, demo: &DemoSample) -> Vec<Stat<'static>> {
    let mut stats = vec![Stat {
        label: "parallelism",
        value: snapshot
            .target
            .parallelism
            .map_or_else(|| "? cores".to_owned(), |p| format!("{p:.2} cores")),
        emphasis: true,
    }];
    if let Some(tasks) = &demo.probes.tasks {
        stats.push(Stat {
            label: "tasks",
            value: format!("{} / {}", tasks.done, tasks.total),
            emphasis: false,
        });
    }
    stats.push(Stat {
        label: "threads",
        value: format!(
            "{} (peak {})",
            snapshot.target.threads.len(),
            snapshot.target.threads_peak
        ),
        emphasis: false,
    });
    let processes = snapshot
        .target
        .processes
        .iter()
        .filter(|p| p.state != 'Z')
        .count();
    stats.push(Stat {
        label: "processes",
        value: format!("{processes} (peak {})", snapshot.target.processes_peak),
        emphasis: false,
    });
    if let Some(start) = demo.start_latency {
        stats.push(Stat {
            label: "start",
            value: format!("{} per worker", format_ns(start.mean_ns)),
            emphasis: false,
        });
    }
    // Memory per worker process: what each child holds, as sampled now.
    let children: Vec<u64> = snapshot
        .target
        .processes
        .iter()
        .filter(|p| p.pid != snapshot.target.root_pid && p.state != 'Z')
        .filter_map(|p| p.rss_kib)
        .collect();
    if !children.is_empty() {
        let mean_kib = children.iter().sum::<u64>() / children.len() as u64;
        stats.push(Stat {
            label: "memory",
            value: format!("{} per worker", format::bytes(mean_kib * 1024)),
            emphasis: false,
        });
    }
    if let Some(bytes) = demo.ipc_bytes.filter(|b| *b > 0) {
        stats.push(Stat {
            label: "IPC",
            value: format::bytes(bytes),
            emphasis: false,
        });
    }
    stats
}

// The screen's common arguments and the demo: a struct for them would only be
// built to be taken apart here.
#[allow(clippy::too_many_arguments)]
fn render_body(
    app: &App,
    snapshot: &Snapshot,
    demo: &DemoSample,
    frame: &mut Frame,
    area: Rect,
    theme: &Theme,
    hits: &mut Hits,
) {
    let model = app.visible_model();
    let result_rows = demo.outcome.as_ref().map_or(1, |o| o.lines().len()) as u16 + 3;
    let lock_rows = if demo.probes.locks.is_empty() {
        0
    } else {
        demo.probes.locks.len() as u16 + 3
    };
    let gauges = demo.probes.semaphores.len() + demo.probes.queues.len();
    let gauge_rows = if gauges == 0 {
        0
    } else {
        gauges as u16 * 2 + 2
    };

    // Workers' rows, their borders and the legend line.
    let workers_rows = demo.probes.workers.len() as u16 + 3;
    let (left, right) = if area.width >= TWO_COLUMNS_FROM {
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(58), Constraint::Percentage(42)])
                .areas(area);
        (left, right)
    } else {
        // Stacked: the figures take the rows they can fill (by the same
        // priorities as below), the workers and their chart the rest.
        let budget = area
            .height
            .saturating_sub(workers_rows.min(area.height / 2));
        let figures = priority_rows(
            budget,
            [(result_rows, false), (lock_rows, true), (gauge_rows, true)],
        )
        .iter()
        .sum::<u16>();
        let [top, bottom] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(figures)]).areas(area);
        (top, bottom)
    };
    // The workers take what they need; the rest of the column charts the
    // parallelism over time, the GIL lesson's picture.
    let [workers, chart] =
        Layout::vertical([Constraint::Max(workers_rows), Constraint::Min(0)]).areas(left);
    render_workers(model, snapshot, demo, frame, workers, theme);
    render_parallelism(model, snapshot, frame, chart, theme);
    let [result_rows, lock_rows, gauge_rows] = priority_rows(
        right.height,
        [(result_rows, false), (lock_rows, true), (gauge_rows, true)],
    );
    let [result, locks, levels, threads] = Layout::vertical([
        Constraint::Length(result_rows),
        Constraint::Length(lock_rows),
        Constraint::Length(gauge_rows),
        Constraint::Min(0),
    ])
    .areas(right);
    render_result(demo, frame, result, theme);
    render_locks(demo, frame, locks, theme);
    render_levels(model, demo, frame, levels, theme);
    if threads.height >= MIN_TABLE_ROWS {
        dashboard::render_threads(app, snapshot, frame, threads, theme, hits);
    }
}

/// Shares `rows` among panels in order of priority: each `(wanted, whole)`
/// gets what it wants while rows remain; a `whole` panel gets all or nothing
/// (half a lock table is no table), the others may be cut.
fn priority_rows<const N: usize>(rows: u16, wants: [(u16, bool); N]) -> [u16; N] {
    let mut free = rows;
    wants.map(|(wanted, whole)| {
        let given = if whole && wanted > free {
            0
        } else {
            wanted.min(free)
        };
        free -= given;
        given
    })
}

/// The thread table is drawn only with room for a header and a few rows.
const MIN_TABLE_ROWS: u16 = 5;

/// Cores kept busy, tick by tick, on a scale of 0 to the number of cores:
/// with a GIL it stays at one core however many the machine has.
fn render_parallelism(
    model: &Model,
    snapshot: &Snapshot,
    frame: &mut Frame,
    area: Rect,
    theme: &Theme,
) {
    if area.height < 3 {
        return;
    }
    let cores = snapshot.cores.len().max(1);
    let now = snapshot
        .target
        .parallelism
        .map_or_else(|| "?".to_owned(), |p| format!("{p:.2}"));
    let block = bordered_owned(
        format!(" Cores kept busy (parallelism) now {now}, scale 0 to {cores} → "),
        theme,
    );
    let width = usize::from(block.inner(area).width);
    let history = model.parallelism_history();
    let skip = history.len().saturating_sub(width);
    // Blank on the left until the history fills the width: "now" is always
    // at the right edge, as in every other history on screen. Values are
    // hundredths of a core, so the chart keeps two decimals of resolution.
    let data: Vec<Option<u64>> = std::iter::repeat_n(None, width.saturating_sub(history.len()))
        .chain(
            history
                .iter()
                .skip(skip)
                .map(|p| p.map(|p| (f64::from(p) * 100.0).round().max(0.0) as u64)),
        )
        .collect();
    let chart = Sparkline::default()
        .block(block)
        .data(data)
        .max(cores as u64 * 100)
        .style(theme.load_low);
    frame.render_widget(chart, area);
}

fn bordered_owned(title: String, theme: &Theme) -> Block<'static> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(title)
}

fn bordered<'a>(title: &'a str, theme: &Theme) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(title)
}

fn render_workers(
    model: &Model,
    snapshot: &Snapshot,
    demo: &DemoSample,
    frame: &mut Frame,
    area: Rect,
    theme: &Theme,
) {
    let history = model.demo_history();
    let labels: Vec<String> = demo
        .probes
        .workers
        .iter()
        .enumerate()
        .map(|(index, w)| {
            snapshot
                .target
                .threads
                .iter()
                .find(|t| t.tid == w.tid)
                .map_or_else(|| format!("worker-{index}"), |t| t.name.clone())
        })
        .collect();
    let lanes: Vec<WorkerLane<'_>> = demo
        .probes
        .workers
        .iter()
        .enumerate()
        .map(|(index, w)| {
            let thread = snapshot.target.threads.iter().find(|t| t.tid == w.tid);
            let cells = history
                .lane(index)
                .map_or_else(LaneSeries::default, |lane| {
                    let (older, newer) = lane.as_slices();
                    LaneSeries::from_parts(older, newer)
                });
            WorkerLane {
                label: &labels[index],
                activity: model::activity(w.state),
                core: thread.and_then(|t| t.last_cpu),
                tasks_done: w.tasks_done,
                cpu_pct: thread.and_then(|t| t.cpu_pct),
                cells,
            }
        })
        .collect();
    let block = bordered(" Workers: what each does, tick by tick → ", theme);
    frame.render_widget(
        WorkerLanes::new(&lanes)
            .block(block)
            .theme(*theme)
            .legend(true),
        area,
    );
}

fn render_result(demo: &DemoSample, frame: &mut Frame, area: Rect, theme: &Theme) {
    let lines = demo
        .outcome
        .as_ref()
        .map(corescope_demos::outcome::Outcome::lines)
        .unwrap_or_default();
    let rows: Vec<ComparisonRow<'_>> = lines
        .iter()
        .map(|line| ComparisonRow {
            label: &line.label,
            expected: &line.expected,
            actual: &line.actual,
            verdict: match line.verdict {
                Verdict::Good => corescope_widgets::Verdict::Good,
                Verdict::Bad => corescope_widgets::Verdict::Bad,
                Verdict::Neutral => corescope_widgets::Verdict::Neutral,
            },
            note: &line.note,
        })
        .collect();
    let title = if demo.outcome.is_some() {
        format!(" Result of round {} ", demo.outcome_round)
    } else {
        " Result: the first round is running… ".to_owned()
    };
    frame.render_widget(
        Comparison::new(&rows)
            .block(bordered(&title, theme))
            .theme(*theme),
        area,
    );
}

fn render_locks(demo: &DemoSample, frame: &mut Frame, area: Rect, theme: &Theme) {
    if area.height == 0 {
        return;
    }
    let rows: Vec<LockRow<'_>> = demo
        .probes
        .locks
        .iter()
        .map(|l| LockRow {
            name: &l.name,
            acquires: l.acquires,
            contended: l.contended,
            waiting_now: u64::from(l.waiting_now),
            wait_p50_ns: (l.wait.count > 0).then_some(l.wait.p50_ns),
            wait_p99_ns: (l.wait.count > 0).then_some(l.wait.p99_ns),
            wait_max_ns: (l.wait.count > 0).then_some(l.wait.max_ns),
            hold_p50_ns: (l.hold.count > 0).then_some(l.hold.p50_ns),
            hold_p99_ns: (l.hold.count > 0).then_some(l.hold.p99_ns),
        })
        .collect();
    frame.render_widget(
        LockTable::new(&rows)
            .block(bordered(" Locks ", theme))
            .theme(*theme),
        area,
    );
}

fn render_levels(model: &Model, demo: &DemoSample, frame: &mut Frame, area: Rect, theme: &Theme) {
    let count = demo.probes.semaphores.len() + demo.probes.queues.len();
    if count == 0 || area.height < 3 {
        return;
    }
    let block = bordered(" Semaphores and queues ", theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let rows = Layout::vertical(vec![Constraint::Length(2); count]).split(inner);
    let history = model.demo_history();
    for (i, s) in demo.probes.semaphores.iter().enumerate() {
        let gauge = LevelGauge::new(&s.name, u64::from(s.in_use), u64::from(s.permits))
            .peak(u64::from(s.peak_in_use))
            .waiting(Some(u64::from(s.waiters)))
            .unit("permits in use")
            .history(series(history.semaphore_use(i)))
            .theme(*theme);
        frame.render_widget(gauge, rows[i]);
    }
    let offset = demo.probes.semaphores.len();
    for (i, q) in demo.probes.queues.iter().enumerate() {
        let gauge = LevelGauge::new(&q.name, q.depth, q.capacity)
            .peak(q.peak_depth)
            .unit("items")
            .history(series(history.queue_depth(i)))
            .theme(*theme);
        frame.render_widget(gauge, rows[offset + i]);
    }
}
