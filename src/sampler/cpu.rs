//! Per-core load from `/proc/stat` deltas.
//!
//! Read directly, not through sysinfo: sysinfo ignores CPU refreshes closer than
//! 200 ms apart, and the sampler allows 50 ms ticks. Parsed here rather than by
//! procfs' `KernelStats`, which drops each line's CPU number: with a CPU offline
//! the n-th line is not `cpu{n}`, and a bar labelled with the wrong core is a lie.

use std::path::PathBuf;

use super::proc_file::{ProcFile, ReadError};
use crate::snapshot::CoreSample;

/// Cumulative ticks of one CPU, split into busy and idle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct CoreTicks {
    core: usize,
    busy: u64,
    idle: u64,
}

/// Reads `/proc/stat` and turns consecutive readings into busy percentages.
#[derive(Debug)]
pub(crate) struct CpuReader {
    file: ProcFile,
    buf: Vec<u8>,
    previous: Vec<CoreTicks>,
    /// Tasks (processes and threads) created since boot, at the last read.
    forks: Option<u64>,
}

impl CpuReader {
    /// Opens `/proc/stat`.
    pub(crate) fn open() -> Result<Self, ReadError> {
        Ok(Self {
            file: ProcFile::open(PathBuf::from("/proc/stat"))?,
            buf: Vec::with_capacity(8192),
            previous: Vec::new(),
            forks: None,
        })
    }

    /// Busy percent per online CPU since the previous call (`None` on the first).
    pub(crate) fn sample(&mut self) -> Vec<CoreSample> {
        let (current, forks) = match self.file.read(&mut self.buf) {
            Ok(text) => (parse_cores(text), parse_forks(text)),
            Err(_) => (Vec::new(), None),
        };
        self.forks = forks;
        let samples = current
            .iter()
            .map(|now| CoreSample {
                core: now.core,
                busy_pct: self
                    .previous
                    .iter()
                    .find(|before| before.core == now.core)
                    .and_then(|before| busy_pct(before, now)),
            })
            .collect();
        self.previous = current;
        samples
    }

    /// Tasks created on the machine since boot (`/proc/stat`'s `processes`:
    /// every fork and every new thread), as of the last [`Self::sample`].
    pub(crate) const fn forks(&self) -> Option<u64> {
        self.forks
    }
}

/// Percent of the ticks between two readings that were busy; `None` when no
/// tick passed (or counters went backwards, as after a CPU comes back online).
fn busy_pct(before: &CoreTicks, now: &CoreTicks) -> Option<f32> {
    let busy = now.busy.checked_sub(before.busy)?;
    let idle = now.idle.checked_sub(before.idle)?;
    let total = busy + idle;
    (total > 0).then(|| (busy as f64 * 100.0 / total as f64) as f32)
}

/// The `cpuN` lines of `/proc/stat`: user nice system idle iowait irq softirq
/// steal (guest time is already inside user and nice).
fn parse_cores(text: &[u8]) -> Vec<CoreTicks> {
    let text = String::from_utf8_lossy(text);
    text.lines()
        .filter_map(|line| {
            // `cpu ` (the all-CPU total) is skipped: only `cpuN` lines count.
            let rest = line
                .strip_prefix("cpu")
                .filter(|r| r.starts_with(|c: char| c.is_ascii_digit()))?;
            let mut fields = rest.split_ascii_whitespace();
            let core = fields.next()?.parse().ok()?;
            let ticks: Vec<u64> = fields.take(8).map_while(|f| f.parse().ok()).collect();
            let at = |i: usize| ticks.get(i).copied().unwrap_or(0);
            (ticks.len() >= 4).then(|| CoreTicks {
                core,
                busy: at(0) + at(1) + at(2) + at(5) + at(6) + at(7),
                idle: at(3) + at(4),
            })
        })
        .collect()
}

/// The `processes` line of `/proc/stat`: tasks created since boot.
fn parse_forks(text: &[u8]) -> Option<u64> {
    text.split(|b| *b == b'\n')
        .find_map(|line| line.strip_prefix(b"processes "))
        .and_then(|rest| std::str::from_utf8(rest).ok()?.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    const STAT: &str = "cpu  10 0 10 100 0 0 0 0 0 0\n\
        cpu0 4 1 5 40 10 0 0 0 0 0\n\
        cpu2 1 0 1 60 0 1 1 1 0 0\n\
        intr 1 2 3\nctxt 99\nprocesses 4321\nprocs_running 1\n";

    #[test]
    fn parses_each_core_with_its_own_number() {
        let cores = parse_cores(STAT.as_bytes());
        assert_eq!(
            cores,
            vec![
                CoreTicks {
                    core: 0,
                    busy: 10,
                    idle: 50
                },
                CoreTicks {
                    core: 2,
                    busy: 5,
                    idle: 60
                },
            ]
        );
    }

    #[test]
    fn the_fork_count_is_the_processes_line() {
        assert_eq!(parse_forks(STAT.as_bytes()), Some(4321));
        assert_eq!(parse_forks(b"cpu0 1 2 3 4\nprocesses x\n"), None);
        assert_eq!(parse_forks(b"cpu0 1 2 3 4\n"), None);
    }

    #[test]
    fn busy_percent_is_the_busy_share_of_elapsed_ticks() {
        let before = CoreTicks {
            core: 0,
            busy: 100,
            idle: 100,
        };
        let now = CoreTicks {
            core: 0,
            busy: 175,
            idle: 125,
        };
        assert_eq!(busy_pct(&before, &now), Some(75.0));
    }

    #[test]
    fn no_elapsed_ticks_or_a_counter_reset_is_unknown_not_zero() {
        let t = CoreTicks {
            core: 0,
            busy: 100,
            idle: 100,
        };
        assert_eq!(busy_pct(&t, &t), None);
        let reset = CoreTicks {
            core: 0,
            busy: 5,
            idle: 5,
        };
        assert_eq!(busy_pct(&t, &reset), None);
    }

    #[test]
    fn live_reader_reports_every_online_core_after_two_reads() {
        let mut reader = CpuReader::open().expect("/proc/stat");
        let first = reader.sample();
        assert!(first.iter().all(|c| c.busy_pct.is_none()));
        std::thread::sleep(std::time::Duration::from_millis(60));
        let second = reader.sample();
        assert_eq!(second.len(), first.len());
        let online = std::thread::available_parallelism().map_or(1, usize::from);
        assert!(second.len() >= online);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        #[test]
        fn any_proc_stat_parses_to_at_most_a_core_a_line(text in crate::fuzz_inputs::proc_text()) {
            let cores = parse_cores(&text);
            proptest::prop_assert!(cores.len() <= text.split(|b| *b == b'\n').count());
            let _ = parse_forks(&text);
        }
    }
}
