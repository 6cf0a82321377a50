//! A list of warnings: what the dashboard noticed that a person should know, e.g. a
//! demo running with more workers than cores, or a thread starved of the GIL.
//!
//! The caller decides what is worth a warning and orders the list, most important
//! first; the widget fits it into the lines it has: short lists get wrapped text,
//! long ones one line each and a count of the rest.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::{Block, BlockExt, Widget};

use crate::Theme;
use crate::cells::{self, Align};

/// Cells the marker and the blank after it take; wrapped lines are indented as much.
const INDENT: u16 = 2;

/// How much a warning matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// Worth knowing: marked `i` in [`Theme::accent`].
    Info,
    /// Worth a look: marked `!` in [`Theme::warn`].
    Warn,
    /// Something is wrong: marked `✗` in [`Theme::alert`].
    Alert,
}

impl Severity {
    /// The marker drawn before the text. `!`, not `⚠`: many terminals draw the
    /// warning sign two cells wide, which would shift the text.
    const fn marker(self) -> &'static str {
        match self {
            Self::Info => "i",
            Self::Warn => "!",
            Self::Alert => "✗",
        }
    }
}

/// One warning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Warning<'a> {
    /// How much it matters; decides the marker and its colour.
    pub severity: Severity,
    /// What to say, in plain words; newlines count as spaces.
    pub text: &'a str,
}

/// Warnings, one per line with a coloured marker: `! 8 workers on 2 cores`.
///
/// When there are spare lines, long texts wrap into them (the first warnings first);
/// otherwise each is cut to one line with `…`. When warnings outnumber the lines,
/// the last line says `… N more`. With no warnings it says so, dimly.
#[derive(Clone, Debug, Default)]
pub struct Warnings<'a> {
    /// The warnings, most important first.
    items: &'a [Warning<'a>],
    /// A block to wrap the list in.
    block: Option<Block<'a>>,
    /// Colours.
    theme: Theme,
}

impl<'a> Warnings<'a> {
    /// A list of `warnings`, most important first (the last are hidden first).
    #[must_use]
    pub const fn new(warnings: &'a [Warning<'a>]) -> Self {
        Self {
            items: warnings,
            block: None,
            theme: Theme::dark(),
        }
    }

    /// Wraps the list in `block`.
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

impl Widget for Warnings<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        Widget::render(&self, area, buf);
    }
}

impl Widget for &Warnings<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        self.block.as_ref().render(area, buf);
        self.render_list(self.block.inner_if_some(area), buf);
    }
}

impl Warnings<'_> {
    /// The marker's style for `severity`.
    const fn marker_style(&self, severity: Severity) -> Style {
        match severity {
            Severity::Info => self.theme.accent,
            Severity::Warn => self.theme.warn,
            Severity::Alert => self.theme.alert,
        }
    }

    /// Draws `warning` from line `y` of `area` on at most `lines` lines (at least
    /// one), marking a cut with `…`; returns the lines used.
    fn render_warning(
        &self,
        warning: &Warning<'_>,
        (area, y): (Rect, u16),
        lines: u16,
        buf: &mut Buffer,
    ) -> u16 {
        let marker = warning.severity.marker();
        let style = self.marker_style(warning.severity);
        cells::put(
            buf,
            (area.x, y),
            area.width.min(1),
            marker,
            Align::Left,
            style,
        );
        let text_width = area.width.saturating_sub(INDENT);
        let wrapped = cells::wrap(warning.text, text_width);
        let used = wrapped.len().clamp(1, usize::from(lines)) as u16;
        let x = area.x + INDENT.min(area.width);
        for (index, (line, y)) in wrapped.iter().zip(y..y + used).enumerate() {
            if index + 1 == usize::from(used) && wrapped.len() > usize::from(used) {
                cells::put_cut(buf, (x, y), text_width, line, self.theme.text);
            } else {
                cells::put(buf, (x, y), text_width, line, Align::Left, self.theme.text);
            }
        }
        used
    }

    /// Draws the warnings into `area` (inside the block).
    fn render_list(&self, area: Rect, buf: &mut Buffer) {
        if area.is_empty() {
            return;
        }
        if self.items.is_empty() {
            let position = (area.x, area.y);
            cells::put(
                buf,
                position,
                area.width,
                "no warnings",
                Align::Left,
                self.theme.dim,
            );
            return;
        }
        let height = usize::from(area.height);
        let count = self.items.len();
        if count > height {
            let shown = if height >= 2 { height - 1 } else { 1 };
            for (warning, y) in self.items.iter().take(shown).zip(area.y..) {
                self.render_warning(warning, (area, y), 1, buf);
            }
            if shown < height {
                let text = cells::more(count - shown, None);
                let position = (area.x, area.bottom() - 1);
                cells::put(
                    buf,
                    position,
                    area.width,
                    &text,
                    Align::Left,
                    self.theme.dim,
                );
            }
            return;
        }
        let mut spare = area.height - count as u16;
        let mut y = area.y;
        for warning in self.items {
            let used = self.render_warning(warning, (area, y), 1 + spare, buf);
            spare -= used - 1;
            y += used;
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use ratatui::widgets::Block;

    use super::*;
    use crate::testing::{PLAIN, any_size, lines, render, render_any, screen, sentinel};

    const WARNINGS: [Warning<'static>; 3] = [
        Warning {
            severity: Severity::Alert,
            text: "worker-3 has waited 2.1 s for the GIL: the hand-off is not fair",
        },
        Warning {
            severity: Severity::Warn,
            text: "8 workers on 2 cores: at most 2 can run at once",
        },
        Warning {
            severity: Severity::Info,
            text: "sampling every 100 ms",
        },
    ];

    fn block() -> Block<'static> {
        Block::bordered().title(" Warnings ")
    }

    #[test]
    fn snapshots() {
        let list = Warnings::new(&WARNINGS).block(block());
        insta::assert_snapshot!("warnings_80x5", screen(&list, 80, 5));
        insta::assert_snapshot!("warnings_40x9", screen(&list, 40, 9));
        insta::assert_snapshot!("warnings_20x6", screen(&list, 20, 6));
    }

    #[test]
    fn exact_spare_lines_wrap_the_first_warnings_first() {
        let inner = Rect::new(1, 1, 30, 4);
        let mut buf = sentinel(Rect::new(0, 0, 32, 6), inner);
        Warnings::new(&WARNINGS)
            .theme(PLAIN)
            .render(inner, &mut buf);
        let expected = Buffer::with_lines([
            "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
            "X✗ worker-3 has waited 2.1 s   X",
            "X  for the GIL: the hand-off…  X",
            "X! 8 workers on 2 cores: at…   X",
            "Xi sampling every 100 ms       X",
            "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
        ]);
        assert_eq!(buf, expected);
    }

    #[test]
    fn too_many_warnings_are_cut_to_one_line_and_counted() {
        let screen = lines(&render(&Warnings::new(&WARNINGS), 30, 2));
        assert_eq!(screen[0], "✗ worker-3 has waited 2.1 s…  ");
        assert_eq!(screen[1].trim_end(), "… 2 more");
        let screen = lines(&render(&Warnings::new(&WARNINGS), 30, 1));
        assert!(screen[0].starts_with("✗ worker-3"), "{:?}", screen[0]);
    }

    #[test]
    fn markers_take_their_severity_colour() {
        let theme = Theme::dark();
        let buf = render(&Warnings::new(&WARNINGS), 80, 3);
        let screen = lines(&buf);
        assert!(screen[1].starts_with("! "), "{:?}", screen[1]);
        assert_eq!(Some(buf[(0, 0)].fg), theme.alert.fg);
        assert_eq!(Some(buf[(0, 1)].fg), theme.warn.fg);
        assert_eq!(Some(buf[(0, 2)].fg), theme.accent.fg);
        assert_eq!(Some(buf[(2, 1)].fg), theme.text.fg);
    }

    #[test]
    fn no_warnings_is_a_dim_line() {
        let theme = Theme::dark();
        let buf = render(&Warnings::new(&[]), 20, 2);
        assert_eq!(lines(&buf)[0].trim_end(), "no warnings");
        assert_eq!(Some(buf[(0, 0)].fg), theme.dim.fg);
    }

    proptest! {
        // Each case renders up to 250x80 cells (four times here) in a debug build.
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn render_never_panics(
            (width, height) in any_size(),
            raw in proptest::collection::vec((0u8..3, "\\PC{0,300}"), 0..100),
        ) {
            let warnings: Vec<_> = raw
                .iter()
                .map(|(severity, text)| Warning {
                    severity: [Severity::Info, Severity::Warn, Severity::Alert][usize::from(*severity)],
                    text,
                })
                .collect();
            let list = Warnings::new(&warnings);
            render_any(&list, width, height);
            render_any(&list.block(Block::bordered()), width, height);
        }
    }
}
