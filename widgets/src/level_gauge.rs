//! A level gauge: how full a semaphore or a bounded queue is, now and lately.
//!
//! One row reads `permits ███████░░░ 7/10 in use  peak 10  waiting 3`; a second row,
//! when there is one and a history is given, shows the recent level as a sparkline
//! under the bar, on a fixed 0..=100 percent scale so a full cell always means full.
//! The counts are integers and the fill is integer math: no capacity, however odd
//! (zero included), can make it panic.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BlockExt, Widget};

use crate::Theme;
use crate::cells::{self, Align, EIGHTHS, TROUGH};
use crate::series::Series;

/// Most cells the label takes; a longer one is cut with `…`.
const LABEL_MAX: u16 = 24;
/// Narrowest bar worth drawing, in cells.
const MIN_BAR: u16 = 5;
/// Between the items after the bar.
const SEPARATOR: &str = "  ";

/// A semaphore's permits in use or a queue's depth against its capacity, as a bar
/// with the numbers after it and, on a second row, the level's recent history.
///
/// The bar is in [`Theme::accent`], [`Theme::warn`] from 80 percent of capacity and
/// [`Theme::alert`] when full (the numbers too). A capacity of zero is unknown: the
/// bar shows `?` and the numbers `7/?`. Narrow areas drop the peak, then the unit,
/// then the waiters, then the bar.
#[derive(Clone, Debug, Default)]
pub struct LevelGauge<'a> {
    /// What is measured, e.g. `permits` or `queue`.
    label: &'a str,
    /// Permits in use or items queued now.
    value: u64,
    /// Permits or queue slots in all; zero is unknown.
    capacity: u64,
    /// Highest `value` seen, if the caller tracks it.
    peak: Option<u64>,
    /// Threads waiting now, if shown.
    waiting: Waiters,
    /// The level over the recent past, in percent of capacity, oldest first.
    history: Series<'a>,
    /// What `value` counts, e.g. `permits in use` or `items`; empty for none.
    unit: &'a str,
    /// A block to wrap the gauge in.
    block: Option<Block<'a>>,
    /// Colours.
    theme: Theme,
}

impl<'a> LevelGauge<'a> {
    /// A gauge labelled `label` at `value` out of `capacity` (zero: unknown).
    #[must_use]
    pub const fn new(label: &'a str, value: u64, capacity: u64) -> Self {
        Self {
            label,
            value,
            capacity,
            peak: None,
            waiting: Waiters::Hidden,
            history: Series::new(&[]),
            unit: "",
            block: None,
            theme: Theme::dark(),
        }
    }

    /// Shows `peak N` after the numbers: the highest value seen.
    #[must_use = "method moves the value of self and returns the modified value"]
    pub const fn peak(mut self, peak: u64) -> Self {
        self.peak = Some(peak);
        self
    }

    /// Shows `waiting N` after the numbers: threads blocked on the semaphore or queue
    /// now (`waiting ?` for `None`, an unknown count). Not shown unless set.
    #[must_use = "method moves the value of self and returns the modified value"]
    pub const fn waiting(mut self, waiting: Option<u64>) -> Self {
        self.waiting = match waiting {
            Some(count) => Waiters::Count(count),
            None => Waiters::Unknown,
        };
        self
    }

    /// Sets the history drawn under the bar: the level in percent of capacity, oldest
    /// first, newest under the bar's right end; `None` is a gap.
    #[must_use = "method moves the value of self and returns the modified value"]
    pub const fn history(mut self, history: Series<'a>) -> Self {
        self.history = history;
        self
    }

    /// Sets the unit after the numbers, e.g. `permits in use` (`7/10 permits in use`).
    #[must_use = "method moves the value of self and returns the modified value"]
    pub const fn unit(mut self, unit: &'a str) -> Self {
        self.unit = unit;
        self
    }

    /// Wraps the gauge in `block`.
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

impl Widget for LevelGauge<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        Widget::render(&self, area, buf);
    }
}

impl Widget for &LevelGauge<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        self.block.as_ref().render(area, buf);
        self.render_gauge(self.block.inner_if_some(area), buf);
    }
}

/// The waiters a gauge shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Waiters {
    /// Not shown: the caller did not set them.
    #[default]
    Hidden,
    /// Shown as `waiting ?`.
    Unknown,
    /// Shown as `waiting N`.
    Count(u64),
}

/// Which optional items follow the bar's numbers.
#[derive(Clone, Copy, Debug)]
struct Tail {
    /// The unit, right after the numbers.
    unit: bool,
    /// `peak N`.
    peak: bool,
    /// `waiting N`.
    waiting: bool,
}

/// Eighths of a `cells`-wide bar filled by `value` out of `capacity` (not zero),
/// rounded, but never empty when `value` is above zero and never full below capacity:
/// one item in a huge queue still shows, and only a full queue looks full.
fn filled_eighths(value: u64, capacity: u64, cells: u16) -> u128 {
    let (value, capacity) = (u128::from(value), u128::from(capacity));
    let total = u128::from(cells) * 8;
    let rounded = (value.min(capacity) * total * 2 + capacity) / (2 * capacity);
    if value == 0 {
        0
    } else if value < capacity {
        rounded.clamp(1, total.saturating_sub(1).max(1))
    } else {
        total
    }
}

/// The style of a level in percent on the gauge's scale.
fn level_style(theme: &Theme, percent: f32) -> Style {
    if percent >= 100.0 {
        theme.alert
    } else if percent >= 80.0 {
        theme.warn
    } else {
        theme.accent
    }
}

impl LevelGauge<'_> {
    /// The style of the bar and the numbers: how full the gauge is.
    fn status_style(&self) -> Style {
        let (value, capacity) = (u128::from(self.value), u128::from(self.capacity));
        if capacity == 0 {
            self.theme.text
        } else if value >= capacity {
            self.theme.alert
        } else if value * 5 >= capacity * 4 {
            self.theme.warn
        } else {
            self.theme.accent
        }
    }

    /// The items after the bar, in display order: the numbers (with the unit, if
    /// `tail.unit`), then the peak and the waiters where set and asked for.
    fn items(&self, tail: Tail) -> Vec<Line<'_>> {
        let theme = &self.theme;
        let capacity = if self.capacity == 0 {
            "?".to_owned()
        } else {
            self.capacity.to_string()
        };
        let numbers = Span::styled(format!("{}/{capacity}", self.value), self.status_style());
        let mut first = Line::from(numbers);
        if tail.unit && !self.unit.is_empty() {
            first
                .spans
                .push(Span::styled(format!(" {}", self.unit), theme.dim));
        }
        let mut items = vec![first];
        if let Some(peak) = self.peak.filter(|_| tail.peak) {
            let value = Span::styled(peak.to_string(), theme.text);
            items.push(Line::from(vec![Span::styled("peak ", theme.dim), value]));
        }
        let waiting = match self.waiting {
            _ if !tail.waiting => None,
            Waiters::Hidden => None,
            Waiters::Unknown => Some(Span::styled("?", theme.dim)),
            Waiters::Count(0) => Some(Span::styled("0", theme.text)),
            Waiters::Count(count) => Some(Span::styled(count.to_string(), theme.warn)),
        };
        if let Some(value) = waiting {
            items.push(Line::from(vec![Span::styled("waiting ", theme.dim), value]));
        }
        items
    }

    /// The bar's width and the items after it for a row `width` cells wide, of
    /// which the label takes `label_room`: the most items that leave room for a bar,
    /// dropping the peak, then the unit, then the waiters; with no room for a bar at
    /// all, the most items that fit.
    fn layout(&self, width: u16, label_room: u16) -> (u16, Vec<Line<'_>>) {
        let tails = [
            Tail {
                unit: true,
                peak: true,
                waiting: true,
            },
            Tail {
                unit: true,
                peak: false,
                waiting: true,
            },
            Tail {
                unit: false,
                peak: false,
                waiting: true,
            },
            Tail {
                unit: false,
                peak: false,
                waiting: false,
            },
        ];
        let room = width.saturating_sub(label_room);
        let widths = tails.map(|tail| {
            let items = self.items(tail);
            let separators = SEPARATOR.len() * (items.len() - 1);
            let width = items.iter().map(Line::width).sum::<usize>() + separators;
            u16::try_from(width).unwrap_or(u16::MAX)
        });
        let with_bar = tails.iter().zip(widths).find_map(|(tail, tail_width)| {
            let bar = room.saturating_sub(tail_width.saturating_add(1));
            (bar >= MIN_BAR).then_some((bar, *tail))
        });
        let (bar, tail) = with_bar.unwrap_or_else(|| {
            let fits = tails
                .iter()
                .zip(widths)
                .find(|(_, tail_width)| *tail_width <= room);
            (0, fits.map_or(tails[3], |(tail, _)| *tail))
        });
        (bar, self.items(tail))
    }

    /// Draws the gauge row and, below it, the history into `area` (inside the block).
    fn render_gauge(&self, area: Rect, buf: &mut Buffer) {
        if area.is_empty() {
            return;
        }
        let label_width = cells::width(self.label).min(LABEL_MAX).min(area.width);
        let label_room = if label_width == 0 { 0 } else { label_width + 1 };
        let position = (area.x, area.y);
        cells::put(
            buf,
            position,
            label_width,
            self.label,
            Align::Left,
            self.theme.accent,
        );
        let (bar, items) = self.layout(area.width, label_room);
        let bar_x = area.x.saturating_add(label_room);
        if bar > 0 {
            self.render_bar((bar_x, area.y), bar, buf);
        }
        let tail_x = if bar > 0 { bar_x + bar + 1 } else { bar_x };
        let room = area.right().saturating_sub(tail_x);
        let separator = Span::raw(SEPARATOR);
        cells::put_items(buf, (tail_x, area.y), room, items, &separator);
        if bar > 0 && area.height >= 2 && !self.history.is_empty() {
            self.render_history((bar_x, area.y + 1), bar, buf);
        }
    }

    /// Draws the bar, `width` cells from `(x, y)`, filled in eighths of a cell.
    fn render_bar(&self, (x, y): (u16, u16), width: u16, buf: &mut Buffer) {
        if self.capacity == 0 {
            buf[(x, y)].set_symbol("?").set_style(self.theme.dim);
            return;
        }
        let eighths = filled_eighths(self.value, self.capacity, width);
        let style = self.status_style();
        for offset in 0..width {
            let filled = eighths.saturating_sub(u128::from(offset) * 8).min(8) as usize;
            let cell = &mut buf[(x + offset, y)];
            if filled == 0 {
                cell.set_symbol(TROUGH).set_style(self.theme.dim);
            } else {
                cell.set_symbol(EIGHTHS[filled]).set_style(style);
            }
        }
    }

    /// Draws the newest `width` levels of the history from `(x, y)`, newest last.
    fn render_history(&self, (x, y): (u16, u16), width: u16, buf: &mut Buffer) {
        let values = self.history.latest(usize::from(width));
        let start = x + width - values.len() as u16;
        for (value, x) in values.zip(start..) {
            let cell = &mut buf[(x, y)];
            match value.and_then(cells::percent) {
                Some(pct) => {
                    cell.set_symbol(cells::level(pct))
                        .set_style(level_style(&self.theme, pct));
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
        PLAIN, any_size, hostile_percent, render, render_any, row_text, screen, sentinel,
    };

    /// A bounded queue filling up and draining, with one failed reading.
    fn queue_history() -> Vec<Option<f32>> {
        let mut history: Vec<_> = (0..80)
            .map(|i| {
                let t = i % 20;
                Some(if t < 10 { t * 10 } else { (20 - t) * 10 } as f32)
            })
            .collect();
        history[77] = None;
        history
    }

    /// The cells of the bar on row `y`, as eighths filled, from `x` for `width`.
    fn bar_eighths(buf: &Buffer, (x, y): (u16, u16), width: u16) -> usize {
        (x..x + width)
            .map(|x| {
                EIGHTHS
                    .iter()
                    .position(|e| *e == buf[(x, y)].symbol())
                    .unwrap_or(0)
            })
            .sum()
    }

    #[test]
    fn snapshots() {
        let history = queue_history();
        let gauge = LevelGauge::new("queue", 7, 10)
            .unit("items")
            .peak(10)
            .waiting(Some(3))
            .history(Series::new(&history));
        insta::assert_snapshot!("queue_60x2", screen(&gauge, 60, 2));
        let boxed = gauge.block(Block::bordered().title(" Queue "));
        insta::assert_snapshot!("queue_80x4", screen(&boxed, 80, 4));
        insta::assert_snapshot!("queue_20x6", screen(&boxed, 20, 6));
    }

    #[test]
    fn exact_gauge_and_history_stay_inside_their_area() {
        let history = [Some(0.0), None, Some(50.0), Some(100.0)];
        let inner = Rect::new(1, 1, 46, 2);
        let mut buf = sentinel(Rect::new(0, 0, 48, 4), inner);
        LevelGauge::new("permits", 2, 4)
            .unit("in use")
            .peak(4)
            .waiting(None)
            .history(Series::new(&history))
            .theme(PLAIN)
            .render(inner, &mut buf);
        let expected = Buffer::with_lines([
            "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
            "Xpermits ████░░░░ 2/4 in use  peak 4  waiting ?X",
            "X            ▁ ▄█                              X",
            "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
        ]);
        assert_eq!(buf, expected);
    }

    #[test]
    fn half_full_fills_half_the_bar() {
        for (value, capacity) in [(5, 10), (50, 100), (1 << 62, 1 << 63), (3, 6)] {
            let buf = render(&LevelGauge::new("q", value, capacity), 40, 1);
            let bar_width = row_text(&buf, 0)
                .chars()
                .skip(2)
                .take_while(|c| *c != ' ')
                .count() as u16;
            let eighths = bar_eighths(&buf, (2, 0), bar_width);
            let half = usize::from(bar_width) * 4;
            assert!(
                eighths.abs_diff(half) <= 8,
                "{value}/{capacity}: {:?}",
                row_text(&buf, 0)
            );
        }
    }

    #[test]
    fn fill_is_never_empty_above_zero_nor_full_below_capacity() {
        assert_eq!(filled_eighths(0, 10, 10), 0);
        assert_eq!(filled_eighths(1, 1_000_000, 10), 1);
        assert_eq!(filled_eighths(999_999, 1_000_000, 10), 79);
        assert_eq!(filled_eighths(10, 10, 10), 80);
        assert_eq!(filled_eighths(u64::MAX, 1, 10), 80);
        assert_eq!(filled_eighths(1, 2, 1), 4);
    }

    #[test]
    fn zero_capacity_is_unknown_not_empty() {
        let buf = render(&LevelGauge::new("q", 7, 0).unit("items"), 40, 1);
        let text = row_text(&buf, 0);
        assert!(text.starts_with("q ?"), "{text:?}");
        assert!(text.contains(" 7/? items"), "{text:?}");
        assert!(!text.contains('░'), "{text:?}");
    }

    #[test]
    fn colour_warns_from_eighty_percent_and_alerts_when_full() {
        let theme = Theme::dark();
        for (value, style) in [
            (0, theme.accent),
            (79, theme.accent),
            (80, theme.warn),
            (99, theme.warn),
            (100, theme.alert),
            (250, theme.alert),
        ] {
            let buf = render(&LevelGauge::new("q", value, 100), 40, 1);
            let text = row_text(&buf, 0);
            let numbers = text.find(&format!(" {value}/")).unwrap_or(0);
            let numbers_x = text[..numbers].chars().count() as u16 + 1;
            assert_eq!(Some(buf[(numbers_x, 0)].fg), style.fg, "{value}%");
            if value > 0 {
                assert_eq!(Some(buf[(2, 0)].fg), style.fg, "bar at {value}%");
            }
        }
    }

    #[test]
    fn narrow_rows_drop_peak_then_unit_then_waiters_then_bar() {
        let gauge = LevelGauge::new("queue", 7, 10)
            .unit("items")
            .peak(10)
            .waiting(Some(3));
        let text = |width| row_text(&render(&gauge, width, 1), 0).trim_end().to_owned();
        assert!(text(60).ends_with("7/10 items  peak 10  waiting 3"));
        assert!(
            text(40).ends_with("░ 7/10 items  waiting 3"),
            "{:?}",
            text(40)
        );
        assert!(text(30).ends_with(" 7/10  waiting 3"), "{:?}", text(30));
        assert!(!text(30).contains("items"), "{:?}", text(30));
        assert!(text(20).ends_with("░ 7/10"), "{:?}", text(20));
        assert_eq!(text(12), "queue 7/10");
    }

    #[test]
    fn waiters_show_only_when_set_and_unknown_as_a_question_mark() {
        let plain = row_text(&render(&LevelGauge::new("q", 1, 2), 60, 1), 0);
        assert!(!plain.contains("waiting"), "{plain:?}");
        let unknown = row_text(&render(&LevelGauge::new("q", 1, 2).waiting(None), 60, 1), 0);
        assert!(unknown.trim_end().ends_with("waiting ?"), "{unknown:?}");
        let zero = row_text(
            &render(&LevelGauge::new("q", 1, 2).waiting(Some(0)), 60, 1),
            0,
        );
        assert!(zero.trim_end().ends_with("waiting 0"), "{zero:?}");
    }

    #[test]
    fn history_is_fixed_scale_and_ends_under_the_bar_end() {
        let theme = Theme::dark();
        let history = [Some(100.0), Some(50.0), Some(85.0)];
        let gauge = LevelGauge::new("q", 1, 2).history(Series::new(&history));
        let buf = render(&gauge, 30, 2);
        let bar_end = row_text(&buf, 0)
            .chars()
            .position(|c| c == ' ')
            .map(|label| label + 1);
        let bar_end = bar_end.and_then(|start| {
            row_text(&buf, 0)
                .chars()
                .skip(start)
                .position(|c| c == ' ')
                .map(|len| start + len)
        });
        let bar_end = bar_end.unwrap_or(0) as u16;
        assert_eq!(buf[(bar_end - 3, 1)].symbol(), "█");
        assert_eq!(Some(buf[(bar_end - 3, 1)].fg), theme.alert.fg);
        assert_eq!(buf[(bar_end - 2, 1)].symbol(), "▄");
        assert_eq!(buf[(bar_end - 1, 1)].symbol(), "▇");
        assert_eq!(Some(buf[(bar_end - 1, 1)].fg), theme.warn.fg);
        assert_eq!(buf[(bar_end, 1)].symbol(), " ");
        let one_row = render(&gauge, 30, 1);
        assert_eq!(one_row.area.height, 1);
    }

    proptest! {
        // Each case renders up to 250x80 cells (four times here) in a debug build.
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn render_never_panics(
            (width, height) in any_size(),
            (label, unit) in ("\\PC{0,40}", "\\PC{0,30}"),
            (value, capacity, peak) in (any::<u64>(), prop_oneof![Just(0u64), any::<u64>()], proptest::option::of(any::<u64>())),
            waiting in proptest::option::of(proptest::option::of(any::<u64>())),
            history in proptest::collection::vec(hostile_percent(), 0..300),
        ) {
            let mut gauge = LevelGauge::new(&label, value, capacity)
                .unit(&unit)
                .history(Series::new(&history));
            if let Some(peak) = peak {
                gauge = gauge.peak(peak);
            }
            if let Some(waiting) = waiting {
                gauge = gauge.waiting(waiting);
            }
            render_any(&gauge, width, height);
            render_any(&gauge.block(Block::bordered()), width, height);
        }
    }
}
