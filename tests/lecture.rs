//! What a lecture needs from a real terminal (tmux): Ctrl-Z and `fg` give the
//! screen back every time, and what corescope started stops with it.

mod common;

use common::{Tmux, bin, children_named, tmux_available, wait_until, workers_of};

/// The state letter of `/proc/PID/stat` (R, S, T...), `?` when it is gone.
fn state(pid: u32) -> char {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The state follows the command name, which may hold spaces and ')'.
    stat.rsplit_once(") ")
        .and_then(|(_, rest)| rest.chars().next())
        .unwrap_or('?')
}

/// The corescope process the shell in the pane started.
fn corescope_pid(tmux: &Tmux) -> u32 {
    let mut found = Vec::new();
    assert!(
        wait_until(common::DEADLINE, || {
            found = children_named(tmux.shell_pid(), "corescope");
            found.len() == 1
        }),
        "one corescope under the shell expected, found {found:?}; screen:\n{}",
        tmux.screen()
    );
    found[0]
}

/// Presses Ctrl-Z, waits for the shell's "Stopped" and for corescope to be
/// in state T, checks `also_stopped` are too, then `fg` and waits for the
/// dashboard to show `redrawn` again.
fn suspend_and_resume(tmux: &Tmux, pid: u32, also_stopped: &[u32], redrawn: &str, round: usize) {
    tmux.send(&["C-z"]);
    let mut screen = String::new();
    let stopped = wait_until(common::DEADLINE, || {
        screen = tmux.screen();
        screen.contains("Stopped") && state(pid) == 'T'
    });
    assert!(
        stopped,
        "round {round}: after Ctrl-Z the shell should say Stopped and corescope be in state T \
         (it is {}); screen:\n{screen}",
        state(pid)
    );
    for worker in also_stopped {
        let mut seen = '?';
        assert!(
            wait_until(common::DEADLINE, || {
                seen = state(*worker);
                seen == 'T'
            }),
            "round {round}: worker {worker} should be stopped (T) while corescope is suspended, \
             it is {seen}"
        );
    }
    // A clean main screen, so the next round's "Stopped" is a new one.
    tmux.type_line("clear; fg");
    // tmux shows the alternate screen's old content as soon as corescope
    // enters it again: only a screen that changes is a dashboard that draws.
    let mut screen = String::new();
    let mut previous = String::new();
    let back = wait_until(common::DEADLINE, || {
        screen = tmux.screen();
        let drawing = screen.contains(redrawn)
            && !screen.contains("Stopped")
            && previous.contains(redrawn)
            && previous != screen;
        previous.clone_from(&screen);
        drawing
    });
    assert!(
        back,
        "round {round}: after fg the dashboard should show `{redrawn}` and keep drawing; \
         screen:\n{screen}"
    );
    assert!(
        !screen.contains("error"),
        "round {round}: corescope reported an error; screen:\n{screen}"
    );
    assert!(
        matches!(state(pid), 'R' | 'S'),
        "round {round}: corescope should still run after fg, its state is {}",
        state(pid)
    );
    for worker in also_stopped {
        let mut seen = '?';
        assert!(
            wait_until(common::DEADLINE, || {
                seen = state(*worker);
                matches!(seen, 'R' | 'S')
            }),
            "round {round}: worker {worker} should run again after fg, it is {seen}"
        );
    }
}

/// Presses q and checks corescope ended with status 0 (bash's `$?` after
/// `fg` is the job's status; the rest of a command line is dropped at Ctrl-Z).
fn quit_with_success(tmux: &Tmux, pid: u32) {
    tmux.send(&["q"]);
    assert!(
        wait_until(common::DEADLINE, || state(pid) == '?'),
        "corescope should end on q; screen:\n{}",
        tmux.screen()
    );
    tmux.type_line("echo exit=$?");
    tmux.wait_for("exit=0");
}

#[test]
fn ctrl_z_then_fg_ten_times_gives_the_demo_back_every_time() {
    let _cores = common::one_at_a_time();
    if !tmux_available() {
        return;
    }
    let tmux = Tmux::start("suspend-demo", 80, 24);
    tmux.type_line(&format!("{} demo semaphore", bin()));
    tmux.wait_for("Workers");
    let pid = corescope_pid(&tmux);
    for round in 1..=10 {
        suspend_and_resume(&tmux, pid, &[], "Workers", round);
    }
    quit_with_success(&tmux, pid);
}

#[test]
fn ctrl_z_stops_a_process_demos_workers_until_fg() {
    let _cores = common::one_at_a_time();
    if !tmux_available() {
        return;
    }
    let tmux = Tmux::start("suspend-workers", 80, 24);
    tmux.type_line(&format!(
        "{} demo cpu-vs-io --mode processes --kind cpu --tasks 100000",
        bin()
    ));
    tmux.wait_for("Workers");
    let pid = corescope_pid(&tmux);
    let mut workers = Vec::new();
    assert!(
        wait_until(common::DEADLINE, || {
            workers = workers_of(pid);
            !workers.is_empty()
        }),
        "the processes demo should have started worker processes; screen:\n{}",
        tmux.screen()
    );
    for round in 1..=3 {
        suspend_and_resume(&tmux, pid, &workers, "Workers", round);
    }
    quit_with_success(&tmux, pid);
}

#[test]
fn ctrl_z_then_fg_gives_the_picker_back_and_stops_a_run_command() {
    let _cores = common::one_at_a_time();
    if !tmux_available() {
        return;
    }
    let tmux = Tmux::start("suspend-picker", 80, 24);
    tmux.type_line(bin());
    tmux.wait_for("parallelism");
    tmux.send(&["b"]);
    tmux.wait_for("choose a lesson or a demo");
    let pid = corescope_pid(&tmux);
    for round in 1..=3 {
        suspend_and_resume(&tmux, pid, &[], "choose a lesson or a demo", round);
    }
    quit_with_success(&tmux, pid);

    // From the session's scratch directory, where `run` writes its log.
    tmux.type_line(&format!(
        "clear; cd {} && {} run -- sleep 600",
        tmux.dir.display(),
        bin()
    ));
    // The run screen's headline: the tree's figures, then the machine's.
    tmux.wait_for("tree:");
    let pid = corescope_pid(&tmux);
    // The command runs under corescope's guardian process: a grandchild.
    let mut command = Vec::new();
    assert!(
        wait_until(common::DEADLINE, || {
            command = grandchildren_named(pid, "sleep");
            command.len() == 1
        }),
        "run should have started one sleep, found {command:?}"
    );
    for round in 1..=3 {
        suspend_and_resume(&tmux, pid, &command, "tree:", round);
    }
    tmux.send(&["q"]);
    assert!(
        wait_until(common::DEADLINE, || state(pid) == '?'),
        "corescope run should end on q; screen:\n{}",
        tmux.screen()
    );
}

#[test]
fn c_reruns_a_comparison_with_the_other_kind_and_r_runs_it_again() {
    let _cores = common::one_at_a_time();
    if !tmux_available() {
        return;
    }
    let tmux = Tmux::start("compare-keys", 120, 40);
    tmux.type_line(&format!(
        "{} compare --workers 2 --tasks 2 --work-ms 300",
        bin()
    ));
    tmux.wait_for("cpu tasks");
    let pid = corescope_pid(&tmux);
    tmux.wait_for("c cpu/io");
    tmux.send(&["c"]);
    tmux.wait_for("io tasks");
    // The rerun starts from the first mode again and runs to the end.
    tmux.wait_for("done");
    tmux.send(&["r"]);
    let mut screen = String::new();
    assert!(
        wait_until(common::DEADLINE, || {
            screen = tmux.screen();
            // Each io mode waits 300 ms whatever the load: the rerun is seen
            // under way in one of its five modes, not only when it is done.
            screen.contains("io tasks") && screen.contains(" of 5")
        }),
        "r should start the io comparison over from its first modes; screen:\n{screen}"
    );
    quit_with_success(&tmux, pid);
}

#[test]
fn async_permits_limit_the_tasks_in_flight_and_the_gauge_shows_them() {
    let out = common::corescope(&[
        "demo",
        "async",
        "--tasks",
        "50",
        "--permits",
        "10",
        "--work-ms",
        "100",
        "--headless",
        "--json",
        "--duration",
        "30",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
    let gauge = report["semaphores"]
        .as_array()
        .and_then(|all| all.iter().find(|s| s["name"] == "tasks in flight"))
        .unwrap_or_else(|| panic!("a `tasks in flight` semaphore in the report: {report}"));
    assert_eq!(gauge["permits"], 10, "{gauge}");
    let peak = gauge["peak_in_use"].as_u64().expect("peak");
    assert!(
        (1..=10).contains(&peak),
        "at most the 10 permits in flight, some: {gauge}"
    );
    assert!(
        gauge["peak_waiters"].as_u64().is_some_and(|w| w >= 1),
        "50 tasks for 10 permits: some must wait: {gauge}"
    );
    assert_eq!(report["tasks"]["done"], 50, "{report}");
}

#[test]
fn the_stepped_race_loses_exactly_one_update_then_counts_at_full_speed() {
    let out = common::corescope(&[
        "demo",
        "race",
        "--variant",
        "stepped",
        "--iterations",
        "1000",
        "--headless",
        "--json",
        "--duration",
        "120",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
    let variants = &report["result"]["variants"];
    assert_eq!(variants[0]["variant"], "stepped", "{report}");
    assert_eq!(
        (
            &variants[0]["expected"],
            &variants[0]["actual"],
            &variants[0]["lost_updates"]
        ),
        (
            &serde_json::json!(4),
            &serde_json::json!(3),
            &serde_json::json!(1)
        ),
        "both read 0 and both write 1 once, then one after the other: {report}"
    );
    assert_eq!(
        variants[1]["variant"], "unsynchronized",
        "the full-speed count follows: {report}"
    );
}

#[test]
fn in_the_stepped_race_the_lost_update_shows_as_it_happens() {
    let _cores = common::one_at_a_time();
    if !tmux_available() {
        return;
    }
    let tmux = Tmux::start("stepped-race", 80, 24);
    tmux.type_line(&format!("{} demo race --variant stepped", bin()));
    tmux.wait_for("read 0");
    // The second worker's write overwrites the first's: its lane says so.
    let screen = tmux.wait_for("write 1 LOST");
    assert!(screen.contains("Workers"), "{screen}");
    let pid = corescope_pid(&tmux);
    quit_with_success(&tmux, pid);
}

/// Processes named `name` among the children of `pid`'s children.
fn grandchildren_named(pid: u32, name: &str) -> Vec<u32> {
    let out = std::process::Command::new("pgrep")
        .args(["-P", &pid.to_string()])
        .output()
        .expect("pgrep");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .filter_map(|child| child.parse().ok())
        .flat_map(|child| children_named(child, name))
        .collect()
}
