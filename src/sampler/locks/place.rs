//! Where a futex word lives, in words: the static variable that holds it
//! (`queue_lock`, `app::STATE+0x8`), `CPython`'s GIL, or the mapping
//! (`[heap] 0x…`, `[stack]`, `libfoo.so+0x…`, an anonymous `0x…`).

use std::path::Path;
use std::sync::Arc;

use super::maps::{Backing, Mapping, MemoryMap};
use super::symbols::SymbolCache;

/// The `CPython` variable that holds the GIL (3.8 to 3.13; from 3.12 within
/// the main interpreter, which `_PyRuntime` holds too).
const CPYTHON_RUNTIME: &str = "_PyRuntime";

/// A futex word's place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Place {
    /// What the screen and the report call it.
    pub label: Arc<str>,
    /// `symbol` or `symbol+0xOFF`, when a symbol holds it.
    pub symbol: Option<Arc<str>>,
    /// True when it lies in `CPython`'s runtime state: the GIL.
    pub gil: bool,
}

/// Names `address` in the process whose map is `map`; `None` when no
/// mapping holds it.
pub(super) fn describe(
    pid: i32,
    address: u64,
    map: &MemoryMap,
    symbols: &mut SymbolCache,
) -> Option<Place> {
    let (mapping, before) = map.find(address)?;
    // A file's zero-filled `.bss` (where `static` locks without initial
    // values live) continues its data in an anonymous mapping.
    let file = match (&mapping.backing, before) {
        (Backing::File { .. }, _) => Some(mapping),
        (Backing::Anonymous, Some(b)) if matches!(b.backing, Backing::File { .. }) => Some(b),
        _ => None,
    };
    let bss = !matches!(mapping.backing, Backing::File { .. });
    if let Some(file) = file
        && let Some(place) = in_file(pid, address, (file, bss), map, symbols)
    {
        return Some(place);
    }
    let label = match &mapping.backing {
        Backing::Heap => format!("[heap] {address:#x}"),
        Backing::Stack => "[stack]".to_owned(),
        Backing::Anonymous => format!("{address:#x}"),
        Backing::File { path, .. } => format!(
            "{}+{:#x}",
            file_name(path),
            address - mapping.start + mapping.offset
        ),
    };
    Some(Place {
        label: label.into(),
        symbol: None,
        gil: false,
    })
}

/// Names an address in a file-backed mapping (or, `bss`, in the anonymous
/// mapping right after one) from the file's symbols. An address after the
/// file that no symbol holds is not the file's: `None`, and the anonymous
/// mapping names it (a thread's stack may lie right after a library).
fn in_file(
    pid: i32,
    address: u64,
    (file, bss): (&Mapping, bool),
    map: &MemoryMap,
    symbols: &mut SymbolCache,
) -> Option<Place> {
    let Backing::File {
        path,
        device,
        inode,
    } = &file.backing
    else {
        return None;
    };
    let table = symbols.get(pid, path, device, *inode)?;
    let bias = map
        .of_file(device, *inode)
        .find_map(|m| table.load_bias(m.start, m.end, m.offset))?;
    let vaddr = address.checked_sub(bias)?;
    let Some(found) = table.lookup(vaddr) else {
        if bss {
            return None;
        }
        return Some(Place {
            label: format!("{}+{vaddr:#x}", file_name(path)).into(),
            symbol: None,
            gil: false,
        });
    };
    let symbol = if found.offset == 0 {
        found.name.clone()
    } else {
        format!("{}+{:#x}", found.name, found.offset)
    };
    let gil = found.name == CPYTHON_RUNTIME && is_python(path);
    let label = if gil {
        format!("CPython GIL (in {CPYTHON_RUNTIME})")
    } else {
        symbol.clone()
    };
    Some(Place {
        label: label.into(),
        symbol: Some(symbol.into()),
        gil,
    })
}

/// A `CPython` interpreter or its shared library.
fn is_python(path: &Path) -> bool {
    let name = file_name(path);
    name.starts_with("libpython") || name.starts_with("python")
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_without_a_file_is_named_by_its_mapping() {
        let map = MemoryMap::parse(
            "1000-2000 rw-p 00000000 00:00 0 [heap]\n\
             3000-4000 rw-p 00000000 00:00 0 \n\
             5000-6000 rw-p 00000000 00:00 0 [stack]\n",
        );
        let mut cache = SymbolCache::default();
        let label =
            |address| describe(1, address, &map, &mut SymbolCache::default()).map(|p| p.label);
        assert_eq!(label(0x1010).as_deref(), Some("[heap] 0x1010"));
        assert_eq!(label(0x3008).as_deref(), Some("0x3008"));
        assert_eq!(label(0x5ff0).as_deref(), Some("[stack]"));
        assert_eq!(describe(1, 0x9000, &map, &mut cache), None);
    }

    #[test]
    fn python_is_told_by_its_file_name() {
        assert!(is_python(Path::new("/usr/lib/libpython3.11.so.1.0")));
        assert!(is_python(Path::new(
            "/root/.pyenv/versions/3.13.0/bin/python3.13"
        )));
        assert!(!is_python(Path::new("/tmp/prog")));
    }
}
