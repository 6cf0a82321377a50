//! The locks of a watched program: one row per futex word its threads wait
//! on, most blocked time first, seen from outside (no probes in the program).
//!
//! Unlike [`crate::LockTable`] (the demos' probed locks, with acquires and
//! percentiles), all that is known here is what the sampler measures from
//! outside: the lock's name, its kind, the threads blocked on it now, their
//! time blocked in all, their share of the wall time, and its owner where
//! the lock word says. The table lays out the rows it is given, in order;
//! unknown values are `?`, never zero.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::{Block, BlockExt, Widget};

use crate::Theme;
use crate::cells::{self, Align};
use crate::duration::format_ns;

/// Fewest cells the LOCK column is squeezed to before other columns go:
/// which lock it is comes before the share of time its waiters spent on it
/// (a symbol such as `ledger_mutex` or `app::INVENTORY` is whole at 80x24).
const NAME_MIN: u16 = 16;
/// Most cells the LOCK column takes.
const NAME_MAX: u16 = 32;
/// Columns given up when the table is narrow, least telling first. LOCK and
/// BLOCKED are never dropped.
const DROP_ORDER: [Column; 4] = [Column::Kind, Column::Owner, Column::Share, Column::Waiting];

/// One lock as the table shows it.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FutexLockRow<'a> {
    /// Its name: a symbol (`queue_lock`), `CPython GIL…`, `[heap] 0x…`.
    pub label: &'a str,
    /// `mutex`, `condition` or `unknown`.
    pub kind: &'a str,
    /// Threads blocked on it now.
    pub waiters_now: usize,
    /// Time threads spent blocked on it, summed, in nanoseconds.
    pub blocked_ns: u64,
    /// Its waiters' blocked time over the wall time they were watched, 0..=1.
    pub wait_share: f64,
    /// The thread holding it, where its lock word says.
    pub owner_tid: Option<i32>,
    /// Drawn highlighted (its waiters are the selected thread's lock).
    pub highlighted: bool,
}

/// A column, in display order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Column {
    Name,
    Kind,
    Waiting,
    Blocked,
    Share,
    Owner,
}

impl Column {
    const ALL: [Self; 6] = [
        Self::Name,
        Self::Kind,
        Self::Waiting,
        Self::Blocked,
        Self::Share,
        Self::Owner,
    ];

    const fn header(self) -> &'static str {
        match self {
            Self::Name => "LOCK",
            Self::Kind => "KIND",
            Self::Waiting => "WAIT",
            Self::Blocked => "BLOCKED",
            Self::Share => "SHARE",
            Self::Owner => "OWNER",
        }
    }

    const fn align(self) -> Align {
        match self {
            Self::Name => Align::Label,
            Self::Kind => Align::Left,
            _ => Align::Right,
        }
    }
}

impl FutexLockRow<'_> {
    fn cell(&self, column: Column) -> String {
        match column {
            Column::Name => self.label.to_owned(),
            Column::Kind => self.kind.to_owned(),
            Column::Waiting => self.waiters_now.to_string(),
            Column::Blocked => format_ns(self.blocked_ns),
            Column::Share => {
                if self.wait_share.is_finite() {
                    format!("{:.0}%", self.wait_share.clamp(0.0, 1.0) * 100.0)
                } else {
                    "?".to_owned()
                }
            }
            Column::Owner => self
                .owner_tid
                .map_or_else(|| "?".to_owned(), |tid| tid.to_string()),
        }
    }
}

/// The table: a header, then one line per lock; `… N more` when rows do
/// not fit. A lock with waiters now is drawn in [`Theme::alert`].
#[derive(Clone, Debug, Default)]
pub struct FutexLockTable<'a> {
    rows: &'a [FutexLockRow<'a>],
    block: Option<Block<'a>>,
    theme: Theme,
}

impl<'a> FutexLockTable<'a> {
    /// A table of `rows`, drawn in the order given.
    #[must_use]
    pub const fn new(rows: &'a [FutexLockRow<'a>]) -> Self {
        Self {
            rows,
            block: None,
            theme: Theme::dark(),
        }
    }

    /// Wraps the table in `block`.
    #[must_use = "method moves the value of self and returns the modified value"]
    pub fn block(mut self, block: Block<'a>) -> Self {
        self.block = Some(block);
        self
    }

    /// Sets the colours.
    #[must_use = "method moves the value of self and returns the modified value"]
    pub const fn theme(mut self, theme: Theme) -> Self {
        self.theme = theme;
        self
    }

    /// The columns that fit in `width`, with their widths.
    fn columns(&self, width: u16) -> Vec<(Column, u16)> {
        let widest = |column: Column| {
            self.rows
                .iter()
                .map(|row| cells::width(&row.cell(column)))
                .chain([cells::width(column.header())])
                .max()
                .unwrap_or(0)
        };
        let name_wanted = widest(Column::Name).clamp(4, NAME_MAX);
        let name_min = name_wanted.min(NAME_MIN);
        let mut columns: Vec<(Column, u16)> = Column::ALL
            .iter()
            .filter(|c| **c != Column::Name)
            .map(|&c| (c, widest(c)))
            .collect();
        let others =
            |columns: &[(Column, u16)]| -> u16 { columns.iter().map(|(_, w)| w + 1).sum() };
        for dropped in DROP_ORDER {
            if others(&columns) + name_min <= width {
                break;
            }
            columns.retain(|(c, _)| *c != dropped);
        }
        let name_width = name_wanted.min(width.saturating_sub(others(&columns)));
        columns.insert(0, (Column::Name, name_width));
        columns
    }

    fn render_line(
        columns: &[(Column, u16)],
        texts: impl Iterator<Item = String>,
        (area, y): (Rect, u16),
        style: Style,
        buf: &mut Buffer,
    ) {
        let mut x = area.x;
        for (&(column, width), text) in columns.iter().zip(texts) {
            let room = area.right().saturating_sub(x).min(width);
            if room == 0 {
                break;
            }
            cells::put(buf, (x, y), room, &text, column.align(), style);
            x = x.saturating_add(width).saturating_add(1);
        }
    }

    fn render_table(&self, area: Rect, buf: &mut Buffer) {
        if area.is_empty() {
            return;
        }
        let columns = self.columns(area.width);
        let headers = columns.iter().map(|(c, _)| c.header().to_owned());
        Self::render_line(&columns, headers, (area, area.y), self.theme.title, buf);
        let body = usize::from(area.height - 1);
        // One line is kept for `… N more` when not all rows fit, unless
        // there is only one.
        let shown = if self.rows.len() <= body {
            self.rows.len()
        } else if body >= 2 {
            body - 1
        } else {
            body
        };
        let mut y = area.y + 1;
        for row in &self.rows[..shown] {
            let mut style = if row.waiters_now > 0 {
                self.theme.alert
            } else {
                self.theme.text
            };
            if row.highlighted {
                style = style.patch(self.theme.selected);
            }
            let texts = columns.iter().map(|&(c, _)| row.cell(c));
            Self::render_line(&columns, texts, (area, y), style, buf);
            y += 1;
        }
        let hidden = self.rows.len() - shown;
        if hidden > 0 && y < area.bottom() {
            let text = cells::more(hidden, Some(("lock", "locks")));
            cells::put(
                buf,
                (area.x, y),
                area.width,
                &text,
                Align::Left,
                self.theme.dim,
            );
        }
    }
}

impl Widget for FutexLockTable<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        Widget::render(&self, area, buf);
    }
}

impl Widget for &FutexLockTable<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        self.block.as_ref().render(area, buf);
        self.render_table(self.block.inner_if_some(area), buf);
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use ratatui::widgets::Block;

    use super::*;
    use crate::testing::{PLAIN, any_size, render_any, screen};

    fn three_locks() -> [FutexLockRow<'static>; 3] {
        [
            FutexLockRow {
                label: "busy_lock",
                kind: "mutex",
                waiters_now: 3,
                blocked_ns: 8_075_400_000,
                wait_share: 0.7,
                owner_tid: Some(4834),
                highlighted: false,
            },
            FutexLockRow {
                label: "CPython GIL (in _PyRuntime)",
                kind: "condition",
                waiters_now: 0,
                blocked_ns: 2_998_000_000,
                wait_share: 0.24,
                owner_tid: None,
                highlighted: true,
            },
            FutexLockRow {
                label: "[heap] 0x556e4ea442a0",
                kind: "unknown",
                waiters_now: 1,
                blocked_ns: 1_442_000,
                wait_share: 0.25,
                owner_tid: None,
                highlighted: false,
            },
        ]
    }

    #[test]
    fn snapshots_at_several_sizes() {
        let rows = three_locks();
        let table = FutexLockTable::new(&rows)
            .theme(PLAIN)
            .block(Block::bordered().title(" Locks "));
        insta::assert_snapshot!("futex_locks_80x6", screen(&table, 80, 6));
        insta::assert_snapshot!("futex_locks_32x7", screen(&table, 32, 7));
        insta::assert_snapshot!("futex_locks_32x4", screen(&table, 32, 4));
    }

    #[test]
    fn a_name_of_sixteen_cells_stays_whole_in_the_panel_of_an_80_column_screen() {
        let mut rows = three_locks();
        rows[0].label = "app::INVENTORY_1";
        let text = screen(FutexLockTable::new(&rows).theme(PLAIN), 30, 4);
        assert!(
            text.contains("app::INVENTORY_1") && text.contains("BLOCKED"),
            "expected the whole name and the blocked time (other columns go first), saw:\n{text}"
        );
    }

    #[test]
    fn unknown_owner_is_a_question_mark_never_zero() {
        let rows = three_locks();
        let text = screen(FutexLockTable::new(&rows).theme(PLAIN), 90, 4);
        let gil = text.lines().nth(2).expect("the GIL's row");
        assert!(gil.trim_end_matches(['"', ' ']).ends_with('?'), "{gil:?}");
        assert!(text.contains("4834"), "{text}");
    }

    #[test]
    fn rows_without_room_are_counted_in_words() {
        let rows = three_locks();
        let text = screen(FutexLockTable::new(&rows).theme(PLAIN), 90, 3);
        let last = text.lines().nth(2).expect("a third line");
        assert!(
            last.contains("… 2 more locks"),
            "expected the last line to count the 2 locks without room, saw {last:?}"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn any_size_renders_inside_its_area((width, height) in any_size(), share in -1.0f64..2.0) {
            let mut rows = three_locks();
            rows[0].wait_share = share;
            render_any(&FutexLockTable::new(&rows), width, height);
        }
    }
}
