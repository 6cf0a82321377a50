//! The picker: lessons and demos to choose from, with what each one shows,
//! under the live per-core load (corescope is always measuring).

use std::fmt::Write as _;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, List, ListItem, ListState};

use corescope_widgets::{Notes, StatLine, Theme};

use super::chrome::{fitting, render_cores, render_footer, title_bar};
use super::dashboard::stats_of;
use crate::app::App;
use crate::hits::{Hits, Panel, Target};
use crate::picker::{Entry, Picker};

/// Draws the picker into `area`.
pub(super) fn render(app: &App, picker: &Picker, frame: &mut Frame, area: Rect, hits: &mut Hits) {
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

/// Fewest cells for a demo's name and some of its summary.
const NAME_AND_SUMMARY: usize = 30;

/// `text` in at most `width` cells, its last one `…` when it is cut.
fn cut(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut kept: String = text.chars().take(width.saturating_sub(1)).collect();
    kept.push('…');
    kept
}

/// The entries, each clickable where it is drawn; the title says which
/// part of the list shows and whether more lies below or above.
fn render_list(picker: &Picker, frame: &mut Frame, area: Rect, theme: &Theme, hits: &mut Hits) {
    let inner = Block::default().borders(Borders::ALL).inner(area);
    // The highlight symbol's two cells come off every line.
    let room = usize::from(inner.width).saturating_sub(2);
    let items: Vec<ListItem<'_>> = picker
        .entries()
        .map(|entry| match entry {
            Entry::Lesson(lesson) => {
                let steps = format!("  {} steps", lesson.steps.len());
                let title = cut(&lesson.title, room.saturating_sub(7 + steps.len()).max(1));
                ListItem::new(Line::from(vec![
                    Span::styled("lesson ", theme.accent),
                    Span::styled(title, theme.text.add_modifier(Modifier::BOLD)),
                    Span::styled(cut(&steps, room.saturating_sub(8)), theme.dim),
                ]))
            }
            // A list too narrow for a summary worth reading shows the names.
            Entry::Demo(spec) if room < NAME_AND_SUMMARY => {
                ListItem::new(Span::styled(cut(spec.name, room), theme.text))
            }
            Entry::Demo(spec) => {
                let name = format!("{:<18}", spec.name);
                ListItem::new(Line::from(vec![
                    Span::styled(cut(&name, room), theme.text),
                    Span::styled(cut(spec.summary, room.saturating_sub(18)), theme.dim),
                ]))
            }
        })
        .collect();
    let count = items.len();
    let rows = usize::from(inner.height).max(1);
    // As the list would scroll to keep the selection in view, from the top.
    let offset = picker.selected().saturating_sub(rows - 1);
    let end = (offset + rows).min(count);
    let arrows = match (offset > 0, end < count) {
        (true, true) => " ↑↓",
        (true, false) => " ↑",
        (false, true) => " ↓",
        (false, false) => "",
    };
    let title = if end - offset < count {
        fitting(
            area.width,
            [
                format!(
                    " Lessons and demos {}–{end} of {count}{arrows} ",
                    offset + 1
                ),
                format!(" {}–{end} of {count}{arrows} ", offset + 1),
                format!("{arrows} "),
            ],
        )
    } else {
        fitting(
            area.width,
            [" Lessons and demos ".to_owned(), String::new()],
        )
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(title);
    let list = List::new(items)
        .block(block)
        .highlight_style(theme.selected)
        .highlight_symbol("▶ ");
    // A fresh state from the app's choice: drawing never writes the app.
    let mut state = ListState::default()
        .with_selected(Some(picker.selected()))
        .with_offset(offset);
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
    // Notes wrap at words and end in `…` where the panel is too short.
    let title = cut(&title, usize::from(area.width.saturating_sub(4)));
    let about = Notes::new("", &text).theme(*theme).block(
        Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border)
            .title(Span::styled(format!(" {title} "), theme.title)),
    );
    frame.render_widget(about, area);
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use crate::model::fixtures::{snapshot, thread};

    use super::*;

    fn picker_app() -> App {
        let lessons = crate::lesson::built_in().expect("lessons");
        let mut app = App::with_picker(Duration::from_millis(500), Picker::new(lessons));
        app.ingest(Arc::new(snapshot(
            0,
            [10.0, 20.0],
            vec![thread(10, "main", 1.0, 'S')],
        )));
        app
    }

    fn screen(app: &App) -> (Terminal<TestBackend>, String) {
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).expect("terminal");
        terminal
            .draw(|frame| {
                crate::ui::render(app, frame);
            })
            .expect("draw");
        let buffer = terminal.backend().buffer();
        let text = (0..24)
            .map(|y| (0..80).map(|x| buffer[(x, y)].symbol()).collect::<String>())
            .collect::<Vec<_>>()
            .join("\n");
        (terminal, text)
    }

    #[test]
    fn at_80x24_the_list_says_it_scrolls_and_cut_texts_end_in_an_ellipsis() {
        let mut app = picker_app();
        let (terminal, top) = screen(&app);
        assert!(
            top.contains(" of 20 ↓ "),
            "the list says more lies below:\n{top}"
        );
        // The list's right border is at column 35: a text that reaches it
        // was cut, and must say so.
        for line in top.lines().skip(8).take(14) {
            let before_border = line.chars().nth(34).unwrap_or(' ');
            assert!(
                !before_border.is_alphanumeric(),
                "a list line is cut without `…`: {line}"
            );
        }
        insta::assert_snapshot!(terminal.backend());
        app.handle_key(&KeyEvent::new(KeyCode::End, KeyModifiers::NONE));
        let (_, bottom) = screen(&app);
        assert!(
            bottom.contains(" of 20 ↑ "),
            "at the end, more lies above:\n{bottom}"
        );
        assert!(bottom.contains("▶ combine"), "{bottom}");
    }
}
