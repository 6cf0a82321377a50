//! A number drawn large enough to read from the back of a lecture hall.
//!
//! Digits come from a 3x5 pixel font, drawn at the largest size the area holds:
//! five rows tall with each pixel two cells wide, or three rows tall with two pixels
//! stacked in one cell (`▀`, `▄`, `█`), or, when even that does not fit, as plain
//! text. The number is centred in its area. Text the font cannot draw (anything but
//! digits, `.`, `-`, `/`, `?` and spaces) is drawn as plain text.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::{Block, BlockExt, Widget};

use crate::Theme;
use crate::cells::{self, Align};

/// Pixel rows of the font.
const ROWS: usize = 5;

/// One glyph: its width in pixels and its rows, top first, the leftmost pixel in
/// the highest of the `width` low bits.
#[derive(Clone, Copy, Debug)]
struct Glyph {
    width: u16,
    rows: [u8; ROWS],
}

/// The glyph of `c`, if the font has one.
const fn glyph(c: char) -> Option<Glyph> {
    let (width, rows) = match c {
        '0' => (3, [0b111, 0b101, 0b101, 0b101, 0b111]),
        '1' => (3, [0b010, 0b110, 0b010, 0b010, 0b111]),
        '2' => (3, [0b111, 0b001, 0b111, 0b100, 0b111]),
        '3' => (3, [0b111, 0b001, 0b111, 0b001, 0b111]),
        '4' => (3, [0b101, 0b101, 0b111, 0b001, 0b001]),
        '5' => (3, [0b111, 0b100, 0b111, 0b001, 0b111]),
        '6' => (3, [0b111, 0b100, 0b111, 0b101, 0b111]),
        '7' => (3, [0b111, 0b001, 0b001, 0b001, 0b001]),
        '8' => (3, [0b111, 0b101, 0b111, 0b101, 0b111]),
        '9' => (3, [0b111, 0b101, 0b111, 0b001, 0b111]),
        '?' => (3, [0b111, 0b001, 0b011, 0b000, 0b010]),
        '-' => (3, [0b000, 0b000, 0b111, 0b000, 0b000]),
        '/' => (3, [0b001, 0b001, 0b010, 0b100, 0b100]),
        '.' => (1, [0b0, 0b0, 0b0, 0b0, 0b1]),
        ' ' => (1, [0b0, 0b0, 0b0, 0b0, 0b0]),
        _ => return None,
    };
    Some(Glyph { width, rows })
}

impl Glyph {
    /// Whether pixel (`x`, `y`) is set; outside the glyph nothing is.
    const fn pixel(self, x: u16, y: usize) -> bool {
        y < ROWS && x < self.width && (self.rows[y] >> (self.width - 1 - x)) & 1 == 1
    }
}

/// How large the number is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Size {
    /// Five rows, each pixel two cells wide.
    Large,
    /// Three rows, two pixels stacked per cell.
    Small,
    /// One row of plain text.
    Text,
}

/// A number (or any short text) drawn large and centred; see the module docs.
#[derive(Clone, Debug, Default)]
pub struct BigNumber<'a> {
    /// What is drawn, e.g. `1.97`.
    text: &'a str,
    /// The style of the lit pixels (or of the plain text).
    style: Option<Style>,
    /// A block to wrap the number in.
    block: Option<Block<'a>>,
    /// Colours: the number defaults to [`Theme::accent`].
    theme: Theme,
}

impl<'a> BigNumber<'a> {
    /// `text`, drawn large.
    #[must_use]
    pub const fn new(text: &'a str) -> Self {
        Self {
            text,
            style: None,
            block: None,
            theme: Theme::dark(),
        }
    }

    /// Draws the number in `style` instead of [`Theme::accent`].
    #[must_use = "method moves the value of self and returns the modified value"]
    pub const fn style(mut self, style: Style) -> Self {
        self.style = Some(style);
        self
    }

    /// Wraps the number in `block`.
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

    /// The glyphs of the text, or `None` if the font lacks one of them.
    fn glyphs(&self) -> Option<Vec<Glyph>> {
        self.text.chars().map(glyph).collect()
    }

    /// The width of the text in pixels: glyphs with one blank pixel between them.
    fn pixel_width(glyphs: &[Glyph]) -> u16 {
        let gaps = u16::try_from(glyphs.len().saturating_sub(1)).unwrap_or(u16::MAX);
        glyphs
            .iter()
            .fold(gaps, |sum, glyph| sum.saturating_add(glyph.width))
    }

    /// The largest size that fits `area`.
    fn size(area: Rect, glyphs: Option<&[Glyph]>) -> Size {
        let Some(glyphs) = glyphs.filter(|g| !g.is_empty()) else {
            return Size::Text;
        };
        let pixels = Self::pixel_width(glyphs);
        if area.height >= 5 && area.width >= pixels.saturating_mul(2) {
            Size::Large
        } else if area.height >= 3 && area.width >= pixels {
            Size::Small
        } else {
            Size::Text
        }
    }
}

impl Widget for BigNumber<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        Widget::render(&self, area, buf);
    }
}

impl Widget for &BigNumber<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        self.block.as_ref().render(area, buf);
        self.render_number(self.block.inner_if_some(area), buf);
    }
}

impl BigNumber<'_> {
    fn render_number(&self, area: Rect, buf: &mut Buffer) {
        if area.is_empty() {
            return;
        }
        let style = self.style.unwrap_or(self.theme.accent);
        let glyphs = self.glyphs();
        let size = Self::size(area, glyphs.as_deref());
        let (Some(glyphs), Size::Large | Size::Small) = (glyphs, size) else {
            let width = cells::width(self.text).min(area.width);
            let x = area.x + (area.width - width) / 2;
            let y = area.y + (area.height - 1) / 2;
            cells::put(buf, (x, y), width, self.text, Align::Left, style);
            return;
        };
        let (cell_width, height) = match size {
            Size::Large => (2, 5),
            _ => (1, 3),
        };
        let width = Self::pixel_width(&glyphs) * cell_width;
        let left = area.x + (area.width - width) / 2;
        let top = area.y + (area.height - height) / 2;
        let mut x = left;
        for glyph in glyphs {
            for column in 0..glyph.width {
                for row in 0..height {
                    // A large cell is one pixel; a small one stacks two.
                    let row = usize::from(row);
                    let (upper, lower) = if size == Size::Large {
                        (row, row)
                    } else {
                        (row * 2, row * 2 + 1)
                    };
                    let symbol = match (glyph.pixel(column, upper), glyph.pixel(column, lower)) {
                        (true, true) => "█",
                        (true, false) => "▀",
                        (false, true) => "▄",
                        (false, false) => " ",
                    };
                    for dx in 0..cell_width {
                        let cell = &mut buf[(x + column * cell_width + dx, top + row as u16)];
                        cell.set_symbol(symbol).set_style(style);
                    }
                }
            }
            x = x.saturating_add((glyph.width + 1) * cell_width);
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::testing::{PLAIN, any_size, render_any, screen, sentinel};

    #[test]
    fn snapshots() {
        let number = BigNumber::new("1.97").block(Block::bordered().title(" cores "));
        insta::assert_snapshot!("parallelism_40x7", screen(&number, 40, 7));
        insta::assert_snapshot!("parallelism_20x6", screen(&number, 20, 6));
        insta::assert_snapshot!("parallelism_12x3", screen(&number, 12, 3));
    }

    #[test]
    fn exact_small_digits_are_centred_and_stay_inside() {
        let inner = Rect::new(1, 1, 15, 3);
        let mut buf = sentinel(Rect::new(0, 0, 17, 5), inner);
        BigNumber::new("1.0").theme(PLAIN).render(inner, &mut buf);
        let expected = Buffer::with_lines([
            "XXXXXXXXXXXXXXXXX",
            "X   ▄█    █▀█   X",
            "X    █    █ █   X",
            "X   ▀▀▀ ▀ ▀▀▀   X",
            "XXXXXXXXXXXXXXXXX",
        ]);
        assert_eq!(buf, expected);
    }

    #[test]
    fn the_largest_size_that_fits_is_chosen() {
        let number = BigNumber::new("2.00");
        let glyphs = number.glyphs();
        let glyphs = glyphs.as_deref();
        assert_eq!(BigNumber::pixel_width(glyphs.expect("font")), 13);
        assert_eq!(BigNumber::size(Rect::new(0, 0, 26, 5), glyphs), Size::Large);
        assert_eq!(BigNumber::size(Rect::new(0, 0, 25, 5), glyphs), Size::Small);
        assert_eq!(BigNumber::size(Rect::new(0, 0, 13, 3), glyphs), Size::Small);
        assert_eq!(BigNumber::size(Rect::new(0, 0, 12, 3), glyphs), Size::Text);
        let unknown = BigNumber::new("n/a");
        assert!(unknown.glyphs().is_none(), "letters are not in the font");
    }

    #[test]
    fn text_the_font_lacks_is_plain_and_centred() {
        let area = Rect::new(0, 0, 9, 3);
        let mut buf = Buffer::empty(area);
        BigNumber::new("n/a").theme(PLAIN).render(area, &mut buf);
        assert_eq!(
            buf,
            Buffer::with_lines(["         ", "   n/a   ", "         "])
        );
    }

    proptest! {
        #[test]
        fn render_never_panics((width, height) in any_size(), text in "[0-9.?/ -]{0,12}|\\PC{0,12}") {
            render_any(&BigNumber::new(&text), width, height);
            render_any(&BigNumber::new(&text).block(Block::bordered()), width, height);
        }
    }
}
