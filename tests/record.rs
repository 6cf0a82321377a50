//! Recording and replay through the binary: `--record` and `--csv` on a
//! headless run and in the dashboard, `replay` headless (the same report
//! as the live run) and in a real terminal (pause, seek, quit).

mod common;

use std::path::PathBuf;

use common::{Tmux, bin, corescope, tmux_available};

/// A scratch directory of this test's own, emptied first.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("corescope-e2e-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn json(stdout: &[u8]) -> serde_json::Value {
    serde_json::from_slice(stdout).expect("a JSON report")
}

#[test]
fn a_headless_replay_prints_the_report_the_live_run_printed() {
    let _cores = common::one_at_a_time();
    let dir = scratch("headless");
    let record = dir.join("race.jsonl");
    let csv = dir.join("race.csv");
    let (record_arg, csv_arg) = (record.to_string_lossy(), csv.to_string_lossy());
    let live = corescope(&[
        "--record",
        &record_arg,
        "--csv",
        &csv_arg,
        "demo",
        "race",
        "--headless",
        "--json",
    ]);
    assert!(
        live.status.success(),
        "{}",
        String::from_utf8_lossy(&live.stderr)
    );

    let replayed = corescope(&["replay", &record_arg, "--headless", "--json"]);
    assert!(
        replayed.status.success(),
        "{}",
        String::from_utf8_lossy(&replayed.stderr)
    );
    let (live, replayed) = (json(&live.stdout), json(&replayed.stdout));
    assert_eq!(replayed["demo"], "race");
    assert_eq!(
        replayed["result"]["variants"][0]["variant"],
        "unsynchronized"
    );
    assert_eq!(live, replayed, "every figure of the report comes back");

    // One CSV row per recorded snapshot, after the header.
    let snapshots = std::fs::read_to_string(&record)
        .expect("recording")
        .lines()
        .count()
        - 1;
    let rows = std::fs::read_to_string(&csv).expect("csv").lines().count() - 1;
    assert_eq!(rows, snapshots);
    assert!(snapshots >= 2, "{snapshots} snapshots");

    // A recording cut mid-line (corescope killed while writing) replays to
    // its last whole line, and says so.
    let text = std::fs::read_to_string(&record).expect("recording");
    let cut = dir.join("cut.jsonl");
    std::fs::write(&cut, &text[..text.len() - 40]).expect("write");
    let out = corescope(&["replay", &cut.to_string_lossy(), "--headless", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("was cut short"), "{stderr}");
    assert_eq!(json(&out.stdout)["demo"], "race");

    // A headless replay with --csv writes the same timeline again.
    let again = dir.join("again.csv");
    let out = corescope(&[
        "--csv",
        &again.to_string_lossy(),
        "replay",
        &record_arg,
        "--headless",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(&again).expect("again"),
        std::fs::read_to_string(&csv).expect("csv")
    );
}

#[test]
fn bad_recordings_and_bad_uses_get_one_clear_line() {
    let dir = scratch("bad");
    let file = dir.join("notes.jsonl");
    std::fs::write(&file, "hello\n").expect("write");
    let file_arg = file.to_string_lossy();
    let out = corescope(&["replay", &file_arg, "--headless"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with(&format!(
            "corescope: error: {file_arg}: line 1: not a corescope recording"
        )),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");

    let out = corescope(&["replay", "/nonexistent/run.jsonl", "--headless"]);
    assert_eq!(out.status.code(), Some(1));

    let out = corescope(&["--csv", "x.csv", "replay", &file_arg]);
    assert_eq!(out.status.code(), Some(2), "a screen replay writes no CSV");

    let out = corescope(&[
        "--record",
        "/nonexistent/run.jsonl",
        "demo",
        "race",
        "--headless",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot create the recording /nonexistent/run.jsonl"),
        "{stderr}"
    );
}

#[test]
fn a_dashboard_recording_replays_in_a_terminal_with_pause_and_seek() {
    let _cores = common::one_at_a_time();
    if !tmux_available() {
        return;
    }
    let tmux = Tmux::start("replay", 120, 40);
    let record = tmux.file("gil.jsonl");
    let done = tmux.file("done");
    tmux.type_line(&format!(
        "{} --interval 100 --record {} demo gil; echo $? > {}",
        bin(),
        record.display(),
        done.display()
    ));
    tmux.wait_for("waiting: GIL");
    // The header line and at least ten snapshots before quitting.
    let lines = || std::fs::read_to_string(&record).map_or(0, |r| r.lines().count());
    assert!(
        common::wait_until(common::DEADLINE, || lines() > 10),
        "expected at least 10 snapshots recorded at 100 ms, the file has {} lines",
        lines()
    );
    tmux.send(&["q"]);
    assert_eq!(tmux.read_when_written(&done).trim(), "0");
    let recorded = std::fs::read_to_string(&record)
        .expect("recording")
        .lines()
        .count()
        - 1;
    assert!(
        recorded >= 10,
        "expected the 10 or more snapshots seen before q, the recording kept {recorded}"
    );

    let before = tmux.file("before");
    let after = tmux.file("after");
    tmux.type_line(&format!(
        "stty -g > {}; {} replay {}; stty -g > {}",
        before.display(),
        bin(),
        record.display(),
        after.display()
    ));
    tmux.wait_for("▶ replay");
    // The first frame may come before the first snapshot is read.
    let screen = tmux.wait_for("demo gil");
    assert!(
        screen.contains("-5s"),
        "the footer names the seek keys:\n{screen}"
    );
    tmux.send(&["Space"]);
    tmux.wait_for("PAUSED");
    // Back past the start: the first snapshot, at 0.0 s of the recording.
    tmux.send(&["Left"]);
    tmux.wait_for("PAUSED 0.0 s /");
    // Ahead past the end: the last snapshot, and the replay says it is over.
    tmux.send(&["Right"]);
    tmux.wait_for("■ END");
    tmux.send(&["q"]);
    let after = tmux.read_when_written(&after);
    assert_eq!(std::fs::read_to_string(before).expect("before"), after);
}
