//! Small pieces drawn over or inside panes.

pub mod form;
pub mod form_view;
pub mod help;
pub mod palette;
pub mod picker;

use ratatui::layout::Rect;

/// A box of at most `width` × `height` in the middle of `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let (width, height) = (width.min(area.width), height.min(area.height));
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}
