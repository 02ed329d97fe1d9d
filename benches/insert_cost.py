#!/usr/bin/env python3
"""Raw cost of storing a ticket: plain SQL inserts of a ticket, its first message and its history
row into a copy of a demo database, 32 tickets per transaction (as the single writer batches
them), with the schema's triggers as they are. CPU time per ticket, median of ROUNDS rounds.

    python3 benches/insert_cost.py DB [TICKETS] [ROUNDS]

DB is copied first (the original is left as it is). Compare two databases, e.g. one made by the
previous version's `helpdesk demo` and the same after its migrations."""
import os, shutil, sqlite3, statistics, sys, tempfile, time

src = sys.argv[1]
count = int(sys.argv[2]) if len(sys.argv) > 2 else 3200
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
BATCH = int(os.environ.get("BATCH", "32"))
BODY = ("The printer on the third floor shows offline since this morning; I restarted it twice "
        "and the queue still holds my documents. Could someone have a look? Thanks.")
results = []
for r in range(rounds):
    work = tempfile.mkdtemp()
    db = os.path.join(work, "copy.db")
    shutil.copyfile(src, db)
    c = sqlite3.connect(db, isolation_level=None)
    c.execute("PRAGMA journal_mode = WAL")
    c.execute("PRAGMA synchronous = NORMAL")
    c.execute("PRAGMA foreign_keys = ON")
    now = int(time.time())
    t0 = time.process_time()
    for i in range(count):
        if i % BATCH == 0:
            c.execute("BEGIN")
        cur = c.execute(
            "INSERT INTO tickets (tracking_id, access_token, subject, requester_name, requester_email,"
            " category_id, priority_id, status_id, channel, lang, created_at, updated_at, message_count)"
            " VALUES (?, ?, ?, 'Ana Ruiz', 'ana@bench.example', 1, 1, 1, 'portal', 'en', ?, ?, 1)",
            (f"BEN-{r:02d}{i:05d}", f"tok{r}-{i}", f"Printer offline, floor {i % 7}", now, now))
        tid = cur.lastrowid
        c.execute("INSERT INTO messages (ticket_id, kind, author_name, body, created_at)"
                  " VALUES (?, 'requester', 'Ana Ruiz', ?, ?)", (tid, BODY, now))
        c.execute("INSERT INTO ticket_events (ticket_id, actor_kind, actor_name, field, created_at)"
                  " VALUES (?, 'requester', 'Ana Ruiz', 'created', ?)", (tid, now))
        if i % BATCH == BATCH - 1 or i == count - 1:
            c.execute("COMMIT")
    results.append((time.process_time() - t0) / count * 1e6)
    c.close()
    shutil.rmtree(work)
print(f"{statistics.median(results):.0f} µs per ticket (rounds: {', '.join(f'{x:.0f}' for x in results)})")
