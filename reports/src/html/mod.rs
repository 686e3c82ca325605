//! `report.html`: the page a person opens to understand a run in a minute.

pub mod escape;
pub mod explain;
pub mod groups;
pub mod page;
pub mod story;
pub mod summary;
pub mod timeline_data;

pub use page::{render_page, Images, PageExtras};
