//! Ratatui widgets that make concurrency visible: per-core load, threads, and the
//! frame around them (title bar, key hints, help, a stat line, a "too small" notice).
//!
//! Every widget is pure: it borrows plain data (slices, small structs), never the app,
//! the sampler or a demo, and it does no I/O. Live data never crashes a widget:
//! percentages are clamped (NaN is unknown, shown as `?`), a missing reading is drawn as
//! a gap and never as zero, and any area, down to 0x0, is safe to render into.
//! All widgets share one [`Theme`].

mod cells;
pub mod core_load;
pub mod help;
pub mod key_hints;
pub mod series;
pub mod stat_line;
pub mod theme;
pub mod thread_table;
pub mod title_bar;
pub mod too_small;

#[cfg(test)]
mod testing;

pub use core_load::{CoreLoad, CoreLoadPanel};
pub use help::{HelpEntry, HelpOverlay, HelpSection};
pub use key_hints::KeyHints;
pub use series::{Series, SeriesIter};
pub use stat_line::{Stat, StatLine};
pub use theme::Theme;
pub use thread_table::{ThreadColumn, ThreadFlag, ThreadRow, ThreadTable};
pub use title_bar::TitleBar;
pub use too_small::TooSmall;
