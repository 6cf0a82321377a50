//! The `pipe` and `manager` demos talk over channels nobody else can reach:
//! no socket of theirs has a name (an abstract `@corescope-PID-pipe-N`, as
//! before, could be reached by any local user, or bound first) while they
//! run, and their results are what they were: every message and every
//! update arrives.

mod common;

use std::process::{Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::{command, one_at_a_time};
use serde_json::Value;

/// The processes under `pid`, itself included.
fn tree(pid: u32) -> Vec<u32> {
    let mut found = vec![pid];
    let mut at = 0;
    while let Some(pid) = found.get(at).copied() {
        at += 1;
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
            continue;
        };
        for task in tasks.flatten() {
            let children =
                std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
            found.extend(
                children
                    .split_whitespace()
                    .filter_map(|c| c.parse::<u32>().ok()),
            );
        }
    }
    found
}

/// The names of the UNIX sockets that the processes under `pid` hold now
/// and that have a name (an abstract `@name` or a path): sockets another
/// process could connect to. Other programs' sockets do not count.
fn named_sockets_of(pid: u32) -> Vec<String> {
    let mut inodes = Vec::new();
    for process in tree(pid) {
        let Ok(fds) = std::fs::read_dir(format!("/proc/{process}/fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            let target = std::fs::read_link(fd.path()).unwrap_or_default();
            let target = target.to_string_lossy();
            if let Some(inode) = target
                .strip_prefix("socket:[")
                .and_then(|t| t.strip_suffix(']'))
            {
                inodes.push(inode.to_owned());
            }
        }
    }
    std::fs::read_to_string("/proc/net/unix")
        .unwrap_or_default()
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (inode, name) = (fields.get(6)?, fields.get(7)?);
            inodes
                .contains(&(*inode).to_owned())
                .then(|| (*name).to_owned())
        })
        .collect()
}

/// Runs `demo ARGS --headless --json` while watching its sockets; its
/// output, and every named socket it (or a worker) held while it ran.
fn demo_watching_sockets(args: &[&str]) -> (Output, Vec<String>) {
    let child = command()
        .arg("demo")
        .args(args)
        .args(["--headless", "--json"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("corescope");
    let pid = child.id();
    let done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let watcher = scope.spawn(|| {
            let mut seen = Vec::new();
            while !done.load(Ordering::Relaxed) {
                for socket in named_sockets_of(pid) {
                    if !seen.contains(&socket) {
                        seen.push(socket);
                    }
                }
                std::thread::sleep(Duration::from_millis(2));
            }
            seen
        });
        let out = child.wait_with_output().expect("corescope output");
        done.store(true, Ordering::Relaxed);
        (out, watcher.join().expect("watcher"))
    })
}

fn report(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "expected exit 0, got {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is one JSON report")
}

#[test]
fn the_pipe_has_no_socket_anyone_can_reach_and_carries_every_message() {
    let _cores = one_at_a_time();
    let (out, seen) = demo_watching_sockets(&["pipe", "--messages", "2000", "--bytes", "100"]);
    assert!(seen.is_empty(), "expected no named socket, saw {seen:?}");
    let result = report(&out)["result"].clone();
    assert_eq!(result["round_trips"], 2000, "{result}");
    assert_eq!(result["intact"], 2000, "{result}");
    assert_eq!(result["bytes_moved"], 400_000, "{result}");

    // The caller hangs: the echo end waits for it for the whole run.
    let (out, seen) = demo_watching_sockets(&["pipe", "--hang-worker", "0", "--duration", "1"]);
    assert!(
        seen.is_empty(),
        "expected no named socket while the echo end waits, saw {seen:?}"
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_manager_has_no_socket_anyone_can_reach_and_keeps_every_update() {
    let _cores = one_at_a_time();
    let (out, seen) = demo_watching_sockets(&["manager", "--workers", "3", "--tasks", "300"]);
    assert!(seen.is_empty(), "expected no named socket, saw {seen:?}");
    let result = report(&out)["result"].clone();
    assert_eq!(result["requests_made"], 900, "{result}");
    assert_eq!(result["requests_served"], 900, "{result}");
    assert_eq!(result["dictionary_total"], 900, "{result}");
    assert_eq!(result["server_shut_down"], true, "{result}");
}
