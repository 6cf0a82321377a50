//! The `k` dialog drawn over the watch screen: a centered box, sized to its
//! step, that clears what is behind it. Reads the dialog's state only.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use corescope_widgets::Theme;

use crate::signal_dialog::{SignalDialog, Step};
use crate::signal_send::SIGNALS;

/// Widest the box gets.
const MAX_WIDTH: u16 = 64;
/// Most PIDs the confirmation names one by one (a big tree is counted).
const MAX_PIDS_NAMED: usize = 24;

/// Draws `dialog` in the middle of `area`.
pub(super) fn render(dialog: &SignalDialog, frame: &mut Frame, area: Rect, theme: &Theme) {
    let width = area.width.saturating_sub(4).min(MAX_WIDTH);
    let inner_width = usize::from(width.saturating_sub(2)).max(1);
    let (title, lines) = match dialog.step() {
        Step::Target => (
            " Send a signal: to which processes? ",
            target_lines(dialog, theme),
        ),
        Step::Signal => (
            " Send a signal: which one? ",
            signal_lines(dialog, area.height, inner_width, theme),
        ),
        Step::Confirm => (" Send a signal: sure? ", confirm_lines(dialog, theme)),
        Step::Result(result) => (" Signal sent ", result_lines(result, theme)),
    };
    // Wrapped lines take more rows than they are lines.
    let rows: usize = lines
        .iter()
        .map(|line| line.width().div_ceil(inner_width).max(1))
        .sum();
    let height = u16::try_from(rows + 2).unwrap_or(u16::MAX).min(area.height);
    let popup = Rect::new(
        area.x + area.width.saturating_sub(width) / 2,
        area.y + area.height.saturating_sub(height) / 2,
        width,
        height,
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.accent)
        .title(Span::styled(
            title,
            theme.accent.add_modifier(Modifier::BOLD),
        ));
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines)
            .style(theme.text)
            .wrap(Wrap { trim: false })
            .block(block),
        popup,
    );
}

/// A choice, marked and highlighted when chosen (the marker carries it
/// without colours).
fn option<'a>(chosen: bool, text: &str, theme: &Theme) -> Line<'a> {
    if chosen {
        Line::styled(format!("▶ {text}"), highlight(theme))
    } else {
        Line::raw(format!("  {text}"))
    }
}

fn highlight(theme: &Theme) -> Style {
    theme.selected.add_modifier(Modifier::BOLD)
}

fn keys<'a>(text: &'a str, theme: &Theme) -> Line<'a> {
    Line::styled(text, theme.dim)
}

fn target_lines<'a>(dialog: &SignalDialog, theme: &Theme) -> Vec<Line<'a>> {
    let mut lines = Vec::new();
    match dialog.process() {
        Some(process) => lines.push(option(
            !dialog.whole_tree(),
            &format!(
                "process {} {} (the selected thread's)",
                process.pid, process.name
            ),
            theme,
        )),
        None => lines.push(Line::styled(
            "  one process: select a thread first",
            theme.dim,
        )),
    }
    let count = dialog.tree().len();
    let plural = if count == 1 { "process" } else { "processes" };
    lines.push(option(
        dialog.whole_tree(),
        &format!("the whole tree: {count} {plural}"),
        theme,
    ));
    lines.push(Line::raw(""));
    lines.push(keys("↑↓ choose · Enter next · Esc cancel", theme));
    lines
}

/// The signals, one row each (cut to `inner_width`), scrolled to keep the
/// choice in view when the screen is short.
fn signal_lines<'a>(
    dialog: &SignalDialog,
    height: u16,
    inner_width: usize,
    theme: &Theme,
) -> Vec<Line<'a>> {
    const KEYS: &str = "↑↓ choose · Enter next · ← back · Esc cancel";
    // The box's borders, a blank line and the keys (wrapped) take the rest.
    let keys_rows = KEYS.chars().count().div_ceil(inner_width);
    let room = usize::from(height).saturating_sub(3 + keys_rows).max(1);
    let chosen = dialog.signal_index();
    let first = (chosen + 1).saturating_sub(room);
    let mut lines: Vec<Line<'a>> = SIGNALS
        .iter()
        .enumerate()
        .skip(first)
        .take(room)
        .map(|(index, signal)| {
            let text = format!(
                "{:>2} {:<5} {}",
                signal.signal as i32, signal.name, signal.meaning
            );
            // The marker takes two cells.
            option(
                index == chosen,
                &cut(&text, inner_width.saturating_sub(2)),
                theme,
            )
        })
        .collect();
    lines.push(Line::raw(""));
    lines.push(keys(KEYS, theme));
    lines
}

/// `text` in at most `width` characters, ending in `…` when cut.
fn cut(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_owned()
    } else {
        let mut short: String = text.chars().take(width.saturating_sub(1)).collect();
        short.push('…');
        short
    }
}

fn confirm_lines<'a>(dialog: &SignalDialog, theme: &Theme) -> Vec<Line<'a>> {
    let choice = dialog.choice();
    let targets = dialog.targets();
    let whom = match dialog.process() {
        Some(process) if !dialog.whole_tree() => {
            format!("process {} {}", process.pid, process.name)
        }
        _ => {
            let mut named: Vec<String> = targets
                .iter()
                .take(MAX_PIDS_NAMED)
                .map(i32::to_string)
                .collect();
            if targets.len() > MAX_PIDS_NAMED {
                named.push(format!("… {} more", targets.len() - MAX_PIDS_NAMED));
            }
            let plural = if targets.len() == 1 {
                "process"
            } else {
                "processes"
            };
            format!("{} {plural}: {}", targets.len(), named.join(" "))
        }
    };
    vec![
        Line::from(vec![
            Span::raw("Send "),
            Span::styled(
                format!("{} ({})", choice.name, choice.signal as i32),
                highlight(theme),
            ),
            Span::raw(format!(" to {whom}?")),
        ]),
        Line::raw(""),
        keys("Enter or y: send · n or Esc: cancel · ← back", theme),
    ]
}

fn result_lines<'a>(result: &[String], theme: &Theme) -> Vec<Line<'a>> {
    let mut lines: Vec<Line<'a>> = result
        .iter()
        .enumerate()
        .map(|(index, line)| {
            // The first line is the count; the others, processes that did
            // not take the signal.
            let style = if index == 0 { theme.text } else { theme.warn };
            Line::styled(line.clone(), style)
        })
        .collect();
    lines.push(Line::raw(""));
    lines.push(keys("any key closes", theme));
    lines
}
