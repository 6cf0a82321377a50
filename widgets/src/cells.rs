//! Fitting live readings and text into terminal cells.
//!
//! Shared by the widgets so that every one of them cleans a reading the same way (a
//! NaN is unknown, a negative load is zero) and never writes past the width it was
//! given. Private to the crate.

use ratatui::buffer::Buffer;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

/// The ellipsis drawn where text was cut.
pub(crate) const ELLIPSIS: &str = "…";
/// Bar symbols by eighths filled from the left: index `n` is a cell `n`/8 full.
pub(crate) const EIGHTHS: [&str; 9] = [" ", "▏", "▎", "▍", "▌", "▋", "▊", "▉", "█"];
/// History symbols from the lowest (any known reading, even 0) to a full cell.
pub(crate) const LEVELS: [&str; 8] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"];
/// The empty part of a bar.
pub(crate) const TROUGH: &str = "░";

/// The line that stands for the rows a panel had no room for: `… 3 more`,
/// or naming what they are, `… 1 more worker` and `… 3 more workers`.
pub(crate) fn more(hidden: usize, noun: Option<(&str, &str)>) -> String {
    match noun {
        None => format!("{ELLIPSIS} {hidden} more"),
        Some((one, _)) if hidden == 1 => format!("{ELLIPSIS} 1 more {one}"),
        Some((_, many)) => format!("{ELLIPSIS} {hidden} more {many}"),
    }
}

/// A percentage made safe to draw: `None` when it is not a number (NaN, infinite),
/// otherwise clamped to `0.0..=100.0` (and never `-0.0`, which would print as `-0`).
pub(crate) fn percent(value: f32) -> Option<f32> {
    value
        .is_finite()
        .then(|| if value > 0.0 { value.min(100.0) } else { 0.0 })
}

/// The width of `text` in terminal cells.
pub(crate) fn width(text: &str) -> u16 {
    u16::try_from(Span::raw(text).width()).unwrap_or(u16::MAX)
}

/// The history symbol for a percentage already made safe by [`percent`]: the lowest
/// level for any reading (even 0, so a reading never looks like a gap), a full cell
/// at 100, on a fixed scale.
pub(crate) fn level(percent: f32) -> &'static str {
    let level = ((percent / 100.0 * 8.0).ceil() as usize).clamp(1, LEVELS.len());
    LEVELS[level - 1]
}

/// Where text goes inside the cells given to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Align {
    /// Against the left edge.
    Left,
    /// Against the right edge (numbers).
    Right,
    /// Against the left edge, like [`Align::Left`], but a label that ends in
    /// a hex address (`[heap] 0x55d1b0545c30`, `libfoo.so+0x1a2b0`) is cut
    /// inside the address, keeping its last digits: two locks a few bytes
    /// apart differ there, not in their first digits.
    Label,
}

/// Fewest last digits of an address worth keeping in a cut label; with
/// fewer cells the label is cut at its end like any text.
const ADDRESS_TAIL_MIN: u16 = 4;

/// `text` cut to `cells` inside its trailing hex address (`head0x…tail`),
/// when it ends in one and at least [`ADDRESS_TAIL_MIN`] digits fit.
fn cut_address(text: &str, cells: u16) -> Option<String> {
    let start = text.rfind("0x")? + 2;
    let digits = &text[start..];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let head = &text[..start];
    let room = cells.checked_sub(width(head).saturating_add(1))?;
    if room < ADDRESS_TAIL_MIN {
        return None;
    }
    let tail = &digits[digits.len().saturating_sub(usize::from(room))..];
    Some(format!("{head}{ELLIPSIS}{tail}"))
}

/// Draws `text` in the `cells` cells starting at (`x`, `y`), aligned as asked; text that
/// does not fit is cut and ends in [`ELLIPSIS`]. The caller guarantees the cells lie in
/// the buffer.
pub(crate) fn put(
    buf: &mut Buffer,
    (x, y): (u16, u16),
    cells: u16,
    text: &str,
    align: Align,
    style: Style,
) {
    let text_width = width(text);
    if text_width <= cells {
        let offset = match align {
            Align::Left | Align::Label => 0,
            Align::Right => cells - text_width,
        };
        buf.set_stringn(x + offset, y, text, usize::from(text_width), style);
    } else if let Some(cut) = cut_address(text, cells).filter(|_| align == Align::Label) {
        buf.set_stringn(x, y, &cut, usize::from(cells), style);
    } else if cells > 0 {
        let kept = cells - 1;
        buf.set_stringn(x, y, text, usize::from(kept), style);
        buf.set_stringn(x + kept, y, ELLIPSIS, 1, style);
    }
}

/// Draws `text` like [`put`], then marks that something follows it: an [`ELLIPSIS`]
/// right after the text, or, when the text fills the cells, after as much of it as
/// fits before the ellipsis (cut at a word boundary where there is one).
pub(crate) fn put_cut(
    buf: &mut Buffer,
    position: (u16, u16),
    cells: u16,
    text: &str,
    style: Style,
) {
    let kept = if width(text) < cells {
        text.to_owned()
    } else {
        wrap(text, cells.saturating_sub(1))
            .into_iter()
            .next()
            .unwrap_or_default()
    };
    let marked = format!("{kept}{ELLIPSIS}");
    put(buf, position, cells, &marked, Align::Left, style);
}

/// Splits `text` into lines at most `cells` cells wide, breaking at whitespace (which
/// is dropped, newlines included); a word wider than a line is broken between its
/// characters. No lines for text that is blank or for zero cells.
pub(crate) fn wrap(text: &str, cells: u16) -> Vec<String> {
    let mut lines = Vec::new();
    if cells == 0 {
        return lines;
    }
    let mut line = String::new();
    let mut line_width = 0u16;
    for word in text.split_whitespace() {
        let word_width = width(word);
        if line_width > 0 && line_width.saturating_add(1).saturating_add(word_width) <= cells {
            line.push(' ');
            line.push_str(word);
            line_width += 1 + word_width;
            continue;
        }
        if line_width > 0 {
            lines.push(core::mem::take(&mut line));
            line_width = 0;
        }
        if word_width <= cells {
            line.push_str(word);
            line_width = word_width;
            continue;
        }
        for character in word.chars() {
            let char_width = width(character.encode_utf8(&mut [0; 4]));
            if line_width > 0 && line_width.saturating_add(char_width) > cells {
                lines.push(core::mem::take(&mut line));
                line_width = 0;
            }
            line.push(character);
            line_width = line_width.saturating_add(char_width);
        }
    }
    if line_width > 0 || !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Where items of `widths` go on a row of `cells` cells, `separator` cells
/// between them: each item's (offset, width), for the items that fit whole.
/// The first that does not fit and all after it are dropped. Drawing
/// ([`put_items`]) and mouse hit-testing share this, so a click lands on what
/// was drawn.
pub(crate) fn item_positions(
    widths: impl IntoIterator<Item = u16>,
    separator: u16,
    cells: u16,
) -> Vec<(u16, u16)> {
    let mut used = 0;
    let mut positions = Vec::new();
    for (index, item_width) in widths.into_iter().enumerate() {
        let gap = if index == 0 { 0 } else { separator };
        let Some(end) = (used + gap)
            .checked_add(item_width)
            .filter(|end| *end <= cells)
        else {
            break;
        };
        positions.push((used + gap, item_width));
        used = end;
    }
    positions
}

/// Draws `items` left to right on the row from (`x`, `y`), `separator` between them,
/// keeping only the items that fit whole in `cells` cells: the first that does not fit
/// and all after it are dropped, never cut or wrapped.
pub(crate) fn put_items<'a>(
    buf: &mut Buffer,
    (x, y): (u16, u16),
    cells: u16,
    items: impl IntoIterator<Item = Line<'a>>,
    separator: &Span<'_>,
) {
    let separator_width = width(&separator.content);
    let items: Vec<Line<'a>> = items.into_iter().collect();
    let widths = items
        .iter()
        .map(|item| u16::try_from(item.width()).unwrap_or(u16::MAX));
    let positions = item_positions(widths, separator_width, cells);
    for (index, (item, (offset, item_width))) in items.iter().zip(positions).enumerate() {
        if index > 0 {
            let gap = offset - separator_width;
            buf.set_span(x + gap, y, separator, separator_width);
        }
        buf.set_line(x + offset, y, item, item_width);
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn more_names_one_and_many() {
        assert_eq!(more(3, None), "… 3 more");
        assert_eq!(more(1, Some(("worker", "workers"))), "… 1 more worker");
        assert_eq!(more(2, Some(("worker", "workers"))), "… 2 more workers");
    }
    use ratatui::layout::Rect;

    use super::*;

    #[test]
    fn percent_clamps_and_rejects_non_numbers() {
        assert_eq!(percent(42.5), Some(42.5));
        assert_eq!(percent(-1.0), Some(0.0));
        assert!(percent(-0.0).is_some_and(f32::is_sign_positive));
        assert_eq!(percent(250.0), Some(100.0));
        assert_eq!(percent(f32::NAN), None);
        assert_eq!(percent(f32::INFINITY), None);
        assert_eq!(percent(f32::NEG_INFINITY), None);
    }

    #[test]
    fn put_aligns_and_cuts_with_an_ellipsis() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 6, 3));
        put(&mut buf, (0, 0), 6, "ab", Align::Left, Style::new());
        put(&mut buf, (0, 1), 6, "42", Align::Right, Style::new());
        put(&mut buf, (1, 2), 4, "worker-1", Align::Left, Style::new());
        assert_eq!(buf, Buffer::with_lines(["ab    ", "    42", " wor… "]));
    }

    #[test]
    fn a_label_is_cut_inside_its_address_keeping_the_last_digits() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 16, 4));
        put(
            &mut buf,
            (0, 0),
            16,
            "[heap] 0x55d1b0545c30",
            Align::Label,
            Style::new(),
        );
        put(
            &mut buf,
            (0, 1),
            16,
            "prog+0x1a2b3c4d5e",
            Align::Label,
            Style::new(),
        );
        // Too few cells for four digits, or no address: cut at the end.
        put(
            &mut buf,
            (0, 2),
            12,
            "[heap] 0x55d1b0545c30",
            Align::Label,
            Style::new(),
        );
        put(
            &mut buf,
            (0, 3),
            10,
            "queue_lock_of_mine",
            Align::Label,
            Style::new(),
        );
        assert_eq!(
            buf,
            Buffer::with_lines([
                "[heap] 0x…545c30",
                "prog+0x…2b3c4d5e",
                "[heap] 0x55…    ",
                "queue_loc…      ",
            ])
        );
    }

    proptest::proptest! {
        #[test]
        fn any_label_fits_its_cells(text in "\\PC{0,40}(0x[0-9a-f]{0,14})?", cells in 0u16..30) {
            let mut buf = Buffer::empty(Rect::new(0, 0, 30, 1));
            put(&mut buf, (0, 0), cells, &text, Align::Label, Style::new());
            let drawn: String = (cells..30).map(|x| buf[(x, 0)].symbol().to_owned()).collect();
            proptest::prop_assert_eq!(drawn.trim(), "", "drew past its {} cells", cells);
        }
    }

    #[test]
    fn put_items_drops_whole_items_from_the_end() {
        let items = || ["alpha", "beta", "gamma"].map(Line::from);
        let separator = Span::raw(" | ");
        let mut buf = Buffer::empty(Rect::new(0, 0, 16, 3));
        put_items(&mut buf, (0, 0), 16, items(), &separator);
        put_items(&mut buf, (0, 1), 15, items(), &separator);
        put_items(&mut buf, (1, 2), 4, items(), &separator);
        assert_eq!(
            buf,
            Buffer::with_lines(["alpha | beta    ", "alpha | beta   ", "                "])
        );
    }

    #[test]
    fn put_cut_always_ends_in_an_ellipsis() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 6, 4));
        put_cut(&mut buf, (0, 0), 6, "ab", Style::new());
        put_cut(&mut buf, (0, 1), 6, "abcdef", Style::new());
        put_cut(&mut buf, (0, 2), 6, "", Style::new());
        put_cut(&mut buf, (0, 3), 6, "ab cdef", Style::new());
        assert_eq!(
            buf,
            Buffer::with_lines(["ab…   ", "abcde…", "…     ", "ab…   "])
        );
    }

    #[test]
    fn wrap_breaks_at_words_and_inside_long_ones() {
        assert_eq!(wrap("look at the cores", 8), ["look at", "the", "cores"]);
        assert_eq!(wrap("  a\n\nb  ", 8), ["a b"]);
        assert_eq!(wrap("abcdefghij xy", 4), ["abcd", "efgh", "ij", "xy"]);
        assert_eq!(wrap("exactly8", 8), ["exactly8"]);
        assert_eq!(wrap("漢字漢字", 5), ["漢字", "漢字"]);
        assert!(wrap("   ", 8).is_empty());
        assert!(wrap("text", 0).is_empty());
    }

    #[test]
    fn level_is_fixed_scale_and_never_blank() {
        assert_eq!(level(0.0), "▁");
        assert_eq!(level(12.5), "▁");
        assert_eq!(level(13.0), "▂");
        assert_eq!(level(50.0), "▄");
        assert_eq!(level(100.0), "█");
    }

    #[test]
    fn put_into_no_cells_draws_nothing() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 2, 1));
        put(&mut buf, (2, 0), 0, "x", Align::Right, Style::new());
        assert_eq!(buf, Buffer::with_lines(["  "]));
    }
}
