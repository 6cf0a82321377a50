//! The sort menu (F6, as htop's "Sort by"): the columns the thread table may
//! be sorted by, what each means, the one sorted by marked with its
//! direction, the cursor on one. Enter or a click sorts by it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::app::App;
use crate::hits::{Hits, Target};
use crate::thread_view::SORTABLE;

/// Cells the header column takes (`WAITING ON` and a mark).
const HEADER_WIDTH: usize = 11;

/// Draws the menu over the middle of `area`; each entry is clickable.
pub(super) fn render(app: &App, frame: &mut Frame, area: Rect, hits: &mut Hits) {
    let Some(cursor) = app.sort_menu() else {
        return;
    };
    let theme = app.theme();
    let sort = app.sort();
    let lines: Vec<Line<'_>> = SORTABLE
        .iter()
        .enumerate()
        .map(|(index, column)| {
            let mark = if *column != sort.column {
                " "
            } else if sort.descending {
                "▼"
            } else {
                "▲"
            };
            let style = if index == cursor {
                theme.text.patch(theme.selected)
            } else {
                theme.text
            };
            Line::from(vec![
                Span::styled(
                    format!(" {:<HEADER_WIDTH$}", format!("{}{mark}", column.header())),
                    style,
                ),
                Span::styled(format!(" {} ", column.meaning()), style.patch(theme.dim)),
            ])
        })
        .collect();
    let widest = lines.iter().map(Line::width).max().unwrap_or(0);
    let width = (u16::try_from(widest).unwrap_or(u16::MAX) + 2).min(area.width);
    let height = (SORTABLE.len() as u16 + 2).min(area.height);
    let popup = Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.accent)
        .title(" Sort by (↑↓ Enter; again: reverse; Esc) ");
    let inner = block.inner(popup);
    // The cursor stays in view on a short screen.
    let shown = usize::from(inner.height);
    let first = (cursor + 1).saturating_sub(shown);
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(
            lines
                .into_iter()
                .skip(first)
                .take(shown)
                .collect::<Vec<_>>(),
        )
        .block(block),
        popup,
    );
    for (index, y) in (first..SORTABLE.len()).zip(inner.y..inner.bottom()) {
        hits.add(
            Rect::new(inner.x, y, inner.width, 1),
            Target::SortEntry(SORTABLE[index]),
        );
    }
}
