//! Worker lanes: one row per demo worker, saying what it does now and, as a coloured
//! timeline, what it did over the last ticks.
//!
//! The timeline is where a class *sees* concurrency: two threads trading the GIL draw
//! alternating green and orange, a lock convoy draws a red stripe moving down the
//! rows. So a cell is exact to an eighth: each sampling tick is split between its two
//! main activities with the left-eighths block characters, the first activity's
//! colour over the second's. The widget draws borrowed history only (the model owns
//! the ring buffers) and never hides a worker silently: what does not fit is counted.
//!
//! Without colours (a theme whose activity styles have no foreground, as the
//! monochrome theme chosen for `NO_COLOR`), eighths of one solid block would all look
//! alike, so each cell shows instead one [`Activity::glyph`] in that activity's style:
//! the activity that took most of the tick, or for a mixed tick what held the worker
//! up. `GGGG` then reads as a worker trading the GIL, `L█LL` as a lock convoy, and
//! the legend names the glyphs.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BlockExt, Widget};

use crate::cells::{self, Align, EIGHTHS};
use crate::series::Series;
use crate::{Activity, Theme};

/// Fewest cells a worker's label is squeezed to before columns are dropped.
const LABEL_MIN: u16 = 8;
/// Most cells a worker's label takes.
const LABEL_MAX: u16 = 20;
/// Width of the CPU percentage: `  7%`, `100%`, `   ?`.
const CPU_WIDTH: u16 = 4;
/// Narrowest timeline worth drawing, in cells.
const MIN_LANE: u16 = 8;
/// Unit after the number of tasks a worker has finished.
const TASKS_UNIT: &str = " done";
/// A full cell: a whole tick in one activity, and the legend's colour swatch.
const FULL: &str = "█";
/// Drawn for a tick whose split is not a number.
const UNKNOWN: &str = "?";
/// Between two legend entries.
const LEGEND_SEPARATOR: &str = "  ";

/// One sampling tick of a worker, split between the two activities it spent most of
/// the tick in.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LaneCell {
    /// The activity drawn from the left of the cell.
    pub first: Activity,
    /// The activity filling the rest of the cell.
    pub second: Activity,
    /// Share of the tick spent in `first`, `0.0..=1.0`; the rest was `second`.
    /// Out-of-range shares are clamped; a share that is not a number (NaN, infinite)
    /// is unknown and the cell draws `?`.
    pub first_share: f32,
}

impl LaneCell {
    /// A tick spent `first_share` in `first` and the rest in `second`.
    #[must_use]
    pub const fn new(first: Activity, second: Activity, first_share: f32) -> Self {
        Self {
            first,
            second,
            first_share,
        }
    }

    /// A tick spent wholly in `activity`.
    #[must_use]
    pub const fn whole(activity: Activity) -> Self {
        Self::new(activity, activity, 1.0)
    }

    /// The eighths of the cell drawn in `first`, `0..=8`, rounded to the nearest
    /// eighth; `None` when the share is not a number.
    fn eighths(self) -> Option<usize> {
        let share = self.first_share;
        share
            .is_finite()
            .then(|| (share.clamp(0.0, 1.0) * 8.0).round() as usize)
    }
}

/// A worker's timeline, oldest tick first, borrowed from a ring buffer without
/// copying it. `None` is a gap: a tick with no reading, drawn blank, never as idle.
pub type LaneSeries<'a> = Series<'a, LaneCell>;

/// One worker as the lanes show it; `None` means unknown and is drawn as `?`.
#[derive(Clone, Copy, Debug)]
pub struct WorkerLane<'a> {
    /// The worker's name, e.g. `worker-3` or `pid 4242`.
    pub label: &'a str,
    /// What the worker is doing now.
    pub activity: Activity,
    /// The logical CPU the worker is on, or last ran on.
    pub core: Option<u32>,
    /// Tasks the worker has finished since the demo started.
    pub tasks_done: u64,
    /// Percent of one core the worker used over the last interval, `0..=100`.
    /// Out-of-range values are clamped and NaN counts as `None`.
    pub cpu_pct: Option<f32>,
    /// What the worker did over the last ticks, oldest first.
    pub cells: LaneSeries<'a>,
}

/// Worker lanes: per worker a row
/// `worker-1  waiting: GIL     cpu1  1187 done  48%  █▌▌▌▌▌█▌▌▌▌▌`: the label, the
/// activity in its colour, the core, tasks done, CPU% and the timeline (newest at the
/// right edge) filling the rest of the row.
///
/// Narrow areas drop the CPU%, then the timeline. When workers outnumber the lines,
/// the last line says `… N more workers`. With [`WorkerLanes::legend`] the last line
/// names the colours on screen.
#[derive(Clone, Debug, Default)]
pub struct WorkerLanes<'a> {
    /// The workers, drawn in this order.
    workers: &'a [WorkerLane<'a>],
    /// A block to wrap the lanes in.
    block: Option<Block<'a>>,
    /// Colours.
    theme: Theme,
    /// Whether to draw the legend line.
    legend: bool,
}

impl<'a> WorkerLanes<'a> {
    /// Lanes for `workers`, drawn in the order given.
    #[must_use]
    pub const fn new(workers: &'a [WorkerLane<'a>]) -> Self {
        Self {
            workers,
            block: None,
            theme: Theme::dark(),
            legend: false,
        }
    }

    /// Wraps the lanes in `block`.
    #[must_use = "method moves the value of self and returns the modified value"]
    pub fn block(mut self, block: Block<'a>) -> Self {
        self.block = Some(block);
        self
    }

    /// Sets the colours (activities take [`Theme::activity`]; a timeline cell uses
    /// the foreground colours of its two activities' styles, or, when one has none,
    /// the glyph of the larger share in its style).
    #[must_use = "method moves the value of self and returns the modified value"]
    pub const fn theme(mut self, theme: Theme) -> Self {
        self.theme = theme;
        self
    }

    /// Draws a legend on the last line: `█ computing  █ waiting: GIL`, one entry for
    /// each activity that shows on screen (as a word or in a drawn timeline cell), in
    /// [`Activity::ALL`] order; entries that do not fit are dropped whole. The legend
    /// gives its line back when it would leave a single line for several workers.
    #[must_use = "method moves the value of self and returns the modified value"]
    pub const fn legend(mut self, legend: bool) -> Self {
        self.legend = legend;
        self
    }
}

impl Widget for WorkerLanes<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        Widget::render(&self, area, buf);
    }
}

impl Widget for &WorkerLanes<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        self.block.as_ref().render(area, buf);
        self.render_lanes(self.block.inner_if_some(area), buf);
    }
}

/// Widths of the columns of a row, in cells; a dropped column is zero / `false`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Columns {
    /// The worker's label.
    label: u16,
    /// The core, `cpu12`.
    core: u16,
    /// Tasks done, `1204 done`.
    tasks: u16,
    /// Whether the CPU% is drawn.
    cpu: bool,
    /// The timeline; zero when dropped.
    lane: u16,
}

/// The activities drawn on screen, by index into [`Activity::ALL`].
#[derive(Clone, Copy, Debug, Default)]
struct Shown([bool; Activity::ALL.len()]);

impl Shown {
    /// Notes that `activity` is drawn.
    fn insert(&mut self, activity: Activity) {
        if let Some(index) = Activity::ALL.iter().position(|a| *a == activity) {
            self.0[index] = true;
        }
    }

    /// The activities drawn, in [`Activity::ALL`] order.
    fn iter(self) -> impl Iterator<Item = Activity> {
        Activity::ALL
            .into_iter()
            .zip(self.0)
            .filter_map(|(activity, shown)| shown.then_some(activity))
    }
}

/// The core as a worker row shows it: `cpu3`, or `cpu?` when unknown.
fn core_text(core: Option<u32>) -> String {
    core.map_or_else(|| "cpu?".to_owned(), |core| format!("cpu{core}"))
}

/// The CPU% as a worker row shows it, [`CPU_WIDTH`] cells: `  7%`, `100%`, `   ?`.
fn cpu_text(cpu_pct: Option<f32>) -> Option<String> {
    cpu_pct
        .and_then(cells::percent)
        .map(|pct| format!("{:>3}%", pct.round() as u8))
}

/// A style with foreground `fg` and background `bg`, either possibly unset.
fn colours(fg: Option<Color>, bg: Option<Color>) -> Style {
    let mut style = Style::new();
    style.fg = fg;
    style.bg = bg;
    style
}

/// Where the next column of a row starts.
#[derive(Clone, Copy, Debug)]
struct Cursor {
    /// The first cell of the next column.
    x: u16,
    /// The row.
    y: u16,
    /// The first cell past the row.
    right: u16,
}

impl Cursor {
    /// Draws `text` as the next column, `width` cells but not past the row's end, and
    /// moves past the column and the blank after it.
    fn column(&mut self, buf: &mut Buffer, width: u16, text: &str, align: Align, style: Style) {
        let room = self.right.saturating_sub(self.x).min(width);
        if room > 0 {
            cells::put(buf, (self.x, self.y), room, text, align, style);
        }
        self.x = self.x.saturating_add(width).saturating_add(1);
    }
}

impl WorkerLanes<'_> {
    /// The column widths for rows `width` cells wide: the label squeezed to
    /// [`LABEL_MIN`] first, then the CPU% dropped, then the timeline. Below that the
    /// columns are cut at the right edge.
    fn columns(&self, width: u16) -> Columns {
        let widest = |measure: &dyn Fn(&WorkerLane<'_>) -> u16| {
            self.workers.iter().map(measure).max().unwrap_or(0)
        };
        let wanted = widest(&|worker| cells::width(worker.label)).min(LABEL_MAX);
        let core = widest(&|worker| cells::width(&core_text(worker.core)));
        let tasks = widest(&|worker| cells::width(&worker.tasks_done.to_string()))
            + cells::width(TASKS_UNIT);
        let label_min = wanted.min(LABEL_MIN);
        let fixed = 1 + Activity::LABEL_WIDTH + 1 + core + 1 + tasks;
        let cpu_width = |cpu: bool| if cpu { 1 + CPU_WIDTH } else { 0 };
        let lane_min = |lane: bool| if lane { 1 + MIN_LANE } else { 0 };
        let (cpu, lane) = [(true, true), (false, true)]
            .into_iter()
            .find(|&(cpu, lane)| fixed + cpu_width(cpu) + lane_min(lane) + label_min <= width)
            .unwrap_or((false, false));
        let others = fixed + cpu_width(cpu);
        let label = wanted.min(width.saturating_sub(others + lane_min(lane)).max(label_min));
        Columns {
            label,
            core,
            tasks,
            cpu,
            lane: if lane { width - label - others - 1 } else { 0 },
        }
    }

    /// The symbol and style of one timeline cell, and the activities it shows (for
    /// the legend): `first` from the left in eighths, its colour over `second`'s; a
    /// gap is blank, an unknown split `?`. When either activity's style has no
    /// foreground colour, eighths could not tell them apart, so the cell is one
    /// activity's glyph in its style (see [`WorkerLanes::glyph_of`]).
    fn lane_cell(&self, cell: Option<LaneCell>) -> (&'static str, Style, [Option<Activity>; 2]) {
        let Some(cell) = cell else {
            return (" ", self.theme.gap, [None, None]);
        };
        let Some(eighths) = cell.eighths() else {
            return (UNKNOWN, self.theme.dim, [None, None]);
        };
        let first = self.theme.activity(cell.first).fg;
        let second = self.theme.activity(cell.second).fg;
        if first.is_none() || second.is_none() {
            let shown = Self::glyph_of(cell, eighths);
            return (
                shown.glyph(),
                self.theme.activity(shown),
                [Some(shown), None],
            );
        }
        match eighths {
            0 => (FULL, colours(second, second), [Some(cell.second), None]),
            8.. => (FULL, colours(first, first), [Some(cell.first), None]),
            partial => (
                EIGHTHS[partial],
                colours(first, second),
                [Some(cell.first), Some(cell.second)],
            ),
        }
    }

    /// The one activity a cell without colours shows for a tick `eighths` of which
    /// went to `cell.first`: the larger share when it took three quarters of the
    /// tick or more; otherwise, a mixed tick, what held the worker up (the activity
    /// that is not computing). So two workers trading the GIL draw `G`s, as colour
    /// would draw half orange cells, where the larger share alone would flicker
    /// between `█` and `G` around one half.
    fn glyph_of(cell: LaneCell, eighths: usize) -> Activity {
        let (larger, smaller, larger_eighths) = if eighths >= 4 {
            (cell.first, cell.second, eighths)
        } else {
            (cell.second, cell.first, 8 - eighths)
        };
        if larger_eighths >= 6 || larger != Activity::Computing {
            larger
        } else {
            smaller
        }
    }

    /// Draws the rows, the `… N more workers` line and the legend into `area`
    /// (inside the block).
    fn render_lanes(&self, area: Rect, buf: &mut Buffer) {
        if area.is_empty() {
            return;
        }
        if self.workers.is_empty() {
            let position = (area.x, area.y);
            cells::put(
                buf,
                position,
                area.width,
                "no workers",
                Align::Left,
                self.theme.dim,
            );
            return;
        }
        let count = self.workers.len();
        let legend = self.legend && (area.height >= 3 || (area.height == 2 && count == 1));
        let body = usize::from(area.height - u16::from(legend));
        let shown = if count <= body {
            count
        } else if body >= 2 {
            body - 1
        } else {
            body
        };
        let columns = self.columns(area.width);
        let mut on_screen = Shown::default();
        for (worker, y) in self.workers.iter().take(shown).zip(area.y..) {
            self.render_worker(worker, (area, y), columns, &mut on_screen, buf);
        }
        let hidden = count - shown;
        if hidden > 0 && shown < body {
            let y = area.y + shown as u16;
            let text = cells::more(hidden, Some(("worker", "workers")));
            cells::put(
                buf,
                (area.x, y),
                area.width,
                &text,
                Align::Left,
                self.theme.dim,
            );
        }
        if legend {
            self.render_legend(on_screen, (area.x, area.bottom() - 1), area.width, buf);
        }
    }

    /// Draws one worker's row at `y` across `area`, noting the activities it shows.
    fn render_worker(
        &self,
        worker: &WorkerLane<'_>,
        (area, y): (Rect, u16),
        columns: Columns,
        on_screen: &mut Shown,
        buf: &mut Buffer,
    ) {
        let theme = &self.theme;
        let mut cursor = Cursor {
            x: area.x,
            y,
            right: area.right(),
        };
        cursor.column(buf, columns.label, worker.label, Align::Left, theme.accent);
        let activity_style = theme.activity(worker.activity);
        let activity = worker.activity.label();
        cursor.column(
            buf,
            Activity::LABEL_WIDTH,
            activity,
            Align::Left,
            activity_style,
        );
        on_screen.insert(worker.activity);
        let core_style = if worker.core.is_some() {
            theme.text
        } else {
            theme.dim
        };
        cursor.column(
            buf,
            columns.core,
            &core_text(worker.core),
            Align::Left,
            core_style,
        );
        let tasks = format!("{}{TASKS_UNIT}", worker.tasks_done);
        cursor.column(buf, columns.tasks, &tasks, Align::Right, theme.text);
        if columns.cpu {
            let (text, style) = cpu_text(worker.cpu_pct).map_or_else(
                || (UNKNOWN.to_owned(), theme.dim),
                |text| (text, theme.text),
            );
            cursor.column(buf, CPU_WIDTH, &text, Align::Right, style);
        }
        if columns.lane == 0 {
            return;
        }
        let ticks = worker.cells.latest(usize::from(columns.lane));
        let start = cursor.right - ticks.len() as u16;
        for (cell, x) in ticks.zip(start..) {
            let (symbol, style, shows) = self.lane_cell(cell);
            buf[(x, y)].set_symbol(symbol).set_style(style);
            for activity in shows.into_iter().flatten() {
                on_screen.insert(activity);
            }
        }
    }

    /// Draws the legend of the activities `on_screen` from `(x, y)`, `width` cells:
    /// each one's swatch as its cells show it, a coloured block or, without a colour,
    /// its glyph.
    fn render_legend(&self, on_screen: Shown, (x, y): (u16, u16), width: u16, buf: &mut Buffer) {
        let entries = on_screen.iter().map(|activity| {
            let style = self.theme.activity(activity);
            let swatch = if style.fg.is_some() {
                FULL
            } else {
                activity.glyph()
            };
            Line::from(vec![
                Span::styled(swatch, style),
                Span::raw(" "),
                Span::styled(activity.label(), self.theme.dim),
            ])
        });
        let separator = Span::raw(LEGEND_SEPARATOR);
        cells::put_items(buf, (x, y), width, entries, &separator);
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use ratatui::widgets::Block;

    use super::*;
    use crate::testing::{
        PLAIN, any_size, hostile_percent, lines, render, render_any, screen, sentinel,
    };

    use Activity::{Computing, Idle, SleepingIo, WaitingGil, WaitingLock};

    /// Two threads trading a simulated GIL every few ticks, the hand-off landing
    /// inside a tick, and a third worker sleeping on I/O with a gap in its readings.
    fn timelines() -> [Vec<Option<LaneCell>>; 3] {
        let gil = |phase: usize| -> Vec<Option<LaneCell>> {
            (0..60)
                .map(|tick| {
                    let cell = match (tick + phase) % 6 {
                        0..=1 => LaneCell::whole(Computing),
                        2 => LaneCell::new(Computing, WaitingGil, 0.5),
                        3..=4 => LaneCell::whole(WaitingGil),
                        _ => LaneCell::new(WaitingGil, Computing, 0.25),
                    };
                    Some(cell)
                })
                .collect()
        };
        let mut io: Vec<_> = (0..60)
            .map(|tick| {
                Some(if tick % 10 == 0 {
                    LaneCell::new(Computing, SleepingIo, 0.125)
                } else {
                    LaneCell::whole(SleepingIo)
                })
            })
            .collect();
        io[57] = None;
        [gil(0), gil(3), io]
    }

    fn three_workers(timelines: &[Vec<Option<LaneCell>>; 3]) -> [WorkerLane<'_>; 3] {
        [
            WorkerLane {
                label: "worker-0",
                activity: Computing,
                core: Some(0),
                tasks_done: 1204,
                cpu_pct: Some(51.2),
                cells: LaneSeries::new(&timelines[0]),
            },
            WorkerLane {
                label: "worker-1",
                activity: WaitingGil,
                core: Some(1),
                tasks_done: 1187,
                cpu_pct: Some(48.0),
                cells: LaneSeries::new(&timelines[1]),
            },
            WorkerLane {
                label: "io-worker",
                activity: SleepingIo,
                core: None,
                tasks_done: 7,
                cpu_pct: None,
                cells: LaneSeries::new(&timelines[2]),
            },
        ]
    }

    /// One worker whose timeline is `cells`, on a row wide enough for a lane.
    fn one_worker(cells: &[Option<LaneCell>]) -> [WorkerLane<'_>; 1] {
        [WorkerLane {
            label: "w",
            activity: Computing,
            core: Some(0),
            tasks_done: 0,
            cpu_pct: Some(100.0),
            cells: LaneSeries::new(cells),
        }]
    }

    #[test]
    fn snapshot_three_workers() {
        let timelines = timelines();
        let workers = three_workers(&timelines);
        let lanes = WorkerLanes::new(&workers)
            .block(Block::bordered().title(" Workers "))
            .legend(true);
        insta::assert_snapshot!("three_workers_100x8", screen(&lanes, 100, 8));
        insta::assert_snapshot!("three_workers_50x8", screen(&lanes, 50, 8));
        insta::assert_snapshot!("three_workers_20x6", screen(&lanes, 20, 6));
    }

    #[test]
    fn snapshot_more_workers_than_lines() {
        let timelines = timelines();
        let names: Vec<_> = (0..12).map(|i| format!("pool-{i}")).collect();
        let workers: Vec<_> = (0..12)
            .map(|i| WorkerLane {
                label: &names[i],
                activity: [Computing, WaitingLock, Idle][i % 3],
                core: Some((i % 4) as u32),
                tasks_done: (i * 97) as u64,
                cpu_pct: Some((i * 9) as f32),
                cells: LaneSeries::new(&timelines[i % 3]),
            })
            .collect();
        let lanes = WorkerLanes::new(&workers)
            .block(Block::bordered().title(" Workers "))
            .legend(true);
        insta::assert_snapshot!("twelve_workers_80x8", screen(&lanes, 80, 8));
    }

    /// `PLAIN` has no colours: its cells are glyphs (see `lane_cell`).
    #[test]
    fn exact_rows_stay_inside_their_area() {
        let cells = [
            Some(LaneCell::whole(Computing)),
            Some(LaneCell::new(Computing, WaitingGil, 0.5)),
            None,
            Some(LaneCell::new(WaitingGil, Computing, 0.25)),
            Some(LaneCell::new(Computing, WaitingGil, f32::NAN)),
            Some(LaneCell::new(Computing, WaitingGil, 0.0)),
        ];
        let workers = [
            WorkerLane {
                label: "worker-0",
                activity: Computing,
                core: Some(3),
                tasks_done: 42,
                cpu_pct: Some(99.6),
                cells: LaneSeries::new(&cells),
            },
            WorkerLane {
                label: "w1",
                activity: WaitingGil,
                core: None,
                tasks_done: 7,
                cpu_pct: Some(f32::NAN),
                cells: LaneSeries::default(),
            },
        ];
        let inner = Rect::new(1, 1, 56, 3);
        let mut buf = sentinel(Rect::new(0, 0, 58, 5), inner);
        WorkerLanes::new(&workers)
            .theme(PLAIN)
            .legend(true)
            .render(inner, &mut buf);
        let expected = Buffer::with_lines([
            "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
            "Xworker-0 computing       cpu3 42 done 100%        █G █?GX",
            "Xw1       waiting: GIL    cpu?  7 done    ?              X",
            "X█ computing  G waiting: GIL                             X",
            "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
        ]);
        assert_eq!(buf, expected);
    }

    #[test]
    fn without_colours_each_activity_draws_its_glyph_and_the_legend_names_them() {
        let activities = [
            Idle,
            Computing,
            WaitingLock,
            Activity::WaitingPermit,
            Activity::WaitingQueue,
            WaitingGil,
            SleepingIo,
        ];
        let mut cells: Vec<_> = activities
            .iter()
            .map(|activity| Some(LaneCell::whole(*activity)))
            .collect();
        // A tick three quarters in one activity shows it; a mixed one, the wait.
        cells.push(Some(LaneCell::new(Computing, WaitingGil, 0.25)));
        cells.push(Some(LaneCell::new(Computing, WaitingGil, 0.75)));
        cells.push(Some(LaneCell::new(Computing, WaitingGil, 0.625)));
        cells.push(Some(LaneCell::new(WaitingLock, Computing, 0.5)));
        cells.push(Some(LaneCell::new(WaitingLock, Idle, 0.5)));
        let workers = one_worker(&cells);
        let lanes = WorkerLanes::new(&workers).theme(PLAIN).legend(true);
        let buf = render(&lanes, 100, 2);
        let screen = lines(&buf);
        assert!(screen[0].ends_with(" ·█LPQGzG█GLL"), "{:?}", screen[0]);
        assert_eq!(
            screen[1].trim_end(),
            "· idle  █ computing  L waiting: lock  P waiting: permit  Q waiting: queue  G waiting: GIL"
        );
        let reversed = Style::new().add_modifier(ratatui::style::Modifier::REVERSED);
        let theme = Theme {
            waiting_lock: reversed,
            ..PLAIN
        };
        let cells = [Some(LaneCell::whole(WaitingLock))];
        let buf = render(&WorkerLanes::new(&one_worker(&cells)).theme(theme), 60, 1);
        assert_eq!(buf[(59, 0)].symbol(), "L");
        assert_eq!(buf[(59, 0)].modifier, ratatui::style::Modifier::REVERSED);
    }

    #[test]
    fn half_share_is_a_left_half_block_first_colour_over_second() {
        let theme = Theme::dark();
        let cells = [Some(LaneCell::new(Computing, WaitingGil, 0.5))];
        let buf = render(&WorkerLanes::new(&one_worker(&cells)), 60, 1);
        let cell = &buf[(59, 0)];
        assert_eq!(cell.symbol(), "▌");
        assert_eq!(Some(cell.fg), theme.computing.fg);
        assert_eq!(Some(cell.bg), theme.waiting_gil.fg);
    }

    #[test]
    fn each_eighth_of_a_tick_shows() {
        let theme = Theme::dark();
        for eighths in 0..=8u8 {
            let share = f32::from(eighths) / 8.0;
            let cells = [Some(LaneCell::new(Computing, WaitingLock, share))];
            let buf = render(&WorkerLanes::new(&one_worker(&cells)), 60, 1);
            let cell = &buf[(59, 0)];
            let (symbol, fg) = match eighths {
                0 => ("█", theme.waiting_lock.fg),
                8 => ("█", theme.computing.fg),
                _ => (EIGHTHS[usize::from(eighths)], theme.computing.fg),
            };
            assert_eq!(cell.symbol(), symbol, "{eighths}/8");
            assert_eq!(Some(cell.fg), fg, "{eighths}/8");
        }
    }

    #[test]
    fn whole_and_out_of_range_shares_fill_the_cell() {
        let theme = Theme::dark();
        for (share, fg) in [
            (1.0, theme.computing.fg),
            (7.5, theme.computing.fg),
            (-2.0, theme.waiting_gil.fg),
        ] {
            let cells = [Some(LaneCell::new(Computing, WaitingGil, share))];
            let buf = render(&WorkerLanes::new(&one_worker(&cells)), 60, 1);
            assert_eq!(buf[(59, 0)].symbol(), "█", "{share}");
            assert_eq!(Some(buf[(59, 0)].fg), fg, "{share}");
        }
    }

    #[test]
    fn unknown_share_is_a_question_mark_and_a_gap_is_blank() {
        let cells = [
            Some(LaneCell::new(Computing, Idle, f32::INFINITY)),
            None,
            Some(LaneCell::whole(Computing)),
        ];
        let buf = render(&WorkerLanes::new(&one_worker(&cells)), 60, 1);
        let row = &lines(&buf)[0];
        assert!(row.ends_with("? █"), "{row:?}");
    }

    #[test]
    fn newest_tick_is_at_the_right_edge() {
        let mut cells = vec![Some(LaneCell::whole(Idle)); 200];
        cells.push(Some(LaneCell::whole(WaitingLock)));
        let older = &cells[..150];
        let newer = &cells[150..];
        let workers = [WorkerLane {
            cells: LaneSeries::from_parts(older, newer),
            ..one_worker(&[])[0]
        }];
        let buf = render(&WorkerLanes::new(&workers), 80, 1);
        let theme = Theme::dark();
        assert_eq!(Some(buf[(79, 0)].fg), theme.waiting_lock.fg);
        assert_eq!(Some(buf[(78, 0)].fg), theme.idle.fg);
    }

    #[test]
    fn a_short_timeline_is_right_aligned() {
        let cells = [Some(LaneCell::whole(Computing)); 3];
        let buf = render(&WorkerLanes::new(&one_worker(&cells)), 60, 1);
        let row = &lines(&buf)[0];
        let lane = row
            .split_once("100% ")
            .map(|(_, lane)| lane)
            .unwrap_or_default();
        assert_eq!(lane, format!("{}███", " ".repeat(lane.chars().count() - 3)));
        assert!(lane.chars().count() > 3 + 8, "{row:?}");
    }

    #[test]
    fn workers_that_do_not_fit_are_counted() {
        let timelines = timelines();
        let workers = three_workers(&timelines);
        let buf = render(&WorkerLanes::new(&workers), 100, 2);
        let screen = lines(&buf);
        assert!(screen[0].starts_with("worker-0 "), "{:?}", screen[0]);
        assert_eq!(screen[1].trim_end(), "… 2 more workers");
        let buf = render(&WorkerLanes::new(&workers).legend(true), 100, 3);
        let screen = lines(&buf);
        assert_eq!(screen[1].trim_end(), "… 2 more workers");
        assert!(screen[2].starts_with("█ computing"), "{:?}", screen[2]);
    }

    #[test]
    fn unknown_core_and_cpu_are_question_marks_never_zero() {
        let timelines = timelines();
        let workers = three_workers(&timelines);
        let buf = render(&WorkerLanes::new(&workers), 100, 3);
        let row = &lines(&buf)[2];
        assert!(
            row.starts_with("io-worker sleeping: I/O   cpu?    7 done    ? "),
            "{row:?}"
        );
    }

    #[test]
    fn narrow_rows_drop_the_cpu_then_the_timeline() {
        let timelines = timelines();
        let workers = three_workers(&timelines);
        let lanes = WorkerLanes::new(&workers);
        let wide = lanes.columns(100);
        assert!(wide.cpu && wide.lane > MIN_LANE);
        assert_eq!(wide.label, 9);
        let medium = lanes.columns(50);
        assert!(!medium.cpu && medium.lane >= MIN_LANE);
        let narrow = lanes.columns(40);
        assert_eq!((narrow.cpu, narrow.lane), (false, 0));
        let row = &lines(&render(&lanes, 50, 1))[0];
        assert!(!row.contains('%'), "{row:?}");
        let row = &lines(&render(&lanes, 40, 1))[0];
        assert_eq!(row.trim_end(), "worker-0  computing       cpu0 1204 done");
    }

    #[test]
    fn legend_names_only_what_is_on_screen_in_its_colour() {
        let theme = Theme::dark();
        let cells = [
            Some(LaneCell::new(SleepingIo, WaitingLock, 1.0)),
            Some(LaneCell::new(Idle, WaitingGil, 0.5)),
        ];
        let buf = render(&WorkerLanes::new(&one_worker(&cells)).legend(true), 80, 2);
        let legend = &lines(&buf)[1];
        assert_eq!(
            legend.trim_end(),
            "█ idle  █ computing  █ waiting: GIL  █ sleeping: I/O"
        );
        assert_eq!(Some(buf[(0, 1)].fg), theme.idle.fg);
        assert_eq!(Some(buf[(8, 1)].fg), theme.computing.fg);
        assert_eq!(Some(buf[(21, 1)].fg), theme.waiting_gil.fg);
    }

    #[test]
    fn legend_gives_way_to_a_second_worker() {
        let timelines = timelines();
        let workers = three_workers(&timelines);
        let buf = render(&WorkerLanes::new(&workers[..2]).legend(true), 100, 2);
        let screen = lines(&buf);
        assert!(screen[1].starts_with("… 1 more worker") || screen[1].starts_with("worker-1"));
        assert!(!screen[1].starts_with('█'), "{:?}", screen[1]);
    }

    #[test]
    fn no_workers_says_so() {
        let buf = render(&WorkerLanes::new(&[]).legend(true), 20, 2);
        assert_eq!(lines(&buf)[0].trim_end(), "no workers");
        assert_eq!(lines(&buf)[1].trim_end(), "");
    }

    #[test]
    fn lane_series_reads_both_parts_in_order() {
        let a = Some(LaneCell::whole(Idle));
        let b = Some(LaneCell::whole(Computing));
        let c = None;
        let (older, newer) = ([a, b], [c]);
        let series = LaneSeries::from_parts(&older, &newer);
        assert_eq!(series.len(), 3);
        assert!(!series.is_empty());
        assert_eq!(series.iter().collect::<Vec<_>>(), [a, b, c]);
        assert_eq!(series.latest(2).collect::<Vec<_>>(), [b, c]);
        assert_eq!(series.latest(9).len(), 3);
        assert!(LaneSeries::default().is_empty());
    }

    /// A tick as live data may deliver it: any activities, a share that may be NaN,
    /// infinite, negative or far above one, or no reading.
    fn hostile_cell() -> impl Strategy<Value = Option<LaneCell>> {
        let activity = || proptest::sample::select(Activity::ALL.to_vec());
        let share = prop_oneof![
            4 => 0.0f32..=1.0,
            1 => Just(f32::NAN),
            1 => Just(f32::INFINITY),
            1 => Just(f32::NEG_INFINITY),
            1 => -1.0e6f32..0.0,
            1 => 1.0f32..1.0e30,
        ];
        proptest::option::of(
            (activity(), activity(), share)
                .prop_map(|(first, second, share)| LaneCell::new(first, second, share)),
        )
    }

    proptest! {
        // Each case renders up to 250x80 cells (four times here) in a debug build.
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn render_never_panics(
            (width, height) in any_size(),
            raw in proptest::collection::vec(
                (
                    ("\\PC{0,30}", proptest::sample::select(Activity::ALL.to_vec())),
                    (proptest::option::of(any::<u32>()), any::<u64>(), hostile_percent()),
                    proptest::collection::vec(hostile_cell(), 0..300),
                ),
                0..100,
            ),
            legend in any::<bool>(),
        ) {
            let workers: Vec<_> = raw
                .iter()
                .map(|((label, activity), (core, tasks_done, cpu_pct), cells)| WorkerLane {
                    label,
                    activity: *activity,
                    core: *core,
                    tasks_done: *tasks_done,
                    cpu_pct: *cpu_pct,
                    cells: LaneSeries::new(cells),
                })
                .collect();
            let lanes = WorkerLanes::new(&workers).legend(legend);
            render_any(&lanes, width, height);
            render_any(&lanes.block(Block::bordered()), width, height);
        }
    }
}
