//! Themes as data: TOML files mapping each [`Theme`] style to a foreground,
//! a background and modifiers.
//!
//! The themes in `assets/themes/` are built into the binary (`dark`, the
//! default; `light`; `high-contrast`, for projectors; `monochrome`, for
//! `NO_COLOR`), so `cargo run` finds them from any directory; a user may name a
//! theme file of their own instead. The dark file is the same theme as
//! [`Theme::dark`], which the widgets default to (a test holds them equal).
//! Colours are the 16 ANSI names (the shipped themes use nothing else, so
//! 16-colour terminals draw them), `#rrggbb` or a 256-colour index. A file is
//! checked whole when read: a wrong one is refused with its line and key.

use std::path::Path;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use toml::Spanned;

use corescope_widgets::Theme;

use super::error::{At, FileError};
use crate::outside_file::{SMALL_FILE_BYTES, read_text};

/// The theme used when `NO_COLOR` asks for no colour.
const MONOCHROME: &str = include_str!("../../assets/themes/monochrome.toml");

/// The themes shipped in `assets/themes/`, by name.
pub(crate) const BUILT_IN: [(&str, &str); 4] = [
    ("dark", include_str!("../../assets/themes/dark.toml")),
    ("light", include_str!("../../assets/themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../assets/themes/high-contrast.toml"),
    ),
    ("monochrome", MONOCHROME),
];

/// The colour names a theme file may use: the 16 ANSI colours.
const COLOURS: [(&str, Color); 16] = [
    ("black", Color::Black),
    ("red", Color::Red),
    ("green", Color::Green),
    ("yellow", Color::Yellow),
    ("blue", Color::Blue),
    ("magenta", Color::Magenta),
    ("cyan", Color::Cyan),
    ("gray", Color::Gray),
    ("dark-gray", Color::DarkGray),
    ("light-red", Color::LightRed),
    ("light-green", Color::LightGreen),
    ("light-yellow", Color::LightYellow),
    ("light-blue", Color::LightBlue),
    ("light-magenta", Color::LightMagenta),
    ("light-cyan", Color::LightCyan),
    ("white", Color::White),
];

/// The modifier names a theme file may use.
const MODIFIERS: [(&str, Modifier); 9] = [
    ("bold", Modifier::BOLD),
    ("dim", Modifier::DIM),
    ("italic", Modifier::ITALIC),
    ("underlined", Modifier::UNDERLINED),
    ("slow-blink", Modifier::SLOW_BLINK),
    ("rapid-blink", Modifier::RAPID_BLINK),
    ("reversed", Modifier::REVERSED),
    ("hidden", Modifier::HIDDEN),
    ("crossed-out", Modifier::CROSSED_OUT),
];

/// Why a theme could not be had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ThemeError {
    /// The name is no built-in theme nor a file that can be read: to be told
    /// where the theme was named (the config's line, `--theme`).
    Named(String),
    /// The theme file itself is wrong, at its own line.
    File(FileError),
}

/// The built-in theme `name`, if there is one.
pub(crate) fn built_in(name: &str) -> Option<Result<Theme, FileError>> {
    BUILT_IN
        .iter()
        .find(|(built_in, _)| *built_in == name)
        .map(|(name, text)| parse(&format!("assets/themes/{name}.toml"), text))
}

/// The theme for `NO_COLOR`: no colour at all, states told apart by
/// modifiers (see `assets/themes/monochrome.toml`).
pub(crate) fn no_color() -> Result<Theme, FileError> {
    parse("assets/themes/monochrome.toml", MONOCHROME)
}

/// The theme `spec` names: a built-in theme's name, or else the path of a
/// theme file (a relative one taken from `dir`).
pub(crate) fn load(spec: &str, dir: &Path) -> Result<Theme, ThemeError> {
    if let Some(theme) = built_in(spec) {
        return theme.map_err(ThemeError::File);
    }
    let is_toml = Path::new(spec)
        .extension()
        .is_some_and(|extension| extension.eq_ignore_ascii_case("toml"));
    if !spec.contains('/') && !is_toml {
        return Err(ThemeError::Named(format!(
            "unknown theme `{spec}` (expected one of {}, or a theme file's path)",
            built_in_names()
        )));
    }
    let path = dir.join(spec);
    let file = path.display().to_string();
    let text = read_text(&path, SMALL_FILE_BYTES)
        .map_err(|err| ThemeError::Named(format!("the theme file {file}: {err}")))?;
    parse(&file, &text).map_err(ThemeError::File)
}

/// The built-in themes' names, as a list in prose.
fn built_in_names() -> String {
    BUILT_IN
        .iter()
        .map(|(name, _)| *name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// One style as a theme file writes it: `{ fg = "red", modifiers = ["bold"] }`.
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a style, like { fg = \"red\", bg = \"black\", modifiers = [\"bold\"] }"
)]
struct StyleFile {
    fg: Option<Spanned<toml::Value>>,
    bg: Option<Spanned<toml::Value>>,
    modifiers: Option<Vec<Spanned<String>>>,
}

/// Declares the theme file's layout from the list of [`Theme`]'s fields: the
/// file's keys, and the theme built from them. The theme is built with a
/// struct literal, so a field added to `Theme` and not here does not compile.
macro_rules! theme_file {
    ($($field:ident),+ $(,)?) => {
        /// A theme file as written: one style per [`Theme`] field, and
        /// optionally a built-in `base` theme giving the styles left out.
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        struct ThemeFile {
            base: Option<Spanned<String>>,
            $($field: Option<Spanned<StyleFile>>,)+
        }

        impl ThemeFile {
            /// The styles the file leaves out.
            fn missing(&self) -> Vec<&'static str> {
                [$((stringify!($field), self.$field.is_none())),+]
                    .into_iter()
                    .filter_map(|(name, missing)| missing.then_some(name))
                    .collect()
            }

            /// Every style of `theme`, in the order of its fields, for checks
            /// over all of them.
            #[cfg(test)]
            fn styles(theme: &Theme) -> Vec<(&'static str, Style)> {
                vec![$((stringify!($field), theme.$field)),+]
            }

            /// The theme: the file's styles, the others from `base`.
            fn theme(self, base: &Theme) -> Result<Theme, At> {
                Ok(Theme {
                    $($field: match self.$field {
                        Some(style) => style_of(stringify!($field), style)?,
                        None => base.$field,
                    },)+
                })
            }
        }
    };
}

theme_file!(
    text,
    dim,
    accent,
    border,
    title,
    key,
    load_low,
    load_mid,
    load_high,
    gap,
    warn,
    alert,
    selected,
    good,
    computing,
    waiting_lock,
    waiting_permit,
    waiting_queue,
    waiting_gil,
    sleeping_io,
    idle,
    done,
);

/// Checks the theme `text` read from `file`.
pub(crate) fn parse(file: &str, text: &str) -> Result<Theme, FileError> {
    let theme: ThemeFile =
        toml::from_str(text).map_err(|err| FileError::from_toml(file, text, &err))?;
    let base = if let Some(name) = &theme.base {
        // The built-in themes give every style and have no base of their own
        // (a test holds it), so this looks one level down at most.
        built_in(name.get_ref()).ok_or_else(|| {
            let message = format!(
                "`base`: unknown theme `{}` (expected one of {})",
                name.get_ref(),
                built_in_names()
            );
            FileError::at(file, text, At::new(name.span().start, message))
        })??
    } else {
        let missing = theme.missing();
        if !missing.is_empty() {
            return Err(FileError::whole(
                file,
                format!(
                    "missing styles {} (give every style, or begin with `base = \"dark\"` \
                     to take those left out from a built-in theme)",
                    missing.join(", ")
                ),
            ));
        }
        Theme::dark()
    };
    theme
        .theme(&base)
        .map_err(|at| FileError::at(file, text, at))
}

/// The style `name` as written in `style`.
fn style_of(name: &str, style: Spanned<StyleFile>) -> Result<Style, At> {
    let style = style.into_inner();
    let mut out = Style::new();
    if let Some(fg) = &style.fg {
        out = out.fg(colour(&format!("{name}.fg"), fg)?);
    }
    if let Some(bg) = &style.bg {
        out = out.bg(colour(&format!("{name}.bg"), bg)?);
    }
    for modifier in style.modifiers.iter().flatten() {
        let wanted = modifier.get_ref();
        let Some((_, found)) = MODIFIERS.iter().find(|(known, _)| known == wanted) else {
            let names: Vec<&str> = MODIFIERS.iter().map(|(known, _)| *known).collect();
            return Err(At::new(
                modifier.span().start,
                format!(
                    "`{name}.modifiers`: unknown modifier `{wanted}` (expected one of {})",
                    names.join(", ")
                ),
            ));
        };
        out = out.add_modifier(*found);
    }
    Ok(out)
}

/// The colour `value` of the key `key`: an ANSI name (case and `-`/`_`/space
/// do not matter), `#rrggbb`, or 0 to 255.
fn colour(key: &str, value: &Spanned<toml::Value>) -> Result<Color, At> {
    let refused = || {
        let names: Vec<&str> = COLOURS.iter().map(|(name, _)| *name).collect();
        At::new(
            value.span().start,
            format!(
                "`{key}`: unknown colour {} (expected one of {}, a #rrggbb code, or 0 to 255)",
                value.get_ref(),
                names.join(", ")
            ),
        )
    };
    match value.get_ref() {
        toml::Value::String(text) => {
            if let Some(hex) = text.strip_prefix('#') {
                return rgb(hex).ok_or_else(refused);
            }
            let wanted = text.to_ascii_lowercase().replace(['_', ' '], "-");
            COLOURS
                .iter()
                .find(|(name, _)| *name == wanted)
                .map(|(_, colour)| *colour)
                .ok_or_else(refused)
        }
        toml::Value::Integer(index) => u8::try_from(*index)
            .map(Color::Indexed)
            .map_err(|_| refused()),
        _ => Err(refused()),
    }
}

/// `rrggbb` as a colour.
fn rgb(hex: &str) -> Option<Color> {
    if hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let channel = |at: usize| u8::from_str_radix(hex.get(at..at + 2)?, 16).ok();
    Some(Color::Rgb(channel(0)?, channel(2)?, channel(4)?))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use corescope_widgets::Activity;

    use super::*;

    fn theme(name: &str) -> Theme {
        built_in(name)
            .expect("built in")
            .unwrap_or_else(|err| panic!("{err}"))
    }

    fn colours(theme: &Theme) -> Vec<(&'static str, Color)> {
        ThemeFile::styles(theme)
            .into_iter()
            .flat_map(|(name, style)| {
                [style.fg, style.bg]
                    .into_iter()
                    .flatten()
                    .map(move |c| (name, c))
            })
            .collect()
    }

    const ACTIVITIES: [Activity; 8] = [
        Activity::Idle,
        Activity::Computing,
        Activity::WaitingLock,
        Activity::WaitingPermit,
        Activity::WaitingQueue,
        Activity::WaitingGil,
        Activity::SleepingIo,
        Activity::Done,
    ];

    #[test]
    fn every_built_in_theme_is_complete_has_no_base_and_uses_the_terminal_palette() {
        for (name, text) in BUILT_IN {
            let file: ThemeFile = toml::from_str(text).expect(name);
            assert!(file.base.is_none(), "{name} must give every style itself");
            assert!(file.missing().is_empty(), "{name}: {:?}", file.missing());
            for (style, colour) in colours(&theme(name)) {
                assert!(
                    !matches!(colour, Color::Rgb(..)),
                    "{name}.{style}: {colour:?}: the shipped themes keep to the \
                     256-colour palette, which every terminal of ours has"
                );
            }
        }
    }

    /// A colour in xterm's default palette (the 16 ANSI colours as xterm
    /// draws them, the 6x6x6 cube, the greys), as red, green, blue.
    fn xterm_rgb(colour: Color) -> (u8, u8, u8) {
        const ANSI: [(u8, u8, u8); 16] = [
            (0, 0, 0),
            (205, 0, 0),
            (0, 205, 0),
            (205, 205, 0),
            (0, 0, 238),
            (205, 0, 205),
            (0, 205, 205),
            (229, 229, 229),
            (127, 127, 127),
            (255, 0, 0),
            (0, 255, 0),
            (255, 255, 0),
            (92, 92, 255),
            (255, 0, 255),
            (0, 255, 255),
            (255, 255, 255),
        ];
        let index = match colour {
            Color::Rgb(r, g, b) => return (r, g, b),
            Color::Indexed(i) => i,
            Color::Black => 0,
            Color::Red => 1,
            Color::Green => 2,
            Color::Yellow => 3,
            Color::Blue => 4,
            Color::Magenta => 5,
            Color::Cyan => 6,
            Color::Gray => 7,
            Color::DarkGray => 8,
            Color::LightRed => 9,
            Color::LightGreen => 10,
            Color::LightYellow => 11,
            Color::LightBlue => 12,
            Color::LightMagenta => 13,
            Color::LightCyan => 14,
            Color::White | Color::Reset => 15,
        };
        match index {
            0..16 => ANSI[usize::from(index)],
            16..232 => {
                let level = |n: u8| if n == 0 { 0 } else { 55 + 40 * n };
                let n = index - 16;
                (level(n / 36), level((n / 6) % 6), level(n % 6))
            }
            _ => {
                let grey = 8 + 10 * (index - 232);
                (grey, grey, grey)
            }
        }
    }

    /// WCAG 2 relative luminance.
    fn luminance((r, g, b): (u8, u8, u8)) -> f64 {
        let linear = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.039_28 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
    }

    /// WCAG 2 contrast ratio, 1 to 21.
    fn contrast(a: Color, b: Color) -> f64 {
        let (a, b) = (luminance(xterm_rgb(a)), luminance(xterm_rgb(b)));
        (a.max(b) + 0.05) / (a.min(b) + 0.05)
    }

    #[test]
    fn every_text_and_mark_of_the_colour_themes_meets_wcag_aa() {
        // The background each theme is made for (and the terminal's own
        // text colour, for a style that keeps it), in xterm's default palette.
        for (name, background, foreground) in [
            ("dark", Color::Black, Color::White),
            ("high-contrast", Color::Black, Color::White),
            ("light", Color::White, Color::Black),
        ] {
            let theme = theme(name);
            let mut checked = Vec::new();
            for (style, drawn) in ThemeFile::styles(&theme) {
                // A gap is drawn blank; the selection is a background, checked
                // under the rows' text below.
                if matches!(style, "gap" | "selected") {
                    continue;
                }
                let (mut fg, mut bg) = (
                    drawn.fg.unwrap_or(foreground),
                    drawn.bg.unwrap_or(background),
                );
                if drawn.add_modifier.contains(Modifier::REVERSED) {
                    std::mem::swap(&mut fg, &mut bg);
                }
                checked.push((style.to_owned(), fg, bg));
            }
            for (style, drawn) in [
                ("text", theme.text),
                ("warn", theme.warn),
                ("alert", theme.alert),
            ] {
                let selected = drawn.patch(theme.selected);
                let (mut fg, mut bg) = (
                    selected.fg.unwrap_or(foreground),
                    selected.bg.unwrap_or(background),
                );
                if selected.add_modifier.contains(Modifier::REVERSED) {
                    std::mem::swap(&mut fg, &mut bg);
                }
                checked.push((format!("{style} on the selected row"), fg, bg));
            }
            for (style, fg, bg) in checked {
                let ratio = contrast(fg, bg);
                assert!(
                    ratio >= 4.5,
                    "{name}.{style}: {fg:?} on {bg:?} has a contrast of {ratio:.2}:1 in xterm's \
                     default palette; WCAG AA asks 4.5:1"
                );
            }
        }
    }

    #[test]
    fn the_contrast_is_computed_as_wcag_says() {
        assert!((contrast(Color::Black, Color::White) - 21.0).abs() < 1e-9);
        assert!((contrast(Color::Indexed(244), Color::Indexed(244)) - 1.0).abs() < 1e-9);
        // The old dark theme's I/O blue on black: far below 4.5.
        assert!(contrast(Color::Blue, Color::Black) < 2.5);
        assert_eq!(xterm_rgb(Color::Indexed(208)), (255, 135, 0));
        assert_eq!(xterm_rgb(Color::Indexed(244)), (128, 128, 128));
    }

    #[test]
    fn the_dark_file_is_the_dark_theme_the_widgets_default_to() {
        assert_eq!(theme("dark"), Theme::dark());
    }

    #[test]
    fn the_colour_themes_keep_activities_apart_by_colour() {
        for name in ["dark", "light", "high-contrast"] {
            let theme = theme(name);
            let foregrounds: HashSet<_> = ACTIVITIES
                .iter()
                .map(|activity| theme.activity(*activity).fg)
                .collect();
            assert_eq!(foregrounds.len(), ACTIVITIES.len(), "{name}");
            assert!(!foregrounds.contains(&None), "{name}");
            assert_ne!(theme.warn, theme.alert, "{name}");
            assert_ne!(theme.warn, theme.text, "{name}");
        }
    }

    #[test]
    fn light_has_no_white_text() {
        let light = theme("light");
        for (style, colour) in ThemeFile::styles(&light)
            .into_iter()
            .filter_map(|(name, style)| Some((name, style.fg?)))
        {
            assert!(
                !matches!(
                    colour,
                    Color::White | Color::Gray | Color::LightYellow | Color::LightCyan
                ),
                "light.{style}: {colour:?} fades on white"
            );
        }
        assert_eq!(light.text.fg, Some(Color::Black));
    }

    #[test]
    fn high_contrast_is_bold_without_dark_grey_and_selects_in_reverse() {
        let theme = theme("high-contrast");
        assert!(
            colours(&theme)
                .iter()
                .all(|(_, colour)| *colour != Color::DarkGray),
            "dark grey fades on a projector"
        );
        assert!(theme.selected.add_modifier.contains(Modifier::REVERSED));
        for style in [
            theme.warn,
            theme.alert,
            theme.load_low,
            theme.load_mid,
            theme.load_high,
        ]
        .into_iter()
        .chain(ACTIVITIES[1..].iter().map(|a| theme.activity(*a)))
        {
            assert!(style.add_modifier.contains(Modifier::BOLD), "{style:?}");
        }
    }

    #[test]
    fn monochrome_has_no_colour_and_tells_states_apart_by_modifiers() {
        let mono = no_color().expect("monochrome");
        assert_eq!(mono, theme("monochrome"));
        assert_eq!(colours(&mono), [], "no colour at all");
        let styles: HashSet<_> = ACTIVITIES
            .iter()
            .map(|activity| mono.activity(*activity))
            .collect();
        assert_eq!(
            styles.len(),
            ACTIVITIES.len(),
            "each activity has a style of its own"
        );
        let loads: HashSet<_> = [mono.load_low, mono.load_mid, mono.load_high].into();
        assert_eq!(loads.len(), 3, "load levels");
        let rows: HashSet<_> = [mono.text, mono.warn, mono.alert]
            .into_iter()
            .flat_map(|row| [row, row.patch(mono.selected)])
            .collect();
        assert_eq!(rows.len(), 6, "thread rows, selected or not");
        let severities: HashSet<_> = [mono.accent, mono.warn, mono.alert].into();
        assert_eq!(severities.len(), 3, "warnings and levels");
    }

    /// The cells `widget` draws in `width` x `height`.
    fn drawn(
        widget: impl ratatui::widgets::Widget,
        width: u16,
        height: u16,
    ) -> ratatui::buffer::Buffer {
        let area = ratatui::layout::Rect::new(0, 0, width, height);
        let mut buf = ratatui::buffer::Buffer::empty(area);
        widget.render(area, &mut buf);
        buf
    }

    #[test]
    fn monochrome_worker_lanes_draw_each_activity_differently() {
        use corescope_widgets::{LaneCell, LaneSeries, WorkerLane, WorkerLanes};
        let mono = no_color().expect("monochrome");
        let timelines: Vec<Vec<Option<LaneCell>>> = ACTIVITIES
            .iter()
            .map(|activity| vec![Some(LaneCell::whole(*activity)); 4])
            .collect();
        let lanes: Vec<WorkerLane<'_>> = ACTIVITIES
            .iter()
            .zip(&timelines)
            .map(|(activity, cells)| WorkerLane {
                label: "w",
                activity: *activity,
                core: Some(0),
                tasks_done: 0,
                cpu_pct: Some(50.0),
                cells: LaneSeries::new(cells),
            })
            .collect();
        let buf = drawn(WorkerLanes::new(&lanes).theme(mono), 80, 7);
        let cells: HashSet<_> = (0..7)
            .map(|row| {
                let cell = &buf[(79, row)];
                assert_eq!(
                    (cell.fg, cell.bg),
                    (Color::Reset, Color::Reset),
                    "no colour"
                );
                (cell.symbol().to_owned(), cell.modifier)
            })
            .collect();
        assert_eq!(cells.len(), 7, "{cells:?}");
    }

    #[test]
    fn monochrome_thread_rows_tell_waiting_blocked_and_selected_apart() {
        use corescope_widgets::{ThreadFlag, ThreadRow, ThreadTable};
        let mono = no_color().expect("monochrome");
        let row = |tid, flag| ThreadRow {
            pid: 1,
            tid,
            name: "t",
            state: 'S',
            last_cpu: Some(0),
            cpu_pct: Some(1.0),
            voluntary_per_sec: Some(1.0),
            involuntary_per_sec: Some(1.0),
            runq_wait_pct: Some(1.0),
            futex_pct: Some(0.0),
            nice: Some(0),
            wchan: None,
            waiting_on: None,
            flag,
            process: None,
        };
        let flags = [
            ThreadFlag::None,
            ThreadFlag::WaitingForCpu,
            ThreadFlag::BlockedOnLock,
        ];
        let rows: Vec<_> = (0..6).map(|i| row(i + 1, flags[i as usize % 3])).collect();
        let buf = drawn(ThreadTable::new(&rows).theme(mono).selected(Some(3)), 60, 7);
        let looks: HashSet<_> = (1..7).map(|y| buf[(2, y)].modifier).collect();
        assert_eq!(
            looks.len(),
            4,
            "plain, waiting, blocked, selected: {looks:?}"
        );
        let selected: HashSet<_> = (0..3)
            .map(|i| ThreadTable::new(&rows).theme(mono).selected(Some(i)))
            .map(|table| drawn(&table, 60, 7))
            .enumerate()
            .map(|(i, buf)| buf[(2, i as u16 + 1)].modifier)
            .collect();
        assert_eq!(
            selected.len(),
            3,
            "selected rows keep their own mark: {selected:?}"
        );
    }

    #[test]
    fn a_user_theme_may_start_from_a_built_in_one() {
        let text = "base = \"light\"\nalert = { fg = \"#ff8800\", modifiers = [\"bold\"] }\nwarn = { fg = 208 }\n";
        let mine = parse("mine.toml", text).expect("parses");
        let light = theme("light");
        assert_eq!(mine.alert, Style::new().fg(Color::Rgb(255, 136, 0)).bold());
        assert_eq!(mine.warn, Style::new().fg(Color::Indexed(208)));
        assert_eq!(mine.text, light.text);
        assert_eq!(
            parse(
                "mine.toml",
                "text = { fg = \"Dark_Gray\" }\nbase = \"dark\"\n"
            )
            .expect("names are forgiving")
            .text
            .fg,
            Some(Color::DarkGray)
        );
    }

    #[test]
    fn every_error_names_the_file_the_line_and_the_key() {
        for (text, line, wanted) in [
            (
                "base = \"dark\"\n\nalertt = { fg = \"red\" }\n",
                3,
                "unknown key `alertt` (expected one of base, text, dim,",
            ),
            (
                "base = \"dark\"\nalert = { fgg = \"red\" }\n",
                2,
                "unknown key `alert.fgg` (expected one of fg, bg, modifiers)",
            ),
            (
                "base = \"dark\"\nwarn = { fg = \"orange\" }\n",
                2,
                "`warn.fg`: unknown colour \"orange\" (expected one of black, red,",
            ),
            (
                "base = \"dark\"\nwarn = { bg = \"#12345\" }\n",
                2,
                "`warn.bg`: unknown colour \"#12345\"",
            ),
            (
                "base = \"dark\"\nwarn = { fg = 300 }\n",
                2,
                "`warn.fg`: unknown colour 300",
            ),
            (
                "base = \"dark\"\n\nwarn = { modifiers = [\"bold\", \"blinky\"] }\n",
                3,
                "`warn.modifiers`: unknown modifier `blinky` (expected one of bold, dim,",
            ),
            (
                "base = \"dark\"\nwarn = \"yellow\"\n",
                2,
                "`warn`: invalid type: string \"yellow\", expected a style, like { fg = \"red\"",
            ),
            (
                "base = \"drak\"\n",
                1,
                "`base`: unknown theme `drak` (expected one of dark, light, high-contrast, monochrome)",
            ),
            ("base = \"dark\"\nwarn = { fg = \"red\"\n", 2, ""),
        ] {
            let err = parse("/t/mine.toml", text).expect_err(text);
            assert_eq!(err.file, "/t/mine.toml");
            assert_eq!(err.line, Some(line), "{err}");
            assert!(err.message.starts_with(wanted), "{err}\nwanted: {wanted}");
        }
        let err = parse("/t/mine.toml", "text = { fg = \"black\" }\n").expect_err("incomplete");
        assert!(
            err.to_string()
                .starts_with("/t/mine.toml: missing styles dim, accent,"),
            "{err}"
        );
    }

    #[test]
    fn themes_are_named_or_found_by_path() {
        assert_eq!(load("light", Path::new("/nowhere")), Ok(theme("light")));
        let Err(ThemeError::Named(message)) = load("drak", Path::new("")) else {
            panic!("an unknown name is refused");
        };
        assert!(
            message.starts_with("unknown theme `drak` (expected one of dark, light,"),
            "{message}"
        );
        let Err(ThemeError::Named(message)) = load("missing.toml", Path::new("/nowhere")) else {
            panic!("a missing file is refused");
        };
        assert!(
            message.starts_with("the theme file /nowhere/missing.toml: it does not exist"),
            "{message}"
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]

        #[test]
        fn any_theme_text_is_checked_without_panicking(text in crate::fuzz_inputs::toml_text()) {
            if let Err(err) = parse("theme.toml", &text) {
                let lines = text.lines().count().max(1);
                proptest::prop_assert!(err.line.is_none_or(|line| line <= lines + 1), "{}", err);
            }
        }
    }
}
