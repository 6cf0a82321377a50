//! The data symbols of an ELF file, to name the static variable an address
//! lies in: a C `static pthread_mutex_t queue_lock`, a Rust `static` Mutex
//! (demangled, its hash left out), `CPython`'s `_PyRuntime`.
//!
//! Both tables are read (`.symtab`, which names `static` variables unless the
//! file is stripped, and `.dynsym`). A file is read once per device and
//! inode, and only when a lock is first seen in it; the cache is bounded.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use object::{Object, ObjectSegment, ObjectSymbol, SymbolKind};

/// Most files whose symbols are kept at once.
const FILES_KEPT: usize = 64;

/// One named variable.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Symbol {
    /// Its address in the file's own (unrelocated) address space.
    address: u64,
    /// Its size in bytes (at least 1).
    size: u64,
    name: String,
}

/// A file's data symbols and its loadable segments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct SymbolTable {
    /// Sorted by address.
    symbols: Vec<Symbol>,
    /// `(file offset, virtual address)` of each loadable segment.
    segments: Vec<(u64, u64)>,
}

/// A symbol found for an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Found {
    /// Demangled name.
    pub name: String,
    /// Bytes from its start.
    pub offset: u64,
}

impl SymbolTable {
    /// Reads the tables of an ELF image; `None` when it is not one.
    #[must_use]
    pub(super) fn parse(data: &[u8]) -> Option<Self> {
        let file = object::File::parse(data).ok()?;
        let mut symbols: Vec<Symbol> = file
            .symbols()
            .chain(file.dynamic_symbols())
            .filter(|s| matches!(s.kind(), SymbolKind::Data | SymbolKind::Unknown))
            .filter(|s| s.is_definition() || s.size() > 0)
            .filter_map(|s| {
                let name = s.name().ok().filter(|n| !n.is_empty())?;
                Some(Symbol {
                    address: s.address(),
                    size: s.size().max(1),
                    name: format!("{:#}", rustc_demangle::demangle(name)),
                })
            })
            .collect();
        symbols.sort_by(|a, b| (a.address, &a.name).cmp(&(b.address, &b.name)));
        symbols.dedup_by_key(|s| s.address);
        let segments = file
            .segments()
            .map(|s| (s.file_range().0, s.address()))
            .collect();
        Some(Self { symbols, segments })
    }

    /// The virtual address in the file's own space of the mapping that
    /// starts at `start` with file offset `offset`: from the loadable
    /// segment that begins within it.
    #[must_use]
    pub(super) fn load_bias(&self, start: u64, end: u64, offset: u64) -> Option<u64> {
        let span = end.checked_sub(start)?;
        self.segments
            .iter()
            .filter(|(file_offset, _)| *file_offset >= offset && *file_offset - offset < span)
            .min_by_key(|(file_offset, _)| *file_offset)
            .and_then(|(file_offset, vaddr)| {
                let at = start.checked_add(file_offset - offset)?;
                at.checked_sub(*vaddr)
            })
    }

    /// The symbol whose bytes hold `vaddr` (an address in the file's space).
    #[must_use]
    pub(super) fn lookup(&self, vaddr: u64) -> Option<Found> {
        let index = self.symbols.partition_point(|s| s.address <= vaddr);
        let symbol = self.symbols.get(index.checked_sub(1)?)?;
        let offset = vaddr - symbol.address;
        (offset < symbol.size).then(|| Found {
            name: symbol.name.clone(),
            offset,
        })
    }
}

/// Symbol tables by device and inode, read on demand.
#[derive(Debug, Default)]
pub(super) struct SymbolCache {
    files: HashMap<(String, u64), Option<Arc<SymbolTable>>>,
}

impl SymbolCache {
    /// The table of the file with this device and inode, mapped by `pid` at
    /// `path`; `None` when it cannot be read (gone, replaced, not ELF).
    pub(super) fn get(
        &mut self,
        pid: i32,
        path: &Path,
        device: &str,
        inode: u64,
    ) -> Option<Arc<SymbolTable>> {
        let key = (device.to_owned(), inode);
        if let Some(table) = self.files.get(&key) {
            return table.clone();
        }
        if self.files.len() >= FILES_KEPT {
            self.files.clear();
        }
        let table = read_table(pid, path, inode).map(Arc::new);
        self.files.insert(key, table.clone());
        table
    }
}

/// Reads the file through the process's own root (it may live in another
/// mount namespace), checking it is still the inode that was mapped.
fn read_table(pid: i32, path: &Path, inode: u64) -> Option<SymbolTable> {
    use std::os::unix::fs::MetadataExt;
    let rooted = Path::new(&format!("/proc/{pid}/root")).join(path.strip_prefix("/").ok()?);
    [rooted.as_path(), path].into_iter().find_map(|candidate| {
        let meta = std::fs::metadata(candidate).ok()?;
        if meta.ino() != inode {
            return None;
        }
        SymbolTable::parse(&std::fs::read(candidate).ok()?)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_test_binary_names_its_own_statics() {
        static NAMED_LOCK: std::sync::Mutex<u64> = std::sync::Mutex::new(0);
        let exe = std::fs::read("/proc/self/exe").expect("own executable");
        let table = SymbolTable::parse(&exe).expect("an ELF file");
        let maps = super::super::maps::MemoryMap::read(std::process::id() as i32).expect("maps");
        let address = &raw const NAMED_LOCK as u64;
        let (mapping, before) = maps.find(address).expect("mapped");
        let file = match &mapping.backing {
            super::super::maps::Backing::File { .. } => mapping,
            _ => before.expect("the file's data before its bss"),
        };
        let super::super::maps::Backing::File { device, inode, .. } = &file.backing else {
            panic!("expected the static in the executable, found {mapping:?}");
        };
        let bias = maps
            .of_file(device, *inode)
            .find_map(|m| table.load_bias(m.start, m.end, m.offset))
            .expect("a load bias");
        let found = table.lookup(address - bias).expect("a symbol");
        assert!(
            found.name.ends_with("NAMED_LOCK") && found.offset == 0,
            "expected the demangled static NAMED_LOCK at offset 0, found {found:?}"
        );
        drop(NAMED_LOCK.lock());
    }

    #[test]
    fn garbage_is_no_table() {
        assert_eq!(SymbolTable::parse(b"not an ELF file"), None);
    }
}
