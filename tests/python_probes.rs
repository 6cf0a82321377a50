//! `corescope run -- python3 PROGRAM`: the probes of a Python program, end
//! to end. The lesson programs in assets/python (in the course notes' style)
//! and a few written here run headless; their reports must name every lock,
//! semaphore and queue by its variable and line, keep the invariants of each
//! (a `Semaphore(2)` never has 3 in use, a queue's puts equal its gets), see
//! child processes, and leave the program's output and exit code as they are
//! without probes. Nothing here depends on how fast the machine is: the one
//! timing asserted (a wait behind a 50 ms sleep is at least 40 ms) is a lower
//! bound the program itself guarantees.

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;

use common::{command, output_of};
use serde_json::Value;

/// What one headless run gave.
struct Ran {
    report: Value,
    /// The program's stdout and stderr, from its log file.
    log: String,
    /// corescope's stderr.
    notices: String,
}

/// A file under this test binary's scratch directory.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("python-probes");
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir.join(name)
}

/// A program written for one test.
fn program(name: &str, text: &str) -> PathBuf {
    let path = scratch(name);
    std::fs::write(&path, text).expect("write the program");
    path
}

fn lesson(name: &str) -> String {
    format!("{}/assets/python/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Runs `corescope run --headless --json [flags] -- python ARGS` with the
/// program's output in a log named after `tag`.
fn run(tag: &str, flags: &[&str], python: &str, args: &[&str], env: &[(&str, &str)]) -> Ran {
    let log = scratch(&format!("{tag}.log"));
    let _ = std::fs::remove_file(&log);
    let mut cmd = command();
    cmd.args(["run", "--headless", "--json", "--log"])
        .arg(&log)
        .args(flags)
        .arg("--")
        .arg(python)
        .args(args)
        .env_remove("PYTHONPATH")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in env {
        cmd.env(key, value);
    }
    let out = output_of(cmd.spawn().expect("start corescope"), tag);
    let notices = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "corescope failed for {tag}: {notices}"
    );
    let report = serde_json::from_slice(&out.stdout).expect("stdout is one JSON report");
    let log = std::fs::read_to_string(&log).expect("the log file");
    Ran {
        report,
        log,
        notices,
    }
}

/// `python3` from PATH, with probes.
fn probed(tag: &str, args: &[&str]) -> Ran {
    run(tag, &[], "python3", args, &[])
}

/// The entry of `list` (`locks`, `semaphores`, `queues`) named `name`.
fn entry<'a>(ran: &'a Ran, list: &str, name: &str) -> &'a Value {
    let entries = ran.report[list]
        .as_array()
        .unwrap_or_else(|| panic!("expected a {list}[] list in the report: {}", ran.report));
    entries
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| {
            let names: Vec<_> = entries.iter().map(|e| e["name"].to_string()).collect();
            panic!("expected {list}[] to hold `{name}`; it holds {names:?}")
        })
}

fn number(value: &Value, key: &str) -> u64 {
    value[key]
        .as_u64()
        .unwrap_or_else(|| panic!("expected a number at `{key}` in {value}"))
}

#[test]
fn a_locked_counter_shows_its_lock_by_name_and_line() {
    let ran = probed("counter", &[&lesson("counter.py"), "locked"]);
    let lock = entry(&ran, "locks", "lock (counter.py:20)");
    assert_eq!(lock["type"], "Lock");
    assert_eq!(
        number(lock, "acquires"),
        400_000,
        "4 threads x 100000 increments under the lock"
    );
    assert!(number(lock, "contended") <= number(lock, "acquires"));
    assert!(
        ran.log.contains("With the lock: 400000 (expected 400000)"),
        "{}",
        ran.log
    );
    assert_eq!(ran.report["probes"]["on"], true);
    assert_eq!(ran.report["exit_code"], 0);
}

#[test]
fn a_semaphore_of_2_has_2_in_use_at_most_and_reaches_2() {
    let ran = probed("semaphore", &[&lesson("semaphore.py")]);
    let sem = entry(&ran, "semaphores", "sem (semaphore.py:15)");
    assert_eq!(number(sem, "permits"), 2);
    assert_eq!(
        number(sem, "peak_in_use"),
        2,
        "five tasks that each hold it 300 ms: two at once, never three"
    );
    assert_eq!(number(sem, "acquires"), 5);
    assert_eq!(number(sem, "in_use"), 0, "all released at the end");
    assert!(
        number(sem, "peak_waiters") >= 1,
        "three tasks had to wait: {sem}"
    );
}

#[test]
fn a_producer_consumer_queue_ends_with_as_many_gets_as_puts() {
    let ran = probed("producer_consumer", &[&lesson("producer_consumer.py")]);
    let q = entry(&ran, "queues", "q (producer_consumer.py:17)");
    assert_eq!((number(q, "sent"), number(q, "received")), (10, 10), "{q}");
    assert_eq!(number(q, "capacity"), 3);
    assert!(
        (1..=3).contains(&number(q, "peak_depth")),
        "a queue of maxsize 3 holds 1 to 3 items at its peak: {q}"
    );
    assert_eq!(number(q, "depth"), 0, "q.join() returned: empty");
    assert!(ran.log.contains("All items processed"), "{}", ran.log);
}

#[test]
fn a_multiprocessing_queue_is_counted_in_the_child_processes() {
    let ran = probed("sender_receiver", &[&lesson("sender_receiver.py")]);
    let q = entry(&ran, "queues", "queue (sender_receiver.py:41)");
    assert_eq!(q["type"], "mp.Queue");
    assert_eq!(
        (
            number(q, "sent"),
            number(q, "received"),
            number(q, "sentinels")
        ),
        (6, 6, 1),
        "five numbers and the None sentinel, each put once and got once: {q}"
    );
    assert!(
        number(q, "processes") >= 2,
        "the sender's puts and the receiver's gets come from child processes: {q}"
    );
    let expected = "Received: 0\nReceived: 1\nReceived: 2\nReceived: 3\nReceived: 4\n";
    assert_eq!(ran.log, expected);
}

#[test]
fn spawned_children_load_the_probes_too() {
    let text = std::fs::read_to_string(lesson("sender_receiver.py")).expect("lesson");
    let spawned = text.replace(
        "from multiprocessing import Process, Queue\n",
        "from multiprocessing import Process, Queue, set_start_method; set_start_method(\"spawn\", force=True)\n",
    );
    let path = program("sender_receiver.py", &spawned);
    let ran = probed("spawned", &[path.to_str().expect("utf-8")]);
    let q = entry(&ran, "queues", "queue (sender_receiver.py:41)");
    assert_eq!((number(q, "sent"), number(q, "received")), (6, 6), "{q}");
    assert!(number(q, "processes") >= 2, "{q}");
}

#[test]
fn a_sleep_inside_a_lock_shows_in_the_wait_p99() {
    // The holder sleeps 50 ms with the lock only once the waiter says it is
    // about to ask for it, three times: each wait is close to 50 ms.
    let path = program(
        "slow_lock.py",
        "import threading, time\n\
         lock = threading.Lock()\n\
         ready = threading.Event()\n\
         def waiter():\n\
         \x20   for _ in range(3):\n\
         \x20       ready.wait(); ready.clear()\n\
         \x20       with lock:\n\
         \x20           pass\n\
         def holder():\n\
         \x20   for _ in range(3):\n\
         \x20       with lock:\n\
         \x20           ready.set()\n\
         \x20           time.sleep(0.05)\n\
         \x20       time.sleep(0.01)\n\
         t = threading.Thread(target=waiter); t.start(); holder(); t.join()\n",
    );
    let ran = probed("slow_lock", &[path.to_str().expect("utf-8")]);
    let lock = entry(&ran, "locks", "lock (slow_lock.py:2)");
    let p99 = lock["wait_ns"]["p99"].as_u64().unwrap_or(0);
    assert!(
        p99 >= 40_000_000,
        "expected a wait p99 of at least 40 ms behind a 50 ms sleep; got {p99} ns in {lock}"
    );
    assert!(number(lock, "contended") >= 1, "{lock}");
}

#[test]
fn every_kind_of_primitive_is_named_by_its_variable_and_line() {
    let path = program(
        "kinds.py",
        "import threading, queue, multiprocessing\n\
         a = threading.Lock()\n\
         b = threading.RLock()\n\
         c = threading.BoundedSemaphore(3)\n\
         d = queue.LifoQueue()\n\
         e = queue.PriorityQueue(5)\n\
         f = queue.SimpleQueue()\n\
         g = multiprocessing.Lock()\n\
         h = multiprocessing.get_context('spawn').Semaphore(4)\n\
         i = multiprocessing.JoinableQueue()\n\
         with b:\n\
         \x20   with b:\n\
         \x20       pass\n\
         for q in (d, e, f):\n\
         \x20   q.put(None); q.get()\n\
         print(threading.Lock() is not None)\n\
         j = threading.Condition()\n\
         k = multiprocessing.Value('i', 0)\n\
         with j:\n\
         \x20   k.value += 1\n",
    );
    let ran = probed("kinds", &[path.to_str().expect("utf-8")]);
    for (list, name, type_name) in [
        ("locks", "a (kinds.py:2)", "Lock"),
        ("locks", "b (kinds.py:3)", "RLock"),
        ("semaphores", "c (kinds.py:4)", "BoundedSemaphore"),
        ("queues", "d (kinds.py:5)", "LifoQueue"),
        ("queues", "e (kinds.py:6)", "PriorityQueue"),
        ("queues", "f (kinds.py:7)", "SimpleQueue"),
        ("locks", "g (kinds.py:8)", "mp.Lock"),
        ("semaphores", "h (kinds.py:9)", "mp.Semaphore"),
        ("queues", "i (kinds.py:10)", "mp.JoinableQueue"),
        ("locks", "kinds.py:16", "Lock"),
        ("locks", "j (kinds.py:17)", "Condition"),
        ("locks", "k (kinds.py:18)", "mp.RLock"),
    ] {
        assert_eq!(entry(&ran, list, name)["type"], type_name, "{name}");
    }
    assert_eq!(
        number(entry(&ran, "locks", "b (kinds.py:3)"), "acquires"),
        1,
        "an RLock counts its outermost acquire"
    );
    assert_eq!(
        number(entry(&ran, "semaphores", "c (kinds.py:4)"), "permits"),
        3
    );
    assert_eq!(
        number(entry(&ran, "locks", "k (kinds.py:18)"), "acquires"),
        2,
        "a Value's `+= 1` reads and writes it, each under its lock"
    );
    assert_eq!(
        number(entry(&ran, "queues", "e (kinds.py:6)"), "capacity"),
        5
    );
    assert_eq!(
        number(entry(&ran, "queues", "f (kinds.py:7)"), "sentinels"),
        1
    );
}

#[test]
fn output_and_exit_code_are_the_same_with_and_without_probes() {
    let failing = program(
        "failing.py",
        "import sys, threading, queue\n\
         lock = threading.Lock()\n\
         q = queue.Queue()\n\
         with lock:\n\
         \x20   q.put(1)\n\
         print('out', q.get(), repr(lock).startswith('<'))\n\
         print('err', file=sys.stderr)\n\
         sys.exit(3)\n",
    );
    let failing = failing.to_str().expect("utf-8").to_owned();
    for (tag, args) in [
        (
            "same-counter",
            vec![lesson("counter.py"), "locked".to_owned()],
        ),
        ("same-pc", vec![lesson("producer_consumer.py")]),
        ("same-sr", vec![lesson("sender_receiver.py")]),
        ("same-failing", vec![failing]),
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let on = run(&format!("{tag}-on"), &[], "python3", &args, &[]);
        let off = run(
            &format!("{tag}-off"),
            &["--no-probes"],
            "python3",
            &args,
            &[],
        );
        assert_eq!(
            on.log, off.log,
            "{tag}: the program's output with probes and without"
        );
        assert_eq!(
            on.report["exit_code"], off.report["exit_code"],
            "{tag}: the exit code with probes and without"
        );
        // `locks[]` holds the futex words threads waited on either way;
        // without probes, none of the probes' (named) locks, and no `probes`.
        let probe_locks = off.report["locks"].as_array().map_or(0, |locks| {
            locks.iter().filter(|l| l.get("name").is_some()).count()
        });
        assert!(
            off.report.get("probes").is_none() && probe_locks == 0,
            "{tag}: --no-probes reports no probes: {}",
            off.report
        );
        assert_eq!(on.report["probes"]["on"], true, "{tag}");
        if tag == "same-failing" {
            assert_eq!(on.report["exit_code"], 3, "sys.exit(3) with probes");
            assert_eq!(on.log, "out 1 True\nerr\n");
        }
    }
}

#[test]
fn the_probes_directory_is_private_keeps_pythonpath_chains_sitecustomize_and_goes_away() {
    let user_dir = scratch("user-site");
    std::fs::create_dir_all(&user_dir).expect("dir");
    std::fs::write(
        user_dir.join("sitecustomize.py"),
        "import builtins\nbuiltins.USER_SITECUSTOMIZE = True\n",
    )
    .expect("write");
    let path = program(
        "env.py",
        "import os, stat, builtins\n\
         parts = os.environ['PYTHONPATH'].split(':')\n\
         print(parts[0])\n\
         print(oct(stat.S_IMODE(os.stat(parts[0]).st_mode)))\n\
         print(':'.join(parts[1:]))\n\
         print(getattr(builtins, 'USER_SITECUSTOMIZE', False))\n",
    );
    let user = user_dir.to_str().expect("utf-8");
    let ran = run(
        "env",
        &[],
        "python3",
        &[path.to_str().expect("utf-8")],
        &[("PYTHONPATH", user)],
    );
    let lines: Vec<&str> = ran.log.lines().collect();
    assert_eq!(lines.len(), 4, "{}", ran.log);
    assert_eq!(
        lines[1], "0o700",
        "the probes directory is the user's alone"
    );
    assert_eq!(lines[2], user, "the user's PYTHONPATH follows ours");
    assert_eq!(lines[3], "True", "the user's own sitecustomize still ran");
    assert!(
        !Path::new(lines[0]).exists(),
        "the probes directory {} is removed at the end",
        lines[0]
    );
    let off = run(
        "env-off",
        &["--no-probes"],
        "python3",
        &[path.to_str().expect("utf-8")],
        &[("PYTHONPATH", user)],
    );
    assert_eq!(
        off.log.lines().next(),
        Some(user),
        "untouched with --no-probes"
    );
}

/// Interpreters of pyenv's, when installed: `python3.13`, and one too old.
fn pyenv_python(version_prefix: &str, name: &str) -> Option<PathBuf> {
    let versions = std::fs::read_dir("/root/.pyenv/versions").ok()?;
    versions
        .flatten()
        .filter(|v| v.file_name().to_string_lossy().starts_with(version_prefix))
        .map(|v| v.path().join("bin").join(name))
        .find(|p| p.is_file())
}

#[test]
fn python_3_13_is_probed_too() {
    let Some(python) = pyenv_python("3.13", "python3.13") else {
        eprintln!("skipped: no python3.13 under /root/.pyenv/versions");
        return;
    };
    let python = python.to_str().expect("utf-8");
    let ran = run("py313-sem", &[], python, &[&lesson("semaphore.py")], &[]);
    let sem = entry(&ran, "semaphores", "sem (semaphore.py:15)");
    assert_eq!(number(sem, "peak_in_use"), 2, "{sem}");
    let ran = run(
        "py313-sr",
        &[],
        python,
        &[&lesson("sender_receiver.py")],
        &[],
    );
    let q = entry(&ran, "queues", "queue (sender_receiver.py:41)");
    assert_eq!((number(q, "sent"), number(q, "received")), (6, 6), "{q}");
}

#[test]
fn too_old_a_python_runs_unprobed_with_one_notice() {
    let Some(python) = pyenv_python("3.6", "python3.6") else {
        eprintln!("skipped: no python3.6 under /root/.pyenv/versions");
        return;
    };
    let python = python.to_str().expect("utf-8");
    let path = program(
        "old.py",
        "import threading\nlock = threading.Lock()\nprint('ran')\n",
    );
    let ran = run("old", &[], python, &[path.to_str().expect("utf-8")], &[]);
    assert_eq!(ran.log, "ran\n");
    assert_eq!(ran.report["exit_code"], 0);
    let notices: Vec<&str> = ran
        .notices
        .lines()
        .filter(|l| l.contains("probes off"))
        .collect();
    assert_eq!(
        notices.len(),
        1,
        "expected one line saying the probes are off; corescope said: {}",
        ran.notices
    );
    assert!(notices[0].contains("older than 3.8"), "{}", notices[0]);
    let probe_locks = ran.report["locks"].as_array().map_or(0, |locks| {
        locks.iter().filter(|l| l.get("name").is_some()).count()
    });
    assert_eq!(
        probe_locks, 0,
        "expected no probe lock without probes: {}",
        ran.report["locks"]
    );
}

#[test]
fn the_watch_screen_shows_the_probes_live() {
    if !common::tmux_available() {
        eprintln!("skipped: no tmux");
        return;
    }
    // Two tasks hold the semaphore for a minute, three wait for it: the
    // screen must show 2 of 2 permits in use, and 3 waiting, while it runs.
    let path = program(
        "live.py",
        "import threading, time\n\
         sem = threading.Semaphore(2)\n\
         def task():\n\
         \x20   with sem:\n\
         \x20       time.sleep(60)\n\
         for _ in range(5):\n\
         \x20   threading.Thread(target=task, daemon=True).start()\n\
         time.sleep(60)\n",
    );
    let log = scratch("live.log");
    let tmux = common::Tmux::start("python-probes", 120, 40);
    tmux.type_line(&format!(
        "{} run --log {} -- {} {}",
        common::bin(),
        log.display(),
        common::python_executable(),
        path.display()
    ));
    tmux.wait_for("probes on");
    tmux.wait_for("sem (live.py:2)");
    tmux.wait_for("2/2 permits in use");
    tmux.wait_for("waiting 3");
    tmux.send(&["q"]);
    tmux.wait_gone("probes on");
}

#[test]
fn a_pipe_counts_what_both_ends_send_and_receive_in_every_process() {
    for method in ["fork", "spawn"] {
        let path = program(
            &format!("pipe_{method}.py"),
            "import multiprocessing as mp, sys\n\
             def worker(conn):\n\
             \x20   while True:\n\
             \x20       item = conn.recv()\n\
             \x20       if item is None:\n\
             \x20           break\n\
             \x20       conn.send(item * 2)\n\
             if __name__ == '__main__':\n\
             \x20   ctx = mp.get_context(sys.argv[1])\n\
             \x20   parent_conn, child_conn = ctx.Pipe()\n\
             \x20   p = ctx.Process(target=worker, args=(child_conn,))\n\
             \x20   p.start()\n\
             \x20   for i in range(3):\n\
             \x20       parent_conn.send(i)\n\
             \x20       print(parent_conn.recv())\n\
             \x20   parent_conn.send(None)\n\
             \x20   p.join()\n",
        );
        let ran = probed(
            &format!("pipe-{method}"),
            &[path.to_str().expect("utf-8"), method],
        );
        let name = format!("parent_conn, child_conn (pipe_{method}.py:10)");
        let pipe = entry(&ran, "queues", &name);
        assert_eq!(pipe["type"], "mp.Pipe");
        assert_eq!(
            (number(pipe, "sent"), number(pipe, "received")),
            (7, 7),
            "{method}: 3 numbers there, 3 back, and the None: {pipe}"
        );
        assert_eq!(number(pipe, "processes"), 2, "{method}: {pipe}");
        assert!(
            pipe["peak_depth"].is_null(),
            "not measurable for a pipe: {pipe}"
        );
        assert_eq!(ran.log, "0\n2\n4\n", "{method}");
    }
}
