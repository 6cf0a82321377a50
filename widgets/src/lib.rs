//! Ratatui widgets that make concurrency visible: per-core load, threads, which core
//! each thread ran on tick by tick ([`ThreadCoreMap`]), a process tree
//! ([`ProcessTree`]), a number drawn large for a projector ([`BigNumber`]), what each
//! demo worker is doing ([`WorkerLanes`]), locks ([`LockTable`]), semaphore and queue
//! levels ([`LevelGauge`]), a demo's result ([`Comparison`]), [`Warnings`] and
//! [`Notes`], and the frame around them (title bar, key hints, help, a stat line, a
//! "too small" notice).
//!
//! Every widget is pure: it borrows plain data (slices, small structs), never the app,
//! the sampler or a demo, and it does no I/O. Live data never crashes a widget:
//! percentages are clamped (NaN is unknown, shown as `?`), a missing reading is drawn as
//! a gap and never as zero, and any area, down to 0x0, is safe to render into.
//! All widgets share one [`Theme`].
//!
//! ```
//! use std::collections::VecDeque;
//!
//! use corescope_widgets::{CoreLoad, CoreLoadPanel, Series, Theme};
//! use ratatui::{buffer::Buffer, layout::Rect, widgets::{Block, Widget}};
//!
//! // History lives in the model's ring buffer; the widget borrows it as it is.
//! let history: VecDeque<Option<f32>> = [Some(12.0), None, Some(97.5)].into();
//! let (older, newer) = history.as_slices();
//! let cores = [CoreLoad {
//!     core: 0,
//!     busy_pct: Some(97.5),
//!     history: Series::from_parts(older, newer),
//! }];
//!
//! let area = Rect::new(0, 0, 40, 3);
//! let mut buf = Buffer::empty(area);
//! CoreLoadPanel::new(&cores)
//!     .block(Block::bordered().title(" CPU "))
//!     .theme(Theme::dark())
//!     .render(area, &mut buf);
//! ```

#![warn(unreachable_pub)]
#![cfg_attr(not(test), deny(clippy::expect_used))]

pub mod activity;
pub mod big_number;
mod cells;
pub mod comparison;
pub mod core_load;
pub mod core_map;
pub mod duration;
pub mod futex_locks;
pub mod help;
pub mod key_hints;
pub mod level_gauge;
pub mod lock_table;
pub mod notes;
pub mod process_tree;
pub mod series;
pub mod stat_line;
pub mod theme;
pub mod thread_table;
pub mod title_bar;
pub mod too_small;
pub mod warnings;
pub mod worker_lanes;

#[cfg(test)]
mod testing;

pub use activity::Activity;
pub use big_number::BigNumber;
pub use comparison::{Comparison, ComparisonRow, Verdict};
pub use core_load::{CoreLoad, CoreLoadPanel};
pub use core_map::{CoreCell, CoreMapRow, CoreSeries, ThreadCoreMap};
pub use duration::format_ns;
pub use futex_locks::{FutexLockRow, FutexLockTable};
pub use help::{HelpEntry, HelpOverlay, HelpSection};
pub use key_hints::KeyHints;
pub use level_gauge::LevelGauge;
pub use lock_table::{LockRow, LockTable};
pub use notes::Notes;
pub use process_tree::{ProcessRow, ProcessTree};
pub use series::{Series, SeriesIter};
pub use stat_line::{Stat, StatLine};
pub use theme::Theme;
pub use thread_table::{ProcessTotals, ThreadColumn, ThreadFlag, ThreadRow, ThreadTable};
pub use title_bar::TitleBar;
pub use too_small::TooSmall;
pub use warnings::{Severity, Warning, Warnings};
pub use worker_lanes::{LaneCell, LaneSeries, WorkerLane, WorkerLanes};
