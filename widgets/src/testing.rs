//! Helpers shared by the widget tests: a style-free theme, sentinel buffers, snapshot
//! rendering and proptest strategies for hostile readings.

use proptest::prelude::*;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::{Buffer, Cell};
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::Widget;

use crate::Theme;

/// A theme with no styles at all, so an exact-buffer test compares symbols only.
pub(crate) const PLAIN: Theme = Theme {
    text: Style::new(),
    dim: Style::new(),
    accent: Style::new(),
    border: Style::new(),
    title: Style::new(),
    key: Style::new(),
    load_low: Style::new(),
    load_mid: Style::new(),
    load_high: Style::new(),
    gap: Style::new(),
    warn: Style::new(),
    alert: Style::new(),
    selected: Style::new(),
    good: Style::new(),
    computing: Style::new(),
    waiting_lock: Style::new(),
    waiting_permit: Style::new(),
    waiting_queue: Style::new(),
    waiting_gil: Style::new(),
    sleeping_io: Style::new(),
    idle: Style::new(),
    done: Style::new(),
};

/// A buffer over `outer` filled with `X`, except `inner`, which is blank: render into
/// `inner` and any stray write outside it shows.
pub(crate) fn sentinel(outer: Rect, inner: Rect) -> Buffer {
    let mut buf = Buffer::filled(outer, Cell::new("X"));
    for position in inner.positions() {
        buf[position].reset();
    }
    buf
}

/// Draws `widget` on a `width` x `height` test terminal and returns the screen as text.
pub(crate) fn screen(widget: impl Widget, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| frame.render_widget(widget, frame.area()))
        .unwrap();
    terminal.backend().to_string()
}

/// Renders `widget` into a `width` x `height` buffer at the origin.
pub(crate) fn render<W>(widget: &W, width: u16, height: u16) -> Buffer
where
    for<'w> &'w W: Widget,
{
    let mut buf = Buffer::empty(Rect::new(0, 0, width, height));
    widget.render(buf.area, &mut buf);
    buf
}

/// The symbols of row `y` of `buf`, as text.
pub(crate) fn row_text(buf: &Buffer, y: u16) -> String {
    (buf.area.left()..buf.area.right())
        .map(|x| buf[(x, y)].symbol())
        .collect()
}

/// Every row of `buf`, as text.
pub(crate) fn lines(buf: &Buffer) -> Vec<String> {
    (buf.area.top()..buf.area.bottom())
        .map(|y| row_text(buf, y))
        .collect()
}

/// Renders `widget` into buffers of any size: one placed away from the origin, so that
/// absolute and relative coordinates cannot be confused, and one against the far
/// corner of the coordinate space, so that position arithmetic cannot overflow.
pub(crate) fn render_any<W>(widget: &W, width: u16, height: u16)
where
    for<'w> &'w W: Widget,
{
    for area in [
        Rect::new(3, 2, width, height),
        Rect::new(u16::MAX - width, u16::MAX - height, width, height),
    ] {
        let mut buf = Buffer::empty(area);
        widget.render(area, &mut buf);
    }
}

/// A percentage as live data may deliver it: usually sane, sometimes NaN, infinite,
/// negative, far above 100, or missing.
pub(crate) fn hostile_percent() -> impl Strategy<Value = Option<f32>> {
    proptest::option::of(prop_oneof![
        4 => 0.0f32..=100.0,
        1 => Just(f32::NAN),
        1 => Just(f32::INFINITY),
        1 => Just(f32::NEG_INFINITY),
        1 => -1.0e6f32..0.0,
        1 => 100.0f32..1.0e30,
    ])
}

/// A widget size from nothing up to a large terminal.
pub(crate) fn any_size() -> impl Strategy<Value = (u16, u16)> {
    (0u16..=250, 0u16..=80)
}
