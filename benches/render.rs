//! One full dashboard frame at 160x50 with 200 threads in the table (target:
//! under 2 ms), beside a plain full-screen paragraph as the floor of what any
//! ratatui frame of that size costs, measured in the same run.

use std::sync::Arc;
use std::time::Duration;

use corescope::app::App;
use corescope::snapshot::{
    CoreSample, MemorySample, ProcessSample, Snapshot, TargetSample, ThreadSample,
};
use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::widgets::{Paragraph, Wrap};

fn snapshot(seq: u64) -> Snapshot {
    let threads = (0..200)
        .map(|i| ThreadSample {
            pid: 1000,
            tid: 1000 + i,
            name: format!("worker-{i}"),
            state: if i % 3 == 0 { 'R' } else { 'S' },
            last_cpu: Some((i % 2) as u32),
            cpu_pct: Some((i % 100) as f32),
            cpu_time_ns: Some(1_000_000),
            voluntary_ctxt: Some(10),
            nonvoluntary_ctxt: Some(1),
            voluntary_per_sec: Some(5.0),
            nonvoluntary_per_sec: Some(1.0),
            runq_wait_ns: Some(0),
            runq_wait_pct: Some((i % 20) as f32),
            wchan: (i % 5 == 0).then(|| "futex_do_wait".to_owned()),
            futex_wait_ns: Some(0),
            futex_wait_pct: Some(0.0),
            nice: Some(0),
            waiting_on: None,
        })
        .collect();
    Snapshot {
        seq,
        elapsed: Duration::from_millis(500 * seq),
        interval: Some(Duration::from_millis(500)),
        cores: (0..2)
            .map(|c| CoreSample {
                core: c,
                busy_pct: Some(((seq * 13 + c as u64 * 40) % 100) as f32),
            })
            .collect(),
        memory: Some(MemorySample {
            total_bytes: 24 << 30,
            used_bytes: 3 << 30,
        }),
        load_average: Some([1.0, 0.5, 0.25]),
        target: TargetSample {
            root_pid: 1000,
            command: "bench".to_owned(),
            alive: true,
            restricted: false,
            another_user: false,
            processes: vec![ProcessSample {
                pid: 1000,
                ppid: 1,
                name: "bench".to_owned(),
                state: 'S',
                threads: 200,
                rss_kib: Some(4096),
            }],
            threads,
            threads_peak: 200,
            processes_peak: 1,
            exited_threads: 0,
            exited_processes: 0,
            epoch: 0,
            cpu_time_ns: Some(200_000_000),
            parallelism: Some(1.5),
            locks: Some(Vec::new()),
        },
        demo: None,
        compare: None,
        notice: None,
        run: None,
    }
}

fn render_frame(c: &mut Criterion) {
    let mut app = App::new(Duration::from_millis(500));
    for seq in 0..600 {
        app.ingest(Arc::new(snapshot(seq)));
    }
    let mut terminal = Terminal::new(TestBackend::new(160, 50)).expect("terminal");
    let mut group = c.benchmark_group("frame_160x50_200_threads");
    group.bench_function("corescope_dashboard", |b| {
        b.iter(|| {
            terminal
                .draw(|f| {
                    corescope::ui::render(&app, f);
                })
                .map(|_| ())
        });
    });
    let text = "x".repeat(160 * 50);
    group.bench_function("plain_paragraph_baseline", |b| {
        b.iter(|| {
            terminal
                .draw(|f| {
                    f.render_widget(
                        Paragraph::new(text.as_str()).wrap(Wrap { trim: false }),
                        f.area(),
                    );
                })
                .map(|_| ())
        });
    });
    group.finish();
}

criterion_group!(benches, render_frame);
criterion_main!(benches);
