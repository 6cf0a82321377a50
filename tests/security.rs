//! What another local user, or a hostile file, can throw at corescope: names
//! carrying terminal escapes, links planted where corescope writes, endless
//! or blocking inputs, a full disk. Each must be refused or neutralised with
//! one clear line, never followed, never hung on.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::{command, python_executable};

/// A scratch directory of this test's own, emptied first.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("security-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn corescope(args: &[&str]) -> Output {
    command()
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run corescope")
}

fn stderr_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts `out` failed with `code` and one line on stderr containing `says`.
fn refused(out: &Output, code: i32, says: &str, what: &str) {
    let err = stderr_of(out);
    assert_eq!(
        out.status.code(),
        Some(code),
        "{what}: expected exit {code}, saw {:?}; stderr: {err}",
        out.status.code()
    );
    assert_eq!(err.lines().count(), 1, "{what}: one line expected: {err}");
    assert!(
        err.contains(says),
        "{what}: expected stderr to say `{says}`, saw: {err}"
    );
}

/// A Python program that names its main thread `ESC ] 2 ; pwned BEL` (which
/// retitles a terminal) and a second thread `ESC [ 2 J` and a one-byte CSI
/// (which erase it), then lives long enough to be sampled.
const HOSTILE_NAMES: &str = r#"
import threading, time
def name(s):
    with open(f"/proc/self/task/{threading.get_native_id()}/comm", "wb") as f:
        f.write(s)
name(b"\x1b]2;pwned\x07")
t = threading.Thread(target=lambda: (name(b"\x1b[2J\xc2\x9b"), time.sleep(1.5)))
t.start(); t.join()
"#;

#[test]
fn thread_names_never_reach_the_terminal_as_escapes() {
    let _cores = common::one_at_a_time();
    let out = corescope(&[
        "run",
        "--headless",
        "--",
        python_executable(),
        "-c",
        HOSTILE_NAMES,
    ]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        report.contains("]2;pwned"),
        "expected the renamed thread in the report, saw:\n{report}"
    );
    for (byte, name) in [(0x1b, "ESC"), (0x07, "BEL")] {
        assert!(
            !out.stdout.contains(&byte),
            "the text report holds a raw {name} byte:\n{report:?}"
        );
    }
    assert!(
        !report.contains('\u{9b}'),
        "the text report holds a one-byte CSI:\n{report:?}"
    );
}

#[test]
fn the_files_corescope_writes_are_private_and_links_are_refused() {
    let dir = scratch("files");
    let record = dir.join("run.jsonl");
    let csv = dir.join("run.csv");
    let out = corescope(&[
        "demo",
        "race",
        "--headless",
        "--record",
        &record.display().to_string(),
        "--csv",
        &csv.display().to_string(),
    ]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    for path in [&record, &csv] {
        let mode = std::fs::metadata(path).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{} was created {mode:o}", path.display());
    }

    let victim = dir.join("victim");
    std::fs::write(&victim, "precious").expect("victim");
    for flag in ["--record", "--csv"] {
        let planted = dir.join(format!("planted{flag}"));
        std::os::unix::fs::symlink(&victim, &planted).expect("plant a link");
        let out = corescope(&[
            "demo",
            "race",
            "--headless",
            flag,
            &planted.display().to_string(),
        ]);
        refused(&out, 1, "symbolic link", flag);
        assert_eq!(
            std::fs::read_to_string(&victim).expect("victim"),
            "precious",
            "{flag} wrote through a planted link"
        );
    }
}

#[test]
fn endless_and_blocking_inputs_fail_fast_with_one_line() {
    let dir = scratch("inputs");
    let fifo = dir.join("fifo");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).expect("mkfifo");
    let fifo = fifo.display().to_string();
    for (args, code, says) in [
        (
            vec!["--config", "/dev/zero", "list"],
            2,
            "not a regular file",
        ),
        (vec!["--config", &fifo, "list"], 2, "it is a FIFO"),
        (
            vec!["--theme", "/dev/zero", "list"],
            2,
            "not a regular file",
        ),
        (vec!["--lesson", "/dev/zero"], 2, "not a regular file"),
        (vec!["--lesson", "/nowhere/l.toml"], 2, "it does not exist"),
        (vec!["replay", "/dev/zero"], 1, "not a regular file"),
        (vec!["replay", &fifo, "--headless"], 1, "it is a FIFO"),
    ] {
        // A FIFO that blocked would hang here, and the test with it.
        let out = corescope(&args);
        refused(&out, code, says, &args.join(" "));
        assert!(
            !stderr_of(&out).contains("line 1"),
            "{args:?}: a whole-file problem names no line: {}",
            stderr_of(&out)
        );
    }
}

#[test]
fn a_huge_recording_line_is_an_error_naming_its_line() {
    let dir = scratch("huge-line");
    let path = dir.join("huge.jsonl");
    let header = r#"{"corescope_recording":1,"corescope_version":"0","command":"x","interval_ms":100,"started_unix_ms":0}"#;
    let mut text = format!("{header}\n");
    text.push_str(&"x".repeat(65 * 1024 * 1024));
    std::fs::write(&path, text).expect("write");
    let out = corescope(&["replay", "--headless", &path.display().to_string()]);
    refused(&out, 1, "line 2: it is larger than 64 MiB", "a 65 MiB line");
}

#[test]
fn a_full_disk_is_said_and_the_exit_code_is_1() {
    let out = corescope(&["demo", "race", "--headless", "--csv", "/dev/full"]);
    refused(
        &out,
        1,
        "cannot write the CSV file /dev/full",
        "--csv /dev/full",
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("race"),
        "the report is still printed: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = corescope(&["demo", "race", "--headless", "--record", "/dev/full"]);
    refused(
        &out,
        1,
        "cannot write the recording /dev/full",
        "--record /dev/full",
    );
}

#[test]
fn the_recording_and_the_csv_cannot_be_one_file() {
    let dir = scratch("same");
    let file = dir.join("both");
    let same = dir.join(".").join("both");
    let out = corescope(&[
        "demo",
        "race",
        "--headless",
        "--record",
        &file.display().to_string(),
        "--csv",
        &same.display().to_string(),
    ]);
    refused(&out, 2, "name the same file", "--record F --csv ./F");
    let out = corescope(&[
        "run",
        "--headless",
        "--log",
        &file.display().to_string(),
        "--csv",
        &same.display().to_string(),
        "--",
        "true",
    ]);
    refused(
        &out,
        2,
        "--log and --csv name the same file",
        "--log F --csv ./F",
    );
    assert!(
        common::wait_until(common::DEADLINE, || !file.exists()),
        "nothing was created"
    );
}

#[test]
fn a_zombie_is_called_a_zombie() {
    let _cores = common::one_at_a_time();
    // The child exits at once; its parent does not reap it for a while.
    let parent = common::python(
        "import os, time\npid = os.fork()\nif pid == 0:\n    os._exit(0)\ntime.sleep(30)",
        1,
    );
    let mut zombie = None;
    assert!(
        common::wait_until(common::DEADLINE, || {
            zombie = std::fs::read_to_string(format!("/proc/{}/task/{0}/children", parent.0.id()))
                .ok()
                .and_then(|c| c.split_whitespace().next().map(str::to_owned));
            zombie.as_ref().is_some_and(|pid| {
                std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
                    s.rsplit(')')
                        .next()
                        .is_some_and(|r| r.trim_start().starts_with('Z'))
                })
            })
        }),
        "the child never became a zombie"
    );
    let zombie = zombie.expect("zombie pid");
    let out = corescope(&["watch", &zombie, "--headless"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(
        text.contains("zombie"),
        "the text report says it is a zombie:\n{text}"
    );
    let out = corescope(&["watch", &zombie, "--headless", "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["root_state"], "Z", "{report}");
}

#[test]
fn a_thread_id_is_named_as_a_thread_of_its_process() {
    let program = common::python(
        "import threading, time\nthreading.Thread(target=time.sleep, args=(30,)).start()\ntime.sleep(30)",
        2,
    );
    let pid = program.0.id();
    let tid = std::fs::read_dir(format!("/proc/{pid}/task"))
        .expect("tasks")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .find(|tid| *tid != pid)
        .expect("a second thread");
    let record = scratch("tid").join("never.jsonl");
    let out = corescope(&[
        "watch",
        &tid.to_string(),
        "--headless",
        "--record",
        &record.display().to_string(),
    ]);
    refused(
        &out,
        2,
        &format!("{tid} is a thread of process {pid}, not a process"),
        "watch TID",
    );
    assert!(!record.exists(), "no file for a run that did not happen");
}

#[test]
fn pid_1_is_called_another_users_only_when_it_is() {
    let out = corescope(&["watch", "1", "--headless", "--json", "--duration", "0.3"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let status = std::fs::read_to_string("/proc/1/status").expect("status");
    let owner: u32 = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|l| l.split_whitespace().next()?.parse().ok())
        .expect("uid");
    let another = owner != nix::unistd::getuid().as_raw();
    let restricted = report["restricted"].as_bool().expect("restricted");
    assert_eq!(
        report["another_user"],
        restricted && another,
        "PID 1 runs as uid {owner}; restricted: {restricted}"
    );
    let out = corescope(&["watch", "1", "--headless", "--duration", "0.3"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text.contains("another user's"),
        restricted && another,
        "PID 1 runs as uid {owner}, we as {}:\n{text}",
        nix::unistd::getuid()
    );
}
