//! The binary's module structure, checked from its source: data flows one
//! way, so no two modules of `src/` import each other (directly or round a
//! circle), and the sampler only reads: it imports nothing of what runs in
//! the watched tree or of where snapshots go.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read src/") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            found.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
    found
}

/// The top-level module of `src/` a file belongs to (`sampler` for
/// `src/sampler/tree.rs`, `cli` for `src/cli.rs`).
fn top_module(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).expect("a file under src/");
    let first = relative.components().next().expect("a path");
    let name = first.as_os_str().to_string_lossy();
    name.trim_end_matches(".rs").to_owned()
}

/// The code of `file` that the built program holds: without comments and
/// without its unit tests (which may reach anywhere).
fn program_code(file: &Path) -> String {
    let text = std::fs::read_to_string(file).expect("read a source file");
    let text = text
        .find("#[cfg(test)]\nmod tests")
        .map_or(text.as_str(), |at| &text[..at]);
    text.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level modules `code` names through `crate::`.
fn imported_modules(code: &str) -> BTreeSet<String> {
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut found = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                found.insert(ident(item.trim()));
            }
        } else {
            found.insert(ident(rest));
        }
    }
    found.retain(|name| !name.is_empty());
    found
}

/// Which top-level module of `src/` imports which.
fn import_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in rust_files(&src) {
        let module = top_module(&src, &file);
        let stem = file.file_stem().map(|s| s.to_string_lossy().into_owned());
        // The crate root declares every module; unit-test files and
        // fixtures reach anywhere, as tests do.
        if ["lib", "main"].contains(&module.as_str())
            || stem
                .as_deref()
                .is_some_and(|s| s == "tests" || s == "fixtures")
        {
            continue;
        }
        let imports = imported_modules(&program_code(&file));
        let entry = graph.entry(module.clone()).or_default();
        entry.extend(imports.into_iter().filter(|m| *m != module));
    }
    graph
}

/// A circle of imports through `from`, if there is one: the modules in
/// order, back to the first.
fn circle_from(graph: &BTreeMap<String, BTreeSet<String>>, from: &str) -> Option<Vec<String>> {
    let mut path = vec![from.to_owned()];
    let mut seen = BTreeSet::new();
    walk(graph, &mut path, &mut seen).then_some(path)
}

/// Extends `path` (depth first, each module once) until it comes back to
/// its first module; true when it did.
fn walk(
    graph: &BTreeMap<String, BTreeSet<String>>,
    path: &mut Vec<String>,
    seen: &mut BTreeSet<String>,
) -> bool {
    let last = path.last().expect("a path").clone();
    for next in graph.get(&last).into_iter().flatten() {
        if *next == path[0] {
            path.push(next.clone());
            return true;
        }
        if seen.insert(next.clone()) {
            path.push(next.clone());
            if walk(graph, path, seen) {
                return true;
            }
            path.pop();
        }
    }
    false
}

#[test]
fn no_two_modules_of_src_import_each_other_round_a_circle() {
    let graph = import_graph();
    assert!(
        graph.contains_key("session") && graph.contains_key("sampler"),
        "expected to read the session and sampler modules, read {:?}",
        graph.keys().collect::<Vec<_>>()
    );
    let circles: Vec<String> = graph
        .keys()
        .filter_map(|module| circle_from(&graph, module))
        .map(|circle| circle.join(" -> "))
        .collect();
    assert!(
        circles.is_empty(),
        "expected no import circle between modules of src/, found:\n{}",
        circles.join("\n")
    );
}

#[test]
fn the_sampler_imports_nothing_of_workloads_recorders_or_the_command_line() {
    let graph = import_graph();
    let sampler = graph.get("sampler").expect("the sampler module");
    let forbidden: Vec<&String> = sampler
        .iter()
        .filter(|m| ["compare", "launch", "record", "cli", "session"].contains(&m.as_str()))
        .collect();
    assert!(
        forbidden.is_empty(),
        "expected the sampler to import only readers' vocabulary, it imports {forbidden:?} \
         (all it imports: {sampler:?})"
    );
}

#[test]
fn a_planted_circle_is_found() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec!["a"]),
    ]
    .into_iter()
    .map(|(m, to)| (m.to_owned(), to.into_iter().map(str::to_owned).collect()))
    .collect();
    assert_eq!(
        circle_from(&graph, "a").map(|c| c.join(" -> ")),
        Some("a -> b -> c -> a".to_owned())
    );
    assert_eq!(circle_from(&graph, "d"), None, "d is on no circle");
    assert_eq!(
        imported_modules("use crate::snapshot::{A, B};\nuse crate::{error, sampler::Sampler};"),
        ["error", "sampler", "snapshot"]
            .into_iter()
            .map(str::to_owned)
            .collect()
    );
}
