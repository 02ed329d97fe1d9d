//! The desk's own timed work on tickets: passes of the job runner (`crate::jobs`) that change
//! tickets through the same actions as a person, as a system actor named in the history.

pub mod auto_close;
pub mod recurring;
