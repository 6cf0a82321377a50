//! A process's memory map (`/proc/PID/maps`): which mapping holds an address.
//!
//! Read once per process and again only when an address falls in no mapping
//! known (the process mapped more since), so a lock seen tick after tick
//! costs no read. The map is bounded by what the kernel lists.

use std::path::PathBuf;

/// What backs a mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Backing {
    /// A file, with the device and inode that tell one file from another.
    File {
        /// The path as the kernel shows it.
        path: PathBuf,
        /// `major:minor` of its device.
        device: String,
        /// Its inode.
        inode: u64,
    },
    /// The main heap (`[heap]`).
    Heap,
    /// A stack (`[stack]`).
    Stack,
    /// Anonymous memory, or a kernel-provided area (`[vdso]`).
    Anonymous,
}

/// One line of the map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Mapping {
    /// First address.
    pub start: u64,
    /// One past the last address.
    pub end: u64,
    /// Offset in the file of `start`.
    pub offset: u64,
    /// What backs it.
    pub backing: Backing,
}

/// The parsed map of one process, in address order.
#[derive(Debug, Clone, Default)]
pub(super) struct MemoryMap {
    mappings: Vec<Mapping>,
}

impl MemoryMap {
    /// Parses the text of a `maps` file, skipping lines it cannot read.
    #[must_use]
    pub(super) fn parse(text: &str) -> Self {
        let mut mappings: Vec<Mapping> = text.lines().filter_map(parse_line).collect();
        mappings.sort_by_key(|m| m.start);
        Self { mappings }
    }

    /// Reads `/proc/PID/maps`; `None` when it cannot be read.
    pub(super) fn read(pid: i32) -> Option<Self> {
        std::fs::read_to_string(format!("/proc/{pid}/maps"))
            .ok()
            .map(|text| Self::parse(&text))
    }

    /// The mapping holding `address`, and the one right before it when the
    /// two touch (a file's zero-filled `.bss` continues its data in an
    /// anonymous mapping: the symbols are the file's).
    #[must_use]
    pub(super) fn find(&self, address: u64) -> Option<(&Mapping, Option<&Mapping>)> {
        let index = self.mappings.partition_point(|m| m.start <= address);
        let found = self.mappings.get(index.checked_sub(1)?)?;
        if address >= found.end {
            return None;
        }
        let before = index
            .checked_sub(2)
            .and_then(|i| self.mappings.get(i))
            .filter(|b| b.end == found.start);
        Some((found, before))
    }

    /// Every mapping of the file with this device and inode.
    pub(super) fn of_file<'a>(
        &'a self,
        device: &'a str,
        inode: u64,
    ) -> impl Iterator<Item = &'a Mapping> {
        self.mappings.iter().filter(move |m| {
            matches!(&m.backing, Backing::File { device: d, inode: i, .. } if d == device && *i == inode)
        })
    }
}

fn parse_line(line: &str) -> Option<Mapping> {
    let mut fields = line.splitn(6, ' ');
    let (start, end) = fields.next()?.split_once('-')?;
    let _perms = fields.next()?;
    let offset = u64::from_str_radix(fields.next()?, 16).ok()?;
    let device = fields.next()?.to_owned();
    let inode: u64 = fields.next()?.parse().ok()?;
    let name = fields.next().unwrap_or("").trim();
    let backing = match name {
        "[heap]" => Backing::Heap,
        _ if name.starts_with("[stack") => Backing::Stack,
        _ if inode != 0 && name.starts_with('/') => Backing::File {
            path: PathBuf::from(name),
            device,
            inode,
        },
        _ => Backing::Anonymous,
    };
    Some(Mapping {
        start: u64::from_str_radix(start, 16).ok()?,
        end: u64::from_str_radix(end, 16).ok()?,
        offset,
        backing,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAPS: &str = "\
55d0c0a00000-55d0c0a01000 r--p 00000000 fd:01 1234 /tmp/prog
55d0c0a03000-55d0c0a04000 rw-p 00002000 fd:01 1234 /tmp/prog
55d0c0a04000-55d0c0a05000 rw-p 00000000 00:00 0 
55d0c1000000-55d0c1021000 rw-p 00000000 00:00 0                          [heap]
7f0000000000-7f0000001000 rw-p 00000000 00:00 0 
7ffc00000000-7ffc00021000 rw-p 00000000 00:00 0                          [stack]
";

    #[test]
    fn addresses_find_their_mapping_and_a_touching_predecessor() {
        let map = MemoryMap::parse(MAPS);
        let (heap, _) = map.find(0x55d0_c100_0010).expect("heap");
        assert_eq!(heap.backing, Backing::Heap);
        let (bss, data) = map.find(0x55d0_c0a0_4010).expect("bss");
        assert_eq!(bss.backing, Backing::Anonymous);
        assert!(matches!(
            data.map(|d| &d.backing),
            Some(Backing::File { inode: 1234, .. })
        ));
        let (stack, _) = map.find(0x7ffc_0000_0100).expect("stack");
        assert_eq!(stack.backing, Backing::Stack);
        assert_eq!(map.find(0x10), None);
        assert_eq!(map.find(0x55d0_c0a0_2000), None, "a gap between mappings");
        assert_eq!(map.of_file("fd:01", 1234).count(), 2);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        #[test]
        fn any_maps_text_parses_without_panicking(text in crate::fuzz_inputs::proc_text()) {
            let map = MemoryMap::parse(&String::from_utf8_lossy(&text));
            let _ = map.find(0x55d0_c0a0_4010);
        }
    }
}
