//! Schema versions: `schema.sql` is version 1; each file in `migrations/` moves one version up.
//! The applied version lives in `PRAGMA user_version`. Never edit a shipped migration: add one.

use rusqlite::Connection;

use crate::error::{Error, Result};

const BASELINE: &str = include_str!("../../schema.sql");

/// Migrations after the baseline, in order: entry `i` takes the schema to version `i + 2`.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0002_search.sql"),
    include_str!("migrations/0003_kb.sql"),
    include_str!("migrations/0004_kb_files.sql"),
    include_str!("migrations/0005_outbox.sql"),
    include_str!("migrations/0006_mail_in.sql"),
    include_str!("migrations/0007_notifications.sql"),
    include_str!("migrations/0008_mail_admin.sql"),
    include_str!("migrations/0009_ticket_revision.sql"),
    include_str!("migrations/0010_ticket_channel.sql"),
    include_str!("migrations/0011_jobs.sql"),
    include_str!("migrations/0012_staff_sessions.sql"),
    include_str!("migrations/0013_outbox_message_id.sql"),
    include_str!("migrations/0014_audit_filters.sql"),
    include_str!("migrations/0015_password_resets.sql"),
    include_str!("migrations/0016_staff_access.sql"),
    include_str!("migrations/0017_staff_totp.sql"),
    include_str!("migrations/0018_desk_time.sql"),
    include_str!("migrations/0019_canned_replies.sql"),
    include_str!("migrations/0020_rules.sql"),
    include_str!("migrations/0021_auto_assign.sql"),
    include_str!("migrations/0022_sla.sql"),
    include_str!("migrations/0023_recurring.sql"),
    include_str!("migrations/0024_api_tokens.sql"),
    include_str!("migrations/0025_tickets_requester_updated.sql"),
    include_str!("migrations/0026_webhooks.sql"),
    include_str!("migrations/0027_csat.sql"),
    include_str!("migrations/0028_refdata_names.sql"),
    include_str!("migrations/0029_report_metrics.sql"),
    include_str!("migrations/0030_list_fits.sql"),
    include_str!("migrations/0031_custom_fields.sql"),
    include_str!("migrations/0032_merge_links_tags_bulk.sql"),
    include_str!("migrations/0033_self_service.sql"),
    include_str!("migrations/0034_followers_time.sql"),
    include_str!("migrations/0035_live_events.sql"),
    include_str!("migrations/0036_incidents.sql"),
    include_str!("migrations/0037_triage.sql"),
    include_str!("migrations/0038_similar_terms.sql"),
    include_str!("migrations/0039_search_per_message.sql"),
    include_str!("migrations/0040_search_pending.sql"),
];

pub const SCHEMA_VERSION: i64 = 1 + MIGRATIONS.len() as i64;

pub fn migrate(conn: &mut Connection) -> Result<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version > SCHEMA_VERSION {
        return Err(Error::internal(format!(
            "the database is at schema version {version}, newer than this binary knows ({SCHEMA_VERSION}); \
             upgrade helpdesk"
        )));
    }
    if version == 0 {
        let tx = conn.transaction()?;
        tx.execute_batch(BASELINE)?;
        tx.pragma_update(None, "user_version", 1)?;
        tx.commit()?;
    }
    let mut version = version.max(1);
    while version < SCHEMA_VERSION {
        let tx = conn.transaction()?;
        tx.execute_batch(MIGRATIONS[(version - 1) as usize])?;
        version += 1;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
    }
    // Work a migration left for Rust, once the schema is whole (so the code that does it reads
    // the tables as this binary knows them); until it succeeds it is tried again at every start.
    crate::reports::metrics::fill_after_migration(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A desk at the version before `migration` (the start of its text), to migrate from.
    fn desk_before(migration: &str) -> Connection {
        let at = MIGRATIONS
            .iter()
            .position(|m| m.starts_with(migration))
            .unwrap();
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(BASELINE).unwrap();
        for m in &MIGRATIONS[..at] {
            conn.execute_batch(m).unwrap();
        }
        conn.pragma_update(None, "user_version", at as i64 + 1)
            .unwrap();
        conn
    }

    #[test]
    fn an_older_desk_gets_spanish_names_and_history_ids() {
        let mut conn = desk_before("-- Reference data in both languages");
        conn.execute_batch(
            "UPDATE statuses SET name = 'Paused' WHERE slug = 'on_hold';
             INSERT INTO tickets (tracking_id, access_token, subject, requester_name,
                 requester_email, category_id, priority_id, status_id, created_at, updated_at)
             VALUES ('AAA-AAA-AAAA', 't', 's', 'n', 'e@x', 2, 2, 1, 0, 0);
             INSERT INTO ticket_events (ticket_id, actor_name, field, old_value, new_value, created_at)
             VALUES (1, 'a', 'status', 'New', 'Paused', 1),
                    (1, 'a', 'category', 'Hardware', 'Software', 2),
                    (1, 'a', 'priority', 'Medium', 'Gone', 3),
                    (1, 'a', 'created', NULL, 'AAA-AAA-AAAA', 0);",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let one = |sql: &str| -> String { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
        assert_eq!(
            one("SELECT name_es FROM statuses WHERE slug = 'new'"),
            "Nuevo"
        );
        // Renamed by an admin: no Spanish name, so its custom name shows in both languages.
        assert_eq!(
            one("SELECT name_es FROM statuses WHERE slug = 'on_hold'"),
            ""
        );
        assert_eq!(
            one("SELECT name_es FROM categories WHERE name = 'Hardware'"),
            "Equipos"
        );
        assert_eq!(
            one("SELECT name_es FROM priorities WHERE slug = 'critical'"),
            "Crítica"
        );
        let ids = |field: &str| -> (Option<i64>, Option<i64>) {
            conn.query_row(
                "SELECT old_id, new_id FROM ticket_events WHERE field = ?1",
                [field],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap()
        };
        let id_of = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
        assert_eq!(
            ids("status"),
            (
                Some(id_of("SELECT id FROM statuses WHERE slug = 'new'")),
                Some(id_of("SELECT id FROM statuses WHERE slug = 'on_hold'"))
            )
        );
        assert_eq!(
            ids("category"),
            (
                Some(id_of("SELECT id FROM categories WHERE name = 'Hardware'")),
                Some(id_of("SELECT id FROM categories WHERE name = 'Software'"))
            )
        );
        // A name no row carries keeps no id: the history shows it as stored.
        assert_eq!(ids("priority").1, None);
        assert_eq!(ids("created"), (None, None));
    }
}
