//! Key hints for a footer: `q quit  ? help  space pause`.
//!
//! Hints that do not fit are dropped from the end, whole: a hint is never cut
//! mid-word or wrapped, since half a key name would be a wrong key name.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::Theme;
use crate::cells;

/// Blank cells between two hints.
const SEPARATOR: &str = "  ";

/// A row of `key label` hints, keys in [`Theme::key`], labels in [`Theme::text`].
/// Draws on the first row of its area only.
#[derive(Clone, Copy, Debug, Default)]
pub struct KeyHints<'a> {
    /// `(key, label)` pairs in order of importance, e.g. `("q", "quit")`.
    hints: &'a [(&'a str, &'a str)],
    /// Colours.
    theme: Theme,
}

impl<'a> KeyHints<'a> {
    /// Hints from `(key, label)` pairs, most important first (the last are dropped
    /// first when space runs out). An empty label shows the key alone.
    #[must_use]
    pub const fn new(hints: &'a [(&'a str, &'a str)]) -> Self {
        Self {
            hints,
            theme: Theme::dark(),
        }
    }

    /// Sets the colours.
    #[must_use = "method moves the value of self and returns the modified value"]
    pub const fn theme(mut self, theme: Theme) -> Self {
        self.theme = theme;
        self
    }
}

impl KeyHints<'_> {
    /// Where each hint is drawn in `area`, in order: one rectangle per hint
    /// that fits (those that do not are left out, as on screen), so a click
    /// can be matched to the hint under it.
    #[must_use]
    pub fn positions(&self, area: Rect) -> Vec<Rect> {
        if area.is_empty() {
            return Vec::new();
        }
        let widths = self.hints.iter().map(|&(key, label)| {
            let label = if label.is_empty() {
                0
            } else {
                1 + cells::width(label)
            };
            cells::width(key) + label
        });
        cells::item_positions(widths, cells::width(SEPARATOR), area.width)
            .into_iter()
            .map(|(offset, width)| Rect::new(area.x + offset, area.y, width, 1))
            .collect()
    }
}

impl Widget for KeyHints<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        // Copy widgets implement `Widget` by value too: name the by-reference impl.
        let widget: &Self = &self;
        widget.render(area, buf);
    }
}

impl Widget for &KeyHints<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        if area.is_empty() {
            return;
        }
        let items = self.hints.iter().map(|&(key, label)| {
            let key = Span::styled(key, self.theme.key);
            if label.is_empty() {
                Line::from(key)
            } else {
                Line::from(vec![
                    key,
                    Span::raw(" "),
                    Span::styled(label, self.theme.text),
                ])
            }
        });
        let separator = Span::styled(SEPARATOR, self.theme.text);
        cells::put_items(buf, (area.x, area.y), area.width, items, &separator);
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::testing::{PLAIN, any_size, render_any, screen, sentinel};

    const HINTS: [(&str, &str); 7] = [
        ("q", "quit"),
        ("?", "help"),
        ("space", "pause"),
        ("+/-", "workers"),
        ("m", "mode"),
        ("r", "restart"),
        ("Tab", "focus"),
    ];

    #[test]
    fn snapshots() {
        let hints = KeyHints::new(&HINTS);
        insta::assert_snapshot!("key_hints_80x1", screen(hints, 80, 1));
        insta::assert_snapshot!("key_hints_40x2", screen(hints, 40, 2));
        insta::assert_snapshot!("key_hints_20x6", screen(hints, 20, 6));
    }

    #[test]
    fn exact_hints_that_do_not_fit_are_dropped_whole() {
        let inner = Rect::new(1, 1, 24, 1);
        let mut buf = sentinel(Rect::new(0, 0, 26, 3), inner);
        KeyHints::new(&HINTS).theme(PLAIN).render(inner, &mut buf);
        let expected = Buffer::with_lines([
            "XXXXXXXXXXXXXXXXXXXXXXXXXX",
            "Xq quit  ? help          X",
            "XXXXXXXXXXXXXXXXXXXXXXXXXX",
        ]);
        assert_eq!(buf, expected);
    }

    #[test]
    fn keys_use_the_key_style() {
        let theme = Theme::dark();
        let area = Rect::new(0, 0, 30, 1);
        let mut buf = Buffer::empty(area);
        KeyHints::new(&[("space", "pause"), ("Z", "")]).render(area, &mut buf);
        for x in 0..5 {
            assert_eq!(Some(buf[(x, 0)].fg), theme.key.fg);
        }
        assert_eq!(Some(buf[(6, 0)].fg), theme.text.fg);
        assert_eq!(buf[(13, 0)].symbol(), "Z");
        assert_eq!(Some(buf[(13, 0)].fg), theme.key.fg);
    }

    proptest! {
        #[test]
        fn render_never_panics(
            (width, height) in any_size(),
            hints in proptest::collection::vec(("\\PC{0,12}", "\\PC{0,20}"), 0..30),
        ) {
            let hints: Vec<(&str, &str)> =
                hints.iter().map(|(key, label)| (key.as_str(), label.as_str())).collect();
            render_any(&KeyHints::new(&hints), width, height);
        }
    }

    #[test]
    fn positions_cover_exactly_what_is_drawn() {
        let hints = KeyHints::new(&HINTS);
        for width in [80, 40, 12, 1] {
            let area = Rect::new(3, 2, width, 1);
            let mut buf = Buffer::empty(Rect::new(0, 0, 90, 4));
            hints.render(area, &mut buf);
            let positions = hints.positions(area);
            let row: String = (0..90).map(|x| buf[(x, 2)].symbol().to_owned()).collect();
            let drawn = row.split("  ").filter(|s| !s.trim().is_empty()).count();
            assert_eq!(positions.len(), drawn, "width {width}: {row:?}");
            for (rect, (key, label)) in positions.iter().zip(HINTS) {
                let text: String = (rect.x..rect.right())
                    .map(|x| buf[(x, rect.y)].symbol().to_owned())
                    .collect();
                assert_eq!(text, format!("{key} {label}"), "width {width}");
            }
        }
    }
}
