//! The whole machine, for `watch --all`: per-core load, memory, and each
//! process's CPU time from one read of `/proc/PID/stat` per process (no
//! threads, no wait channels, no schedstat), so that a tick stays cheap on
//! a machine of thousands of processes.
//!
//! A process's CPU share over the interval is known only when it was seen
//! at the previous tick too (the same PID and start time: a reused PID is
//! another process); otherwise `None`.

use std::collections::HashMap;
use std::io::Read;
use std::time::Instant;

use anyhow::{Context, Result};

use super::CpuReader;
use super::stat::{TaskStat, ticks_per_second};
use crate::snapshot::{CoreSample, MemorySample};

/// The machine at one tick.
#[derive(Debug, Clone, PartialEq)]
pub struct MachineSample {
    /// Per logical CPU, in CPU order.
    pub cores: Vec<CoreSample>,
    /// Machine memory; `None` when it could not be read.
    pub memory: Option<MemorySample>,
    /// Every process readable now.
    pub processes: Vec<ProcessLoad>,
}

/// One process of the machine at one tick.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessLoad {
    /// Process id.
    pub pid: i32,
    /// Short name (`comm`).
    pub name: String,
    /// Threads in the process.
    pub threads: u64,
    /// CPU time since it started (user and kernel, its threads together),
    /// nanoseconds, at clock-tick resolution.
    pub cpu_time_ns: u64,
    /// Mean number of cores it kept busy over the interval; `None` on
    /// first sight.
    pub cores: Option<f64>,
}

/// Reads the machine tick after tick.
#[derive(Debug)]
pub struct MachineReader {
    cpu: CpuReader,
    system: Option<sysinfo::System>,
    /// Per PID at the previous tick: (start ticks, CPU nanoseconds).
    previous: HashMap<i32, (u64, u64)>,
    last: Option<Instant>,
    ns_per_tick: u64,
    buf: Vec<u8>,
}

impl MachineReader {
    /// Opens `/proc/stat`; fails with one line when `/proc` is not there.
    pub fn open() -> Result<Self> {
        let cpu = CpuReader::open()
            .map_err(|e| anyhow::anyhow!("{e:?}"))
            .context("cannot read /proc/stat: corescope needs Linux with /proc mounted")?;
        Ok(Self {
            cpu,
            system: sysinfo::System::new().ok(),
            previous: HashMap::new(),
            last: None,
            ns_per_tick: 1_000_000_000 / ticks_per_second(),
            buf: Vec::with_capacity(1024),
        })
    }

    /// Reads everything now.
    pub fn sample(&mut self) -> MachineSample {
        let now = Instant::now();
        let interval_ns = self
            .last
            .map(|last| now.duration_since(last).as_nanos() as f64)
            .filter(|ns| *ns > 0.0);
        let cores = self.cpu.sample();
        let mut seen = HashMap::new();
        let mut processes = Vec::new();
        for pid in pids() {
            let Some(stat) = self.stat(pid) else {
                continue;
            };
            let cpu_time_ns = (stat.utime + stat.stime).saturating_mul(self.ns_per_tick);
            let before = self.previous.get(&pid).copied();
            let cores = match (before, interval_ns) {
                (Some((started, ns)), Some(interval)) if started == stat.start_ticks => {
                    Some(cpu_time_ns.saturating_sub(ns) as f64 / interval)
                }
                _ => None,
            };
            seen.insert(pid, (stat.start_ticks, cpu_time_ns));
            processes.push(ProcessLoad {
                pid,
                name: stat.comm,
                threads: u64::try_from(stat.num_threads).unwrap_or(0),
                cpu_time_ns,
                cores,
            });
        }
        self.previous = seen;
        self.last = Some(now);
        let memory = self.system.as_mut().map(|system| {
            system.refresh_memory();
            MemorySample {
                total_bytes: system.total_memory(),
                used_bytes: system.used_memory(),
            }
        });
        MachineSample {
            cores,
            memory,
            processes,
        }
    }

    /// The stat line of `pid`, if it is still there.
    fn stat(&mut self, pid: i32) -> Option<TaskStat> {
        self.buf.clear();
        std::fs::File::open(format!("/proc/{pid}/stat"))
            .ok()?
            .read_to_end(&mut self.buf)
            .ok()?;
        TaskStat::parse(&self.buf)
    }
}

/// The PIDs in `/proc` now.
fn pids() -> Vec<i32> {
    std::fs::read_dir("/proc").map_or_else(
        |_| Vec::new(),
        |entries| {
            entries
                .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_seen_and_its_share_known_from_the_second_tick() {
        let mut reader = MachineReader::open().expect("open");
        let own = i32::try_from(std::process::id()).expect("pid");
        let first = reader.sample();
        let me = first.processes.iter().find(|p| p.pid == own).expect("us");
        assert_eq!(me.cores, None, "no share on first sight");
        assert!(me.threads >= 1);
        // Some CPU time between the two ticks, measured, not assumed.
        let spin = Instant::now();
        while spin.elapsed().as_millis() < 30 {
            std::hint::black_box(0);
        }
        let second = reader.sample();
        let me = second.processes.iter().find(|p| p.pid == own).expect("us");
        assert!(me.cores.is_some_and(|c| c >= 0.0), "{me:?}");
        assert!(!second.cores.is_empty());
    }
}
