//! The lecture check: every step of the default lesson, run for real (a short
//! headless run recorded to a file: `demo` for a demo step, `run -- python3
//! FILE` for a step that runs one of the course's Python programs), then drawn from that recording at
//! 80x24, 120x40 and 200x60 (and at 40x12, the smallest, for its first key
//! visual) with a test backend, as the dashboard draws it.
//! A step fails when a key visual its demo declares is not on screen, when
//! its notes are cut, or when a text is cut without an ellipsis (see
//! [`cut_lines`]).
//!
//! Run it alone with `scripts/lecture-check.sh` (or `cargo test --test
//! lecture_check`); `LECTURE_SCREENS=DIR` also writes every screen drawn to
//! `DIR/STEP-WxH.txt`, to look at.

mod common;

use std::sync::Arc;
use std::time::Duration;

use corescope::app::App;
use corescope::lesson::{self, Play, PythonStep, Step};
use corescope::picker::Picker;
use corescope::record::Recording;
use corescope::ui;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// The sizes a lecture meets: a projector with a large font, a laptop, a
/// big monitor.
const SIZES: [(u16, u16); 3] = [(80, 24), (120, 40), (200, 60)];
/// The smallest the dashboard draws in: there, the first key visual and
/// nothing cut or empty is asked for (the notes may give way).
const SMALLEST: (u16, u16) = (40, 12);

/// Runs `step`'s demo or Python program headless for a while, recording
/// every snapshot.
fn record(step: &Step, number: usize, dir: &std::path::Path) -> Recording {
    let file = dir.join(format!("step-{number}.jsonl"));
    let config = match &step.play {
        Play::Demo(config) => config,
        Play::Python(python) => return record_python(python, number, &file),
    };
    let mut args: Vec<String> = vec![
        "demo".into(),
        config.spec.name.into(),
        "--mode".into(),
        config.mode.name().into(),
        "--headless".into(),
        "--duration".into(),
        "2".into(),
        "--interval".into(),
        "100".into(),
        "--record".into(),
        file.display().to_string(),
    ];
    if let Some(kind) = config.kind {
        args.extend(["--kind".into(), kind.name().into()]);
    }
    if let Some(variant) = config.variant {
        args.extend(["--variant".into(), variant.into()]);
    }
    for (name, value) in config.values() {
        args.extend([format!("--{name}"), value.to_string()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = common::corescope(&args);
    assert!(
        out.status.success(),
        "step {number} ({}): the demo did not run: {}",
        config.spec.name,
        String::from_utf8_lossy(&out.stderr)
    );
    Recording::open(&file).expect("the recording opens")
}

/// Runs a Python step's program as the lesson does (from the built-in
/// copy in `assets/python`), headless, recording every snapshot.
fn record_python(step: &PythonStep, number: usize, file: &std::path::Path) -> Recording {
    let program = format!("assets/python/{}", step.program.name);
    let file_arg = file.display().to_string();
    let mut args = vec![
        "run",
        "--headless",
        "--duration",
        "2",
        "--interval",
        "100",
        "--record",
        &file_arg,
        "--",
        "python3",
        &program,
    ];
    args.extend(step.args.iter().map(String::as_str));
    let out = common::corescope(&args);
    assert!(
        out.status.success(),
        "step {number} ({}): the program did not run: {}",
        step.program.name,
        String::from_utf8_lossy(&out.stderr)
    );
    Recording::open(file).expect("the recording opens")
}

/// The app on lesson step `number` (from 1) with every recorded snapshot in.
fn app_at_step(number: usize, recording: &Recording) -> App {
    let mut picker = Picker::new(lesson::built_in().expect("lessons"));
    picker.start().expect("the lesson starts");
    if number > 1 {
        picker
            .step(isize::try_from(number - 1).expect("small"))
            .expect("the step exists");
    }
    let mut app = App::with_picker(Duration::from_millis(100), picker);
    for index in 0..recording.len() {
        app.ingest(Arc::new(recording.read(index).expect("a snapshot")));
    }
    app
}

fn screen(app: &App, width: u16, height: u16) -> Vec<String> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
    terminal
        .draw(|frame| {
            ui::render(app, frame);
        })
        .expect("draw");
    let buffer = terminal.backend().buffer();
    (0..height)
        .map(|y| (0..width).map(|x| buffer[(x, y)].symbol()).collect())
        .collect()
}

/// A letter or digit: text, not a mark or a border.
fn is_text(c: char) -> bool {
    c.is_alphanumeric()
}

/// Where a text is cut with no ellipsis: a panel title that runs into its
/// border's corner, a line of text that runs off the screen's right edge
/// (the footer's key hints and the stats line excepted: they drop whole
/// items, never cut one), a
/// title bar that lost its right side (cores, interval, elapsed; on a narrow
/// screen the interval and the elapsed time).
fn cut_lines(lines: &[String]) -> Vec<String> {
    let mut cuts = Vec::new();
    let last_row = lines.len().saturating_sub(1);
    for (row, line) in lines.iter().enumerate() {
        let chars: Vec<char> = line.chars().collect();
        for (column, pair) in chars.windows(2).enumerate() {
            if matches!(pair[1], '┐' | '┘') && is_text(pair[0]) {
                cuts.push(format!(
                    "row {row}: a title runs into its border at column {}: `{}`",
                    column + 1,
                    line.trim()
                ));
            }
        }
        // The footer's hints and the stats line's figures (a demo's
        // `parallelism …`, the watch and run screens' `tree: … ┃ machine: …`)
        // are dropped whole where they do not fit, never cut: one may end at
        // the edge.
        let whole_items =
            row == last_row || line.starts_with("parallelism ") || line.starts_with("tree: ");
        if !whole_items && chars.last().is_some_and(|c| is_text(*c)) {
            cuts.push(format!("row {row} runs off the screen: `{}`", line.trim()));
        }
    }
    // A panel's top border right above its bottom one: a border with no rows.
    for (row, pair) in lines.windows(2).enumerate() {
        let below: Vec<char> = pair[1].chars().collect();
        for (column, c) in pair[0].chars().enumerate() {
            if c == '┌' && below.get(column) == Some(&'└') {
                cuts.push(format!(
                    "row {row}: a panel at column {column} draws its border and no rows"
                ));
            }
        }
    }
    if let Some(title) = lines.first()
        && !title.contains(" cores · every ")
        && !title.trim_end().ends_with(" s")
    {
        cuts.push(format!(
            "the title bar lost its right side (cores, interval, elapsed): `{}`",
            title.trim()
        ));
    }
    cuts
}

#[test]
fn every_step_of_the_default_lesson_draws_its_key_visuals_uncut_at_every_size() {
    let lessons = lesson::built_in().expect("lessons");
    let steps = &lessons[0].steps;
    let dir = std::env::temp_dir().join(format!("corescope-lecture-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let keep = std::env::var_os("LECTURE_SCREENS").map(std::path::PathBuf::from);
    let mut failures = Vec::new();
    for (index, step) in steps.iter().enumerate() {
        let number = index + 1;
        let recording = record(step, number, &dir);
        let app = app_at_step(number, &recording);
        for (width, height) in SIZES.into_iter().chain([SMALLEST]) {
            let smallest = (width, height) == SMALLEST;
            let lines = screen(&app, width, height);
            let text = lines.join("\n");
            if let Some(keep) = &keep {
                std::fs::create_dir_all(keep).expect("screens dir");
                std::fs::write(
                    keep.join(format!("{number:02}-{width}x{height}.txt")),
                    &text,
                )
                .expect("write screen");
            }
            let name = match &step.play {
                Play::Demo(config) => config.spec.name,
                Play::Python(python) => python.program.name,
            };
            let wanted = if smallest { 1 } else { usize::MAX };
            // A Python step draws the run screen, which has no key visuals
            // of a demo's; its notes are checked as a demo step's are.
            let visuals = match &step.play {
                Play::Demo(_) => ui::key_visuals(name),
                Play::Python(_) => &[],
            };
            for visual in visuals.iter().take(wanted) {
                if !text.contains(visual.marker()) {
                    failures.push(format!(
                        "step {number} ({name}) at {width}x{height}: its key visual {visual:?} \
                         (`{}`) is not drawn:\n{text}",
                        visual.marker()
                    ));
                }
            }
            let last_word = step
                .notes
                .split_whitespace()
                .next_back()
                .unwrap_or_default();
            if !smallest && !text.contains(last_word) {
                failures.push(format!(
                    "step {number} ({name}) at {width}x{height}: the step's notes are cut \
                     (their last word `{last_word}` is not on screen):\n{text}"
                ));
            }
            for cut in cut_lines(&lines) {
                failures.push(format!(
                    "step {number} ({name}) at {width}x{height}: {cut}:\n{text}"
                ));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    let summary: Vec<&str> = failures
        .iter()
        .filter_map(|f| f.split(":\n").next())
        .collect();
    assert!(
        failures.is_empty(),
        "{} problems:\n{}\n\nthe first in full:\n{}",
        failures.len(),
        summary.join("\n"),
        failures.first().map_or("", String::as_str)
    );
}
