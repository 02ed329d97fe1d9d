//! Reports (`/staff/reports`): tickets created, resolved and open over time, how long first
//! responses and resolutions took (median and 90th percentile, in calendar time and in the
//! desk's business hours), service-level targets met, satisfaction answers, the busiest
//! weekdays and hours, top categories and requesters, over a range of days grouped by day, week
//! or month.
//!
//! What a report counts is stored as it happens (`metrics`, a reaction to every ticket action),
//! so a page reads narrow rows through time indexes instead of the tickets' history;
//! `range` reads the days asked for, `figures` counts and `stats` has the medians. The pages,
//! charts and CSV files are the web layer's (`staff::reports`).

pub mod figures;
mod lists;
pub mod metrics;
pub mod model;
pub mod range;
pub mod stats;

pub use figures::{Filters, Report, Scope, compute};
pub use range::{Grouping, Preset, Range};
