//! Group commit on the single writer: writes waiting together share one commit, yet each caller
//! gets its own result, one write's failure fails no other, and what is to run after the commit
//! (`db::after_commit`, the job wakes) runs only for the writes that were kept. Over a real
//! SQLite file, and over the real server with concurrent submissions.

use std::sync::{Arc, Mutex};

use crate::common;
use crate::common::Multipart;
use crate::common::server::{self, Server};
use helpdesk::db::{self, Db};
use helpdesk::error::Error;

fn open() -> (tempfile::TempDir, Db) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = Db::open(&dir.path().join("helpdesk.db")).expect("open the database");
    (dir, db)
}

/// Inserts tag `name`, noting it in `ran` once the write committed; returns its id.
fn tag_write(
    name: String,
    ran: Arc<Mutex<Vec<String>>>,
) -> impl FnOnce(&rusqlite::Connection) -> helpdesk::error::Result<i64> + Send + 'static {
    move |c| {
        c.execute(
            "INSERT INTO tags (name, created_at) VALUES (?1, 0)",
            [&name],
        )?;
        let id = c.last_insert_rowid();
        db::after_commit(move || ran.lock().expect("ran").push(name));
        Ok(id)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writes_get_their_own_results_and_a_failing_one_fails_no_other() {
    let (_dir, db) = open();
    db.write(|c| {
        Ok(c.execute(
            "INSERT INTO tags (name, created_at) VALUES ('taken', 0)",
            [],
        )?)
    })
    .await
    .expect("first tag");
    let ran = Arc::new(Mutex::new(Vec::new()));

    // Hold the writer until every write below is queued, so they meet in its queue.
    let (open_gate, gate) = std::sync::mpsc::channel::<()>();
    let held = {
        let db = db.clone();
        tokio::spawn(async move {
            db.write(move |_| {
                let _ = gate.recv();
                Ok(0)
            })
            .await
        })
    };
    let mut writes = Vec::new();
    for i in 0..40 {
        let db = db.clone();
        let ran = ran.clone();
        writes.push(tokio::spawn(async move {
            match i {
                // A constraint violation.
                13 => db.write(tag_write("taken".into(), ran)).await,
                // A write that changes rows, then refuses: its rows must go too.
                27 => {
                    db.write(move |c| {
                        tag_write("refused".into(), ran)(c)?;
                        Err(Error::BadRequest("refused".into()))
                    })
                    .await
                }
                _ => db.write(tag_write(format!("tag {i}"), ran)).await,
            }
        }));
    }
    while db.queued_writes() < 41 {
        tokio::task::yield_now().await;
    }
    open_gate.send(()).expect("open the gate");
    held.await.expect("task").expect("the held write");

    let mut kept = Vec::new();
    for (i, write) in writes.into_iter().enumerate() {
        let out = write.await.expect("task");
        match i {
            13 => assert!(
                matches!(&out, Err(Error::Internal(m)) if m.contains("UNIQUE")),
                "{out:?}"
            ),
            27 => assert!(matches!(out, Err(Error::BadRequest(_))), "{out:?}"),
            _ => kept.push((i, out.expect("a valid write succeeds"))),
        }
    }
    // Each caller got the id of the very row it inserted.
    for (i, id) in &kept {
        let id = *id;
        let name: String = db
            .read(move |c| {
                Ok(c.query_row("SELECT name FROM tags WHERE id = ?1", [id], |r| r.get(0))?)
            })
            .await
            .expect("the tag is stored");
        assert_eq!(name, format!("tag {i}"));
    }
    let stored: i64 = db
        .read(|c| Ok(c.query_row("SELECT COUNT(*) FROM tags", [], |r| r.get(0))?))
        .await
        .expect("count");
    assert_eq!(stored, 1 + 38, "the failed writes left nothing");
    let mut ran = ran.lock().expect("ran").clone();
    ran.sort();
    let mut expected: Vec<String> = kept.iter().map(|(i, _)| format!("tag {i}")).collect();
    expected.sort();
    assert_eq!(ran, expected, "hooks ran for the kept writes only");
}

#[tokio::test]
async fn a_job_is_woken_after_a_write_commits_and_never_after_one_fails() {
    let (_dir, db) = open();
    let mut job = helpdesk::jobs::wake::subscribe("test_groupcommit_wake");
    let failed = db
        .write(|c| {
            c.execute("INSERT INTO tags (name, created_at) VALUES ('x', 0)", [])?;
            helpdesk::jobs::wake::after_commit("test_groupcommit_wake");
            Err::<(), _>(Error::BadRequest("no".into()))
        })
        .await;
    assert!(failed.is_err());
    assert!(!job.pending(), "a failed write wakes nobody");
    db.write(|c| {
        helpdesk::jobs::wake::after_commit("test_groupcommit_wake");
        Ok(c.execute("INSERT INTO tags (name, created_at) VALUES ('y', 0)", [])?)
    })
    .await
    .expect("write");
    assert!(job.pending(), "woken once the write committed");
    job.clear();
    db.write_blocking(|c| {
        helpdesk::jobs::wake::after_commit("test_groupcommit_wake");
        Ok(c.execute("INSERT INTO tags (name, created_at) VALUES ('z', 0)", [])?)
    })
    .expect("blocking write");
    assert!(job.pending(), "write_blocking wakes after its commit too");
}

/// A commit that fails fails every write of its group; the writer relies on no constraint of
/// the schema waiting for the commit, so that a commit can fail only for the storage.
#[test]
fn no_constraint_of_the_schema_is_deferred_to_the_commit() {
    let (_dir, db) = open();
    let deferred: Vec<String> = db
        .read_blocking(|c| {
            let mut stmt = c.prepare(
                "SELECT name FROM sqlite_master WHERE upper(sql) LIKE '%INITIALLY DEFERRED%'",
            )?;
            let names = stmt.query_map([], |r| r.get(0))?;
            Ok(names.collect::<rusqlite::Result<_>>()?)
        })
        .expect("schema");
    assert!(deferred.is_empty(), "deferred constraints in {deferred:?}");
}

/// Sixteen people submitting at once: each is sent to the page of the ticket they wrote.
#[test]
fn concurrent_submissions_each_lead_to_their_own_ticket() {
    let _heavy = common::heavy_test_lock();
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start(&dir.path().join("helpdesk.db"));
    let base = server.url("");
    let handles: Vec<_> = (0..16)
        .map(|n| {
            let base = base.clone();
            std::thread::spawn(move || {
                let agent = server::agent();
                let token = server::csrf_from(&agent, &format!("{base}/tickets/new"));
                for i in 0..5 {
                    let subject = format!("Group commit {n}-{i}");
                    let mut form = Multipart::new();
                    form.text("csrf_token", &token)
                        .text("name", &format!("Client {n}"))
                        .text("email", &format!("client{n}@office.example"))
                        .text("category", "1")
                        .text("subject", &subject)
                        .text("message", &format!("Message of {subject}"));
                    let res = agent
                        .post(&format!("{base}/tickets"))
                        .set("Content-Type", &Multipart::header_value())
                        .send_bytes(&form.finish())
                        .expect("submission");
                    assert_eq!(res.status(), 303);
                    let location = res.header("Location").expect("redirect").to_string();
                    let page = agent
                        .get(&format!("{base}{location}"))
                        .call()
                        .expect("ticket page")
                        .into_string()
                        .expect("body");
                    assert!(page.contains(&subject), "{location} shows {subject}");
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("client");
    }
}
