//! The demo screen: per-core load, one timeline row per worker, the result
//! (expected vs actual), locks, semaphore and queue gauges, warnings, and what
//! to look for.
//!
//! Wide terminals get two columns (workers on the left, the figures on the
//! right); narrow ones stack them, workers and result first.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::{Block, Borders, Sparkline};

use corescope_demos::catalog::Mode;
use corescope_demos::outcome::{ResultLine, Verdict};
use corescope_demos::run::DemoSample;
use corescope_widgets::{
    Comparison, ComparisonRow, LaneSeries, LevelGauge, LockRow, LockTable, Notes, Severity, Stat,
    StatLine, Theme, Warning, Warnings, WorkerLane, WorkerLanes, format_ns,
};

use super::chrome::{fitting, render_cores, render_footer, series, title_bar};
use super::dashboard;
use super::format;
use super::look_for;
use super::visuals::{self, KeyVisual};
use crate::app::App;
use crate::hits::Hits;
use crate::model::{self, Model, warnings};
use crate::picker::Picker;
use crate::snapshot::Snapshot;

/// Below this width the panels stack instead of sitting side by side.
const TWO_COLUMNS_FROM: u16 = 100;

/// Draws the demo screen into `area`.
pub(super) fn render(app: &App, frame: &mut Frame, area: Rect, hits: &mut Hits) {
    let theme = app.theme();
    let model = app.visible_model();
    let (Some(snapshot), Some(demo)) =
        (model.latest(), model.latest().and_then(|s| s.demo.as_ref()))
    else {
        return;
    };
    let found = warnings::warnings(model);
    // In a lesson, the step's own notes; otherwise the demo's.
    let step = app.picker().and_then(Picker::current_step);
    // A step's notes describe the step's mode and kind; after `m` (or with
    // another kind) the text for what runs now.
    let (notes_title, notes_text) = match step {
        Some((_, number, steps, step))
            if step
                .demo()
                .is_some_and(|config| config.mode == demo.mode && config.kind == demo.kind) =>
        {
            (
                format!("Step {number} of {steps}: {}", step.title),
                step.notes.as_str(),
            )
        }
        _ => (
            format!("What to look for ({} mode)", demo.mode.name()),
            look_for::look_for(demo.name, demo.mode, demo.kind),
        ),
    };
    let notes_widget = Notes::new(&notes_title, notes_text).theme(*theme);
    let rows = Rows::share(
        area.height,
        key_rows(demo),
        (snapshot.cores.len() as u16 + 2).min((area.height / 5).max(3)),
        notes_widget.height(area.width).min(notes_cap(area)),
        (found.len() as u16).min(3),
    );
    let [header, cores, stats, body, notes, alerts, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(rows.cores),
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(rows.notes),
        Constraint::Length(rows.alerts),
        Constraint::Length(1),
    ])
    .areas(area);

    frame.render_widget(title_bar(app, model, Some(title(demo)), theme), header);
    render_cores(model, snapshot, frame, cores, theme);
    let stat_values = stats_of(snapshot, demo);
    frame.render_widget(StatLine::new(&stat_values).theme(*theme), stats);
    render_body(app, snapshot, demo, frame, body, theme, hits);
    frame.render_widget(notes_widget, notes);
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

/// Most rows for "what to look for" or a lesson step's notes: more on a
/// tall screen; four (the title and three lines) at 24 rows.
fn notes_cap(area: Rect) -> u16 {
    (area.height / 6).clamp(2, 6)
}

/// The rows of the demo screen's optional bands, shared after the key
/// visuals: the body gets the rows its key visuals need first, then the
/// cores panel, the notes and the warnings get theirs (a band too short to
/// be worth drawing gets none), and the body gets the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Rows {
    cores: u16,
    notes: u16,
    alerts: u16,
}

impl Rows {
    fn share(height: u16, keys: u16, cores: u16, notes: u16, alerts: u16) -> Self {
        // The title bar, the stats line and the footer.
        let mut free = height.saturating_sub(3).saturating_sub(keys);
        let mut take = |wanted: u16, least: u16| {
            let given = wanted.min(free);
            if given < least {
                return 0;
            }
            free -= given;
            given
        };
        // A cores panel needs its borders and a core; notes a title and a line.
        let cores = take(cores, 3);
        let notes = take(notes, 2);
        let alerts = take(alerts, 1);
        Self {
            cores,
            notes,
            alerts,
        }
    }
}

/// The rows the demo's key visuals need at the least (see [`share`]).
fn key_rows(demo: &DemoSample) -> u16 {
    let keys: Vec<Part> = visuals::key_visuals(demo.name)
        .iter()
        .map(|v| part_of(*v))
        .collect();
    wants(demo, &keys)
        .iter()
        .filter(|w| keys.contains(&w.part))
        .map(|w| w.least)
        .sum()
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

/// The panels of the demo screen's body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Lanes,
    Result,
    Locks,
    Levels,
}

/// The part that draws `visual`.
const fn part_of(visual: KeyVisual) -> Part {
    match visual {
        KeyVisual::Lanes => Part::Lanes,
        KeyVisual::Result => Part::Result,
        KeyVisual::Locks => Part::Locks,
        KeyVisual::PermitGauge | KeyVisual::QueueGauge => Part::Levels,
    }
}

/// Rows a part would fill, and the fewest it is worth drawing in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Want {
    part: Part,
    rows: u16,
    least: u16,
}

/// The rows each part of the body wants; a key result keeps all its lines.
fn wants(demo: &DemoSample, keys: &[Part]) -> Vec<Want> {
    let result = demo.outcome.as_ref().map_or(1, |o| o.lines().len()) as u16 + 3;
    // Workers' rows, their borders and the legend line; at least two lanes.
    let lanes = demo.probes.workers.len() as u16 + 3;
    let gauges = (demo.probes.semaphores.len() + demo.probes.queues.len()) as u16;
    let mut wants = vec![
        Want {
            part: Part::Lanes,
            rows: lanes,
            least: lanes.min(5),
        },
        Want {
            part: Part::Result,
            rows: result,
            least: if keys.contains(&Part::Result) {
                result
            } else {
                result.min(4)
            },
        },
    ];
    if !demo.probes.locks.is_empty() {
        // Half a lock table is no table.
        let locks = demo.probes.locks.len() as u16 + 3;
        wants.push(Want {
            part: Part::Locks,
            rows: locks,
            least: locks,
        });
    }
    if gauges > 0 {
        // A row a gauge, or two with its history under it.
        wants.push(Want {
            part: Part::Levels,
            rows: gauges * 2 + 2,
            least: gauges + 2,
        });
    }
    wants
}

/// Shares `rows` among `wants`: first the key parts, in the order given, get
/// the fewest rows they are worth, then the others do, while rows remain
/// (a part gets its least or nothing); then each grows to what it wants in
/// the same order. A key visual is never dropped for an optional panel.
fn share(rows: u16, wants: &[Want], keys: &[Part]) -> Vec<u16> {
    let mut order: Vec<usize> = keys
        .iter()
        .filter_map(|key| wants.iter().position(|w| w.part == *key))
        .collect();
    let others: Vec<usize> = (0..wants.len()).filter(|i| !order.contains(i)).collect();
    order.extend(others);
    let mut given = vec![0; wants.len()];
    let mut free = rows;
    for &i in &order {
        if wants[i].least <= free {
            given[i] = wants[i].least;
            free -= wants[i].least;
        }
    }
    for &i in &order {
        if given[i] > 0 {
            let more = (wants[i].rows - given[i]).min(free);
            given[i] += more;
            free -= more;
        }
    }
    given
}

/// Where each panel of the body goes; an empty area is not drawn.
#[derive(Debug, Default)]
struct BodyAreas {
    lanes: Rect,
    result: Rect,
    locks: Rect,
    levels: Rect,
    chart: Rect,
    threads: Rect,
}

/// Lays the body out: key visuals first (see [`share`]). Wide terminals get
/// two columns, the workers and their chart on the left, the figures and
/// the thread table on the right; narrow ones stack the panels, and what is
/// left goes to the thread table or, too short for one, the chart.
fn body_areas(demo: &DemoSample, area: Rect) -> BodyAreas {
    let keys: Vec<Part> = visuals::key_visuals(demo.name)
        .iter()
        .map(|v| part_of(*v))
        .collect();
    let wants = wants(demo, &keys);
    let rows_of = |part: Part, wants: &[Want], given: &[u16]| {
        wants
            .iter()
            .position(|w| w.part == part)
            .map_or(0, |i| given[i])
    };
    if area.width >= TWO_COLUMNS_FROM {
        // The figures' column is as wide as the result needs, uncut, from
        // 42% up to half the width: the lanes give way first.
        let right_width = result_width(demo)
            .max(area.width * 42 / 100)
            .min(area.width / 2);
        let [left, right] =
            Layout::horizontal([Constraint::Min(0), Constraint::Length(right_width)]).areas(area);
        let figures: Vec<Want> = wants
            .iter()
            .copied()
            .filter(|w| w.part != Part::Lanes)
            .collect();
        let given = share(right.height, &figures, &keys);
        let [result, locks, levels, threads] = Layout::vertical([
            Constraint::Length(rows_of(Part::Result, &figures, &given)),
            Constraint::Length(rows_of(Part::Locks, &figures, &given)),
            Constraint::Length(rows_of(Part::Levels, &figures, &given)),
            Constraint::Min(0),
        ])
        .areas(right);
        let lanes_rows = wants.first().map_or(0, |w| w.rows);
        let [lanes, chart] =
            Layout::vertical([Constraint::Max(lanes_rows), Constraint::Min(0)]).areas(left);
        BodyAreas {
            lanes,
            result,
            locks,
            levels,
            chart,
            threads,
        }
    } else {
        let given = share(area.height, &wants, &keys);
        let [lanes, result, locks, levels, rest] = Layout::vertical([
            Constraint::Length(rows_of(Part::Lanes, &wants, &given)),
            Constraint::Length(rows_of(Part::Result, &wants, &given)),
            Constraint::Length(rows_of(Part::Locks, &wants, &given)),
            Constraint::Length(rows_of(Part::Levels, &wants, &given)),
            Constraint::Min(0),
        ])
        .areas(area);
        let (chart, threads) = if rest.height >= MIN_TABLE_ROWS {
            (Rect::default(), rest)
        } else {
            (rest, Rect::default())
        };
        BodyAreas {
            lanes,
            result,
            locks,
            levels,
            chart,
            threads,
        }
    }
}

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
    let areas = body_areas(demo, area);
    if !areas.lanes.is_empty() {
        render_workers(model, snapshot, demo, frame, areas.lanes, theme);
    }
    if !areas.result.is_empty() {
        render_result(demo, frame, areas.result, theme);
    }
    render_locks(demo, frame, areas.locks, theme);
    render_levels(model, demo, frame, areas.levels, theme);
    render_parallelism(model, snapshot, frame, areas.chart, theme);
    if areas.threads.height >= MIN_TABLE_ROWS {
        dashboard::render_threads(app, snapshot, frame, areas.threads, theme, hits);
    }
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
        fitting(
            area.width,
            [
                format!(" Cores kept busy (parallelism) now {now}, scale 0 to {cores} → "),
                format!(" Parallelism now {now}, 0 to {cores} → "),
                format!(" Parallelism {now} "),
            ],
        ),
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
    // In async mode the one worker is the event loop, whatever its thread
    // is called.
    let labels: Vec<String> = demo
        .probes
        .workers
        .iter()
        .enumerate()
        .map(|(index, w)| {
            if demo.mode == Mode::Async && index == 0 {
                return "event loop".to_owned();
            }
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
    let block = bordered_owned(
        fitting(
            area.width,
            [
                visuals::LANES_TITLE.to_owned(),
                " Workers, tick by tick → ".to_owned(),
                " Workers ".to_owned(),
            ],
        ),
        theme,
    );
    frame.render_widget(
        WorkerLanes::new(&lanes)
            .block(block)
            .theme(*theme)
            .legend(true),
        area,
    );
}

/// The result's lines as the comparison widget shows them.
fn comparison_rows(lines: &[ResultLine]) -> Vec<ComparisonRow<'_>> {
    lines
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
        .collect()
}

fn result_lines(demo: &DemoSample) -> Vec<ResultLine> {
    demo.outcome
        .as_ref()
        .map(corescope_demos::outcome::Outcome::lines)
        .unwrap_or_default()
}

/// The cells the result panel needs to show every line uncut.
fn result_width(demo: &DemoSample) -> u16 {
    let lines = result_lines(demo);
    let rows = comparison_rows(&lines);
    Comparison::new(&rows)
        .block(Block::default().borders(Borders::ALL))
        .width()
}

fn render_result(demo: &DemoSample, frame: &mut Frame, area: Rect, theme: &Theme) {
    let lines = result_lines(demo);
    let rows = comparison_rows(&lines);
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
            .block(bordered(visuals::LOCKS_TITLE, theme))
            .theme(*theme),
        area,
    );
}

fn render_levels(model: &Model, demo: &DemoSample, frame: &mut Frame, area: Rect, theme: &Theme) {
    let count = demo.probes.semaphores.len() + demo.probes.queues.len();
    if count == 0 || area.height < 3 {
        return;
    }
    let title = match (
        demo.probes.semaphores.is_empty(),
        demo.probes.queues.is_empty(),
    ) {
        (false, true) => visuals::PERMITS_TITLE,
        (true, false) => visuals::QUEUE_TITLE,
        _ => visuals::PERMITS_AND_QUEUE_TITLE,
    };
    let block = bordered(title, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    // Two rows a gauge (its history under it) where there is room, else one.
    let per_gauge = if inner.height as usize >= count * 2 {
        2
    } else {
        1
    };
    let rows = Layout::vertical(vec![Constraint::Length(per_gauge); count]).split(inner);
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::*;

    /// A demo's screen from snapshots of a real run (a recording's lines,
    /// its header left out), drawn at `width` x `height`, as text.
    fn screen(recording: &str, width: u16, height: u16) -> String {
        let mut app = App::new(Duration::from_millis(250));
        for line in recording.lines() {
            let snapshot: Snapshot = serde_json::from_str(line).expect("a recorded snapshot");
            app.ingest(Arc::new(snapshot));
        }
        let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
        terminal
            .draw(|frame| {
                crate::ui::render(&app, frame);
            })
            .expect("draw");
        let buffer = terminal.backend().buffer();
        (0..height)
            .map(|y| {
                (0..width)
                    .map(|x| buffer[(x, y)].symbol())
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn assert_key_visuals_drawn(name: &str, recording: &str) -> String {
        let mut last = String::new();
        for (width, height) in [(80, 24), (40, 12), (120, 40), (200, 60)] {
            let text = screen(recording, width, height);
            for visual in visuals::key_visuals(name) {
                assert!(
                    text.contains(visual.marker()),
                    "{name} at {width}x{height}: its key visual {visual:?} (`{}`) is not drawn:\n{text}",
                    visual.marker()
                );
            }
            if (width, height) == (80, 24) {
                last = text;
            }
        }
        last
    }

    #[test]
    fn producer_consumer_draws_its_queue_gauge_at_80x24() {
        let recording = include_str!("fixtures/producer-consumer.jsonl");
        insta::assert_snapshot!(assert_key_visuals_drawn("producer-consumer", recording));
    }

    #[test]
    fn semaphore_draws_its_permit_gauge_at_80x24() {
        let recording = include_str!("fixtures/semaphore.jsonl");
        insta::assert_snapshot!(assert_key_visuals_drawn("semaphore", recording));
    }

    #[test]
    fn lock_contention_draws_its_locks_at_80x24() {
        let recording = include_str!("fixtures/lock-contention.jsonl");
        insta::assert_snapshot!(assert_key_visuals_drawn("lock-contention", recording));
    }

    #[test]
    fn race_draws_its_result_at_80x24() {
        let recording = include_str!("fixtures/race.jsonl");
        insta::assert_snapshot!(assert_key_visuals_drawn("race", recording));
    }

    #[test]
    fn key_parts_get_their_rows_before_the_others() {
        let want = |part, rows, least| Want { part, rows, least };
        let wants = [
            want(Part::Lanes, 11, 5),
            want(Part::Result, 4, 4),
            want(Part::Levels, 4, 3),
        ];
        // 9 rows: the key gauge first, then the lanes; the result is dropped.
        assert_eq!(share(9, &wants, &[Part::Levels]), vec![5, 0, 4]);
        assert_eq!(share(12, &wants, &[Part::Levels]), vec![5, 4, 3]);
        // Without a key, the gauge would have been the one dropped.
        assert_eq!(share(9, &wants, &[]), vec![5, 4, 0]);
    }
}
