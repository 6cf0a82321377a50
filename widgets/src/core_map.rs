//! The thread-to-core map: one row per thread, one column per sampling tick, each
//! cell naming the core the thread ran on in that tick, blank when it did not run.
//!
//! It shows what no single number does: threads hopping between cores, two threads
//! taking turns on one core, a thread that never gets a CPU. A cell is the core's
//! number (`0`-`9`, then `a`-`z` for cores 10 to 35, `+` beyond), drawn as a solid
//! block with the number inside when the thread ran most of the tick, as a plain
//! number when it ran part of it, and dim when it ran only a sliver. The widget draws
//! borrowed history only (the model owns the ring buffers).

use core::num::NonZeroU16;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::widgets::{Block, BlockExt, Widget};

use crate::Theme;
use crate::cells::{self, Align};
use crate::series::Series;
use crate::thread_table::ThreadFlag;

/// Share of a tick, in percent, from which a cell is drawn solid.
const SOLID_FROM_PCT: f32 = 50.0;
/// Share of a tick, in percent, below which a cell is drawn dim.
const DIM_BELOW_PCT: f32 = 5.0;
/// Fewest cells a label is squeezed to.
const LABEL_MIN: u16 = 6;
/// Most cells a label takes.
const LABEL_MAX: u16 = 22;
/// Narrowest history worth drawing, in cells.
const MIN_CELLS: u16 = 4;
/// Core names, by core number.
const CORE_NAMES: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";

/// One tick of one thread: where it ran and for how much of the tick. Four
/// bytes, and as an `Option` four too: a history holds one a tick for every
/// thread (240 x 200 threads: 190 KiB, against 560 KiB as a `u32` and an
/// `f32`). The core is kept plus one (so `None` costs nothing), the share in
/// hundredths of a percent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CoreCell {
    core_plus_one: NonZeroU16,
    busy_centi_pct: u16,
}

/// `busy_centi_pct` of a share that is not a number.
const UNKNOWN_SHARE: u16 = u16::MAX;

impl CoreCell {
    /// A tick on logical CPU `core` (the last one, if it ran on several;
    /// past 65,534 all read as 65,534, drawn `+` like every core past 35),
    /// running `busy_pct` percent of it: clamped to `0..=100`, and a share
    /// that is not a number is unknown (the cell draws `?`).
    #[must_use]
    pub fn new(core: u32, busy_pct: f32) -> Self {
        let core = u16::try_from(core)
            .unwrap_or(u16::MAX - 1)
            .min(u16::MAX - 1);
        Self {
            core_plus_one: NonZeroU16::MIN.saturating_add(core),
            busy_centi_pct: cells::percent(busy_pct)
                .map_or(UNKNOWN_SHARE, |pct| (pct * 100.0).round() as u16),
        }
    }

    /// The logical CPU.
    #[must_use]
    pub const fn core(self) -> u32 {
        self.core_plus_one.get() as u32 - 1
    }

    /// Percent of the tick it ran, `0..=100`; `None` when unknown.
    #[must_use]
    pub fn busy_pct(self) -> Option<f32> {
        (self.busy_centi_pct != UNKNOWN_SHARE).then(|| f32::from(self.busy_centi_pct) / 100.0)
    }
}

/// A thread's cells, oldest tick first, borrowed from a ring buffer without copying
/// it. `None` is a tick in which the thread did not run (or was not read): blank.
pub type CoreSeries<'a> = Series<'a, CoreCell>;

/// One row of the map.
#[derive(Clone, Copy, Debug)]
pub struct CoreMapRow<'a> {
    /// Who the row is, e.g. `4243 python3`.
    pub label: &'a str,
    /// Why the thread is worth a look; colours the label as the thread table does.
    pub flag: ThreadFlag,
    /// Where it ran, tick by tick.
    pub cells: CoreSeries<'a>,
}

/// The map: per row a label, then the cells, newest at the right edge.
///
/// When rows do not fit, the last line says `… N more threads`; the selected row, if
/// any, is kept in view and highlighted, as in the thread table.
#[derive(Clone, Debug, Default)]
pub struct ThreadCoreMap<'a> {
    /// The rows, drawn in this order.
    rows: &'a [CoreMapRow<'a>],
    /// A block to wrap the map in.
    block: Option<Block<'a>>,
    /// Colours.
    theme: Theme,
    /// Index into `rows` of the selected row.
    selected: Option<usize>,
}

impl<'a> ThreadCoreMap<'a> {
    /// A map of `rows`, drawn in the order given.
    #[must_use]
    pub const fn new(rows: &'a [CoreMapRow<'a>]) -> Self {
        Self {
            rows,
            block: None,
            theme: Theme::dark(),
            selected: None,
        }
    }

    /// Wraps the map in `block`.
    #[must_use = "method moves the value of self and returns the modified value"]
    pub fn block(mut self, block: Block<'a>) -> Self {
        self.block = Some(block);
        self
    }

    /// Sets the colours: cells use [`Theme::computing`] (solid, then plain) and
    /// [`Theme::dim`]; labels use the thread flags' [`Theme::warn`] and
    /// [`Theme::alert`].
    #[must_use = "method moves the value of self and returns the modified value"]
    pub const fn theme(mut self, theme: Theme) -> Self {
        self.theme = theme;
        self
    }

    /// Highlights row `selected` and keeps it in view; past the end selects the last.
    #[must_use = "method moves the value of self and returns the modified value"]
    pub const fn selected(mut self, selected: Option<usize>) -> Self {
        self.selected = selected;
        self
    }
}

impl Widget for ThreadCoreMap<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        Widget::render(&self, area, buf);
    }
}

impl Widget for &ThreadCoreMap<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        self.block.as_ref().render(area, buf);
        self.render_map(self.block.inner_if_some(area), buf);
    }
}

/// The name of a core in one cell.
fn core_name(core: u32) -> &'static str {
    usize::try_from(core)
        .ok()
        .and_then(|index| CORE_NAMES.get(index..=index))
        .and_then(|byte| core::str::from_utf8(byte).ok())
        .unwrap_or("+")
}

/// The rows shown when `len` rows share `body` lines, keeping `selected` in view; one
/// line is kept for `… N more` when not all rows fit (unless there is only one).
fn window(len: usize, body: usize, selected: Option<usize>) -> core::ops::Range<usize> {
    if len <= body {
        return 0..len;
    }
    let shown = if body >= 2 { body - 1 } else { body };
    let first = selected.map_or(0, |index| (index.min(len - 1) + 1).saturating_sub(shown));
    first..first + shown
}

impl ThreadCoreMap<'_> {
    /// The symbol and style of one cell.
    fn cell(&self, cell: Option<CoreCell>) -> (&'static str, Style) {
        let Some(cell) = cell else {
            return (" ", self.theme.gap);
        };
        let Some(busy) = cell.busy_pct() else {
            return ("?", self.theme.dim);
        };
        let name = core_name(cell.core());
        if busy >= SOLID_FROM_PCT {
            (name, self.theme.computing.add_modifier(Modifier::REVERSED))
        } else if busy >= DIM_BELOW_PCT {
            (name, self.theme.computing)
        } else {
            (name, self.theme.dim)
        }
    }

    /// Draws the rows into `area` (inside the block).
    fn render_map(&self, area: Rect, buf: &mut Buffer) {
        if area.is_empty() {
            return;
        }
        if self.rows.is_empty() {
            let position = (area.x, area.y);
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
        let wanted = self
            .rows
            .iter()
            .map(|row| cells::width(row.label))
            .max()
            .unwrap_or(0)
            .min(LABEL_MAX);
        let label = if area.width >= wanted + 1 + MIN_CELLS {
            wanted
        } else {
            wanted.min(LABEL_MIN).min(area.width)
        };
        let history = area.width.saturating_sub(label + 1);
        let shown = window(self.rows.len(), usize::from(area.height), self.selected);
        let selected = self.selected.map(|index| index.min(self.rows.len() - 1));
        let mut y = area.y;
        for (index, row) in self
            .rows
            .iter()
            .enumerate()
            .skip(shown.start)
            .take(shown.len())
        {
            let style = match row.flag {
                ThreadFlag::None => self.theme.text,
                ThreadFlag::WaitingForCpu => self.theme.warn,
                ThreadFlag::BlockedOnLock => self.theme.alert,
            };
            let style = if selected == Some(index) {
                buf.set_style(Rect::new(area.x, y, area.width, 1), self.theme.selected);
                style.patch(self.theme.selected)
            } else {
                style
            };
            cells::put(buf, (area.x, y), label, row.label, Align::Left, style);
            if history > 0 {
                let ticks = row.cells.latest(usize::from(history));
                let start = area.right() - ticks.len() as u16;
                for (cell, x) in ticks.zip(start..) {
                    let (symbol, style) = self.cell(cell);
                    buf[(x, y)].set_symbol(symbol).set_style(style);
                }
            }
            y += 1;
        }
        let hidden = self.rows.len() - shown.len();
        if hidden > 0 && y < area.bottom() {
            let text = cells::more(hidden, Some(("thread", "threads")));
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

    use super::*;
    use crate::testing::{PLAIN, any_size, hostile_percent, render_any, screen, sentinel};

    /// Two GIL-bound threads taking turns on two cores, and a main thread that
    /// wakes now and then; 40 ticks.
    #[test]
    fn a_cell_and_a_blank_take_four_bytes_and_keep_what_they_were_given() {
        assert_eq!(core::mem::size_of::<Option<CoreCell>>(), 4);
        let cell = CoreCell::new(7, 42.5);
        assert_eq!((cell.core(), cell.busy_pct()), (7, Some(42.5)));
        assert_eq!(CoreCell::new(3, 250.0).busy_pct(), Some(100.0), "clamped");
        assert_eq!(CoreCell::new(3, -1.0).busy_pct(), Some(0.0), "clamped");
        assert_eq!(CoreCell::new(3, f32::NAN).busy_pct(), None, "unknown");
        assert_eq!(CoreCell::new(u32::MAX, 1.0).core(), 65_534, "saturated");
    }

    fn histories() -> [Vec<Option<CoreCell>>; 3] {
        let turns = |phase: usize| -> Vec<Option<CoreCell>> {
            (0..40)
                .map(|tick| {
                    let busy = if (tick + phase) % 4 < 2 { 90.0 } else { 20.0 };
                    Some(CoreCell::new(((tick / 3 + phase) % 2) as u32, busy))
                })
                .collect()
        };
        let main = (0..40)
            .map(|tick| (tick % 10 == 0).then_some(CoreCell::new(11, 2.0)))
            .collect();
        [turns(0), turns(1), main]
    }

    fn rows(histories: &[Vec<Option<CoreCell>>; 3]) -> [CoreMapRow<'_>; 3] {
        [
            CoreMapRow {
                label: "4243 python3",
                flag: ThreadFlag::None,
                cells: CoreSeries::new(&histories[0]),
            },
            CoreMapRow {
                label: "4244 python3",
                flag: ThreadFlag::BlockedOnLock,
                cells: CoreSeries::new(&histories[1]),
            },
            CoreMapRow {
                label: "4242 python3",
                flag: ThreadFlag::WaitingForCpu,
                cells: CoreSeries::new(&histories[2]),
            },
        ]
    }

    #[test]
    fn snapshots() {
        let histories = histories();
        let rows = rows(&histories);
        let map = ThreadCoreMap::new(&rows)
            .block(Block::bordered().title(" Thread → core "))
            .selected(Some(1));
        insta::assert_snapshot!("gil_turns_60x5", screen(&map, 60, 5));
        insta::assert_snapshot!("gil_turns_30x4", screen(&map, 30, 4));
        insta::assert_snapshot!("gil_turns_20x6", screen(&map, 20, 6));
    }

    #[test]
    fn exact_cells_name_the_core_newest_at_the_right() {
        let cells = [
            Some(CoreCell::new(0, 80.0)),
            None,
            Some(CoreCell::new(1, 30.0)),
            Some(CoreCell::new(35, 1.0)),
            Some(CoreCell::new(36, f32::NAN)),
            Some(CoreCell::new(12, 100.0)),
        ];
        let rows = [CoreMapRow {
            label: "7 worker",
            flag: ThreadFlag::None,
            cells: CoreSeries::from_parts(&cells[..2], &cells[2..]),
        }];
        let inner = Rect::new(1, 1, 18, 2);
        let mut buf = sentinel(Rect::new(0, 0, 20, 4), inner);
        ThreadCoreMap::new(&rows)
            .theme(PLAIN)
            .render(inner, &mut buf);
        let mut expected = Buffer::with_lines([
            "XXXXXXXXXXXXXXXXXXXX",
            "X7 worker    0 1z?cX",
            "X                  X",
            "XXXXXXXXXXXXXXXXXXXX",
        ]);
        for x in [13, 18] {
            expected[(x, 1)].set_style(Style::new().add_modifier(Modifier::REVERSED));
        }
        assert_eq!(buf, expected);
    }

    #[test]
    fn busy_share_picks_the_style() {
        let theme = Theme::dark();
        let map = ThreadCoreMap::new(&[]);
        let style = |busy_pct| map.cell(Some(CoreCell::new(0, busy_pct))).1;
        assert_eq!(
            style(50.0),
            theme.computing.add_modifier(Modifier::REVERSED)
        );
        assert_eq!(style(49.0), theme.computing);
        assert_eq!(style(4.0), theme.dim);
        assert_eq!(style(-4.0), theme.dim);
        assert_eq!(map.cell(None), (" ", theme.gap));
    }

    #[test]
    fn rows_that_do_not_fit_are_counted_and_the_selection_shown() {
        let histories = histories();
        let rows = rows(&histories);
        let area = Rect::new(0, 0, 30, 2);
        let mut buf = Buffer::empty(area);
        ThreadCoreMap::new(&rows)
            .theme(PLAIN)
            .selected(Some(2))
            .render(area, &mut buf);
        let line = |y| (0..30).map(|x| buf[(x, y)].symbol()).collect::<String>();
        assert!(line(0).starts_with("4242 python3"), "{}", line(0));
        assert_eq!(line(1).trim_end(), "… 2 more threads");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn render_never_panics(
            (width, height) in any_size(),
            raw in proptest::collection::vec(
                ("\\PC{0,30}", 0u8..3, proptest::collection::vec(
                    proptest::option::of((any::<u32>(), hostile_percent())), 0..300)),
                0..40,
            ),
            selected in proptest::option::of(0usize..50),
        ) {
            let histories: Vec<Vec<Option<CoreCell>>> = raw
                .iter()
                .map(|(_, _, cells)| {
                    cells
                        .iter()
                        .map(|cell| cell.map(|(core, busy)| CoreCell::new(core, busy.unwrap_or(f32::NAN))))
                        .collect()
                })
                .collect();
            let rows: Vec<_> = raw
                .iter()
                .zip(&histories)
                .map(|((label, flag, _), cells)| CoreMapRow {
                    label,
                    flag: [ThreadFlag::None, ThreadFlag::WaitingForCpu, ThreadFlag::BlockedOnLock]
                        [usize::from(*flag)],
                    cells: CoreSeries::new(cells),
                })
                .collect();
            let map = ThreadCoreMap::new(&rows).selected(selected);
            render_any(&map, width, height);
            render_any(&map.block(Block::bordered()), width, height);
        }
    }
}
