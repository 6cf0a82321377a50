//! The watch screen's controls on a fixture: the `k` dialog's steps, the
//! title after `]`, the headline's two groups, at 80x24 and 200x60.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::app::{Action, App};
use crate::model::fixtures::{snapshot, thread};
use crate::snapshot::{ProcessSample, RunSample, Snapshot};

/// `run -- sh -c 'sleep 300 & sleep 300 & wait'`: the shell and two sleeps.
fn shell_and_sleeps(seq: u64) -> Snapshot {
    let mut threads = vec![thread(4242, "sh", 0.0, 'S')];
    for pid in [4250, 4251] {
        let mut sleeper = thread(pid, "sleep", 0.0, 'S');
        sleeper.pid = pid;
        threads.push(sleeper);
    }
    let mut snap = snapshot(seq, [3.0, 1.0], threads);
    snap.target.command = "sh -c sleep 300 & sleep 300 & wait".to_owned();
    snap.target.parallelism = Some(0.0);
    let process = |pid, ppid, name: &str, rss_kib| ProcessSample {
        pid,
        ppid,
        name: name.to_owned(),
        state: 'S',
        threads: 1,
        rss_kib: Some(rss_kib),
    };
    snap.target.processes = vec![
        process(4242, 4200, "sh", 1_600),
        process(4250, 4242, "sleep", 1_024),
        process(4251, 4242, "sleep", 1_024),
    ];
    snap.target.processes_peak = 3;
    snap.run = Some(RunSample {
        log: Some(PathBuf::from("corescope-run-4242.log")),
        output: Arc::from(Vec::new()),
        exit: None,
        python: None,
    });
    snap
}

fn app() -> App {
    let mut app = App::new(Duration::from_millis(500));
    for seq in 0..20 {
        app.ingest(Arc::new(shell_and_sleeps(seq)));
    }
    app
}

fn press(app: &mut App, code: KeyCode) -> Action {
    app.handle_key(&KeyEvent::new(code, KeyModifiers::NONE))
}

fn screen(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
    terminal
        .draw(|f| {
            crate::ui::render(app, f);
        })
        .expect("draw");
    terminal.backend().to_string()
}

/// The sleep 4250 selected (the table is sorted by TID under equal CPU).
fn with_sleep_selected() -> App {
    let mut app = app();
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Down);
    assert_eq!(app.selected_tid(), Some(4250));
    app
}

#[test]
fn the_dialogs_steps_at_80x24_and_200x60() {
    for (width, height) in [(80, 24), (200, 60)] {
        let mut app = with_sleep_selected();
        press(&mut app, KeyCode::Char('k'));
        insta::assert_snapshot!(
            format!("dialog_target_{width}x{height}"),
            screen(&app, width, height)
        );
        press(&mut app, KeyCode::Enter);
        insta::assert_snapshot!(
            format!("dialog_signal_{width}x{height}"),
            screen(&app, width, height)
        );
        press(&mut app, KeyCode::Enter);
        insta::assert_snapshot!(
            format!("dialog_confirm_{width}x{height}"),
            screen(&app, width, height)
        );
        let Action::Signal(request) = press(&mut app, KeyCode::Enter) else {
            panic!("Enter at the confirmation sends");
        };
        assert_eq!((request.choice.name, request.pids), ("TERM", vec![4250]));
        assert!(request.left_tree.is_empty(), "4250 is still in the tree");
        app.signal_sent(vec![
            "sent TERM to 1 process".to_owned(),
            "4251: Operation not permitted (EPERM)".to_owned(),
        ]);
        insta::assert_snapshot!(
            format!("dialog_result_{width}x{height}"),
            screen(&app, width, height)
        );
        press(&mut app, KeyCode::Char('x'));
        assert!(app.signal_dialog().is_none(), "any key closes the result");
    }
}

#[test]
fn the_whole_tree_confirmation_names_every_pid() {
    let mut app = with_sleep_selected();
    press(&mut app, KeyCode::F(9));
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Enter);
    let text = screen(&app, 80, 24);
    assert!(
        text.contains("Send TERM (15) to 3 processes: 4242 4250 4251?"),
        "expected the confirmation to name the three PIDs: {text}"
    );
    assert_eq!(press(&mut app, KeyCode::Esc), Action::Redraw);
    assert!(app.signal_dialog().is_none(), "Esc cancels");
    assert!(!screen(&app, 80, 24).contains("Send TERM"));
}

#[test]
fn a_target_that_leaves_the_tree_before_the_confirmation_is_marked() {
    let mut app = with_sleep_selected();
    press(&mut app, KeyCode::Char('k'));
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Enter);
    let mut later = shell_and_sleeps(20);
    later.target.processes.retain(|p| p.pid != 4250);
    later.target.threads.retain(|t| t.pid != 4250);
    app.ingest(Arc::new(later));
    let Action::Signal(request) = press(&mut app, KeyCode::Char('y')) else {
        panic!("y at the confirmation sends");
    };
    assert_eq!(
        (request.pids, request.left_tree),
        (vec![4250], vec![4250]),
        "4250 ended: its PID may be another process's by now"
    );
}

#[test]
fn the_title_says_the_interval_after_a_change() {
    for (width, height) in [(80, 24), (200, 60)] {
        let mut app = app();
        assert_eq!(
            press(&mut app, KeyCode::Char(']')),
            Action::Interval(Duration::from_millis(200))
        );
        let first_line = |app: &App| {
            screen(app, width, height)
                .lines()
                .next()
                .unwrap_or_default()
                .to_owned()
        };
        let title = first_line(&app);
        assert!(title.contains("200 ms"), "{width}x{height}: {title}");
        for _ in 0..3 {
            press(&mut app, KeyCode::Char('['));
        }
        assert_eq!(app.interval(), Duration::from_secs(2));
        insta::assert_snapshot!(
            format!("interval_2s_{width}x{height}"),
            screen(&app, width, height)
        );
    }
}

#[test]
fn the_help_on_the_run_screen_lists_the_new_keys_and_reset_peaks() {
    let mut app = app();
    press(&mut app, KeyCode::Char('?'));
    let text = screen(&app, 200, 60);
    for expected in [
        "k/F9",
        "send a signal",
        "[ ",
        "] ",
        "sample more often",
        "start the peaks over",
    ] {
        assert!(
            text.contains(expected),
            "expected `{expected}` in the help: {text}"
        );
    }
}

#[test]
fn at_the_smallest_size_the_signal_list_scrolls_to_the_choice() {
    let mut app = with_sleep_selected();
    press(&mut app, KeyCode::Char('k'));
    press(&mut app, KeyCode::Enter);
    for _ in 0..11 {
        press(&mut app, KeyCode::Down);
    }
    let size = crate::ui::MIN_SIZE;
    let text = screen(&app, size.width, size.height);
    assert!(
        text.contains("▶ 28 WINCH"),
        "expected the last signal, chosen, in view at {}x{}: {text}",
        size.width,
        size.height
    );
    for step in 0..3 {
        press(&mut app, KeyCode::Enter);
        let text = screen(&app, size.width, size.height);
        assert!(
            text.contains("Esc") || text.contains("closes"),
            "step {step}: {text}"
        );
    }
}

proptest::proptest! {
    #[test]
    fn every_step_draws_at_any_size(width in 1_u16..240, height in 1_u16..80, downs in 0_usize..14) {
        let mut app = with_sleep_selected();
        press(&mut app, KeyCode::Char('k'));
        for step in 0..4 {
            for _ in 0..downs {
                press(&mut app, KeyCode::Down);
            }
            screen(&app, width, height);
            if step == 2 {
                app.signal_sent(vec!["sent TERM to 0 processes".to_owned(); downs + 1]);
            } else {
                press(&mut app, KeyCode::Enter);
            }
        }
    }
}
