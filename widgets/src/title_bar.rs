//! The title bar: one line across the top of a screen, what is shown on the left and
//! the state (elapsed time, paused, ...) on the right.
//!
//! When both do not fit, the left part is cut with `…` to keep the right part (the
//! state a lecturer glances at), as long as the left keeps a few cells; on a row too
//! narrow for that the right part is dropped rather than drawn over the left.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Widget;

use crate::Theme;

/// One line with a left-aligned and a right-aligned part on a [`Theme::title`]
/// background. Draws on the first row of its area only.
#[derive(Clone, Debug, Default)]
pub struct TitleBar<'a> {
    /// Drawn from the left edge; cut with `…` where it is too long.
    left: Line<'a>,
    /// Drawn against the right edge, with a cell to spare before it.
    right: Option<Line<'a>>,
    /// Drawn instead of `right` where that does not fit.
    right_short: Option<Line<'a>>,
    /// Colours.
    theme: Theme,
}

impl<'a> TitleBar<'a> {
    /// A title bar showing `left` (spans keep their own styles on the title background).
    #[must_use]
    pub const fn new(left: Line<'a>) -> Self {
        Self {
            left,
            right: None,
            right_short: None,
            theme: Theme::dark(),
        }
    }

    /// Sets the part drawn against the right edge.
    #[must_use = "method moves the value of self and returns the modified value"]
    pub fn right(mut self, right: Line<'a>) -> Self {
        self.right = Some(right);
        self
    }

    /// Sets a shorter right part, for rows too narrow for the full one.
    #[must_use = "method moves the value of self and returns the modified value"]
    pub fn right_short(mut self, right: Line<'a>) -> Self {
        self.right_short = Some(right);
        self
    }

    /// Sets the colours.
    #[must_use = "method moves the value of self and returns the modified value"]
    pub const fn theme(mut self, theme: Theme) -> Self {
        self.theme = theme;
        self
    }
}

/// The fewest cells the left side keeps when the right side is kept too.
const MIN_LEFT: u16 = 16;

impl Widget for TitleBar<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        Widget::render(&self, area, buf);
    }
}

impl Widget for &TitleBar<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        if area.is_empty() {
            return;
        }
        let row = Rect::new(area.x, area.y, area.width, 1);
        buf.set_style(row, self.theme.title);
        let left_width = u16::try_from(self.left.width()).unwrap_or(u16::MAX);
        let gap = u16::from(left_width > 0);
        let fits = |right: &&Line<'_>| {
            let right_width = u16::try_from(right.width()).unwrap_or(u16::MAX);
            let needed = left_width.saturating_add(gap).saturating_add(right_width);
            needed <= row.width
                || right_width.saturating_add(gap).saturating_add(MIN_LEFT) <= row.width
        };
        let right = [self.right.as_ref(), self.right_short.as_ref()]
            .into_iter()
            .flatten()
            .find(|right| fits(right));
        if let Some(right) = right {
            let right_width = u16::try_from(right.width()).unwrap_or(u16::MAX);
            let room = Rect {
                width: row.width - right_width - gap,
                ..row
            };
            put_cut(buf, room, &self.left, left_width);
            buf.set_line(row.right() - right_width, row.y, right, right_width);
        } else {
            put_cut(buf, row, &self.left, left_width);
        }
    }
}

/// Draws `line` (`width` cells wide) on `row`, its last cell `…` when it is
/// longer than the row.
fn put_cut(buf: &mut Buffer, row: Rect, line: &Line<'_>, width: u16) {
    if row.width == 0 {
        return;
    }
    if width <= row.width {
        buf.set_line(row.x, row.y, line, row.width);
    } else {
        buf.set_line(row.x, row.y, line, row.width - 1);
        buf[(row.right() - 1, row.y)].set_symbol("…");
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use ratatui::style::{Color, Stylize};

    use super::*;
    use crate::testing::{PLAIN, any_size, render_any, screen, sentinel};

    fn demo_bar() -> TitleBar<'static> {
        TitleBar::new(Line::from(vec![
            " corescope".bold(),
            " · race · threads · 4 workers".into(),
        ]))
        .right(Line::from("running 00:12 "))
    }

    #[test]
    fn snapshots() {
        insta::assert_snapshot!("title_bar_80x1", screen(demo_bar(), 80, 1));
        insta::assert_snapshot!("title_bar_52x2", screen(demo_bar(), 52, 2));
        insta::assert_snapshot!("title_bar_20x6", screen(demo_bar(), 20, 6));
    }

    #[test]
    fn exact_left_and_right_stay_inside_their_area() {
        let inner = Rect::new(1, 1, 20, 1);
        let mut buf = sentinel(Rect::new(0, 0, 22, 3), inner);
        TitleBar::new(Line::from("corescope"))
            .right(Line::from("12:00"))
            .theme(PLAIN)
            .render(inner, &mut buf);
        let expected = Buffer::with_lines([
            "XXXXXXXXXXXXXXXXXXXXXX",
            "Xcorescope      12:00X",
            "XXXXXXXXXXXXXXXXXXXXXX",
        ]);
        assert_eq!(buf, expected);
    }

    #[test]
    fn left_wins_when_the_row_is_too_narrow_for_both() {
        let area = Rect::new(0, 0, 14, 1);
        let mut buf = Buffer::empty(area);
        TitleBar::new(Line::from("corescope"))
            .right(Line::from("12:00"))
            .render(area, &mut buf);
        assert_eq!(buf, {
            let mut expected = Buffer::with_lines(["corescope     "]);
            expected.set_style(area, Theme::dark().title);
            expected
        });
        let mut buf = Buffer::empty(area);
        TitleBar::new(Line::from("corescope 0.1.0 (race demo)"))
            .right(Line::from("12:00"))
            .theme(PLAIN)
            .render(area, &mut buf);
        assert_eq!(buf, Buffer::with_lines(["corescope 0.1…"]));
    }

    #[test]
    fn a_short_right_stands_in_where_the_full_one_does_not_fit() {
        let area = Rect::new(0, 0, 30, 1);
        let mut buf = Buffer::empty(area);
        TitleBar::new(Line::from("corescope 0.1.0 (race demo)"))
            .right(Line::from("2 cores · every 100 ms · 1.5 s"))
            .right_short(Line::from("1.5 s"))
            .theme(PLAIN)
            .render(area, &mut buf);
        assert_eq!(buf, Buffer::with_lines(["corescope 0.1.0 (race d… 1.5 s"]));
    }

    #[test]
    fn a_long_left_is_cut_with_an_ellipsis_to_keep_the_right() {
        let area = Rect::new(0, 0, 30, 1);
        let mut buf = Buffer::empty(area);
        TitleBar::new(Line::from("corescope 0.1.0 (race demo)"))
            .right(Line::from("12:00"))
            .theme(PLAIN)
            .render(area, &mut buf);
        assert_eq!(buf, Buffer::with_lines(["corescope 0.1.0 (race d… 12:00"]));
    }

    #[test]
    fn right_alone_fills_to_the_edge() {
        let area = Rect::new(0, 0, 5, 1);
        let mut buf = Buffer::empty(area);
        TitleBar::new(Line::default())
            .right(Line::from("12:00"))
            .theme(PLAIN)
            .render(area, &mut buf);
        assert_eq!(buf, Buffer::with_lines(["12:00"]));
    }

    #[test]
    fn background_spans_the_whole_row() {
        let area = Rect::new(0, 0, 30, 2);
        let mut buf = Buffer::empty(area);
        demo_bar().render(area, &mut buf);
        assert!((0..30).all(|x| buf[(x, 0)].bg == Color::Cyan));
        assert!((0..30).all(|x| buf[(x, 1)].bg == Color::Reset));
    }

    proptest! {
        #[test]
        fn render_never_panics(
            (width, height) in any_size(),
            left in "\\PC{0,300}",
            right in proptest::option::of("\\PC{0,100}"),
        ) {
            let mut bar = TitleBar::new(Line::from(left));
            if let Some(right) = right {
                bar = bar.right(Line::from(right));
            }
            render_any(&bar, width, height);
        }
    }
}
