//! Per-core load bars, each followed by that core's recent history.
//!
//! The panel answers "how many cores are busy right now, and since when": one row per
//! logical CPU with a bar, the number, and a sparkline on a fixed 0..=100 scale (never
//! auto-scaled, so a full cell always means a fully busy core). It draws borrowed
//! readings only and must never hide a core silently: what does not fit is counted.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::{Block, BlockExt, Widget};

use crate::Theme;
use crate::cells::{self, Align, EIGHTHS, TROUGH};
use crate::series::Series;

/// Width of the number after the bar: `  7%`, `100%`, `   ?`.
const NUMBER_WIDTH: u16 = 4;
/// Narrowest bar worth drawing, in cells.
const MIN_BAR: u16 = 5;
/// Narrowest history worth drawing, in cells.
const MIN_HISTORY: u16 = 8;
/// Share of a row the bar takes when there is room for the history too, in percent.
const BAR_SHARE: u32 = 35;
/// Blank cells between columns of cores.
const COLUMN_GAP: u16 = 2;

/// One logical CPU's load now and over the recent past.
#[derive(Clone, Copy, Debug)]
pub struct CoreLoad<'a> {
    /// Logical CPU number, as in `/proc/stat` (`cpu0`, `cpu1`, ...).
    pub core: usize,
    /// Percent busy over the last sample interval, `0..=100`; `None` before the first
    /// interval completes. Out-of-range values are clamped and NaN counts as `None`.
    pub busy_pct: Option<f32>,
    /// Percent busy per past interval, oldest first; `None` is a failed reading.
    pub history: Series<'a>,
}

/// Per-core load bars with history, in as many columns as the area needs.
///
/// Each row reads `cpu3 ██████▌░░░░░  54% ▂▃▅▆▇█▆▅`: the label, a bar coloured by
/// load, the number and the history (newest at the right edge, a gap blank). Narrow
/// areas drop the history, then the bar. When cores outnumber the rows they spread
/// over side-by-side columns; if they still do not fit, the last row says `+N more`.
#[derive(Clone, Debug, Default)]
pub struct CoreLoadPanel<'a> {
    /// The cores, drawn in this order (column by column).
    cores: &'a [CoreLoad<'a>],
    /// A block to wrap the panel in.
    block: Option<Block<'a>>,
    /// Colours.
    theme: Theme,
}

impl<'a> CoreLoadPanel<'a> {
    /// A panel showing `cores` in the order given.
    #[must_use]
    pub const fn new(cores: &'a [CoreLoad<'a>]) -> Self {
        Self {
            cores,
            block: None,
            theme: Theme::dark(),
        }
    }

    /// Wraps the panel in `block`.
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
}

impl Widget for CoreLoadPanel<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        Widget::render(&self, area, buf);
    }
}

impl Widget for &CoreLoadPanel<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        self.block.as_ref().render(area, buf);
        self.render_cores(self.block.inner_if_some(area), buf);
    }
}

/// Where the cores go: how many columns, how wide, and how many cores are drawn.
#[derive(Clone, Copy, Debug)]
struct Grid {
    /// Rows used in each column (the last column may use fewer).
    rows: u16,
    /// Width of each column, in cells.
    column_width: u16,
    /// Cores drawn; the rest are counted in a `+N more` row.
    shown: usize,
}

impl Grid {
    /// Lays out `count` cores whose rows need at least `min_width` cells in `area`
    /// (not empty): the fewest columns in which every core gets a row, else as many
    /// columns as fit with the last slot kept for `+N more`.
    fn new(count: usize, min_width: u16, area: Rect) -> Self {
        let height = usize::from(area.height);
        let fit = area.width.saturating_add(COLUMN_GAP) / min_width.saturating_add(COLUMN_GAP);
        let max_columns = usize::from(fit.max(1));
        let needed = count.div_ceil(height).max(1);
        let columns = needed.min(max_columns);
        let capacity = columns * height;
        let (shown, rows) = if count <= capacity {
            (count, count.div_ceil(columns))
        } else {
            (capacity - 1, height)
        };
        let columns = columns as u16;
        let gaps = COLUMN_GAP * (columns - 1);
        Self {
            rows: rows as u16,
            column_width: area.width.saturating_sub(gaps) / columns,
            shown,
        }
    }

    /// The top-left cell of slot `index`, filled column by column.
    fn slot(&self, index: usize, area: Rect) -> (u16, u16) {
        let rows = usize::from(self.rows.max(1));
        let column = (index / rows) as u16;
        let row = (index % rows) as u16;
        (
            area.x + column * (self.column_width + COLUMN_GAP),
            area.y + row,
        )
    }
}

/// How a row of `width` cells is shared once label and number are placed: the bar's
/// width and the history's width (either may be zero).
fn split_row(width: u16, label_width: u16) -> (u16, u16) {
    let spare = width.saturating_sub(label_width + 1 + NUMBER_WIDTH);
    if spare < 1 + MIN_BAR {
        (0, 0)
    } else if spare < 2 + MIN_BAR + MIN_HISTORY {
        (spare - 1, 0)
    } else {
        let wanted = (u32::from(width) * BAR_SHARE / 100) as u16;
        let bar = wanted.clamp(MIN_BAR, spare - 2 - MIN_HISTORY);
        (bar, spare - 2 - bar)
    }
}

/// The number after the bar, always [`NUMBER_WIDTH`] cells: `  7%`, `100%`, `   ?`.
fn number(busy: Option<f32>) -> String {
    busy.map_or_else(
        || format!("{:>4}", "?"),
        |pct| format!("{:>3}%", pct.round() as u8),
    )
}

impl CoreLoadPanel<'_> {
    /// Draws the cores into `area` (inside the block).
    fn render_cores(&self, area: Rect, buf: &mut Buffer) {
        if area.is_empty() {
            return;
        }
        if self.cores.is_empty() {
            let text = "no CPU readings";
            cells::put(
                buf,
                (area.x, area.y),
                area.width,
                text,
                Align::Left,
                self.theme.dim,
            );
            return;
        }
        let label_width = self
            .cores
            .iter()
            .map(|core| cells::width(&format!("cpu{}", core.core)))
            .max()
            .unwrap_or(0);
        let grid = Grid::new(self.cores.len(), label_width + 1 + NUMBER_WIDTH, area);
        for (index, core) in self.cores.iter().take(grid.shown).enumerate() {
            let origin = grid.slot(index, area);
            self.render_core(core, origin, grid.column_width, label_width, buf);
        }
        let hidden = self.cores.len() - grid.shown;
        if hidden > 0 {
            let origin = grid.slot(grid.shown, area);
            let text = cells::more(hidden, None);
            cells::put(
                buf,
                origin,
                grid.column_width,
                &text,
                Align::Left,
                self.theme.dim,
            );
        }
    }

    /// Draws one core's row, `width` cells wide from `(x, y)`.
    fn render_core(
        &self,
        core: &CoreLoad<'_>,
        (x, y): (u16, u16),
        width: u16,
        label_width: u16,
        buf: &mut Buffer,
    ) {
        let busy = core.busy_pct.and_then(cells::percent);
        let (bar_width, history_width) = split_row(width, label_width);
        let label = format!("cpu{}", core.core);
        cells::put(buf, (x, y), width, &label, Align::Left, self.theme.accent);
        let mut cursor = x.saturating_add(label_width + 1);
        if bar_width > 0 {
            self.render_bar(busy, (cursor, y), bar_width, buf);
            cursor += bar_width + 1;
        }
        let left = (x + width).saturating_sub(cursor);
        let style = if busy.is_some() {
            self.theme.text
        } else {
            self.theme.dim
        };
        cells::put(buf, (cursor, y), left, &number(busy), Align::Left, style);
        if history_width > 0 {
            let start = cursor + NUMBER_WIDTH + 1;
            self.render_history(core.history, (start, y), history_width, buf);
        }
    }

    /// Draws a bar `width` cells wide, filled to `busy` percent in eighths of a cell.
    fn render_bar(&self, busy: Option<f32>, (x, y): (u16, u16), width: u16, buf: &mut Buffer) {
        let eighths = busy.map_or(0, |pct| {
            (pct / 100.0 * f32::from(width) * 8.0).round() as u32
        });
        let style = self.theme.load(busy.unwrap_or(0.0));
        for offset in 0..width {
            let filled = eighths.saturating_sub(u32::from(offset) * 8).min(8) as usize;
            let cell = &mut buf[(x + offset, y)];
            if filled == 0 {
                cell.set_symbol(TROUGH).set_style(self.theme.dim);
            } else {
                cell.set_symbol(EIGHTHS[filled]).set_style(style);
            }
        }
    }

    /// Draws the newest `width` readings of `history`, newest in the last cell.
    fn render_history(
        &self,
        history: Series<'_>,
        (x, y): (u16, u16),
        width: u16,
        buf: &mut Buffer,
    ) {
        let values = history.latest(usize::from(width));
        let start = x + width - values.len() as u16;
        for (offset, value) in values.enumerate() {
            let cell = &mut buf[(start + offset as u16, y)];
            match value.and_then(cells::percent) {
                Some(pct) => {
                    cell.set_symbol(cells::level(pct))
                        .set_style(self.theme.load(pct));
                }
                None => {
                    cell.set_symbol(" ").set_style(self.theme.gap);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use ratatui::widgets::Block;

    use super::*;
    use crate::testing::{
        PLAIN, any_size, hostile_percent, render_any, row_text, screen, sentinel,
    };

    /// A plausible history for `core`: ramps up and down, different per core.
    fn ramp(core: usize, len: usize) -> Vec<Option<f32>> {
        (0..len)
            .map(|i| {
                let t = (i + core * 5) % 20;
                let step = if t < 10 { t } else { 20 - t };
                Some(step as f32 * 10.0)
            })
            .collect()
    }

    /// `count` cores with histories, one of them unread (`?`) and one with a gap.
    fn cores(histories: &[Vec<Option<f32>>]) -> Vec<CoreLoad<'_>> {
        histories
            .iter()
            .enumerate()
            .map(|(core, history)| CoreLoad {
                core,
                busy_pct: (core != 5).then_some(((core * 37 + 8) % 101) as f32),
                history: Series::new(history),
            })
            .collect()
    }

    fn histories(count: usize) -> Vec<Vec<Option<f32>>> {
        (0..count)
            .map(|core| {
                let mut history = ramp(core, 60);
                if core == 1 {
                    history[55] = None;
                }
                history
            })
            .collect()
    }

    #[test]
    fn snapshot_two_cores() {
        let histories = histories(2);
        let mut cores = cores(&histories);
        cores[0].busy_pct = Some(92.0);
        let panel = CoreLoadPanel::new(&cores).block(Block::bordered().title(" CPU "));
        insta::assert_snapshot!("two_cores_80x8", screen(&panel, 80, 8));
        insta::assert_snapshot!("two_cores_20x6", screen(&panel, 20, 6));
    }

    #[test]
    fn snapshot_sixteen_cores() {
        let histories = histories(16);
        let cores = cores(&histories);
        let panel = CoreLoadPanel::new(&cores).block(Block::bordered().title(" CPU "));
        insta::assert_snapshot!("sixteen_cores_100x10", screen(&panel, 100, 10));
        insta::assert_snapshot!("sixteen_cores_20x6", screen(&panel, 20, 6));
    }

    #[test]
    fn snapshot_sixty_four_cores() {
        let histories = histories(64);
        let cores = cores(&histories);
        let panel = CoreLoadPanel::new(&cores).block(Block::bordered().title(" CPU "));
        insta::assert_snapshot!("sixty_four_cores_120x14", screen(&panel, 120, 14));
    }

    #[test]
    fn exact_bar_only_rows_stay_inside_their_area() {
        let history = [Some(10.0)];
        let cores = [
            CoreLoad {
                core: 0,
                busy_pct: Some(100.0),
                history: Series::new(&history),
            },
            CoreLoad {
                core: 1,
                busy_pct: None,
                history: Series::new(&history),
            },
        ];
        let inner = Rect::new(1, 1, 20, 2);
        let mut buf = sentinel(Rect::new(0, 0, 22, 4), inner);
        CoreLoadPanel::new(&cores)
            .theme(PLAIN)
            .render(inner, &mut buf);
        let expected = Buffer::with_lines([
            "XXXXXXXXXXXXXXXXXXXXXX",
            "Xcpu0 ██████████ 100%X",
            "Xcpu1 ░░░░░░░░░░    ?X",
            "XXXXXXXXXXXXXXXXXXXXXX",
        ]);
        assert_eq!(buf, expected);
    }

    #[test]
    fn exact_history_is_fixed_scale_right_aligned_with_gaps_blank() {
        let history = [
            Some(0.0),
            None,
            Some(100.0),
            Some(50.0),
            Some(12.5),
            Some(13.0),
        ];
        let cores = [CoreLoad {
            core: 0,
            busy_pct: Some(50.0),
            history: Series::new(&history),
        }];
        let inner = Rect::new(1, 1, 30, 1);
        let mut buf = sentinel(Rect::new(0, 0, 32, 3), inner);
        CoreLoadPanel::new(&cores)
            .theme(PLAIN)
            .render(inner, &mut buf);
        let expected = Buffer::with_lines([
            "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
            "Xcpu0 █████░░░░░  50%    ▁ █▄▁▂X",
            "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
        ]);
        assert_eq!(buf, expected);
    }

    #[test]
    fn bar_colour_follows_load() {
        let theme = Theme::dark();
        for (busy, style) in [
            (10.0, theme.load_low),
            (60.0, theme.load_mid),
            (95.0, theme.load_high),
        ] {
            let cores = [CoreLoad {
                core: 0,
                busy_pct: Some(busy),
                history: Series::default(),
            }];
            let area = Rect::new(0, 0, 20, 1);
            let mut buf = Buffer::empty(area);
            CoreLoadPanel::new(&cores).render(area, &mut buf);
            assert_eq!(Some(buf[(5, 0)].fg), style.fg, "{busy}%");
        }
    }

    #[test]
    fn bar_fill_is_proportional() {
        for (busy, expected_eighths) in
            [(0.0, 0), (50.0, 68), (100.0, 136), (250.0, 136), (-5.0, 0)]
        {
            let cores = [CoreLoad {
                core: 0,
                busy_pct: Some(busy),
                history: Series::default(),
            }];
            let area = Rect::new(0, 0, 50, 1);
            let mut buf = Buffer::empty(area);
            CoreLoadPanel::new(&cores).render(area, &mut buf);
            let row = row_text(&buf, 0);
            let bar: Vec<_> = row.chars().skip(5).take(17).collect();
            let eighths: usize = bar
                .iter()
                .map(|c| EIGHTHS.iter().position(|e| e.starts_with(*c)).unwrap_or(0))
                .sum();
            assert!(eighths.abs_diff(expected_eighths) <= 8, "{busy}%: {row:?}");
            assert!(
                bar.iter()
                    .all(|c| *c == '░' || EIGHTHS.concat().contains(*c))
            );
        }
    }

    #[test]
    fn unknown_load_shows_a_question_mark_not_zero() {
        for busy in [None, Some(f32::NAN)] {
            let cores = [CoreLoad {
                core: 0,
                busy_pct: busy,
                history: Series::default(),
            }];
            let area = Rect::new(0, 0, 20, 1);
            let mut buf = Buffer::empty(area);
            CoreLoadPanel::new(&cores).render(area, &mut buf);
            let row = row_text(&buf, 0);
            assert!(row.ends_with("   ?"), "{row:?}");
            assert!(!row.contains('%'), "{row:?}");
        }
    }

    #[test]
    fn cores_that_do_not_fit_are_counted() {
        let histories = histories(16);
        let cores = cores(&histories);
        let area = Rect::new(0, 0, 20, 6);
        let mut buf = Buffer::empty(area);
        CoreLoadPanel::new(&cores).render(area, &mut buf);
        assert!(row_text(&buf, 0).starts_with("cpu0 "));
        assert!(row_text(&buf, 4).starts_with("cpu4 "));
        assert_eq!(row_text(&buf, 5).trim_end(), "… 11 more");
    }

    #[test]
    fn many_cores_spread_over_columns_before_hiding_any() {
        let histories = histories(16);
        let cores = cores(&histories);
        let area = Rect::new(0, 0, 100, 8);
        let mut buf = Buffer::empty(area);
        CoreLoadPanel::new(&cores).render(area, &mut buf);
        let screen: String = (0..8).map(|y| row_text(&buf, y)).collect();
        for core in 0..16 {
            assert!(screen.contains(&format!("cpu{core} ")), "cpu{core} missing");
        }
        assert!(!screen.contains("more"));
    }

    #[test]
    fn no_cores_says_so() {
        let area = Rect::new(0, 0, 20, 2);
        let mut buf = Buffer::empty(area);
        CoreLoadPanel::new(&[]).render(area, &mut buf);
        assert_eq!(row_text(&buf, 0).trim_end(), "no CPU readings");
    }

    proptest! {
        // Each case renders up to 250x80 cells (twice here) in a debug build:
        // 64 cases still sweep the size range, at a quarter of the CI time.
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn grid_slots_are_distinct_and_inside_the_area(
            count in 1usize..300,
            (width, height) in (1u16..=250, 1u16..=80),
            label_width in 4u16..8,
        ) {
            let area = Rect::new(2, 1, width, height);
            let grid = Grid::new(count, label_width + 1 + NUMBER_WIDTH, area);
            let slots = grid.shown + usize::from(grid.shown < count);
            let mut seen = std::collections::HashSet::new();
            for index in 0..slots {
                let (x, y) = grid.slot(index, area);
                prop_assert!(x + grid.column_width <= area.right());
                prop_assert!(y < area.bottom());
                prop_assert!(seen.insert((x, y)));
            }
            if grid.shown < count {
                let (_, more_y) = grid.slot(grid.shown, area);
                prop_assert_eq!(more_y, area.bottom() - 1, "`+N more` is the last slot");
            }
        }

        #[test]
        fn render_never_panics(
            (width, height) in any_size(),
            readings in proptest::collection::vec(
                (0usize..100_000, hostile_percent(), proptest::collection::vec(hostile_percent(), 0..300)),
                0..80,
            ),
        ) {
            let cores: Vec<_> = readings
                .iter()
                .map(|(core, busy_pct, history)| CoreLoad {
                    core: *core,
                    busy_pct: *busy_pct,
                    history: Series::new(history),
                })
                .collect();
            render_any(&CoreLoadPanel::new(&cores), width, height);
            render_any(&CoreLoadPanel::new(&cores).block(Block::bordered()), width, height);
        }
    }
}
