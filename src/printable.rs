//! Text from outside made safe to print on a terminal.
//!
//! Thread and process names, command lines and the contents of files a user
//! (or another user) wrote end up in text reports, CSV cells and error lines.
//! Any process may name its threads `ESC ] 2 ; ... BEL` (retitle the
//! terminal) or `ESC [ 2 J` (erase it), so every such text passes through
//! [`printable`] on its way to a terminal or a file a terminal may show. The
//! dashboard's panels need nothing more: ratatui drops control characters.
//!
//! Each character that a terminal acts on instead of showing (C0 and C1
//! controls, DEL, and the bidirectional overrides that reorder what is
//! shown) becomes one `�`, so columns stay aligned and the reader sees that
//! something was there. A newline is kept: reports are made of lines.

use std::borrow::Cow;

/// What replaces each character a terminal would act on.
pub(crate) const REPLACEMENT: char = '\u{fffd}';

/// `text` with every control character but `\n`, and every bidirectional
/// override or isolate, replaced by [`REPLACEMENT`]; borrowed when nothing
/// needed replacing.
#[must_use]
pub(crate) fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(acted_on) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| if acted_on(c) { REPLACEMENT } else { c })
            .collect(),
    )
}

/// True for a character a terminal acts on instead of showing it.
fn acted_on(c: char) -> bool {
    // `is_control` is Unicode's Cc: C0 (with ESC, BEL), DEL and C1 (with the
    // one-byte CSI, U+009B).
    (c.is_control() && c != '\n')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn escapes_become_visible_marks_and_lines_stay() {
        assert_eq!(printable("\u{1b}]2;pwned\u{7}"), "\u{fffd}]2;pwned\u{fffd}");
        assert_eq!(printable("a\u{1b}[2Jb\n"), "a\u{fffd}[2Jb\n");
        assert_eq!(printable("\u{9b}31m"), "\u{fffd}31m");
        assert_eq!(
            printable("tab\there\r\u{7f}"),
            "tab\u{fffd}here\u{fffd}\u{fffd}"
        );
        assert_eq!(printable("abc\u{202e}cba"), "abc\u{fffd}cba");
        assert!(matches!(printable("worker-3 (ok)"), Cow::Borrowed(_)));
    }

    proptest! {
        #[test]
        fn nothing_a_terminal_acts_on_survives(text in any::<String>()) {
            let out = printable(&text);
            prop_assert!(out.chars().all(|c| c == '\n' || !c.is_control()));
            prop_assert_eq!(out.chars().count(), text.chars().count());
        }
    }
}
