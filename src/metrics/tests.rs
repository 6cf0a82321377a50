use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;

use corescope_demos::probes::{Histogram, HistogramSummary};
use tokio::sync::watch;

use super::encode::{Format, buckets, exposition};
use super::{Exporter, Frame, parse_addr};
use crate::model::fixtures::{demo_snapshot, snapshot, thread};

/// The text a scrape in `format` gets for `frame`.
fn text_of(frame: Frame, format: Format) -> String {
    let (_tx, rx) = watch::channel(Some(Arc::new(frame)));
    exposition(&rx, format).expect("encodes")
}

/// The value of the one line that starts with `series ` in `text`.
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map(|v| v.parse().expect("a number"))
}

#[test]
fn a_bare_port_means_loopback_and_addresses_are_kept() {
    assert_eq!(
        parse_addr("9464"),
        Ok("127.0.0.1:9464".parse::<SocketAddr>().expect("addr"))
    );
    assert_eq!(
        parse_addr("0.0.0.0:9464"),
        Ok("0.0.0.0:9464".parse().expect("addr"))
    );
    assert_eq!(
        parse_addr("[::1]:80"),
        Ok("[::1]:80".parse().expect("addr"))
    );
    for bad in ["", "nope", "70000", "localhost:9464", "1.2.3.4"] {
        let err = parse_addr(bad).expect_err(bad);
        assert!(err.contains("PORT"), "{bad}: {err}");
    }
}

#[test]
fn the_top_threads_by_cpu_time_are_kept_and_the_rest_summed() {
    // cpu_time_ns is 1 ms per tid in the fixture: 14 and 13 lead.
    let threads = (10..15).map(|tid| thread(tid, "w", 1.0, 'R')).collect();
    let frame = Frame::new(&snapshot(1, [10.0, 20.0], threads), 2, Some(7));
    let frame = frame.tree.expect("a tree");
    let tids: Vec<i32> = frame.top.iter().map(|t| t.tid).collect();
    assert_eq!(
        tids,
        [14, 13],
        "the two threads with the most CPU time, most first"
    );
    let other = frame.other.expect("three threads are left over");
    assert_eq!(other.threads, 3);
    assert_eq!(other.cpu_ns, Some((10 + 11 + 12) * 1_000_000));
    assert_eq!(other.voluntary, Some(300));
    assert_eq!(frame.threads, 5);
    assert_eq!(frame.cpu_ns, Some(7));
}

#[test]
fn a_sum_with_an_unknown_part_is_unknown_and_left_out() {
    let mut threads: Vec<_> = (10..13).map(|tid| thread(tid, "w", 1.0, 'R')).collect();
    threads[0].runq_wait_ns = None;
    let frame = Frame::new(&snapshot(1, [10.0, 20.0], threads), 1, None);
    let other = frame
        .tree
        .as_ref()
        .and_then(|t| t.other)
        .expect("two left over");
    assert_eq!(other.runq_wait_ns, None);
    let text = text_of(frame, Format::OpenMetrics);
    assert!(
        !text.contains("corescope_other_threads_runq_wait_seconds"),
        "{text}"
    );
    assert!(
        text.contains("corescope_other_threads_cpu_seconds 0.021"),
        "{text}"
    );
    // The tree's CPU time was not known: no counter at all, not a 0.
    assert!(!text.contains("corescope_tree_cpu_seconds"), "{text}");
}

#[test]
fn unknown_figures_are_left_out_never_zero() {
    let mut snap = snapshot(0, [0.0, 0.0], vec![thread(10, "main", 1.0, 'S')]);
    snap.cores[1].busy_pct = None;
    snap.memory = None;
    snap.target.parallelism = None;
    snap.target.threads[0].futex_wait_ns = None;
    let text = text_of(Frame::new(&snap, 20, None), Format::OpenMetrics);
    assert!(
        text.contains("corescope_cpu_core_busy_ratio{core=\"0\"} 0.0"),
        "{text}"
    );
    assert!(
        !text.contains("core=\"1\""),
        "core 1's load is unknown: {text}"
    );
    for absent in [
        "corescope_memory_",
        "corescope_tree_parallelism_cores",
        "corescope_thread_futex_wait_seconds",
        "corescope_other_threads",
        "corescope_queue_",
    ] {
        assert!(!text.contains(absent), "{absent} should be absent: {text}");
    }
    assert_eq!(value(&text, "corescope_tree_threads"), Some(1.0));
    assert!(text.ends_with("# EOF\n"), "{text}");
}

#[test]
fn the_machine_the_tree_and_the_threads_have_their_figures() {
    let threads = vec![
        thread(10, "main", 50.0, 'R'),
        thread(11, "worker", 25.0, 'R'),
    ];
    let snap = snapshot(1, [55.0, 45.0], threads);
    let text = text_of(Frame::new(&snap, 20, Some(21_000_000)), Format::OpenMetrics);
    assert_eq!(
        value(&text, "corescope_cpu_core_busy_ratio{core=\"0\"}"),
        Some(0.55)
    );
    assert_eq!(
        value(&text, "corescope_memory_total_bytes"),
        Some((24_u64 << 30) as f64)
    );
    assert_eq!(value(&text, "corescope_tree_threads"), Some(2.0));
    assert_eq!(value(&text, "corescope_tree_processes"), Some(1.0));
    assert_eq!(value(&text, "corescope_tree_parallelism_cores"), Some(0.75));
    assert_eq!(
        value(&text, "corescope_tree_cpu_seconds_total"),
        Some(0.021)
    );
    let worker = "{pid=\"4242\",tid=\"11\",name=\"worker\"}";
    assert_eq!(
        value(
            &text,
            &format!("corescope_thread_cpu_seconds_total{worker}")
        ),
        Some(0.011)
    );
    assert_eq!(
        value(
            &text,
            &format!("corescope_thread_involuntary_context_switches_total{worker}")
        ),
        Some(7.0)
    );
    assert!(
        text.contains("# TYPE corescope_thread_cpu_seconds counter"),
        "{text}"
    );
}

#[test]
fn a_demo_exports_its_lock_as_a_histogram_and_its_queue() {
    let histogram = Histogram::new();
    for ns in [500, 2_000, 3_000_000, 1 << 40] {
        histogram.record(ns);
    }
    let mut snap = demo_snapshot(2);
    let demo = snap.demo.as_mut().expect("a demo");
    demo.probes.locks[0].wait = histogram.summary();
    let queue = corescope_demos::probes::QueueStats::new();
    queue.set_capacity(4);
    demo.probes.queues = vec![queue.report("items"), queue.report("items")];
    let text = text_of(Frame::new(&snap, 20, None), Format::OpenMetrics);
    let lock = "demo=\"race\",lock=\"counter (locked)\"";
    assert!(
        text.contains("# TYPE corescope_lock_wait_seconds histogram"),
        "{text}"
    );
    assert_eq!(
        value(
            &text,
            &format!("corescope_lock_wait_seconds_count{{{lock}}}")
        ),
        Some(4.0)
    );
    assert_eq!(
        value(
            &text,
            &format!("corescope_lock_wait_seconds_bucket{{le=\"0.000001023\",{lock}}}")
        ),
        Some(1.0),
        "500 ns is below 2^10 ns: {text}"
    );
    assert_eq!(
        value(
            &text,
            &format!("corescope_lock_wait_seconds_bucket{{le=\"+Inf\",{lock}}}")
        ),
        Some(4.0)
    );
    assert_eq!(
        value(
            &text,
            &format!("corescope_lock_contended_acquires_total{{{lock}}}")
        ),
        Some(390.0)
    );
    // Two queues of one name: two series, not one twice.
    assert_eq!(
        value(
            &text,
            "corescope_queue_capacity{demo=\"race\",queue=\"items\"}"
        ),
        Some(4.0)
    );
    assert_eq!(
        value(
            &text,
            "corescope_queue_depth{demo=\"race\",queue=\"items#2\"}"
        ),
        Some(0.0)
    );
}

#[test]
fn the_buckets_hold_every_value_and_their_total_is_the_count() {
    let histogram = Histogram::new();
    for ns in [0, 1023, 1024, 1 << 30, 1 << 37] {
        histogram.record(ns);
    }
    let summary = histogram.summary();
    let (bounds, count) = buckets(&summary);
    assert_eq!(count, 5);
    assert_eq!(bounds.last(), Some(&(f64::INFINITY, 1)));
    assert_eq!(bounds[0], (1023e-9, 2));
    assert!(bounds.windows(2).all(|w| w[0].0 < w[1].0), "bounds rise");
    assert_eq!(buckets(&HistogramSummary::default()).1, 0);
}

#[test]
fn only_a_scraper_that_asks_gets_openmetrics() {
    assert_eq!(Format::negotiate(None), Format::PrometheusText);
    assert_eq!(Format::negotiate(Some("*/*")), Format::PrometheusText);
    let prometheus = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;\
                      version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    assert_eq!(Format::negotiate(Some(prometheus)), Format::OpenMetrics);
    let frame = Frame::new(
        &snapshot(1, [1.0, 2.0], vec![thread(1, "m", 1.0, 'R')]),
        1,
        Some(1),
    );
    let classic = text_of(frame, Format::PrometheusText);
    assert!(
        classic.contains("# TYPE corescope_tree_cpu_seconds_total counter"),
        "{classic}"
    );
    assert!(!classic.contains("# EOF"), "{classic}");
}

/// One HTTP/1.0 exchange with the exporter: the status line, the headers
/// and the body, as text.
fn get(addr: SocketAddr, request: &str) -> String {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.write_all(request.as_bytes()).expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    answer
}

#[test]
fn the_endpoint_serves_the_newest_snapshot_and_only_metrics() {
    let exporter = Exporter::start("127.0.0.1:0".parse().expect("addr"), 20).expect("binds");
    let addr = exporter.addr;
    let empty = get(addr, "GET /metrics HTTP/1.0\r\n\r\n");
    assert!(
        empty.starts_with("HTTP/1.0 200") || empty.starts_with("HTTP/1.1 200"),
        "{empty}"
    );
    assert!(
        !empty.contains("corescope_"),
        "nothing before the first snapshot: {empty}"
    );
    let mut snap = snapshot(1, [1.0, 2.0], vec![thread(10, "m", 1.0, 'R')]);
    snap.target.cpu_time_ns = Some(5_000_000_000);
    exporter.publish(&snap);
    // The tree's CPU time read lower later (it cannot, but a counter must
    // not follow it back).
    snap.target.cpu_time_ns = Some(3_000_000_000);
    snap.target.threads.push(thread(11, "n", 1.0, 'R'));
    exporter.publish(&snap);
    let answer = get(
        addr,
        "GET /metrics HTTP/1.0\r\nAccept: application/openmetrics-text; version=1.0.0\r\n\r\n",
    );
    assert!(
        answer.contains("content-type: application/openmetrics-text; version=1.0.0; charset=utf-8"),
        "{answer}"
    );
    assert_eq!(
        value(&answer, "corescope_tree_threads"),
        Some(2.0),
        "the newest: {answer}"
    );
    assert_eq!(
        value(&answer, "corescope_tree_cpu_seconds_total"),
        Some(5.0),
        "{answer}"
    );
    for request in [
        "GET / HTTP/1.0\r\n\r\n",
        "GET /metrics/x HTTP/1.0\r\n\r\n",
        "POST /metrics HTTP/1.0\r\nContent-Length: 0\r\n\r\n",
    ] {
        let answer = get(addr, request);
        assert!(
            answer.contains(" 404 "),
            "{request:?} should be 404: {answer}"
        );
    }
}

#[test]
fn a_port_in_use_is_one_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr");
    let err = Exporter::start(addr, 20).expect_err("in use");
    let message = format!("{err:#}");
    assert!(
        message.starts_with(&format!("cannot listen on {addr} for --metrics")),
        "{message}"
    );
    assert!(!message.contains('\n'), "{message}");
}

#[test]
fn the_machine_exports_its_top_processes_by_recent_cpu() {
    use crate::sampler::machine::{MachineSample, ProcessLoad};
    let process = |pid, cores, cpu_s: u64| ProcessLoad {
        pid,
        name: format!("p{pid}"),
        threads: 2,
        cpu_time_ns: cpu_s * 1_000_000_000,
        cores,
    };
    let sample = MachineSample {
        cores: snapshot(1, [10.0, 90.0], Vec::new()).cores,
        memory: None,
        processes: vec![
            process(1, Some(0.0), 500),
            process(2, Some(0.9), 3),
            process(3, None, 1),
            process(4, Some(0.2), 7),
        ],
    };
    let frame = Frame::of_machine(&sample, 2);
    let text = text_of(frame, Format::OpenMetrics);
    assert_eq!(value(&text, "corescope_machine_processes"), Some(4.0));
    assert_eq!(value(&text, "corescope_machine_threads"), Some(8.0));
    assert_eq!(
        value(&text, "corescope_process_cores{pid=\"2\",name=\"p2\"}"),
        Some(0.9),
        "{text}"
    );
    assert_eq!(
        value(
            &text,
            "corescope_process_cpu_seconds_total{pid=\"4\",name=\"p4\"}"
        ),
        Some(7.0),
        "the second busiest now, not the most CPU ever: {text}"
    );
    assert!(!text.contains("pid=\"1\""), "{text}");
    assert_eq!(value(&text, "corescope_other_processes"), Some(2.0));
    assert_eq!(value(&text, "corescope_other_processes_cores"), Some(0.0));
    assert!(
        !text.contains("corescope_tree_"),
        "no tree in machine mode: {text}"
    );
}

#[test]
fn the_grafana_dashboard_queries_only_metrics_corescope_exports() {
    let dashboard: serde_json::Value =
        serde_json::from_str(include_str!("../../assets/grafana/corescope.json"))
            .expect("assets/grafana/corescope.json is valid JSON");
    let families = include_str!("encode.rs");
    let panels = dashboard["panels"].as_array().expect("panels");
    assert!(panels.len() >= 7, "{} panels", panels.len());
    let mut names = 0;
    for expr in panels
        .iter()
        .flat_map(|p| p["targets"].as_array().into_iter().flatten())
        .filter_map(|t| t["expr"].as_str())
    {
        for (at, _) in expr.match_indices("corescope_") {
            let name: String = expr[at..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let family = ["_total", "_bucket"]
                .iter()
                .find_map(|suffix| name.strip_suffix(suffix))
                .unwrap_or(&name);
            assert!(
                families.contains(&format!("\"{family}\"")),
                "the dashboard queries {name}, which corescope does not export"
            );
            names += 1;
        }
    }
    assert!(names >= 10, "only {names} metric names in the dashboard");
}
