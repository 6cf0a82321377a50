//! corescope's configuration: the config file, the command line and the
//! environment, validated here, once, into the plain [`Settings`] that `run()`
//! passes on. Nothing else reads the file or `NO_COLOR`.
//!
//! The file is `$XDG_CONFIG_HOME/corescope/config.toml`, else
//! `~/.config/corescope/config.toml`, or the one `--config PATH` names. A
//! missing default file means the defaults; a missing `--config` file, like
//! any wrong file, is a usage error naming the file, the line and the key.
//!
//! What wins, highest first:
//! - the interval and the first lesson: `--interval` and `--lesson`, then the
//!   file's `interval` and `lesson`, then each command's default;
//! - the theme: `--theme`, then the file's `theme`, then `NO_COLOR` (the
//!   monochrome theme), then dark. This is the order no-color.org asks for:
//!   `NO_COLOR` is a user's default for every program, which "user-level
//!   configuration files and per-instance command-line arguments should
//!   override"; a theme chosen for corescope in particular is the more
//!   specific wish;
//! - the keys: the file's `[keys]`, command by command, over the defaults.

pub(crate) mod error;
pub(crate) mod keys;
pub(crate) mod theme_file;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use corescope_widgets::Theme;

use crate::app::Preferences;
use crate::cli::Cli;
use crate::error::UsageError;
use crate::keymap::Keymap;
use crate::outside_file::{ReadError, SMALL_FILE_BYTES, read_text};
use crate::record::TapPaths;
use crate::sampler::INTERVAL_RANGE_MS;
use error::{At, FileError};
use theme_file::ThemeError;

/// Everything the command line, the config file and the environment decided,
/// checked.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// The sampling interval in milliseconds, when the user set one
    /// (`--interval`, else the file); `None` leaves each command its default.
    pub interval: Option<u64>,
    /// A lesson file to open first in the picker (`--lesson`, else the file).
    pub lesson: Option<PathBuf>,
    /// The dashboard's colours and keys.
    pub preferences: Preferences,
    /// Where every snapshot is also written (`--record`, `--csv`).
    pub taps: TapPaths,
    /// Where a `run` command's output goes without `--log`, if anywhere.
    pub run_log_dir: Option<PathBuf>,
    /// The `--metrics` endpoint, once bound (see `metrics::Exporter::start`).
    pub metrics: Option<crate::metrics::Exporter>,
}

/// What corescope reads of its environment, read once.
#[derive(Debug, Clone, Default)]
pub(crate) struct Environment {
    /// `$XDG_CONFIG_HOME`, when it is an absolute path (the XDG base
    /// directory specification says to ignore a relative one).
    pub config_home: Option<PathBuf>,
    /// `$XDG_STATE_HOME`, when it is an absolute path.
    pub state_home: Option<PathBuf>,
    /// `$HOME`, when it is an absolute path.
    pub home: Option<PathBuf>,
    /// Whether `NO_COLOR` is set and not empty (<https://no-color.org>).
    pub no_color: bool,
}

impl Environment {
    /// This process's environment.
    #[must_use]
    pub(crate) fn of_process() -> Self {
        let absolute = |name: &str| {
            std::env::var_os(name)
                .map(PathBuf::from)
                .filter(|path| path.is_absolute())
        };
        Self {
            config_home: absolute("XDG_CONFIG_HOME"),
            state_home: absolute("XDG_STATE_HOME"),
            home: absolute("HOME"),
            no_color: std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty()),
        }
    }

    /// Where the config file is, unless `--config` says.
    #[must_use]
    pub(crate) fn default_config(&self) -> Option<PathBuf> {
        self.config_home
            .clone()
            .or_else(|| self.home.as_ref().map(|home| home.join(".config")))
            .map(|dir| dir.join("corescope").join("config.toml"))
    }

    /// Where a `run` command's output goes without `--log`:
    /// `$XDG_STATE_HOME/corescope`, else `~/.local/state/corescope`. Not
    /// the current directory, which may be a source tree or a shared one.
    #[must_use]
    pub(crate) fn run_log_dir(&self) -> Option<PathBuf> {
        self.state_home
            .clone()
            .or_else(|| {
                self.home
                    .as_ref()
                    .map(|home| home.join(".local").join("state"))
            })
            .map(|dir| dir.join("corescope"))
    }

    /// `path` with a leading `~/` made the home directory, as a shell would.
    fn expand(&self, path: &str) -> PathBuf {
        match (path.strip_prefix("~/"), &self.home) {
            (Some(rest), Some(home)) => home.join(rest),
            _ => PathBuf::from(path),
        }
    }
}

/// The config file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    interval: Option<Spanned<toml::Value>>,
    theme: Option<Spanned<String>>,
    lesson: Option<Spanned<String>>,
    keys: Option<BTreeMap<Spanned<String>, Spanned<toml::Value>>>,
}

/// What a config file decides, checked.
#[derive(Debug, Default)]
struct FromFile {
    interval: Option<u64>,
    theme: Option<Theme>,
    lesson: Option<PathBuf>,
    keymap: Keymap,
}

/// The settings of this run, from this process's environment.
pub(crate) fn load(cli: &Cli) -> Result<Settings, UsageError> {
    settings(cli, &Environment::of_process())
}

/// The settings of a run given `cli` in `env`.
pub(crate) fn settings(cli: &Cli, env: &Environment) -> Result<Settings, UsageError> {
    let usage = |err: FileError| UsageError(err.to_string());
    let file = match &cli.config {
        Some(path) => Some((path.clone(), read(path)?)),
        None => match env.default_config() {
            Some(path) => match read_text(&path, SMALL_FILE_BYTES) {
                Ok(text) => Some((path, text)),
                Err(ReadError::Missing) => None,
                Err(err) => return Err(unreadable(&path, &err)),
            },
            None => None,
        },
    };
    let from_file = match &file {
        Some((path, text)) => parse(path, text, env).map_err(usage)?,
        None => FromFile::default(),
    };
    let theme = match &cli.theme {
        Some(spec) => theme_file::load(spec, Path::new("")).map_err(|err| match err {
            ThemeError::Named(message) => UsageError(format!("--theme: {message}")),
            ThemeError::File(err) => usage(err),
        })?,
        None => match from_file.theme {
            Some(theme) => theme,
            None if env.no_color => theme_file::no_color().map_err(usage)?,
            None => Theme::dark(),
        },
    };
    Ok(Settings {
        interval: cli.interval.or(from_file.interval),
        lesson: cli.lesson.clone().or(from_file.lesson),
        preferences: Preferences {
            theme,
            keymap: from_file.keymap,
        },
        taps: cli.taps(),
        run_log_dir: env.run_log_dir(),
        metrics: None,
    })
}

/// The text of the config file `path`, which must exist.
fn read(path: &Path) -> Result<String, UsageError> {
    read_text(path, SMALL_FILE_BYTES).map_err(|err| unreadable(path, &err))
}

fn unreadable(path: &Path, err: &ReadError) -> UsageError {
    UsageError(FileError::whole(&path.display().to_string(), err.to_string()).to_string())
}

/// Checks the config `text` read from `path`. Paths in it are taken from the
/// file's own directory.
fn parse(path: &Path, text: &str, env: &Environment) -> Result<FromFile, FileError> {
    let file = path.display().to_string();
    let error = |at: At| FileError::at(&file, text, at);
    let config: ConfigFile =
        toml::from_str(text).map_err(|err| FileError::from_toml(&file, text, &err))?;
    let dir = path.parent().unwrap_or(Path::new(""));
    let mut checked = FromFile::default();
    if let Some(interval) = &config.interval {
        checked.interval = Some(interval_of(interval).map_err(error)?);
    }
    if let Some(theme) = &config.theme {
        let spec = env.expand(theme.get_ref());
        let spec = spec.to_string_lossy();
        checked.theme = Some(theme_file::load(&spec, dir).map_err(|err| match err {
            ThemeError::Named(message) => {
                error(At::new(theme.span().start, format!("`theme`: {message}")))
            }
            ThemeError::File(err) => err,
        })?);
    }
    if let Some(lesson) = &config.lesson {
        let lesson_path = dir.join(env.expand(lesson.get_ref()));
        if !lesson_path.is_file() {
            return Err(error(At::new(
                lesson.span().start,
                format!("`lesson`: no lesson file at {}", lesson_path.display()),
            )));
        }
        checked.lesson = Some(lesson_path);
    }
    if let Some(table) = &config.keys {
        keys::rebind(&mut checked.keymap, table).map_err(error)?;
    }
    Ok(checked)
}

/// The file's `interval`: milliseconds in the range `--interval` takes.
fn interval_of(value: &Spanned<toml::Value>) -> Result<u64, At> {
    let range = INTERVAL_RANGE_MS;
    match value.get_ref() {
        toml::Value::Integer(ms) => u64::try_from(*ms).ok().filter(|ms| range.contains(ms)),
        _ => None,
    }
    .ok_or_else(|| {
        At::new(
            value.span().start,
            format!(
                "`interval` must be a whole number of milliseconds from {} to {}, not {}",
                range.start(),
                range.end(),
                value.get_ref()
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::keymap::Command;

    fn cli(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("corescope").chain(args.iter().copied()))
            .expect("parses")
    }

    /// A scratch directory of its own for one test, removed when dropped.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Self {
            let dir = std::env::temp_dir()
                .join(format!("corescope-config-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).expect("scratch dir");
            Self(dir)
        }

        fn write(&self, name: &str, text: &str) -> PathBuf {
            let path = self.0.join(name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).expect("dir");
            }
            std::fs::write(&path, text).expect("write");
            path
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn parse_text(text: &str) -> Result<FromFile, FileError> {
        parse(
            Path::new("/home/u/.config/corescope/config.toml"),
            text,
            &Environment::default(),
        )
    }

    #[test]
    fn a_typo_gets_one_line_with_the_file_the_line_and_the_key() {
        let err = parse_text("# mine\ntheme = \"light\"\nintervall = 200\n").expect_err("typo");
        assert_eq!(
            err.to_string(),
            "/home/u/.config/corescope/config.toml: line 3: unknown key `intervall` \
             (expected one of interval, theme, lesson, keys)"
        );
    }

    #[test]
    fn every_bad_value_names_its_line_and_key() {
        for (text, line, wanted) in [
            (
                "\ninterval = 5\n",
                2,
                "`interval` must be a whole number of milliseconds from 50 to 10000, not 5",
            ),
            (
                "interval = \"fast\"\n",
                1,
                "`interval` must be a whole number of milliseconds from 50 to 10000, not \"fast\"",
            ),
            (
                "theme = 3\n",
                1,
                "`theme`: invalid type: integer `3`, expected a string",
            ),
            (
                "theme = \"drak\"\n",
                1,
                "`theme`: unknown theme `drak` (expected one of dark, light, high-contrast, monochrome, or a theme file's path)",
            ),
            (
                "theme = \"nowhere/mine.toml\"\n",
                1,
                "`theme`: the theme file /home/u/.config/corescope/nowhere/mine.toml: it does not exist",
            ),
            (
                "lesson = \"mine.toml\"\n",
                1,
                "`lesson`: no lesson file at /home/u/.config/corescope/mine.toml",
            ),
            (
                "[keys]\nquit = [\"x\"]\nquitt = [\"y\"]\n",
                3,
                "unknown command `keys.quitt` (expected one of quit, help, pause, suspend,",
            ),
            (
                "[keys]\n\nquit = [\"x\", \"Ctrl+C\"]\n",
                3,
                "`keys.quit`: `Ctrl+C` is not a key corescope knows",
            ),
            (
                "[keys]\nquit = 10\n",
                2,
                "`keys.quit`: expected a list of keys like [\"q\", \"F10\"], not 10",
            ),
            (
                "[keys]\nquit = []\n",
                2,
                "`keys.quit`: quit needs at least one key",
            ),
            (
                "[keys]\npause = [\"q\"]\n",
                2,
                "`keys.pause`: `q` is also bound to quit by default (rebind it too)",
            ),
            (
                "[keys]\nquit = [\"x\"]\nhelp = [\"x\", \"?\"]\n",
                3,
                "`keys.help`: `x` is also bound to quit",
            ),
            ("interval = 500\n[keys\n", 2, ""),
        ] {
            let err = parse_text(text).expect_err(text);
            assert_eq!(err.line, Some(line), "{text}: {err}");
            assert!(err.message.starts_with(wanted), "{err}\nwanted: {wanted}");
        }
    }

    #[test]
    fn rebinding_a_command_replaces_its_keys() {
        let checked = parse_text(
            "interval = 250\n[keys]\nquit = [\"x\", \"F10\"]\npause = \"p\"\nprevious_step = [\"P\"]\nmore_workers = [\"+\"]\nfewer_workers = []\n",
        )
        .expect("valid");
        assert_eq!(checked.interval, Some(250));
        let keymap = checked.keymap;
        assert_eq!(keymap.keys_label(Command::Quit), "x/F10");
        assert_eq!(keymap.keys_label(Command::Pause), "p");
        assert_eq!(keymap.keys_label(Command::MoreWorkers), "+");
        assert_eq!(keymap.keys_label(Command::FewerWorkers), "");
        assert_eq!(
            keymap.keys_label(Command::Help),
            "?/F1",
            "the rest as before"
        );
    }

    #[test]
    fn the_thread_tables_tools_are_rebindable_and_share_keys_only_as_they_may() {
        let checked = parse_text(
            "[keys]\nfilter = [\"f\", \"/\"]\ntree_view = \"T\"\nsort_menu = [\"F6\", \">\"]\n",
        )
        .expect("valid: > is shared by the sort menu and a demo's speed");
        let keymap = checked.keymap;
        assert_eq!(keymap.keys_label(Command::Filter), "f//");
        assert_eq!(keymap.keys_label(Command::TreeView), "T");
        assert_eq!(keymap.keys_label(Command::SortMenu), "F6/>");
        let clash = parse_text("[keys]\ntree_view = \"<\"\n").map(|_| ());
        let message = clash
            .expect_err("< is the sort menu's and the demo's slower key")
            .to_string();
        assert!(
            message.contains("`<` is also bound to sort_menu"),
            "{message}"
        );
    }

    #[test]
    fn the_command_line_wins_over_the_file_and_the_file_over_no_color() {
        let scratch = Scratch::new("precedence");
        scratch.write(
            "corescope/config.toml",
            "interval = 250\ntheme = \"high-contrast\"\nlesson = \"lessons/mine.toml\"\n",
        );
        scratch.write("corescope/lessons/mine.toml", "");
        let env = Environment {
            config_home: Some(scratch.0.clone()),
            state_home: None,
            home: None,
            no_color: true,
        };
        let high_contrast = theme_file::load("high-contrast", Path::new("")).expect("built in");
        let light = theme_file::load("light", Path::new("")).expect("built in");
        let mono = theme_file::no_color().expect("built in");

        let from_file = settings(&cli(&[]), &env).expect("valid");
        assert_eq!(from_file.interval, Some(250));
        assert_eq!(
            from_file.preferences.theme, high_contrast,
            "a file's theme over NO_COLOR"
        );
        assert_eq!(
            from_file.lesson,
            Some(scratch.0.join("corescope/lessons/mine.toml")),
            "taken from the file's directory"
        );
        let given = settings(
            &cli(&[
                "--interval",
                "100",
                "--theme",
                "light",
                "--lesson",
                "x.toml",
            ]),
            &env,
        )
        .expect("valid");
        assert_eq!(given.interval, Some(100));
        assert_eq!(given.preferences.theme, light);
        assert_eq!(given.lesson, Some(PathBuf::from("x.toml")));

        let elsewhere = Environment {
            config_home: Some(scratch.0.join("none")),
            ..env
        };
        let no_file = settings(&cli(&[]), &elsewhere).expect("no file is fine");
        assert_eq!(
            no_file.preferences.theme, mono,
            "NO_COLOR without a theme named"
        );
        assert_eq!(no_file.interval, None);
        let colour = Environment {
            no_color: false,
            ..elsewhere
        };
        assert_eq!(
            settings(&cli(&[]), &colour)
                .expect("defaults")
                .preferences
                .theme,
            Theme::dark()
        );
    }

    #[test]
    fn a_named_config_must_exist_and_a_bad_one_is_a_usage_error() {
        let scratch = Scratch::new("named");
        let env = Environment::default();
        let missing = scratch.0.join("absent.toml");
        let err = settings(&cli(&["--config", &missing.display().to_string()]), &env)
            .expect_err("missing");
        assert!(
            err.0
                .starts_with(&format!("{}: it does not exist", missing.display())),
            "{}",
            err.0
        );
        let bad = scratch.write("bad.toml", "interval = 5\n");
        let err = settings(
            &cli(&["--config", &bad.display().to_string(), "list"]),
            &env,
        )
        .expect_err("bad");
        assert!(
            err.0
                .starts_with(&format!("{}: line 1: `interval`", bad.display())),
            "{}",
            err.0
        );
        let err = settings(&cli(&["--theme", "drak"]), &env).expect_err("bad theme");
        assert!(
            err.0.starts_with("--theme: unknown theme `drak`"),
            "{}",
            err.0
        );
        let theme = scratch.write("mine.toml", "base = \"dark\"\nwarn = { fg = \"orange\" }\n");
        let err = settings(&cli(&["--theme", &theme.display().to_string()]), &env)
            .expect_err("bad theme file");
        assert!(
            err.0.starts_with(&format!(
                "{}: line 2: `warn.fg`: unknown colour",
                theme.display()
            )),
            "{}",
            err.0
        );
    }

    #[test]
    fn the_file_is_looked_for_in_xdg_config_home_else_in_home() {
        let both = Environment {
            config_home: Some(PathBuf::from("/x")),
            state_home: None,
            home: Some(PathBuf::from("/home/u")),
            no_color: false,
        };
        assert_eq!(
            both.default_config(),
            Some(PathBuf::from("/x/corescope/config.toml"))
        );
        let home = Environment {
            config_home: None,
            ..both
        };
        assert_eq!(
            home.default_config(),
            Some(PathBuf::from("/home/u/.config/corescope/config.toml"))
        );
        assert_eq!(home.expand("~/t.toml"), PathBuf::from("/home/u/t.toml"));
        assert_eq!(Environment::default().default_config(), None);
    }

    #[test]
    fn the_run_log_goes_to_the_state_directory_not_the_current_one() {
        let home = Environment {
            home: Some(PathBuf::from("/home/u")),
            ..Environment::default()
        };
        assert_eq!(
            home.run_log_dir(),
            Some(PathBuf::from("/home/u/.local/state/corescope"))
        );
        let state = Environment {
            state_home: Some(PathBuf::from("/s")),
            ..home
        };
        assert_eq!(state.run_log_dir(), Some(PathBuf::from("/s/corescope")));
        assert_eq!(Environment::default().run_log_dir(), None);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]

        #[test]
        fn any_config_text_is_checked_without_panicking(text in crate::fuzz_inputs::toml_text()) {
            let env = Environment {
                home: Some(PathBuf::from("/nonexistent-home")),
                ..Environment::default()
            };
            if let Err(err) = parse(Path::new("/nowhere/config.toml"), &text, &env) {
                let lines = text.lines().count().max(1);
                proptest::prop_assert!(err.line.is_none_or(|line| line <= lines + 1), "{}", err);
            }
        }
    }
}
