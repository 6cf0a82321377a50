//! "What to look for", as the mode running: `m` switches a demo's mode, and
//! the text under it must describe what the screen shows now, not what the
//! demo's first mode showed. A demo whose text holds in every mode keeps
//! its catalogue text.

use corescope_demos::catalog::{Kind, Mode};

/// What to look for in the demo `name` running in `mode` with tasks of
/// `kind` (for the demos that have one).
#[must_use]
pub(super) fn look_for(name: &str, mode: Mode, kind: Option<Kind>) -> &'static str {
    let default = corescope_demos::registry::find(name).map_or("", |spec| spec.look_for);
    match (name, mode, kind) {
        ("race", Mode::Processes, _) => {
            "Processes mode: worker processes add to one counter in shared memory. \
             Unsynchronized, they lose updates exactly as threads do; with the shared lock \
             or an atomic add the count is exact, and the lock shows its contention."
        }
        ("lock-contention", Mode::Processes, _) => {
            "Processes mode: the worker processes queue for one lock in shared memory \
             (waiting: lock, in their lanes). A lock between processes convoys as one between \
             threads: the longer the critical section, the higher the wait p99."
        }
        ("thread-pool", Mode::Processes, _) => {
            "Processes mode: a pool of worker processes maps the tasks. Tasks take \
             different times, yet results still come back in input order."
        }
        ("producer-consumer", Mode::Processes, _) => {
            "Processes mode: producer and consumer processes share a bounded queue in \
             shared memory. When consumers are slower it fills and producers block \
             (back-pressure), as between threads."
        }
        ("gil", Mode::Threads, _) => {
            "Threads mode, no GIL: every worker computes at once, so their lanes stay \
             computing and parallelism climbs toward the number of cores. Press m for the \
             GIL again: one at a time."
        }
        ("cpu-vs-io", Mode::Threads, Some(Kind::Cpu)) => {
            "Threads, computing: with no GIL each worker keeps a core busy, and parallelism \
             climbs toward the number of workers (or cores)."
        }
        ("cpu-vs-io", Mode::Gil, Some(Kind::Cpu)) => {
            "GIL, computing: one worker holds the GIL at a time; the lanes alternate and \
             parallelism stays near one core however many workers run."
        }
        ("cpu-vs-io", Mode::Processes, Some(Kind::Cpu)) => {
            "Processes, computing: each worker process has its own interpreter, so every \
             one keeps a core busy; each costs milliseconds and megabytes to start."
        }
        ("cpu-vs-io", Mode::Async, Some(Kind::Cpu)) => {
            "Async, computing: every task runs on the one event-loop thread, so parallelism \
             stays at one core: async does not make computation parallel."
        }
        ("cpu-vs-io", _, Some(Kind::Io)) => {
            "Waiting tasks (I/O): they overlap in every mode, the GIL included, because a \
             waiting task needs no CPU. The cores stay idle and a round takes about one \
             task's time."
        }
        _ => default,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use corescope_demos::registry::specs;

    #[test]
    fn every_mode_of_every_demo_has_a_text() {
        for spec in specs() {
            for mode in spec.modes {
                for kind in [spec.kind, Some(Kind::Cpu), Some(Kind::Io)] {
                    assert!(
                        !look_for(spec.name, *mode, kind).is_empty(),
                        "{}",
                        spec.name
                    );
                }
            }
        }
    }

    #[test]
    fn switching_the_mode_changes_the_text_of_demos_with_several_modes() {
        for spec in specs().filter(|s| s.modes.len() > 1) {
            let texts: Vec<&str> = spec
                .modes
                .iter()
                .map(|mode| look_for(spec.name, *mode, spec.kind))
                .collect();
            for (i, text) in texts.iter().enumerate() {
                assert!(
                    !texts[..i].contains(text),
                    "{}: the {} mode says what another mode says",
                    spec.name,
                    spec.modes[i].name()
                );
            }
        }
    }
}
