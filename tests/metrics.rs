//! `--metrics`: corescope scraped by a real Prometheus server.
//!
//! A Prometheus (Debian's `prometheus` package; .ci/run installs it) with a
//! configuration made here scrapes, every second, a headless demo and a
//! headless `watch` of a program with a known number of threads; the
//! checks ask Prometheus's HTTP query API what arrived. Outside CI a
//! missing `prometheus` binary skips these tests with a note; in CI it is
//! a failure. `promtool check metrics` (same package) checks the text.

mod common;

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{DEADLINE, Guarded, Tmux, bin, command, python, tmux_available, wait_until};
use serde_json::Value;

/// True when `tool` (from the prometheus package) runs. Outside CI a
/// missing one skips the test with a note; in CI it is a failure.
fn available(tool: &str) -> bool {
    let ok = Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok || std::env::var_os("CI").is_none(),
        "{tool} is required in CI (.ci/run installs the prometheus package)"
    );
    if !ok {
        eprintln!("skipping: {tool} is not installed (apt-get install prometheus)");
    }
    ok
}

/// A port nobody listens on now.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

/// One HTTP/1.0 GET to 127.0.0.1:`port`; the whole answer (status line,
/// headers, body) as text, or `None` when nobody answers (yet).
fn http_get(port: u16, target: &str, accept: Option<&str>) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    let accept = accept
        .map(|a| format!("Accept: {a}\r\n"))
        .unwrap_or_default();
    let request = format!("GET {target} HTTP/1.0\r\nHost: 127.0.0.1\r\n{accept}\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    Some(answer)
}

/// The body of an HTTP answer.
fn body(answer: &str) -> &str {
    answer.split_once("\r\n\r\n").map_or("", |(_, body)| body)
}

/// `text` percent-encoded for a query string.
fn encoded(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A Prometheus server scraping `targets` (job name, port) every second,
/// with its data and its log in a directory of its own; killed on drop.
struct Prometheus {
    port: u16,
    dir: PathBuf,
    _server: Guarded,
}

impl Prometheus {
    fn start(name: &str, targets: &[(&str, u16)]) -> Self {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("prometheus-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a directory for prometheus");
        let mut config =
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n".to_owned();
        for (job, port) in targets {
            let _ = write!(
                config,
                "  - job_name: {job}\n    static_configs:\n      - targets: ['127.0.0.1:{port}']\n"
            );
        }
        let config_file = dir.join("prometheus.yml");
        std::fs::write(&config_file, config).expect("write the config");
        let port = free_port();
        let log = std::fs::File::create(dir.join("prometheus.log")).expect("a log file");
        let server = Command::new("prometheus")
            .arg(format!("--config.file={}", config_file.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start prometheus");
        Self {
            port,
            dir,
            _server: Guarded(server),
        }
    }

    /// Prometheus's own log, for a failure message.
    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("prometheus.log")).unwrap_or_default()
    }

    /// The values of the instant query `query` now, one per series; empty
    /// when nothing (yet) matches or the server does not answer yet.
    fn query(&self, query: &str) -> Vec<f64> {
        let Some(answer) = http_get(
            self.port,
            &format!("/api/v1/query?query={}", encoded(query)),
            None,
        ) else {
            return Vec::new();
        };
        let Ok(json) = serde_json::from_str::<Value>(body(&answer)) else {
            return Vec::new();
        };
        json["data"]["result"]
            .as_array()
            .map(|series| {
                series
                    .iter()
                    .filter_map(|s| s["value"][1].as_str()?.parse().ok())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Polls `query` until `check` holds for its values; fails saying what
    /// was expected, what was seen last, and Prometheus's log.
    fn wait_for(&self, query: &str, expected: &str, check: impl Fn(&[f64]) -> bool) -> Vec<f64> {
        let mut seen = Vec::new();
        let ok = wait_until(DEADLINE, || {
            seen = self.query(query);
            check(&seen)
        });
        assert!(
            ok,
            "expected `{query}` to be {expected} in Prometheus within {DEADLINE:?}; \
             last seen: {seen:?}\nprometheus log:\n{}",
            self.log()
        );
        seen
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Starts corescope with `args` (which end in `--metrics PORT`) and waits
/// until its endpoint answers with the family `ready`.
fn exporter(args: &[&str], port: u16, ready: &str) -> Guarded {
    let child = command()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start corescope");
    let guarded = Guarded(child);
    assert!(
        wait_until(DEADLINE, || http_get(port, "/metrics", None)
            .is_some_and(|a| a.contains(ready))),
        "expected corescope {args:?} to serve /metrics with {ready} on port {port}"
    );
    guarded
}

/// `watch --all`'s figures arrived: at least the program and corescope,
/// and every core's load.
fn machine_arrived(prometheus: &Prometheus) {
    prometheus.wait_for(
        "corescope_machine_processes{job=\"machine\"}",
        "at least 2 processes",
        |v| v.len() == 1 && v[0] >= 2.0,
    );
    // Online CPUs as /proc/stat lists them (affinity may allow fewer).
    let cores = std::fs::read_to_string("/proc/stat")
        .expect("/proc/stat")
        .lines()
        .filter(|l| l.starts_with("cpu") && l.as_bytes().get(3).is_some_and(u8::is_ascii_digit))
        .count();
    prometheus.wait_for(
        "corescope_cpu_core_busy_ratio{job=\"machine\"}",
        "one series per core, each within 0..=1",
        |v| v.len() == cores && v.iter().all(|r| (0.0..=1.0).contains(r)),
    );
}

/// The agent without --duration ends by itself, with 0, when the program
/// it watches has ended.
fn ends_with_its_program(watch: &mut Guarded) {
    let mut status = None;
    assert!(
        wait_until(DEADLINE, || {
            status = watch.0.try_wait().ok().flatten();
            status.is_some()
        }),
        "expected `watch PID --headless --metrics` to end when the program ended"
    );
    assert!(
        status.is_some_and(|s| s.success()),
        "expected it to end with 0, got {status:?}"
    );
}

#[test]
fn a_real_prometheus_receives_a_queue_depth_and_a_thread_count() {
    if !available("prometheus") {
        return;
    }
    // A program with exactly five threads: the main one and four asleep.
    let program = python(
        "import threading, time\n\
         for _ in range(4):\n    threading.Thread(target=time.sleep, args=(3600,), daemon=True).start()\n\
         time.sleep(3600)\n",
        5,
    );
    let demo_port = free_port();
    let watch_port = free_port();
    let demo_port_text = demo_port.to_string();
    let watch_port_text = watch_port.to_string();
    // A long round (many tasks), stopped by --duration if the test is slow.
    let _demo = exporter(
        &[
            "demo",
            "producer-consumer",
            "--headless",
            "--tasks",
            "1000000",
            "--duration",
            "150",
            "--metrics",
            &demo_port_text,
        ],
        demo_port,
        "corescope_tree_threads",
    );
    let pid = program.0.id().to_string();
    // The agent mode: no --duration, it exports until the program exits.
    let mut watch = exporter(
        &["watch", &pid, "--headless", "--metrics", &watch_port_text],
        watch_port,
        "corescope_tree_threads",
    );
    // The machine agent: no PID.
    let machine_port = free_port();
    let _machine = exporter(
        &[
            "watch",
            "--all",
            "--headless",
            "--metrics",
            &machine_port.to_string(),
        ],
        machine_port,
        "corescope_machine_processes",
    );
    let prometheus = Prometheus::start(
        "e2e",
        &[
            ("demo", demo_port),
            ("watch", watch_port),
            ("machine", machine_port),
        ],
    );

    prometheus.wait_for("up", "1 for all three targets", |v| v == [1.0; 3]);
    let threads = prometheus.wait_for(
        "corescope_tree_threads{job=\"watch\"}",
        "the program's 5 threads",
        |v| v == [5.0],
    );
    assert_eq!(threads, [5.0]);
    let capacity = prometheus.wait_for(
        "corescope_queue_capacity{job=\"demo\",queue=\"items\"}",
        "the default capacity of 8",
        |v| v == [8.0],
    );
    let depth = prometheus.wait_for(
        "corescope_queue_depth{job=\"demo\",queue=\"items\"}",
        "present, and at most the capacity",
        |v| v.len() == 1,
    );
    assert!(
        depth[0] >= 0.0 && depth[0] <= capacity[0],
        "expected the queue depth within 0..={}, got {}",
        capacity[0],
        depth[0]
    );
    prometheus.wait_for(
        "corescope_queue_sent_total{job=\"demo\"}",
        "more than 0 items sent",
        |v| v.len() == 1 && v[0] > 0.0,
    );
    machine_arrived(&prometheus);
    // The counter of the tree's CPU time arrived, as a counter.
    prometheus.wait_for(
        "corescope_tree_cpu_seconds_total{job=\"demo\"}",
        "present",
        |v| v.len() == 1 && v[0] >= 0.0,
    );
    drop(program);
    ends_with_its_program(&mut watch);
}

#[test]
fn the_dashboard_serves_metrics_while_it_draws() {
    if !tmux_available() {
        return;
    }
    let port = free_port();
    let tmux = Tmux::start("metrics", 120, 40);
    tmux.type_line(&format!(
        "{} demo producer-consumer --tasks 1000000 --metrics {port}; echo exited=$?",
        bin()
    ));
    let mut answer = String::new();
    assert!(
        wait_until(DEADLINE, || {
            answer = http_get(port, "/metrics", None).unwrap_or_default();
            answer.contains("corescope_queue_depth{demo=\"producer-consumer\",queue=\"items\"}")
        }),
        "expected the dashboard's /metrics to hold the queue's depth; got:\n{answer}\nscreen:\n{}",
        tmux.screen()
    );
    tmux.send(&["q"]);
    tmux.wait_for("exited=0");
}

#[test]
fn promtool_accepts_the_text_and_prometheus_gets_openmetrics() {
    if !available("promtool") {
        return;
    }
    let port = free_port();
    let port_text = port.to_string();
    let _demo = exporter(
        &[
            "demo",
            "lock-contention",
            "--headless",
            "--duration",
            "150",
            "--metrics",
            &port_text,
        ],
        port,
        "corescope_lock_acquires",
    );
    // Wait for the lock's histogram to have a sample, so promtool sees one.
    let mut answer = String::new();
    assert!(
        wait_until(DEADLINE, || {
            answer = http_get(port, "/metrics", None).unwrap_or_default();
            answer.contains("corescope_lock_wait_seconds_bucket")
        }),
        "expected a lock wait histogram in /metrics, got:\n{answer}"
    );
    assert!(
        answer.contains("content-type: text/plain; version=0.0.4"),
        "a plain GET gets the classic text format: {answer}"
    );
    let mut promtool = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start promtool");
    promtool
        .stdin
        .take()
        .expect("stdin")
        .write_all(body(&answer).as_bytes())
        .expect("feed promtool");
    let checked = promtool.wait_with_output().expect("promtool ends");
    assert!(
        checked.status.success(),
        "expected `promtool check metrics` to accept /metrics; it said:\n{}{}\nthe text:\n{}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr),
        body(&answer)
    );
    let openmetrics = http_get(
        port,
        "/metrics",
        Some("application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"),
    )
    .unwrap_or_default();
    assert!(
        openmetrics.contains("content-type: application/openmetrics-text; version=1.0.0")
            && openmetrics.ends_with("# EOF\n"),
        "expected OpenMetrics when asked for it, got:\n{openmetrics}"
    );
    let missing = http_get(port, "/", None).unwrap_or_default();
    assert!(
        missing.contains(" 404 "),
        "expected 404 for /, got:\n{missing}"
    );
}
