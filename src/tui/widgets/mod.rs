//! Small pieces drawn over or inside panes.

pub mod form;
pub mod help;
pub mod palette;
pub mod picker;
