//! What every screen shares: the title bar, the per-core panel and the key
//! hints footer.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::{Block, Borders};

use ratatui::style::Modifier;
use ratatui::text::{Line, Span};

use corescope_widgets::{
    CoreLoad, CoreLoadPanel, KeyHints, Series, Severity, Theme, TitleBar, Warning, Warnings,
};

use super::format;

use crate::app::App;
use crate::hits::{Hits, Target};
use crate::keymap::Command;
use crate::model::{Model, PercentHistory};
use crate::snapshot::Snapshot;

/// The top line: corescope, live or paused, `detail` (what is watched), and
/// on the right the machine, the interval and the elapsed time (a replay
/// says its place in the recording beside its state instead).
pub(super) fn title_bar<'a>(
    app: &App,
    model: &Model,
    detail: Option<String>,
    theme: &Theme,
) -> TitleBar<'a> {
    // The run state sits on the left, which the title bar never drops: a
    // paused screen that does not say so would be read as live. A replay's
    // place in the recording goes with it, for the same reason.
    let replay = app.replay();
    let latest = model.latest();
    let ended = replay.is_some_and(|r| latest.is_some_and(|s| s.seq >= r.last_seq));
    // A watched program that exited (the process list's, or with `--stay`)
    // is not live: the figures stop at its exit.
    let exited = latest.is_some_and(|s| !s.target.alive);
    let (word, style) = if ended {
        ("■ END", theme.warn.add_modifier(Modifier::REVERSED))
    } else if app.paused() {
        ("PAUSED", theme.warn.add_modifier(Modifier::REVERSED))
    } else if exited {
        ("■ exited", theme.warn.add_modifier(Modifier::REVERSED))
    } else if replay.is_some() {
        ("▶ replay", theme.title)
    } else {
        ("● live", theme.title)
    };
    let place = replay.zip(latest).map_or_else(String::new, |(r, snap)| {
        format!(
            " {} / {}",
            format::elapsed(snap.elapsed),
            format::elapsed(r.length)
        )
    });
    let mut left = vec![
        // On the title's own background: the accent is the background's
        // colour in the dark theme, and would vanish into it.
        Span::styled(" corescope ", theme.title.add_modifier(Modifier::BOLD)),
        Span::styled(format!(" {word}{place} "), style),
    ];
    left.extend(detail.map(Span::raw));
    let elapsed = latest.map_or_else(String::new, |snap| {
        if replay.is_some() {
            String::new()
        } else {
            format!(" · {}", format::elapsed(snap.elapsed))
        }
    });
    let interval = match (replay, latest) {
        (Some(_), Some(snap)) => {
            crate::sampling_interval::as_recorded(app.interval(), snap.interval)
        }
        _ => app.interval(),
    };
    let every = crate::sampling_interval::label(interval);
    let right = latest.map(|snap| {
        Span::raw(format!(
            "{} cores · every {every}{elapsed} ",
            snap.cores.len(),
        ))
    });
    // On a narrow row: the interval and the elapsed time, the cores aside.
    let right_short = latest.map(|_| Span::raw(format!("{every}{elapsed} ")));
    TitleBar::new(Line::from(left))
        .right(Line::from(right.into_iter().collect::<Vec<_>>()))
        .right_short(Line::from(right_short.into_iter().collect::<Vec<_>>()))
        .theme(*theme)
}

/// The first of `titles` that fits a panel `width` cells wide, its borders
/// aside; the last (the shortest) when none does.
pub(crate) fn fitting<const N: usize>(width: u16, titles: [String; N]) -> String {
    let room = usize::from(width.saturating_sub(2));
    let last = titles.last().cloned().unwrap_or_default();
    titles
        .into_iter()
        .find(|title| title.chars().count() <= room)
        .unwrap_or(last)
}

/// A history as the widgets borrow it (no copy); empty when there is none.
pub(super) fn series(history: Option<&PercentHistory>) -> Series<'_> {
    history.map_or_else(Series::default, |h| {
        let (older, newer) = h.as_slices();
        Series::from_parts(older, newer)
    })
}

/// Draws one bar and one history line per core.
pub(super) fn render_cores(
    model: &Model,
    snapshot: &Snapshot,
    frame: &mut Frame,
    area: Rect,
    theme: &Theme,
) {
    let cores: Vec<CoreLoad<'_>> = snapshot
        .cores
        .iter()
        .map(|core| {
            let history = series(model.core_history(core.core));
            CoreLoad {
                core: core.core,
                busy_pct: core.busy_pct,
                history,
            }
        })
        .collect();
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(fitting(
            area.width,
            [
                " CPU cores: busy % now, history → ".to_owned(),
                " CPU cores → ".to_owned(),
                " Cores ".to_owned(),
            ],
        ));
    frame.render_widget(CoreLoadPanel::new(&cores).block(block).theme(*theme), area);
}

/// Draws the keys that apply now, as far as the width allows.
/// Each hint shown is clickable: a click does what its key does.
/// A notice about the last key (see [`App::notice`]) takes the line instead.
pub(super) fn render_footer(
    app: &App,
    frame: &mut Frame,
    area: Rect,
    theme: &Theme,
    hits: &mut Hits,
) {
    if let Some(notice) = app.notice() {
        frame.render_widget(
            Warnings::new(&[Warning {
                severity: Severity::Info,
                text: notice,
            }])
            .theme(*theme),
            area,
        );
        return;
    }
    // A filter on, or its prompt open, takes the left of the line.
    let area = super::filter_bar::render(app, frame, area, theme);
    let keymap = app.keymap();
    let mut commands: Vec<_> = app.active_commands().collect();
    commands.sort_by_key(|c| c.hint_rank());
    let labels: Vec<(Command, String, &'static str)> = commands
        .into_iter()
        .filter_map(|command| {
            let hint = app.hint(command)?;
            Some((command, keymap.first_key_label(command)?, hint))
        })
        .collect();
    let texts: Vec<(&str, &str)> = labels.iter().map(|(_, k, h)| (k.as_str(), *h)).collect();
    let widget = KeyHints::new(&texts).theme(*theme);
    for (rect, (command, _, _)) in widget.positions(area).into_iter().zip(&labels) {
        hits.add(rect, Target::Hint(*command));
    }
    frame.render_widget(widget, area);
}
