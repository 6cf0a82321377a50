//! The picker: lessons and demos to choose from, with what each one shows,
//! under the live per-core load (corescope is always measuring).

use std::fmt::Write as _;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, List, ListItem, ListState, Paragraph, Wrap};

use corescope_widgets::{StatLine, Theme};

use super::chrome::{render_cores, render_footer, title_bar};
use super::dashboard::stats_of;
use crate::app::App;
use crate::hits::{Hits, Panel, Target};
use crate::picker::{Entry, Picker};

/// Draws the picker into `area`.
pub fn render(app: &App, picker: &Picker, frame: &mut Frame, area: Rect, hits: &mut Hits) {
    let theme = app.theme();
    let model = app.visible_model();
    let core_rows = model.latest().map_or(3, |s| {
        (s.cores.len() as u16 + 2).min((area.height / 4).max(3))
    });
    let [header, cores, stats, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(core_rows),
        Constraint::Length(1),
        Constraint::Min(4),
        Constraint::Length(1),
    ])
    .areas(area);
    let detail = Some(" choose a lesson or a demo, Enter to start ".to_owned());
    frame.render_widget(title_bar(app, model, detail, theme), header);
    if let Some(snapshot) = model.latest() {
        render_cores(model, snapshot, frame, cores, theme);
        let stat_values = stats_of(snapshot);
        frame.render_widget(StatLine::new(&stat_values).theme(*theme), stats);
    }
    let [list, about] =
        Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(body);
    render_list(picker, frame, list, theme, hits);
    render_about(picker, frame, about, theme);
    render_footer(app, frame, footer, theme, hits);
}

/// The entries, each clickable where it is drawn.
fn render_list(picker: &Picker, frame: &mut Frame, area: Rect, theme: &Theme, hits: &mut Hits) {
    let items: Vec<ListItem<'_>> = picker
        .entries()
        .map(|entry| match entry {
            Entry::Lesson(lesson) => ListItem::new(Line::from(vec![
                Span::styled("lesson ", theme.accent),
                Span::styled(
                    lesson.title.clone(),
                    theme.text.add_modifier(Modifier::BOLD),
                ),
                Span::styled(format!("  {} steps", lesson.steps.len()), theme.dim),
            ])),
            Entry::Demo(spec) => ListItem::new(Line::from(vec![
                Span::styled(format!("{:<18}", spec.name), theme.text),
                Span::styled(spec.summary, theme.dim),
            ])),
        })
        .collect();
    let count = items.len();
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(" Lessons and demos ");
    let inner = block.inner(area);
    let list = List::new(items)
        .block(block)
        .highlight_style(theme.selected)
        .highlight_symbol("▶ ");
    // A fresh state from the app's choice: drawing never writes the app.
    let mut state = ListState::default().with_selected(Some(picker.selected()));
    frame.render_stateful_widget(list, area, &mut state);
    // The list scrolled as it had to; its offset says what each line shows.
    hits.add(area, Target::Panel(Panel::Picker));
    for (index, y) in (state.offset()..count).zip(inner.y..inner.bottom()) {
        hits.add(
            Rect::new(inner.x, y, inner.width, 1),
            Target::PickerEntry(index),
        );
    }
}

fn render_about(picker: &Picker, frame: &mut Frame, area: Rect, theme: &Theme) {
    let Some(entry) = picker.entries().nth(picker.selected()) else {
        return;
    };
    let (title, text) = match entry {
        Entry::Lesson(lesson) => {
            let mut text = format!("{}\n", lesson.description);
            for (number, step) in lesson.steps.iter().enumerate() {
                let _ = write!(text, "\n{:>2}. {}", number + 1, step.title);
            }
            (lesson.title.clone(), text)
        }
        Entry::Demo(spec) => {
            let modes: Vec<&str> = spec.modes.iter().map(|m| m.name()).collect();
            let options: Vec<String> = spec
                .params
                .iter()
                .map(|p| format!("--{} {}", p.name, p.default))
                .collect();
            let text = format!(
                "{}\n\nWhat to look for: {}\n\nModes: {}\nOptions: {}",
                spec.summary,
                spec.look_for,
                modes.join(", "),
                options.join("  ")
            );
            (spec.name.to_owned(), text)
        }
    };
    let about = Paragraph::new(text)
        .style(theme.text)
        .wrap(Wrap { trim: false })
        .block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme.border)
                .title(Span::styled(format!(" {title} "), theme.title)),
        );
    frame.render_widget(about, area);
}
