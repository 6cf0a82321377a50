//! What the probes cost, side by side with what they replace.
//!
//! - `mutex_uncontended`: lock, increment, unlock on one thread, for
//!   `std::sync::Mutex`, a bare `parking_lot::Mutex` and `InstrumentedMutex`
//!   (target: instrumented within 1.5x of std).
//! - `queue_1p1c`: one producer thread moves 100,000 `u64` to one consumer
//!   through `std::sync::mpsc::sync_channel` and `BoundedQueue` of the same
//!   capacity (target: the queue at least 0.7x the channel's throughput).
//! - `histogram_record`: one `Histogram::record`.

use std::hint::black_box;
use std::sync::mpsc::sync_channel;
use std::time::Duration;

use corescope_demos::probes::{BoundedQueue, Histogram, InstrumentedMutex, ProbeRef};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// Items moved per queue measurement.
const ITEMS: u64 = 100_000;

fn mutex_uncontended(c: &mut Criterion) {
    let mut group = c.benchmark_group("mutex_uncontended");
    let std_mutex = std::sync::Mutex::new(0_u64);
    group.bench_function("std", |b| {
        b.iter(|| {
            if let Ok(mut guard) = black_box(&std_mutex).lock() {
                *guard += 1;
            }
        });
    });
    let parking_lot_mutex = parking_lot::Mutex::new(0_u64);
    group.bench_function("parking_lot", |b| {
        b.iter(|| *black_box(&parking_lot_mutex).lock() += 1);
    });
    let instrumented = InstrumentedMutex::new(0_u64, ProbeRef::default());
    group.bench_function("instrumented", |b| {
        b.iter(|| *black_box(&instrumented).lock() += 1);
    });
    group.finish();
}

fn queue_1p1c(c: &mut Criterion) {
    let mut group = c.benchmark_group("queue_1p1c");
    group
        .throughput(Throughput::Elements(ITEMS))
        .sample_size(20);
    for capacity in [16_usize, 1024] {
        group.bench_function(format!("sync_channel/{capacity}"), |b| {
            b.iter(|| {
                let (sender, receiver) = sync_channel(capacity);
                let producer = std::thread::spawn(move || {
                    for item in 0..ITEMS {
                        if sender.send(item).is_err() {
                            break;
                        }
                    }
                });
                let sum: u64 = receiver.iter().sum();
                producer.join().expect("producer panicked");
                sum
            });
        });
        group.bench_function(format!("bounded_queue/{capacity}"), |b| {
            b.iter(|| {
                let queue = BoundedQueue::new(capacity, ProbeRef::default()).expect("capacity > 0");
                std::thread::scope(|scope| {
                    scope.spawn(|| {
                        for item in 0..ITEMS {
                            if queue.send(item).is_err() {
                                break;
                            }
                        }
                        queue.close();
                    });
                    std::iter::from_fn(|| queue.recv()).sum::<u64>()
                })
            });
        });
    }
    group.finish();
}

fn histogram_record(c: &mut Criterion) {
    let histogram = Histogram::new();
    let mut value = 1_u64;
    c.bench_function("histogram_record", |b| {
        b.iter(|| {
            // A cheap walk over many magnitudes, so every bucket path is hit.
            value = value
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            histogram.record(black_box(value >> 30));
        });
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = mutex_uncontended, queue_1p1c, histogram_record
}
criterion_main!(benches);
