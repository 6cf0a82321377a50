//! The lock table: one row per instrumented lock, how often it was contended and
//! how long threads waited for it and held it.
//!
//! The rows come from the demos' lock probes, already reduced to counts and
//! percentiles; the table only lays them out. A contended lock is coloured so a class
//! finds the bottleneck at a glance. Unknown numbers (no waits measured yet, no
//! acquires to take a percentage of) are drawn as `?`, never as zero.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::{Block, BlockExt, Widget};

use crate::Theme;
use crate::cells::{self, Align};
use crate::duration::format_ns;

/// Fewest cells the LOCK column is squeezed to before other columns are dropped.
const NAME_MIN: u16 = 8;
/// Most cells the LOCK column takes.
const NAME_MAX: u16 = 24;
/// Cells a duration column takes at least, so it does not jump as values change
/// unit: the widest ordinary duration, `999.9 µs`.
const DURATION_WIDTH: u16 = 8;
/// Columns given up when the table is narrow, least important first. LOCK,
/// CONTENDED and WAIT p99 are never dropped.
const DROP_ORDER: [Column; 6] = [
    Column::HoldP99,
    Column::HoldP50,
    Column::WaitMax,
    Column::Acquires,
    Column::WaitP50,
    Column::Waiting,
];

/// One lock as the table shows it; `None` means not measured yet and is drawn as `?`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LockRow<'a> {
    /// The lock's name, e.g. `counter` or `gil`.
    pub name: &'a str,
    /// Times the lock was acquired.
    pub acquires: u64,
    /// Acquires that had to wait because the lock was held.
    pub contended: u64,
    /// Threads waiting for the lock now.
    pub waiting_now: u64,
    /// Median wait of the contended acquires, in nanoseconds.
    pub wait_p50_ns: Option<u64>,
    /// 99th-percentile wait, in nanoseconds.
    pub wait_p99_ns: Option<u64>,
    /// Longest wait, in nanoseconds.
    pub wait_max_ns: Option<u64>,
    /// Median time the lock was held, in nanoseconds.
    pub hold_p50_ns: Option<u64>,
    /// 99th-percentile time the lock was held, in nanoseconds.
    pub hold_p99_ns: Option<u64>,
}

/// A column of the lock table, in display order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Column {
    /// `LOCK`: the name.
    Name,
    /// `ACQUIRES`: how many.
    Acquires,
    /// `CONTENDED`: percent of acquires that waited.
    Contended,
    /// `WAITING`: threads waiting now.
    Waiting,
    /// `WAIT p50`.
    WaitP50,
    /// `WAIT p99`.
    WaitP99,
    /// `WAIT max`.
    WaitMax,
    /// `HOLD p50`.
    HoldP50,
    /// `HOLD p99`.
    HoldP99,
}

impl Column {
    /// Every column, in display order.
    const ALL: [Self; 9] = [
        Self::Name,
        Self::Acquires,
        Self::Contended,
        Self::Waiting,
        Self::WaitP50,
        Self::WaitP99,
        Self::WaitMax,
        Self::HoldP50,
        Self::HoldP99,
    ];

    /// The header without its group: `p99` for `WAIT p99`.
    const fn header(self) -> &'static str {
        match self {
            Self::Name => "LOCK",
            Self::Acquires => "ACQUIRES",
            Self::Contended => "CONTENDED",
            Self::Waiting => "WAITING",
            Self::WaitP50 | Self::HoldP50 => "p50",
            Self::WaitP99 | Self::HoldP99 => "p99",
            Self::WaitMax => "max",
        }
    }

    /// The group a duration column belongs to, named before its first shown column.
    const fn group(self) -> Option<&'static str> {
        match self {
            Self::WaitP50 | Self::WaitP99 | Self::WaitMax => Some("WAIT"),
            Self::HoldP50 | Self::HoldP99 => Some("HOLD"),
            _ => None,
        }
    }

    /// Cells the column's values take at least, whatever the rows hold.
    const fn min_width(self) -> u16 {
        match self.group() {
            Some(_) => DURATION_WIDTH,
            None => 0,
        }
    }

    /// The name reads from the left, numbers from the right.
    const fn align(self) -> Align {
        match self {
            Self::Name => Align::Left,
            _ => Align::Right,
        }
    }
}

/// How much of a lock's acquiring waited, as drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Contention {
    /// No acquires yet: no percentage to take.
    Unknown,
    /// Below 10 percent.
    Low,
    /// From 10 up to 50 percent ([`Theme::warn`]).
    High,
    /// 50 percent and more ([`Theme::alert`]).
    Severe,
}

impl LockRow<'_> {
    /// The share of acquires that waited, as drawn.
    fn contention(&self) -> Contention {
        let (contended, acquires) = (u128::from(self.contended), u128::from(self.acquires));
        if acquires == 0 {
            Contention::Unknown
        } else if contended * 2 >= acquires {
            Contention::Severe
        } else if contended * 10 >= acquires {
            Contention::High
        } else {
            Contention::Low
        }
    }

    /// The text of this row in `column`.
    fn cell(&self, column: Column) -> String {
        let duration = |ns: Option<u64>| ns.map_or_else(|| "?".to_owned(), format_ns);
        match column {
            Column::Name => self.name.to_owned(),
            Column::Acquires => self.acquires.to_string(),
            Column::Contended => {
                if self.acquires == 0 {
                    "?".to_owned()
                } else {
                    let contended = self.contended.min(self.acquires);
                    let pct = contended as f64 / self.acquires as f64 * 100.0;
                    format!("{pct:.1}%")
                }
            }
            Column::Waiting => self.waiting_now.to_string(),
            Column::WaitP50 => duration(self.wait_p50_ns),
            Column::WaitP99 => duration(self.wait_p99_ns),
            Column::WaitMax => duration(self.wait_max_ns),
            Column::HoldP50 => duration(self.hold_p50_ns),
            Column::HoldP99 => duration(self.hold_p99_ns),
        }
    }
}

/// The lock table: a header, then one line per lock, e.g.
/// `counter  2000000  37.5%  3  850 ns  12.3 µs  4.1 ms  95 ns  210 ns`.
///
/// CONTENDED is the percent of acquires that had to wait, in [`Theme::warn`] from 10
/// percent and in [`Theme::alert`] from 50 (the lock's name too). Narrow areas drop
/// the least telling columns first (HOLD, then WAIT max, ...), keeping LOCK,
/// CONTENDED and WAIT p99; the first shown column of a group carries its name
/// (`WAIT p99`). When rows do not fit, the last line says `… N more`.
#[derive(Clone, Debug, Default)]
pub struct LockTable<'a> {
    /// The locks, drawn in this order.
    rows: &'a [LockRow<'a>],
    /// A block to wrap the table in.
    block: Option<Block<'a>>,
    /// Colours.
    theme: Theme,
}

impl<'a> LockTable<'a> {
    /// A table of `rows`, drawn in the order given.
    #[must_use]
    pub const fn new(rows: &'a [LockRow<'a>]) -> Self {
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
}

impl Widget for LockTable<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        Widget::render(&self, area, buf);
    }
}

impl Widget for &LockTable<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        self.block.as_ref().render(area, buf);
        self.render_table(self.block.inner_if_some(area), buf);
    }
}

/// The headers of `columns`, each group named before its first shown column.
fn headers(columns: &[(Column, u16)]) -> Vec<String> {
    let mut previous_group = None;
    columns
        .iter()
        .map(|&(column, _)| {
            let group = column.group();
            let header = match group {
                Some(name) if group != previous_group => format!("{name} {}", column.header()),
                _ => column.header().to_owned(),
            };
            previous_group = group;
            header
        })
        .collect()
}

/// Draws one line of `texts` (one per column) at `y` across `area`, each in the
/// style `style_of` gives its column.
fn render_line(
    columns: &[(Column, u16)],
    texts: &[String],
    (area, y): (Rect, u16),
    style_of: impl Fn(Column) -> Style,
    buf: &mut Buffer,
) {
    let mut x = area.x;
    for (&(column, width), text) in columns.iter().zip(texts) {
        let room = area.right().saturating_sub(x).min(width);
        if room == 0 {
            break;
        }
        cells::put(buf, (x, y), room, text, column.align(), style_of(column));
        x = x.saturating_add(width).saturating_add(1);
    }
}

impl LockTable<'_> {
    /// The columns that fit in `width` cells, with their widths, in display order.
    ///
    /// Each column is as wide as its header and its widest value among all rows (not
    /// only those shown), so columns stay put as rows come and go.
    fn columns(&self, width: u16) -> Vec<(Column, u16)> {
        let widest = |column: Column| {
            self.rows
                .iter()
                .map(|row| cells::width(&row.cell(column)))
                .max()
                .unwrap_or(0)
        };
        let name_wanted = widest(Column::Name).clamp(4, NAME_MAX);
        let name_min = name_wanted.min(NAME_MIN);
        let mut columns: Vec<(Column, u16)> = Column::ALL
            .iter()
            .filter(|column| **column != Column::Name)
            .map(|&column| (column, widest(column).max(column.min_width())))
            .collect();
        let others = |columns: &[(Column, u16)]| -> u16 {
            let headers = headers(columns);
            columns
                .iter()
                .zip(&headers)
                .map(|(&(_, values), header)| values.max(cells::width(header)) + 1)
                .sum()
        };
        for dropped in DROP_ORDER {
            if others(&columns) + name_min <= width {
                break;
            }
            columns.retain(|(column, _)| *column != dropped);
        }
        let headers = headers(&columns);
        for ((_, width), header) in columns.iter_mut().zip(&headers) {
            *width = (*width).max(cells::width(header));
        }
        let name_width = name_wanted.min(width.saturating_sub(others(&columns)));
        columns.insert(0, (Column::Name, name_width.max(name_min.min(width))));
        columns
    }

    /// The style of `row`'s cell in `column`: its contention's colour for the name and
    /// CONTENDED (dim when unknown), else text.
    fn cell_style(&self, row: &LockRow<'_>, column: Column) -> Style {
        let contention = row.contention();
        match (column, contention) {
            (Column::Name | Column::Contended, Contention::Severe) => self.theme.alert,
            (Column::Name | Column::Contended, Contention::High) => self.theme.warn,
            (Column::Contended, Contention::Unknown) => self.theme.dim,
            _ => self.theme.text,
        }
    }

    /// Draws the header and the rows into `area` (inside the block).
    fn render_table(&self, area: Rect, buf: &mut Buffer) {
        if area.is_empty() {
            return;
        }
        let columns = self.columns(area.width);
        let title = self.theme.title;
        buf.set_style(Rect::new(area.x, area.y, area.width, 1), title);
        render_line(&columns, &headers(&columns), (area, area.y), |_| title, buf);
        let body = usize::from(area.height - 1);
        if body == 0 {
            return;
        }
        if self.rows.is_empty() {
            let position = (area.x, area.y + 1);
            cells::put(
                buf,
                position,
                area.width,
                "no locks",
                Align::Left,
                self.theme.dim,
            );
            return;
        }
        let shown = if self.rows.len() <= body {
            self.rows.len()
        } else {
            body.saturating_sub(1).max(1)
        };
        for (row, y) in self.rows.iter().take(shown).zip(area.y + 1..) {
            let texts: Vec<_> = columns
                .iter()
                .map(|&(column, _)| row.cell(column))
                .collect();
            let style_of = |column| self.cell_style(row, column);
            render_line(&columns, &texts, (area, y), style_of, buf);
        }
        let hidden = self.rows.len() - shown;
        if hidden > 0 && shown < body {
            let y = area.y + 1 + shown as u16;
            let text = cells::more(hidden, None);
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use ratatui::widgets::Block;

    use super::*;
    use crate::testing::{PLAIN, any_size, lines, render, render_any, screen, sentinel};

    /// A race demo's counter lock, a simulated GIL, a quiet log lock and a lock
    /// nobody has taken yet.
    fn four_locks() -> [LockRow<'static>; 4] {
        [
            LockRow {
                name: "counter",
                acquires: 2_000_000,
                contended: 750_000,
                waiting_now: 3,
                wait_p50_ns: Some(850),
                wait_p99_ns: Some(12_345),
                wait_max_ns: Some(4_100_000),
                hold_p50_ns: Some(95),
                hold_p99_ns: Some(210),
            },
            LockRow {
                name: "gil",
                acquires: 40_000,
                contended: 39_000,
                waiting_now: 1,
                wait_p50_ns: Some(5_000_000),
                wait_p99_ns: Some(5_400_000),
                wait_max_ns: Some(2_000_000_000),
                hold_p50_ns: Some(5_000_000),
                hold_p99_ns: Some(5_050_000),
            },
            LockRow {
                name: "log",
                acquires: 1_200,
                contended: 12,
                waiting_now: 0,
                wait_p50_ns: Some(300),
                wait_p99_ns: Some(900),
                wait_max_ns: Some(1_500),
                hold_p50_ns: Some(40),
                hold_p99_ns: Some(80),
            },
            LockRow {
                name: "fresh",
                ..LockRow::default()
            },
        ]
    }

    fn block() -> Block<'static> {
        Block::bordered().title(" Locks ")
    }

    #[test]
    fn snapshot_two_locks() {
        let rows = four_locks();
        let table = LockTable::new(&rows[..2]).block(block());
        insta::assert_snapshot!("two_locks_100x5", screen(&table, 100, 5));
    }

    #[test]
    fn snapshot_four_locks() {
        let rows = four_locks();
        let table = LockTable::new(&rows).block(block());
        insta::assert_snapshot!("four_locks_60x8", screen(&table, 60, 8));
        insta::assert_snapshot!("four_locks_20x6", screen(&table, 20, 6));
    }

    #[test]
    fn exact_narrow_table_keeps_the_telling_columns_and_stays_inside() {
        let rows = four_locks();
        let inner = Rect::new(1, 1, 44, 4);
        let mut buf = sentinel(Rect::new(0, 0, 46, 6), inner);
        LockTable::new(&rows).theme(PLAIN).render(inner, &mut buf);
        let expected = Buffer::with_lines([
            "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
            "XLOCK    CONTENDED WAITING WAIT p50      p99 X",
            "Xcounter     37.5%       3   850 ns  12.3 µs X",
            "Xgil         97.5%       1   5.0 ms   5.4 ms X",
            "X… 2 more                                    X",
            "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
        ]);
        assert_eq!(buf, expected);
    }

    #[test]
    fn all_columns_on_a_wide_terminal() {
        let rows = four_locks();
        let header = &lines(&render(&LockTable::new(&rows), 120, 2))[0];
        let words: Vec<_> = header.split_whitespace().collect();
        assert_eq!(
            words,
            [
                "LOCK",
                "ACQUIRES",
                "CONTENDED",
                "WAITING",
                "WAIT",
                "p50",
                "p99",
                "max",
                "HOLD",
                "p50",
                "p99"
            ]
        );
    }

    #[test]
    fn no_acquires_means_unknown_contention_never_zero() {
        let rows = four_locks();
        let screen = lines(&render(&LockTable::new(&rows), 120, 5));
        let fields: Vec<_> = screen[4].split_whitespace().collect();
        assert_eq!(fields, ["fresh", "0", "?", "0", "?", "?", "?", "?", "?"]);
        assert!(screen[1].contains(" 37.5% "), "{:?}", screen[1]);
    }

    #[test]
    fn more_contended_than_acquired_reads_as_all() {
        let rows = [LockRow {
            name: "odd",
            acquires: 10,
            contended: u64::MAX,
            ..LockRow::default()
        }];
        let screen = lines(&render(&LockTable::new(&rows), 120, 2));
        assert!(screen[1].contains(" 100.0% "), "{:?}", screen[1]);
    }

    #[test]
    fn contention_colours_start_at_ten_and_fifty_percent() {
        let theme = Theme::dark();
        for (contended, style) in [
            (0, theme.text),
            (99, theme.text),
            (100, theme.warn),
            (499, theme.warn),
            (500, theme.alert),
            (1_000, theme.alert),
        ] {
            let rows = [LockRow {
                name: "m",
                acquires: 1_000,
                contended,
                ..LockRow::default()
            }];
            let buf = render(&LockTable::new(&rows), 120, 2);
            let contended_x = lines(&buf)[1].find('%').unwrap_or(0) as u16;
            assert_eq!(
                buf[(contended_x, 1)].fg,
                style.fg.unwrap_or_default(),
                "{contended}"
            );
            assert_eq!(
                buf[(0, 1)].fg,
                style.fg.unwrap_or_default(),
                "name, {contended}"
            );
        }
    }

    #[test]
    fn the_group_name_moves_to_the_first_shown_column() {
        let columns = [
            (Column::WaitP99, 8),
            (Column::HoldP50, 8),
            (Column::HoldP99, 8),
        ];
        assert_eq!(headers(&columns), ["WAIT p99", "HOLD p50", "p99"]);
    }

    #[test]
    fn no_rows_says_so() {
        let screen = lines(&render(&LockTable::new(&[]), 60, 3));
        assert_eq!(screen[1].trim_end(), "no locks");
    }

    proptest! {
        // Each case renders up to 250x80 cells (four times here) in a debug build.
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn render_never_panics(
            (width, height) in any_size(),
            raw in proptest::collection::vec(
                (
                    "\\PC{0,30}",
                    (any::<u64>(), any::<u64>(), any::<u64>()),
                    proptest::array::uniform5(proptest::option::of(any::<u64>())),
                ),
                0..100,
            ),
        ) {
            let rows: Vec<_> = raw
                .iter()
                .map(|(name, (acquires, contended, waiting_now), durations)| LockRow {
                    name,
                    acquires: *acquires,
                    contended: *contended,
                    waiting_now: *waiting_now,
                    wait_p50_ns: durations[0],
                    wait_p99_ns: durations[1],
                    wait_max_ns: durations[2],
                    hold_p50_ns: durations[3],
                    hold_p99_ns: durations[4],
                })
                .collect();
            let table = LockTable::new(&rows);
            render_any(&table, width, height);
            render_any(&table.block(Block::bordered()), width, height);
        }
    }
}
