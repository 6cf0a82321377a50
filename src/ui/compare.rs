//! The compare screen: the same workload as sequential, threads, gil,
//! processes and async. While a mode runs: which one, and the cores live;
//! then every mode's row and a chart of the speedups.

use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::Line;
use ratatui::widgets::{Bar, BarChart, BarGroup, Block, Borders, Cell, Row, Table};

use corescope_widgets::{Notes, Theme};

use super::chrome::{render_cores, render_footer, title_bar};
use crate::app::App;
use crate::hits::Hits;
use crate::snapshot::Snapshot;
use crate::snapshot::compare::{CompareMode, CompareRow, CompareSample};

/// What a room should notice, whatever the workload.
const LOOK_FOR: &str = "Computing: threads and processes keep a core per worker busy; the GIL \
    and async keep to one, so their speedup stays near 1. Processes pay milliseconds and \
    megabytes per worker where threads pay microseconds and a stack of kilobytes. With \
    --kind io every mode overlaps its waits, and async does it on one thread.";

/// From this width the table's full headers fit whole: its columns, the
/// spaces between them and its borders.
const WIDE_TABLE: u16 = 13 + 10 + 9 + 11 + 9 + 13 + 11 + 6 + 2;

/// Draws the compare screen into `area`.
pub(super) fn render(app: &App, frame: &mut Frame, area: Rect, hits: &mut Hits) {
    let theme = app.theme();
    let model = app.visible_model();
    let Some((snapshot, compare)) = model.latest().and_then(|s| Some((s, s.compare.as_ref()?)))
    else {
        return;
    };
    // The table is what the screen is about: it gets its rows first, then
    // the cores, the chart and the notes, each all or nothing (no empty
    // frames on a small screen).
    let mut free = area.height.saturating_sub(2);
    let mut take = |wanted: u16, least: u16| {
        let given = wanted.min(free);
        if given < least {
            return 0;
        }
        free -= given;
        given
    };
    let table_rows = take(CompareMode::ALL.len() as u16 + 3, 4);
    let core_rows = take(
        (snapshot.cores.len() as u16 + 2).min((area.height / 5).max(3)),
        3,
    );
    let chart_rows = take(CompareMode::ALL.len() as u16 + 2, 4);
    let [header, cores, table, chart, notes, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(core_rows),
        Constraint::Length(table_rows),
        Constraint::Length(chart_rows),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    frame.render_widget(title_bar(app, model, Some(title(compare)), theme), header);
    render_cores(model, snapshot, frame, cores, theme);
    render_table(snapshot, compare, frame, table, theme);
    render_chart(compare, frame, chart, theme);
    frame.render_widget(
        Notes::new("What to look for", LOOK_FOR).theme(*theme),
        notes,
    );
    render_footer(app, frame, footer, theme, hits);
}

fn title(compare: &CompareSample) -> String {
    let plan = compare.plan;
    let state = match (compare.running, &compare.error) {
        (_, Some(error)) => format!("stopped: {error}"),
        (Some(mode), None) => format!(
            "mode {} of {}: {mode}",
            compare.rows.len() + 1,
            CompareMode::ALL.len()
        ),
        (None, None) => "done".to_owned(),
    };
    // Where the comparison stands first: a narrow title bar cuts the end.
    format!(
        " compare · {state} · {} × {} ms {} tasks · {} ",
        plan.tasks,
        plan.work_ms,
        plan.kind.name(),
        super::format::count(plan.workers, "worker")
    )
}

fn render_table(
    snapshot: &Snapshot,
    compare: &CompareSample,
    frame: &mut Frame,
    area: Rect,
    theme: &Theme,
) {
    let unknown = || "?".to_owned();
    // Full headers where they fit whole, short ones where not: a header is
    // never cut ("CORES USE").
    let wide = area.width >= WIDE_TABLE;
    let header = Row::new(if wide {
        [
            "MODE",
            "WALL",
            "SPEEDUP",
            "CORES USED",
            "CPU BUSY",
            "START/WORKER",
            "MEM/WORKER",
        ]
    } else {
        ["MODE", "WALL", "SPEEDUP", "CORES", "BUSY", "START", "MEM"]
    })
    .style(theme.dim);
    let rows = CompareMode::ALL.iter().map(|mode| {
        if let Some(row) = compare.rows.iter().find(|r| r.mode == *mode) {
            finished_row(row, theme)
        } else if compare.running == Some(*mode) {
            let now = snapshot
                .target
                .parallelism
                .map_or_else(unknown, |p| format!("{p:.2} now"));
            Row::new(vec![
                Cell::from(format!("▶ {mode}")),
                Cell::from("running…"),
                Cell::from(""),
                Cell::from(now),
            ])
            .style(theme.accent)
        } else {
            Row::new(vec![Cell::from(format!("  {mode}"))]).style(theme.dim)
        }
    });
    let widths = if wide {
        [13, 10, 9, 11, 9, 13, 11]
    } else {
        [12, 9, 8, 5, 5, 9, 9]
    }
    .map(Constraint::Length);
    let table = Table::new(rows, widths).header(header).block(
        Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border)
            .title(" Each mode, measured in turn "),
    );
    frame.render_widget(table, area);
}

fn finished_row<'a>(row: &CompareRow, theme: &Theme) -> Row<'a> {
    let unknown = || "?".to_owned();
    Row::new(vec![
        Cell::from(format!("✓ {}", row.mode)),
        Cell::from(format!("{:.0} ms", row.wall_ms)),
        Cell::from(row.speedup.map_or_else(unknown, |s| format!("{s:.2}x")))
            .style(theme.accent.add_modifier(Modifier::BOLD)),
        Cell::from(row.parallelism.map_or_else(unknown, |p| format!("{p:.2}"))),
        Cell::from(
            row.cpu_busy_pct
                .map_or_else(unknown, |b| format!("{b:.0}%")),
        ),
        Cell::from(row.start_us_per_worker.map_or_else(unknown, format_us)),
        Cell::from(row.rss_kib_per_worker.map_or_else(unknown, format_kib)),
    ])
    .style(theme.text)
}

fn format_us(us: f64) -> String {
    if us >= 1000.0 {
        format!("{:.1} ms", us / 1000.0)
    } else {
        format!("{us:.1} µs")
    }
}

fn format_kib(kib: f64) -> String {
    if kib >= 1024.0 {
        format!("{:.1} MiB", kib / 1024.0)
    } else {
        format!("{kib:.0} KiB")
    }
}

/// Speedup over sequential, one horizontal bar per finished mode.
fn render_chart(compare: &CompareSample, frame: &mut Frame, area: Rect, theme: &Theme) {
    if area.height < 4 {
        return;
    }
    let bars: Vec<Bar<'_>> = compare
        .rows
        .iter()
        .filter_map(|row| {
            let speedup = row.speedup?;
            Some(
                Bar::default()
                    .label(Line::from(row.mode.name()))
                    .value((speedup * 100.0).round().max(0.0) as u64)
                    .text_value(format!("{speedup:.2}x"))
                    .style(theme.load_low),
            )
        })
        .collect();
    let chart = BarChart::default()
        .direction(Direction::Horizontal)
        .block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme.border)
                .title(" Speedup over sequential (higher is faster) "),
        )
        .bar_width(1)
        .bar_gap(0)
        .data(BarGroup::default().bars(&bars));
    frame.render_widget(chart, area);
}
