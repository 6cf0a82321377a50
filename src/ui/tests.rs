//! Drawing whole screens from an app's state: what each screen shows, where
//! a click lands, and that every screen fits the sizes a terminal may have.

use super::*;
use crate::app::Action;
use crate::hits::Panel;
use crate::model::fixtures::{snapshot, thread};
use crate::thread_view::sorted_threads;
use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
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
    terminal
        .draw(|f| {
            render(app, f);
        })
        .expect("draw");
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

#[test]
fn a_watched_program_that_exited_is_not_called_live() {
    let mut app = app();
    let mut last = snapshot(40, [0.0, 0.0], Vec::new());
    last.target.alive = false;
    app.ingest(Arc::new(last));
    let top = text_of(&draw(&app, 80, 24)).remove(0);
    assert!(
        top.contains("■ exited") && !top.contains("live"),
        "expected the title to say the program exited, not that it is live; it reads: {top}"
    );
}

#[test]
fn a_replay_says_the_interval_its_snapshots_were_taken_at() {
    // Recorded at 500 ms, then `[` pressed down to 100 ms while recording.
    let replay = crate::app::Replay {
        length: Duration::from_secs(20),
        last_seq: 99,
        paused: false,
    };
    let mut app = App::for_replay(Duration::from_millis(500), replay);
    for seq in 0..3 {
        let mut snap = snapshot(seq, [10.0, 20.0], vec![thread(10, "main", 2.0, 'S')]);
        snap.interval = Some(Duration::from_millis(101));
        app.ingest(Arc::new(snap));
    }
    let top = text_of(&draw(&app, 120, 40)).remove(0);
    assert!(
        top.contains("every 100 ms"),
        "expected the title to give the interval the snapshots were taken at (100 ms), \
         not the recording's first (500 ms); it reads: {top}"
    );
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
        text_of(&draw(app, 100, 40)).join("\n")
    };
    assert!(text(&mut demo_app()).contains("one more worker"));
    assert!(!text(&mut app()).contains("one more worker"));
}

#[test]
fn the_title_bar_text_stands_out_from_its_background_in_every_theme() {
    use crate::config::theme_file::{BUILT_IN, built_in};
    for (name, _) in BUILT_IN {
        let theme = built_in(name).expect("built in").expect("parses");
        for (screen, app) in [("watch", app()), ("demo", demo_app())] {
            let preferences = crate::app::Preferences {
                theme,
                ..crate::app::Preferences::default()
            };
            let terminal = draw(&app.with_preferences(preferences), 120, 40);
            let buffer = terminal.backend().buffer();
            for x in 0..buffer.area.width {
                let cell = &buffer[(x, 0)];
                let shown = cell.symbol().trim().is_empty()
                    || cell.fg != cell.bg
                    || cell.modifier.contains(ratatui::style::Modifier::REVERSED);
                assert!(
                    shown,
                    "{name} theme, {screen} screen: `{}` at column {x} is drawn in its background's colour",
                    cell.symbol()
                );
            }
        }
    }
}

/// The whole screen as lines of text.
fn text_of(terminal: &Terminal<TestBackend>) -> Vec<String> {
    let buffer = terminal.backend().buffer();
    (0..buffer.area.height)
        .map(|y| {
            (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol())
                .collect::<String>()
        })
        .collect()
}

#[test]
fn the_help_and_the_footer_show_the_keys_the_config_bound() {
    use crate::app::Preferences;
    use crate::config::keys::parse_key;
    use crate::keymap::{Command, Keymap};
    let mut keymap = Keymap::default();
    keymap.rebind(Command::Quit, vec![parse_key("x").expect("x")]);
    keymap.rebind(Command::Help, vec![parse_key("F2").expect("F2")]);
    keymap.rebind(Command::SortNext, vec![]);
    let preferences = Preferences {
        keymap,
        ..Preferences::default()
    };
    let mut app = app().with_preferences(preferences);
    let footer = text_of(&draw(&app, 120, 40)).pop().expect("footer");
    assert!(footer.starts_with("x quit  F2 help  "), "{footer}");
    assert!(
        !footer.contains("sort"),
        "an unbound command has no hint: {footer}"
    );
    assert_eq!(
        app.handle_key(&KeyEvent::new(KeyCode::Char('?'), KeyModifiers::NONE)),
        Action::None
    );
    app.handle_key(&KeyEvent::new(KeyCode::F(2), KeyModifiers::NONE));
    let help = text_of(&draw(&app, 100, 40)).join("\n");
    let quit_line = help
        .lines()
        .find(|l| l.contains("quit"))
        .expect("quit in help");
    assert!(quit_line.contains(" x "), "{quit_line}");
    assert!(
        !quit_line.contains("Esc"),
        "rebinding replaces: {quit_line}"
    );
    assert!(!help.contains("sort threads by the next column"), "{help}");
    app.handle_key(&KeyEvent::new(KeyCode::Char('z'), KeyModifiers::NONE));
    assert_eq!(
        app.handle_key(&KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE)),
        Action::None
    );
    assert_eq!(
        app.handle_key(&KeyEvent::new(KeyCode::Char('x'), KeyModifiers::NONE)),
        Action::Quit
    );
}

#[test]
fn demo_screen_in_monochrome_at_100x30() {
    let preferences = crate::app::Preferences {
        theme: crate::config::theme_file::no_color().expect("monochrome"),
        ..crate::app::Preferences::default()
    };
    let app = demo_app().with_preferences(preferences);
    let terminal = draw(&app, 100, 30);
    let buffer = terminal.backend().buffer();
    assert!(
        buffer
            .content()
            .iter()
            .all(|cell| cell.fg == ratatui::style::Color::Reset
                && cell.bg == ratatui::style::Color::Reset),
        "no colour anywhere"
    );
    insta::assert_snapshot!(terminal.backend());
}

#[test]
fn the_legends_say_what_the_marks_mean_in_every_theme() {
    let screen = |app: App, theme: &str, width| {
        let preferences = crate::app::Preferences {
            theme: crate::config::theme_file::load(theme, std::path::Path::new("")).expect(theme),
            ..crate::app::Preferences::default()
        };
        text_of(&draw(&app.with_preferences(preferences), width, 40)).join("\n")
    };
    // The demo screen's thread table names the marks in its title...
    let demo = |theme| screen(demo_app(), theme, 200);
    assert!(demo("dark").contains("yellow: waiting for a CPU  red: blocked"));
    assert!(demo("light").contains("magenta: waiting for a CPU  red: blocked"));
    assert!(demo("monochrome").contains("underlined: waiting for a CPU  bold underlined: blocked"));
    // ...the watch screen in its legend line.
    let watch = |theme| screen(app(), theme, 160);
    assert!(watch("dark").contains("■ waiting for a CPU"));
    assert!(watch("monochrome").contains("underlined: waiting for a CPU"));
    assert!(watch("monochrome").contains("bold underlined: asleep in a futex wait"));
}

fn compare_app() -> App {
    use crate::snapshot::compare::{CompareMode, ComparePlan, CompareRow, CompareSample};
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
        max_concurrent: Some(parallelism.round() as u64),
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
                row(CompareMode::Sequential, 1006.0, 1.0, 1.0, 268.0, 8.0),
                row(CompareMode::Threads, 516.0, 1.95, 1.95, 305.0, 8.0),
                row(CompareMode::Gil, 1013.0, 0.99, 1.0, 351.0, 8.0),
            ],
            running: Some(CompareMode::Processes),
            error: None,
        });
        app.ingest(Arc::new(snap));
    }
    app
}

#[test]
fn compare_screen_mid_run_at_100x32() {
    insta::assert_snapshot!(draw(&compare_app(), 100, 32).backend());
}

#[test]
fn compare_headers_are_whole_at_80x24() {
    let terminal = draw(&compare_app(), 80, 24);
    let text = text_of(&terminal).join("\n");
    let header = text
        .lines()
        .find(|l| l.contains("MODE"))
        .expect("the table's header");
    for word in ["WALL", "SPEEDUP", "CORES", "BUSY", "START", "MEM"] {
        assert!(
            header
                .split_whitespace()
                .any(|w| w.trim_matches('│') == word),
            "`{word}` should be a whole header: {header}"
        );
    }
    insta::assert_snapshot!(terminal.backend());
}

#[test]
fn before_the_first_snapshot_the_screen_says_it_is_waiting() {
    let app = App::new(Duration::from_millis(500));
    insta::assert_snapshot!(draw(&app, 60, 12).backend());
}

/// Draws `app` and keeps where things went, as the event loop does.
fn draw_live(app: &mut App, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
    let mut hits = None;
    terminal
        .draw(|f| hits = Some(render(app, f)))
        .expect("draw");
    app.set_hits(hits.expect("drawn"));
    terminal
}

/// Where `text` starts on screen.
fn find(terminal: &Terminal<TestBackend>, text: &str) -> (u16, u16) {
    let buffer = terminal.backend().buffer();
    (0..buffer.area.height)
        .find_map(|y| {
            let line: Vec<&str> = (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol())
                .collect();
            let joined = line.concat();
            let at = joined.find(text)?;
            // Columns, not bytes: every cell here holds one character.
            let column = joined[..at].chars().count();
            Some((u16::try_from(column).ok()?, y))
        })
        .unwrap_or_else(|| panic!("{text} not on screen"))
}

fn mouse(kind: MouseEventKind, (column, row): (u16, u16)) -> Event {
    Event::Mouse(MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    })
}

fn click(at: (u16, u16)) -> Event {
    mouse(MouseEventKind::Down(MouseButton::Left), at)
}

#[test]
fn clicking_a_thread_row_selects_that_thread() {
    let mut app = app();
    let terminal = draw_live(&mut app, 120, 40);
    assert_eq!(app.selected_tid(), None);
    assert_eq!(
        app.handle_event(&click(find(&terminal, "cruncher"))),
        Action::Redraw
    );
    assert_eq!(app.selected_tid(), Some(11));
    // The wheel over the table moves the selection on, three rows a turn.
    let at = find(&terminal, "Threads");
    app.handle_event(&mouse(MouseEventKind::ScrollDown, (at.0, at.1 + 3)));
    let order = sorted_threads(app.visible_model().latest().expect("sample"), app.sort());
    let from = order.iter().position(|t| t.tid == 11).expect("cruncher");
    let expected = order[(from + 3).min(order.len() - 1)].tid;
    assert_eq!(app.selected_tid(), Some(expected));
}

#[test]
fn clicking_a_key_hint_does_what_its_key_does() {
    let mut app = app();
    let terminal = draw_live(&mut app, 120, 40);
    app.handle_event(&click(find(&terminal, "? help")));
    assert!(app.help_visible());
    // Any click closes the help, as any key does.
    draw_live(&mut app, 120, 40);
    app.handle_event(&click((5, 5)));
    assert!(!app.help_visible());
    let terminal = draw_live(&mut app, 120, 40);
    assert_eq!(
        app.handle_event(&click(find(&terminal, "q quit"))),
        Action::Quit
    );
    let nothing = (119, 20);
    assert_eq!(
        app.handle_event(&click(nothing)),
        Action::None,
        "{:?}",
        app.focus()
    );
}

#[test]
fn the_process_tree_takes_the_focus_and_scrolls() {
    use crate::snapshot::ProcessSample;
    let mut app = App::new(Duration::from_millis(500));
    let mut snap = snapshot(0, [10.0, 20.0], vec![thread(100, "root", 1.0, 'S')]);
    snap.target.processes = (0..40)
        .map(|i| ProcessSample {
            pid: 100 + i,
            ppid: if i == 0 { 1 } else { 100 },
            name: format!("child-{i}"),
            state: 'S',
            threads: 1,
            rss_kib: Some(1024),
        })
        .collect();
    snap.target.root_pid = 100;
    app.ingest(Arc::new(snap));
    let terminal = draw_live(&mut app, 100, 30);
    assert!(
        app.active_commands()
            .any(|c| c == crate::keymap::Command::FocusNext)
    );
    // Tab moves the arrows to the tree, whose border lights up.
    app.handle_key(&KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE));
    assert_eq!(app.focus(), Panel::Processes);
    app.handle_key(&KeyEvent::new(KeyCode::Down, KeyModifiers::NONE));
    assert_eq!(app.tree_offset(), 1);
    app.handle_key(&KeyEvent::new(KeyCode::End, KeyModifiers::NONE));
    let max = app.tree_offset();
    assert!(max > 20, "40 processes in a short panel: {max}");
    // The last rows are on screen now.
    find(&draw_live(&mut app, 100, 30), "child-39");
    // The wheel over the tree scrolls it back, whatever has the focus.
    app.handle_key(&KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE));
    assert_eq!(app.focus(), Panel::Threads);
    let at = find(&terminal, "Processes");
    app.handle_event(&mouse(MouseEventKind::ScrollUp, (at.0, at.1 + 2)));
    assert_eq!(app.tree_offset(), max - 3);
    // A click on the tree focuses it.
    app.handle_event(&click((at.0, at.1 + 2)));
    assert_eq!(app.focus(), Panel::Processes);
}

#[test]
fn a_click_picks_an_entry_and_a_second_click_starts_it() {
    let lessons = crate::lesson::built_in().expect("lessons");
    let mut app = App::with_picker(
        Duration::from_millis(500),
        crate::picker::Picker::new(lessons),
    );
    app.ingest(Arc::new(snapshot(
        0,
        [10.0, 20.0],
        vec![thread(10, "main", 1.0, 'S')],
    )));
    let terminal = draw_live(&mut app, 120, 40);
    let race = find(&terminal, "race ");
    assert_eq!(app.handle_event(&click(race)), Action::Redraw);
    let picker = app.picker().expect("picker");
    let chosen = picker.entries().nth(picker.selected()).expect("entry");
    assert!(matches!(chosen, crate::picker::Entry::Demo(spec) if spec.name == "race"));
    let started = app.handle_event(&click(race));
    assert!(
        matches!(&started, Action::Start(play)
            if matches!(&**play, crate::lesson::Play::Demo(config) if config.spec.name == "race")),
        "{started:?}"
    );
}

#[test]
fn what_to_look_for_follows_the_mode_and_n_past_the_end_says_so() {
    use corescope_demos::catalog::Mode;
    let mut app = demo_app();
    let threads = text_of(&draw(&app, 100, 30)).join("\n");
    assert!(
        threads.contains("What to look for (threads mode)"),
        "{threads}"
    );
    let mut snap = crate::model::fixtures::demo_snapshot(30);
    if let Some(demo) = &mut snap.demo {
        demo.mode = Mode::Processes;
    }
    app.ingest(Arc::new(snap));
    let processes = text_of(&draw(&app, 100, 30)).join("\n");
    assert!(
        processes.contains("What to look for (processes mode)")
            && processes.contains("worker processes add to one counter"),
        "after m the text must be the processes mode's:\n{processes}"
    );

    let mut picker = crate::picker::Picker::new(crate::lesson::built_in().expect("lessons"));
    picker.start().expect("lesson");
    picker.step(isize::MAX).expect("last step");
    let mut app = App::with_picker(Duration::from_millis(500), picker);
    app.ingest(Arc::new(crate::model::fixtures::demo_snapshot(0)));
    app.handle_key(&KeyEvent::new(KeyCode::Char('n'), KeyModifiers::NONE));
    let footer = text_of(&draw(&app, 100, 30)).pop().expect("footer");
    assert!(footer.contains("last step"), "{footer}");
}

#[test]
fn at_80x24_the_help_scrolls_with_pgdn_and_closes_on_another_key() {
    let mut app = demo_app();
    let press = |app: &mut App, code| app.handle_key(&KeyEvent::new(code, KeyModifiers::NONE));
    press(&mut app, KeyCode::Char('?'));
    let top = text_of(&draw(&app, 80, 24)).join("\n");
    assert!(top.contains("more below: PgDn"), "{top}");
    press(&mut app, KeyCode::PageDown);
    assert!(
        app.help_visible(),
        "PgDn scrolls the help, it does not close it"
    );
    let down = text_of(&draw(&app, 80, 24)).join("\n");
    assert_ne!(top, down, "PgDn shows other lines");
    assert!(down.contains("PgUp"), "{down}");
    press(&mut app, KeyCode::Up);
    assert!(app.help_visible(), "the arrows scroll too");
    press(&mut app, KeyCode::Char('x'));
    assert!(!app.help_visible(), "another key closes the help");
}

#[test]
fn at_40x12_no_panel_draws_a_border_without_rows_or_cuts_its_title() {
    let lessons = crate::lesson::built_in().expect("lessons");
    let mut picker = App::with_picker(
        Duration::from_millis(500),
        crate::picker::Picker::new(lessons),
    );
    picker.ingest(Arc::new(snapshot(
        0,
        [10.0, 20.0],
        vec![thread(10, "main", 1.0, 'S')],
    )));
    for (screen, app) in [
        ("watch", app()),
        ("demo", demo_app()),
        ("compare", compare_app()),
        ("picker", picker),
    ] {
        for (width, height) in [(40, 12), (40, 13), (41, 14), (60, 12)] {
            let lines = text_of(&draw(&app, width, height));
            for line in &lines {
                let chars: Vec<char> = line.chars().collect();
                for pair in chars.windows(2) {
                    assert!(
                        !(matches!(pair[1], '┐' | '┘') && pair[0].is_alphanumeric()),
                        "{screen} at {width}x{height}: a title cut at its border: {line}\n{}",
                        lines.join("\n")
                    );
                }
            }
            for (row, pair) in lines.windows(2).enumerate() {
                let below: Vec<char> = pair[1].chars().collect();
                for (column, c) in pair[0].chars().enumerate() {
                    assert!(
                        !(c == '┌' && below.get(column) == Some(&'└')),
                        "{screen} at {width}x{height}: an empty panel at row {row}, \
                         column {column}:\n{}",
                        lines.join("\n")
                    );
                }
            }
        }
    }
}

#[test]
fn in_async_mode_the_lane_is_the_event_loop() {
    use corescope_demos::catalog::Mode;
    let mut app = App::new(Duration::from_millis(500));
    let mut snap = crate::model::fixtures::demo_snapshot(0);
    if let Some(demo) = &mut snap.demo {
        demo.mode = Mode::Async;
        demo.probes.workers.truncate(1);
    }
    app.ingest(Arc::new(snap));
    let screen = text_of(&draw(&app, 100, 30)).join("\n");
    assert!(screen.contains("│event loop "), "{screen}");
}

proptest::proptest! {
    #[test]
    fn render_never_panics_at_any_size(width in 0u16..260, height in 0u16..90) {
        let app = app();
        draw(&app, width, height);
    }
}
