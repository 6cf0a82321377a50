//! The thread table's tools on the watch screen, at a laptop's 80x24 and a
//! wide 200x60: the filter prompt, the tree view, the wide columns and the
//! sort menu, driven by keys and clicks as a user would.

use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use corescope_widgets::ThreadColumn;

use crate::app::{Action, App};
use crate::hits::Hits;
use crate::model::fixtures::{snapshot, thread};
use crate::snapshot::{LockKind, LockSample, ProcessSample, Snapshot};

/// A server: its main thread, three `worker-N` threads (one asleep on
/// `queue_lock`, one niced), an `io-reader`, and a child process with two
/// threads of its own.
fn server(seq: u64) -> Snapshot {
    let mut main = thread(4242, "server", 0.5, 'S');
    main.wchan = Some("do_epoll_wait".to_owned());
    main.futex_wait_pct = Some(0.0);
    let mut workers: Vec<_> = (0..3)
        .map(|i| {
            let mut t = thread(
                4243 + i,
                &format!("worker-{i}"),
                60.0 - 20.0 * i as f32,
                'R',
            );
            t.runq_wait_pct = Some(5.0 * i as f32);
            t
        })
        .collect();
    workers[2].state = 'S';
    workers[2].cpu_pct = Some(0.0);
    workers[2].wchan = Some("futex_do_wait".to_owned());
    workers[2].futex_wait_pct = Some(97.5);
    workers[2].waiting_on = Some(0x5555_0000_8040);
    workers[1].nice = Some(10);
    let mut reader = thread(4246, "io-reader", 3.0, 'D');
    reader.wchan = Some("io_schedule".to_owned());
    reader.nice = None;
    let mut child_main = thread(4300, "helper", 12.0, 'R');
    child_main.pid = 4300;
    let mut child_pool = thread(4301, "helper-pool", 1.0, 'S');
    child_pool.pid = 4300;
    child_pool.wchan = None;
    let mut threads = vec![main];
    threads.extend(workers);
    threads.extend([reader, child_main, child_pool]);
    let mut snap = snapshot(seq, [70.0, 45.0], threads);
    snap.target.command = "./server --port 8080".to_owned();
    snap.target.processes = vec![
        ProcessSample {
            pid: 4242,
            ppid: 1,
            name: "server".to_owned(),
            state: 'S',
            threads: 5,
            rss_kib: Some(48_200),
        },
        ProcessSample {
            pid: 4300,
            ppid: 4242,
            name: "helper".to_owned(),
            state: 'R',
            threads: 2,
            rss_kib: None,
        },
    ];
    snap.target.processes_peak = 2;
    snap.target.locks = Some(vec![LockSample {
        pid: 4242,
        address: 0x5555_0000_8040,
        label: "queue_lock (in ./server)".into(),
        symbol: Some("queue_lock".into()),
        kind: LockKind::Mutex,
        waiters_now: 1,
        waiters_max: 1,
        waiters_mean: 0.9,
        blocked_ns: seq * 450_000_000,
        wait_share: 0.9,
        threads: Vec::new(),
        owner_tid: Some(4243),
    }]);
    snap
}

fn watching() -> App {
    let mut app = App::new(Duration::from_millis(500));
    for seq in 0..20 {
        app.ingest(Arc::new(server(seq)));
    }
    app
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        assert_eq!(
            app.handle_key(&key(KeyCode::Char(c))),
            Action::Redraw,
            "{c}"
        );
    }
}

/// Draws `app` at `width` x `height`, keeping what was drawn where for the
/// mouse, and returns the screen as text.
fn draw(app: &mut App, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
    let mut hits = Hits::default();
    terminal
        .draw(|f| hits = crate::ui::render(app, f))
        .expect("draw");
    app.set_hits(hits);
    terminal
}

fn text(terminal: &Terminal<TestBackend>) -> String {
    terminal.backend().to_string()
}

/// The first row of the thread table's body holding `name`, as drawn.
fn row_of(screen: &str, name: &str) -> Option<usize> {
    screen.lines().position(|line| line.contains(name))
}

#[test]
fn the_filter_prompt_takes_the_keys_and_the_footer_counts_what_it_keeps() {
    let mut app = watching();
    assert_eq!(app.handle_key(&key(KeyCode::Char('/'))), Action::Redraw);
    typed(&mut app, "work");
    let narrow = draw(&mut app, 80, 24);
    insta::assert_snapshot!("filter_prompt_80x24", narrow.backend());
    let wide = draw(&mut app, 200, 60);
    insta::assert_snapshot!("filter_prompt_200x60", wide.backend());
    let screen = text(&wide);
    assert!(
        screen.contains("filter: work▏  (3 of 7)"),
        "the footer shows the filter being typed and what it keeps:\n{screen}"
    );
    for kept in ["worker-0", "worker-1", "worker-2"] {
        assert!(screen.contains(kept), "{kept} kept:\n{screen}");
    }
    assert!(
        !screen.contains("io-reader"),
        "io-reader filtered out:\n{screen}"
    );
    // `q` is a letter of the filter while the prompt is open, not quit.
    assert_eq!(app.handle_key(&key(KeyCode::Char('q'))), Action::Redraw);
    assert_eq!(app.table_choice().filter, "workq");
    app.handle_key(&key(KeyCode::Backspace));
    assert_eq!(app.handle_key(&key(KeyCode::Enter)), Action::Redraw);
    assert_eq!(app.prompt(), None, "Enter closes the prompt");
    assert_eq!(app.table_choice().filter, "work", "and keeps the filter");
    let screen = text(&draw(&mut app, 80, 24));
    assert!(
        screen.contains("filter: work  (3 of 7)"),
        "a kept filter stays in the footer:\n{screen}"
    );
    // Esc takes the filter off (it does not quit while one is on).
    assert_eq!(app.handle_key(&key(KeyCode::Esc)), Action::Redraw);
    assert_eq!(app.table_choice().filter, "");
    assert_eq!(app.handle_key(&key(KeyCode::Esc)), Action::Quit);
}

#[test]
fn esc_clears_the_prompt_and_ctrl_c_still_quits() {
    let mut app = watching();
    app.handle_key(&key(KeyCode::Char('/')));
    typed(&mut app, "queue");
    let screen = text(&draw(&mut app, 200, 60));
    assert!(
        screen.contains("worker-2") && !screen.contains("worker-0"),
        "filtering by the lock's label keeps its waiter:\n{screen}"
    );
    app.handle_key(&key(KeyCode::Esc));
    assert_eq!((app.prompt(), app.table_choice().filter), (None, ""));
    app.handle_key(&key(KeyCode::Char('/')));
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert_eq!(app.handle_key(&ctrl_c), Action::Quit);
}

#[test]
fn the_filter_follows_the_focus_to_the_process_tree() {
    let mut app = watching();
    draw(&mut app, 120, 40);
    app.handle_key(&key(KeyCode::Tab));
    app.handle_key(&key(KeyCode::Char('/')));
    typed(&mut app, "help");
    let screen = text(&draw(&mut app, 120, 40));
    assert!(
        screen.contains("process filter: help▏  (1 of 2)"),
        "the process tree's filter, counted in processes:\n{screen}"
    );
    assert_eq!(
        app.table_choice().filter,
        "",
        "the thread table is not filtered"
    );
}

#[test]
fn selection_moves_through_the_rows_the_filter_keeps() {
    let mut app = watching();
    app.handle_key(&key(KeyCode::Char('/')));
    typed(&mut app, "worker");
    app.handle_key(&key(KeyCode::Enter));
    for _ in 0..10 {
        app.handle_key(&key(KeyCode::Char('j')));
    }
    assert_eq!(
        app.selected_tid(),
        Some(4245),
        "the last worker, not a hidden thread"
    );
}

#[test]
fn the_tree_view_nests_threads_under_their_processes_with_totals() {
    let mut app = watching();
    assert_eq!(app.handle_key(&key(KeyCode::Char('t'))), Action::Redraw);
    let narrow = draw(&mut app, 80, 24);
    insta::assert_snapshot!("tree_view_80x24", narrow.backend());
    let wide = draw(&mut app, 200, 60);
    insta::assert_snapshot!("tree_view_200x60", wide.backend());
    let screen = text(&wide);
    let server = row_of(&screen, "▾ server").expect("a row for the server process");
    let helper = row_of(&screen, "▾ helper").expect("a row for the helper process");
    let worker = row_of(&screen, "├ worker-0").expect("worker-0 under its process");
    let pool = row_of(&screen, "└ helper-pool").expect("helper-pool last under helper");
    assert!(
        server < worker && worker < helper && helper < pool,
        "{screen}"
    );
    let line = screen.lines().nth(server).unwrap_or_default();
    assert!(
        line.contains("2R 2S 1D") && line.contains("47.1M") && line.contains("103.5"),
        "the process row: states, memory and the CPU total of its threads: {line}"
    );
    let line = screen.lines().nth(helper).unwrap_or_default();
    assert!(
        line.contains(" ? "),
        "the helper's memory is unknown: {line}"
    );
    assert_eq!(app.handle_key(&key(KeyCode::F(5))), Action::Redraw);
    let screen = text(&draw(&mut app, 200, 60));
    assert!(
        !screen.contains("▾ server"),
        "F5 goes back to flat:\n{screen}"
    );
}

#[test]
fn wide_columns_come_with_the_width() {
    let mut app = watching();
    let wide = draw(&mut app, 200, 60);
    insta::assert_snapshot!("wide_columns_200x60", wide.backend());
    let screen = text(&wide);
    let header = screen
        .lines()
        .find(|line| line.contains("TID"))
        .unwrap_or_default();
    for column in [
        "PID",
        "NI",
        "FUTEX%",
        "WAITING ON",
        "WCHAN",
        "VCSW/s",
        "RUNQ%",
    ] {
        assert!(header.contains(column), "{column} at 200 columns: {header}");
    }
    let worker = screen
        .lines()
        .find(|line| line.contains("worker-2"))
        .unwrap_or_default();
    for value in ["97.5", "queue_lock", "futex_do_wait"] {
        assert!(worker.contains(value), "{value} in {worker}");
    }
    let reader = screen
        .lines()
        .find(|line| line.contains("io-reader"))
        .unwrap_or_default();
    assert!(reader.contains("io_schedule"), "{reader}");
    let narrow = draw(&mut app, 80, 24);
    insta::assert_snapshot!("wide_columns_80x24", narrow.backend());
    let screen = text(&narrow);
    let header = screen
        .lines()
        .find(|line| line.contains("TID"))
        .unwrap_or_default();
    for column in ["TID", "NAME", "CPU%"] {
        assert!(header.contains(column), "{column} at 80 columns: {header}");
    }
    for column in ["NI ", "WCHAN", "FUTEX%"] {
        assert!(
            !header.contains(column),
            "{column} not at 80 columns: {header}"
        );
    }
}

#[test]
fn the_sort_menu_sorts_by_the_column_chosen() {
    let mut app = watching();
    assert_eq!(app.handle_key(&key(KeyCode::F(6))), Action::Redraw);
    let narrow = draw(&mut app, 80, 24);
    insta::assert_snapshot!("sort_menu_80x24", narrow.backend());
    let wide = draw(&mut app, 200, 60);
    insta::assert_snapshot!("sort_menu_200x60", wide.backend());
    assert!(text(&wide).contains("Sort by"), "{}", text(&wide));
    // The cursor opens on the column sorted by (CPU%); two down is FUTEX%.
    app.handle_key(&key(KeyCode::Down));
    app.handle_key(&key(KeyCode::Down));
    app.handle_key(&key(KeyCode::Enter));
    assert_eq!(app.sort_menu(), None);
    assert_eq!(app.sort().column, ThreadColumn::FutexShare);
    assert!(app.sort().descending, "most futex time first");
    // Enter again on the same column reverses it.
    app.handle_key(&key(KeyCode::F(6)));
    app.handle_key(&key(KeyCode::Enter));
    assert_eq!(app.sort().column, ThreadColumn::FutexShare);
    assert!(!app.sort().descending);
    // Esc closes the menu, and quits nothing.
    app.handle_key(&key(KeyCode::F(6)));
    assert_eq!(app.handle_key(&key(KeyCode::Esc)), Action::Redraw);
    assert_eq!(app.sort_menu(), None);
}

#[test]
fn a_click_on_a_menu_entry_or_a_header_sorts_by_it() {
    let mut app = watching();
    app.handle_key(&key(KeyCode::F(6)));
    let screen = text(&draw(&mut app, 200, 60));
    let click = |app: &mut App, screen: &str, label: &str| {
        let (row, line) = screen
            .lines()
            .enumerate()
            .find(|(_, line)| line.contains(label))
            .unwrap_or_else(|| panic!("{label} on screen:\n{screen}"));
        let column = line[..line.find(label).unwrap_or(0)].chars().count();
        app.handle_mouse(&MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: u16::try_from(column).unwrap_or(0),
            row: u16::try_from(row).unwrap_or(0),
            modifiers: KeyModifiers::NONE,
        })
    };
    click(&mut app, &screen, "thread name");
    assert_eq!(app.sort_menu(), None);
    assert_eq!(
        (app.sort().column, app.sort().descending),
        (ThreadColumn::Name, false)
    );
    let screen = text(&draw(&mut app, 200, 60));
    click(&mut app, &screen, "RUNQ%");
    assert_eq!(
        (app.sort().column, app.sort().descending),
        (ThreadColumn::RunqWait, true),
        "a header click sorts by its column"
    );
    let screen = text(&draw(&mut app, 200, 60));
    click(&mut app, &screen, "RUNQ%▼");
    assert_eq!(
        (app.sort().column, app.sort().descending),
        (ThreadColumn::RunqWait, false),
        "a second click reverses"
    );
}

#[test]
fn every_tool_at_once_draws_at_small_and_odd_sizes() {
    let mut app = watching();
    app.handle_key(&key(KeyCode::Char('t')));
    app.handle_key(&key(KeyCode::Char('/')));
    typed(&mut app, "er");
    app.handle_key(&key(KeyCode::Enter));
    app.handle_key(&key(KeyCode::F(6)));
    for _ in 0..20 {
        app.handle_key(&key(KeyCode::Down));
    }
    for (width, height) in [(40, 12), (41, 13), (57, 19), (80, 24), (200, 60), (250, 14)] {
        let screen = text(&draw(&mut app, width, height));
        assert!(
            screen.contains("process id"),
            "at {width}x{height} the sort menu shows its last entry, under the cursor:\n{screen}"
        );
        assert!(
            screen.contains("filter: er") || width < 80,
            "at {width}x{height} the footer shows the filter:\n{screen}"
        );
    }
}
