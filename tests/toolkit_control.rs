//! The controls of a watched program, as a person at a terminal uses them:
//! `k` sends a signal to a child of a `run` command (and never to corescope
//! itself), `[` and `]` change the sampling interval live, and the rates
//! stay true across such a change.

mod common;

use common::{bin, one_at_a_time, wait_until};

/// The PID after `run PID ` in the title.
fn run_pid(screen: &str) -> u32 {
    screen
        .split("run PID ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no `run PID` in:\n{screen}"))
}

/// Rows of the process tree naming a child `sleep` (the tree draws
/// children after `├─` or `└─`).
fn sleeps_in_tree(screen: &str) -> usize {
    screen.matches("─sleep").count()
}

#[test]
fn k_stops_a_child_of_a_run_command_and_says_so() {
    let _cores = one_at_a_time();
    if !common::tmux_available() {
        return;
    }
    let tmux = common::Tmux::start("signal-child", 120, 40);
    tmux.type_line(&format!(
        "cd {} && XDG_STATE_HOME={}/state {} run -- sh -c 'sleep 300 & sleep 300 & wait'; echo status=$?",
        tmux.dir.display(),
        tmux.dir.display(),
        bin()
    ));
    let mut screen = String::new();
    assert!(
        wait_until(common::DEADLINE, || {
            screen = tmux.screen();
            sleeps_in_tree(&screen) == 2
        }),
        "expected the shell's two sleeps in the process tree. Last screen:\n{screen}"
    );
    let shell = run_pid(&screen);
    let sleeps = common::children_named(shell, "sleep");
    assert_eq!(sleeps.len(), 2, "two sleeps under sh {shell}: {sleeps:?}");
    let victim = sleeps[0];
    let survivor = sleeps[1];
    // Select the victim's thread (its TID is its PID) with a click on its
    // row of the thread table, the first place its `PID sleep` shows.
    let row = tmux
        .find(&format!("{victim} sleep"))
        .unwrap_or_else(|| panic!("no row of {victim} in:\n{}", tmux.screen()));
    tmux.click(row);
    tmux.send(&["k"]);
    tmux.wait_for(&format!("process {victim} sleep (the selected thread's)"));
    tmux.send(&["Enter"]);
    tmux.wait_for("15 TERM");
    tmux.send(&["Enter"]);
    tmux.wait_for(&format!("Send TERM (15) to process {victim} sleep?"));
    tmux.send(&["Enter"]);
    tmux.wait_for("sent TERM to 1 process");
    assert!(
        wait_until(common::DEADLINE, || !std::path::Path::new(&format!(
            "/proc/{victim}"
        ))
        .exists()),
        "expected sleep {victim} to end after TERM"
    );
    tmux.send(&["x"]);
    tmux.wait_gone("sent TERM to 1 process");
    assert!(
        wait_until(common::DEADLINE, || {
            screen = tmux.screen();
            sleeps_in_tree(&screen) == 1
        }),
        "expected one sleep left in the tree after TERM. Last screen:\n{screen}"
    );
    assert!(
        std::path::Path::new(&format!("/proc/{survivor}")).exists(),
        "the other sleep {survivor} was not the target and must still run"
    );
    tmux.send(&["q"]);
    tmux.wait_for("status=");
}

#[test]
fn the_whole_tree_never_includes_corescope_itself() {
    let _cores = one_at_a_time();
    if !common::tmux_available() {
        return;
    }
    // Watching the shell that started corescope puts corescope in the tree.
    let tmux = common::Tmux::start("signal-self", 120, 40);
    tmux.type_line(&format!("{} watch $$; echo status=$?", bin()));
    tmux.wait_for("PID");
    tmux.wait_for("corescope");
    // No thread selected: the whole tree is the target. CONT is harmless to
    // the shell.
    tmux.send(&["k"]);
    tmux.wait_for("the whole tree:");
    tmux.send(&["Enter"]);
    tmux.wait_for("15 TERM");
    for _ in 0..6 {
        tmux.send(&["Down"]);
    }
    tmux.send(&["Enter"]);
    tmux.wait_for("Send CONT (18) to");
    tmux.send(&["y"]);
    let screen = tmux.wait_for("refused: corescope's own process");
    assert!(screen.contains("sent CONT to"), "{screen}");
    tmux.send(&["Escape"]);
    tmux.wait_gone("refused: corescope's own process");
    tmux.send(&["q"]);
    tmux.wait_for("status=0");
}

#[test]
fn brackets_change_the_interval_in_the_title() {
    let _cores = one_at_a_time();
    if !common::tmux_available() {
        return;
    }
    let tmux = common::Tmux::start("interval", 100, 30);
    tmux.type_line(&format!(
        "cd {} && XDG_STATE_HOME={}/state {} run -- sleep 300; echo status=$?",
        tmux.dir.display(),
        tmux.dir.display(),
        bin()
    ));
    tmux.wait_for("every 500 ms");
    tmux.send(&["-l", "]"]);
    tmux.wait_for("every 200 ms");
    tmux.send(&["-l", "[["]);
    tmux.wait_for("every 1 s");
    tmux.send(&["q"]);
    tmux.wait_for("status=");
}

#[test]
fn the_config_knows_the_new_keys_and_refuses_a_key_taken_by_them() {
    let dir = std::env::temp_dir().join(format!(
        "corescope-test-control-keys-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let config = dir.join("config.toml");
    // `k` back as up, as a vim hand wants it, the signal on K.
    std::fs::write(
        &config,
        "[keys]\nsignal = [\"K\", \"F9\"]\nup = [\"Up\", \"k\"]\n\
         longer_interval = [\"{\"]\nshorter_interval = [\"}\"]\n",
    )
    .expect("write");
    let path = config.to_str().expect("utf-8 path");
    let args = [
        "--config",
        path,
        "demo",
        "threads",
        "--headless",
        "--duration",
        "0.3",
    ];
    let out = common::corescope(&args);
    assert!(
        out.status.success(),
        "expected the rebound keys to be accepted; stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(&config, "[keys]\nmore_workers = [\"+\", \"]\"]\n").expect("write");
    let out = common::corescope(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "a usage error: {stderr}");
    assert!(
        stderr.contains("`]` is also bound to shorter_interval"),
        "expected the error to name the interval key: {stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
