//! The config file's `[keys]` table: commands rebound to keys written as the
//! help overlay writes them (`q`, `space`, `Ctrl-C`, `F10`, `PgUp`, `Up` or
//! `↑`), so a user can copy what the screen shows.
//!
//! Rebinding a command replaces all its keys. A table that leaves one key on
//! two commands is refused (naming both), as are unknown commands and key
//! names, and a `quit` without a key: a dashboard in front of a class must
//! always be able to close from the keyboard.

use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyModifiers};
use toml::Spanned;

use super::error::At;
use crate::keymap::{Command, Key, Keymap};

/// Keys with a name, as [`Key::label`] writes them (first) and as people
/// also write them. Matched without regard to case.
const NAMED: [(&str, KeyCode); 25] = [
    ("space", KeyCode::Char(' ')),
    ("Esc", KeyCode::Esc),
    ("Escape", KeyCode::Esc),
    ("Tab", KeyCode::Tab),
    ("BackTab", KeyCode::BackTab),
    ("Enter", KeyCode::Enter),
    ("Return", KeyCode::Enter),
    ("Backspace", KeyCode::Backspace),
    ("Insert", KeyCode::Insert),
    ("Delete", KeyCode::Delete),
    ("Del", KeyCode::Delete),
    ("Home", KeyCode::Home),
    ("End", KeyCode::End),
    ("PgUp", KeyCode::PageUp),
    ("PageUp", KeyCode::PageUp),
    ("PgDn", KeyCode::PageDown),
    ("PageDown", KeyCode::PageDown),
    ("Up", KeyCode::Up),
    ("Down", KeyCode::Down),
    ("Left", KeyCode::Left),
    ("Right", KeyCode::Right),
    ("↑", KeyCode::Up),
    ("↓", KeyCode::Down),
    ("←", KeyCode::Left),
    ("→", KeyCode::Right),
];

/// The highest function key accepted, `F24`.
const MAX_FUNCTION_KEY: u8 = 24;

/// The key `text` names: one character (`q`, `?`, `G`: Shift is part of the
/// character), a named key (`space`, `Esc`, `PgUp`, `↑`), or `F1` to `F24`,
/// each possibly after `Ctrl-` and `Alt-`. The inverse of [`Key::label`].
pub(crate) fn parse_key(text: &str) -> Result<Key, String> {
    let refused = || {
        format!(
            "`{text}` is not a key corescope knows (write keys as the help shows them: \
             a character like q or ?, space, Esc, Tab, Enter, Backspace, PgUp, PgDn, Home, End, \
             Up, Down, Left, Right, F1 to F{MAX_FUNCTION_KEY}, each possibly after Ctrl- or Alt-)"
        )
    };
    let mut modifiers = KeyModifiers::NONE;
    let mut rest = text;
    loop {
        let prefix = |name: &str| {
            rest.get(..name.len())
                .filter(|head| head.eq_ignore_ascii_case(name))
                .and_then(|_| rest.get(name.len()..))
                .filter(|tail| !tail.is_empty())
        };
        if let Some(tail) = prefix("Ctrl-") {
            modifiers |= KeyModifiers::CONTROL;
            rest = tail;
        } else if let Some(tail) = prefix("Alt-") {
            modifiers |= KeyModifiers::ALT;
            rest = tail;
        } else {
            break;
        }
    }
    if let Some((_, code)) = NAMED
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(rest))
    {
        return Ok(Key::new(*code, modifiers));
    }
    let mut chars = rest.chars();
    let code = match (chars.next(), chars.next()) {
        (None, _) => return Err(refused()),
        // Ctrl turns a letter into the same key in either case: the terminal
        // reports Ctrl-C as `c` with Ctrl.
        (Some(c), None) if modifiers.contains(KeyModifiers::CONTROL) => {
            KeyCode::Char(c.to_ascii_lowercase())
        }
        (Some(c), None) => KeyCode::Char(c),
        _ => function_key(rest).ok_or_else(refused)?,
    };
    Ok(Key::new(code, modifiers))
}

/// `F1` to `F24`.
fn function_key(text: &str) -> Option<KeyCode> {
    let number: u8 = text
        .strip_prefix(['F', 'f'])
        .filter(|digits| digits.chars().all(|c| c.is_ascii_digit()))?
        .parse()
        .ok()?;
    (1..=MAX_FUNCTION_KEY)
        .contains(&number)
        .then_some(KeyCode::F(number))
}

/// The command called `name` in the config file.
fn command_named(name: &str) -> Option<Command> {
    Keymap::default()
        .bindings()
        .map(|(command, _)| command)
        .find(|command| command.name() == name)
}

/// Every command's name, in the key table's order, as a list in prose.
fn command_names() -> String {
    Keymap::default()
        .bindings()
        .map(|(command, _)| command.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The keys a `[keys]` entry gives: a list of names (or one name alone).
fn keys_of(command: Command, value: &Spanned<toml::Value>) -> Result<Vec<Key>, At> {
    let key = format!("keys.{}", command.name());
    let at = value.span().start;
    let names: Vec<&toml::Value> = match value.get_ref() {
        toml::Value::Array(items) => items.iter().collect(),
        one @ toml::Value::String(_) => vec![one],
        other => {
            return Err(At::new(
                at,
                format!("`{key}`: expected a list of keys like [\"q\", \"F10\"], not {other}"),
            ));
        }
    };
    let mut keys: Vec<Key> = Vec::new();
    for name in names {
        let toml::Value::String(name) = name else {
            return Err(At::new(
                at,
                format!("`{key}`: expected key names in quotes, not {name}"),
            ));
        };
        let parsed =
            parse_key(name).map_err(|message| At::new(at, format!("`{key}`: {message}")))?;
        if !keys.contains(&parsed) {
            keys.push(parsed);
        }
    }
    if keys.is_empty() && command == Command::Quit {
        return Err(At::new(at, format!("`{key}`: quit needs at least one key")));
    }
    Ok(keys)
}

/// Rebinds `keymap` as the `[keys]` table `table` says.
pub(crate) fn rebind(
    keymap: &mut Keymap,
    table: &BTreeMap<Spanned<String>, Spanned<toml::Value>>,
) -> Result<(), At> {
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by_key(|(name, _)| name.span().start);
    let mut rebound: Vec<(Command, usize)> = Vec::new();
    for (name, value) in entries {
        let command = command_named(name.get_ref()).ok_or_else(|| {
            At::new(
                name.span().start,
                format!(
                    "unknown command `keys.{}` (expected one of {})",
                    name.get_ref(),
                    command_names()
                ),
            )
        })?;
        keymap.rebind(command, keys_of(command, value)?);
        rebound.push((command, value.span().start));
    }
    // A clash between two entries is blamed on the later one, which is where
    // the key was bound a second time.
    let position = |command: Command| rebound.iter().position(|(c, _)| *c == command);
    for (index, &(command, at)) in rebound.iter().enumerate() {
        let keys: Vec<Key> = keymap
            .bindings()
            .find(|(c, _)| *c == command)
            .map(|(_, keys)| keys.to_vec())
            .unwrap_or_default();
        for key in keys {
            let clash = keymap.commands_of(key).find(|other| {
                *other != command
                    && !command.may_share_keys(*other)
                    && position(*other).is_none_or(|at| at < index)
            });
            if let Some(other) = clash {
                let by_default = if position(other).is_some() {
                    ""
                } else {
                    " by default (rebind it too)"
                };
                return Err(At::new(
                    at,
                    format!(
                        "`keys.{}`: `{}` is also bound to {}{by_default}",
                        command.name(),
                        key.label(),
                        other.name()
                    ),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_key_round_trips_through_its_label() {
        for (command, keys) in Keymap::default().bindings() {
            for key in keys {
                assert_eq!(
                    parse_key(&key.label()).as_ref(),
                    Ok(key),
                    "{command:?}: {}",
                    key.label()
                );
            }
        }
    }

    #[test]
    fn names_are_read_as_people_write_them() {
        let plain = |code| Key::new(code, KeyModifiers::NONE);
        for (text, key) in [
            ("x", plain(KeyCode::Char('x'))),
            ("G", plain(KeyCode::Char('G'))),
            ("-", plain(KeyCode::Char('-'))),
            ("space", plain(KeyCode::Char(' '))),
            ("esc", plain(KeyCode::Esc)),
            ("Up", plain(KeyCode::Up)),
            ("↓", plain(KeyCode::Down)),
            ("pgdn", plain(KeyCode::PageDown)),
            ("F10", plain(KeyCode::F(10))),
            ("f1", plain(KeyCode::F(1))),
            ("Ctrl-c", Key::ctrl('c')),
            ("ctrl-C", Key::ctrl('c')),
            (
                "Ctrl--",
                Key::new(KeyCode::Char('-'), KeyModifiers::CONTROL),
            ),
            ("Alt-x", Key::new(KeyCode::Char('x'), KeyModifiers::ALT)),
            ("Ctrl-Up", Key::new(KeyCode::Up, KeyModifiers::CONTROL)),
        ] {
            assert_eq!(parse_key(text), Ok(key), "{text}");
            assert_eq!(parse_key(&key.label()), Ok(key), "{}", key.label());
        }
        assert_eq!(parse_key("Alt-x").map(Key::label).as_deref(), Ok("Alt-x"));
        assert_eq!(parse_key("pgup").map(Key::label).as_deref(), Ok("PgUp"));
    }

    #[test]
    fn unknown_names_are_refused_with_the_ways_to_write_a_key() {
        for text in ["", "F0", "F25", "Ctrl-", "Ctrl+C", "Hyper-x", "qq", "Fx"] {
            let err = parse_key(text).expect_err(text);
            assert!(err.contains("is not a key corescope knows"), "{err}");
            assert!(err.contains("Ctrl-"), "{err}");
        }
    }
}
