//! The result panel: what a demo should have produced next to what it did.
//!
//! This is the punchline of a demo (`✗ unsynchronized  2000000  1312877  lost 687123
//! updates`), so it is drawn plainly and never cut in the middle of a number: the
//! caller formats the values and judges them; the panel only lines them up.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::{Block, BlockExt, Widget};

use crate::Theme;
use crate::cells::{self, Align};

/// Header of the expected column.
const EXPECTED: &str = "expected";
/// Header of the actual column.
const ACTUAL: &str = "actual";
/// Cells the verdict marker and the blank after it take.
const MARKER_WIDTH: u16 = 2;
/// Blank cells between two columns.
const GAP: u16 = 2;
/// Fewest cells the label is squeezed to before the expected column is dropped.
const LABEL_MIN: u16 = 8;
/// Most cells the label takes.
const LABEL_MAX: u16 = 28;

/// How a result came out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// As it should be: marked `✓` in [`Theme::good`].
    Good,
    /// Wrong, the point of the demo: marked `✗` in [`Theme::alert`].
    Bad,
    /// Neither, e.g. a baseline: marked `·` in [`Theme::dim`].
    #[default]
    Neutral,
}

impl Verdict {
    /// The marker drawn before the label.
    const fn marker(self) -> &'static str {
        match self {
            Self::Good => "✓",
            Self::Bad => "✗",
            Self::Neutral => "·",
        }
    }
}

/// One result: a variant of the demo, what it should give and what it gave.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ComparisonRow<'a> {
    /// The variant, e.g. `unsynchronized` or `locked`.
    pub label: &'a str,
    /// The expected value, formatted by the caller, e.g. `2000000`.
    pub expected: &'a str,
    /// The value the run produced, formatted by the caller; `?` while unknown.
    pub actual: &'a str,
    /// Whether `actual` is right.
    pub verdict: Verdict,
    /// A short explanation after the values, e.g. `lost 687123 updates`; may be empty.
    pub note: &'a str,
}

/// The result panel: a header (`expected`, `actual`) over one line per result:
/// the verdict marker, the label, both values right-aligned and the note.
///
/// The actual value and the note take the verdict's colour. Narrow areas cut the
/// note first, then squeeze the label, then drop the expected column, then cut the
/// label further; a value is drawn whole or not at all. When rows do not fit, the
/// last line says `… N more`.
#[derive(Clone, Debug, Default)]
pub struct Comparison<'a> {
    /// The results, drawn in this order.
    rows: &'a [ComparisonRow<'a>],
    /// A block to wrap the panel in.
    block: Option<Block<'a>>,
    /// Colours.
    theme: Theme,
}

impl<'a> Comparison<'a> {
    /// A panel of `rows`, drawn in the order given.
    #[must_use]
    pub const fn new(rows: &'a [ComparisonRow<'a>]) -> Self {
        Self {
            rows,
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

impl Widget for Comparison<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        Widget::render(&self, area, buf);
    }
}

impl Widget for &Comparison<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        self.block.as_ref().render(area, buf);
        self.render_panel(self.block.inner_if_some(area), buf);
    }
}

/// Widths of the columns, in cells; a dropped column is zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Columns {
    /// The label, after the marker.
    label: u16,
    /// The expected value; zero when dropped.
    expected: u16,
    /// The actual value.
    actual: u16,
}

/// One line's texts, with their styles.
struct Texts<'t> {
    /// The verdict marker (blank on the header).
    marker: (&'t str, Style),
    /// The label.
    label: (&'t str, Style),
    /// The expected value.
    expected: (&'t str, Style),
    /// The actual value.
    actual: (&'t str, Style),
    /// The note.
    note: (&'t str, Style),
}

impl Comparison<'_> {
    /// The cells the panel needs to show every row uncut, notes included,
    /// its block's borders too when it has one.
    #[must_use]
    pub fn width(&self) -> u16 {
        let widest = |value: for<'r> fn(&'r ComparisonRow<'r>) -> &'r str| {
            self.rows
                .iter()
                .map(|row| cells::width(value(row)))
                .max()
                .unwrap_or(0)
        };
        let columns = self.columns(u16::MAX);
        let note = widest(|row| row.note);
        let note = if note > 0 { GAP + note } else { 0 };
        let borders = if self.block.is_some() { 2 } else { 0 };
        MARKER_WIDTH
            .saturating_add(columns.label)
            .saturating_add(GAP + columns.expected)
            .saturating_add(GAP + columns.actual)
            .saturating_add(note)
            .saturating_add(borders)
    }

    /// The column widths for lines `width` cells wide.
    fn columns(&self, width: u16) -> Columns {
        let widest = |header: &str, value: for<'r> fn(&'r ComparisonRow<'r>) -> &'r str| {
            let values = self.rows.iter().map(|row| cells::width(value(row)));
            values.max().unwrap_or(0).max(cells::width(header))
        };
        let wanted = widest("", |row| row.label).min(LABEL_MAX);
        let expected = widest(EXPECTED, |row| row.expected);
        let actual = widest(ACTUAL, |row| row.actual);
        let label_min = wanted.min(LABEL_MIN);
        let with_expected = MARKER_WIDTH + GAP + expected + GAP + actual;
        let expected = if with_expected.saturating_add(label_min) <= width {
            expected
        } else {
            0
        };
        let others = MARKER_WIDTH + if expected > 0 { GAP + expected } else { 0 } + GAP + actual;
        // Below its minimum the label gives way further: a cut label still reads, a
        // cut number lies.
        let label = wanted.min(width.saturating_sub(others));
        Columns {
            label,
            expected,
            actual,
        }
    }

    /// The texts and styles of `row`.
    fn texts<'t>(&self, row: &ComparisonRow<'t>) -> Texts<'t> {
        let theme = &self.theme;
        let verdict = match row.verdict {
            Verdict::Good => theme.good,
            Verdict::Bad => theme.alert,
            Verdict::Neutral => theme.text,
        };
        let marker = match row.verdict {
            Verdict::Neutral => theme.dim,
            _ => verdict,
        };
        Texts {
            marker: (row.verdict.marker(), marker),
            label: (row.label, theme.text),
            expected: (row.expected, theme.text),
            actual: (row.actual, verdict),
            note: (row.note, verdict),
        }
    }

    /// Draws one line of `texts` at `y` across `area`.
    fn render_line(columns: Columns, texts: &Texts<'_>, (area, y): (Rect, u16), buf: &mut Buffer) {
        let mut x = area.x;
        // Values are drawn whole or not at all; labels and notes are cut with `…`.
        let mut column =
            |width: u16, gap: u16, (text, style): (&str, Style), align, buf: &mut Buffer| {
                let room = area.right().saturating_sub(x).min(width);
                let whole = align == Align::Left || cells::width(text) <= room;
                if room > 0 && whole {
                    cells::put(buf, (x, y), room, text, align, style);
                }
                x = x.saturating_add(width).saturating_add(gap);
            };
        column(1, MARKER_WIDTH - 1, texts.marker, Align::Left, buf);
        column(columns.label, GAP, texts.label, Align::Left, buf);
        if columns.expected > 0 {
            column(columns.expected, GAP, texts.expected, Align::Right, buf);
        }
        column(columns.actual, GAP, texts.actual, Align::Right, buf);
        column(u16::MAX, 0, texts.note, Align::Left, buf);
    }

    /// Draws the header and the rows into `area` (inside the block).
    fn render_panel(&self, area: Rect, buf: &mut Buffer) {
        if area.is_empty() {
            return;
        }
        let columns = self.columns(area.width);
        let title = self.theme.title;
        buf.set_style(Rect::new(area.x, area.y, area.width, 1), title);
        let header = Texts {
            marker: ("", title),
            label: ("", title),
            expected: (EXPECTED, title),
            actual: (ACTUAL, title),
            note: ("", title),
        };
        Self::render_line(columns, &header, (area, area.y), buf);
        let body = usize::from(area.height - 1);
        if body == 0 {
            return;
        }
        if self.rows.is_empty() {
            let position = (area.x, area.y + 1);
            cells::put(
                buf,
                position,
                area.width,
                "no results yet",
                Align::Left,
                self.theme.dim,
            );
            return;
        }
        let shown = if self.rows.len() <= body {
            self.rows.len()
        } else {
            body.saturating_sub(1).max(1)
        };
        for (row, y) in self.rows.iter().take(shown).zip(area.y + 1..) {
            Self::render_line(columns, &self.texts(row), (area, y), buf);
        }
        let hidden = self.rows.len() - shown;
        if hidden > 0 && shown < body {
            let y = area.y + 1 + shown as u16;
            let text = cells::more(hidden, None);
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
    use ratatui::widgets::Block;

    use super::*;
    use crate::testing::{PLAIN, any_size, lines, render, render_any, screen, sentinel};

    /// The race demo: two million increments by four threads, three ways.
    const RACE: [ComparisonRow<'static>; 3] = [
        ComparisonRow {
            label: "unsynchronized",
            expected: "2000000",
            actual: "1312877",
            verdict: Verdict::Bad,
            note: "lost 687123 updates",
        },
        ComparisonRow {
            label: "locked",
            expected: "2000000",
            actual: "2000000",
            verdict: Verdict::Good,
            note: "exact, 4.1x slower",
        },
        ComparisonRow {
            label: "atomic",
            expected: "2000000",
            actual: "2000000",
            verdict: Verdict::Good,
            note: "exact",
        },
    ];

    fn block() -> Block<'static> {
        Block::bordered().title(" Result ")
    }

    #[test]
    fn snapshots() {
        let panel = Comparison::new(&RACE).block(block());
        insta::assert_snapshot!("race_80x6", screen(&panel, 80, 6));
        insta::assert_snapshot!("race_40x6", screen(&panel, 40, 6));
        insta::assert_snapshot!("race_20x6", screen(&panel, 20, 6));
    }

    #[test]
    fn exact_panel_stays_inside_its_area() {
        let rows = [
            RACE[0],
            ComparisonRow {
                label: "baseline",
                expected: "-",
                actual: "?",
                verdict: Verdict::Neutral,
                note: "",
            },
        ];
        let inner = Rect::new(1, 1, 50, 3);
        let mut buf = sentinel(Rect::new(0, 0, 52, 5), inner);
        Comparison::new(&rows).theme(PLAIN).render(inner, &mut buf);
        let expected = Buffer::with_lines([
            "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
            "X                  expected   actual               X",
            "X✗ unsynchronized   2000000  1312877  lost 687123 …X",
            "X· baseline               -        ?               X",
            "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
        ]);
        assert_eq!(buf, expected);
    }

    #[test]
    fn verdicts_are_marked_and_coloured() {
        let theme = Theme::dark();
        let buf = render(&Comparison::new(&RACE), 80, 4);
        let screen = lines(&buf);
        assert!(screen[1].starts_with("✗ unsynchronized"), "{:?}", screen[1]);
        assert!(screen[2].starts_with("✓ locked"), "{:?}", screen[2]);
        assert_eq!(Some(buf[(0, 1)].fg), theme.alert.fg);
        assert_eq!(Some(buf[(0, 2)].fg), theme.good.fg);
        let actual_x = screen[1].chars().position(|c| c == '1').unwrap_or(0) as u16;
        assert_eq!(buf[(actual_x, 1)].symbol(), "1");
        assert_eq!(Some(buf[(actual_x, 1)].fg), theme.alert.fg);
        assert_eq!(Some(buf[(2, 1)].fg), theme.text.fg);
    }

    #[test]
    fn narrow_panels_cut_the_note_then_drop_expected() {
        let panel = Comparison::new(&RACE);
        let screen = lines(&render(&panel, 36, 2));
        assert_eq!(screen[1], "✗ unsynchronized   2000000  1312877 ");
        let screen = lines(&render(&panel, 30, 2));
        assert_eq!(screen[1], "✗ unsynchr…   2000000  1312877");
        let screen = lines(&render(&panel, 28, 2));
        assert_eq!(screen[0], "                   actual   ");
        assert_eq!(screen[1], "✗ unsynchronized  1312877  …");
    }

    #[test]
    fn at_its_own_width_nothing_is_cut() {
        let panel = Comparison::new(&RACE).block(block()).theme(PLAIN);
        let width = panel.width();
        let drawn = lines(&render(&panel, width, 6)).join("\n");
        assert!(
            !drawn.contains('…'),
            "cut at its own width {width}:\n{drawn}"
        );
        let narrower = lines(&render(&panel, width - 1, 6)).join("\n");
        assert!(
            narrower.contains('…'),
            "one cell less cuts a note:\n{narrower}"
        );
    }

    #[test]
    fn values_are_never_cut() {
        let panel = Comparison::new(&RACE);
        let screen = lines(&render(&panel, 18, 2));
        assert_eq!(screen[1], "✗ unsync…  1312877");
        for width in 0..=12 {
            let screen = lines(&render(&panel, width, 4));
            for line in &screen[1..] {
                let digits = line.chars().filter(char::is_ascii_digit).count();
                assert!(digits == 0 || digits == 7, "{width}: {line:?}");
            }
        }
    }

    #[test]
    fn rows_that_do_not_fit_are_counted() {
        let screen = lines(&render(&Comparison::new(&RACE), 60, 3));
        assert!(screen[1].starts_with("✗ unsynchronized"));
        assert_eq!(screen[2].trim_end(), "… 2 more");
    }

    #[test]
    fn no_rows_says_so() {
        let screen = lines(&render(&Comparison::new(&[]), 40, 3));
        assert_eq!(screen[1].trim_end(), "no results yet");
    }

    proptest! {
        // Each case renders up to 250x80 cells (four times here) in a debug build.
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn render_never_panics(
            (width, height) in any_size(),
            raw in proptest::collection::vec(
                ("\\PC{0,40}", "\\PC{0,25}", "\\PC{0,25}", 0u8..3, "\\PC{0,80}"),
                0..100,
            ),
        ) {
            let rows: Vec<_> = raw
                .iter()
                .map(|(label, expected, actual, verdict, note)| ComparisonRow {
                    label,
                    expected,
                    actual,
                    verdict: [Verdict::Good, Verdict::Bad, Verdict::Neutral][usize::from(*verdict)],
                    note,
                })
                .collect();
            let panel = Comparison::new(&rows);
            render_any(&panel, width, height);
            render_any(&panel.block(Block::bordered()), width, height);
        }
    }
}
