//! What the dashboard's screens share about the watched tree: its headline
//! numbers, the thread flags and the thread table.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders};

use corescope_widgets::{ProcessTotals, Stat, Theme, ThreadFlag, ThreadRow, ThreadTable};

use super::{Screen, format, legend};
use crate::app::App;
use crate::hits::{Hits, Panel, Target};
use crate::snapshot::{Snapshot, ThreadSample};
use crate::thread_view::{self, ProcessGroup};

/// A thread that spent at least this share of the interval runnable but not
/// running is flagged as waiting for a CPU.
const RUNQ_WAIT_FLAG_PCT: f32 = 10.0;

/// The headline numbers of the watched tree.
pub(super) fn stats_of(snapshot: &Snapshot) -> Vec<Stat<'static>> {
    let target = &snapshot.target;
    let live_processes = target.processes.iter().filter(|p| p.state != 'Z').count();
    let mut stats = Vec::new();
    if !target.alive {
        stats.push(Stat {
            label: "target",
            value: "exited".to_owned(),
            emphasis: true,
        });
    }
    stats.push(Stat {
        label: "parallelism",
        value: target
            .parallelism
            .map_or_else(|| "? cores".to_owned(), |p| format!("{p:.2} cores")),
        emphasis: true,
    });
    stats.push(Stat {
        label: "threads",
        value: format!("{} (peak {})", target.threads.len(), target.threads_peak),
        emphasis: false,
    });
    stats.push(Stat {
        label: "processes",
        value: format!("{live_processes} (peak {})", target.processes_peak),
        emphasis: false,
    });
    stats.push(Stat {
        label: "memory",
        value: snapshot.memory.map_or_else(
            || "?".to_owned(),
            |m| {
                format!(
                    "{} / {}",
                    format::bytes(m.used_bytes),
                    format::bytes(m.total_bytes)
                )
            },
        ),
        emphasis: false,
    });
    stats.push(Stat {
        label: "load",
        value: snapshot.load_average.map_or_else(
            || "?".to_owned(),
            |[a, b, c]| format!("{a:.2} {b:.2} {c:.2}"),
        ),
        emphasis: false,
    });
    stats
}

/// Why a thread is worth a look: blocked on a futex, or waiting for a CPU.
pub(super) fn flag_of(thread: &ThreadSample) -> ThreadFlag {
    if thread.blocked_on_futex() {
        ThreadFlag::BlockedOnLock
    } else if thread
        .runq_wait_pct
        .is_some_and(|p| p >= RUNQ_WAIT_FLAG_PCT)
    {
        ThreadFlag::WaitingForCpu
    } else {
        ThreadFlag::None
    }
}

/// Draws the thread table, sorted and scrolled as the user chose, its title
/// saying what its colours (or, without colours, its modifiers) mean.
pub(super) fn render_threads(
    app: &App,
    snapshot: &Snapshot,
    frame: &mut Frame,
    area: Rect,
    theme: &Theme,
    hits: &mut Hits,
) {
    // The legend as long as the border has room for, else shorter: a title
    // is never cut mid-word.
    let legend = |waiting: &'static str, blocked: &'static str| {
        Line::from(vec![
            Span::raw(" Threads "),
            Span::styled(legend::style_name(theme.warn), theme.warn),
            Span::raw(waiting),
            Span::styled(legend::style_name(theme.alert), theme.alert),
            Span::raw(blocked),
        ])
    };
    let room = usize::from(area.width.saturating_sub(2));
    let title = [
        legend(": waiting for a CPU  ", ": blocked on a lock (futex) "),
        legend(": waiting for a CPU  ", ": blocked "),
        legend(": CPU wait  ", ": blocked "),
    ]
    .into_iter()
    .find(|line| line.width() <= room)
    .unwrap_or_else(|| Line::from(" Threads "));
    let screen = Screen {
        app,
        snapshot,
        theme,
    };
    render_thread_table(screen, frame, area, title, false, hits);
}

/// Draws the thread table of `screen`, filtered, sorted, nested and
/// scrolled as the user chose, under `title`, its border marked when
/// `focused`; each thread row shown and each column header is clickable.
pub(super) fn render_thread_table(
    screen: Screen<'_>,
    frame: &mut Frame,
    area: Rect,
    title: Line<'_>,
    focused: bool,
    hits: &mut Hits,
) {
    let Screen {
        app,
        snapshot,
        theme,
    } = screen;
    let choice = app.table_choice();
    let ordered = thread_view::shown_threads(snapshot, choice);
    let labels = thread_view::lock_labels(snapshot);
    let groups = if choice.tree {
        thread_view::groups(snapshot, &ordered)
    } else {
        Vec::new()
    };
    // In the tree view each thread's name hangs from its process's row.
    let names: Vec<String> = ordered
        .iter()
        .enumerate()
        .map(|(index, t)| {
            // The runtime's name (Python's) where the probes give one.
            let name = snapshot.thread_name(t);
            if !choice.tree {
                return name.to_owned();
            }
            let last = ordered.get(index + 1).is_none_or(|next| next.pid != t.pid);
            format!("{} {}", if last { "└" } else { "├" }, name)
        })
        .collect();
    let headers: Vec<String> = groups
        .iter()
        .map(|(_, group)| format!("▾ {}", group.name))
        .collect();
    // The rows, and the thread each stands for (none for a process row).
    let mut rows: Vec<ThreadRow<'_>> = Vec::with_capacity(ordered.len() + groups.len());
    let mut tids: Vec<Option<i32>> = Vec::with_capacity(rows.capacity());
    let mut next_group = groups.iter().zip(&headers).peekable();
    for (index, (t, name)) in ordered.iter().zip(&names).enumerate() {
        if let Some(((_, group), header)) = next_group.next_if(|((first, _), _)| *first == index) {
            rows.push(process_row(group, header));
            tids.push(None);
        }
        rows.push(ThreadRow {
            pid: t.pid,
            tid: t.tid,
            name,
            state: t.state,
            last_cpu: t.last_cpu,
            cpu_pct: t.cpu_pct,
            voluntary_per_sec: t.voluntary_per_sec,
            involuntary_per_sec: t.nonvoluntary_per_sec,
            runq_wait_pct: t.runq_wait_pct,
            futex_pct: t.futex_wait_pct,
            nice: t.nice,
            wchan: t.wchan.as_deref(),
            waiting_on: t
                .waiting_on
                .and_then(|address| labels.get(&(t.pid, address)).copied()),
            flag: flag_of(t),
            process: None,
        });
        tids.push(Some(t.tid));
    }
    let selected = app
        .selected_tid()
        .and_then(|tid| tids.iter().position(|t| *t == Some(tid)));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(if focused { theme.accent } else { theme.border })
        .title(title);
    let inner = block.inner(area);
    let table = ThreadTable::new(&rows)
        .block(block)
        .theme(*theme)
        .selected(selected)
        .sorted_by(Some(choice.sort.column))
        .ascending(!choice.sort.descending);
    hits.add(area, Target::Panel(Panel::Threads));
    for (rect, column) in table.header_cells(area) {
        if thread_view::SORTABLE.contains(&column) {
            hits.add(rect, Target::Header(column));
        }
    }
    // Body rows start under the header line.
    for (index, y) in table.visible_rows(area).zip(inner.y + 1..inner.bottom()) {
        if let Some(tid) = tids[index] {
            hits.add(Rect::new(inner.x, y, inner.width, 1), Target::Thread(tid));
        }
    }
    frame.render_widget(&table, area);
}

/// The tree view's row for a process: its totals, under `name`.
fn process_row<'a>(group: &'a ProcessGroup<'a>, name: &'a str) -> ThreadRow<'a> {
    ThreadRow {
        pid: group.pid,
        tid: group.pid,
        name,
        state: '?',
        last_cpu: None,
        cpu_pct: group.cpu_pct,
        voluntary_per_sec: group.voluntary_per_sec,
        involuntary_per_sec: group.involuntary_per_sec,
        runq_wait_pct: None,
        futex_pct: None,
        nice: None,
        wchan: None,
        waiting_on: None,
        flag: ThreadFlag::None,
        process: Some(ProcessTotals {
            threads: group.threads,
            states: &group.states,
            rss_kib: group.rss_kib,
        }),
    }
}
