//! Names the kernel's locks after the Python locks the probes know.
//!
//! The lock table (`sampler::locks`) sees a thread blocked on a
//! `threading.Lock` as asleep on a futex word in the heap, `[heap] 0x…`. The
//! probe of that lock read the word's address when the lock was made (see
//! `_futex_of` in the probe module), so the lock at that address in that
//! process is named as the program names it: `queue_lock (contend.py:2)`,
//! on screen, in the `WAITING ON` column and in the JSON's `label`. Only an
//! exact match of process and address names a lock.

use std::collections::HashMap;
use std::sync::Arc;

use crate::python_probes::PythonProbes;
use crate::snapshot::LockSample;

/// Gives each lock of `locks` that a lock of `python` sleeps on that lock's
/// name.
pub(super) fn name_python_locks(python: &PythonProbes, locks: &mut [LockSample]) {
    let names: HashMap<(i32, u64), &str> = python
        .locks
        .iter()
        .flat_map(|lock| {
            lock.futex_words
                .iter()
                .map(move |word| (*word, lock.name.as_str()))
        })
        .collect();
    if names.is_empty() {
        return;
    }
    for lock in locks {
        if let Some(name) = names.get(&(lock.pid, lock.address))
            && *lock.label != **name
        {
            lock.label = Arc::from(*name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::python_probes::{ProbeLock, Spread};
    use crate::snapshot::LockKind;

    fn futex_lock(pid: i32, address: u64) -> LockSample {
        LockSample {
            pid,
            address,
            label: format!("[heap] {address:#x}").into(),
            symbol: None,
            kind: LockKind::ConditionOrSemaphore,
            waiters_now: 2,
            waiters_max: 2,
            waiters_mean: 1.5,
            blocked_ns: 1_000_000,
            wait_share: 0.5,
            threads: Vec::new(),
            owner_tid: None,
        }
    }

    fn probed_lock(name: &str, futex_words: Vec<(i32, u64)>) -> ProbeLock {
        ProbeLock {
            name: name.to_owned(),
            type_name: "Lock".to_owned(),
            processes: 1,
            acquires: 10,
            contended: 4,
            waiters: 2,
            peak_waiters: 2,
            wait_ns: Spread::default(),
            hold_ns: Spread::default(),
            futex_words,
        }
    }

    #[test]
    fn a_lock_is_named_only_where_process_and_address_both_match() {
        let probes = PythonProbes {
            locks: vec![probed_lock(
                "queue_lock (contend.py:2)",
                vec![(40, 0x5555_0000_1000)],
            )],
            ..PythonProbes::default()
        };
        let mut locks = [
            futex_lock(40, 0x5555_0000_1000),
            futex_lock(41, 0x5555_0000_1000),
            futex_lock(40, 0x5555_0000_2000),
        ];
        name_python_locks(&probes, &mut locks);
        let labels: Vec<&str> = locks.iter().map(|l| &*l.label).collect();
        assert_eq!(
            labels,
            [
                "queue_lock (contend.py:2)",
                "[heap] 0x555500001000",
                "[heap] 0x555500002000"
            ],
            "expected only the lock at the probe's address in the probe's process named"
        );
    }
}
