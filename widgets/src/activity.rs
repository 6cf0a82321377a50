//! What a demo worker is doing at one moment: the shared vocabulary of the worker
//! widgets.
//!
//! The demos decide a worker's activity; this module only names the activities and
//! how they read. Each has one colour in the [`Theme`](crate::Theme) (see
//! [`Theme::activity`](crate::Theme::activity)), so the same colour means the same
//! thing on every panel.

/// What a worker is doing: running, waiting for something (and for what), or finished.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Activity {
    /// Alive but has nothing to do (e.g. a pool worker with an empty queue).
    Idle,
    /// Running its own code on a CPU.
    Computing,
    /// Blocked waiting to acquire a lock (a mutex, a re-entrant lock).
    WaitingLock,
    /// Blocked waiting for a semaphore permit.
    WaitingPermit,
    /// Blocked on a queue: a sender on a full one, a receiver on an empty one.
    WaitingQueue,
    /// Ready to run but waiting for the (simulated) global interpreter lock.
    WaitingGil,
    /// Asleep on simulated I/O (a sleep, a network wait).
    SleepingIo,
    /// Finished its work; will not run again.
    Done,
}

impl Activity {
    /// Every activity, in the order legends list them.
    pub const ALL: [Self; 8] = [
        Self::Idle,
        Self::Computing,
        Self::WaitingLock,
        Self::WaitingPermit,
        Self::WaitingQueue,
        Self::WaitingGil,
        Self::SleepingIo,
        Self::Done,
    ];

    /// The activity in words, as a student reads it: `computing`, `waiting: lock`.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::Computing => "computing",
            Self::WaitingLock => "waiting: lock",
            Self::WaitingPermit => "waiting: permit",
            Self::WaitingQueue => "waiting: queue",
            Self::WaitingGil => "waiting: GIL",
            Self::SleepingIo => "sleeping: I/O",
            Self::Done => "done",
        }
    }

    /// One character standing for the activity, where colour cannot: a timeline cell
    /// of a theme without colours (see [`WorkerLanes`](crate::WorkerLanes)). Running is
    /// solid, as in the colour themes; each wait is the initial of what it waits for;
    /// sleeping is `z`; nothing to do yet is a dot; finished is a tick, so a pool that
    /// has not started never reads as one that has finished.
    #[must_use]
    pub const fn glyph(self) -> &'static str {
        match self {
            Self::Idle => "·",
            Self::Done => "✓",
            Self::Computing => "█",
            Self::WaitingLock => "L",
            Self::WaitingPermit => "P",
            Self::WaitingQueue => "Q",
            Self::WaitingGil => "G",
            Self::SleepingIo => "z",
        }
    }

    /// The widest [`Activity::label`], in cells (all labels are ASCII).
    pub(crate) const LABEL_WIDTH: u16 = {
        let mut widest = 0;
        let mut index = 0;
        while index < Self::ALL.len() {
            let len = Self::ALL[index].label().len();
            if len > widest {
                widest = len;
            }
            index += 1;
        }
        widest as u16
    };
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn all_lists_each_activity_once() {
        let distinct: HashSet<_> = Activity::ALL.iter().collect();
        assert_eq!(distinct.len(), Activity::ALL.len());
    }

    #[test]
    fn labels_are_distinct_ascii_and_measured() {
        let labels: HashSet<_> = Activity::ALL.iter().map(|a| a.label()).collect();
        assert_eq!(labels.len(), Activity::ALL.len());
        assert!(labels.iter().all(|label| label.is_ascii()));
        assert_eq!(Activity::LABEL_WIDTH, 15);
        assert_eq!(Activity::WaitingGil.label(), "waiting: GIL");
        assert_eq!(Activity::SleepingIo.label(), "sleeping: I/O");
    }

    #[test]
    fn glyphs_tell_apart_what_a_theme_colours_apart() {
        let glyphs: HashSet<_> = Activity::ALL
            .iter()
            .map(|activity| activity.glyph())
            .collect();
        assert_eq!(glyphs.len(), Activity::ALL.len());
    }
}
