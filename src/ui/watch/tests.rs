//! The watch screen on fixture snapshots: `run` of a GIL-bound program and of
//! a multiprocessing one, at the sizes a laptop and a projector use.
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::*;
use crate::model::fixtures::{snapshot, thread};
use crate::snapshot::{ProcessSample, RunExit};

fn process(pid: i32, parent: i32, threads: usize) -> ProcessSample {
    ProcessSample {
        pid,
        ppid: parent,
        name: "python3".to_owned(),
        state: 'S',
        threads,
        rss_kib: Some(9_800 + u64::try_from(pid % 7).unwrap_or(0) * 300),
    }
}

/// `run -- python3 cpu_threads.py`: four GIL-bound workers taking turns on
/// two cores, the main thread joining them, tick `seq` of 60.
fn gil_threads(seq: u64) -> Snapshot {
    let turn = (seq % 4) as i32;
    let mut threads = vec![thread(4242, "python3", 0.0, 'S')];
    for worker in 0..4 {
        let running = worker == turn;
        let mut t = thread(
            4243 + worker,
            "python3",
            if running { 70.0 } else { 8.0 },
            'S',
        );
        t.last_cpu = Some(((seq as i32 + worker) % 2) as u32);
        if running {
            t.state = 'R';
        } else {
            t.wchan = Some("futex_do_wait".to_owned());
        }
        if worker == (turn + 1) % 4 {
            t.runq_wait_pct = Some(22.0);
        }
        threads.push(t);
    }
    threads[0].wchan = Some("futex_do_wait".to_owned());
    let mut snap = snapshot(seq, [55.0, 48.0], threads);
    snap.target.command = "python3 assets/python/cpu_threads.py".to_owned();
    snap.target.parallelism = Some(1.01);
    snap.run = Some(RunSample {
        log: Some(PathBuf::from("corescope-run-4242.log")),
        output: Arc::from(Vec::new()),
        exit: None,
        python: None,
    });
    snap
}

/// `run -- python3 cpu_processes.py`: four worker processes, one thread
/// each, busy on both cores; at the end the workers print and exit.
fn processes(seq: u64) -> Snapshot {
    let mut threads = vec![thread(4242, "python3", 0.5, 'S')];
    for worker in 0..4 {
        let mut t = thread(4250 + worker, "python3", 49.0 + worker as f32, 'R');
        t.pid = 4250 + worker;
        t.last_cpu = Some(((seq as i32 / 3 + worker) % 2) as u32);
        t.runq_wait_pct = Some(if worker % 2 == 0 { 48.0 } else { 3.0 });
        threads.push(t);
    }
    let mut snap = snapshot(seq, [100.0, 99.0], threads);
    snap.target.command = "python3 assets/python/cpu_processes.py".to_owned();
    snap.target.parallelism = Some(1.98);
    snap.target.processes = std::iter::once(process(4242, 4200, 1))
        .chain((4250..4254).map(|pid| process(pid, 4242, 1)))
        .collect();
    snap.target.processes[3].state = 'Z';
    snap.target.processes_peak = 5;
    let output: Vec<String> = (0..seq.min(3))
        .map(|i| format!("process {i}: {} steps", 41_230_000 + i * 17))
        .collect();
    snap.run = Some(RunSample {
        log: Some(PathBuf::from("corescope-run-4242.log")),
        output: Arc::from(output),
        exit: None,
        python: None,
    });
    snap
}

fn app(make: fn(u64) -> Snapshot, ticks: u64) -> App {
    let mut app = App::new(Duration::from_millis(500));
    for seq in 0..ticks {
        app.ingest(Arc::new(make(seq)));
    }
    app
}

fn draw(app: &App, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
    terminal
        .draw(|f| {
            crate::ui::render(app, f);
        })
        .expect("draw");
    terminal
}

#[test]
fn gil_threads_at_80x24() {
    insta::assert_snapshot!(draw(&app(gil_threads, 60), 80, 24).backend());
}

#[test]
fn gil_threads_at_120x40() {
    insta::assert_snapshot!(draw(&app(gil_threads, 60), 120, 40).backend());
}

#[test]
fn processes_at_200x60() {
    insta::assert_snapshot!(draw(&app(processes, 60), 200, 60).backend());
}

#[test]
fn a_finished_run_says_how_it_ended() {
    let mut app = app(processes, 10);
    let mut last = processes(10);
    last.target.alive = false;
    last.target.parallelism = None;
    if let Some(run) = &mut last.run {
        run.exit = Some(RunExit {
            code: Some(0),
            signal: None,
        });
    }
    app.ingest(Arc::new(last));
    let terminal = draw(&app, 120, 40);
    let screen = terminal.backend().to_string();
    assert!(screen.contains("command exited with code 0"), "{screen}");
    assert!(screen.contains("Cores in use (exited)"), "{screen}");
    assert!(
        screen.contains("Output (in corescope-run-4242.log, exited"),
        "{screen}"
    );
    // At the smallest size the panel's title says so without being cut.
    let screen = draw(&app, 40, 12).backend().to_string();
    assert!(
        screen.contains("Cores (exited)") && !screen.contains("Cores in use (e"),
        "at 40x12 the panel is titled `Cores (exited)`, uncut:\n{screen}"
    );
}

#[test]
fn another_users_process_is_said_to_be_one() {
    let mut snap = gil_threads(1);
    snap.target.restricted = true;
    snap.target.another_user = true;
    let mut app = App::new(Duration::from_millis(500));
    app.ingest(Arc::new(snap));
    let screen = draw(&app, 120, 40).backend().to_string();
    assert!(screen.contains("another user's process: lock waits unknown (?)"));
}

#[test]
fn processes_are_ordered_under_their_parents() {
    let mut snap = snapshot(0, [0.0, 0.0], vec![thread(1, "a", 0.0, 'S')]);
    snap.target.processes = vec![
        process(4242, 1, 1),
        process(50, 4242, 1),
        process(40, 4242, 1),
        process(60, 40, 1),
        process(70, 999, 1),
    ];
    let order: Vec<(u16, i32)> = tree_order(&snap)
        .into_iter()
        .map(|(depth, p)| (depth, p.pid))
        .collect();
    assert_eq!(order, [(0, 4242), (1, 40), (2, 60), (1, 50), (0, 70)]);
}

/// `run -- ./queue`: a C program whose four workers take turns on a static
/// `queue_lock`, two waiting at each tick, its main thread joining them.
fn contended(seq: u64) -> Snapshot {
    use crate::snapshot::{LockKind, LockSample, LockWaiter};
    let mut snap = gil_threads(seq);
    snap.target.command = "./queue".to_owned();
    let queue = 0x5555_5555_8040;
    let join = 0x7f00_0000_0990;
    for t in &mut snap.target.threads {
        if t.blocked_on_futex() {
            t.waiting_on = Some(if t.tid == 4242 { join } else { queue });
        }
    }
    let waiter = |tid, blocked_ns| LockWaiter {
        tid,
        blocked_ns,
        wait_share: 0.6,
    };
    snap.target.locks = Some(vec![
        LockSample {
            pid: 4242,
            address: queue,
            label: "queue_lock".into(),
            symbol: Some("queue_lock".into()),
            kind: LockKind::Mutex,
            waiters_now: 3,
            waiters_max: 3,
            waiters_mean: 2.4,
            blocked_ns: seq * 1_200_000_000,
            wait_share: 0.6,
            threads: (4243..4247)
                .map(|tid| waiter(tid, seq * 300_000_000))
                .collect(),
            owner_tid: Some(4243 + (seq % 4) as i32),
        },
        LockSample {
            pid: 4242,
            address: join,
            label: format!("{join:#x}").into(),
            symbol: None,
            kind: LockKind::Condition,
            waiters_now: 1,
            waiters_max: 1,
            waiters_mean: 1.0,
            blocked_ns: seq * 500_000_000,
            wait_share: 1.0,
            threads: vec![waiter(4242, seq * 500_000_000)],
            owner_tid: None,
        },
    ]);
    snap
}

#[test]
fn locks_at_80x24() {
    let screen = draw(&app(contended, 60), 80, 24);
    insta::assert_snapshot!(screen.backend());
    let text = screen.backend().to_string();
    assert!(text.contains("Locks"), "expected a Locks panel: {text}");
    assert!(
        text.contains("WAITING ON"),
        "expected the waiting-on column: {text}"
    );
}

#[test]
fn locks_at_200x60() {
    insta::assert_snapshot!(draw(&app(contended, 60), 200, 60).backend());
}

#[test]
fn no_lock_waited_on_means_no_locks_panel() {
    let text = draw(&app(gil_threads, 3), 120, 40).backend().to_string();
    assert!(!text.contains("Locks"), "{text}");
}

/// `run -- python3 contend.py` with probes: the C program's locks and
/// threads, a Python lock the probes report and a line of output.
fn contended_with_probes(seq: u64) -> Snapshot {
    use crate::python_probes::{ProbeLock, ProbesStatus, PythonProbes, Spread};
    let mut snap = contended(seq);
    snap.run = Some(crate::snapshot::RunSample {
        log: None,
        output: Arc::from(vec!["tick 5".to_owned()]),
        exit: None,
        python: Some(PythonProbes {
            probes: ProbesStatus {
                on: true,
                processes: 1,
                notices: Vec::new(),
            },
            locks: vec![ProbeLock {
                name: "queue_lock (contend.py:2)".to_owned(),
                type_name: "Lock".to_owned(),
                processes: 1,
                acquires: 268,
                contended: 267,
                waiters: 2,
                peak_waiters: 3,
                wait_ns: Spread::default(),
                hold_ns: Spread::default(),
                futex_words: Vec::new(),
            }],
            ..PythonProbes::default()
        }),
    });
    snap
}

#[test]
fn at_80x24_the_thread_table_keeps_its_rows_before_the_map_gets_any() {
    let text = draw(&app(contended_with_probes, 20), 80, 24)
        .backend()
        .to_string();
    let rows = (4243..4247)
        .filter(|tid| text.contains(&format!("│{tid} ")))
        .count();
    assert!(
        rows >= 3 && !text.contains("Thread → core"),
        "expected at least 3 of the 4 workers' rows in the thread table, the \
         thread-to-core map left out for them; found {rows} rows:\n{text}"
    );
    assert!(
        text.contains("Python locks") && text.contains("Output"),
        "expected the Python locks and the output still shown:\n{text}"
    );
}
