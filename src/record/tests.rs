//! Recording, reading back, the CSV timeline and the player, on fixture
//! snapshots in a scratch directory.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use corescope_demos::demos::race::RaceOutcome;

use super::*;
use crate::error::UsageError;
use crate::model::fixtures::{demo_snapshot, snapshot, thread};

/// A scratch directory of this test's own, emptied first.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("corescope-record-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn header() -> Header {
    Header {
        started_unix_ms: 1_796_000_000_000,
        ..Header::now("corescope demo race".to_owned(), 500)
    }
}

/// Records `snapshots` to `path` as `--record` would.
fn record(path: &Path, snapshots: &[Snapshot]) {
    let paths = TapPaths {
        record: Some(path.to_owned()),
        csv: None,
    };
    let mut taps = Taps::open(&paths, &header()).expect("open");
    for snapshot in snapshots {
        taps.write(snapshot);
    }
    assert_eq!(taps.error(), None);
}

#[test]
fn a_recording_reads_back_as_it_was_written() {
    let dir = scratch("roundtrip");
    let path = dir.join("run.jsonl");
    let snapshots: Vec<Snapshot> = (0..4).map(demo_snapshot).collect();
    record(&path, &snapshots);

    let recording = Recording::open(&path).expect("open");
    assert_eq!(recording.header(), &header());
    assert_eq!(recording.len(), 4);
    assert!(!recording.cut_short());
    assert_eq!(recording.last_seq(), 3);
    for (index, written) in snapshots.iter().enumerate() {
        let read = recording.read(index).expect("read");
        // The outcome comes back as the lines the screen draws of it, not
        // as the demo's own type.
        let (Some(live), Some(recorded)) = (
            written.demo.as_ref().and_then(|d| d.outcome.as_ref()),
            read.demo.as_ref().and_then(|d| d.outcome.as_ref()),
        ) else {
            panic!("the outcome did not come back");
        };
        assert!(
            recorded.get::<RaceOutcome>().is_none(),
            "a recorded outcome read back as the demo's own type"
        );
        assert_eq!(recorded.lines(), live.lines());
        let mut expected = written.clone();
        if let Some(demo) = &mut expected.demo {
            demo.outcome
                .clone_from(&read.demo.as_ref().and_then(|d| d.outcome.clone()));
        }
        assert_eq!(read, expected, "snapshot {index}");
    }
}

#[test]
fn the_recording_keeps_the_demo_outcome_itself_for_readers_of_the_file() {
    let dir = scratch("outcome");
    let path = dir.join("run.jsonl");
    record(&path, &[demo_snapshot(1)]);
    let text = std::fs::read_to_string(&path).expect("read");
    let line: serde_json::Value =
        serde_json::from_str(text.lines().nth(1).expect("snapshot line")).expect("json");
    let result = &line["demo"]["outcome"]["result"];
    assert_eq!(result["variants"][0]["variant"], "unsynchronized");
    assert_eq!(result["variants"][0]["lost_updates"], 687_123);
}

#[test]
fn a_line_cut_short_at_the_end_is_left_out_and_said() {
    let dir = scratch("cut");
    let path = dir.join("run.jsonl");
    record(&path, &[demo_snapshot(0), demo_snapshot(1)]);
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .expect("append");
    file.write_all(br#"{"seq":2,"elapsed":{"se"#)
        .expect("write");
    drop(file);
    let recording = Recording::open(&path).expect("open");
    assert_eq!(recording.len(), 2);
    assert!(recording.cut_short());
}

#[test]
fn a_bad_line_is_an_error_naming_the_file_and_the_line() {
    let dir = scratch("bad");
    let path = dir.join("run.jsonl");
    record(&path, &[demo_snapshot(0), demo_snapshot(1)]);
    let mut text = std::fs::read_to_string(&path).expect("read");
    text.insert_str(
        text.find("\n{").expect("second line") + 1,
        "{\"seq\": \"two\"}\n",
    );
    std::fs::write(&path, text).expect("write");
    let err = Recording::open(&path).expect_err("bad line").to_string();
    assert!(
        err.starts_with(&format!("{}: line 2: not a snapshot", path.display())),
        "{err}"
    );

    std::fs::write(&path, "").expect("write");
    let err = Recording::open(&path).expect_err("empty").to_string();
    assert!(
        err.contains("empty file, not a corescope recording"),
        "{err}"
    );

    std::fs::write(&path, "{\"cpu\": 1}\n").expect("write");
    let err = Recording::open(&path).expect_err("not ours").to_string();
    assert!(err.contains("line 1: not a corescope recording"), "{err}");

    let mut newer = header();
    newer.corescope_recording = FORMAT_VERSION + 1;
    std::fs::write(&path, serde_json::to_string(&newer).expect("json") + "\n").expect("write");
    let err = Recording::open(&path).expect_err("newer").to_string();
    assert!(err.contains("this corescope reads format 1"), "{err}");

    record(&path, &[]);
    let err = Recording::open(&path).expect_err("no snapshot").to_string();
    assert!(err.ends_with("the recording holds no snapshot"), "{err}");
}

#[test]
fn positions_are_found_by_time() {
    let dir = scratch("seek");
    let path = dir.join("run.jsonl");
    // Ticks every 500 ms: 0, 0.5, 1.0, 1.5 s.
    record(&path, &(0..4).map(demo_snapshot).collect::<Vec<_>>());
    let recording = Recording::open(&path).expect("open");
    assert_eq!(recording.index_at(Duration::ZERO), 0);
    assert_eq!(recording.index_at(Duration::from_millis(400)), 1);
    assert_eq!(recording.index_at(Duration::from_secs(1)), 2);
    assert_eq!(
        recording.index_at(Duration::from_mins(1)),
        3,
        "past the end: the last"
    );
    assert_eq!(recording.elapsed(3), Duration::from_millis(1500));
}

#[test]
fn the_csv_timeline_has_a_cell_for_every_column_and_gaps_stay_empty() {
    let dir = scratch("csv");
    let path = dir.join("timeline.csv");
    let mut first = snapshot(0, [10.0, 20.0], vec![thread(10, "main", 1.0, 'S')]);
    // The first tick has no rates yet: no busy percent, no parallelism.
    for core in &mut first.cores {
        core.busy_pct = None;
    }
    first.target.parallelism = None;
    let second = demo_snapshot(1);
    let mut csv = CsvTimeline::create(&path).expect("create");
    csv.write(&first).expect("first");
    csv.write(&second).expect("second");
    drop(csv);

    let mut reader = ::csv::Reader::from_path(&path).expect("read");
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        &header[..5],
        [
            "seq",
            "elapsed_ms",
            "interval_ms",
            "cpu0_busy_pct",
            "cpu1_busy_pct"
        ]
    );
    let rows: Vec<::csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 2);
    let cell = |row: usize, column: &str| {
        let at = header.iter().position(|h| h == column).expect(column);
        rows[row][at].to_owned()
    };
    assert_eq!(cell(0, "interval_ms"), "");
    assert_eq!(cell(0, "cpu0_busy_pct"), "");
    assert_eq!(cell(0, "parallelism"), "");
    assert_eq!(cell(0, "demo"), "", "no demo ran");
    assert_eq!(cell(0, "threads"), "1");
    assert_eq!(cell(1, "elapsed_ms"), "500.000");
    assert_eq!(cell(1, "cpu0_busy_pct"), "55.0");
    assert_eq!(cell(1, "demo"), "race");
    assert_eq!(cell(1, "mode"), "threads");
    assert_eq!(cell(1, "tasks_done"), "3");
    assert_eq!(cell(1, "lock_contended"), "390");
    assert_eq!(cell(1, "lock_waiting"), "1");
    assert_eq!(cell(1, "threads"), "3");
}

#[test]
fn a_file_that_cannot_be_created_fails_before_the_run_naming_it() {
    let paths = TapPaths {
        record: Some(PathBuf::from("/nonexistent-dir/run.jsonl")),
        csv: None,
    };
    let err = Taps::open(&paths, &header()).expect_err("no such directory");
    assert!(
        format!("{err:#}").starts_with("cannot create the recording /nonexistent-dir/run.jsonl"),
        "{err:#}"
    );
}

/// A recording of `count` race ticks `gap_ms` apart, opened.
fn short_recording(name: &str, count: u64, gap_ms: u64) -> Recording {
    let dir = scratch(name);
    let path = dir.join("run.jsonl");
    let snapshots: Vec<Snapshot> = (0..count)
        .map(|seq| {
            let mut s = demo_snapshot(seq);
            s.elapsed = Duration::from_millis(gap_ms * seq);
            s
        })
        .collect();
    record(&path, &snapshots);
    Recording::open(&path).expect("open")
}

fn next(rx: &mut tokio::sync::mpsc::Receiver<Playback>) -> Playback {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        match rx.try_recv() {
            Ok(playback) => return playback,
            Err(_) if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(1));
            }
            Err(err) => panic!("nothing played: {err}"),
        }
    }
}

fn seq_of(playback: &Playback) -> u64 {
    match playback {
        Playback::Snapshot(s) => s.seq,
        other => panic!("expected a snapshot, got {other:?}"),
    }
}

#[test]
fn the_player_sends_every_snapshot_in_order_at_the_recorded_pace() {
    let recording = short_recording("pace", 5, 40);
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    let started = std::time::Instant::now();
    let player = Player::spawn(recording, tx).expect("spawn");
    let seqs: Vec<u64> = (0..5).map(|_| seq_of(&next(&mut rx))).collect();
    assert_eq!(seqs, [0, 1, 2, 3, 4]);
    // Four recorded gaps of 40 ms: the player cannot be early.
    assert!(
        started.elapsed() >= Duration::from_millis(160),
        "{:?}",
        started.elapsed()
    );
    drop(player);
}

#[test]
fn pausing_stops_the_player_and_seeking_sends_the_history_up_to_there() {
    // 60 ticks 500 ms apart: 29.5 s of recording.
    let recording = short_recording("seek-player", 60, 500);
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    let player = Player::spawn(recording, tx).expect("spawn");
    assert_eq!(seq_of(&next(&mut rx)), 0);
    player.send(ReplayCommand::TogglePause);
    player.send(ReplayCommand::Ahead);
    // Shown: tick 0 at 0 s; ahead 5 s is tick 10, with ticks 0 to 10 before it.
    let Playback::Rewind(history) = next(&mut rx) else {
        panic!("a seek rewinds");
    };
    let seqs: Vec<u64> = history.iter().map(|s| s.seq).collect();
    assert_eq!(seqs, (0..=10).collect::<Vec<_>>());
    std::thread::sleep(Duration::from_millis(700));
    assert!(rx.try_recv().is_err(), "paused: nothing more is sent");
    player.send(ReplayCommand::Back);
    let Playback::Rewind(history) = next(&mut rx) else {
        panic!("a seek rewinds");
    };
    assert_eq!(history.last().map(|s| s.seq), Some(0));
    player.send(ReplayCommand::TogglePause);
    assert_eq!(seq_of(&next(&mut rx)), 1, "playing on from where it stood");
    drop(player);
}

#[test]
fn a_seek_sends_at_most_the_history_the_screen_keeps() {
    let count = crate::model::HISTORY_LEN as u64 + 50;
    let recording = short_recording("long", count, 10);
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    let player = Player::spawn(recording, tx).expect("spawn");
    player.send(ReplayCommand::TogglePause);
    for _ in 0..2 {
        player.send(ReplayCommand::Ahead);
    }
    // The first seek's rewind, then the second's, which reaches the end.
    let mut history = Vec::new();
    while history
        .last()
        .is_none_or(|s: &Arc<Snapshot>| s.seq != count - 1)
    {
        if let Playback::Rewind(rewound) = next(&mut rx) {
            history = rewound;
        }
    }
    assert_eq!(history.len(), crate::model::HISTORY_LEN);
    assert_eq!(history[0].seq, count - crate::model::HISTORY_LEN as u64);
    drop(player);
}

#[test]
fn one_file_for_both_the_recording_and_the_csv_is_refused() {
    let dir = scratch("same-file");
    let paths = |record: PathBuf, csv: PathBuf| TapPaths {
        record: Some(record),
        csv: Some(csv),
    };
    let same = dir.join("f");
    let by_another_path = dir.join(".").join("f");
    for (record, csv) in [
        (same.clone(), same.clone()),
        (same.clone(), by_another_path.clone()),
    ] {
        let err = Taps::open(&paths(record, csv), &header()).expect_err("same file");
        assert!(err.is::<UsageError>(), "a usage error: {err:#}");
        assert!(err.to_string().contains("name the same file"), "{err:#}");
    }
    std::fs::write(&same, "").expect("write");
    let hard_link = dir.join("g");
    std::fs::hard_link(&same, &hard_link).expect("hard link");
    let err = Taps::open(&paths(same.clone(), hard_link.clone()), &header()).expect_err("linked");
    assert!(err.is::<UsageError>(), "a usage error: {err:#}");
    std::fs::remove_file(&hard_link).expect("unlink");
    assert!(Taps::open(&paths(same, dir.join("h")), &header()).is_ok());
}

#[test]
fn recordings_and_csv_files_are_private_and_never_written_through_a_link() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch("private");
    let paths = TapPaths {
        record: Some(dir.join("run.jsonl")),
        csv: Some(dir.join("run.csv")),
    };
    let mut taps = Taps::open(&paths, &header()).expect("open");
    taps.write(&demo_snapshot(0));
    for path in [dir.join("run.jsonl"), dir.join("run.csv")] {
        let mode = std::fs::metadata(&path).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{} is private", path.display());
    }
    let victim = dir.join("victim");
    std::fs::write(&victim, "precious").expect("victim");
    let planted = dir.join("planted.jsonl");
    std::os::unix::fs::symlink(&victim, &planted).expect("link");
    let err = Taps::open(
        &TapPaths {
            record: Some(planted),
            csv: None,
        },
        &header(),
    )
    .expect_err("through a link");
    assert!(format!("{err:#}").contains("symbolic link"), "{err:#}");
    assert_eq!(std::fs::read_to_string(&victim).expect("read"), "precious");
}
