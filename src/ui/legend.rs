//! How a legend names a style: by its colour (`yellow`), or, in a theme
//! without colours, by its look (`bold underlined`), so a legend says what
//! the screen shows in every theme, `NO_COLOR` included.

use ratatui::style::{Color, Modifier, Style};

/// The words for the modifiers a legend may have to name, in the order named.
const MODIFIER_WORDS: [(Modifier, &str); 7] = [
    (Modifier::BOLD, "bold"),
    (Modifier::DIM, "dim"),
    (Modifier::ITALIC, "italic"),
    (Modifier::UNDERLINED, "underlined"),
    (Modifier::REVERSED, "reversed"),
    (
        Modifier::SLOW_BLINK.union(Modifier::RAPID_BLINK),
        "blinking",
    ),
    (Modifier::CROSSED_OUT, "crossed out"),
];

/// `style` as a reader would call it: its foreground's hue (`red` for red
/// and light red alike: a reader tells hues, not palette slots), else its
/// background's (`on yellow`), else its modifiers (`bold underlined`), else
/// `plain`.
pub(super) fn style_name(style: Style) -> String {
    if let Some(name) = style.fg.and_then(colour_name) {
        return name;
    }
    if let Some(name) = style.bg.and_then(colour_name) {
        return format!("on {name}");
    }
    let words: Vec<&str> = MODIFIER_WORDS
        .iter()
        .filter(|(modifier, _)| style.add_modifier.intersects(*modifier))
        .map(|(_, word)| *word)
        .collect();
    if words.is_empty() {
        "plain".to_owned()
    } else {
        words.join(" ")
    }
}

/// What a legend draws, in `style`, before the meaning of `style`: a coloured
/// square, or for a style without colour its name and a colon.
pub(super) fn swatch(style: Style) -> String {
    let coloured = [style.fg, style.bg]
        .into_iter()
        .flatten()
        .any(|colour| colour_name(colour).is_some());
    if coloured {
        "■".to_owned()
    } else {
        format!("{}:", style_name(style))
    }
}

/// The name of `colour`; `None` for the terminal's own (reset).
fn colour_name(colour: Color) -> Option<String> {
    let hue = match colour {
        Color::Reset => return None,
        Color::Black => "black",
        Color::Red | Color::LightRed => "red",
        Color::Green | Color::LightGreen => "green",
        Color::Yellow | Color::LightYellow => "yellow",
        Color::Blue | Color::LightBlue => "blue",
        Color::Magenta | Color::LightMagenta => "magenta",
        Color::Cyan | Color::LightCyan => "cyan",
        Color::Gray | Color::DarkGray => "grey",
        Color::White => "white",
        Color::Rgb(r, g, b) => return Some(format!("#{r:02x}{g:02x}{b:02x}")),
        Color::Indexed(index) => return Some(indexed_name(index).to_owned()),
    };
    Some(hue.to_owned())
}

/// The hue of the 256-colour palette's colour `index`, as xterm draws it:
/// the 16 ANSI colours by name, the 6x6x6 cube and the greys by hue.
fn indexed_name(index: u8) -> &'static str {
    const ANSI: [&str; 16] = [
        "black", "red", "green", "yellow", "blue", "magenta", "cyan", "grey", "grey", "red",
        "green", "yellow", "blue", "magenta", "cyan", "white",
    ];
    let (r, g, b) = match index {
        0..16 => return ANSI[usize::from(index)],
        16..232 => {
            let level = |n: u8| if n == 0 { 0 } else { 55 + 40 * n };
            let n = index - 16;
            (level(n / 36), level((n / 6) % 6), level(n % 6))
        }
        _ => return "grey",
    };
    let (max, min) = (r.max(g).max(b), r.min(g).min(b));
    if max - min < 40 {
        return match max {
            0..40 => "black",
            230.. => "white",
            _ => "grey",
        };
    }
    let span = f32::from(max - min);
    let (rf, gf, bf) = (f32::from(r), f32::from(g), f32::from(b));
    let hue = if max == r {
        (60.0 * (gf - bf) / span).rem_euclid(360.0)
    } else if max == g {
        60.0 * (bf - rf) / span + 120.0
    } else {
        60.0 * (rf - gf) / span + 240.0
    };
    match hue {
        h if h < 15.0 => "red",
        h if h < 45.0 => "orange",
        h if h < 70.0 => "yellow",
        h if h < 165.0 => "green",
        h if h < 200.0 => "cyan",
        h if h < 260.0 => "blue",
        h if h < 335.0 => "magenta",
        _ => "red",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_256_colours_are_named_by_hue() {
        assert_eq!(indexed_name(203), "red");
        assert_eq!(indexed_name(208), "orange");
        assert_eq!(indexed_name(75), "blue");
        assert_eq!(indexed_name(28), "green");
        assert_eq!(indexed_name(127), "magenta");
        assert_eq!(indexed_name(244), "grey");
        assert_eq!(indexed_name(11), "yellow");
    }
    use corescope_widgets::Theme;

    #[test]
    fn the_dark_theme_is_named_by_its_colours() {
        let theme = Theme::dark();
        assert_eq!(style_name(theme.warn), "yellow");
        assert_eq!(style_name(theme.alert), "red");
        assert_eq!(swatch(theme.warn), "■");
    }

    #[test]
    fn styles_without_colour_are_named_by_their_look() {
        let underlined = Style::new().add_modifier(Modifier::UNDERLINED);
        let both = underlined.add_modifier(Modifier::BOLD);
        assert_eq!(style_name(underlined), "underlined");
        assert_eq!(style_name(both), "bold underlined");
        assert_eq!(swatch(both), "bold underlined:");
        assert_eq!(style_name(Style::new()), "plain");
        assert_eq!(style_name(Style::new().bg(Color::Yellow)), "on yellow");
        assert_eq!(
            style_name(Style::new().fg(Color::Rgb(255, 136, 0))),
            "#ff8800"
        );
        assert_eq!(swatch(Style::new().fg(Color::Reset)), "plain:");
    }
}
