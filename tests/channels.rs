//! The `pipe` and `manager` demos talk over channels nobody else can reach:
//! no abstract socket named `corescope-*` (which any local user could
//! connect to, or bind first) exists while they run, and their results are
//! what they were: every message and every update arrives.

mod common;

use std::process::{Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::{command, one_at_a_time};
use serde_json::Value;

/// The abstract sockets named `corescope-*` in /proc/net/unix now.
fn corescope_sockets() -> Vec<String> {
    std::fs::read_to_string("/proc/net/unix")
        .unwrap_or_default()
        .lines()
        .filter_map(|line| line.split_whitespace().nth(7))
        .filter(|path| path.starts_with("@corescope-"))
        .map(str::to_owned)
        .collect()
}

/// Runs `demo ARGS --headless --json` while watching /proc/net/unix; its
/// output, and every corescope socket seen while it ran.
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
    let done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let watcher = scope.spawn(|| {
            let mut seen = Vec::new();
            while !done.load(Ordering::Relaxed) {
                for socket in corescope_sockets() {
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
    assert!(
        seen.is_empty(),
        "expected no corescope socket, saw {seen:?}"
    );
    let result = report(&out)["result"].clone();
    assert_eq!(result["round_trips"], 2000, "{result}");
    assert_eq!(result["intact"], 2000, "{result}");
    assert_eq!(result["bytes_moved"], 400_000, "{result}");

    // The caller hangs: the echo end waits for it for the whole run.
    let (out, seen) = demo_watching_sockets(&["pipe", "--hang-worker", "0", "--duration", "1"]);
    assert!(
        seen.is_empty(),
        "expected no corescope socket while the echo end waits, saw {seen:?}"
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
    assert!(
        seen.is_empty(),
        "expected no corescope socket, saw {seen:?}"
    );
    let result = report(&out)["result"].clone();
    assert_eq!(result["requests_made"], 900, "{result}");
    assert_eq!(result["requests_served"], 900, "{result}");
    assert_eq!(result["dictionary_total"], 900, "{result}");
    assert_eq!(result["server_shut_down"], true, "{result}");
}
