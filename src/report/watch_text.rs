//! The `watch` and `run` report as a short table, for a terminal or a paste.

use std::fmt::Write as _;

use super::watch::WatchReport;

impl WatchReport {
    /// A short table for a terminal or a paste.
    #[must_use]
    pub(crate) fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "PID {} ({}): {} samples over {:.2} s",
            self.pid,
            self.command,
            self.samples,
            self.duration_ms as f64 / 1000.0
        );
        if let Some(run) = &self.run {
            let _ = writeln!(out, "command      {}", run.describe());
            if let Some(log) = &run.log {
                let _ = writeln!(out, "output       {log}");
            }
        }
        if self.root_state.as_deref() == Some("Z") {
            let _ = writeln!(
                out,
                "state        zombie: it has exited, and its parent has not reaped it"
            );
        }
        if self.restricted {
            let whose = if self.another_user {
                "another user's process"
            } else {
                "withheld by the kernel"
            };
            let _ = writeln!(
                out,
                "restricted   {whose}: wait channels unreadable (shown ?)"
            );
        }
        let _ = writeln!(
            out,
            "threads      {} now, {} peak",
            self.threads.now, self.threads.peak
        );
        let _ = writeln!(
            out,
            "processes    {} now, {} peak",
            self.processes.now, self.processes.peak
        );
        if self.exited_threads > 0 || self.exited_processes > 0 {
            let _ = writeln!(
                out,
                "exited       {} threads, {} processes (their CPU time counted)",
                self.exited_threads, self.exited_processes
            );
        }
        let _ = writeln!(
            out,
            "parallelism  {} cores mean, {} max{}",
            super::figure2(self.parallelism.mean),
            super::figure2(self.parallelism.max),
            if self.parallelism.mean.is_none() {
                "   (not measured: the tree was gone before a second reading)"
            } else {
                ""
            }
        );
        let busy: Vec<String> = self
            .cpu
            .busy_pct
            .iter()
            .enumerate()
            .map(|(i, b)| format!("cpu{i} {b:.0}%"))
            .collect();
        let _ = writeln!(out, "cpu busy     {}", busy.join("  "));
        if let Some(python) = &self.python {
            out.push_str(&python.to_text());
        }
        let _ = writeln!(
            out,
            "\n{:>8} {:<16} {:>2} {:>4} {:>7} {:>8} {:>8} {:>9} {:>6}",
            "TID", "NAME", "S", "CPU", "CPU%", "VCSW", "IVCSW", "RUNQ ms", "FUTEX%"
        );
        let unknown = || "?".to_owned();
        for t in &self.per_thread {
            let _ = writeln!(
                out,
                "{:>8} {:<16} {:>2} {:>4} {:>7} {:>8} {:>8} {:>9} {:>6}{}",
                t.tid,
                t.runtime_name.as_deref().unwrap_or(&t.name),
                t.state,
                t.last_cpu.map_or_else(unknown, |c| c.to_string()),
                t.cpu_pct.map_or_else(unknown, |c| format!("{c:.1}")),
                t.voluntary_ctxt.map_or_else(unknown, |c| c.to_string()),
                t.nonvoluntary_ctxt.map_or_else(unknown, |c| c.to_string()),
                t.runq_wait_ms.map_or_else(unknown, |c| format!("{c:.1}")),
                t.futex_wait_pct.map_or_else(unknown, |c| format!("{c:.0}")),
                if t.exited { "  (exited)" } else { "" },
            );
        }
        out.push_str(&super::locks::to_text(
            self.locks.futex.as_deref(),
            LOCK_ROWS,
        ));
        out
    }
}

/// Locks the text report lists at most.
const LOCK_ROWS: usize = 8;
