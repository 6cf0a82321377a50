//! Nothing a `run` command started outlives the run: on SIGKILL of
//! corescope (headless and on the dashboard), on SIGHUP of a headless run,
//! and when the command exits by itself, whatever it started is ended:
//! children in another session (`setsid`), double-forked orphans, and
//! processes that ignore SIGTERM. With `--stay` what the command left runs
//! on (and is watched) until corescope ends. Orphans stay in the watched tree.
//!
//! Every descendant is a `sleep` whose duration marks it (unique to the test
//! and this test process), found by its command line in /proc. Deadlines are
//! generous: the claims checked are "ended", never "ended quickly".

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use common::{bin, command, one_at_a_time, python_executable, wait_until};
use serde_json::Value;

/// How long a test waits for processes to appear or to be gone.
const DEADLINE: Duration = Duration::from_secs(10);

/// The marked sleeps of one test: one in its own session, one plain
/// background child, one that ignores SIGTERM, one double-forked orphan.
struct Marks {
    durations: [String; 4],
}

impl Marks {
    /// Durations unique to test `n` of this process, e.g. `300.1234005`.
    fn new(n: u32) -> Self {
        let tag = format!("{:05}{n:02}", std::process::id() % 100_000);
        Self {
            durations: [300, 301, 302, 304].map(|base| format!("{base}.{tag}")),
        }
    }

    /// A bash script that starts the four, then runs `then`.
    fn script(&self, then: &str) -> String {
        let [own_session, plain, ignores_term, orphan] = &self.durations;
        format!(
            "setsid sleep {own_session} & sleep {plain} & \
             (trap '' TERM; sleep {ignores_term}) & ( sleep {orphan} & ) ; {then}"
        )
    }

    /// The PIDs of the marked sleeps alive now (zombies are not alive).
    fn alive(&self) -> Vec<u32> {
        self.durations
            .iter()
            .filter_map(|duration| sleep_with(duration))
            .collect()
    }

    fn all_alive(&self) -> bool {
        self.alive().len() == self.durations.len()
    }

    /// Kills any marked sleep left (a failed test leaves nothing).
    fn kill_all(&self) {
        for pid in self.alive() {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
    }
}

impl Drop for Marks {
    fn drop(&mut self) {
        self.kill_all();
    }
}

/// The live process whose command line is `sleep DURATION`.
fn sleep_with(duration: &str) -> Option<u32> {
    let entries = std::fs::read_dir("/proc").ok()?;
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .find(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|line| {
                let args: Vec<&[u8]> = line.split(|b| *b == 0).collect();
                args.first().is_some_and(|a| a.ends_with(b"sleep"))
                    && args.get(1) == Some(&duration.as_bytes())
            }) && state(*pid).is_some_and(|s| s != 'Z')
        })
}

/// A process's state letter from /proc/PID/stat.
fn state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?.1.trim_start().chars().next()
}

fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?
        .1
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn comm(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|c| c.trim().to_owned())
        .unwrap_or_default()
}

/// The guardian above `pid` (a descendant of a `run` command), if any.
fn guardian_above(pid: u32) -> Option<u32> {
    let mut at = pid;
    for _ in 0..16 {
        at = parent_of(at)?;
        if comm(at) == "corescope-guard" {
            return Some(at);
        }
    }
    None
}

fn signal(pid: u32, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &pid.to_string()])
        .status()
        .expect("kill");
    assert!(status.success(), "kill -{name} {pid} failed");
}

/// A corescope process, killed (SIGKILL) if dropped before it finished.
struct Running(Option<Child>);

impl Running {
    fn pid(&self) -> u32 {
        self.0.as_ref().map_or(0, Child::id)
    }

    /// Waits for it to exit by itself; its output.
    fn finish(mut self) -> Output {
        let child = self.0.take().expect("running");
        child.wait_with_output().expect("corescope output")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Starts `corescope run --headless [extra] -- PROGRAM ARGS`, its report and
/// stderr piped.
fn run_headless(extra: &[&str], command_line: &[&str]) -> Running {
    Running(Some(
        command()
            .args(["run", "--headless"])
            .args(extra)
            .arg("--")
            .args(command_line)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("corescope"),
    ))
}

/// Waits for all four marks to run; fails saying which were seen.
fn wait_for_marks(marks: &Marks) {
    assert!(
        wait_until(DEADLINE, || marks.all_alive()),
        "expected the four marked sleeps {:?} to run, saw {:?}",
        marks.durations,
        marks.alive()
    );
}

fn assert_all_gone(marks: &Marks, after: &str) {
    assert!(
        wait_until(DEADLINE, || marks.alive().is_empty()),
        "expected every descendant gone after {after}; still alive: {:?} (of {:?})",
        marks.alive(),
        marks.durations
    );
}

fn report(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "expected exit 0, got {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|err| {
        panic!(
            "expected one JSON report on stdout ({err}), got: {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// A file whose creation lets a script go on: `while [ ! -e F ]` in bash.
fn go_file(name: &str) -> PathBuf {
    let path =
        std::env::temp_dir().join(format!("corescope-lifetime-{name}-{}", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

fn wait_for_file(path: &Path) -> String {
    format!("while [ ! -e {} ]; do sleep 0.05; done", path.display())
}

#[test]
fn sigkill_of_a_headless_run_ends_every_descendant() {
    let _cores = one_at_a_time();
    let marks = Marks::new(1);
    let run = run_headless(&[], &["bash", "-c", &marks.script("sleep 303")]);
    wait_for_marks(&marks);
    let guardian = marks.alive().first().and_then(|pid| guardian_above(*pid));
    drop(run); // SIGKILL: no code of corescope runs
    assert_all_gone(&marks, "SIGKILL of corescope");
    if let Some(guardian) = guardian {
        assert!(
            wait_until(DEADLINE, || state(guardian).is_none()),
            "expected the guardian {guardian} gone too"
        );
    }
}

#[test]
fn sighup_of_a_headless_run_reports_and_ends_every_descendant() {
    let _cores = one_at_a_time();
    let marks = Marks::new(2);
    let run = run_headless(&["--json"], &["bash", "-c", &marks.script("sleep 303")]);
    wait_for_marks(&marks);
    signal(run.pid(), "HUP");
    let out = run.finish();
    let report = report(&out);
    assert_eq!(
        report["stopped"], true,
        "expected a run stopped by corescope: {report}"
    );
    assert_eq!(report["signal"], "SIGTERM", "{report}");
    assert!(
        report["descendants_ended"].as_u64() >= Some(4),
        "expected at least the four marked sleeps ended besides bash: {report}"
    );
    assert_all_gone(&marks, "SIGHUP of corescope");
}

#[test]
fn a_command_that_exits_by_itself_takes_what_it_left_with_it() {
    let _cores = one_at_a_time();
    let marks = Marks::new(3);
    let go = go_file("natural");
    let script = marks.script(&wait_for_file(&go));
    let run = run_headless(&["--json"], &["bash", "-c", &script]);
    wait_for_marks(&marks);
    std::fs::write(&go, b"").expect("go");
    let out = run.finish();
    let _ = std::fs::remove_file(&go);
    let report = report(&out);
    assert_eq!(report["exit_code"], 0, "{report}");
    assert_eq!(report["stopped"], false, "it exited by itself: {report}");
    assert_eq!(
        report["descendants_ended"], 4,
        "expected the four it left running ended: {report}"
    );
    assert_all_gone(&marks, "the command's own exit");
}

#[test]
fn orphans_stay_in_the_tree_and_the_guardian_stays_out_of_it() {
    let _cores = one_at_a_time();
    let spin = "import time\nend = time.time() + 1.5\nwhile time.time() < end: pass";
    let script = format!("( {} -c '{spin}' & ) ; sleep 2", python_executable());
    let out = run_headless(&["--json"], &["sh", "-c", &script]).finish();
    let report = report(&out);
    let names = |key: &str| -> Vec<String> {
        report[key]
            .as_array()
            .unwrap_or_else(|| panic!("no {key} in {report}"))
            .iter()
            .filter_map(|p| p["name"].as_str().map(str::to_owned))
            .collect()
    };
    let processes = names("per_process");
    assert!(
        processes.iter().any(|n| n.starts_with("python")),
        "expected the double-forked python in per_process, saw {processes:?}"
    );
    let threads = names("per_thread");
    assert!(
        threads.iter().any(|n| n.starts_with("python")),
        "expected the orphan's thread in per_thread, saw {threads:?}"
    );
    for name in processes.iter().chain(&threads) {
        assert!(
            !name.starts_with("corescope"),
            "expected no corescope process in the report, saw {name}"
        );
    }
    assert!(
        report["processes"]["peak"].as_u64() >= Some(2),
        "sleep (or sh) and the orphan: {report}"
    );
}

/// The dashboard in tmux running `script` under `run [extra]`.
fn dashboard(name: &str, extra: &str, script: &str) -> common::Tmux {
    let tmux = common::Tmux::start(name, 100, 30);
    tmux.type_line(&format!(
        "cd {} && {} run {extra} -- bash -c \"{script}\"; echo status=$?",
        tmux.dir.display(),
        bin()
    ));
    tmux
}

#[test]
fn sigkill_of_the_dashboard_ends_every_descendant() {
    let _cores = one_at_a_time();
    if !common::tmux_available() {
        return;
    }
    let marks = Marks::new(4);
    let tmux = dashboard("lifetime-kill", "", &marks.script("sleep 303"));
    tmux.wait_for("run PID");
    wait_for_marks(&marks);
    let corescope = marks
        .alive()
        .first()
        .and_then(|pid| guardian_above(*pid))
        .and_then(parent_of)
        .unwrap_or_else(|| panic!("no guardian above the marks; screen:\n{}", tmux.screen()));
    assert_eq!(comm(corescope), "corescope", "the guardian's parent");
    signal(corescope, "KILL");
    assert_all_gone(&marks, "SIGKILL of the dashboard");
}

#[test]
fn with_stay_what_the_command_left_runs_until_corescope_ends() {
    let _cores = one_at_a_time();
    if !common::tmux_available() {
        return;
    }
    let marks = Marks::new(5);
    let go = go_file("stay");
    let tmux = dashboard(
        "lifetime-stay",
        "--stay --interval 100",
        &marks.script(&wait_for_file(&go)),
    );
    wait_for_marks(&marks);
    std::fs::write(&go, b"").expect("go");
    tmux.wait_for("exited with code 0");
    // The command's exit has been seen and acted on: what it left still runs.
    assert!(
        marks.all_alive(),
        "expected the four left running with --stay, saw {:?}; screen:\n{}",
        marks.alive(),
        tmux.screen()
    );
    tmux.send(&["q"]);
    let screen = tmux.wait_for("status=0");
    let _ = std::fs::remove_file(&go);
    assert!(
        screen.contains("corescope ended 4 more processes it had started"),
        "expected the report to say what was ended; screen:\n{screen}"
    );
    assert_all_gone(&marks, "quitting a --stay dashboard");
}

#[test]
fn the_command_starts_with_no_signal_blocked_and_sigpipe_at_its_default() {
    let log = go_file("signals");
    let log_arg = log.display().to_string();
    let out = run_headless(
        &["--json", "--log", &log_arg],
        &["grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"],
    )
    .finish();
    report(&out);
    let status = std::fs::read_to_string(&log).expect("log");
    let _ = std::fs::remove_file(&log);
    let mask = |key: &str| -> u64 {
        status
            .lines()
            .find_map(|line| line.strip_prefix(key))
            .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
            .unwrap_or_else(|| panic!("no {key} in {status}"))
    };
    assert_eq!(mask("SigBlk:"), 0, "expected nothing blocked: {status}");
    let sigpipe = 1 << (13 - 1);
    assert_eq!(
        mask("SigIgn:") & sigpipe,
        0,
        "expected SIGPIPE not ignored: {status}"
    );
}

#[test]
fn a_command_that_exits_at_once_is_never_reported_as_stopped() {
    let _cores = one_at_a_time();
    // The run ends when the sampler sees the command exited, which can be
    // before the guardian has said how: the report must still not claim
    // that corescope stopped it.
    for _ in 0..20 {
        let report = report(&run_headless(&["--json"], &["sh", "-c", "exit 7"]).finish());
        assert_eq!(report["exit_code"], 7, "{report}");
        assert_eq!(
            report["stopped"], false,
            "expected a command that exited by itself: {report}"
        );
    }
}
