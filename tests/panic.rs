//! The panic policy end to end: a panic in a demo's round ends that round
//! with a visible error, the dashboard goes on drawing on a terminal still in
//! its modes, and a headless run reports it and exits 1. The fault is
//! injected through the demo runner's test-only switch.

mod common;

use common::{Tmux, bin, command, output_of, tmux_available};
use corescope_demos::run::PANIC_ROUND_VARIABLE;

#[test]
fn a_panicking_round_is_an_error_on_screen_and_the_dashboard_goes_on() {
    let _cores = common::one_at_a_time();
    if !tmux_available() {
        return;
    }
    let tmux = Tmux::start("panic", 120, 40);
    let before = tmux.file("before");
    let after = tmux.file("after");
    let stderr = tmux.file("stderr");
    tmux.type_line(&format!(
        "stty -g > {}; {PANIC_ROUND_VARIABLE}=2 {} demo race 2> {}; stty -g > {}",
        before.display(),
        bin(),
        stderr.display(),
        after.display()
    ));
    // Round 2: the first round finishes with the dashboard already drawn.
    let screen = tmux.wait_for("round 2 panicked");
    assert!(
        screen.contains("What to look for"),
        "expected the demo screen still drawn around the error:\n{screen}"
    );
    assert!(
        tmux.mouse_captured(),
        "expected the dashboard's terminal modes still on after the round's panic"
    );
    // Still answering keys: the help opens.
    tmux.send(&["?"]);
    tmux.wait_for("any other key closes)");
    tmux.send(&["Escape"]);
    tmux.wait_gone("any other key closes)");
    tmux.send(&["q"]);
    let restored = tmux.read_when_written(&after);
    assert_eq!(
        std::fs::read_to_string(&before).expect("before"),
        restored,
        "expected stty -g the same before and after"
    );
    let said = std::fs::read_to_string(&stderr).expect("stderr");
    assert!(
        said.contains("while the dashboard ran, thread `demo` panicked"),
        "expected the held-back panic message after the terminal was restored, stderr:\n{said}"
    );
}

#[test]
fn a_panicking_round_in_a_headless_run_is_reported_and_exits_1() {
    let _cores = common::one_at_a_time();
    let child = command()
        .args(["demo", "race", "--headless", "--json"])
        .env(PANIC_ROUND_VARIABLE, "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("corescope");
    let out = output_of(child, "a headless demo whose round panics");
    assert_eq!(
        out.status.code(),
        Some(1),
        "expected exit code 1 for a failed run, got {:?}",
        out.status
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json report");
    let error = report["error"].as_str().unwrap_or_default();
    assert!(
        error.starts_with("round 1 panicked"),
        "expected the report's error to name the panicking round, got {:?}",
        report["error"]
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("corescope: error: the demo failed: round 1 panicked"),
        "expected one error line on stderr, got:\n{stderr}"
    );
}
