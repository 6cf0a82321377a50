//! The dashboard in a real terminal (tmux): it draws, it follows the load, and
//! every way out leaves the terminal exactly as it found it.

mod common;

use std::time::Duration;

use common::{Tmux, bin, children_named, tmux_available, wait_until};

/// Starts corescope from a shell that records `stty -g` before and after.
fn start(tmux: &Tmux, args: &str) {
    let before = tmux.file("before");
    let after = tmux.file("after");
    tmux.type_line(&format!(
        "stty -g > {}; {} {args}; stty -g > {}",
        before.display(),
        bin(),
        after.display()
    ));
}

fn assert_terminal_restored(tmux: &Tmux) {
    let after = tmux.read_when_written(&tmux.file("after"), Duration::from_secs(10));
    let before = std::fs::read_to_string(tmux.file("before")).expect("before");
    assert_eq!(before, after, "stty -g differs after corescope exited");
}

/// The busiest core's percentage on screen.
fn busiest_core(screen: &str) -> u32 {
    screen
        .lines()
        .filter(|l| l.contains("cpu"))
        .filter_map(|l| {
            let pct = l.find('%')?;
            l[..pct]
                .rsplit(|c: char| !c.is_ascii_digit())
                .next()?
                .parse()
                .ok()
        })
        .max()
        .unwrap_or(0)
}

#[test]
fn dashboard_shows_every_core_and_q_restores_the_terminal() {
    let _cores = common::one_at_a_time();
    if !tmux_available() {
        return;
    }
    let tmux = Tmux::start("quit", 120, 40);
    start(&tmux, "");
    let screen = tmux.wait_for(
        "parallelism",
        Duration::from_secs(2) + Duration::from_millis(1500),
    );
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    for core in 0..cores {
        assert!(
            screen.contains(&format!("cpu{core}")),
            "no bar for cpu{core}:\n{screen}"
        );
    }
    tmux.send(&["q"]);
    assert_terminal_restored(&tmux);
}

#[test]
fn a_busy_process_beside_it_shows_on_a_core() {
    let _cores = common::one_at_a_time();
    if !tmux_available() {
        return;
    }
    let tmux = Tmux::start("load", 120, 40);
    start(&tmux, "--interval 200");
    tmux.wait_for("parallelism", Duration::from_secs(3));
    let mut yes = common::Guarded(
        std::process::Command::new("yes")
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("yes"),
    );
    let mut screen = String::new();
    let seen = wait_until(Duration::from_secs(4), || {
        screen = tmux.screen();
        busiest_core(&screen) >= 90
    });
    let _ = yes.0.kill();
    assert!(seen, "no core reached 90% with `yes` running:\n{screen}");
    tmux.send(&["q"]);
    assert_terminal_restored(&tmux);
}

#[test]
fn signals_quit_cleanly_and_restore_the_terminal() {
    let _cores = common::one_at_a_time();
    if !tmux_available() {
        return;
    }
    for signal in ["TERM", "INT", "HUP"] {
        let tmux = Tmux::start(&format!("sig{signal}"), 100, 30);
        start(&tmux, "");
        tmux.wait_for("parallelism", Duration::from_secs(3));
        let pids = children_named(tmux.shell_pid(), "corescope");
        assert_eq!(pids.len(), 1, "one corescope under the shell");
        let status = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &pids[0].to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        assert_terminal_restored(&tmux);
    }
}

#[test]
fn a_terminal_too_small_says_so_and_help_opens_and_closes() {
    let _cores = common::one_at_a_time();
    if !tmux_available() {
        return;
    }
    let tmux = Tmux::start("small", 20, 6);
    start(&tmux, "");
    tmux.wait_for("too small", Duration::from_secs(3));
    tmux.send(&["q"]);
    assert_terminal_restored(&tmux);

    let tmux = Tmux::start("help", 100, 30);
    start(&tmux, "");
    tmux.wait_for("parallelism", Duration::from_secs(3));
    tmux.send(&["?"]);
    tmux.wait_for("any other key closes)", Duration::from_secs(2));
    tmux.send(&["x"]);
    assert!(wait_until(Duration::from_secs(2), || !tmux
        .screen()
        .contains("any other key closes)")));
    tmux.send(&["q"]);
    assert_terminal_restored(&tmux);
}

#[test]
fn plus_adds_a_worker_row_to_a_running_demo() {
    let _cores = common::one_at_a_time();
    if !tmux_available() {
        return;
    }
    let tmux = Tmux::start("demo", 120, 40);
    start(
        &tmux,
        "demo cpu-vs-io --workers 1 --tasks 1000 --work-ms 50 --interval 200",
    );
    tmux.wait_for("worker-0", Duration::from_secs(5));
    assert!(!tmux.screen().contains("worker-1"));
    tmux.send(&["+"]);
    let screen = tmux.wait_for("worker-1", Duration::from_secs(5));
    assert!(screen.contains("2 workers"), "the title follows:\n{screen}");
    // Two CPU-bound workers: within a few ticks the demo keeps more than one
    // core busy (the other tests of this binary are light).
    let busy = wait_until(Duration::from_secs(5), || {
        tmux.screen()
            .lines()
            .find(|l| l.starts_with("parallelism"))
            .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
            .is_some_and(|p| p > 1.3)
    });
    assert!(busy, "parallelism never passed 1.3:\n{}", tmux.screen());
    tmux.send(&["q"]);
    assert_terminal_restored(&tmux);
}

#[test]
fn the_default_lesson_can_be_walked_from_first_step_to_last() {
    let _cores = common::one_at_a_time();
    if !tmux_available() {
        return;
    }
    let lessons = corescope::lesson::built_in().expect("lessons");
    let steps = &lessons[0].steps;
    let tmux = Tmux::start("lesson", 120, 40);
    start(&tmux, "");
    tmux.wait_for("choose a lesson or a demo", Duration::from_secs(3));
    tmux.send(&["Enter"]);
    for (number, step) in steps.iter().enumerate() {
        let heading = format!("Step {} of {}: {}", number + 1, steps.len(), step.title);
        tmux.wait_for(&heading, Duration::from_secs(5));
        tmux.wait_for(
            &format!("demo {}", step.config.spec.name),
            Duration::from_secs(5),
        );
        tmux.send(&["n"]);
    }
    tmux.send(&["p"]);
    tmux.wait_for(
        &format!("Step {} of", steps.len() - 1),
        Duration::from_secs(5),
    );
    tmux.send(&["b"]);
    tmux.wait_for("choose a lesson or a demo", Duration::from_secs(5));
    tmux.send(&["q"]);
    assert_terminal_restored(&tmux);
}

#[test]
fn resizing_to_40x12_and_back_redraws_and_ctrl_z_then_fg_resumes() {
    let _cores = common::one_at_a_time();
    if !tmux_available() {
        return;
    }
    let tmux = Tmux::start("resize", 120, 40);
    start(&tmux, "demo gil --tasks 1000 --work-ms 50");
    tmux.wait_for("Workers", Duration::from_secs(5));
    tmux.resize(40, 12);
    // 40x12 is the smallest the dashboard draws in: a real screen, not the notice.
    let small = tmux.wait_for("corescope", Duration::from_secs(3));
    assert!(!small.contains("too small"), "{small}");
    tmux.resize(30, 8);
    tmux.wait_for("need 40x12", Duration::from_secs(3));
    tmux.resize(120, 40);
    tmux.wait_for("What to look for", Duration::from_secs(3));

    tmux.send(&["C-z"]);
    tmux.wait_for("Stopped", Duration::from_secs(3));
    tmux.type_line("fg");
    let resumed = tmux.wait_for("What to look for", Duration::from_secs(3));
    assert!(
        resumed.contains("Workers"),
        "a full redraw after fg:\n{resumed}"
    );
    tmux.send(&["q"]);
    assert_terminal_restored(&tmux);
}

#[test]
fn the_mouse_picks_a_demo_opens_the_help_and_is_released_on_exit() {
    let _cores = common::one_at_a_time();
    if !tmux_available() {
        return;
    }
    let tmux = Tmux::start("mouse", 120, 40);
    start(&tmux, "");
    tmux.wait_for("Lessons and demos", Duration::from_secs(5));
    assert!(
        tmux.mouse_captured(),
        "the dashboard asks for mouse reports"
    );
    let race = tmux.find("race ").expect("race in the picker");
    // The first click chooses the entry, the second starts it.
    tmux.click(race);
    tmux.wait_for("▶ race", Duration::from_secs(2));
    tmux.click(race);
    tmux.wait_for("demo race", Duration::from_secs(5));
    let help = tmux.find("? help").expect("help hint in the footer");
    tmux.click(help);
    tmux.wait_for("any other key closes)", Duration::from_secs(2));
    tmux.click((2, 2));
    assert!(wait_until(Duration::from_secs(2), || !tmux
        .screen()
        .contains("any other key closes)")));
    let quit = tmux.find("q quit").expect("quit hint");
    tmux.click(quit);
    assert_terminal_restored(&tmux);
    assert!(!tmux.mouse_captured(), "mouse reports still on after exit");
}
