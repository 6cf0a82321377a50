//! Which lock: corescope's lock table against programs that time their own
//! waits.
//!
//! `tests/locks/locks.c` is built with the system C compiler; its threads
//! time themselves inside `pthread_mutex_lock` and write the totals per lock
//! to `LOCKS_OUT`. The checks are orders, names, kinds and owners, which
//! hold however busy the machine is; corescope's blocked time against the
//! program's own (within 10% on a quiet machine) is compared by
//! `scripts/check-locks.sh`, which prints both, since a busy machine adds
//! run-queue time after each wake to the program's figure and not to
//! corescope's (it counts time asleep on the lock).

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::{Tmux, bin, command, one_at_a_time, python_executable, tmux_available};
use serde_json::Value;

/// The lock program, built once per test binary.
fn program() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("locks");
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/locks/locks.c");
        let status = Command::new("cc")
            .args(["-O1", "-pthread", "-o"])
            .arg(&out)
            .arg(&source)
            .status()
            .expect("a C compiler (cc) must be installed");
        assert!(status.success(), "cc could not build {}", source.display());
        out
    })
}

/// `corescope run --headless --json -- PROGRAM ARGS` with `LOCKS_OUT` set:
/// the report, and what the program wrote there.
fn run(program: &str, args: &[&str], name: &str) -> (Value, HashMap<String, f64>) {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("locks-{name}.out"));
    let _ = std::fs::remove_file(&out);
    let output = command()
        .args(["run", "--headless", "--json", "--"])
        .arg(program)
        .args(args)
        .env("LOCKS_OUT", &out)
        .output()
        .expect("run corescope");
    let printed = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "corescope run failed: {printed}");
    let report: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {printed}"));
    assert_eq!(report["exit_code"], 0, "the program failed: {printed}");
    let truth = std::fs::read_to_string(&out)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| line.split_once(' '))
        .filter_map(|(k, v)| Some((k.to_owned(), v.parse().ok()?)))
        .collect();
    (report, truth)
}

/// The report's locks, which must be known (our own program).
fn locks(report: &Value) -> &Vec<Value> {
    report["locks"]
        .as_array()
        .unwrap_or_else(|| panic!("expected a lock table, found {}", report["locks"]))
}

/// The first lock whose label contains `name`, and its rank.
fn find<'a>(locks: &'a [Value], name: &str) -> (usize, &'a Value) {
    locks
        .iter()
        .enumerate()
        .find(|(_, l)| l["label"].as_str().is_some_and(|s| s.contains(name)))
        .unwrap_or_else(|| {
            let labels: Vec<&Value> = locks.iter().map(|l| &l["label"]).collect();
            panic!("expected a lock labelled {name:?}, found {labels:?}")
        })
}

/// The TIDs the report lists for process `pid`.
fn tids_of(report: &Value, pid: &Value) -> Vec<i64> {
    report["per_thread"]
        .as_array()
        .expect("per_thread")
        .iter()
        .filter(|t| t["pid"] == *pid)
        .filter_map(|t| t["tid"].as_i64())
        .collect()
}

#[test]
fn the_most_waited_static_mutex_is_on_top_named_with_its_owner() {
    let _cores = one_at_a_time();
    let program = program().display().to_string();
    let (report, truth) = run(&program, &["named", "3"], "named");
    assert!(
        truth["busy_lock"] > truth["quiet_lock"],
        "the program's own figures must rank busy_lock first: {truth:?}"
    );
    let locks = locks(&report);
    let (busy_rank, busy) = find(locks, "busy_lock");
    let (quiet_rank, quiet) = find(locks, "quiet_lock");
    assert_eq!(busy_rank, 0, "expected busy_lock on top, found {locks:#?}");
    assert!(busy_rank < quiet_rank);
    assert_eq!(busy["symbol"], "busy_lock");
    assert_eq!(quiet["symbol"], "quiet_lock");
    assert_eq!(
        busy["kind"], "mutex",
        "a glibc mutex with its owner word: {busy}"
    );
    let busy_ms = busy["blocked_ms"].as_f64().expect("blocked_ms");
    assert!(
        busy_ms > 0.0 && busy_ms > quiet["blocked_ms"].as_f64().expect("blocked_ms"),
        "expected more blocked time on busy_lock than on quiet_lock: {busy} {quiet}"
    );
    let tids = tids_of(&report, &busy["pid"]);
    let waiters = busy["threads"].as_array().expect("threads");
    assert!(
        waiters.len() >= 2
            && waiters
                .iter()
                .all(|t| tids.contains(&t.as_i64().unwrap_or(-1))),
        "expected busy_lock's waiters among the program's threads {tids:?}, found {waiters:?}"
    );
    assert!(busy["waiters"]["max"].as_u64().expect("max") >= 1);
    let owner = &busy["owner_tid"];
    assert!(
        owner.is_null() || tids.contains(&owner.as_i64().unwrap_or(-1)),
        "expected the owner to be one of the program's threads {tids:?}, found {owner}"
    );
    let share = busy["wait_share"].as_f64().expect("wait_share");
    assert!(
        (0.0..=1.0).contains(&share),
        "wait_share out of 0..1: {share}"
    );
}

#[test]
fn a_mutex_from_malloc_is_labelled_by_the_heap() {
    let _cores = one_at_a_time();
    let program = program().display().to_string();
    let (report, truth) = run(&program, &["heap", "2"], "heap");
    assert!(truth["heap_lock"] > 0.0, "the program waited: {truth:?}");
    let locks = locks(&report);
    let (_, heap) = find(locks, "[heap] 0x");
    assert!(heap["symbol"].is_null(), "no symbol names the heap: {heap}");
    assert_eq!(heap["kind"], "mutex");
    assert_eq!(
        heap["label"]
            .as_str()
            .map(|l| l.trim_start_matches("[heap] ")),
        heap["address"].as_str(),
        "the label carries the address"
    );
}

/// Four CPU-bound threads of `python`: each waits for the GIL while another
/// holds it.
fn spinners_wait_on_the_gil(python: &str) {
    let code = "import threading, time\n\
        def spin():\n    end = time.time() + 2\n    while time.time() < end: pass\n\
        ts = [threading.Thread(target=spin) for _ in range(4)]\n\
        [t.start() for t in ts]\n[t.join() for t in ts]\n";
    let (report, _) = run(python, &["-c", code], "gil");
    let locks = locks(&report);
    let (_, gil) = find(locks, "CPython GIL");
    // On top by threads that waited: by time, the main thread's join (one
    // thread, asleep throughout) may outweigh spinners that a busy machine
    // keeps in the run queue more than asleep on the GIL.
    let threads = |l: &Value| l["threads"].as_array().map_or(0, Vec::len);
    let most = locks.iter().map(threads).max().unwrap_or(0);
    assert_eq!(
        threads(gil),
        most,
        "{python}: expected the GIL to be the lock most threads waited on, found {locks:#?}"
    );
    assert!(
        gil["symbol"]
            .as_str()
            .is_some_and(|s| s.starts_with("_PyRuntime")),
        "{python}: {gil}"
    );
    let waiters = threads(gil);
    assert!(
        waiters >= 3,
        "{python}: expected at least 3 of the 4 spinning threads to wait for the GIL, found {gil}"
    );
    // The main thread's join waits on a `threading.Lock`, a semaphore that
    // glibc waits on as it waits on a condition: never called a condition.
    for lock in locks
        .iter()
        .filter(|l| !l["label"].as_str().unwrap_or("").starts_with("CPython GIL"))
    {
        assert_ne!(
            lock["kind"], "condition",
            "{python}: expected only the GIL to be called a condition (a semaphore waits alike), found {lock}"
        );
    }
}

#[test]
fn a_python_lock_is_named_as_the_program_names_it() {
    let _cores = one_at_a_time();
    // Three threads take turns on one lock, each holding it asleep for
    // 20 ms: the other two wait on it, however busy the machine.
    let script = Path::new(env!("CARGO_TARGET_TMPDIR")).join("queue_lock.py");
    std::fs::write(
        &script,
        "import threading, time\n\
         queue_lock = threading.Lock()\n\
         def worker():\n    end = time.time() + 2\n    while time.time() < end:\n        \
         with queue_lock:\n            time.sleep(0.02)\n\
         ts = [threading.Thread(target=worker) for _ in range(3)]\n\
         [t.start() for t in ts]\n[t.join() for t in ts]\n",
    )
    .expect("write the script");
    let (report, _) = run(
        python_executable(),
        &[&script.display().to_string()],
        "python-lock",
    );
    let (_, lock) = find(locks(&report), "queue_lock (queue_lock.py:2)");
    let waiters = lock["threads"].as_array().map_or(0, Vec::len);
    assert!(
        waiters >= 2
            && lock["address"]
                .as_str()
                .is_some_and(|a| a.starts_with("0x")),
        "expected the futex lock the workers waited on, at its address, with at least 2 \
         of the 3 workers, named after the Python lock; found {lock}"
    );
}

#[test]
fn cpu_bound_python_threads_wait_on_the_gil() {
    let _cores = one_at_a_time();
    spinners_wait_on_the_gil(python_executable());
}

#[test]
fn the_gil_of_python_3_13_is_found_too() {
    let _cores = one_at_a_time();
    // pyenv's interpreters, where installed: 3.13 keeps its GIL inside the
    // main interpreter, itself inside `_PyRuntime`.
    let versions = Path::new(&std::env::var_os("HOME").unwrap_or_default()).join(".pyenv/versions");
    let python = std::fs::read_dir(&versions).ok().and_then(|entries| {
        entries
            .filter_map(Result::ok)
            .map(|e| e.path().join("bin/python3.13"))
            .find(|p| p.exists())
    });
    let Some(python) = python else {
        eprintln!("note: no python3.13 under {}, skipped", versions.display());
        return;
    };
    spinners_wait_on_the_gil(&python.display().to_string());
}

/// `run -- locks named 600` on a `width` x `height` terminal: the Locks
/// panel names `busy_lock` and the thread table says who waits on it.
fn locks_on_screen(width: u16, height: u16) {
    let _cores = one_at_a_time();
    if !tmux_available() {
        return;
    }
    let program = program().display().to_string();
    let tmux = Tmux::start(&format!("locks{width}"), width, height);
    tmux.type_line(&format!("{} run -- {program} named 600", bin()));
    let screen = tmux.wait_for("busy_lock");
    assert!(
        screen.contains("Locks"),
        "expected a Locks panel at {width}x{height}:\n{screen}"
    );
    tmux.wait_for("WAITING ON");
    tmux.send(&["q"]);
    tmux.wait_gone("WAITING ON");
}

#[test]
fn the_locks_panel_names_the_lock_at_80x24() {
    locks_on_screen(80, 24);
}

#[test]
fn the_locks_panel_names_the_lock_at_200x60() {
    locks_on_screen(200, 60);
}
