//! The help overlay: a popup listing keys and what they do, by section.
//!
//! The caller builds the sections from its key map, so the help never lies. The popup
//! is sized to its content, centered, and clears what is behind it; in an area too
//! small for it, it cuts lines with `…`, shows the list from its scroll offset, and
//! says on its last line that more lies below or above (Page Down, Page Up).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Padding, Widget};

use crate::Theme;
use crate::cells::{self, ELLIPSIS};

/// Cells between the keys column and the descriptions.
const KEYS_GAP: u16 = 2;
/// Cells the border and the padding take on each side, horizontally.
const FRAME_X: u16 = 2;
/// Cells the border takes on each side, vertically.
const FRAME_Y: u16 = 1;

/// One key binding in the help.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HelpEntry<'a> {
    /// The key or keys, as the user types them, e.g. `q, F10`.
    pub keys: &'a str,
    /// What the keys do, e.g. `quit`.
    pub description: &'a str,
}

/// A titled group of key bindings, e.g. `Workers`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HelpSection<'a> {
    /// The section's heading; an empty title draws no heading line.
    pub title: &'a str,
    /// The bindings, in display order.
    pub entries: &'a [HelpEntry<'a>],
}

/// A centered, bordered popup listing key bindings by section, keys aligned in a
/// column. Render it over the screen it documents: it clears the cells it covers.
#[derive(Clone, Copy, Debug, Default)]
pub struct HelpOverlay<'a> {
    /// The popup's title, in its top border.
    title: &'a str,
    /// The sections, in display order, a blank line between two.
    sections: &'a [HelpSection<'a>],
    /// The first line shown, when the list does not fit.
    scroll: usize,
    /// Colours.
    theme: Theme,
}

impl<'a> HelpOverlay<'a> {
    /// A help popup titled `title` listing `sections`.
    #[must_use]
    pub const fn new(title: &'a str, sections: &'a [HelpSection<'a>]) -> Self {
        Self {
            title,
            sections,
            scroll: 0,
            theme: Theme::dark(),
        }
    }

    /// Shows the list from its line `scroll` on, when it does not fit (held
    /// within the list: past its end shows the last page).
    #[must_use = "method moves the value of self and returns the modified value"]
    pub const fn scroll(mut self, scroll: usize) -> Self {
        self.scroll = scroll;
        self
    }

    /// Sets the colours.
    #[must_use = "method moves the value of self and returns the modified value"]
    pub const fn theme(mut self, theme: Theme) -> Self {
        self.theme = theme;
        self
    }

    /// The content, one line per heading, entry and blank line between sections.
    fn lines(&self) -> Vec<Line<'a>> {
        let keys_width = self
            .sections
            .iter()
            .flat_map(|section| section.entries)
            .map(|entry| cells::width(entry.keys))
            .max()
            .unwrap_or(0);
        let mut lines = Vec::new();
        for (index, section) in self.sections.iter().enumerate() {
            if index > 0 {
                lines.push(Line::default());
            }
            if !section.title.is_empty() {
                lines.push(Line::styled(section.title, self.theme.accent));
            }
            for entry in section.entries {
                let pad = keys_width.saturating_sub(cells::width(entry.keys));
                let pad = pad.saturating_add(KEYS_GAP);
                lines.push(Line::from(vec![
                    Span::styled(entry.keys, self.theme.key),
                    Span::raw(" ".repeat(usize::from(pad))),
                    Span::styled(entry.description, self.theme.text),
                ]));
            }
        }
        lines
    }

    /// The popup's border block.
    fn block(&self) -> Block<'a> {
        let block = Block::bordered()
            .border_style(self.theme.border)
            .padding(Padding::horizontal(1));
        if self.title.is_empty() {
            block
        } else {
            let title = Line::from(vec![
                Span::raw(" "),
                Span::styled(self.title, self.theme.accent),
                Span::raw(" "),
            ]);
            block.title(title)
        }
    }
}

/// A `width` x `height` rectangle centered in `area` and clamped to it.
fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    )
}

impl Widget for HelpOverlay<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        // Copy widgets implement `Widget` by value too: name the by-reference impl.
        let widget: &Self = &self;
        widget.render(area, buf);
    }
}

impl Widget for &HelpOverlay<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        if area.is_empty() {
            return;
        }
        let lines = self.lines();
        let content_width = lines.iter().map(Line::width).max().unwrap_or(0);
        let title_width = cells::width(self.title).saturating_add(2);
        let width = u16::try_from(content_width)
            .unwrap_or(u16::MAX)
            .max(title_width)
            .saturating_add(2 * FRAME_X);
        let height = u16::try_from(lines.len())
            .unwrap_or(u16::MAX)
            .saturating_add(2 * FRAME_Y);
        let popup = centered(area, width, height);
        Clear.render(popup, buf);
        let block = self.block();
        let inner = block.inner(popup);
        block.render(popup, buf);
        if inner.is_empty() {
            return;
        }
        let room = usize::from(inner.height);
        let cut = lines.len() > room;
        let shown = if cut { room - 1 } else { lines.len() };
        let first = if cut {
            self.scroll.min(lines.len() - shown)
        } else {
            0
        };
        for (line, y) in lines.iter().skip(first).take(shown).zip(inner.y..) {
            if line.width() <= usize::from(inner.width) {
                buf.set_line(inner.x, y, line, inner.width);
            } else {
                let kept = inner.width - 1;
                buf.set_line(inner.x, y, line, kept);
                buf.set_stringn(inner.x + kept, y, ELLIPSIS, 1, self.theme.dim);
            }
        }
        if cut {
            let below = first + shown < lines.len();
            let (long, short) = match (first > 0, below) {
                (true, true) => ("… more: PgDn ↓, PgUp ↑", "… ↓↑"),
                (false, _) => ("… more below: PgDn ↓", "… ↓"),
                (true, false) => ("… more above: PgUp ↑", "… ↑"),
            };
            let more = if cells::width(long) <= inner.width {
                long
            } else {
                short
            };
            buf.set_stringn(
                inner.x,
                inner.bottom() - 1,
                more,
                usize::from(inner.width),
                self.theme.dim,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::testing::{PLAIN, any_size, render_any, screen, sentinel};

    const GENERAL: [HelpEntry<'static>; 4] = [
        HelpEntry {
            keys: "q, F10",
            description: "quit",
        },
        HelpEntry {
            keys: "?, F1",
            description: "toggle this help",
        },
        HelpEntry {
            keys: "space, Z",
            description: "pause / resume",
        },
        HelpEntry {
            keys: "Tab",
            description: "next panel",
        },
    ];
    const DEMO: [HelpEntry<'static>; 3] = [
        HelpEntry {
            keys: "+ / -",
            description: "one worker more / less",
        },
        HelpEntry {
            keys: "m",
            description: "next mode: threads, processes, gil, async",
        },
        HelpEntry {
            keys: "r",
            description: "restart the demo",
        },
    ];
    const SECTIONS: [HelpSection<'static>; 2] = [
        HelpSection {
            title: "General",
            entries: &GENERAL,
        },
        HelpSection {
            title: "Demo",
            entries: &DEMO,
        },
    ];

    #[test]
    fn snapshots() {
        let help = HelpOverlay::new("Help", &SECTIONS);
        insta::assert_snapshot!("help_80x16", screen(help, 80, 16));
        insta::assert_snapshot!("help_50x10", screen(help, 50, 10));
        insta::assert_snapshot!("help_20x6", screen(help, 20, 6));
    }

    #[test]
    fn exact_popup_is_centered_sized_to_content_and_clears_behind_it() {
        let entries = [
            HelpEntry {
                keys: "q",
                description: "quit",
            },
            HelpEntry {
                keys: "space",
                description: "pause",
            },
        ];
        let sections = [HelpSection {
            title: "",
            entries: &entries,
        }];
        let outer = Rect::new(0, 0, 20, 6);
        let inner = Rect::new(1, 1, 18, 4);
        let mut buf = sentinel(outer, inner);
        for position in inner.positions() {
            buf[position].set_symbol("·");
        }
        HelpOverlay::new("Keys", &sections)
            .theme(PLAIN)
            .render(inner, &mut buf);
        let expected = Buffer::with_lines([
            "XXXXXXXXXXXXXXXXXXXX",
            "X·┌ Keys ────────┐·X",
            "X·│ q      quit  │·X",
            "X·│ space  pause │·X",
            "X·└──────────────┘·X",
            "XXXXXXXXXXXXXXXXXXXX",
        ]);
        assert_eq!(buf, expected);
    }

    #[test]
    fn a_small_area_cuts_the_list_with_an_ellipsis_line() {
        let area = Rect::new(0, 0, 30, 6);
        let mut buf = Buffer::empty(area);
        HelpOverlay::new("Help", &SECTIONS)
            .theme(PLAIN)
            .render(area, &mut buf);
        let expected = Buffer::with_lines([
            "┌ Help ──────────────────────┐",
            "│ General                    │",
            "│ q, F10    quit             │",
            "│ ?, F1     toggle this help │",
            "│ … more below: PgDn ↓       │",
            "└────────────────────────────┘",
        ]);
        assert_eq!(buf, expected);
    }

    #[test]
    fn a_list_too_long_scrolls_and_says_where_more_is() {
        let sections = [
            HelpSection {
                title: "General",
                entries: &GENERAL,
            },
            HelpSection {
                title: "Workers",
                entries: &GENERAL,
            },
        ];
        let top = screen(HelpOverlay::new("Keys", &sections).theme(PLAIN), 40, 7);
        assert!(top.contains("more below: PgDn"), "{top}");
        assert!(top.contains("General"), "{top}");
        let down = screen(
            HelpOverlay::new("Keys", &sections).theme(PLAIN).scroll(3),
            40,
            7,
        );
        assert!(down.contains("PgUp"), "{down}");
        assert!(
            !down.contains("General"),
            "scrolled past the first lines:\n{down}"
        );
        let bottom = screen(
            HelpOverlay::new("Keys", &sections).theme(PLAIN).scroll(99),
            40,
            7,
        );
        assert!(bottom.contains("more above: PgUp"), "{bottom}");
        assert!(
            bottom.contains("pause / resume"),
            "the last line shows:\n{bottom}"
        );
    }

    proptest! {
        #[test]
        fn render_never_panics(
            (width, height) in any_size(),
            title in "\\PC{0,40}",
            raw in proptest::collection::vec(
                ("\\PC{0,20}", proptest::collection::vec(("\\PC{0,12}", "\\PC{0,60}"), 0..12)),
                0..6,
            ),
        ) {
            let entries: Vec<Vec<HelpEntry<'_>>> = raw
                .iter()
                .map(|(_, entries)| {
                    entries
                        .iter()
                        .map(|(keys, description)| HelpEntry { keys, description })
                        .collect()
                })
                .collect();
            let sections: Vec<_> = raw
                .iter()
                .zip(&entries)
                .map(|((title, _), entries)| HelpSection { title, entries })
                .collect();
            render_any(&HelpOverlay::new(&title, &sections), width, height);
        }
    }
}
