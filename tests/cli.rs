//! The command-line contract, end to end: exit codes, one clear error line,
//! and the headless watch report of a real program.

mod common;

use common::{corescope, python};
use serde_json::Value;

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn help_lists_every_subcommand_of_the_contract() {
    let out = corescope(&["--help"]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for sub in ["list", "demo", "compare", "watch", "run"] {
        assert!(help.contains(sub), "help lacks `{sub}`:\n{help}");
    }
}

#[test]
fn an_unknown_pid_exits_1_with_one_clear_line() {
    let out = corescope(&["watch", "999999999"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("no process with PID 999999999"), "{err}");
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["watch", "abc"][..],
        &["watch", "0"],
        &["--interval", "10"],
        &["watch", "1", "--headless", "--duration", "-1"],
        &["no-such-command"],
    ] {
        let out = corescope(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr_of(&out));
    }
}

#[test]
fn the_dashboard_refuses_a_pipe_with_a_hint() {
    let out = corescope(&["watch", &std::process::id().to_string()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr_of(&out).contains("--headless"),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn watching_python_with_eight_sleeping_threads_counts_nine() {
    let _cores = common::one_at_a_time();
    let program = python(
        "import threading, time\n\
         for i in range(8):\n    threading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n\
         time.sleep(60)",
        9,
    );
    let pid = program.0.id().to_string();
    let out = corescope(&[
        "watch",
        &pid,
        "--headless",
        "--duration",
        "1",
        "--json",
        "--interval",
        "200",
    ]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        report["pid"].as_i64(),
        Some(i64::from(program.0.id() as i32))
    );
    assert_eq!(report["threads"]["now"], 9);
    assert_eq!(report["processes"]["now"], 1);
    let rows = report["per_thread"].as_array().expect("per_thread");
    assert_eq!(rows.len(), 9);
    assert!(
        rows.iter()
            .all(|r| r["name"].as_str().is_some_and(|n| !n.is_empty()))
    );
    assert!(
        rows.iter().all(|r| r["state"] == "S"),
        "all asleep: {rows:?}"
    );
    assert!(report["parallelism"]["mean"].as_f64().expect("mean") < 0.2);
    let command = report["command"].as_str().expect("command");
    assert!(
        command.contains("python") && command.contains("threading"),
        "{command}"
    );
    let samples = report["samples"].as_u64().expect("samples");
    assert!(
        (5..=7).contains(&samples),
        "1 s at 200 ms: {samples} samples"
    );
}

#[test]
fn watching_a_busy_program_sees_it_use_a_core() {
    let _cores = common::one_at_a_time();
    let program = python("while True: pass", 1);
    let pid = program.0.id().to_string();
    let out = corescope(&["watch", &pid, "--headless", "--duration", "1", "--json"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    let mean = report["parallelism"]["mean"].as_f64().expect("mean");
    // One spinning thread is at most one core, whatever else runs; how much
    // of one it gets depends on the machine's other work.
    assert!(
        mean > 0.0 && mean <= 1.05,
        "expected a spinning thread to keep between 0 and 1 core busy, saw {mean}"
    );
    let cores = report["cpu"]["cores"].as_u64().expect("cores") as usize;
    assert_eq!(
        report["cpu"]["busy_pct"].as_array().map(Vec::len),
        Some(cores)
    );
}

#[test]
fn a_watched_process_that_exits_ends_the_run_with_a_report() {
    let _cores = common::one_at_a_time();
    let program = python("import time; time.sleep(0.6)", 1);
    let pid = program.0.id().to_string();
    // It ends by itself when the process does (a run that never did would
    // fail as stuck).
    let out = corescope(&["watch", &pid, "--headless", "--json", "--interval", "100"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["threads"]["now"], 0);
    assert_eq!(report["threads"]["peak"], 1);
}

#[test]
fn the_human_report_is_a_short_table() {
    let _cores = common::one_at_a_time();
    let out = corescope(&[
        "watch",
        &std::process::id().to_string(),
        "--headless",
        "--duration",
        "0.3",
    ]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("parallelism") && text.contains("TID"),
        "{text}"
    );
}

#[test]
fn a_broken_lesson_file_is_named_with_its_line() {
    let dir = std::env::temp_dir().join(format!("corescope-lesson-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("broken.toml");
    std::fs::write(
        &file,
        "title = \"mine\"\n\n[[step]]\ntitle = \"typo\"\ndemo = \"raec\"\nnotes = \"a\\nb\"\n",
    )
    .expect("write");
    let out = corescope(&["--lesson", file.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert!(
        err.contains("broken.toml: line 3: step `typo`: unknown demo `raec`"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn completions_and_the_manual_come_from_the_cli_definition() {
    for shell in ["bash", "zsh", "fish"] {
        let out = corescope(&["completions", shell]);
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(
            script.contains("corescope") && script.contains("compare"),
            "{shell}: {script}"
        );
    }
    assert_eq!(corescope(&["completions", "tcsh"]).status.code(), Some(2));
    let man = corescope(&["man"]);
    assert!(man.status.success());
    let page = String::from_utf8_lossy(&man.stdout);
    assert!(
        page.contains(".TH corescope") && page.contains(".TH corescope-demo"),
        "{page}"
    );
    assert!(
        !page.contains("corescope-worker"),
        "the internal worker command is not documented"
    );
}

#[test]
fn list_json_gives_the_most_workers_each_mode_runs() {
    let out = common::corescope(&["list", "--json"]);
    assert!(out.status.success());
    let demos: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let param = |demo: &str, name: &str| {
        demos
            .as_array()
            .and_then(|d| d.iter().find(|d| d["name"] == demo))
            .and_then(|d| d["params"].as_array())
            .and_then(|p| p.iter().find(|p| p["name"] == name))
            .cloned()
            .unwrap_or_else(|| panic!("{demo} --{name} in {demos}"))
    };
    let workers = param("cpu-vs-io", "workers");
    assert_eq!(workers["max_by_mode"]["threads"], 4096, "{workers}");
    assert_eq!(workers["max_by_mode"]["processes"], 64, "{workers}");
    let manager = param("manager", "workers");
    assert_eq!(
        manager["max_by_mode"]["processes"], 63,
        "its server is one: {manager}"
    );
}
