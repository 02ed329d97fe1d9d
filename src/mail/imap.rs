//! Incoming mail by IMAP polling (`imap_host`). One poll connects, logs in, selects
//! `imap_folder`, and imports every message not yet processed through `incoming::import`, one at
//! a time. A message is marked processed on the server (`\Seen` plus the `$HelpdeskImported`
//! keyword, then moved to `imap_move_to` when set) only after its import was committed, so a
//! crash in between imports it again on the next poll, where the Message-ID check skips it: no
//! message is lost, and none is imported twice.

mod stream;

use ::imap::types::Flag;

use super::incoming::{self, Outcome};
use crate::config::Config;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::jobs::JobCtx;
use crate::settings::Settings;
use stream::{Security, Stream};

/// Keyword set on every processed message; the next poll looks only for messages without it.
pub const KEYWORD: &str = "$HelpdeskImported";
/// Larger messages are not downloaded: their headers are quarantined and they stay on the server.
const MAX_MESSAGE: u32 = 30 * 1024 * 1024;

type Session = ::imap::Session<Stream>;

/// What one poll did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub messages: usize,
    pub tickets: usize,
    pub replies: usize,
    pub ignored: usize,
    pub quarantined: usize,
}

impl Summary {
    fn add(&mut self, outcome: &Outcome) {
        self.messages += 1;
        match outcome {
            Outcome::NewTicket { .. } => self.tickets += 1,
            Outcome::Added { .. } => self.replies += 1,
            Outcome::Ignored { .. } => self.ignored += 1,
            Outcome::Quarantined { .. } => self.quarantined += 1,
        }
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let count =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        write!(
            f,
            "{}: {}, {}, {} ignored, {} quarantined",
            count(self.messages, "message", "messages"),
            count(self.tickets, "ticket", "tickets"),
            count(self.replies, "reply", "replies"),
            self.ignored,
            self.quarantined
        )
    }
}

/// One poll of `imap_folder`. Fails when the server cannot be reached, refuses the login or the
/// folder, drops the connection, or nothing can be written to the database; what was imported
/// before that stays imported and marked.
pub fn poll(db: &Db, config: &Config) -> Result<Summary> {
    if config.imap_host.is_empty() {
        return Err(Error::BadRequest(
            "IMAP polling is off: set imap_host (HELPDESK_IMAP_HOST)".into(),
        ));
    }
    let mut session = login(config)?;
    let mut summary = Summary::default();
    let result = poll_folder(&mut session, db, config, &mut summary);
    // Politeness only: the work is done (or failed) either way.
    let _ = session.logout();
    match result {
        Ok(()) => Ok(summary),
        Err(e) if summary.messages > 0 => Err(Error::internal(format!("{e} (after {summary})"))),
        Err(e) => Err(e),
    }
}

fn server(config: &Config) -> String {
    format!("{}:{}", config.imap_host, config.imap_port())
}

fn login(config: &Config) -> Result<Session> {
    let server = server(config);
    let security = Security::parse(&config.imap_security);
    let (stream, greeted) = stream::connect(&config.imap_host, config.imap_port(), security)
        .map_err(|e| Error::internal(format!("IMAP server {server}: {e}")))?;
    let mut client = ::imap::Client::new(stream);
    if !greeted {
        client
            .read_greeting()
            .map_err(|e| Error::internal(format!("IMAP server {server}: no greeting: {e}")))?;
    }
    client
        .login(&config.imap_user, &config.imap_password)
        .map_err(|(e, _)| {
            Error::internal(format!(
                "IMAP login as {:?} on {server} failed: {e}",
                config.imap_user
            ))
        })
}

/// Wraps an IMAP failure with what was being done.
fn failed(what: String) -> impl FnOnce(::imap::Error) -> Error {
    move |e| Error::internal(format!("IMAP {what}: {e}"))
}

fn poll_folder(
    session: &mut Session,
    db: &Db,
    config: &Config,
    summary: &mut Summary,
) -> Result<()> {
    let folder = &config.imap_folder;
    let mailbox = session
        .select(folder)
        .map_err(failed(format!("folder {folder:?}")))?;
    // A server that cannot keep our keyword still keeps \Seen: then unseen mail is the new mail.
    let keyword = mailbox
        .permanent_flags
        .iter()
        .any(|f| matches!(f, Flag::MayCreate) || matches!(f, Flag::Custom(k) if k == KEYWORD));
    let (query, mark) = if keyword {
        (
            format!("UNKEYWORD {KEYWORD}"),
            format!("+FLAGS.SILENT (\\Seen {KEYWORD})"),
        )
    } else {
        ("UNSEEN".to_string(), "+FLAGS.SILENT (\\Seen)".to_string())
    };
    let mover = if config.imap_move_to.is_empty() {
        None
    } else {
        Some(Mover::new(session, &config.imap_move_to)?)
    };
    if let (Some(mover), true) = (&mover, keyword) {
        // Imported on an earlier poll whose move failed: only the move is left to do.
        let mut left = session
            .uid_search(format!("KEYWORD {KEYWORD}"))
            .map_err(failed("search".into()))?
            .into_iter()
            .collect::<Vec<_>>();
        left.sort_unstable();
        for uid in left {
            mover.apply(session, uid)?;
        }
    }
    let mut uids = session
        .uid_search(&query)
        .map_err(failed("search".into()))?
        .into_iter()
        .collect::<Vec<_>>();
    uids.sort_unstable();
    if uids.is_empty() {
        return Ok(());
    }
    let settings = db.read_blocking(Settings::load)?;
    for uid in uids {
        let Some(raw) = fetch(session, uid)? else {
            // Expunged meanwhile by another client: nothing to import.
            continue;
        };
        let outcome = match raw {
            Raw::Message(raw) => {
                db.write_blocking(|c| incoming::import(c, &raw, &settings, config))?
            }
            Raw::TooLarge { size, header } => db.write_blocking(|c| {
                incoming::quarantine(
                    c,
                    &header,
                    &format!(
                        "message of {size} bytes is over the {} MB limit; only its header is \
                         kept here, the message stays in the IMAP folder {folder:?}",
                        MAX_MESSAGE / (1024 * 1024)
                    ),
                )
            })?,
        };
        // Committed: now, and only now, the message may be marked as processed.
        summary.add(&outcome);
        session
            .uid_store(uid.to_string(), &mark)
            .map_err(failed(format!("marking message {uid} as imported")))?;
        if let Some(mover) = &mover {
            mover.apply(session, uid)?;
        }
    }
    Ok(())
}

enum Raw {
    Message(Vec<u8>),
    TooLarge { size: u32, header: Vec<u8> },
}

/// The message with this UID, without setting `\Seen` (BODY.PEEK); None when it is gone.
fn fetch(session: &mut Session, uid: u32) -> Result<Option<Raw>> {
    let set = uid.to_string();
    let sizes = session
        .uid_fetch(&set, "RFC822.SIZE")
        .map_err(failed(format!("fetching the size of message {uid}")))?;
    let Some(size) = sizes.iter().find(|f| f.uid == Some(uid)).map(|f| f.size) else {
        return Ok(None);
    };
    let size = size.unwrap_or(0);
    let (query, too_large) = if size > MAX_MESSAGE {
        ("BODY.PEEK[HEADER]", true)
    } else {
        ("BODY.PEEK[]", false)
    };
    let fetched = session
        .uid_fetch(&set, query)
        .map_err(failed(format!("fetching message {uid}")))?;
    let Some(found) = fetched.iter().find(|f| f.uid == Some(uid)) else {
        return Ok(None);
    };
    Ok(Some(if too_large {
        Raw::TooLarge {
            size,
            header: found.header().unwrap_or_default().to_vec(),
        }
    } else {
        // A message with no body section at all is still handed over (and quarantined).
        Raw::Message(found.body().unwrap_or_default().to_vec())
    }))
}

/// Moves processed messages to `imap_move_to`: MOVE (RFC 6851) where the server has it, else
/// COPY and `\Deleted`, expunged by UID only where UIDPLUS allows so that no other message the
/// user marked deleted is expunged with it.
struct Mover {
    to: String,
    has_move: bool,
    has_uidplus: bool,
}

impl Mover {
    fn new(session: &mut Session, to: &str) -> Result<Mover> {
        let caps = session
            .capabilities()
            .map_err(failed("capabilities".into()))?;
        let mover = Mover {
            to: to.to_string(),
            has_move: caps.has_str("MOVE"),
            has_uidplus: caps.has_str("UIDPLUS"),
        };
        // Usually there already: the error ("already exists") is expected and ignored; a real
        // problem shows when the first move fails.
        let _ = session.create(to);
        Ok(mover)
    }

    fn apply(&self, session: &mut Session, uid: u32) -> Result<()> {
        let set = uid.to_string();
        let what = || format!("moving message {uid} to {:?}", self.to);
        if self.has_move {
            return session.uid_mv(&set, &self.to).map_err(failed(what()));
        }
        session.uid_copy(&set, &self.to).map_err(failed(what()))?;
        session
            .uid_store(&set, "+FLAGS.SILENT (\\Deleted)")
            .map_err(failed(what()))?;
        if self.has_uidplus {
            session.uid_expunge(&set).map_err(failed(what()))?;
        }
        Ok(())
    }
}

/// The `mail_fetch` job's pass (run every `imap_interval_secs` when `imap_host` is set): one
/// poll. Imported mail is also logged, as it comes.
pub fn fetch_pass(ctx: &JobCtx) -> Result<String> {
    let summary = poll(&ctx.db, &ctx.config)?;
    if summary.messages > 0 {
        log::info!("mail fetch: {summary}");
    }
    Ok(summary.to_string())
}
