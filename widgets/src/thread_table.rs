//! The thread table: one row per thread, showing which run, which wait for a CPU and
//! which sleep on a lock.
//!
//! The table draws rows it is given, in the order given: sorting, filtering, grouping
//! and selection are the caller's state, passed in. Scrolling is pure too: from the
//! selected row the table works out which rows to show, and never writes anything back.
//!
//! Columns are chosen by priority as the width grows: a narrow table keeps TID, NAME
//! and CPU% (and what fits of the state, run-queue wait, ...), a wide one adds the
//! nice value, the futex share and the wait channel. A row may stand for a process
//! (the tree view): it then carries its threads' totals and its resident memory,
//! which belongs to the process, never to one of its threads.

use core::ops::Range;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::{Block, BlockExt, Widget};

use crate::Theme;
use crate::cells::{self, Align};

/// Marker appended to the header of the column the rows are sorted by.
/// The header's marks on the sorted column: largest first, smallest first.
const SORTED_DESCENDING: &str = "▼";
const SORTED_ASCENDING: &str = "▲";
/// Fewest cells the NAME column is squeezed to before other columns are dropped.
const NAME_MIN: u16 = 8;
/// Most cells the NAME column takes (Linux thread names are at most 15 bytes).
const NAME_MAX: u16 = 24;
/// Most cells the WAITING ON column takes (a lock's short label).
const WAITING_MAX: u16 = 16;
/// Most cells the WCHAN column takes (kernel function names run long).
const WCHAN_MAX: u16 = 20;
/// Columns given up when the table is narrow, least important first. TID, NAME and
/// CPU% are never dropped.
const DROP_ORDER: [ThreadColumn; 12] = [
    ThreadColumn::Nice,
    ThreadColumn::Wchan,
    ThreadColumn::FutexShare,
    ThreadColumn::Pid,
    ThreadColumn::Voluntary,
    ThreadColumn::Involuntary,
    ThreadColumn::LastCpu,
    ThreadColumn::Memory,
    ThreadColumn::WaitingOn,
    ThreadColumn::RunqWait,
    ThreadColumn::Threads,
    ThreadColumn::State,
];
/// Units for context-switch rates, each 1000 times the one before.
const RATE_UNITS: [&str; 5] = ["", "k", "M", "G", "T"];

/// Why a thread is worth a look; decides the row's colour.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ThreadFlag {
    /// Nothing special.
    #[default]
    None,
    /// Runnable but waiting in a run queue for a CPU (drawn with [`Theme::warn`]).
    WaitingForCpu,
    /// Asleep on a lock, e.g. a futex (drawn with [`Theme::alert`]).
    BlockedOnLock,
}

/// A column of the thread table, in display order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThreadColumn {
    /// Process id of the owning process (`PID`).
    Pid,
    /// Thread id (`TID`).
    Tid,
    /// Thread name (`NAME`).
    Name,
    /// A process row's thread count (`THR`); shown only in the tree view.
    Threads,
    /// Scheduler state letter (`S`); a process row counts its threads per state.
    State,
    /// Nice value, -20 (favoured) to 19 (`NI`).
    Nice,
    /// CPU the thread last ran on (`CPU`).
    LastCpu,
    /// Percent of one core used over the last interval (`CPU%`).
    CpuPct,
    /// Voluntary context switches per second (`VCSW/s`).
    Voluntary,
    /// Involuntary context switches per second (`IVCSW/s`).
    Involuntary,
    /// Percent of the interval spent runnable but waiting for a CPU (`RUNQ%`).
    RunqWait,
    /// Percent of the interval spent asleep in a futex wait (`FUTEX%`).
    FutexShare,
    /// A process row's resident memory (`RSS`); shown only in the tree view.
    Memory,
    /// The lock the thread is blocked on (`WAITING ON`); shown only when a
    /// row has one.
    WaitingOn,
    /// The kernel function a sleeping thread waits in (`WCHAN`).
    Wchan,
}

impl ThreadColumn {
    /// Every column, in display order (useful to cycle the sort column).
    pub const ALL: [Self; 15] = [
        Self::Pid,
        Self::Tid,
        Self::Name,
        Self::Threads,
        Self::State,
        Self::Nice,
        Self::LastCpu,
        Self::CpuPct,
        Self::Voluntary,
        Self::Involuntary,
        Self::RunqWait,
        Self::FutexShare,
        Self::Memory,
        Self::WaitingOn,
        Self::Wchan,
    ];

    /// The column's header text, without a sort marker.
    #[must_use]
    pub const fn header(self) -> &'static str {
        match self {
            Self::Pid => "PID",
            Self::Tid => "TID",
            Self::Name => "NAME",
            Self::Threads => "THR",
            Self::State => "S",
            Self::Nice => "NI",
            Self::LastCpu => "CPU",
            Self::CpuPct => "CPU%",
            Self::Voluntary => "VCSW/s",
            Self::Involuntary => "IVCSW/s",
            Self::RunqWait => "RUNQ%",
            Self::FutexShare => "FUTEX%",
            Self::Memory => "RSS",
            Self::WaitingOn => "WAITING ON",
            Self::Wchan => "WCHAN",
        }
    }

    /// What the column means, in a few words (the sort menu's text).
    #[must_use]
    pub const fn meaning(self) -> &'static str {
        match self {
            Self::Pid => "process id",
            Self::Tid => "thread id",
            Self::Name => "thread name",
            Self::Threads => "threads of the process",
            Self::State => "state: R run, S sleep, D disk",
            Self::Nice => "nice value",
            Self::LastCpu => "CPU it last ran on",
            Self::CpuPct => "percent of one core",
            Self::Voluntary => "voluntary switches/s",
            Self::Involuntary => "involuntary switches/s",
            Self::RunqWait => "time waiting for a CPU",
            Self::FutexShare => "time asleep on a futex",
            Self::Memory => "resident memory",
            Self::WaitingOn => "the lock it waits on",
            Self::Wchan => "kernel wait channel",
        }
    }

    /// Cells the column's values need at most (ids and names depend on the rows; see
    /// [`ThreadTable::columns`]).
    const fn value_width(self) -> u16 {
        match self {
            Self::Pid
            | Self::Tid
            | Self::Name
            | Self::State
            | Self::WaitingOn
            | Self::Wchan
            | Self::Threads => 1,
            Self::Nice | Self::LastCpu => 3,
            Self::CpuPct
            | Self::Voluntary
            | Self::Involuntary
            | Self::RunqWait
            | Self::FutexShare => 5,
            Self::Memory => 6,
        }
    }

    /// Text columns read from the left, numbers from the right.
    const fn align(self) -> Align {
        match self {
            Self::Name | Self::State | Self::Wchan => Align::Left,
            Self::WaitingOn => Align::Label,
            _ => Align::Right,
        }
    }
}

/// One thread as the table shows it; `None` means unknown and is drawn as `?`.
#[derive(Clone, Copy, Debug)]
pub struct ThreadRow<'a> {
    /// Process id of the owning process (a negative id is drawn as unknown).
    pub pid: i32,
    /// Thread id (a negative id is drawn as unknown).
    pub tid: i32,
    /// Thread name (`comm`).
    pub name: &'a str,
    /// State letter from `/proc` (`R`, `S`, `D`, `Z`, `T`, ...); `?` when unknown.
    pub state: char,
    /// CPU the thread last ran on.
    pub last_cpu: Option<u32>,
    /// Percent of one core used over the last interval, `0..=100`.
    pub cpu_pct: Option<f32>,
    /// Voluntary context switches per second (the thread gave up the CPU: sleep, I/O,
    /// a lock).
    pub voluntary_per_sec: Option<f32>,
    /// Involuntary context switches per second (the scheduler took the CPU away).
    pub involuntary_per_sec: Option<f32>,
    /// Percent of the interval spent runnable but waiting for a CPU, `0..=100`.
    pub runq_wait_pct: Option<f32>,
    /// Percent of the interval spent asleep in a futex wait, `0..=100`.
    pub futex_pct: Option<f32>,
    /// Nice value, -20 to 19.
    pub nice: Option<i32>,
    /// The kernel function it sleeps in; `None` for a sleeping thread means
    /// unknown (`?`), for a running one that there is none (blank).
    pub wchan: Option<&'a str>,
    /// The short label of the lock it is blocked on, if any.
    pub waiting_on: Option<&'a str>,
    /// Why the thread is worth a look.
    pub flag: ThreadFlag,
    /// Set when the row stands for a process (the tree view): its totals. Its
    /// `cpu_pct` and switch rates are then its threads' sums (above 100 when
    /// it keeps more than a core busy), its per-thread cells blank.
    pub process: Option<ProcessTotals<'a>>,
}

/// A process row's totals over its threads, and what belongs to the process.
#[derive(Clone, Copy, Debug)]
pub struct ProcessTotals<'a> {
    /// Its threads (those shown under it).
    pub threads: usize,
    /// How many threads are in each state, as `2R 3S`.
    pub states: &'a str,
    /// Its resident memory in KiB (shared by its threads); `None` when unknown.
    pub rss_kib: Option<u64>,
}

/// The thread table: a header, then one line per thread.
///
/// Narrow areas drop the least important columns first (PID, then the context-switch
/// rates, ...), keeping TID, NAME and CPU%. When rows do not fit, the last line says
/// `… N more` (rows not shown, above and below the window).
#[derive(Clone, Debug, Default)]
pub struct ThreadTable<'a> {
    /// The threads, drawn in this order.
    rows: &'a [ThreadRow<'a>],
    /// A block to wrap the table in.
    block: Option<Block<'a>>,
    /// Colours.
    theme: Theme,
    /// Index into `rows` of the selected row; always shown.
    selected: Option<usize>,
    /// The column `rows` are sorted by (marked `▼`, or `▲` when ascending).
    sorted_by: Option<ThreadColumn>,
    /// True when `rows` are sorted smallest first.
    ascending: bool,
}

impl<'a> ThreadTable<'a> {
    /// A table of `rows`, drawn in the order given.
    #[must_use]
    pub const fn new(rows: &'a [ThreadRow<'a>]) -> Self {
        Self {
            rows,
            block: None,
            theme: Theme::dark(),
            selected: None,
            sorted_by: None,
            ascending: false,
        }
    }

    /// Wraps the table in `block`.
    #[must_use = "method moves the value of self and returns the modified value"]
    pub fn block(mut self, block: Block<'a>) -> Self {
        self.block = Some(block);
        self
    }

    /// Sets the colours.
    #[must_use = "method moves the value of self and returns the modified value"]
    pub const fn theme(mut self, theme: Theme) -> Self {
        self.theme = theme;
        self
    }

    /// Highlights row `selected` (an index into the rows) and scrolls so it is shown.
    /// An index past the end selects the last row.
    #[must_use = "method moves the value of self and returns the modified value"]
    pub const fn selected(mut self, selected: Option<usize>) -> Self {
        self.selected = selected;
        self
    }

    /// Marks the column the rows are sorted by in the header.
    #[must_use = "method moves the value of self and returns the modified value"]
    pub const fn sorted_by(mut self, sorted_by: Option<ThreadColumn>) -> Self {
        self.sorted_by = sorted_by;
        self
    }

    /// Says the rows are sorted smallest first (`▲`), not largest first (`▼`,
    /// the default): the mark must tell which way the order runs.
    #[must_use = "method moves the value of self and returns the modified value"]
    pub const fn ascending(mut self, ascending: bool) -> Self {
        self.ascending = ascending;
        self
    }

    /// Where each column's header is drawn when the table is rendered into
    /// `area`, left to right: a click there may sort by that column.
    #[must_use]
    pub fn header_cells(&self, area: Rect) -> Vec<(Rect, ThreadColumn)> {
        let inner = self.block.inner_if_some(area);
        if inner.is_empty() {
            return Vec::new();
        }
        let mut x = inner.x;
        let mut cells = Vec::new();
        for (column, width) in self.columns(inner.width) {
            let room = inner.right().saturating_sub(x).min(width);
            if room > 0 {
                cells.push((Rect::new(x, inner.y, room, 1), column));
            }
            x = x.saturating_add(width + 1);
        }
        cells
    }

    /// The indices of the rows drawn when the table is rendered into `area`, top to
    /// bottom, so that a click on body line `k` maps to row `range.start + k`.
    ///
    /// When all rows fit this is `0..len`; otherwise the window holds the selected row
    /// (it starts at `(selected + 1).saturating_sub(shown)`), or starts at row 0.
    #[must_use]
    pub fn visible_rows(&self, area: Rect) -> Range<usize> {
        let body = self.block.inner_if_some(area).height.saturating_sub(1);
        window(self.rows.len(), usize::from(body), self.selected)
    }
}

/// The rows shown when `len` rows share `body` lines, keeping `selected` in view; one
/// line is kept for `… N more` when not all rows fit (unless there is only one line).
fn window(len: usize, body: usize, selected: Option<usize>) -> Range<usize> {
    if len <= body {
        return 0..len;
    }
    let shown = if body >= 2 { body - 1 } else { body };
    let first = selected.map_or(0, |index| (index.min(len - 1) + 1).saturating_sub(shown));
    first..first + shown
}

/// An id as text; a negative id means unknown.
fn id(value: i32) -> String {
    if value < 0 {
        "?".to_owned()
    } else {
        value.to_string()
    }
}

/// The cells [`id`] needs for `value`.
const fn id_width(value: i32) -> u16 {
    match value.checked_ilog10() {
        Some(digits) => digits as u16 + 1,
        None => 1,
    }
}

/// A percentage with one decimal (`12.5`), or `?` when unknown.
fn percent(value: Option<f32>) -> String {
    value
        .and_then(cells::percent)
        .map_or_else(|| "?".to_owned(), |pct| format!("{pct:.1}"))
}

/// A rate per second in at most five cells where it can be (`0.5`, `840`, `9999`,
/// `12k`, `3M`), or `?` when unknown. Negative rates count as zero.
fn rate(value: Option<f32>) -> String {
    let Some(value) = value.filter(|value| value.is_finite()) else {
        return "?".to_owned();
    };
    let mut scaled = if value > 0.0 { value } else { 0.0 };
    let mut unit = 0;
    while scaled >= 9999.5 && unit + 1 < RATE_UNITS.len() {
        scaled /= 1000.0;
        unit += 1;
    }
    if unit == 0 && scaled < 9.95 {
        format!("{scaled:.1}")
    } else {
        format!("{scaled:.0}{}", RATE_UNITS[unit])
    }
}

/// A process's total of percentages of one core: may pass 100 (several cores).
fn total_percent(value: Option<f32>) -> String {
    value
        .filter(|pct| pct.is_finite())
        .map_or_else(|| "?".to_owned(), |pct| format!("{:.1}", pct.max(0.0)))
}

impl ThreadRow<'_> {
    /// The text of this row in `column`.
    fn cell(&self, column: ThreadColumn) -> String {
        if let Some(process) = &self.process {
            return match column {
                ThreadColumn::Pid | ThreadColumn::Tid => id(self.pid),
                ThreadColumn::Name => self.name.to_owned(),
                ThreadColumn::Threads => process.threads.to_string(),
                ThreadColumn::State => process.states.to_owned(),
                ThreadColumn::CpuPct => total_percent(self.cpu_pct),
                ThreadColumn::Voluntary => rate(self.voluntary_per_sec),
                ThreadColumn::Involuntary => rate(self.involuntary_per_sec),
                ThreadColumn::Memory => crate::process_tree::rss(process.rss_kib),
                ThreadColumn::Nice
                | ThreadColumn::LastCpu
                | ThreadColumn::RunqWait
                | ThreadColumn::FutexShare
                | ThreadColumn::WaitingOn
                | ThreadColumn::Wchan => String::new(),
            };
        }
        match column {
            ThreadColumn::Pid => id(self.pid),
            ThreadColumn::Tid => id(self.tid),
            ThreadColumn::Name => self.name.to_owned(),
            ThreadColumn::State => self.state.to_string(),
            ThreadColumn::LastCpu => self
                .last_cpu
                .map_or_else(|| "?".to_owned(), |cpu| cpu.to_string()),
            ThreadColumn::CpuPct => percent(self.cpu_pct),
            ThreadColumn::Voluntary => rate(self.voluntary_per_sec),
            ThreadColumn::Involuntary => rate(self.involuntary_per_sec),
            ThreadColumn::RunqWait => percent(self.runq_wait_pct),
            ThreadColumn::WaitingOn => self.waiting_on.unwrap_or("").to_owned(),
            ThreadColumn::Threads | ThreadColumn::Memory => String::new(),
            ThreadColumn::Nice => self
                .nice
                .map_or_else(|| "?".to_owned(), |nice| nice.to_string()),
            ThreadColumn::FutexShare => percent(self.futex_pct),
            ThreadColumn::Wchan => match self.wchan {
                Some(wchan) => wchan.to_owned(),
                None if matches!(self.state, 'S' | 'D' | '?') => "?".to_owned(),
                None => String::new(),
            },
        }
    }
}

impl Widget for ThreadTable<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        Widget::render(&self, area, buf);
    }
}

impl Widget for &ThreadTable<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        self.block.as_ref().render(area, buf);
        self.render_table(self.block.inner_if_some(area), buf);
    }
}

impl ThreadTable<'_> {
    /// The header text of `column`, with the sort marker if the rows are sorted by it.
    fn header(&self, column: ThreadColumn) -> String {
        if self.sorted_by == Some(column) {
            let mark = if self.ascending {
                SORTED_ASCENDING
            } else {
                SORTED_DESCENDING
            };
            format!("{}{mark}", column.header())
        } else {
            column.header().to_owned()
        }
    }

    /// The columns that fit in `width` cells, with their widths, in display order.
    ///
    /// Ids are as wide as the widest id among all rows (not only those shown, so the
    /// columns stay put while scrolling).
    fn columns(&self, width: u16) -> Vec<(ThreadColumn, u16)> {
        let widest = |measure: fn(&ThreadRow<'_>) -> u16| self.rows.iter().map(measure).max();
        let name_wanted = widest(|row| cells::width(row.name))
            .unwrap_or(0)
            .clamp(4, NAME_MAX);
        // Squeezed, names still tell the threads apart (`producer-0` and
        // `producer-1` cut to `produce…` would not).
        let name_min = self.distinct_name_width(name_wanted.min(NAME_MIN), name_wanted);
        let pid_width = widest(|row| id_width(row.pid)).unwrap_or(0);
        let tid_width = widest(|row| id_width(row.tid)).unwrap_or(0);
        let waiting_width = widest(|row| row.waiting_on.map_or(0, cells::width)).unwrap_or(0);
        let wchan_width = widest(|row| row.wchan.map_or(1, cells::width)).unwrap_or(0);
        let state_width =
            widest(|row| row.process.map_or(1, |p| cells::width(p.states))).unwrap_or(0);
        let processes = self.rows.iter().any(|row| row.process.is_some());
        let mut columns: Vec<(ThreadColumn, u16)> = ThreadColumn::ALL
            .iter()
            .filter(|&&column| match column {
                ThreadColumn::WaitingOn => waiting_width > 0,
                ThreadColumn::Threads | ThreadColumn::Memory => processes,
                _ => true,
            })
            .map(|&column| {
                let values = match column {
                    ThreadColumn::Pid => pid_width,
                    ThreadColumn::Tid => tid_width,
                    ThreadColumn::State => state_width,
                    ThreadColumn::WaitingOn => waiting_width.min(WAITING_MAX),
                    ThreadColumn::Wchan => wchan_width.min(WCHAN_MAX),
                    _ => column.value_width(),
                };
                (column, cells::width(&self.header(column)).max(values))
            })
            .collect();
        let others = |columns: &[(ThreadColumn, u16)]| -> u16 {
            let fixed: u16 = columns
                .iter()
                .filter(|(column, _)| *column != ThreadColumn::Name)
                .map(|(_, width)| width)
                .sum();
            fixed + (columns.len() as u16 - 1)
        };
        for dropped in DROP_ORDER {
            if others(&columns) + name_min <= width {
                break;
            }
            columns.retain(|(column, _)| *column != dropped);
        }
        let name_width = name_wanted.min(width.saturating_sub(others(&columns)));
        for (column, width) in &mut columns {
            if *column == ThreadColumn::Name {
                *width = name_width;
            }
        }
        columns
    }

    /// The narrowest width from `least` to `most` at which the names, cut
    /// with `…`, are as many different names as uncut; `most` if none is.
    fn distinct_name_width(&self, least: u16, most: u16) -> u16 {
        let cut = |name: &str, width: u16| -> String {
            if cells::width(name) <= width {
                name.to_owned()
            } else {
                let keep = usize::from(width.saturating_sub(1));
                let mut kept: String = name.chars().take(keep).collect();
                kept.push('…');
                kept
            }
        };
        let distinct = |width: u16| {
            let names: std::collections::BTreeSet<String> =
                self.rows.iter().map(|row| cut(row.name, width)).collect();
            names.len()
        };
        let uncut = distinct(u16::MAX);
        (least..most)
            .find(|w| distinct(*w) == uncut)
            .unwrap_or(most)
    }

    /// Draws one line of `texts` (one per column) at `y` across `area`.
    fn render_line(
        columns: &[(ThreadColumn, u16)],
        texts: impl Iterator<Item = String>,
        (area, y): (Rect, u16),
        style: Style,
        buf: &mut Buffer,
    ) {
        buf.set_style(Rect::new(area.x, y, area.width, 1), style);
        let mut x = area.x;
        for (&(column, width), text) in columns.iter().zip(texts) {
            let room = area.right().saturating_sub(x).min(width);
            cells::put(buf, (x, y), room, &text, column.align(), style);
            x = x.saturating_add(width + 1);
        }
    }

    /// The style of `row`: its flag's colour (bold for a process row), with the
    /// selection on top.
    fn row_style(&self, row: &ThreadRow<'_>, selected: bool) -> Style {
        let style = match row.flag {
            ThreadFlag::None => self.theme.text,
            ThreadFlag::WaitingForCpu => self.theme.warn,
            ThreadFlag::BlockedOnLock => self.theme.alert,
        };
        let style = if row.process.is_some() {
            style.add_modifier(ratatui::style::Modifier::BOLD)
        } else {
            style
        };
        if selected {
            style.patch(self.theme.selected)
        } else {
            style
        }
    }

    /// Draws the header and the rows into `area` (inside the block).
    fn render_table(&self, area: Rect, buf: &mut Buffer) {
        if area.is_empty() {
            return;
        }
        let columns = self.columns(area.width);
        let headers = columns.iter().map(|&(column, _)| self.header(column));
        Self::render_line(&columns, headers, (area, area.y), self.theme.title, buf);
        let body = area.height - 1;
        if body == 0 {
            return;
        }
        if self.rows.is_empty() {
            let position = (area.x, area.y + 1);
            cells::put(
                buf,
                position,
                area.width,
                "no threads",
                Align::Left,
                self.theme.dim,
            );
            return;
        }
        let shown = window(self.rows.len(), usize::from(body), self.selected);
        let selected = self.selected.map(|index| index.min(self.rows.len() - 1));
        let mut y = area.y + 1;
        for (index, row) in self
            .rows
            .iter()
            .enumerate()
            .skip(shown.start)
            .take(shown.len())
        {
            let style = self.row_style(row, selected == Some(index));
            let texts = columns.iter().map(|&(column, _)| row.cell(column));
            Self::render_line(&columns, texts, (area, y), style, buf);
            y += 1;
        }
        let hidden = self.rows.len() - shown.len();
        if hidden > 0 && y < area.bottom() {
            let text = cells::more(hidden, None);
            cells::put(
                buf,
                (area.x, y),
                area.width,
                &text,
                Align::Left,
                self.theme.dim,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use ratatui::widgets::Block;

    use super::*;
    use crate::testing::{PLAIN, any_size, hostile_percent, render_any, screen, sentinel};

    const PID: i32 = 4242;

    /// A GIL demo seen from outside: the main thread sleeping, one worker running and
    /// one runnable but waiting for the CPU (its readings not in yet).
    fn three_rows() -> [ThreadRow<'static>; 3] {
        [
            ThreadRow {
                pid: PID,
                tid: PID,
                name: "python3",
                state: 'S',
                last_cpu: Some(0),
                cpu_pct: Some(0.3),
                voluntary_per_sec: Some(12.0),
                involuntary_per_sec: Some(0.0),
                runq_wait_pct: Some(0.0),
                waiting_on: None,
                futex_pct: Some(95.0),
                nice: Some(0),
                wchan: Some("futex_do_wait"),
                process: None,
                flag: ThreadFlag::None,
            },
            ThreadRow {
                pid: PID,
                tid: PID + 1,
                name: "worker-0",
                state: 'R',
                last_cpu: Some(1),
                cpu_pct: Some(97.8),
                voluntary_per_sec: Some(2.0),
                involuntary_per_sec: Some(48.0),
                runq_wait_pct: Some(1.2),
                waiting_on: None,
                futex_pct: Some(0.0),
                nice: Some(0),
                wchan: None,
                process: None,
                flag: ThreadFlag::None,
            },
            ThreadRow {
                pid: PID,
                tid: PID + 2,
                name: "worker-1",
                state: 'R',
                last_cpu: None,
                cpu_pct: None,
                voluntary_per_sec: None,
                involuntary_per_sec: None,
                runq_wait_pct: Some(45.5),
                waiting_on: None,
                futex_pct: None,
                nice: Some(5),
                wchan: None,
                process: None,
                flag: ThreadFlag::WaitingForCpu,
            },
        ]
    }

    /// A big thread pool: `count` workers, some busy, some on a lock, some queued.
    fn many_rows(names: &[String]) -> Vec<ThreadRow<'_>> {
        names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let flag = match i % 7 {
                    0 => ThreadFlag::BlockedOnLock,
                    3 => ThreadFlag::WaitingForCpu,
                    _ => ThreadFlag::None,
                };
                ThreadRow {
                    pid: PID,
                    tid: PID + i as i32,
                    name,
                    state: if flag == ThreadFlag::BlockedOnLock {
                        'S'
                    } else {
                        'R'
                    },
                    last_cpu: Some((i % 16) as u32),
                    cpu_pct: Some(((i * 37) % 1000) as f32 / 10.0),
                    voluntary_per_sec: Some((i * i) as f32 * 1.5),
                    involuntary_per_sec: Some((i * 131 % 20_000) as f32),
                    runq_wait_pct: Some((i % 9) as f32 * 5.5),
                    waiting_on: None,
                    futex_pct: Some((i % 11) as f32 * 9.0),
                    nice: Some(0),
                    wchan: (flag == ThreadFlag::BlockedOnLock).then_some("futex_do_wait"),
                    process: None,
                    flag,
                }
            })
            .collect()
    }

    fn worker_names(count: usize) -> Vec<String> {
        (0..count).map(|i| format!("pool-worker-{i}")).collect()
    }

    fn lines(buf: &Buffer) -> Vec<String> {
        (buf.area.top()..buf.area.bottom())
            .map(|y| {
                (buf.area.left()..buf.area.right())
                    .map(|x| buf[(x, y)].symbol())
                    .collect()
            })
            .collect()
    }

    fn block() -> Block<'static> {
        Block::bordered().title(" Threads ")
    }

    #[test]
    fn snapshot_three_rows() {
        let rows = three_rows();
        let table = ThreadTable::new(&rows)
            .block(block())
            .sorted_by(Some(ThreadColumn::CpuPct))
            .selected(Some(1));
        insta::assert_snapshot!("three_rows_80x8", screen(&table, 80, 8));
        insta::assert_snapshot!("three_rows_20x6", screen(&table, 20, 6));
    }

    #[test]
    fn snapshot_no_rows() {
        let table = ThreadTable::new(&[]).block(block());
        insta::assert_snapshot!("no_rows_80x8", screen(&table, 80, 8));
    }

    #[test]
    fn snapshot_two_hundred_rows() {
        let names = worker_names(200);
        let rows = many_rows(&names);
        let table = ThreadTable::new(&rows)
            .block(block())
            .sorted_by(Some(ThreadColumn::RunqWait))
            .selected(Some(150));
        insta::assert_snapshot!("two_hundred_rows_120x14", screen(&table, 120, 14));
        insta::assert_snapshot!("two_hundred_rows_20x6", screen(&table, 20, 6));
    }

    #[test]
    fn the_sort_mark_says_which_way_the_order_runs() {
        let rows = three_rows();
        let header = |table: &ThreadTable<'_>| {
            let area = Rect::new(0, 0, 60, 4);
            let mut buf = Buffer::empty(area);
            table.render(area, &mut buf);
            (0..area.width)
                .map(|x| buf[(x, 0)].symbol().to_owned())
                .collect::<String>()
        };
        let sorted = ThreadTable::new(&rows).sorted_by(Some(ThreadColumn::Name));
        assert!(header(&sorted).contains("NAME▼"), "{}", header(&sorted));
        let sorted = sorted.ascending(true);
        assert!(header(&sorted).contains("NAME▲"), "{}", header(&sorted));
    }

    #[test]
    fn exact_narrow_table_drops_minor_columns_and_stays_inside() {
        let rows = three_rows();
        let inner = Rect::new(1, 1, 40, 5);
        let mut buf = sentinel(Rect::new(0, 0, 42, 7), inner);
        ThreadTable::new(&rows)
            .theme(PLAIN)
            .sorted_by(Some(ThreadColumn::CpuPct))
            .render(inner, &mut buf);
        let expected = Buffer::with_lines([
            "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
            "X TID NAME     S CPU CPU%▼ IVCSW/s RUNQ% X",
            "X4242 python3  S   0   0.3     0.0   0.0 X",
            "X4243 worker-0 R   1  97.8      48   1.2 X",
            "X4244 worker-1 R   ?     ?       ?  45.5 X",
            "X                                        X",
            "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
        ]);
        assert_eq!(buf, expected);
    }

    #[test]
    fn squeezed_names_still_tell_the_threads_apart() {
        let names = ["producer-0", "producer-1", "consumer-0"];
        let rows: Vec<ThreadRow<'_>> = three_rows()
            .into_iter()
            .zip(names)
            .map(|(row, name)| ThreadRow { name, ..row })
            .collect();
        let buf = {
            let area = Rect::new(0, 0, 22, 5);
            let mut buf = Buffer::empty(area);
            ThreadTable::new(&rows).theme(PLAIN).render(area, &mut buf);
            buf
        };
        let text: String = (0..5)
            .map(|y| (0..22).map(|x| buf[(x, y)].symbol()).collect::<String>() + "\n")
            .collect();
        for name in names {
            assert!(text.contains(name), "`{name}` should show whole:\n{text}");
        }
    }

    #[test]
    fn exact_overflow_keeps_the_selection_and_counts_the_rest() {
        let names = worker_names(10);
        let rows = many_rows(&names);
        let inner = Rect::new(1, 1, 22, 4);
        let mut buf = sentinel(Rect::new(0, 0, 24, 6), inner);
        ThreadTable::new(&rows)
            .theme(PLAIN)
            .selected(Some(6))
            .render(inner, &mut buf);
        let expected = Buffer::with_lines([
            "XXXXXXXXXXXXXXXXXXXXXXXX",
            "X TID NAME         CPU%X",
            "X4247 pool-worke…  18.5X",
            "X4248 pool-worke…  22.2X",
            "X… 8 more              X",
            "XXXXXXXXXXXXXXXXXXXXXXXX",
        ]);
        assert_eq!(buf, expected);
    }

    #[test]
    fn all_columns_on_a_wide_terminal() {
        let mut rows = three_rows();
        rows[0].waiting_on = Some("queue_lock");
        let area = Rect::new(0, 0, 138, 2);
        let mut buf = Buffer::empty(area);
        ThreadTable::new(&rows).render(area, &mut buf);
        let header = &lines(&buf)[0];
        for column in ThreadColumn::ALL {
            let tree_only = matches!(column, ThreadColumn::Threads | ThreadColumn::Memory);
            assert_eq!(
                header.contains(column.header()),
                !tree_only,
                "{column:?} in {header:?}: every column but the tree view's shows"
            );
        }
    }

    #[test]
    fn the_waiting_on_column_shows_only_when_a_thread_waits() {
        let mut rows = three_rows();
        let without = screen(ThreadTable::new(&rows).theme(PLAIN), 120, 4);
        assert!(!without.contains("WAITING ON"), "{without}");
        rows[0].waiting_on = Some("CPython GIL");
        insta::assert_snapshot!(
            "waiting_on_80x5",
            screen(ThreadTable::new(&rows).theme(PLAIN), 80, 5)
        );
        insta::assert_snapshot!(
            "waiting_on_48x5",
            screen(ThreadTable::new(&rows).theme(PLAIN), 48, 5)
        );
    }

    #[test]
    fn process_rows_carry_totals_and_memory_threads_none() {
        let threads = three_rows();
        let mut rows = vec![ThreadRow {
            name: "python3",
            cpu_pct: Some(198.1),
            process: Some(ProcessTotals {
                threads: 3,
                states: "2R 1S",
                rss_kib: Some(12_595),
            }),
            ..threads[0]
        }];
        let prefixed = ["├ python3", "├ worker-0", "└ worker-1"];
        rows.extend(
            threads
                .iter()
                .zip(prefixed)
                .map(|(row, name)| ThreadRow { name, ..*row }),
        );
        let text = screen(ThreadTable::new(&rows).theme(PLAIN), 120, 6);
        insta::assert_snapshot!("tree_rows_120x6", text);
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[1].contains("2R 1S") && lines[1].contains("198.1") && lines[1].contains("12.3M"),
            "the process row shows its states, its CPU total and its memory: {}",
            lines[1]
        );
        for line in &lines[2..5] {
            assert!(
                !line.contains('M'),
                "a thread row shows no memory of its own: {line}"
            );
        }
        let narrow = screen(ThreadTable::new(&rows).theme(PLAIN), 48, 6);
        insta::assert_snapshot!("tree_rows_48x6", narrow);
    }

    #[test]
    fn header_cells_are_where_the_headers_are_drawn() {
        let rows = three_rows();
        let table = ThreadTable::new(&rows).block(block());
        let area = Rect::new(0, 0, 80, 6);
        let mut buf = Buffer::empty(area);
        (&table).render(area, &mut buf);
        let cells = table.header_cells(area);
        assert!(cells.len() >= 5, "{cells:?}");
        for (rect, column) in cells {
            let text: String = (rect.x..rect.right())
                .map(|x| buf[(x, rect.y)].symbol())
                .collect();
            assert_eq!(text.trim(), column.header(), "{column:?} at {rect:?}");
        }
    }

    #[test]
    fn unknown_values_are_question_marks_never_zero() {
        let rows = [ThreadRow {
            pid: -1,
            tid: 7,
            name: "t",
            state: '?',
            last_cpu: None,
            cpu_pct: Some(f32::NAN),
            voluntary_per_sec: None,
            involuntary_per_sec: Some(f32::INFINITY),
            runq_wait_pct: None,
            waiting_on: None,
            futex_pct: None,
            nice: None,
            wchan: None,
            process: None,
            flag: ThreadFlag::None,
        }];
        let area = Rect::new(0, 0, 100, 2);
        let mut buf = Buffer::empty(area);
        ThreadTable::new(&rows).render(area, &mut buf);
        let row = &lines(&buf)[1];
        let fields: Vec<_> = row.split_whitespace().collect();
        assert_eq!(
            fields,
            ["?", "7", "t", "?", "?", "?", "?", "?", "?", "?", "?", "?"],
            "PID TID NAME S NI CPU CPU% VCSW/s IVCSW/s RUNQ% FUTEX% WCHAN"
        );
    }

    #[test]
    fn flags_and_selection_colour_rows() {
        let rows = three_rows();
        let theme = Theme::dark();
        let area = Rect::new(0, 0, 80, 4);
        let mut buf = Buffer::empty(area);
        ThreadTable::new(&rows)
            .selected(Some(0))
            .render(area, &mut buf);
        assert_painted(&buf[(4, 1)], theme.text.patch(theme.selected));
        assert_painted(&buf[(4, 2)], theme.text);
        assert_painted(&buf[(4, 3)], theme.warn);
        let mut locked = rows[2];
        locked.flag = ThreadFlag::BlockedOnLock;
        let mut buf = Buffer::empty(area);
        ThreadTable::new(&[locked]).render(area, &mut buf);
        assert_painted(&buf[(4, 1)], theme.alert);
    }

    fn assert_painted(cell: &ratatui::buffer::Cell, style: Style) {
        let reset = ratatui::style::Color::Reset;
        assert_eq!(cell.fg, style.fg.unwrap_or(reset));
        assert_eq!(cell.bg, style.bg.unwrap_or(reset));
        assert_eq!(cell.modifier, style.add_modifier);
    }

    #[test]
    fn rates_stay_short() {
        assert_eq!(rate(Some(0.46)), "0.5");
        assert_eq!(rate(Some(-3.0)), "0.0");
        assert_eq!(rate(Some(840.0)), "840");
        assert_eq!(rate(Some(9999.0)), "9999");
        assert_eq!(rate(Some(12_345.0)), "12k");
        assert_eq!(rate(Some(3_100_000.0)), "3100k");
        assert_eq!(rate(Some(31_000_000.0)), "31M");
        assert_eq!(rate(Some(f32::NAN)), "?");
        assert_eq!(rate(None), "?");
    }

    #[test]
    fn visible_rows_matches_what_is_drawn() {
        let names = worker_names(200);
        let rows = many_rows(&names);
        let table = ThreadTable::new(&rows).block(block()).selected(Some(150));
        let area = Rect::new(0, 0, 80, 10);
        let range = table.visible_rows(area);
        assert_eq!(range, 145..151);
        let mut buf = Buffer::empty(area);
        table.render(area, &mut buf);
        let screen = lines(&buf);
        assert!(screen[2].contains("pool-worker-145 "), "{:?}", screen[2]);
        assert!(screen[7].contains("pool-worker-150 "), "{:?}", screen[7]);
        assert!(screen[8].contains("… 194 more"), "{:?}", screen[8]);
    }

    proptest! {
        // Each case renders up to 250x80 cells (twice here) in a debug build:
        // 64 cases still sweep the size range, at a quarter of the CI time.
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn selected_row_is_always_shown(len in 1usize..500, body in 1usize..80, selected in 0usize..600) {
            let range = window(len, body, Some(selected));
            prop_assert!(range.contains(&selected.min(len - 1)));
            prop_assert!(range.end <= len);
            prop_assert!(range.len() <= body);
            prop_assert_eq!(range.start, (selected.min(len - 1) + 1).saturating_sub(range.len()));
        }

        #[test]
        fn render_never_panics(
            (width, height) in any_size(),
            raw in proptest::collection::vec(
                (
                    (any::<i32>(), any::<i32>(), "\\PC{0,30}", any::<char>()),
                    (proptest::option::of(any::<u32>()), hostile_percent(), hostile_percent()),
                    (proptest::option::of(any::<f32>()), proptest::option::of(any::<f32>())),
                    (0u8..3, proptest::option::of(any::<i32>()), proptest::option::of("\\PC{0,30}")),
                    proptest::option::of((0usize..5000, "\\PC{0,12}", proptest::option::of(any::<u64>()))),
                ),
                0..250,
            ),
            selected in proptest::option::of(0usize..300),
            sorted in proptest::option::of(proptest::sample::select(ThreadColumn::ALL.to_vec())),
        ) {
            let rows: Vec<_> = raw
                .iter()
                .map(|((pid, tid, name, state), (last_cpu, cpu_pct, runq), (vol, invol), (flag, nice, wchan), process)| ThreadRow {
                    pid: *pid,
                    tid: *tid,
                    name,
                    state: *state,
                    last_cpu: *last_cpu,
                    cpu_pct: *cpu_pct,
                    voluntary_per_sec: *vol,
                    involuntary_per_sec: *invol,
                    runq_wait_pct: *runq,
                    waiting_on: (*flag == 2).then_some("CPython GIL"),
                    futex_pct: *runq,
                    nice: *nice,
                    wchan: wchan.as_deref(),
                    process: process.as_ref().map(|(threads, states, rss_kib)| ProcessTotals {
                        threads: *threads,
                        states,
                        rss_kib: *rss_kib,
                    }),
                    flag: [ThreadFlag::None, ThreadFlag::WaitingForCpu, ThreadFlag::BlockedOnLock][usize::from(*flag)],
                })
                .collect();
            let table = ThreadTable::new(&rows).selected(selected).sorted_by(sorted);
            let area = Rect::new(0, 0, width, height);
            for (cell, _) in table.header_cells(area) {
                prop_assert!(area.contains(cell.as_position()) && cell.right() <= area.right());
            }
            render_any(&table, width, height);
            render_any(&table.block(Block::bordered()), width, height);
        }
    }
}
