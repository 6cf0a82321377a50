//! The probes file a Python process writes (`probes-PID.bin`), parsed.
//!
//! The layout is the probe module's (`assets/python/corescope_probes/probes.py`,
//! whose constants these mirror): a 64-byte header (`CSPROBE1`, version, slot
//! size, slot count, pid, slots used; u32s in native byte order) and fixed
//! slots of [`SLOT`] bytes, each [`WORDS`] u64 words, a name and a type name.
//! The file is written while it is read: a slot whose kind is not yet set is
//! skipped, a torn counter is at worst one update behind. Anything else that
//! does not fit the layout (another file, a truncated one) yields no slots,
//! never a panic; a file is never read past [`MAX_FILE_BYTES`].

/// The file's first bytes.
pub(crate) const MAGIC: &[u8; 8] = b"CSPROBE1";
/// The layout version this parser knows.
pub(crate) const VERSION: u32 = 1;
/// Header bytes before the first slot.
pub(crate) const HEADER: usize = 64;
/// Bytes a slot takes.
pub(crate) const SLOT: usize = 1024;
/// Slots in a file, at most.
pub(crate) const SLOTS: usize = 256;
/// The largest file read.
pub(crate) const MAX_FILE_BYTES: usize = HEADER + SLOT * SLOTS;
/// u64 words at the start of a slot.
const WORDS: usize = 96;
const NAME_AT: usize = 768;
const NAME_BYTES: usize = 192;
const TYPE_AT: usize = 960;
const TYPE_BYTES: usize = 64;
const _: () = assert!(WORDS * 8 <= NAME_AT && NAME_AT + NAME_BYTES <= TYPE_AT);
const _: () = assert!(TYPE_AT + TYPE_BYTES <= SLOT);
/// Buckets of a log2 histogram: bucket `b` counts values of bit length `b`.
pub(crate) const BUCKETS: usize = 40;

mod word {
    pub(super) const KIND: usize = 0;
    pub(super) const KEY: usize = 1;
    pub(super) const COUNT_A: usize = 2;
    pub(super) const COUNT_B: usize = 3;
    pub(super) const WAIT: usize = 4;
    pub(super) const HOLD: usize = 7;
    pub(super) const CAPACITY: usize = 10;
    pub(super) const NOW: usize = 11;
    pub(super) const PEAK: usize = 12;
    pub(super) const WAITERS: usize = 13;
    pub(super) const PEAK_WAITERS: usize = 14;
    pub(super) const SENTINELS: usize = 15;
    pub(super) const WAIT_HIST: usize = 16;
    pub(super) const HOLD_HIST: usize = 56;
}

/// What a slot measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Kind {
    /// A lock (threading or multiprocessing, `RLock` included).
    Lock,
    /// A semaphore.
    Semaphore,
    /// A queue.
    Queue,
    /// A `threading.Event`.
    Event,
    /// A `threading.Barrier`.
    Barrier,
    /// A `threading.Condition`'s waits and notifies (its lock is a [`Kind::Lock`]).
    Condition,
    /// A `concurrent.futures` executor.
    Executor,
}

/// Waits (or holds) recorded: count, sum, max and a log2 histogram, in ns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Timings {
    pub(crate) count: u64,
    pub(crate) sum_ns: u64,
    pub(crate) max_ns: u64,
    pub(crate) buckets: [u64; BUCKETS],
}

impl Default for Timings {
    fn default() -> Self {
        Self {
            count: 0,
            sum_ns: 0,
            max_ns: 0,
            buckets: [0; BUCKETS],
        }
    }
}

/// One probe as one process saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Slot {
    pub(crate) kind: Kind,
    /// The same object in every process that uses it (a multiprocessing
    /// queue in the sender and in the receiver) has the same key.
    pub(crate) key: u64,
    /// `lock (counter.py:4)`.
    pub(crate) name: String,
    /// `Lock`, `mp.Queue`, ...
    pub(crate) type_name: String,
    /// Acquires, or puts (an event's sets, a barrier's arrivals, a
    /// condition's waits, an executor's tasks submitted).
    pub(crate) count_a: u64,
    /// Contended acquires, or gets (an event's clears, a barrier's trips,
    /// a condition's notify calls, an executor's tasks started).
    pub(crate) count_b: u64,
    pub(crate) wait: Timings,
    /// Hold times of a lock; the other kinds' count here is [`Slot::extra`].
    pub(crate) hold: Timings,
    /// A semaphore's permits, a queue's maxsize (0: unbounded), a barrier's
    /// parties, an executor's workers; a lock's futex word's address (0:
    /// unknown).
    pub(crate) capacity: u64,
    /// Permits in use, or depth, now.
    pub(crate) now: u64,
    /// Most permits in use, or deepest, seen by this process.
    pub(crate) peak: u64,
    pub(crate) waiters: u64,
    pub(crate) peak_waiters: u64,
    /// `None` items put on a queue (an event's or a condition's waits that
    /// timed out, a barrier's broken waits, an executor's cancelled tasks).
    pub(crate) sentinels: u64,
}

impl Slot {
    /// The count kinds without hold times keep in the hold count's word: an
    /// event's waits, a condition's waiters notified, an executor's tasks
    /// finished.
    pub(crate) const fn extra(&self) -> u64 {
        self.hold.count
    }
}

/// The header's u32 number `i` (version, slot size, slot count, pid, used).
fn header(bytes: &[u8], i: usize) -> Option<u32> {
    let at = 8 + 4 * i;
    Some(u32::from_ne_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// Slots in use, at most [`SLOTS`], from a file's first bytes; `None` when
/// they are not the header of a probes file of this version.
pub(crate) fn used_slots(bytes: &[u8]) -> Option<usize> {
    if bytes.get(..8)? != MAGIC
        || header(bytes, 0)? != VERSION
        || header(bytes, 1)? as usize != SLOT
        || header(bytes, 2)? as usize != SLOTS
    {
        return None;
    }
    Some((header(bytes, 4)? as usize).min(SLOTS))
}

/// The pid the file's header names and its valid slots; `None` when the
/// bytes are not a probes file of this version.
pub(crate) fn parse(bytes: &[u8]) -> Option<(u32, Vec<Slot>)> {
    let bytes = bytes.get(..bytes.len().min(MAX_FILE_BYTES))?;
    let used = used_slots(bytes)?;
    let pid = header(bytes, 3)?;
    let slots = (0..used)
        .filter_map(|i| bytes.get(HEADER + i * SLOT..HEADER + (i + 1) * SLOT))
        .filter_map(slot)
        .collect();
    Some((pid, slots))
}

fn slot(bytes: &[u8]) -> Option<Slot> {
    let w = |i: usize| -> u64 {
        bytes
            .get(i * 8..i * 8 + 8)
            .and_then(|b| b.try_into().ok())
            .map_or(0, u64::from_ne_bytes)
    };
    let kind = match w(word::KIND) {
        1 => Kind::Lock,
        2 => Kind::Semaphore,
        3 => Kind::Queue,
        4 => Kind::Event,
        5 => Kind::Barrier,
        6 => Kind::Condition,
        7 => Kind::Executor,
        _ => return None,
    };
    let timings = |at: usize, hist: usize| {
        let mut buckets = [0; BUCKETS];
        for (b, bucket) in buckets.iter_mut().enumerate() {
            *bucket = w(hist + b);
        }
        Timings {
            count: w(at),
            sum_ns: w(at + 1),
            max_ns: w(at + 2),
            buckets,
        }
    };
    Some(Slot {
        kind,
        key: w(word::KEY),
        name: text(bytes.get(NAME_AT..NAME_AT + NAME_BYTES)?),
        type_name: text(bytes.get(TYPE_AT..TYPE_AT + TYPE_BYTES)?),
        count_a: w(word::COUNT_A),
        count_b: w(word::COUNT_B),
        wait: timings(word::WAIT, word::WAIT_HIST),
        hold: timings(word::HOLD, word::HOLD_HIST),
        capacity: w(word::CAPACITY),
        now: w(word::NOW),
        peak: w(word::PEAK),
        waiters: w(word::WAITERS),
        peak_waiters: w(word::PEAK_WAITERS),
        sentinels: w(word::SENTINELS),
    })
}

/// NUL-padded UTF-8 from the program, made safe for a terminal.
fn text(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end])
        .chars()
        .filter(|c| !c.is_control())
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A slot to write: kind, key, name, words to set.
    type Written<'a> = (u64, u64, &'a str, &'a [(usize, u64)]);

    /// A file with `slots`.
    pub(crate) fn file(pid: u32, slots: &[Written<'_>]) -> Vec<u8> {
        let mut bytes = vec![0_u8; HEADER + SLOT * slots.len()];
        bytes[..8].copy_from_slice(MAGIC);
        let used = u32::try_from(slots.len()).expect("few slots");
        let slot_size = u32::try_from(SLOT).expect("small");
        let slot_count = u32::try_from(SLOTS).expect("small");
        for (i, v) in [VERSION, slot_size, slot_count, pid, used]
            .iter()
            .enumerate()
        {
            bytes[8 + 4 * i..12 + 4 * i].copy_from_slice(&v.to_ne_bytes());
        }
        for (i, (kind, key, name, words)) in slots.iter().enumerate() {
            let base = HEADER + i * SLOT;
            let mut put = |w: usize, v: u64| {
                bytes[base + w * 8..base + w * 8 + 8].copy_from_slice(&v.to_ne_bytes());
            };
            put(word::KIND, *kind);
            put(word::KEY, *key);
            for (w, v) in *words {
                put(*w, *v);
            }
            bytes[base + NAME_AT..base + NAME_AT + name.len()].copy_from_slice(name.as_bytes());
            bytes[base + TYPE_AT..base + TYPE_AT + 4].copy_from_slice(b"Lock");
        }
        bytes
    }

    #[test]
    fn a_written_file_reads_back() {
        let bytes = file(
            42,
            &[
                (
                    1,
                    7,
                    "lock (a.py:3)",
                    &[(word::COUNT_A, 10), (word::WAIT_HIST + 5, 2)],
                ),
                (0, 8, "not yet", &[]),
                (3, 9, "q\x1b[2J (a.py:4)", &[(word::SENTINELS, 1)]),
            ],
        );
        let (pid, slots) = parse(&bytes).expect("a probes file");
        assert_eq!(pid, 42);
        assert_eq!(slots.len(), 2, "the slot whose kind is unset is skipped");
        assert_eq!(
            (
                slots[0].kind,
                slots[0].name.as_str(),
                slots[0].type_name.as_str()
            ),
            (Kind::Lock, "lock (a.py:3)", "Lock")
        );
        assert_eq!((slots[0].count_a, slots[0].wait.buckets[5]), (10, 2));
        assert_eq!(
            slots[1].name, "q[2J (a.py:4)",
            "control characters are dropped"
        );
        assert_eq!(slots[1].sentinels, 1);
    }

    #[test]
    fn other_files_yield_nothing() {
        assert_eq!(parse(b""), None);
        assert_eq!(parse(b"CSPROBE2 and more bytes than a header"), None);
        let mut short = file(1, &[(1, 1, "x", &[])]);
        short.truncate(HEADER + 100);
        assert_eq!(
            parse(&short),
            Some((1, Vec::new())),
            "a cut slot is skipped"
        );
    }

    proptest! {
        #[test]
        fn no_input_panics(bytes in proptest::collection::vec(any::<u8>(), 0..4096),
                           used in 0_u32..10_000, pid in any::<u32>()) {
            let _ = parse(&bytes);
            let mut framed = file(pid, &[]);
            framed[24..28].copy_from_slice(&used.to_ne_bytes());
            framed.extend_from_slice(&bytes);
            if let Some((_, slots)) = parse(&framed) {
                prop_assert!(slots.len() <= SLOTS);
            }
        }
    }
}
