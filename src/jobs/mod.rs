//! The background jobs. `wake`: the signals that run a job before its next tick because work
//! for it was just queued.

pub mod wake;

/// Sends the due mail of the outbox.
pub const MAIL_SEND: &str = "mail_send";
