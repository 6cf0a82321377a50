//! Screens composed from widgets. Drawing reads the app and never writes it:
//! no I/O, no locks, no `/proc` here.

mod chrome;
mod compare;
mod dashboard;
mod demo;
mod format;
mod help;
mod picker;
mod watch;

use ratatui::Frame;
use ratatui::layout::Size;

use corescope_widgets::TooSmall;

use crate::app::App;

/// The smallest terminal the dashboard draws in; below it, one line says so.
pub const MIN_SIZE: Size = Size {
    width: 40,
    height: 12,
};

/// Draws the whole screen.
pub fn render(app: &App, frame: &mut Frame) {
    let area = frame.area();
    if area.width < MIN_SIZE.width || area.height < MIN_SIZE.height {
        frame.render_widget(TooSmall::new(area.as_size(), MIN_SIZE), area);
        return;
    }
    if let Some(chooser) = app.picker().filter(|p| p.is_open()) {
        picker::render(app, chooser, frame, area);
    } else if app.runs_compare() {
        compare::render(app, frame, area);
    } else if app.runs_demo() {
        demo::render(app, frame, area);
    } else {
        watch::render(app, frame, area);
    }
    if app.help_visible() {
        help::render(app, frame, area);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures::{snapshot, thread};
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use std::sync::Arc;
    use std::time::Duration;

    fn app() -> App {
        let mut app = App::new(Duration::from_millis(500));
        for seq in 0..40u64 {
            let wave = (seq as f32 * 7.0) % 100.0;
            let mut blocked = thread(12, "waiter", 0.0, 'S');
            blocked.wchan = Some("futex_do_wait".to_owned());
            let mut queued = thread(13, "queued", 35.0, 'R');
            queued.runq_wait_pct = Some(60.0);
            let mut unknown = thread(14, "other-user", 0.0, '?');
            unknown.cpu_pct = None;
            unknown.voluntary_per_sec = None;
            app.ingest(Arc::new(snapshot(
                seq,
                [wave, 100.0 - wave],
                vec![
                    thread(10, "main", 2.0, 'S'),
                    thread(11, "cruncher", 99.5, 'R'),
                    blocked,
                    queued,
                    unknown,
                ],
            )));
        }
        app
    }

    fn draw(app: &App, width: u16, height: u16) -> Terminal<TestBackend> {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
        terminal.draw(|f| render(app, f)).expect("draw");
        terminal
    }

    #[test]
    fn dashboard_at_120x40() {
        insta::assert_snapshot!(draw(&app(), 120, 40).backend());
    }

    #[test]
    fn dashboard_at_80x24() {
        insta::assert_snapshot!(draw(&app(), 80, 24).backend());
    }

    #[test]
    fn tiny_terminal_shows_one_line() {
        insta::assert_snapshot!(draw(&app(), 20, 6).backend());
    }

    #[test]
    fn help_overlay_at_80x24() {
        let mut app = app();
        app.handle_key(&KeyEvent::new(KeyCode::Char('?'), KeyModifiers::NONE));
        insta::assert_snapshot!(draw(&app, 80, 24).backend());
    }

    #[test]
    fn paused_dashboard_says_so() {
        let mut app = app();
        app.handle_key(&KeyEvent::new(KeyCode::Char(' '), KeyModifiers::NONE));
        let terminal = draw(&app, 80, 24);
        let top: String = (0..80)
            .map(|x| terminal.backend().buffer()[(x, 0)].symbol().to_owned())
            .collect();
        assert!(top.contains("PAUSED"), "{top}");
    }

    fn demo_app() -> App {
        let mut app = App::new(Duration::from_millis(500));
        for seq in 0..30 {
            app.ingest(Arc::new(crate::model::fixtures::demo_snapshot(seq)));
        }
        app
    }

    #[test]
    fn demo_screen_at_120x40() {
        insta::assert_snapshot!(draw(&demo_app(), 120, 40).backend());
    }

    #[test]
    fn demo_screen_at_80x24() {
        insta::assert_snapshot!(draw(&demo_app(), 80, 24).backend());
    }

    #[test]
    fn demo_screen_tiny() {
        insta::assert_snapshot!(draw(&demo_app(), 20, 6).backend());
    }

    #[test]
    fn demo_help_lists_the_demo_keys_and_the_watch_help_does_not() {
        let text = |app: &mut App| {
            app.handle_key(&KeyEvent::new(KeyCode::Char('?'), KeyModifiers::NONE));
            let terminal = draw(app, 100, 40);
            let buffer = terminal.backend().buffer();
            (0..buffer.area.height)
                .map(|y| {
                    (0..buffer.area.width)
                        .map(|x| buffer[(x, y)].symbol())
                        .collect::<String>()
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert!(text(&mut demo_app()).contains("one more worker"));
        assert!(!text(&mut app()).contains("one more worker"));
    }

    #[test]
    fn compare_screen_mid_run_at_100x32() {
        use crate::compare::{ComparePlan, CompareRow, CompareSample};
        use corescope_demos::catalog::Kind;
        let row = |mode, wall_ms, speedup, parallelism, start_us, kib| CompareRow {
            mode,
            wall_ms,
            speedup: Some(speedup),
            cpu_busy_pct: Some(parallelism * 50.0),
            parallelism: Some(parallelism),
            start_us_per_worker: Some(start_us),
            rss_kib_per_worker: Some(kib),
            tasks_done: 4,
        };
        let mut app = App::new(Duration::from_millis(200));
        for seq in 0..20 {
            let mut snap = snapshot(seq, [97.0, 95.0], vec![thread(10, "worker-0", 97.0, 'R')]);
            snap.compare = Some(CompareSample {
                plan: ComparePlan {
                    kind: Kind::Cpu,
                    workers: 2,
                    tasks: 4,
                    work_ms: 250,
                },
                rows: vec![
                    row("sequential", 1006.0, 1.0, 1.0, 268.0, 8.0),
                    row("threads", 516.0, 1.95, 1.95, 305.0, 8.0),
                    row("gil", 1013.0, 0.99, 1.0, 351.0, 8.0),
                ],
                running: Some("processes"),
                error: None,
            });
            app.ingest(Arc::new(snap));
        }
        insta::assert_snapshot!(draw(&app, 100, 32).backend());
    }

    #[test]
    fn before_the_first_snapshot_the_screen_says_it_is_waiting() {
        let app = App::new(Duration::from_millis(500));
        insta::assert_snapshot!(draw(&app, 60, 12).backend());
    }

    proptest::proptest! {
        #[test]
        fn render_never_panics_at_any_size(width in 0u16..260, height in 0u16..90) {
            let app = app();
            draw(&app, width, height);
        }
    }
}
