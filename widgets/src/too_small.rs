//! The notice drawn instead of a screen when the terminal is too small for it.
//!
//! One centered line, shortened to fit: a lecturer resizing a window in front of a
//! class should see why the dashboard vanished, not a garbled layout or a panic.

use ratatui::buffer::Buffer;
use ratatui::layout::{Rect, Size};
use ratatui::widgets::Widget;

use crate::Theme;
use crate::cells::{self, Align};

/// One centered line, e.g. `Terminal 20x6 is too small: need 40x12`, shortened to
/// `too small, 40x12 min` and then `too small` as the width shrinks (words, not
/// symbols: a student must understand it at a glance). Draws nothing else.
#[derive(Clone, Copy, Debug, Default)]
pub struct TooSmall {
    /// The terminal's size now, in cells.
    actual: Size,
    /// The smallest size the screen can be drawn in, in cells.
    required: Size,
    /// Colours.
    theme: Theme,
}

impl TooSmall {
    /// A notice that a terminal of `actual` size is smaller than `required`.
    #[must_use]
    pub const fn new(actual: Size, required: Size) -> Self {
        Self {
            actual,
            required,
            theme: Theme::dark(),
        }
    }

    /// Sets the colours (the line is drawn in [`Theme::warn`]).
    #[must_use = "method moves the value of self and returns the modified value"]
    pub const fn theme(mut self, theme: Theme) -> Self {
        self.theme = theme;
        self
    }

    /// The longest message that fits in `width` cells; the shortest one when none does.
    fn message(&self, width: u16) -> String {
        let (actual, required) = (self.actual, self.required);
        let have = format!("{}x{}", actual.width, actual.height);
        let need = format!("{}x{}", required.width, required.height);
        [
            format!("Terminal {have} is too small: need {need}"),
            format!("Too small: need {need}"),
            format!("too small, {need} min"),
            "too small".to_owned(),
        ]
        .into_iter()
        .reduce(|fits, shorter| {
            if cells::width(&fits) <= width {
                fits
            } else {
                shorter
            }
        })
        .unwrap_or_default()
    }
}

impl Widget for TooSmall {
    fn render(self, area: Rect, buf: &mut Buffer) {
        // Copy widgets implement `Widget` by value too: name the by-reference impl.
        let widget: &Self = &self;
        widget.render(area, buf);
    }
}

impl Widget for &TooSmall {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        if area.is_empty() {
            return;
        }
        let message = self.message(area.width);
        let width = cells::width(&message).min(area.width);
        let x = area.x + (area.width - width) / 2;
        let y = area.y + area.height.saturating_sub(1) / 2;
        cells::put(buf, (x, y), width, &message, Align::Left, self.theme.warn);
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::testing::{PLAIN, any_size, render_any, screen, sentinel};

    fn notice(width: u16, height: u16) -> TooSmall {
        TooSmall::new(Size::new(width, height), Size::new(60, 16))
    }

    #[test]
    fn snapshots() {
        insta::assert_snapshot!("too_small_50x5", screen(notice(50, 5), 50, 5));
        insta::assert_snapshot!("too_small_30x3", screen(notice(30, 3), 30, 3));
        insta::assert_snapshot!("too_small_20x6", screen(notice(20, 6), 20, 6));
    }

    #[test]
    fn exact_line_is_centered_and_stays_inside() {
        let inner = Rect::new(1, 1, 24, 3);
        let mut buf = sentinel(Rect::new(0, 0, 26, 5), inner);
        TooSmall::new(Size::new(24, 3), Size::new(40, 12))
            .theme(PLAIN)
            .render(inner, &mut buf);
        let expected = Buffer::with_lines([
            "XXXXXXXXXXXXXXXXXXXXXXXXXX",
            "X                        X",
            "X Too small: need 40x12  X",
            "X                        X",
            "XXXXXXXXXXXXXXXXXXXXXXXXXX",
        ]);
        assert_eq!(buf, expected);
    }

    #[test]
    fn message_shortens_with_width() {
        let notice = TooSmall::new(Size::new(20, 6), Size::new(40, 12));
        assert_eq!(notice.message(80), "Terminal 20x6 is too small: need 40x12");
        assert_eq!(notice.message(38), "Terminal 20x6 is too small: need 40x12");
        assert_eq!(notice.message(37), "Too small: need 40x12");
        assert_eq!(notice.message(21), "Too small: need 40x12");
        assert_eq!(notice.message(20), "too small, 40x12 min");
        assert_eq!(notice.message(19), "too small");
        assert_eq!(notice.message(3), "too small");
    }

    #[test]
    fn narrower_than_the_shortest_message_cuts_it() {
        let area = Rect::new(0, 0, 4, 1);
        let mut buf = Buffer::empty(area);
        notice(4, 1).theme(PLAIN).render(area, &mut buf);
        assert_eq!(buf, Buffer::with_lines(["too…"]));
    }

    proptest! {
        #[test]
        fn render_never_panics(
            (width, height) in any_size(),
            (actual_width, actual_height, required_width, required_height) in (any::<u16>(), any::<u16>(), any::<u16>(), any::<u16>()),
        ) {
            let notice = TooSmall::new(
                Size::new(actual_width, actual_height),
                Size::new(required_width, required_height),
            );
            render_any(&notice, width, height);
        }
    }
}
