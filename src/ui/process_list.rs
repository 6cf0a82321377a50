//! The process list of `watch` without a PID: the filter as typed, then a
//! row per process (PID, user, threads, CPU %, resident memory, command),
//! the user's own first. A value that could not be read shows `?`.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState};

use corescope_widgets::Theme;

use super::chrome::{fitting, render_footer, title_bar};
use super::format;
use crate::app::App;
use crate::hits::{Hits, Panel, Target};
use crate::process_list::ProcessList;
use crate::sampler::processes::ProcessReading;

/// Cells of the columns before the command: PID, user, threads, CPU %, RSS.
const WIDTHS: [u16; 5] = [7, 10, 4, 6, 9];

/// Draws the process list into `area`.
pub(super) fn render(
    app: &App,
    list: &ProcessList,
    frame: &mut Frame,
    area: Rect,
    hits: &mut Hits,
) {
    let theme = app.theme();
    let [header, filter, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);
    let detail = Some(" choose a process to watch, Enter to watch it ".to_owned());
    frame.render_widget(title_bar(app, app.visible_model(), detail, theme), header);
    frame.render_widget(filter_line(list, theme), filter);
    render_table(list, frame, body, theme, hits);
    render_footer(app, frame, footer, theme, hits);
}

/// What is typed, or how to type; a failed choice says why instead.
fn filter_line<'a>(list: &'a ProcessList, theme: &Theme) -> Paragraph<'a> {
    if let Some(why) = list.notice()
        && list.filter().is_empty()
    {
        return Paragraph::new(Span::styled(format!(" {why}"), theme.warn));
    }
    let line = if list.filter().is_empty() {
        Line::from(vec![
            Span::styled(" Filter: ", theme.accent),
            Span::styled("type part of a name, command, PID or user", theme.dim),
        ])
    } else {
        Line::from(vec![
            Span::styled(" Filter: ", theme.accent),
            Span::styled(list.filter(), theme.text.add_modifier(Modifier::BOLD)),
            Span::styled("▏", theme.accent),
            Span::styled(
                format!("  {} of {}", list.rows().len(), list.total()),
                theme.dim,
            ),
        ])
    };
    Paragraph::new(line)
}

/// `text` in at most `width` cells, its last one `…` when it is cut.
fn cut(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut kept: String = text.chars().take(width.saturating_sub(1)).collect();
    kept.push('…');
    kept
}

/// One process as a row of cells.
fn cells(process: &ProcessReading, own: bool, theme: &Theme) -> Row<'static> {
    let unknown = || "?".to_owned();
    let user = process.user.clone().map_or_else(
        || process.uid.map_or_else(unknown, |uid| uid.to_string()),
        |name| cut(&name, usize::from(WIDTHS[1]) - 1),
    );
    let cpu = process
        .cpu_pct
        .map_or_else(unknown, |pct| format!("{pct:.1}"));
    let cpu_style = match process.cpu_pct {
        Some(pct) if pct >= 80.0 => theme.load_high,
        Some(pct) if pct >= 50.0 => theme.load_mid,
        Some(_) => theme.text,
        None => theme.dim,
    };
    let command = process.command.clone().or_else(|| process.name.clone());
    Row::new(vec![
        Cell::from(format!("{:>6}", process.pid)),
        Cell::from(Span::styled(
            user,
            if own { theme.accent } else { theme.dim },
        )),
        Cell::from(format!(
            "{:>3}",
            process.threads.map_or_else(unknown, |t| t.to_string())
        )),
        Cell::from(Span::styled(format!("{cpu:>5}"), cpu_style)),
        Cell::from(format!(
            "{:>8}",
            process.rss_bytes.map_or_else(unknown, format::bytes)
        )),
        Cell::from(command.unwrap_or_else(unknown)),
    ])
    .style(theme.text)
}

/// The table, scrolled to keep the selection in view; its title says which
/// rows show and whether more lie below or above.
fn render_table(list: &ProcessList, frame: &mut Frame, area: Rect, theme: &Theme, hits: &mut Hits) {
    let inner = Block::default().borders(Borders::ALL).inner(area);
    // The header takes a line.
    let rows_shown = usize::from(inner.height.saturating_sub(1)).max(1);
    let count = list.rows().len();
    let selected = list.selected();
    let offset = selected.unwrap_or(0).saturating_sub(rows_shown - 1);
    let end = (offset + rows_shown).min(count);
    let arrows = match (offset > 0, end < count) {
        (true, true) => " ↑↓",
        (true, false) => " ↑",
        (false, true) => " ↓",
        (false, false) => "",
    };
    let first = if count == 0 { 0 } else { offset + 1 };
    let title = fitting(
        area.width,
        [
            format!(" Processes {first}–{end} of {count}{arrows} · yours first "),
            format!(" Processes {first}–{end} of {count}{arrows} "),
            format!(" {first}–{end} of {count}{arrows} "),
        ],
    );
    let rows: Vec<Row<'_>> = list
        .rows()
        .map(|p| cells(p, list.is_own(p), theme))
        .collect();
    let header =
        Row::new(["   PID", "USER", "THR", " CPU%", "     RSS", "COMMAND"]).style(theme.title);
    let widths = WIDTHS
        .iter()
        .map(|w| Constraint::Length(*w))
        .chain([Constraint::Fill(1)]);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(title);
    let table = Table::new(rows, widths)
        .header(header)
        .block(block)
        .column_spacing(1)
        .row_highlight_style(theme.selected);
    let mut state = TableState::default()
        .with_selected(selected)
        .with_offset(offset);
    frame.render_stateful_widget(table, area, &mut state);
    // The table scrolled as it had to; its offset says what each line shows.
    hits.add(area, Target::Panel(Panel::ProcessList));
    for (process, y) in list
        .rows()
        .skip(state.offset())
        .zip(inner.y.saturating_add(1)..inner.bottom())
    {
        hits.add(
            Rect::new(inner.x, y, inner.width, 1),
            Target::ProcessRow(process.pid),
        );
    }
    if count == 0 {
        let empty = if list.total() == 0 {
            "reading the processes…"
        } else {
            "no process matches the filter (Backspace deletes, Esc clears)"
        };
        let line = Rect::new(inner.x + 1, inner.y + 1, inner.width.saturating_sub(1), 1);
        frame.render_widget(Paragraph::new(empty).style(theme.dim), line);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::*;
    use crate::process_list::fixtures::list;

    fn app_typing(filter: &str) -> App {
        let mut app = App::with_process_list(Duration::from_millis(500), list());
        for c in filter.chars() {
            app.handle_key(&KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
        app
    }

    fn draw(app: &App, width: u16, height: u16) -> Terminal<TestBackend> {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
        terminal
            .draw(|frame| {
                crate::ui::render(app, frame);
            })
            .expect("draw");
        terminal
    }

    fn text(terminal: &Terminal<TestBackend>) -> String {
        let buffer = terminal.backend().buffer();
        (0..buffer.area.height)
            .map(|y| {
                (0..buffer.area.width)
                    .map(|x| buffer[(x, y)].symbol())
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn the_list_at_80x24() {
        let terminal = draw(&app_typing(""), 80, 24);
        let screen = text(&terminal);
        assert!(
            screen.contains("python3 crunch.py") && screen.contains('?'),
            "the rows, and `?` for what is unknown:\n{screen}"
        );
        insta::assert_snapshot!(terminal.backend());
    }

    #[test]
    fn the_list_filtered_at_80x24() {
        let terminal = draw(&app_typing("py"), 80, 24);
        let screen = text(&terminal);
        assert!(screen.contains("Filter: py"), "{screen}");
        assert!(
            screen.contains("crunch.py") && !screen.contains("sshd"),
            "only the matching rows:\n{screen}"
        );
        insta::assert_snapshot!(terminal.backend());
    }

    #[test]
    fn the_list_filtered_at_200x60() {
        insta::assert_snapshot!(draw(&app_typing("root"), 200, 60).backend());
    }

    #[test]
    fn a_filter_that_matches_nothing_says_so() {
        let screen = text(&draw(&app_typing("zzz"), 80, 24));
        assert!(screen.contains("no process matches the filter"), "{screen}");
    }

    #[test]
    fn the_help_in_the_list_lists_no_key_that_would_be_typed_into_the_filter() {
        let mut app = app_typing("");
        app.handle_key(&KeyEvent::new(KeyCode::Char('?'), KeyModifiers::NONE));
        let terminal = draw(&app, 80, 24);
        let screen = text(&terminal);
        assert!(screen.contains("Process list"), "{screen}");
        for typed in ["↑/k", "↓/j", "Home/g", "End/G"] {
            assert!(
                !screen.contains(typed),
                "`{typed}`: the letter is typed into the filter in the list:\n{screen}"
            );
        }
        insta::assert_snapshot!(terminal.backend());
    }

    #[test]
    fn a_click_selects_a_process_a_second_click_watches_it_and_the_wheel_scrolls() {
        use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
        let mut app = app_typing("");
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).expect("terminal");
        let mut draw_and_keep = |app: &mut App| {
            let mut hits = None;
            terminal
                .draw(|frame| hits = Some(crate::ui::render(app, frame)))
                .expect("draw");
            app.set_hits(hits.expect("hits"));
            text(&terminal)
        };
        let screen = draw_and_keep(&mut app);
        let row = screen
            .lines()
            .position(|line| line.contains("sshd"))
            .expect("the sshd row is drawn");
        let mouse = |kind, row: usize| MouseEvent {
            kind,
            column: 20,
            row: u16::try_from(row).expect("row"),
            modifiers: KeyModifiers::NONE,
        };
        let click = mouse(MouseEventKind::Down(MouseButton::Left), row);
        assert_eq!(app.handle_mouse(&click), crate::app::Action::Redraw);
        assert_eq!(
            app.process_list().and_then(ProcessList::selected_pid),
            Some(812),
            "a click selects the row clicked"
        );
        draw_and_keep(&mut app);
        assert_eq!(
            app.handle_mouse(&click),
            crate::app::Action::WatchProcess(812),
            "a click on the selected row watches it"
        );
        let mut app = app_typing("");
        draw_and_keep(&mut app);
        app.handle_mouse(&mouse(MouseEventKind::ScrollDown, row));
        assert_eq!(
            app.process_list().and_then(ProcessList::selected),
            Some(3),
            "the wheel moves the cursor three rows"
        );
    }
}
