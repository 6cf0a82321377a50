//! The process tree: one row per process of a watched tree, indented by parentage,
//! with its state, threads and resident memory.
//!
//! The caller gives the rows in tree order (each process after its parent, the
//! processes under it before its next sibling) with their depth; the widget draws the
//! guides (`├─`, `└─`, `│`) from the depths alone and never reorders. Depths that do
//! not follow a tree (a jump of two levels) draw odd guides, never a panic.

use std::ops::Range;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::{Block, BlockExt, Widget};

use crate::Theme;
use crate::cells::{self, Align};

/// Cells of the RSS column: `1023.9M` at most.
const RSS_WIDTH: u16 = 7;
/// Cells of the threads column (`THR` and up to 9999 threads, `?` unknown).
const THREADS_WIDTH: u16 = 4;
/// Fewest cells the NAME column (guides included) keeps before columns are dropped.
const NAME_MIN: u16 = 10;
/// Units of resident memory, each 1024 times the one before; the first is KiB.
const RSS_UNITS: [&str; 4] = ["K", "M", "G", "T"];

/// One process as the tree shows it; `None` means unknown and is drawn as `?`.
#[derive(Clone, Copy, Debug)]
pub struct ProcessRow<'a> {
    /// Depth in the tree: 0 for the root, 1 for its children, and so on.
    pub depth: u16,
    /// Process id (a negative id is drawn as unknown).
    pub pid: i32,
    /// Process name (`comm`).
    pub name: &'a str,
    /// State letter (`R`, `S`, `D`, `Z` zombie, `T` stopped, ...); `?` unknown.
    pub state: char,
    /// Threads in the process.
    pub threads: Option<usize>,
    /// Resident memory in KiB.
    pub rss_kib: Option<u64>,
}

/// The process tree: a header `PID S THR RSS NAME`, then one line per process, the
/// name indented under its parent.
///
/// Zombies (state `Z`: exited, not yet reaped by their parent) are drawn in
/// [`Theme::warn`]. Narrow areas drop RSS, then the thread count. When rows do not
/// fit, the last line says `… N more` (rows not shown, above and below the
/// window, which [`ProcessTree::offset`] scrolls).
#[derive(Clone, Debug, Default)]
pub struct ProcessTree<'a> {
    /// The processes, in tree order.
    rows: &'a [ProcessRow<'a>],
    /// A block to wrap the tree in.
    block: Option<Block<'a>>,
    /// Colours.
    theme: Theme,
    /// The first row drawn when not all fit.
    offset: usize,
}

impl<'a> ProcessTree<'a> {
    /// A tree of `rows`, given in tree order with their depths.
    #[must_use]
    pub const fn new(rows: &'a [ProcessRow<'a>]) -> Self {
        Self {
            rows,
            block: None,
            theme: Theme::dark(),
            offset: 0,
        }
    }

    /// Scrolls the tree: row `offset` is drawn first when not all rows fit.
    /// An offset past what can scroll shows the last rows, a full window.
    #[must_use = "method moves the value of self and returns the modified value"]
    pub const fn offset(mut self, offset: usize) -> Self {
        self.offset = offset;
        self
    }

    /// The indices of the rows drawn when the tree is rendered into `area`,
    /// top to bottom, so that a click or a scroll maps to rows; its start is
    /// the offset actually used.
    #[must_use]
    pub fn visible_rows(&self, area: Rect) -> Range<usize> {
        let body = self.block.inner_if_some(area).height.saturating_sub(1);
        window(self.rows.len(), usize::from(body), self.offset)
    }

    /// Wraps the tree in `block`.
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

impl Widget for ProcessTree<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        Widget::render(&self, area, buf);
    }
}

impl Widget for &ProcessTree<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        self.block.as_ref().render(area, buf);
        self.render_tree(self.block.inner_if_some(area), buf);
    }
}

/// The rows shown when `len` rows share `body` lines from `offset` on; one
/// line is kept for `… N more` when not all rows fit (unless there is only
/// one line). The window never runs past the last row.
fn window(len: usize, body: usize, offset: usize) -> Range<usize> {
    if len <= body {
        return 0..len;
    }
    let shown = if body >= 2 { body - 1 } else { body };
    let first = offset.min(len - shown);
    first..first + shown
}

/// Resident memory in at most [`RSS_WIDTH`] cells: `980K`, `12.3M`, `1.2G`.
pub(crate) fn rss(kib: Option<u64>) -> String {
    let Some(kib) = kib else {
        return "?".to_owned();
    };
    let mut value = kib as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < RSS_UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 || value >= 100.0 {
        format!("{value:.0}{}", RSS_UNITS[unit])
    } else {
        format!("{value:.1}{}", RSS_UNITS[unit])
    }
}

/// For each row, whether a sibling follows it: a later row at the same depth before
/// any row shallower than it.
fn later_siblings(rows: &[ProcessRow<'_>]) -> Vec<bool> {
    let mut open: Vec<bool> = Vec::new();
    let mut later = vec![false; rows.len()];
    for (index, row) in rows.iter().enumerate().rev() {
        let depth = usize::from(row.depth);
        later[index] = open.get(depth).copied().unwrap_or(false);
        // Rows deeper than this one, further down, lie under it: not siblings of
        // anything above it.
        open.resize(depth + 1, false);
        open[depth] = true;
    }
    later
}

/// The guides before each row's name: `│ ` where an ancestor has a later sibling,
/// `├─` or `└─` for the row itself; nothing for a root.
fn guides(rows: &[ProcessRow<'_>]) -> Vec<String> {
    let later = later_siblings(rows);
    // For each depth, whether the latest row at that depth has a later sibling.
    let mut ancestors: Vec<bool> = Vec::new();
    rows.iter()
        .zip(&later)
        .map(|(row, &more)| {
            let depth = usize::from(row.depth);
            ancestors.resize(depth + 1, false);
            ancestors[depth] = more;
            if depth == 0 {
                return String::new();
            }
            let mut guide: String = ancestors[1..depth]
                .iter()
                .map(|&open| if open { "│ " } else { "  " })
                .collect();
            guide.push_str(if more { "├─" } else { "└─" });
            guide
        })
        .collect()
}

/// Widths of the columns; a dropped column is zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Columns {
    pid: u16,
    threads: u16,
    rss: u16,
    name: u16,
}

impl ProcessTree<'_> {
    /// The columns that fit in `width` cells: RSS dropped first, then the threads.
    fn columns(&self, width: u16) -> Columns {
        let pid = self
            .rows
            .iter()
            .map(|row| cells::width(&row.pid.max(0).to_string()))
            .max()
            .unwrap_or(0)
            .max(3);
        // PID, a blank, the state and a blank.
        let fixed = pid + 3;
        let mut columns = Columns {
            pid,
            threads: THREADS_WIDTH,
            rss: RSS_WIDTH,
            name: 0,
        };
        let used = |c: &Columns| {
            fixed
                + if c.threads > 0 { c.threads + 1 } else { 0 }
                + if c.rss > 0 { c.rss + 1 } else { 0 }
        };
        if used(&columns) + NAME_MIN > width {
            columns.rss = 0;
        }
        if used(&columns) + NAME_MIN > width {
            columns.threads = 0;
        }
        columns.name = width.saturating_sub(used(&columns));
        columns
    }

    /// Draws one line of texts, one per column, at `y`.
    fn render_line(
        columns: Columns,
        texts: [&str; 5],
        (area, y): (Rect, u16),
        style: Style,
        buf: &mut Buffer,
    ) {
        buf.set_style(Rect::new(area.x, y, area.width, 1), style);
        let [pid, state, threads, rss_text, name] = texts;
        let mut x = area.x;
        let mut column = |width: u16, text: &str, align: Align, buf: &mut Buffer| {
            if width == 0 {
                return;
            }
            let room = area.right().saturating_sub(x).min(width);
            cells::put(buf, (x, y), room, text, align, style);
            x = x.saturating_add(width).saturating_add(1);
        };
        column(columns.pid, pid, Align::Right, buf);
        column(1, state, Align::Left, buf);
        column(columns.threads, threads, Align::Right, buf);
        column(columns.rss, rss_text, Align::Right, buf);
        column(columns.name, name, Align::Left, buf);
    }

    /// Draws the header and the rows into `area` (inside the block).
    fn render_tree(&self, area: Rect, buf: &mut Buffer) {
        if area.is_empty() {
            return;
        }
        let columns = self.columns(area.width);
        let header = ["PID", "S", "THR", "RSS", "NAME"];
        Self::render_line(columns, header, (area, area.y), self.theme.title, buf);
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
                "no processes",
                Align::Left,
                self.theme.dim,
            );
            return;
        }
        let visible = window(self.rows.len(), body, self.offset);
        let shown = visible.len();
        let guides = guides(self.rows);
        let rows = self
            .rows
            .iter()
            .zip(&guides)
            .skip(visible.start)
            .take(shown);
        for ((row, guide), y) in rows.zip(area.y + 1..) {
            let style = if row.state == 'Z' {
                self.theme.warn
            } else {
                self.theme.text
            };
            let pid = if row.pid < 0 {
                "?".to_owned()
            } else {
                row.pid.to_string()
            };
            let threads = row
                .threads
                .map_or_else(|| "?".to_owned(), |t| t.to_string());
            let name = format!("{guide}{}", row.name);
            let state = row.state.to_string();
            let memory = rss(row.rss_kib);
            let texts = [
                pid.as_str(),
                state.as_str(),
                threads.as_str(),
                memory.as_str(),
                name.as_str(),
            ];
            Self::render_line(columns, texts, (area, y), style, buf);
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

    use super::*;
    use crate::testing::{PLAIN, any_size, render_any, screen, sentinel};

    fn row(depth: u16, pid: i32, name: &'static str, state: char) -> ProcessRow<'static> {
        ProcessRow {
            depth,
            pid,
            name,
            state,
            threads: Some(1),
            rss_kib: Some(10_240),
        }
    }

    /// A multiprocessing program: the main process, a resource tracker, a fork
    /// server with three workers, one of them a zombie, and a worker's helper.
    fn pool() -> [ProcessRow<'static>; 7] {
        [
            ProcessRow {
                threads: Some(3),
                rss_kib: Some(42_100),
                ..row(0, 4242, "python3", 'S')
            },
            row(1, 4250, "resource_tracker", 'S'),
            row(1, 4251, "forkserver", 'S'),
            ProcessRow {
                rss_kib: Some(1_300_000),
                ..row(2, 4260, "worker-0", 'R')
            },
            row(3, 4270, "sh", 'S'),
            row(2, 4261, "worker-1", 'Z'),
            ProcessRow {
                threads: None,
                rss_kib: None,
                ..row(2, 4262, "worker-2", 'R')
            },
        ]
    }

    #[test]
    fn snapshots() {
        let rows = pool();
        let tree = ProcessTree::new(&rows).block(Block::bordered().title(" Processes "));
        insta::assert_snapshot!("pool_60x10", screen(&tree, 60, 10));
        insta::assert_snapshot!("pool_32x6", screen(&tree, 32, 6));
        insta::assert_snapshot!("pool_20x6", screen(&tree, 20, 6));
    }

    #[test]
    fn exact_guides_follow_parentage_and_stay_inside() {
        let rows = pool();
        let inner = Rect::new(1, 1, 44, 8);
        let mut buf = sentinel(Rect::new(0, 0, 46, 10), inner);
        ProcessTree::new(&rows).theme(PLAIN).render(inner, &mut buf);
        let expected = Buffer::with_lines([
            "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
            "X PID S  THR     RSS NAME                    X",
            "X4242 S    3   41.1M python3                 X",
            "X4250 S    1   10.0M ├─resource_tracker      X",
            "X4251 S    1   10.0M └─forkserver            X",
            "X4260 R    1    1.2G   ├─worker-0            X",
            "X4270 S    1   10.0M   │ └─sh                X",
            "X4261 Z    1   10.0M   ├─worker-1            X",
            "X4262 R    ?       ?   └─worker-2            X",
            "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
        ]);
        assert_eq!(buf, expected);
    }

    #[test]
    fn rows_that_do_not_fit_are_counted() {
        let rows = pool();
        let area = Rect::new(0, 0, 40, 4);
        let mut buf = Buffer::empty(area);
        ProcessTree::new(&rows).theme(PLAIN).render(area, &mut buf);
        let last: String = (0..40).map(|x| buf[(x, 3)].symbol()).collect();
        assert_eq!(last.trim_end(), "… 5 more");
    }

    #[test]
    fn an_offset_scrolls_and_stops_at_the_last_row() {
        let rows = pool();
        let area = Rect::new(0, 0, 40, 4);
        let names = |offset| {
            let tree = ProcessTree::new(&rows).theme(PLAIN).offset(offset);
            let mut buf = Buffer::empty(area);
            (&tree).render(area, &mut buf);
            let lines: Vec<String> = (1..4)
                .map(|y| (0..40).map(|x| buf[(x, y)].symbol()).collect::<String>())
                .collect();
            (tree.visible_rows(area), lines)
        };
        let (visible, lines) = names(2);
        assert_eq!(visible, 2..4);
        assert!(lines[0].contains(&rows[2].pid.to_string()), "{lines:?}");
        assert_eq!(lines[2].trim_end(), "… 5 more");
        let (visible, _) = names(99);
        assert_eq!(visible, 5..7, "a full window of the last rows");
        let all = Rect::new(0, 0, 40, 20);
        assert_eq!(ProcessTree::new(&rows).offset(3).visible_rows(all), 0..7);
    }

    #[test]
    fn zombies_are_marked() {
        let rows = pool();
        let theme = Theme::dark();
        let area = Rect::new(0, 0, 60, 8);
        let mut buf = Buffer::empty(area);
        ProcessTree::new(&rows).render(area, &mut buf);
        assert_eq!(Some(buf[(5, 6)].fg), theme.warn.fg, "the zombie's row");
        assert_eq!(Some(buf[(5, 5)].fg), theme.text.fg);
    }

    #[test]
    fn memory_reads_short() {
        assert_eq!(rss(Some(980)), "980K");
        assert_eq!(rss(Some(12_595)), "12.3M");
        assert_eq!(rss(Some(150 * 1024)), "150M");
        assert_eq!(rss(Some(u64::MAX)), "17179869184T");
        assert_eq!(rss(None), "?");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn render_never_panics(
            (width, height) in any_size(),
            raw in proptest::collection::vec(
                (any::<u16>(), any::<i32>(), "\\PC{0,20}", any::<char>(),
                 proptest::option::of(any::<usize>()), proptest::option::of(any::<u64>())),
                0..60,
            ),
        ) {
            let rows: Vec<_> = raw
                .iter()
                .map(|(depth, pid, name, state, threads, rss_kib)| ProcessRow {
                    depth: depth % 40,
                    pid: *pid,
                    name,
                    state: *state,
                    threads: *threads,
                    rss_kib: *rss_kib,
                })
                .collect();
            let tree = ProcessTree::new(&rows);
            render_any(&tree, width, height);
            render_any(&tree.block(Block::bordered()), width, height);
        }
    }
}
