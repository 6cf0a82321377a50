//! The dashboard in a real terminal (tmux): it draws, it follows the load, and
//! every way out leaves the terminal exactly as it found it.

mod common;

use std::time::Duration;

use common::{Tmux, bin, children_named, tmux_available, wait_until};

/// How long a click that shows nothing is given before it is sent again.
const RECLICK_AFTER: Duration = Duration::from_secs(10);

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
    let after = tmux.read_when_written(&tmux.file("after"));
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
    let screen = tmux.wait_for("parallelism");
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
    tmux.wait_for("parallelism");
    let mut yes = common::Guarded(
        std::process::Command::new("yes")
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("yes"),
    );
    let mut screen = String::new();
    let seen = wait_until(common::DEADLINE, || {
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
        tmux.wait_for("parallelism");
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
    tmux.wait_for("too small");
    tmux.send(&["q"]);
    assert_terminal_restored(&tmux);

    let tmux = Tmux::start("help", 100, 30);
    start(&tmux, "");
    tmux.wait_for("parallelism");
    tmux.send(&["?"]);
    tmux.wait_for("any other key closes)");
    tmux.send(&["x"]);
    tmux.wait_gone("any other key closes)");
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
    tmux.wait_for("worker-0");
    assert!(!tmux.screen().contains("worker-1"));
    tmux.send(&["+"]);
    let screen = tmux.wait_for("worker-1");
    assert!(screen.contains("2 workers"), "the title follows:\n{screen}");
    // The new worker takes tasks: its lane counts them. (How many cores two
    // workers keep busy needs idle cores: scripts/check-scaling.sh.)
    let done_by_the_new_worker = |screen: &str| {
        screen
            .lines()
            .find(|l| l.contains("worker-1 "))
            .and_then(|l| {
                let words: Vec<&str> = l.split_whitespace().collect();
                let at = words.iter().position(|w| *w == "done")?;
                words.get(at.checked_sub(1)?)?.parse::<u64>().ok()
            })
    };
    let mut screen = String::new();
    let busy = wait_until(common::DEADLINE, || {
        screen = tmux.screen();
        done_by_the_new_worker(&screen).is_some_and(|n| n > 0)
    });
    assert!(
        busy,
        "expected worker-1's lane to count tasks done after +, saw {:?}:\n{screen}",
        done_by_the_new_worker(&screen)
    );
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
    tmux.wait_for("choose a lesson or a demo");
    tmux.send(&["Enter"]);
    for (number, step) in steps.iter().enumerate() {
        let heading = format!("Step {} of {}: {}", number + 1, steps.len(), step.title);
        tmux.wait_for(&heading);
        match step.demo() {
            Some(config) => tmux.wait_for(&format!("demo {}", config.spec.name)),
            // A step that runs one of the course's Python programs shows it
            // on the run screen.
            None => tmux.wait_for("run PID"),
        };
        tmux.send(&["n"]);
    }
    tmux.send(&["p"]);
    tmux.wait_for(&format!("Step {} of", steps.len() - 1));
    tmux.send(&["b"]);
    tmux.wait_for("choose a lesson or a demo");
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
    tmux.wait_for("Workers");
    tmux.resize(40, 12);
    // 40x12 is the smallest the dashboard draws in: a real screen, not the notice.
    let small = tmux.wait_for("corescope");
    assert!(!small.contains("too small"), "{small}");
    tmux.resize(30, 8);
    tmux.wait_for("need 40x12");
    tmux.resize(120, 40);
    tmux.wait_for("What to look for");

    tmux.send(&["C-z"]);
    tmux.wait_for("Stopped");
    tmux.type_line("fg");
    let resumed = tmux.wait_for("What to look for");
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
    tmux.wait_for("Lessons and demos");
    assert!(
        tmux.mouse_captured(),
        "the dashboard asks for mouse reports"
    );
    // The first frame may be half written when the title shows.
    tmux.wait_for("race ");
    let race = tmux.find("race ").expect("race in the picker");
    // The first click chooses the entry, the second starts it. Once, in a
    // full run on a heavily loaded machine, the first click never showed
    // (cause not found: not reproduced beside two busy loops); so a click
    // that shows nothing in 10 s is sent again, and said on stderr.
    let mut clicks = 0;
    let chosen = wait_until(common::DEADLINE, || {
        if clicks == 0 || !wait_until(RECLICK_AFTER, || tmux.find("▶ race").is_some()) {
            clicks += 1;
            tmux.click(race);
        }
        tmux.find("▶ race").is_some()
    });
    if clicks > 1 {
        eprintln!("the first click was sent {clicks} times before `▶ race` showed");
    }
    assert!(
        chosen,
        "expected a click on race to choose it (▶ race):\n{}",
        tmux.screen()
    );
    tmux.click(race);
    tmux.wait_for("demo race");
    let help = tmux.find("? help").expect("help hint in the footer");
    tmux.click(help);
    tmux.wait_for("any other key closes)");
    tmux.click((2, 2));
    tmux.wait_gone("any other key closes)");
    let quit = tmux.find("q quit").expect("quit hint");
    tmux.click(quit);
    assert_terminal_restored(&tmux);
    assert!(!tmux.mouse_captured(), "mouse reports still on after exit");
}
