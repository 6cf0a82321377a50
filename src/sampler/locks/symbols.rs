//! The data symbols of an ELF file, to name the static variable an address
//! lies in: a C `static pthread_mutex_t queue_lock`, a Rust `static` Mutex
//! (demangled, its hash left out), `CPython`'s `_PyRuntime`.
//!
//! Both tables are read (`.symtab`, which names `static` variables unless the
//! file is stripped, and `.dynsym`). A file is read once per device and
//! inode, and only when a lock is first seen in it; the cache is bounded.
//! Only the headers and the tables are read, not the file (libpython is
//! 23 MB, its tables under 1 MB), and a file whose tables pass
//! [`TABLES_MAX_BYTES`] is not named.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use object::elf::{FileHeader32, FileHeader64, SHT_DYNSYM, SHT_SYMTAB};
use object::read::elf::{FileHeader, SectionHeader};
use object::{
    Endianness, FileKind, Object, ObjectSegment, ObjectSymbol, ReadCache, ReadRef, SymbolKind,
};

/// Most files whose symbols are kept at once.
const FILES_KEPT: usize = 64;

/// Most bytes of kept symbols (libpython's data symbols take about 420 KiB).
const KEPT_MAX_BYTES: usize = 4 << 20;

/// Most bytes of symbol and string tables read from one file.
const TABLES_MAX_BYTES: u64 = 64 << 20;

/// One named variable: 16 bytes, its name in [`SymbolTable::names`]
/// (libpython has some 9,000, and a `String` each took three times the
/// memory).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Symbol {
    /// Its address in the file's own (unrelocated) address space.
    address: u64,
    /// Its size in bytes (at least 1; past 4 GiB, 4 GiB).
    size: u32,
    /// Where its name ends in `names`; it starts where the previous
    /// symbol's ends.
    name_end: u32,
}

/// A file's data symbols and its loadable segments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct SymbolTable {
    /// Sorted by address.
    symbols: Vec<Symbol>,
    /// The symbols' demangled names, one after another, in their order.
    names: String,
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
    /// Reads the tables of an ELF image; `None` when it is not one, or its
    /// tables pass [`TABLES_MAX_BYTES`].
    #[must_use]
    pub(super) fn parse<'data, R: ReadRef<'data>>(data: R) -> Option<Self> {
        // `object` reads the tables whole as it parses: their size is
        // checked first, from the section headers alone.
        let tables = match FileKind::parse(data).ok()? {
            FileKind::Elf32 => tables_size::<FileHeader32<Endianness>, R>(data),
            FileKind::Elf64 => tables_size::<FileHeader64<Endianness>, R>(data),
            _ => None,
        }?;
        if tables > TABLES_MAX_BYTES {
            return None;
        }
        let file = object::File::parse(data).ok()?;
        let mut found: Vec<(u64, u64, &str)> = file
            .symbols()
            .chain(file.dynamic_symbols())
            .filter(|s| matches!(s.kind(), SymbolKind::Data | SymbolKind::Unknown))
            .filter(|s| s.is_definition() || s.size() > 0)
            .filter_map(|s| {
                let name = s.name().ok().filter(|n| !n.is_empty())?;
                Some((s.address(), s.size().max(1), name))
            })
            .collect();
        found.sort_unstable_by(|a, b| (a.0, a.2).cmp(&(b.0, b.2)));
        found.dedup_by_key(|(address, _, _)| *address);
        let mut names = String::new();
        let mut symbols = Vec::with_capacity(found.len());
        for (address, size, name) in found {
            use std::fmt::Write as _;
            let _ = write!(names, "{:#}", rustc_demangle::demangle(name));
            symbols.push(Symbol {
                address,
                size: u32::try_from(size).unwrap_or(u32::MAX),
                name_end: u32::try_from(names.len()).ok()?,
            });
        }
        names.shrink_to_fit();
        let segments = file
            .segments()
            .map(|s| (s.file_range().0, s.address()))
            .collect();
        Some(Self {
            symbols,
            names,
            segments,
        })
    }

    /// Bytes it keeps in memory.
    fn bytes(&self) -> usize {
        std::mem::size_of_val(self.symbols.as_slice())
            + self.names.len()
            + std::mem::size_of_val(self.segments.as_slice())
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
        let at = index.checked_sub(1)?;
        let symbol = self.symbols.get(at)?;
        let offset = vaddr - symbol.address;
        let start = at
            .checked_sub(1)
            .and_then(|before| self.symbols.get(before))
            .map_or(0, |before| before.name_end);
        let name = self
            .names
            .get(usize::try_from(start).ok()?..usize::try_from(symbol.name_end).ok()?)?;
        (offset < u64::from(symbol.size)).then(|| Found {
            name: name.to_owned(),
            offset,
        })
    }
}

/// The bytes of the symbol tables and their string tables, as the file's
/// section headers claim them.
fn tables_size<'data, Elf: FileHeader<Endian = Endianness>, R: ReadRef<'data>>(
    data: R,
) -> Option<u64> {
    let header = Elf::parse(data).ok()?;
    let endian = header.endian().ok()?;
    let sections = header.section_headers(endian, data).ok()?;
    let size = |section: &Elf::SectionHeader| -> u64 { section.sh_size(endian).into() };
    Some(
        sections
            .iter()
            .filter(|s| matches!(s.sh_type(endian), SHT_SYMTAB | SHT_DYNSYM))
            .map(|s| {
                let strings = usize::try_from(s.sh_link(endian))
                    .ok()
                    .and_then(|index| sections.get(index))
                    .map_or(0, size);
                size(s).saturating_add(strings)
            })
            .fold(0, u64::saturating_add),
    )
}

/// Symbol tables by device and inode, read on demand.
#[derive(Debug, Default)]
pub(super) struct SymbolCache {
    files: HashMap<(String, u64), Option<Arc<SymbolTable>>>,
    /// What the kept tables take ([`SymbolTable::bytes`]).
    bytes: usize,
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
        let table = read_table(pid, path, inode).map(Arc::new);
        let bytes = table.as_ref().map_or(0, |t| t.bytes());
        if self.files.len() >= FILES_KEPT || self.bytes + bytes > KEPT_MAX_BYTES {
            self.files.clear();
            self.bytes = 0;
        }
        self.bytes += bytes;
        self.files.insert(key, table.clone());
        table
    }
}

/// Reads the file through the process's own root (it may live in another
/// mount namespace), checking that the file opened is still the inode that
/// was mapped. Only the ranges the tables need are read ([`ReadCache`]).
fn read_table(pid: i32, path: &Path, inode: u64) -> Option<SymbolTable> {
    use std::os::unix::fs::MetadataExt;
    let rooted = Path::new(&format!("/proc/{pid}/root")).join(path.strip_prefix("/").ok()?);
    [rooted.as_path(), path].into_iter().find_map(|candidate| {
        let file = std::fs::File::open(candidate).ok()?;
        let meta = file.metadata().ok()?;
        if !meta.is_file() || meta.ino() != inode {
            return None;
        }
        SymbolTable::parse(&ReadCache::new(file))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_test_binary_names_its_own_statics() {
        static NAMED_LOCK: std::sync::Mutex<u64> = std::sync::Mutex::new(0);
        static OTHER_STATIC: std::sync::Mutex<[u64; 4]> = std::sync::Mutex::new([1; 4]);
        let exe = std::fs::File::open("/proc/self/exe").expect("own executable");
        let table = SymbolTable::parse(&ReadCache::new(exe)).expect("an ELF file");
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
        // A word inside another static: its own name, not a neighbour's.
        let inside = (&raw const OTHER_STATIC as u64) + 8;
        let other = table.lookup(inside - bias).expect("a symbol");
        assert!(
            other.name.ends_with("OTHER_STATIC") && other.offset == 8,
            "expected OTHER_STATIC+0x8, found {other:?}"
        );
        drop(NAMED_LOCK.lock());
        assert_eq!(OTHER_STATIC.lock().expect("lock").len(), 4);
    }

    #[test]
    fn garbage_is_no_table() {
        assert_eq!(SymbolTable::parse(&b"not an ELF file"[..]), None);
    }

    #[test]
    fn a_file_claiming_huge_tables_is_not_read() {
        use object::U64;
        use object::elf::SectionHeader64;
        let mut exe = std::fs::read("/proc/self/exe").expect("own executable");
        let (offset, endian) = {
            let header = FileHeader64::<Endianness>::parse(exe.as_slice()).expect("ELF header");
            let endian = header.endian().expect("endianness");
            let sections = header
                .section_headers(endian, exe.as_slice())
                .expect("sections");
            let index = sections
                .iter()
                .position(|s| s.sh_type(endian) == SHT_SYMTAB)
                .expect("a test binary has a .symtab");
            let first = header.e_shoff(endian) as usize;
            (
                first + index * std::mem::size_of::<SectionHeader64<Endianness>>(),
                endian,
            )
        };
        // sh_size sits 32 bytes into a 64-bit section header.
        let size = U64::new(endian, 1 << 40);
        exe[offset + 32..offset + 40].copy_from_slice(object::bytes_of(&size));
        let claimed = tables_size::<FileHeader64<Endianness>, _>(exe.as_slice());
        assert!(
            claimed.is_some_and(|bytes| bytes > TABLES_MAX_BYTES),
            "the tables' size should be read from the headers: {claimed:?}"
        );
        assert_eq!(
            SymbolTable::parse(exe.as_slice()),
            None,
            "a .symtab said to be 1 TiB should be refused, not read"
        );
    }
}
