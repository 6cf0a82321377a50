//! `corescope run -- CMD` end to end, and the faults a watched program can
//! throw at corescope: a command that does not exist, one killed by a
//! signal, a zombie, a process that exits mid-watch, another user's process.
//! None of them may crash corescope or leave a process behind.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Output};

use common::{bin, command, one_at_a_time, python, python_executable, wait_until};
use serde_json::Value;

fn corescope(args: &[&str]) -> Output {
    command().args(args).output().expect("run corescope")
}

fn json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is one JSON report")
}

/// True while any process of process group `pgid` is alive.
fn group_alive(pgid: i64) -> bool {
    Command::new("pgrep")
        .args(["-g", &pgid.to_string()])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn a_command_that_does_not_exist_is_one_line_and_exit_1() {
    for args in [
        &["run", "--headless", "--", "corescope-does-not-exist"][..],
        &[
            "run",
            "--headless",
            "--json",
            "--",
            "./corescope-does-not-exist",
            "x",
        ],
    ] {
        let out = corescope(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(out.stdout.is_empty(), "no report");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with("corescope: error: cannot run `")
                && err.contains("corescope-does-not-exist`: No such file or directory"),
            "{err}"
        );
    }
}

#[test]
fn the_report_says_how_the_command_ended() {
    let report = json(&corescope(&[
        "run",
        "--headless",
        "--json",
        "--",
        "sh",
        "-c",
        "exit 3",
    ]));
    assert_eq!(report["exit_code"], 3);
    assert!(report["signal"].is_null());
    assert_eq!(report["stopped"], false);
    assert!(report["log"].is_null(), "headless output goes to stderr");

    let report = json(&corescope(&[
        "run",
        "--headless",
        "--json",
        "--",
        "sh",
        "-c",
        "kill -KILL $$",
    ]));
    assert!(report["exit_code"].is_null());
    assert_eq!(report["signal"], "SIGKILL");
}

#[test]
fn the_first_sample_already_sees_the_command_not_corescope() {
    let report = json(&corescope(&[
        "run",
        "--headless",
        "--json",
        "--",
        "sleep",
        "0.3",
    ]));
    assert_eq!(report["command"], "sleep 0.3");
    let names: Vec<&str> = report["per_process"]
        .as_array()
        .expect("per_process")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(names, ["sleep"]);
    assert_eq!(report["threads"]["peak"], 1);
}

#[test]
fn output_goes_to_stderr_or_the_log_never_into_the_json() {
    let out = corescope(&[
        "run",
        "--headless",
        "--json",
        "--",
        "sh",
        "-c",
        "echo to-out; echo to-err >&2",
    ]);
    let report = json(&out);
    assert_eq!(report["exit_code"], 0);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("to-out") && err.contains("to-err"), "{err}");

    let log = std::env::temp_dir().join(format!("corescope-run-test-{}.log", std::process::id()));
    let log_arg = log.display().to_string();
    let out = corescope(&[
        "run",
        "--headless",
        "--json",
        "--log",
        &log_arg,
        "--",
        "sh",
        "-c",
        "echo to-out; echo to-err >&2",
    ]);
    let report = json(&out);
    assert_eq!(report["log"], log_arg.as_str());
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written = std::fs::read_to_string(&log).expect("log");
    assert_eq!(written, "to-out\nto-err\n");
    let _ = std::fs::remove_file(&log);
}

#[test]
fn children_started_later_join_the_tree() {
    let _cores = one_at_a_time();
    let report = json(&corescope(&[
        "run",
        "--headless",
        "--json",
        "--interval",
        "50",
        "--",
        "sh",
        "-c",
        "sleep 0.4; sleep 0.6 & sleep 0.6 & wait",
    ]));
    assert_eq!(
        report["processes"]["peak"], 3,
        "sh and two sleeps: {report}"
    );
    assert_eq!(report["exit_code"], 0);
}

#[test]
fn a_stopped_run_ends_the_whole_tree() {
    let _cores = one_at_a_time();
    // Background children in the group, one of them in a session of its own.
    let report = json(&corescope(&[
        "run",
        "--headless",
        "--json",
        "--duration",
        "0.5",
        "--",
        "sh",
        "-c",
        "sleep 60 & setsid sleep 60 & sleep 60",
    ]));
    assert_eq!(report["stopped"], true);
    assert_eq!(report["signal"], "SIGTERM");
    assert_eq!(report["processes"]["now"], 4, "{report}");
    let pids: Vec<i64> = report["per_process"]
        .as_array()
        .expect("per_process")
        .iter()
        .filter_map(|p| p["pid"].as_i64())
        .collect();
    let alive = |pid: &i64| std::path::Path::new(&format!("/proc/{pid}")).exists();
    assert!(
        wait_until(common::DEADLINE, || !pids.iter().any(alive)),
        "left behind: {pids:?}"
    );
}

#[test]
fn a_zombie_child_shows_as_z_and_nothing_breaks() {
    let _cores = one_at_a_time();
    // The child exits at once; the parent does not reap it for a second.
    let code = "import os, time\n\
                pid = os.fork()\n\
                if pid == 0:\n    os._exit(0)\n\
                time.sleep(1)";
    let report = json(&corescope(&[
        "run",
        "--headless",
        "--json",
        "--",
        python_executable(),
        "-c",
        code,
    ]));
    let zombie = report["per_process"]
        .as_array()
        .expect("per_process")
        .iter()
        .find(|p| p["pid"] != report["pid"])
        .unwrap_or_else(|| panic!("the child was seen: {report}"));
    assert_eq!(zombie["state"], "Z", "{report}");
    assert_eq!(zombie["exited"], true);
    // The child may be caught alive in its first microseconds, never after.
    assert!(report["processes"]["peak"].as_u64() <= Some(2), "{report}");
    assert_eq!(report["exit_code"], 0);
}

#[test]
fn watching_a_process_that_exits_after_a_second_ends_with_a_report() {
    let _cores = one_at_a_time();
    let program = python("import time; time.sleep(1)", 1);
    let pid = program.0.id().to_string();
    // It ends by itself (a run that never did would fail as stuck).
    let report = json(&corescope(&[
        "watch",
        &pid,
        "--headless",
        "--json",
        "--interval",
        "100",
    ]));
    assert_eq!(report["threads"]["now"], 0);
    assert_eq!(report["threads"]["peak"], 1);
    assert!(
        report["samples"].as_u64().expect("samples") >= 5,
        "{report}"
    );
    assert!(
        report.get("exit_code").is_none(),
        "only `run` knows an exit code"
    );
}

#[test]
fn another_users_process_is_watched_with_its_secrets_unknown() {
    let _cores = one_at_a_time();
    // /proc/self belongs to our effective user.
    let root =
        std::os::unix::fs::MetadataExt::uid(&std::fs::metadata("/proc/self").expect("proc")) == 0;
    let has_runuser = Command::new("runuser").arg("--help").output().is_ok();
    if root && !has_runuser {
        eprintln!("skipping: root without runuser cannot watch as another user");
        return;
    }
    let target = python("import time; time.sleep(30)", 1);
    let pid = target.0.id().to_string();
    let args = ["watch", &pid, "--headless", "--json", "--duration", "0.5"];
    let out = if root {
        // We own the target; `nobody` watches it.
        Command::new("runuser")
            .args(["-u", "nobody", "--", bin()])
            .env_remove("XDG_CONFIG_HOME")
            .args(args)
            .output()
            .expect("runuser")
    } else {
        // Not root: our python is ours, so watch init, which is root's.
        command()
            .args(["watch", "1", "--headless", "--json", "--duration", "0.5"])
            .output()
            .expect("corescope")
    };
    let err = String::from_utf8_lossy(&out.stderr);
    if err.starts_with("runuser:") {
        eprintln!("skipping: runuser cannot switch users here: {err}");
        return;
    }
    let report = json(&out);
    assert_eq!(report["restricted"], true, "{report}");
    let thread = &report["per_thread"][0];
    assert!(thread["wchan"].is_null() && thread["futex_wait_pct"].is_null());
    assert!(thread["cpu_pct"].is_number(), "what may be read still is");
    assert!(
        report["locks"].is_null(),
        "another user's locks cannot be read, so the lock table must be unknown (null), \
         not an empty list; saw {}",
        report["locks"]
    );
}

/// The PID after `run PID ` in the dashboard's title.
fn run_pid(screen: &str) -> i64 {
    screen
        .split("run PID ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no `run PID` in:\n{screen}"))
}

#[test]
fn the_dashboard_shows_the_output_and_quitting_ends_the_command() {
    let _cores = one_at_a_time();
    if !common::tmux_available() {
        return;
    }
    let tmux = common::Tmux::start("run-quit", 100, 30);
    tmux.type_line(&format!(
        "cd {} && XDG_STATE_HOME={}/state {} run -- sh -c 'echo hello-$((6 * 7)); echo tty-$((6 * 7)) >/dev/tty; sleep 60 & sleep 60'",
        tmux.dir.display(),
        tmux.dir.display(),
        bin()
    ));
    // `hello-42` is on screen only once the command printed it.
    let screen = tmux.wait_for("hello-42");
    let pid = run_pid(&screen);
    assert!(
        screen.contains(&format!("corescope-run-{pid}.log")),
        "{screen}"
    );
    tmux.send(&["q"]);
    let screen = tmux.wait_for("(stopped by corescope)");
    assert!(screen.contains("killed by SIGTERM"), "{screen}");
    assert!(
        wait_until(common::DEADLINE, || !group_alive(pid)),
        "the command's processes outlived the dashboard"
    );
    // The log is private, in the state directory, not the current one.
    let path = tmux.file(&format!("state/corescope/corescope-run-{pid}.log"));
    let mode = std::fs::metadata(&path).map(|m| m.permissions().mode() & 0o777);
    assert_eq!(mode.ok(), Some(0o600), "{} is private", path.display());
    assert!(
        !tmux.file(&format!("corescope-run-{pid}.log")).exists(),
        "no log in the current directory"
    );
    let log = std::fs::read_to_string(&path);
    let log = log.expect("log");
    assert!(log.starts_with("hello-42\n"), "{log}");
    assert!(
        log.contains("/dev/tty"),
        "sh says it could not open it: {log}"
    );
}

#[test]
fn the_dashboard_closes_with_a_report_when_the_command_exits() {
    let _cores = one_at_a_time();
    if !common::tmux_available() {
        return;
    }
    let tmux = common::Tmux::start("run-exit", 100, 30);
    tmux.type_line(&format!(
        "cd {} && {} run --interval 100 -- sh -c 'sleep 1; exit 4'; echo status=$?",
        tmux.dir.display(),
        bin()
    ));
    tmux.wait_for("run PID");
    let screen = tmux.wait_for("status=0");
    assert!(
        screen.contains("command      exited with code 4"),
        "{screen}"
    );
    assert!(
        screen.contains("processes    0 now, 2 peak"),
        "sh and its sleep: {screen}"
    );
}

#[test]
fn a_command_that_ended_is_not_called_a_zombie() {
    let _cores = one_at_a_time();
    // corescope's guardian holds the ended command until the last sample:
    // the report tells its end by its exit code, not as an unreaped zombie.
    let report = json(&corescope(&[
        "run",
        "--headless",
        "--json",
        "--",
        "sleep",
        "0.2",
    ]));
    assert_eq!(report["exit_code"], 0, "{report}");
    assert!(
        report["root_state"].is_null(),
        "expected no root_state for a run that ended, got {}",
        report["root_state"]
    );
    let text = corescope(&["run", "--headless", "--", "sleep", "0.2"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        !text.contains("zombie"),
        "expected the text report not to call the ended command a zombie:\n{text}"
    );
}
