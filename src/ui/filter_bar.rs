//! The footer's account of the filters: what the thread table or the process
//! tree is filtered by and how many rows it keeps (`filter: work  (12 of
//! 200)`), and, while the prompt is open, the text being typed and the keys
//! that close it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use corescope_widgets::Theme;

use crate::app::App;
use crate::hits::Panel;
use crate::thread_view;

/// Draws the filters' account at the left of the footer `area`, and returns
/// what is left of the line for the key hints (all of it when no filter is
/// on and no prompt open).
pub(super) fn render(app: &App, frame: &mut Frame, area: Rect, theme: &Theme) -> Rect {
    let Some(line) = line(app, theme) else {
        return area;
    };
    let width = u16::try_from(line.width())
        .unwrap_or(u16::MAX)
        .min(area.width);
    frame.render_widget(Paragraph::new(line), Rect { width, ..area });
    Rect {
        x: area.x + width,
        width: area.width - width,
        ..area
    }
}

/// The account, or `None` when there is nothing to say.
fn line(app: &App, theme: &Theme) -> Option<Line<'static>> {
    let snapshot = app.visible_model().latest();
    let threads = app.table_choice().filter.to_owned();
    let processes = app.tree_filter().to_owned();
    let prompt = app.prompt();
    let mut spans = Vec::new();
    if !threads.is_empty() || prompt == Some(Panel::Threads) {
        let counts = snapshot.map(|s| {
            let shown = thread_view::shown_threads(s, app.table_choice()).len();
            (shown, s.target.threads.len())
        });
        spans.extend(item(
            "filter",
            threads,
            counts,
            prompt == Some(Panel::Threads),
            theme,
        ));
    }
    if !processes.is_empty() || prompt == Some(Panel::Processes) {
        let counts = snapshot.map(|s| {
            let all = &s.target.processes;
            let shown = all
                .iter()
                .filter(|p| thread_view::process_matches(s, p, &processes))
                .count();
            (shown, all.len())
        });
        let editing = prompt == Some(Panel::Processes);
        spans.extend(item("process filter", processes, counts, editing, theme));
    }
    if prompt.is_some() {
        spans.push(Span::styled("Enter keep · Esc clear  ", theme.dim));
    }
    (!spans.is_empty()).then(|| Line::from(spans))
}

/// One filter: `label: text  (shown of all)`, with a cursor while typed.
fn item(
    label: &'static str,
    text: String,
    counts: Option<(usize, usize)>,
    editing: bool,
    theme: &Theme,
) -> Vec<Span<'static>> {
    let counts = counts.map_or_else(String::new, |(shown, all)| format!("  ({shown} of {all})"));
    let mut spans = vec![
        Span::styled(format!(" {label}: "), theme.accent),
        Span::styled(text, theme.text),
    ];
    if editing {
        spans.push(Span::styled("▏", theme.accent));
    }
    spans.push(Span::styled(format!("{counts}  "), theme.dim));
    spans
}
