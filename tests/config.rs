//! The config file, themes and `NO_COLOR`, end to end through the binary: a
//! typo is one line naming the file, the line and the key (exit 2), a good
//! file is used, rebound keys do what the help says, and `NO_COLOR` draws no
//! colour at all.

mod common;

use std::path::{Path, PathBuf};

use common::{Tmux, bin, command, tmux_available};

/// A scratch directory for one test, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("config-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Self(dir)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("dir");
        std::fs::write(&path, text).expect("write");
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_config_with_a_typo_exits_2_naming_the_file_the_line_and_the_key() {
    let scratch = Scratch::new("typo");
    let config = scratch.write(
        "corescope/config.toml",
        "# my settings\ntheme = \"light\"\nintervall = 200\n",
    );
    // Found where XDG_CONFIG_HOME says, as the default file...
    let out = command()
        .env("XDG_CONFIG_HOME", &scratch.0)
        .arg("list")
        .output()
        .expect("corescope");
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    let err = stderr_of(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(
        err.trim_end(),
        format!(
            "corescope: error: {}: line 3: unknown key `intervall` \
             (expected one of interval, theme, lesson, keys)",
            config.display()
        )
    );
    // ...and named with --config, a bad value likewise.
    let bad = scratch.write("bad.toml", "\ninterval = 5\n");
    let out = common::corescope(&["--config", &bad.display().to_string(), "list"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert!(
        err.starts_with(&format!(
            "corescope: error: {}: line 2: `interval` must be",
            bad.display()
        )),
        "{err}"
    );
}

#[test]
fn a_valid_config_is_accepted_and_a_missing_one_refused() {
    let scratch = Scratch::new("valid");
    let config = scratch.write(
        "mine.toml",
        "interval = 250\ntheme = \"high-contrast\"\n[keys]\nquit = [\"x\", \"F10\"]\n",
    );
    let out = common::corescope(&["--config", &config.display().to_string(), "list"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("race"));
    let missing = scratch.0.join("absent.toml");
    let out = common::corescope(&["--config", &missing.display().to_string(), "list"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("absent.toml: it does not exist"));
    let out = common::corescope(&["--theme", "drak", "list"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr_of(&out).contains("--theme: unknown theme `drak`"),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn rebound_keys_do_what_the_help_says() {
    let _cores = common::one_at_a_time();
    if !tmux_available() {
        return;
    }
    let tmux = Tmux::start("keys", 120, 40);
    let config = tmux.file("keys.toml");
    std::fs::write(&config, "[keys]\nquit = [\"x\"]\nhelp = [\"?\", \"F2\"]\n").expect("write");
    tmux.type_line(&format!(
        "{} --config {}; echo exited=$?",
        bin(),
        config.display()
    ));
    tmux.wait_for("Lessons and demos");
    // The footer is the last row drawn: waiting for it (not for the title)
    // keeps a half-written first frame out of the check.
    let screen = tmux.wait_for("x quit  ? help");
    let footer = screen
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default();
    assert!(footer.starts_with("x quit  ? help"), "{footer}");
    tmux.send(&["?"]);
    let help = tmux.wait_for("any other key closes)");
    let quit = help
        .lines()
        .find(|line| line.contains(" quit "))
        .expect("quit in the help");
    assert!(quit.contains("│ x "), "{quit}");
    assert!(help.contains("?/F2"), "{help}");
    // q is no longer quit: it only closes the help, as any key does.
    tmux.send(&["q"]);
    tmux.wait_gone("any other key closes)");
    // Keys are handled in order: when the help that `?` opens after this
    // `q` shows, the `q` was read, and the dashboard is still there.
    tmux.send(&["q"]);
    tmux.send(&["?"]);
    let after_q = tmux.wait_for("any other key closes)");
    assert!(
        !after_q.contains("exited="),
        "expected q (rebound away from quit) to leave corescope running; it exited:\n{after_q}"
    );
    tmux.send(&["Escape"]);
    tmux.wait_gone("any other key closes)");
    tmux.send(&["x"]);
    tmux.wait_for("exited=0");
}

#[test]
fn no_color_draws_without_any_colour_and_a_theme_still_can() {
    let _cores = common::one_at_a_time();
    if !tmux_available() {
        return;
    }
    let tmux = Tmux::start("nocolor", 120, 40);
    tmux.type_line(&format!("NO_COLOR=1 {}; echo exited=$?", bin()));
    tmux.wait_for("parallelism");
    let mono = tmux.screen_with_escapes();
    assert_eq!(colour_codes(&mono), Vec::<String>::new(), "{mono}");
    assert!(
        mono.contains("\x1b[7m"),
        "the title bar is reversed: {mono}"
    );
    tmux.send(&["q"]);
    tmux.wait_for("exited=0");
    tmux.type_line(&format!("NO_COLOR=1 {} --theme dark; echo again=$?", bin()));
    tmux.wait_for("parallelism");
    assert!(
        !colour_codes(&tmux.screen_with_escapes()).is_empty(),
        "--theme wins over NO_COLOR"
    );
    tmux.send(&["q"]);
    tmux.wait_for("again=0");
}

/// The SGR parameters in `screen` that set a colour (foreground or
/// background, 16, 256 or true colour); resets to the default (39, 49) and
/// attributes (bold, reverse...) are not colours.
fn colour_codes(screen: &str) -> Vec<String> {
    let mut found = Vec::new();
    for sequence in screen.split("\x1b[").skip(1) {
        let Some(end) = sequence.find('m') else {
            continue;
        };
        let params = &sequence[..end];
        if !params.chars().all(|c| c.is_ascii_digit() || c == ';') {
            continue;
        }
        let colour = params.split(';').any(|p| {
            p.parse::<u32>()
                .is_ok_and(|n| matches!(n, 30..=38 | 40..=48 | 90..=97 | 100..=107))
        });
        if colour {
            found.push(params.to_owned());
        }
    }
    found
}
