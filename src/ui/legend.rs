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
pub fn style_name(style: Style) -> String {
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
pub fn swatch(style: Style) -> String {
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
        Color::Indexed(index) => return Some(format!("colour {index}")),
    };
    Some(hue.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
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
