//! The watch screen's headline: the watched tree's figures and the
//! machine's, in two labelled groups, so that the machine's memory is never
//! read as the program's.
//!
//! `tree: CPU 1.98 cores · threads 5 (peak 5) · processes 4 (peak 5) · RSS
//! 50.1 MiB ┃ machine: 2 cores · load 0.52 0.41 0.30 · memory 3.0 GiB / 24.0 GiB`
//! as the width allows: long forms, then short ones, then figures dropped
//! one at a time, least needed first (the machine's cores first: the title
//! bar says them too); the two labels always stay.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use corescope_widgets::Theme;

use super::format;
use crate::snapshot::Snapshot;

/// Between two figures of a group.
const SEPARATOR: &str = " · ";
/// Between the two groups.
const GROUP_SEPARATOR: &str = " ┃ ";

/// One figure, in a long and a short form.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Figure {
    long: String,
    short: String,
    /// The number the screen is about (the tree's CPU), or its end.
    emphasis: bool,
    /// Dropped before figures of a lower rank when the width runs out; 0
    /// is never dropped.
    drop_rank: u8,
}

impl Figure {
    fn new(long: String, short: String, drop_rank: u8) -> Self {
        Self {
            long,
            short,
            emphasis: false,
            drop_rank,
        }
    }
}

/// The tree's figures, then the machine's.
fn figures(snapshot: &Snapshot) -> (Vec<Figure>, Vec<Figure>) {
    let target = &snapshot.target;
    let mut tree = Vec::new();
    if !target.alive {
        // What ended a `run` command says more than "exited".
        let ended = snapshot
            .run
            .as_ref()
            .and_then(|run| run.exit.as_ref())
            .map_or_else(
                || "exited".to_owned(),
                |exit| format!("command {}", exit.describe()),
            );
        tree.push(Figure {
            emphasis: true,
            ..Figure::new(ended.clone(), ended, 0)
        });
    }
    let cpu = target
        .parallelism
        .map_or_else(|| "?".to_owned(), |p| format!("{p:.2}"));
    tree.push(Figure {
        emphasis: true,
        ..Figure::new(format!("CPU {cpu} cores"), format!("{cpu} cores"), 0)
    });
    tree.push(Figure::new(
        format!(
            "threads {} (peak {})",
            target.threads.len(),
            target.threads_peak
        ),
        format!("{} thr", target.threads.len()),
        4,
    ));
    let live = target.processes.iter().filter(|p| p.state != 'Z').count();
    tree.push(Figure::new(
        format!("processes {live} (peak {})", target.processes_peak),
        format!("{live} proc"),
        3,
    ));
    let rss = tree_rss(snapshot);
    tree.push(Figure::new(
        format!("RSS {rss}"),
        format!("RSS {}", rss.replace(' ', "")),
        2,
    ));
    let cores = snapshot.cores.len();
    let mut machine = vec![Figure::new(
        format::count(cores, "core"),
        format::count(cores, "core"),
        6,
    )];
    let (load_long, load_short) = snapshot.load_average.map_or_else(
        || ("load ?".to_owned(), "load ?".to_owned()),
        |[a, b, c]| (format!("load {a:.2} {b:.2} {c:.2}"), format!("load {a:.2}")),
    );
    machine.push(Figure::new(load_long, load_short, 5));
    let (memory_long, memory_short) = snapshot.memory.map_or_else(
        || ("memory ?".to_owned(), "mem ?".to_owned()),
        |m| {
            let (used, total) = (format::bytes(m.used_bytes), format::bytes(m.total_bytes));
            (
                format!("memory {used} / {total}"),
                format!("mem {}/{}", used.replace(' ', ""), total.replace(' ', "")),
            )
        },
    );
    machine.push(Figure::new(memory_long, memory_short, 1));
    (tree, machine)
}

/// The resident memory of the tree's live processes, summed (pages shared
/// between them count once per process, as in htop); `≥` when some could
/// not be read, `?` when none could.
fn tree_rss(snapshot: &Snapshot) -> String {
    let live = snapshot.target.processes.iter().filter(|p| p.state != 'Z');
    let (mut known_kib, mut known, mut unknown) = (0_u64, 0_usize, 0_usize);
    for process in live {
        match process.rss_kib {
            Some(kib) => {
                known_kib = known_kib.saturating_add(kib);
                known += 1;
            }
            None => unknown += 1,
        }
    }
    let sum = format::bytes(known_kib.saturating_mul(1024));
    match (known, unknown) {
        (0, _) => "?".to_owned(),
        (_, 0) => sum,
        _ => format!("≥{sum}"),
    }
}

/// The headline as a line of spans: each group's label, then its figures
/// (long or short) that `shown` keeps.
fn line<'a>(
    groups: [(&'static str, &[Figure]); 2],
    long: bool,
    max_rank: u8,
    theme: &Theme,
) -> Line<'a> {
    let label_style = theme.accent.add_modifier(Modifier::BOLD);
    let emphasis: Style = theme.accent.add_modifier(Modifier::BOLD);
    let mut spans: Vec<Span<'a>> = Vec::new();
    for (index, (label, figures)) in groups.into_iter().enumerate() {
        if index > 0 {
            spans.push(Span::styled(GROUP_SEPARATOR, theme.dim));
        }
        spans.push(Span::styled(format!("{label}:"), label_style));
        let mut first = true;
        for figure in figures.iter().filter(|f| f.drop_rank <= max_rank) {
            spans.push(Span::styled(if first { " " } else { SEPARATOR }, theme.dim));
            first = false;
            let text = if long { &figure.long } else { &figure.short };
            let style = if figure.emphasis {
                emphasis
            } else {
                theme.text
            };
            spans.push(Span::styled(text.clone(), style));
        }
    }
    Line::from(spans)
}

/// Draws the headline on the first row of `area`.
pub(super) fn render(snapshot: &Snapshot, frame: &mut Frame, area: Rect, theme: &Theme) {
    if area.is_empty() {
        return;
    }
    let (tree, machine) = figures(snapshot);
    let groups = [("tree", tree.as_slice()), ("machine", machine.as_slice())];
    let room = usize::from(area.width);
    let most = u8::MAX;
    // Long forms, then short, then the short ones losing figures.
    let candidates = std::iter::once((true, most))
        .chain(std::iter::once((false, most)))
        .chain((0..=6).rev().map(|rank| (false, rank)));
    let mut chosen = line(groups, false, 0, theme);
    for (long, rank) in candidates {
        let candidate = line(groups, long, rank, theme);
        if candidate.width() <= room {
            chosen = candidate;
            break;
        }
    }
    frame.render_widget(Paragraph::new(chosen), area);
}

#[cfg(test)]
mod tests {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::*;
    use crate::model::fixtures::{snapshot, thread};

    fn draw(snapshot: &Snapshot, width: u16) -> String {
        let mut terminal = Terminal::new(TestBackend::new(width, 1)).expect("terminal");
        terminal
            .draw(|f| render(snapshot, f, f.area(), &Theme::default()))
            .expect("draw");
        terminal
            .backend()
            .buffer()
            .content()
            .iter()
            .map(ratatui::buffer::Cell::symbol)
            .collect()
    }

    fn two_threads() -> Snapshot {
        snapshot(
            3,
            [50.0, 50.0],
            vec![
                thread(4242, "main", 50.0, 'R'),
                thread(4243, "w", 48.0, 'R'),
            ],
        )
    }

    #[test]
    fn wide_shows_both_groups_in_full() {
        let text = draw(&two_threads(), 200);
        assert_eq!(
            text.trim_end(),
            "tree: CPU 0.98 cores · threads 2 (peak 2) · processes 1 (peak 1) · RSS 10.0 MiB \
             ┃ machine: 2 cores · load 0.52 0.41 0.30 · memory 3.0 GiB / 24.0 GiB"
        );
    }

    #[test]
    fn at_80_columns_both_labels_and_the_memory_stay() {
        let text = draw(&two_threads(), 80);
        assert!(text.starts_with("tree: 0.98 cores"), "{text}");
        assert!(text.contains("┃ machine:"), "{text}");
        assert!(text.contains("mem 3.0GiB/24.0GiB"), "{text}");
        assert!(
            !text.contains("2 cores"),
            "the title bar says the cores: {text}"
        );
    }

    #[test]
    fn the_labels_stay_at_any_width_that_draws() {
        for width in [40, 50, 60] {
            let text = draw(&two_threads(), width);
            assert!(text.starts_with("tree:"), "{width}: {text}");
        }
    }

    #[test]
    fn the_trees_rss_is_a_sum_of_live_processes_never_a_guess() {
        let mut snap = two_threads();
        let mut child = snap.target.processes[0].clone();
        child.pid = 4300;
        child.rss_kib = Some(2_048);
        let mut zombie = child.clone();
        zombie.pid = 4301;
        zombie.state = 'Z';
        zombie.rss_kib = None;
        snap.target.processes.extend([child.clone(), zombie]);
        assert_eq!(tree_rss(&snap), "12.0 MiB", "the zombie is left out");
        snap.target.processes[1].rss_kib = None;
        assert_eq!(tree_rss(&snap), "≥10.0 MiB", "a part is a lower bound");
        for process in &mut snap.target.processes {
            process.rss_kib = None;
        }
        assert_eq!(tree_rss(&snap), "?");
    }

    #[test]
    fn an_ended_command_says_how_first() {
        let mut snap = two_threads();
        snap.target.alive = false;
        snap.run = Some(crate::snapshot::RunSample {
            log: None,
            output: std::sync::Arc::from(Vec::new()),
            exit: Some(crate::snapshot::RunExit {
                code: Some(0),
                signal: None,
            }),
            python: None,
        });
        let text = draw(&snap, 120);
        assert!(
            text.starts_with("tree: command exited with code 0"),
            "{text}"
        );
    }
}
