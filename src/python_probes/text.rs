//! The probes' figures as lines of the text report (the one a headless run
//! prints without `--json`, and the dashboard prints when it closes).

use std::fmt::Write as _;

use corescope_widgets::format_ns;

use super::figures::{PythonProbes, Spread};

impl PythonProbes {
    /// One line for the probes, then one per lock, semaphore and queue.
    #[must_use]
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let status = &self.probes;
        let _ = writeln!(
            out,
            "probes       {} in {} process{}",
            if status.on { "on" } else { "off" },
            status.processes,
            if status.processes == 1 { "" } else { "es" }
        );
        for notice in &status.notices {
            let _ = writeln!(out, "             {notice}");
        }
        for l in &self.locks {
            let _ = writeln!(
                out,
                "lock         {}: {} acquires, {} contended{}, wait {}, hold {}",
                l.name,
                l.acquires,
                l.contended,
                percent(l.contended, l.acquires),
                spread(&l.wait_ns),
                spread(&l.hold_ns)
            );
        }
        for s in &self.semaphores {
            let _ = writeln!(
                out,
                "semaphore    {}: {} permits, peak {} in use, peak {} waiting, {} acquires, wait {}",
                s.name,
                s.permits,
                s.peak_in_use,
                s.peak_waiters,
                s.acquires,
                spread(&s.wait_ns)
            );
        }
        for q in &self.queues {
            let capacity = if q.capacity == 0 {
                "unbounded".to_owned()
            } else {
                format!("capacity {}", q.capacity)
            };
            let _ = writeln!(
                out,
                "queue        {}: {capacity}, peak depth {}, {} put, {} got{}",
                q.name,
                q.peak_depth
                    .map_or_else(|| "?".to_owned(), |d| d.to_string()),
                q.sent,
                q.received,
                if q.sentinels > 0 { ", None seen" } else { "" }
            );
        }
        self.sync_text(&mut out);
        out
    }
}

impl PythonProbes {
    /// The lines of the executors, barriers, events and conditions.
    fn sync_text(&self, out: &mut String) {
        for e in &self.executors {
            let _ = writeln!(
                out,
                "executor     {}: {} workers, peak {} busy, peak {} pending, {} submitted, {} started, {} done, {} cancelled",
                e.name,
                e.workers,
                e.peak_busy
                    .map_or_else(|| "?".to_owned(), |n| n.to_string()),
                e.peak_pending
                    .map_or_else(|| "?".to_owned(), |n| n.to_string()),
                e.submitted,
                e.started,
                e.finished,
                e.cancelled
            );
        }
        for b in &self.barriers {
            let _ = writeln!(
                out,
                "barrier      {}: {} parties, peak {} arrived, {} arrivals, {} trips, {} broken, wait {}",
                b.name,
                b.parties,
                b.peak_waiting,
                b.arrivals,
                b.trips,
                b.broken,
                spread(&b.wait_ns)
            );
        }
        for e in &self.events {
            let _ = writeln!(
                out,
                "event        {}: {}, {} sets, {} clears, {} waits, peak {} waiting, {} timed out, wait {}",
                e.name,
                if e.is_set { "set" } else { "clear" },
                e.sets,
                e.clears,
                e.waits,
                e.peak_waiters,
                e.timeouts,
                spread(&e.wait_ns)
            );
        }
        for c in &self.conditions {
            let _ = writeln!(
                out,
                "condition    {}: {} waits, {} notifies ({} notified), peak {} waiting, {} timed out, wait {}",
                c.name,
                c.waits,
                c.notifies,
                c.notified,
                c.peak_waiters,
                c.timeouts,
                spread(&c.wait_ns)
            );
        }
    }
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        String::new()
    } else {
        format!(" ({:.1}%)", part as f64 * 100.0 / whole as f64)
    }
}

fn spread(s: &Spread) -> String {
    match (s.p50, s.p99, s.max) {
        (Some(p50), Some(p99), Some(max)) => format!(
            "p50 {} p99 {} max {}",
            format_ns(p50),
            format_ns(p99),
            format_ns(max)
        ),
        _ => "? (none measured)".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::figures::{ProbeQueue, ProbesStatus};
    use super::*;

    #[test]
    fn the_text_names_each_probe_and_says_what_was_not_measured() {
        let probes = PythonProbes {
            probes: ProbesStatus {
                on: true,
                processes: 1,
                notices: vec!["probes off in process 9: Python 3.6 is older than 3.8".to_owned()],
            },
            queues: vec![ProbeQueue {
                name: "q (pc.py:17)".to_owned(),
                type_name: "Queue".to_owned(),
                processes: 1,
                capacity: 0,
                depth: 0,
                peak_depth: Some(4),
                sent: 10,
                received: 10,
                sentinels: 1,
            }],
            ..PythonProbes::default()
        };
        let text = probes.to_text();
        assert!(text.starts_with("probes       on in 1 process\n"), "{text}");
        assert!(text.contains("older than 3.8"), "{text}");
        assert!(
            text.contains(
                "queue        q (pc.py:17): unbounded, peak depth 4, 10 put, 10 got, None seen"
            ),
            "{text}"
        );
        assert_eq!(spread(&Spread::default()), "? (none measured)");
    }
}
