//! `corescope run -- python3 PROGRAM`: the probes of `threading.Event`,
//! `Barrier`, `Condition` and `concurrent.futures` executors, the Python
//! names of a program's threads and processes, and the probes' directory
//! when corescope is killed. Each program runs under pyenv's 3.11 and 3.13
//! when installed (`python3` from PATH otherwise). The counts asserted are
//! the ones the programs make certain (a program waits until its threads
//! wait before it sets an event), never a timing.

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
}

/// A file under this test binary's scratch directory.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("python-probes-more");
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir.join(name)
}

/// A program written for one test.
fn program(name: &str, text: &str) -> String {
    let path = scratch(name);
    std::fs::write(&path, text).expect("write the program");
    path.to_str().expect("utf-8").to_owned()
}

/// pyenv's 3.11 and 3.13, those installed; `python3` when neither is.
fn pythons() -> Vec<String> {
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("/root"), PathBuf::from);
    let versions = home.join(".pyenv").join("versions");
    let mut found: Vec<String> = ["3.11", "3.13"]
        .iter()
        .filter_map(|minor| {
            let mut dirs: Vec<PathBuf> = std::fs::read_dir(&versions)
                .ok()?
                .flatten()
                .filter(|v| {
                    v.file_name()
                        .to_string_lossy()
                        .starts_with(&format!("{minor}."))
                })
                .map(|v| v.path().join("bin").join(format!("python{minor}")))
                .filter(|p| p.is_file())
                .collect();
            dirs.sort();
            dirs.pop()
        })
        .map(|p| p.to_str().expect("utf-8").to_owned())
        .collect();
    if found.is_empty() {
        eprintln!("no pyenv 3.11 nor 3.13: python3 from PATH");
        found.push("python3".to_owned());
    }
    found
}

/// Runs `corescope run --headless --json [flags] -- python ARGS`.
fn run(tag: &str, flags: &[&str], python: &str, args: &[&str]) -> Ran {
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
    let out = output_of(cmd.spawn().expect("start corescope"), tag);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "corescope failed for {tag}: {stderr}");
    let report = serde_json::from_slice(&out.stdout).expect("stdout is one JSON report");
    let log = std::fs::read_to_string(&log).expect("the log file");
    Ran { report, log }
}

/// The entry of `list` named `name`.
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

/// Three parties wait on an event the main thread sets once all three
/// wait, then pass a barrier of 3 four times; a consumer waits on a
/// condition for two items; a pool of 2 runs 6 tasks that each wait for a
/// release event, then pair up at a barrier of 2 (so both workers are busy
/// at once), submitted before the release (so at least 4 are pending).
const SYNC: &str = "\
import threading, time
import concurrent.futures as cf
gate = threading.Event()
barrier = threading.Barrier(3)
cond = threading.Condition()
items = []
def party():
    gate.wait()
    for _ in range(4):
        barrier.wait()
def consumer():
    with cond:
        cond.wait_for(lambda: len(items) == 2)
ts = [threading.Thread(target=party) for _ in range(3)]
for t in ts:
    t.start()
while len(gate._cond._waiters) < 3:
    time.sleep(0.01)
gate.set()
for t in ts:
    t.join()
c = threading.Thread(target=consumer)
c.start()
while not cond._waiters:
    time.sleep(0.01)
for i in (1, 2):
    with cond:
        items.append(i)
        cond.notify()
c.join()
release = threading.Event()
pair = threading.Barrier(2)
def task(i):
    release.wait()
    pair.wait()
    return i
with cf.ThreadPoolExecutor(max_workers=2) as pool:
    futures = [pool.submit(task, i) for i in range(6)]
    release.set()
    print(sum(f.result() for f in futures))
";

#[test]
fn events_barriers_conditions_and_a_thread_pool_keep_their_counts() {
    let path = program("sync.py", SYNC);
    for python in pythons() {
        let ran = run("sync", &[], &python, &[&path]);
        assert_eq!(ran.log, "15\n", "{python}: the program's own output");
        let gate = entry(&ran, "events", "gate (sync.py:3)");
        assert_eq!(
            (
                number(gate, "sets"),
                number(gate, "clears"),
                number(gate, "waits")
            ),
            (1, 0, 3),
            "{python}: one set, no clear, a wait by each party: {gate}"
        );
        assert_eq!(
            number(gate, "peak_waiters"),
            3,
            "{python}: the three parties were seen waiting at once: {gate}"
        );
        assert_eq!(number(gate, "waiters"), 0, "{python}: {gate}");
        assert_eq!(gate["is_set"], true, "{python}: {gate}");
        let barrier = entry(&ran, "barriers", "barrier (sync.py:4)");
        assert_eq!(
            (
                number(barrier, "parties"),
                number(barrier, "arrivals"),
                number(barrier, "trips"),
                number(barrier, "broken")
            ),
            (3, 12, 4, 0),
            "{python}: 3 parties x 4 rounds: {barrier}"
        );
        assert_eq!(
            (number(barrier, "peak_waiting"), number(barrier, "waiting")),
            (3, 0),
            "{python}: all three arrived at each trip, never more; none left: {barrier}"
        );
        let cond = entry(&ran, "conditions", "cond (sync.py:5)");
        assert_eq!(number(cond, "notifies"), 2, "{python}: {cond}");
        assert!(
            (1..=2).contains(&number(cond, "waits"))
                && (1..=2).contains(&number(cond, "notified"))
                && number(cond, "peak_waiters") == 1
                && number(cond, "waiters") == 0,
            "{python}: one consumer waited once or twice and was notified each time: {cond}"
        );
        assert_eq!(
            entry(&ran, "locks", "cond (sync.py:5)")["type"],
            "Condition",
            "{python}: the condition's lock keeps its row"
        );
        let pool = entry(&ran, "executors", "pool (sync.py:37)");
        assert_eq!(pool["type"], "ThreadPoolExecutor");
        assert_eq!(
            (
                number(pool, "workers"),
                number(pool, "submitted"),
                number(pool, "started"),
                number(pool, "finished"),
                number(pool, "cancelled")
            ),
            (2, 6, 6, 6, 0),
            "{python}: {pool}"
        );
        assert_eq!(
            number(pool, "pending"),
            number(pool, "submitted") - number(pool, "started") - number(pool, "cancelled"),
            "{python}: pending is submitted less started and cancelled: {pool}"
        );
        assert_eq!(
            number(pool, "peak_busy"),
            2,
            "{python}: the tasks pair up at a barrier of 2: both workers busy at once, never more: {pool}"
        );
        assert!(
            (4..=6).contains(&number(pool, "peak_pending")),
            "{python}: 6 submitted while at most 2 had started: {pool}"
        );
        let release = entry(&ran, "events", "release (sync.py:31)");
        assert_eq!(
            (number(release, "sets"), number(release, "waits")),
            (1, 6),
            "{python}: {release}"
        );
        let pair = entry(&ran, "barriers", "pair (sync.py:32)");
        assert_eq!(
            (number(pair, "arrivals"), number(pair, "trips")),
            (6, 3),
            "{python}: {pair}"
        );
        let off = run("sync-off", &["--no-probes"], &python, &[&path]);
        assert_eq!(off.log, ran.log, "{python}: the same output without probes");
        assert!(
            off.report.get("executors").is_none(),
            "{python}: --no-probes reports no probes"
        );
    }
}

#[test]
fn a_process_pool_counts_the_tasks_its_workers_run() {
    let path = program(
        "procpool.py",
        "import concurrent.futures as cf\n\
         def square(x):\n\
         \x20   return x * x\n\
         if __name__ == '__main__':\n\
         \x20   pool = cf.ProcessPoolExecutor(max_workers=2)\n\
         \x20   print(list(pool.map(square, range(5))))\n\
         \x20   pool.shutdown()\n",
    );
    for python in pythons() {
        let ran = run("procpool", &[], &python, &[&path]);
        assert_eq!(ran.log, "[0, 1, 4, 9, 16]\n", "{python}");
        let pool = entry(&ran, "executors", "pool (procpool.py:5)");
        assert_eq!(pool["type"], "ProcessPoolExecutor");
        assert_eq!(
            (
                number(pool, "workers"),
                number(pool, "submitted"),
                number(pool, "started"),
                number(pool, "finished"),
                number(pool, "pending"),
                number(pool, "busy")
            ),
            (2, 5, 5, 5, 0, 0),
            "{python}: five tasks, each started and finished in a worker process: {pool}"
        );
        assert!(
            pool["peak_busy"].is_null() && pool["peak_pending"].is_null(),
            "{python}: not measurable across processes, so null: {pool}"
        );
        assert!(number(pool, "processes") >= 2, "{python}: {pool}");
    }
}

/// Two named threads, a thread started bare (`_thread`: Python gives it no
/// name), a renamed main thread and a multiprocessing process, all alive
/// for 1.5 s so that samples see them.
const NAMES: &str = "\
import threading, _thread, time, multiprocessing as mp
def worker():
    time.sleep(1.5)
def bare():
    print(threading.get_native_id(), flush=True)
    time.sleep(1.5)
class SenderProcess(mp.Process):
    def run(self):
        time.sleep(1.5)
if __name__ == '__main__':
    threading.current_thread().name = 'Main (renamed)'
    ts = [threading.Thread(target=worker, name=f'worker-{i}') for i in range(2)]
    for t in ts:
        t.start()
    _thread.start_new_thread(bare, ())
    p = SenderProcess()
    p.start()
    for t in ts:
        t.join()
    p.join()
    time.sleep(0.2)
";

#[test]
fn threads_and_processes_show_their_python_names_and_nothing_else() {
    let path = program("names.py", NAMES);
    for python in pythons() {
        let ran = run("names", &[], &python, &[&path]);
        let threads = ran.report["per_thread"].as_array().expect("per_thread[]");
        let named = |name: &str| threads.iter().find(|t| t["runtime_name"] == name);
        for name in ["worker-0", "worker-1", "Main (renamed)", "SenderProcess-1"] {
            assert!(
                named(name).is_some(),
                "{python}: expected a thread whose runtime_name is {name}; the threads are {threads:?}"
            );
        }
        let root = ran.report["pid"].as_i64().expect("pid");
        let main = named("Main (renamed)").expect("seen");
        assert_eq!(main["tid"].as_i64(), Some(root), "{python}: {main}");
        let sender = named("SenderProcess-1").expect("seen");
        assert_eq!(
            sender["tid"], sender["pid"],
            "{python}: the process's main thread: {sender}"
        );
        assert_eq!(
            named("worker-0").expect("seen")["name"],
            Path::new(&python)
                .file_name()
                .expect("a name")
                .to_str()
                .expect("utf-8")[..]
                .chars()
                .take(15)
                .collect::<String>(),
            "{python}: the kernel's name is left as it is"
        );
        let bare_tid: i64 = ran
            .log
            .lines()
            .next()
            .and_then(|l| l.trim().parse().ok())
            .unwrap_or_else(|| {
                panic!(
                    "{python}: expected the bare thread's TID first: {}",
                    ran.log
                )
            });
        if let Some(bare) = threads.iter().find(|t| t["tid"] == bare_tid) {
            assert!(
                bare["runtime_name"].is_null(),
                "{python}: a thread Python never named has no runtime name: {bare}"
            );
        }
        let processes = ran.report["per_process"].as_array().expect("per_process[]");
        assert!(
            processes
                .iter()
                .any(|p| p["runtime_name"] == "SenderProcess-1" && p["pid"] == sender["pid"]),
            "{python}: expected the process named SenderProcess-1: {processes:?}"
        );
        let off = run("names-off", &["--no-probes"], &python, &[&path]);
        let unnamed = off.report["per_thread"]
            .as_array()
            .expect("per_thread[]")
            .iter()
            .chain(off.report["per_process"].as_array().expect("per_process[]"))
            .all(|t| t["runtime_name"].is_null());
        assert!(
            unnamed,
            "{python}: without probes no runtime names: {}",
            off.report
        );
    }
}

#[test]
fn the_probes_directory_goes_away_when_corescope_is_killed() {
    let path = program(
        "killed.py",
        "import os, sys, time\n\
         print(os.environ['PYTHONPATH'].split(':')[0], flush=True)\n\
         time.sleep(120)\n",
    );
    let log = scratch("killed.log");
    let _ = std::fs::remove_file(&log);
    let child = command()
        .args(["run", "--headless", "--log"])
        .arg(&log)
        .arg("--")
        .arg(common::python_executable())
        .arg(&path)
        .env_remove("PYTHONPATH")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start corescope");
    let mut corescope = common::Guarded(child);
    let mut dir = String::new();
    assert!(
        common::wait_until(common::DEADLINE, || {
            dir = std::fs::read_to_string(&log)
                .unwrap_or_default()
                .lines()
                .next()
                .unwrap_or_default()
                .to_owned();
            !dir.is_empty()
        }),
        "expected the program to print its probes directory in {}",
        log.display()
    );
    let dir = PathBuf::from(dir);
    assert!(
        dir.join("sitecustomize.py").is_file(),
        "expected the probes in {}",
        dir.display()
    );
    corescope.0.kill().expect("SIGKILL corescope");
    let _ = corescope.0.wait();
    assert!(
        common::wait_until(common::DEADLINE, || !dir.exists()),
        "expected corescope's guardian to remove the probes directory {} once corescope was killed; it holds {:?}",
        dir.display(),
        std::fs::read_dir(&dir).map(|d| d.flatten().map(|e| e.file_name()).collect::<Vec<_>>())
    );
}

#[test]
fn the_thread_table_shows_python_thread_names() {
    if !common::tmux_available() {
        eprintln!("skipped: no tmux");
        return;
    }
    // The kernel knows these threads as python3: only the probes can name them.
    let path = program(
        "named_live.py",
        "import threading, time\n\
         for name in ('fetcher-a', 'fetcher-b'):\n\
         \x20   threading.Thread(target=time.sleep, args=(60,), name=name, daemon=True).start()\n\
         time.sleep(60)\n",
    );
    let log = scratch("named_live.log");
    let tmux = common::Tmux::start("python-names", 120, 40);
    tmux.type_line(&format!(
        "{} run --log {} -- {} {path}",
        common::bin(),
        log.display(),
        common::python_executable(),
    ));
    tmux.wait_for("probes on");
    tmux.wait_for("fetcher-a");
    tmux.wait_for("fetcher-b");
    tmux.wait_for("MainThread");
    tmux.send(&["q"]);
    tmux.wait_gone("probes on");
}

#[test]
fn the_programs_view_of_the_probed_classes_is_unchanged() {
    // isinstance of the standard library's own objects (made bare), the
    // program's subclasses made anywhere, and what they print.
    let path = program(
        "classes.py",
        "import threading, queue, functools\n\
         import concurrent.futures as cf\n\
         class MyEvent(threading.Event):\n\
         \x20   def hello(self):\n\
         \x20       return 'hi'\n\
         class MyCond(threading.Condition):\n\
         \x20   pass\n\
         q = queue.Queue()\n\
         print(isinstance(q.not_empty, threading.Condition), isinstance(threading.Thread()._started, threading.Event))\n\
         print(isinstance(threading.Condition(), MyCond), isinstance(MyCond(), threading.Condition))\n\
         print(functools.partial(MyEvent)().hello(), issubclass(MyEvent, threading.Event))\n\
         print(isinstance(threading.Semaphore(), threading.Semaphore), isinstance(threading.BoundedSemaphore(), threading.Semaphore))\n\
         print(threading.Barrier(1).wait(), isinstance(cf.ThreadPoolExecutor(1), cf.ThreadPoolExecutor))\n",
    );
    for python in pythons() {
        let on = run("classes", &[], &python, &[&path]);
        let off = run("classes-off", &["--no-probes"], &python, &[&path]);
        assert_eq!(
            on.log, off.log,
            "{python}: the program prints the same with probes as without"
        );
        assert_eq!(
            off.log, "True True\nFalse True\nhi True\nTrue True\n0 True\n",
            "{python}"
        );
    }
}
