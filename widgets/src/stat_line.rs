//! A line of headline numbers: `threads 9 (peak 12) │ processes 1 │ parallelism 1.34 cores`.
//!
//! The caller formats each value (it knows the unit); this widget only lays the stats
//! out, dropping whole stats from the end when they do not fit.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::Theme;
use crate::cells;

/// Drawn between two stats.
const SEPARATOR: &str = " │ ";

/// One labelled number on a [`StatLine`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stat<'a> {
    /// What the value is, e.g. `threads`; drawn in [`Theme::dim`]. May be empty.
    pub label: &'a str,
    /// The value already formatted with its unit, e.g. `1.34 cores` or `9 (peak 12)`.
    pub value: String,
    /// Draw the value in [`Theme::accent`], bold: the number the screen is about.
    pub emphasis: bool,
}

/// Stats in a row, separated by `│`; those that do not fit are dropped from the end.
/// Draws on the first row of its area only.
#[derive(Clone, Copy, Debug, Default)]
pub struct StatLine<'a> {
    /// The stats, most important first.
    stats: &'a [Stat<'a>],
    /// Colours.
    theme: Theme,
}

impl<'a> StatLine<'a> {
    /// A line of `stats`, most important first (the last are dropped first).
    #[must_use]
    pub const fn new(stats: &'a [Stat<'a>]) -> Self {
        Self {
            stats,
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

impl Widget for StatLine<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        // Copy widgets implement `Widget` by value too: name the by-reference impl.
        let widget: &Self = &self;
        widget.render(area, buf);
    }
}

impl Widget for &StatLine<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        if area.is_empty() {
            return;
        }
        let items = self.stats.iter().map(|stat| {
            let style = if stat.emphasis {
                self.theme.accent.add_modifier(Modifier::BOLD)
            } else {
                self.theme.text
            };
            let value = Span::styled(stat.value.as_str(), style);
            if stat.label.is_empty() {
                Line::from(value)
            } else {
                let label = Span::styled(stat.label, self.theme.dim);
                Line::from(vec![label, Span::raw(" "), value])
            }
        });
        let separator = Span::styled(SEPARATOR, self.theme.dim);
        cells::put_items(buf, (area.x, area.y), area.width, items, &separator);
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::testing::{PLAIN, any_size, render_any, screen, sentinel};

    fn stats() -> [Stat<'static>; 4] {
        [
            Stat {
                label: "threads",
                value: "9 (peak 12)".to_owned(),
                emphasis: false,
            },
            Stat {
                label: "processes",
                value: "1".to_owned(),
                emphasis: false,
            },
            Stat {
                label: "parallelism",
                value: "1.34 cores".to_owned(),
                emphasis: true,
            },
            Stat {
                label: "lost updates",
                value: "?".to_owned(),
                emphasis: false,
            },
        ]
    }

    #[test]
    fn snapshots() {
        let stats = stats();
        let line = StatLine::new(&stats);
        insta::assert_snapshot!("stat_line_80x1", screen(line, 80, 1));
        insta::assert_snapshot!("stat_line_50x2", screen(line, 50, 2));
        insta::assert_snapshot!("stat_line_20x6", screen(line, 20, 6));
    }

    #[test]
    fn exact_stats_that_do_not_fit_are_dropped_whole() {
        let stats = stats();
        let inner = Rect::new(1, 1, 40, 1);
        let mut buf = sentinel(Rect::new(0, 0, 42, 3), inner);
        StatLine::new(&stats).theme(PLAIN).render(inner, &mut buf);
        let expected = Buffer::with_lines([
            "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
            "Xthreads 9 (peak 12) │ processes 1       X",
            "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
        ]);
        assert_eq!(buf, expected);
    }

    #[test]
    fn emphasis_and_labels_are_styled() {
        let theme = Theme::dark();
        let stats = stats();
        let area = Rect::new(0, 0, 80, 1);
        let mut buf = Buffer::empty(area);
        StatLine::new(&stats).render(area, &mut buf);
        assert_eq!(Some(buf[(0, 0)].fg), theme.dim.fg);
        assert_eq!(Some(buf[(8, 0)].fg), theme.text.fg);
        let value_x = 8 + 11 + 3 + 10 + 1 + 3 + 12;
        assert_eq!(buf[(value_x, 0)].symbol(), "1");
        assert_eq!(Some(buf[(value_x, 0)].fg), theme.accent.fg);
        assert!(buf[(value_x, 0)].modifier.contains(Modifier::BOLD));
    }

    proptest! {
        #[test]
        fn render_never_panics(
            (width, height) in any_size(),
            raw in proptest::collection::vec(("\\PC{0,15}", "\\PC{0,20}", any::<bool>()), 0..20),
        ) {
            let stats: Vec<_> = raw
                .iter()
                .map(|(label, value, emphasis)| Stat { label, value: value.clone(), emphasis: *emphasis })
                .collect();
            render_any(&StatLine::new(&stats), width, height);
        }
    }
}
