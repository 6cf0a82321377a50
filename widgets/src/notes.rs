//! Notes: the "what to look for" text beside a demo, a title and a few short
//! paragraphs.
//!
//! The text is course material written by a person, so it is kept as written: each
//! line of the source starts a new line, a blank line stays a paragraph break, and
//! long lines wrap at word boundaries. What does not fit ends in `…` rather than
//! vanishing without a mark.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::widgets::{Block, BlockExt, Widget};

use crate::Theme;
use crate::cells::{self, Align};

/// A titled, wrapped paragraph of notes, e.g.
///
/// ```text
/// What to look for
/// With the GIL only one lane is green at a time, whatever the number of workers.
///
/// Switch to processes (m): every lane turns green.
/// ```
///
/// The title is one line in [`Theme::accent`], bold (cut with `…` if too long); the
/// text is in [`Theme::text`]. Drawn without a frame unless given a block.
#[derive(Clone, Debug, Default)]
pub struct Notes<'a> {
    /// The first line; empty for none.
    title: &'a str,
    /// The notes: lines separated by `\n`, paragraphs by a blank line.
    text: &'a str,
    /// A block to wrap the notes in.
    block: Option<Block<'a>>,
    /// Colours.
    theme: Theme,
}

impl<'a> Notes<'a> {
    /// Notes titled `title` (empty for none) reading `text`.
    #[must_use]
    pub const fn new(title: &'a str, text: &'a str) -> Self {
        Self {
            title,
            text,
            block: None,
            theme: Theme::dark(),
        }
    }

    /// Wraps the notes in `block`.
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

    /// Rows the notes fill at `width` cells (frame excluded), none cut.
    #[must_use]
    pub fn height(&self, width: u16) -> u16 {
        u16::try_from(self.lines(width).len()).unwrap_or(u16::MAX)
    }

    /// The lines drawn in `width` cells, with their styles, before any are cut.
    fn lines(&self, width: u16) -> Vec<(String, Style)> {
        let mut lines = Vec::new();
        if !self.title.trim().is_empty() {
            let style = self.theme.accent.add_modifier(Modifier::BOLD);
            lines.push((self.title.trim().to_owned(), style));
        }
        for source in self.text.lines() {
            let wrapped = cells::wrap(source, width);
            if wrapped.is_empty() {
                lines.push((String::new(), self.theme.text));
            }
            lines.extend(wrapped.into_iter().map(|line| (line, self.theme.text)));
        }
        while lines.last().is_some_and(|(line, _)| line.is_empty()) {
            lines.pop();
        }
        lines
    }
}

impl Widget for Notes<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        Widget::render(&self, area, buf);
    }
}

impl Widget for &Notes<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        self.block.as_ref().render(area, buf);
        let area = self.block.inner_if_some(area);
        if area.is_empty() {
            return;
        }
        let lines = self.lines(area.width);
        let room = usize::from(area.height);
        let cut = lines.len() > room;
        for (index, ((line, style), y)) in lines.iter().zip(area.y..area.bottom()).enumerate() {
            if cut && index + 1 == room {
                cells::put_cut(buf, (area.x, y), area.width, line, *style);
            } else {
                cells::put(buf, (area.x, y), area.width, line, Align::Left, *style);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use ratatui::widgets::Block;

    use super::*;
    use crate::testing::{PLAIN, any_size, lines, render, render_any, screen, sentinel};

    const TITLE: &str = "What to look for";
    const TEXT: &str = "With the GIL only one lane is green at a time, \
        whatever the number of workers: the others wait (orange).\n\
        \n\
        Press m to switch to processes: each has its own GIL, and every lane turns green.";

    #[test]
    fn height_counts_the_title_and_the_wrapped_lines() {
        let notes = Notes::new(TITLE, TEXT);
        let buf = render(&notes, 40, 30);
        let drawn = lines(&buf).iter().filter(|l| !l.trim().is_empty()).count() + 1;
        assert_eq!(notes.height(40), u16::try_from(drawn).expect("small"));
        assert_eq!(Notes::new("", "one line").height(40), 1);
    }

    #[test]
    fn snapshots() {
        let notes = Notes::new(TITLE, TEXT);
        insta::assert_snapshot!("notes_80x6", screen(&notes, 80, 6));
        insta::assert_snapshot!("notes_40x10", screen(&notes, 40, 10));
        insta::assert_snapshot!("notes_20x6", screen(&notes, 20, 6));
    }

    #[test]
    fn exact_paragraphs_wrap_and_stay_inside_their_area() {
        let inner = Rect::new(1, 1, 24, 5);
        let mut buf = sentinel(Rect::new(0, 0, 26, 7), inner);
        Notes::new("Look", "one lane green at a time\n\nthen all green")
            .theme(PLAIN)
            .render(inner, &mut buf);
        let mut expected = Buffer::with_lines([
            "XXXXXXXXXXXXXXXXXXXXXXXXXX",
            "XLook                    X",
            "Xone lane green at a timeX",
            "X                        X",
            "Xthen all green          X",
            "X                        X",
            "XXXXXXXXXXXXXXXXXXXXXXXXXX",
        ]);
        let bold = Style::new().add_modifier(Modifier::BOLD);
        expected.set_style(Rect::new(1, 1, 4, 1), bold);
        assert_eq!(buf, expected);
    }

    #[test]
    fn too_long_ends_in_an_ellipsis() {
        let screen = lines(&render(&Notes::new(TITLE, TEXT), 40, 3));
        assert_eq!(screen[0].trim_end(), TITLE);
        assert_eq!(
            screen[1].trim_end(),
            "With the GIL only one lane is green at a"
        );
        assert_eq!(
            screen[2].trim_end(),
            "time, whatever the number of workers:…"
        );
    }

    #[test]
    fn title_is_accented_and_text_plain() {
        let theme = Theme::dark();
        let buf = render(&Notes::new(TITLE, TEXT), 40, 3);
        assert_eq!(Some(buf[(0, 0)].fg), theme.accent.fg);
        assert!(buf[(0, 0)].modifier.contains(Modifier::BOLD));
        assert_eq!(Some(buf[(0, 1)].fg), theme.text.fg);
    }

    #[test]
    fn no_title_starts_with_the_text_and_trailing_blanks_go() {
        let notes = Notes::new("", "first\n\n\n");
        assert_eq!(notes.lines(10).len(), 1);
        let screen = lines(&render(&notes, 10, 2));
        assert_eq!(screen[0].trim_end(), "first");
    }

    proptest! {
        // Each case renders up to 250x80 cells (four times here) in a debug build.
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn render_never_panics(
            (width, height) in any_size(),
            title in "\\PC{0,60}",
            text in "(\\PC{0,80}\n{0,2}){0,12}",
        ) {
            let notes = Notes::new(&title, &text);
            render_any(&notes, width, height);
            render_any(&notes.block(Block::bordered()), width, height);
        }
    }
}
