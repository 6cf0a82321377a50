//! Inputs for the property tests of every parser of outside input (the
//! config, theme and lesson files, recording lines, `/proc` files): text
//! near enough to the real formats to get past their first checks, mixed
//! with anything at all. Every input is bounded in size, so a parser's
//! memory is bounded by what it is given.

use proptest::prelude::*;

/// Keys and values the TOML files use, and some they must refuse.
const KEYS: [&str; 16] = [
    "interval",
    "theme",
    "lesson",
    "base",
    "warn",
    "fg",
    "bg",
    "modifiers",
    "title",
    "description",
    "demo",
    "notes",
    "mode",
    "options",
    "workers",
    "quit",
];
const VALUES: [&str; 14] = [
    "\"dark\"",
    "500",
    "-1",
    "1e400",
    "\"red\"",
    "[\"bold\"]",
    "{ fg = \"red\" }",
    "\"race\"",
    "\"threads\"",
    "true",
    "\"\u{1b}]2;x\u{7}\"",
    "{}",
    "[[1]]",
    "\"~/x.toml\"",
];
const TABLES: [&str; 5] = [
    "[keys]",
    "[[step]]",
    "[options]",
    "[step.options]",
    "[[step]]\ntitle = \"t\"\ndemo = \"race\"\nnotes = \"a\\nb\"",
];

/// One line of TOML-like text.
fn toml_line() -> impl Strategy<Value = String> {
    prop_oneof![
        (0..KEYS.len(), 0..VALUES.len()).prop_map(|(k, v)| format!("{} = {}", KEYS[k], VALUES[v])),
        (0..TABLES.len()).prop_map(|t| TABLES[t].to_owned()),
        ".{0,40}",
    ]
}

/// A TOML-like file of up to 24 lines.
pub(crate) fn toml_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(toml_line(), 0..24).prop_map(|lines| lines.join("\n"))
}

/// Up to `max` bytes of anything.
pub(crate) fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..max)
}

/// A `/proc`-like line: numbers, names and separators, bounded.
pub(crate) fn proc_text() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        any::<u64>().prop_map(|n| n.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        Just("(".to_owned()),
        Just(")".to_owned()),
        Just("cpu0".to_owned()),
        Just("cpu".to_owned()),
        prop::sample::select(&["Tgid:", "Uid:", "voluntary_ctxt_switches:", "Name:"][..])
            .prop_map(str::to_owned),
        any::<char>().prop_map(String::from),
    ];
    let sep = prop_oneof![Just(" "), Just("\t"), Just("\n"), Just("")];
    proptest::collection::vec((token, sep), 0..64).prop_map(|parts| {
        parts
            .into_iter()
            .flat_map(|(t, s)| [t, s.to_owned()])
            .collect::<String>()
            .into_bytes()
    })
}
