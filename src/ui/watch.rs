//! The watch screen, for `watch PID`, `run -- CMD` and the bare dashboard:
//! per-core load beside the parallelism drawn large, the headline (the
//! tree's figures apart from the machine's, see `headline`),
//! the thread table beside the process tree, the thread-to-core map, the
//! command's output (for `run`), the legend of the colours and the key hints.
//!
//! The parallelism is drawn as large as its panel allows (a projector's back
//! row must read it). From 80 columns the table and the tree sit side by
//! side; below, they stack. The map shares the table's order and selection,
//! so a thread's row in one is found at the same place in the other.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Sparkline};

use corescope_widgets::{
    BigNumber, CoreMapRow, CoreSeries, FutexLockRow, FutexLockTable, ProcessRow, ProcessTree,
    Theme, ThreadCoreMap, ThreadFlag,
};

use super::chrome::{fitting, render_cores, render_footer, title_bar};
use super::dashboard::{flag_of, render_thread_table};
use super::legend;
use crate::app::App;
use crate::hits::{Hits, Panel, Target};
use crate::model::Model;
use crate::snapshot::{RunSample, Snapshot};
use crate::thread_view::{self, short_label, tree_order};

/// From this height (and [`LARGE_FROM_WIDTH`]) the parallelism gets the large font.
const LARGE_FROM_HEIGHT: u16 = 50;
/// From this width (and [`LARGE_FROM_HEIGHT`]) the parallelism gets the large font.
const LARGE_FROM_WIDTH: u16 = 120;
/// From this width the thread table and the process tree sit side by side.
const SIDE_BY_SIDE_FROM: u16 = 80;
/// Fewest rows worth a parallelism history chart (its borders included).
const HISTORY_MIN_ROWS: u16 = 6;
/// Fewest thread rows the table keeps before the thread-to-core map gets
/// any room.
const TABLE_MIN_ROWS: u16 = 3;
/// Most lines of a `run` command's output shown.
const OUTPUT_LINES: u16 = 6;

/// Where each panel goes.
struct Areas {
    header: Rect,
    cores: Rect,
    parallelism: Rect,
    stats: Rect,
    threads: Rect,
    tree: Rect,
    /// The locks the threads wait on, when any; in place of the tree when
    /// the tree is one process, or shared with it.
    locks: Rect,
    /// The parallelism over time, under the tree when there is room.
    history: Rect,
    map: Rect,
    /// A Python command's probes (see `watch_probes`); empty without.
    probes: Rect,
    output: Rect,
    /// A lesson step's notes, while it runs a Python program; empty without.
    notes: Rect,
    legend: Rect,
    footer: Rect,
}

impl Areas {
    /// The layout of `area` for `snapshot`.
    fn of(area: Rect, snapshot: &Snapshot, notes: u16) -> Self {
        let large = area.height >= LARGE_FROM_HEIGHT && area.width >= LARGE_FROM_WIDTH;
        let (number_rows, number_width) = if large {
            (7, 30)
        } else if area.width >= SIDE_BY_SIDE_FROM {
            (5, 24)
        } else {
            (5, 18)
        };
        // Header, stats, legend and footer take a line each.
        let spare = area.height.saturating_sub(4);
        let core_rows = snapshot.cores.len() as u16 + 2;
        let top = core_rows.max(number_rows).min((spare / 3).max(3));
        let output = snapshot.run.as_ref().map_or(0, |run| {
            let lines = (run.output.len() as u16).clamp(1, OUTPUT_LINES);
            (lines + 2).min(spare.saturating_sub(top) / 4)
        });
        let [header, top, stats, body, output, notes, legend, footer] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(top),
            Constraint::Length(1),
            Constraint::Min(0),
            Constraint::Length(output),
            Constraint::Length(notes),
            Constraint::Length(1),
            Constraint::Length(1),
        ])
        .areas(area);
        let [cores, parallelism] =
            Layout::horizontal([Constraint::Min(0), Constraint::Length(number_width)]).areas(top);
        let probe_rows = super::watch_probes::rows(snapshot, body.width, body.height);
        let [body, probes] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(probe_rows)]).areas(body);
        let threads = snapshot.target.threads.len() as u16;
        let map_rows = map_rows(threads, body.height);
        let [tables, map] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(map_rows)]).areas(body);
        let processes = snapshot.target.processes.len() as u16 + 3;
        let locks = snapshot.target.locks.as_ref().map_or(0, Vec::len) as u16;
        let (threads, right) = if area.width >= SIDE_BY_SIDE_FROM {
            let width = (area.width * 2 / 5).clamp(30, 60);
            let [threads, right] =
                Layout::horizontal([Constraint::Min(0), Constraint::Length(width)]).areas(tables);
            (threads, right)
        } else {
            let rows = if locks > 0 {
                tables.height / 2
            } else {
                processes.min(tables.height / 2)
            };
            let [threads, below] =
                Layout::vertical([Constraint::Min(0), Constraint::Length(rows)]).areas(tables);
            (threads, below)
        };
        // The tree takes what it needs; the locks (when threads wait) what
        // they need of the rest, and the tree's place too when it is a
        // single process (it says little then); the history what is left,
        // if enough; anything left over goes to the locks or the tree.
        let single = snapshot.target.processes.len() <= 1;
        let mut tree_rows = if locks > 0 && single {
            0
        } else if locks > 0 {
            processes.min(right.height / 2)
        } else {
            processes.max(4)
        };
        let mut lock_rows = if locks > 0 {
            (locks + 3).min(right.height.saturating_sub(tree_rows))
        } else {
            0
        };
        let chart = right.height.saturating_sub(tree_rows + lock_rows);
        let chart = if chart >= HISTORY_MIN_ROWS && area.width >= SIDE_BY_SIDE_FROM {
            chart
        } else {
            0
        };
        let left_over = right.height.saturating_sub(tree_rows + lock_rows + chart);
        if locks > 0 && single {
            lock_rows += left_over;
        } else {
            tree_rows += left_over;
        }
        let [tree, locks, history] = Layout::vertical([
            Constraint::Length(tree_rows),
            Constraint::Length(lock_rows),
            Constraint::Length(chart),
        ])
        .areas(right);
        Self {
            header,
            cores: at_least(cores, 3),
            parallelism: at_least(parallelism, 3),
            stats,
            // A header and a row.
            threads: at_least(threads, 4),
            tree: at_least(tree, 3),
            locks: at_least(locks, 3),
            history,
            map: at_least(map, 3),
            probes,
            output: at_least(output, 3),
            notes,
            legend,
            footer,
        }
    }
}

/// Draws the watch screen into `area`.
pub(super) fn render(app: &App, frame: &mut Frame, area: Rect, hits: &mut Hits) {
    let theme = app.theme();
    let model = app.visible_model();
    let Some(snapshot) = model.latest() else {
        let [header, body, footer] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Min(0),
            Constraint::Length(1),
        ])
        .areas(area);
        frame.render_widget(title_bar(app, model, None, theme), header);
        let waiting = Paragraph::new("waiting for the first sample…").style(theme.dim);
        frame.render_widget(waiting, body);
        render_footer(app, frame, footer, theme, hits);
        return;
    };
    let notes = super::lesson_notes::StepNotes::of(app, snapshot);
    let areas = Areas::of(area, snapshot, notes.as_ref().map_or(0, |n| n.rows(area)));
    let target = &snapshot.target;
    let verb = if snapshot.run.is_some() { "run " } else { "" };
    let probes_note = super::watch_probes::title_note(snapshot);
    let detail = format!(
        " {verb}PID {} {probes_note}{} ",
        target.root_pid, target.command
    );
    frame.render_widget(title_bar(app, model, Some(detail), theme), areas.header);
    render_cores(model, snapshot, frame, areas.cores, theme);
    render_parallelism(model, snapshot, frame, areas.parallelism, theme);
    super::headline::render(snapshot, frame, areas.stats, theme);
    let threads_title = Line::from(" Threads ");
    let focus = app.focus();
    let threads_focused = focus != Panel::Processes;
    let (threads, tree) = (areas.threads, areas.tree);
    let screen = super::Screen {
        app,
        snapshot,
        theme,
    };
    render_thread_table(screen, frame, threads, threads_title, threads_focused, hits);
    if !tree.is_empty() {
        render_tree(app, snapshot, frame, tree, theme, hits);
    }
    render_locks(app, snapshot, frame, areas.locks, theme);
    render_history(model, snapshot, frame, areas.history, theme);
    render_map(app, model, snapshot, frame, areas.map, theme);
    super::watch_probes::render(snapshot, frame, areas.probes, theme);
    if let Some(run) = &snapshot.run {
        render_output(run, frame, areas.output, theme);
    }
    if let Some(notes) = &notes {
        frame.render_widget(notes.widget(theme), areas.notes);
    }
    render_legend(snapshot, frame, areas.legend, theme);
    render_footer(app, frame, areas.footer, theme, hits);
}

/// The cores the tree keeps busy, large, with the machine's cores and the peak.
fn render_parallelism(
    model: &Model,
    snapshot: &Snapshot,
    frame: &mut Frame,
    area: Rect,
    theme: &Theme,
) {
    let history = model.parallelism_history();
    let peak = history.iter().flatten().copied().reduce(f32::max);
    // Once the tree has exited, the last value measured stands.
    let shown = snapshot
        .target
        .parallelism
        .map(|p| p as f32)
        .or_else(|| history.iter().rev().flatten().next().copied());
    let text = shown.map_or_else(|| "?".to_owned(), |p| format!("{p:.2}"));
    // A narrow panel keeps the word that matters (exited), not a cut title.
    let title = if snapshot.target.alive {
        " Cores in use ".to_owned()
    } else {
        fitting(
            area.width,
            [
                " Cores in use (exited) ".to_owned(),
                " Cores in use (exited)".to_owned(),
                " Cores (exited) ".to_owned(),
            ],
        )
    };
    let peak = peak.map_or_else(|| "?".to_owned(), |p| format!("{p:.2}"));
    let bottom = fitting(
        area.width,
        [
            format!(" of {} · peak {peak} ", snapshot.cores.len()),
            format!(" of {} ", snapshot.cores.len()),
        ],
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(title)
        .title_bottom(Line::styled(bottom, theme.dim));
    let number = BigNumber::new(&text)
        .block(block)
        .style(theme.accent.add_modifier(Modifier::BOLD))
        .theme(*theme);
    frame.render_widget(&number, area);
}

/// The cores in use over time, on a fixed scale of the machine's cores, the
/// newest at the right edge (as every history on screen).
fn render_history(
    model: &Model,
    snapshot: &Snapshot,
    frame: &mut Frame,
    area: Rect,
    theme: &Theme,
) {
    if area.is_empty() {
        return;
    }
    let cores = snapshot.cores.len().max(1);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(fitting(
            area.width,
            [
                format!(" Cores in use over time, 0 to {cores} → "),
                format!(" Cores in use, 0 to {cores} → "),
                " Cores in use ".to_owned(),
            ],
        ));
    let width = usize::from(block.inner(area).width);
    let history = model.parallelism_history();
    // Hundredths of a core: two decimals of resolution; a gap stays blank.
    let data: Vec<Option<u64>> = std::iter::repeat_n(None, width.saturating_sub(history.len()))
        .chain(
            history
                .iter()
                .skip(history.len().saturating_sub(width))
                .map(|p| p.map(|p| (p.max(0.0) * 100.0).round() as u64)),
        )
        .collect();
    let chart = Sparkline::default()
        .block(block)
        .data(data)
        .max(cores as u64 * 100)
        .style(theme.accent);
    frame.render_widget(chart, area);
}

/// The process tree, scrolled as the user chose; its border marked when it
/// has the focus.
fn render_tree(
    app: &App,
    snapshot: &Snapshot,
    frame: &mut Frame,
    area: Rect,
    theme: &Theme,
    hits: &mut Hits,
) {
    let filter = app.tree_filter();
    let rows: Vec<ProcessRow<'_>> = tree_order(snapshot)
        .into_iter()
        .filter(|(_, p)| thread_view::process_matches(snapshot, p, filter))
        .map(|(depth, p)| ProcessRow {
            depth,
            pid: p.pid,
            name: snapshot.process_name(p),
            state: p.state,
            threads: Some(p.threads),
            rss_kib: p.rss_kib,
        })
        .collect();
    let focused = app.focus() == Panel::Processes;
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(if focused { theme.accent } else { theme.border })
        .title(" Processes ");
    let tree = ProcessTree::new(&rows)
        .block(block)
        .theme(*theme)
        .offset(app.tree_offset());
    let visible = tree.visible_rows(area);
    hits.add(area, Target::Panel(Panel::Processes));
    hits.set_tree_scroll_max(rows.len().saturating_sub(visible.len()));
    frame.render_widget(&tree, area);
}

/// The locks the tree's threads waited on, most blocked time first; the
/// lock the selected thread waits on is highlighted.
fn render_locks(app: &App, snapshot: &Snapshot, frame: &mut Frame, area: Rect, theme: &Theme) {
    let Some(locks) = snapshot.target.locks.as_ref().filter(|_| !area.is_empty()) else {
        return;
    };
    let selected = app
        .selected_tid()
        .and_then(|tid| snapshot.target.threads.iter().find(|t| t.tid == tid))
        .and_then(|t| t.waiting_on.map(|address| (t.pid, address)));
    let rows: Vec<FutexLockRow<'_>> = locks
        .iter()
        .map(|lock| FutexLockRow {
            label: short_label(&lock.label),
            kind: lock.kind.short(),
            waiters_now: lock.waiters_now,
            blocked_ns: lock.blocked_ns,
            wait_share: lock.wait_share,
            owner_tid: lock.owner_tid,
            highlighted: selected == Some((lock.pid, lock.address)),
        })
        .collect();
    let waiting: usize = locks.iter().map(|l| l.waiters_now).sum();
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(format!(" Locks · {waiting} waiting "));
    let table = FutexLockTable::new(&rows).block(block).theme(*theme);
    frame.render_widget(&table, area);
}

/// The map: live threads in the table's order, then those that exited.
fn render_map(
    app: &App,
    model: &Model,
    snapshot: &Snapshot,
    frame: &mut Frame,
    area: Rect,
    theme: &Theme,
) {
    let map = model.core_map();
    let live = thread_view::shown_threads(snapshot, app.table_choice());
    let exited = map.exited();
    let labels: Vec<(String, ThreadFlag, i32)> = live
        .iter()
        .map(|t| {
            let name = snapshot.thread_name(t);
            (format!("{} {name}", t.tid), flag_of(t), t.tid)
        })
        .chain(
            exited
                .iter()
                .map(|(tid, lane)| (format!("{tid} {} †", lane.name), ThreadFlag::None, *tid)),
        )
        .collect();
    let rows: Vec<CoreMapRow<'_>> = labels
        .iter()
        .map(|(label, flag, tid)| CoreMapRow {
            label,
            flag: *flag,
            cells: map.lane(*tid).map_or_else(CoreSeries::default, |lane| {
                let (older, newer) = lane.cells.as_slices();
                CoreSeries::from_parts(older, newer)
            }),
        })
        .collect();
    let selected = app
        .selected_tid()
        .and_then(|tid| labels.iter().position(|(_, _, t)| *t == tid));
    let every = crate::sampling_interval::label(app.interval());
    let title = fitting(
        area.width,
        [
            format!(" Thread → core: the core each thread ran on, one column per {every} → "),
            format!(" Thread → core, a column per {every} → "),
            " Thread → core ".to_owned(),
        ],
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(title)
        .title_bottom(Line::styled(
            fitting(
                area.width,
                [
                    " solid: ran most of the column · blank: did not run · †: exited ".to_owned(),
                    " solid: ran · blank: did not · †: exited ".to_owned(),
                    String::new(),
                ],
            ),
            theme.dim,
        ));
    let widget = ThreadCoreMap::new(&rows)
        .block(block)
        .theme(*theme)
        .selected(selected);
    frame.render_widget(&widget, area);
}

/// The last lines of a `run` command's output.
fn render_output(run: &RunSample, frame: &mut Frame, area: Rect, theme: &Theme) {
    let target = run
        .log
        .as_ref()
        .map_or_else(|| "stderr".to_owned(), |p| p.display().to_string());
    let state = run
        .exit
        .as_ref()
        .map_or_else(String::new, |exit| format!(", {}", exit.describe()));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(format!(" Output (in {target}{state}) "));
    let rows = usize::from(block.inner(area).height);
    let first = run.output.len().saturating_sub(rows);
    let lines: Vec<Line<'_>> = run.output[first..]
        .iter()
        .map(|line| Line::raw(line.as_str()))
        .collect();
    let text = if lines.is_empty() {
        Paragraph::new(Line::styled("no output yet", theme.dim))
    } else {
        Paragraph::new(lines).style(theme.text)
    };
    frame.render_widget(text.block(block), area);
}

/// What the colours (or, without colours, the modifiers) mean, as far as the
/// width allows (most important first).
fn render_legend(snapshot: &Snapshot, frame: &mut Frame, area: Rect, theme: &Theme) {
    let mut items: Vec<Vec<Span<'_>>> = Vec::new();
    if snapshot.target.restricted {
        let whose = if snapshot.target.another_user {
            "another user's process"
        } else {
            "withheld by the kernel"
        };
        items.push(vec![Span::styled(
            format!("{whose}: lock waits unknown (?)"),
            theme.warn,
        )]);
    }
    items.push(vec![
        Span::styled(legend::swatch(theme.warn), theme.warn),
        Span::styled(" waiting for a CPU (≥10% in the run queue)", theme.dim),
    ]);
    items.push(vec![
        Span::styled(legend::swatch(theme.alert), theme.alert),
        Span::styled(
            " asleep in a futex wait: a lock, a condition, the GIL",
            theme.dim,
        ),
    ]);
    let mut spans = Vec::new();
    let mut used = 0;
    for item in items {
        let width: usize = item.iter().map(Span::width).sum::<usize>() + 2;
        if used + width > usize::from(area.width) {
            break;
        }
        used += width;
        spans.extend(item);
        spans.push(Span::raw("  "));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod toolkit_tests;

/// `area`, or nothing when it is too short for `rows` (its borders and a
/// row): a small screen draws no empty frames.
/// Rows of the thread-to-core map for `threads` threads in a body of
/// `body` rows. When the body cannot hold both, the table (what each thread
/// does and waits on) keeps the room: a map of one lane says little, and a
/// table of one row hides the rest of the threads.
fn map_rows(threads: u16, body: u16) -> u16 {
    let rows = (threads + 2).clamp(3, (body * 9 / 20).max(3));
    let table_rows = threads.clamp(1, TABLE_MIN_ROWS) + 3;
    if body.saturating_sub(rows) < table_rows {
        0
    } else {
        rows
    }
}

fn at_least(area: Rect, rows: u16) -> Rect {
    if area.height >= rows {
        area
    } else {
        Rect::default()
    }
}
