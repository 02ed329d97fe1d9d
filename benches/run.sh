#!/usr/bin/env bash
# Load benchmark on loopback with wrk: every scenario a real office produces, at 100,000 tickets.
#
#   benches/run.sh [TICKETS] [DURATION]      (defaults: 100000 tickets, 10s per scenario)
#
# Needs wrk, curl and python3 (apt-get install wrk curl). Prints a Markdown table: requests/s,
# p50/p99 latency, and each rate as a ratio to the framework floor (/healthz), plus demo-data
# time, cold start, resident memory and binary size. ARTICLES=1000 knowledge-base articles. Bounded: one wrk run per scenario.
# ONLY=REGEX runs just the scenarios whose name matches (grep -E), besides the floor, e.g.
# ONLY='by due|overdue' benches/run.sh.
set -euo pipefail

TICKETS=${1:-100000}
DURATION=${2:-10s}
ARTICLES=${ARTICLES:-1000}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-16}
ONLY=${ONLY:-}

cd "$(dirname "${BASH_SOURCE[0]}")/.."
for tool in wrk curl python3; do
    command -v "$tool" >/dev/null || { echo "benches/run.sh needs $tool (apt-get install $tool)" >&2; exit 1; }
done
# BIN=PATH benches an already built binary (e.g. a copy of the previous commit's, to compare
# before and after in the same minute); by default the release build of this tree.
if [ -z "${BIN:-}" ]; then
    cargo build --release --locked --quiet
    BIN=$PWD/target/release/helpdesk
fi

WORK=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
DB=$WORK/bench.db
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT

ms_now() { date +%s%N | cut -b1-13; }

t0=$(ms_now)
"$BIN" --db "$DB" demo --tickets "$TICKETS" --articles "$ARTICLES" >"$WORK/demo.out" 2>&1 \
    || { cat "$WORK/demo.out" >&2; exit 1; }
demo_ms=$(( $(ms_now) - t0 ))
# RULES (20 by default) active automation rules, as a busy desk has: each looks at the category
# and the new ticket's words (so each submission reads and folds its message) and would raise the
# priority; none matches the bench's tickets, so every one is evaluated in full.
RULES=${RULES:-20}
python3 - "$DB" "$RULES" <<'PY'
import json, sqlite3, sys, time
c = sqlite3.connect(sys.argv[1])
high = c.execute("SELECT id FROM priorities WHERE slug = 'high'").fetchone()[0]
now = int(time.time())
for i in range(int(sys.argv[2])):
    conditions = [{"category_is": [1 + i % 5]}, {"message_contains": [f"zyxwv{i}", "no arranca"]}]
    c.execute(
        "INSERT INTO rules (name, active, position, event, by_whom, match_mode, conditions, actions,"
        " created_at, updated_at) VALUES (?, 1, ?, 'created', 'any', 'all', ?, ?, ?, ?)",
        (f"Bench rule {i}", i, json.dumps(conditions), json.dumps([{"set_priority": high}]), now, now),
    )
c.commit()
PY
# Each demo agent gets its own password, printed once as "  EMAIL  PASSWORD".
MARTA_PASSWORD=$(awk '$1 == "marta@demo.example" { print $2 }' "$WORK/demo.out")
[ -n "$MARTA_PASSWORD" ] || { echo "no password for marta@demo.example in the demo output:" >&2; cat "$WORK/demo.out" >&2; exit 1; }
# The same agent's API token, made as a script would (the token alone on standard output).
API_TOKEN=$("$BIN" --db "$DB" token create --email marta@demo.example --name bench 2>/dev/null)
API_AUTH="Authorization: Bearer $API_TOKEN"

t0=$(ms_now)
# The per-token API rate limit stays on (its cost is measured) but far above what wrk sends.
# The portal's submission limits (per email and per client address, per hour) are turned off:
# wrk submits thousands of tickets a second from one address and one email.
echo "benches/run.sh: portal submission limits off (HELPDESK_SUBMIT_LIMIT_PER_EMAIL_HOUR=0, HELPDESK_SUBMIT_LIMIT_PER_ADDRESS_HOUR=0)" >&2
HELPDESK_LOG_LEVEL=off HELPDESK_API_RATE_PER_MINUTE=1000000000 \
    HELPDESK_SUBMIT_LIMIT_PER_EMAIL_HOUR=0 HELPDESK_SUBMIT_LIMIT_PER_ADDRESS_HOUR=0 "$BIN" --db "$DB" serve --bind "127.0.0.1:$PORT" >"$WORK/serve.log" 2>&1 &
PID=$!
until curl -sf -o /dev/null "$BASE/healthz"; do sleep 0.002; done
cold_ms=$(( $(ms_now) - t0 ))
rss_idle=$(awk '/VmRSS/ {print $2}' "/proc/$PID/status")

# Staff session (a demo agent) and a portal visitor's CSRF cookie + token.
csrf_of() { sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -n1; }
cookie_header() { awk '!/^#/ || /^#HttpOnly_/ { if (NF >= 7) printf "%s%s=%s", (n++ ? "; " : ""), $6, $7 }' "$1"; }
token=$(curl -s -c "$WORK/staff.jar" "$BASE/staff/login" | csrf_of)
curl -s -o /dev/null -b "$WORK/staff.jar" -c "$WORK/staff.jar" --data-urlencode "csrf_token=$token" \
    --data-urlencode "email=marta@demo.example" --data-urlencode "password=$MARTA_PASSWORD" "$BASE/staff/login"
STAFF_COOKIE=$(cookie_header "$WORK/staff.jar")
# A second demo agent, Tom, limited to three categories: the agent home counts only theirs.
TOM_PASSWORD=$(awk '$1 == "tom@demo.example" { print $2 }' "$WORK/demo.out")
python3 - "$DB" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
tom = c.execute("SELECT id FROM staff WHERE email = 'tom@demo.example'").fetchone()[0]
c.execute("UPDATE staff SET all_categories = 0 WHERE id = ?", (tom,))
for (cat,) in c.execute("SELECT id FROM categories ORDER BY id LIMIT 3").fetchall():
    c.execute("INSERT OR IGNORE INTO staff_categories (staff_id, category_id) VALUES (?, ?)", (tom, cat))
c.commit()
PY
token=$(curl -s -c "$WORK/tom.jar" "$BASE/staff/login" | csrf_of)
curl -s -o /dev/null -b "$WORK/tom.jar" -c "$WORK/tom.jar" --data-urlencode "csrf_token=$token" \
    --data-urlencode "email=tom@demo.example" --data-urlencode "password=$TOM_PASSWORD" "$BASE/staff/login"
TOM_COOKIE=$(cookie_header "$WORK/tom.jar")
portal_token=$(curl -s -c "$WORK/portal.jar" "$BASE/tickets/new" | csrf_of)

# The power tools' filters: the demo's select field (Device) and a tag on every 50th ticket.
read -r DEVICE_FIELD < <(python3 - "$DB" <<'PY'
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1])
row = c.execute("SELECT id FROM fields WHERE key = 'device'").fetchone()
c.execute("INSERT OR IGNORE INTO tags (name, created_at) VALUES ('vpn', ?)", (int(time.time()),))
tag = c.execute("SELECT id FROM tags WHERE name = 'vpn'").fetchone()[0]
c.execute("INSERT OR IGNORE INTO ticket_tags (ticket_id, tag_id) SELECT id, ? FROM tickets WHERE id % 50 = 0", (tag,))
c.commit()
print(row[0] if row else 0)
PY
)

# A ticket in the middle of the data set, seen by its requester (cookie from the secret link).
read -r TICKET_ID TRACKING TOKEN < <(python3 - "$DB" "$TICKETS" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
row = c.execute("SELECT id, tracking_id, access_token FROM tickets WHERE id = ?", (max(1, int(sys.argv[2]) // 2),)).fetchone()
print(*row)
PY
)
curl -s -o /dev/null -b "$WORK/portal.jar" -c "$WORK/portal.jar" "$BASE/tickets/$TRACKING?token=$TOKEN"
PORTAL_COOKIE=$(cookie_header "$WORK/portal.jar")

# POST bodies: real multipart forms with the CSRF token, as a browser sends them.
B=----helpdeskbench
# post_script NAME COOKIE [PATH_LUA] FIELD=VALUE...: writes $WORK/NAME.lua for wrk; PATH_LUA, when
# not empty, is a Lua expression giving each request's path (n counts the requests).
post_script() {
    local name=$1 cookie=$2 path=$3
    shift 3
    python3 - "$B" "$@" >"$WORK/$name.body" <<'PY'
import sys
b, fields = sys.argv[1], [f.split("=", 1) for f in sys.argv[2:]]
out = "".join(f"--{b}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n" for k, v in fields)
sys.stdout.write(out + f"--{b}--\r\n")
PY
    {
        echo 'wrk.method = "POST"'
        echo "local f = io.open(\"$WORK/$name.body\", \"rb\"); wrk.body = f:read(\"*a\"); f:close()"
        echo "wrk.headers[\"Content-Type\"] = \"multipart/form-data; boundary=$B\""
        echo "wrk.headers[\"Cookie\"] = \"$cookie\""
        if [ -n "$path" ]; then
            echo "local n = 0"
            echo "request = function() n = n + 1; return wrk.format(nil, $path) end"
        fi
    } >"$WORK/$name.lua"
}
post_script submit "$PORTAL_COOKIE" "" "csrf_token=$portal_token" "name=Bench Mark" \
    "email=bench@office.example" "category=2" "priority=" "subject=Printer on floor 3 jams" \
    "message=Paper jam in tray 2 again."

# Staff replies spread over 2,000 other tickets, as agents answer many tickets (not one ticket
# thousands of times); the viewed ticket's page stays the same.
REPLY_FROM=$(( TICKET_ID + 1 ))
SPREAD=$(( TICKETS / 2 < 2000 ? TICKETS / 2 : 2000 ))
staff_token=$(curl -s -H "Cookie: $STAFF_COOKIE" "$BASE/staff/tickets/$REPLY_FROM" | csrf_of)
REPLY_TEXT="Restarted the print spooler; please try again and tell me if it jams."
post_script reply "$STAFF_COOKIE" "\"/staff/tickets/\" .. ($REPLY_FROM + n % $SPREAD) .. \"/reply\"" \
    "csrf_token=$staff_token" "kind=reply" "status=" "message=$REPLY_TEXT"
count_replies() { python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT COUNT(*) FROM messages WHERE body = ?", (sys.argv[2],)).fetchone()[0])' "$DB" "$REPLY_TEXT"; }

count_tickets() { python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT COUNT(*) FROM tickets").fetchone()[0])' "$DB"; }

FLOOR=
ROWS=()
# Whether scenario NAME runs (ONLY unset, or matching it); the floor always does.
wanted() { [ -z "$ONLY" ] || [ -z "$FLOOR" ] || grep -Eq -- "$ONLY" <<<"$1"; }
# bench NAME PATH [COOKIE] [LUA] [HEADER]
bench() {
    local name=$1 path=$2 cookie=${3:-} script=${4:-} header=${5:-} out
    wanted "$name" || return 0
    local args=(-t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency)
    [ -n "$cookie" ] && args+=(-H "Cookie: $cookie")
    [ -n "$header" ] && args+=(-H "$header")
    [ -n "$script" ] && args+=(-s "$script")
    out=$(wrk "${args[@]}" "$BASE$path")
    local rps p50 p99 errors
    rps=$(awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    errors=$(awk '/Non-2xx or 3xx/ {print $NF}' <<<"$out"); errors=${errors:-0}
    [ -z "$FLOOR" ] && FLOOR=$rps
    local ratio
    ratio=$(python3 -c "print(f'{$rps / $FLOOR:.2f}')")
    ROWS+=("| $name | $rps | $p50 | $p99 | $ratio | $errors |")
}

bench "framework floor (GET /healthz)" /healthz
bench "portal home" /
bench "new-ticket form" /tickets/new
bench "requester ticket page" "/tickets/$TRACKING" "$PORTAL_COOKIE"
bench "agent home (/staff)" /staff "$STAFF_COOKIE"
bench "staff ticket list (open view)" /staff/tickets "$STAFF_COOKIE"
bench "staff ticket list (all, page 100)" "/staff/tickets?view=all&page=100" "$STAFF_COOKIE"
bench "staff list filtered (category + status)" "/staff/tickets?view=all&category=2&status=6" "$STAFF_COOKIE"
bench "staff list filtered by tag (tag=vpn)" "/staff/tickets?view=all&tag=vpn" "$STAFF_COOKIE"
bench "staff list filtered by select field (Device = Laptop)" "/staff/tickets?view=all&field_$DEVICE_FIELD=Laptop" "$STAFF_COOKIE"
# The REST API's list, 50 tickets a page as the same agent (compare with the staff list's rows).
bench "api: ticket list (GET /api/v1/tickets?limit=50)" "/api/v1/tickets?limit=50" "" "" "$API_AUTH"
bench "api: ticket list filtered (category + status, limit=50)" "/api/v1/tickets?category=2&status=6&limit=50" "" "" "$API_AUTH"
# Service levels: the demo's open tickets have due times (some breached).
bench "staff ticket list by due time (open view)" "/staff/tickets?sort=due&dir=asc" "$STAFF_COOKIE"
bench "staff ticket list, overdue view" "/staff/tickets?view=overdue" "$STAFF_COOKIE"
bench "staff search (q=printer)" "/staff/tickets?view=all&q=printer" "$STAFF_COOKIE"
bench "staff search (q=printer offline)" "/staff/tickets?view=all&q=printer+offline" "$STAFF_COOKIE"
bench "staff ticket page" "/staff/tickets/$TICKET_ID" "$STAFF_COOKIE"
bench "suggestions while typing (/suggest)" "/suggest?q=printer+floor+offline"
bench "knowledge base search (/kb?q=)" "/kb?q=printer"
# One person at a time: what an agent searching or an employee typing waits for.
SINGLE=()
single() {
    local name=$1 path=$2 cookie=${3:-} out
    wanted "$name" || return 0
    local args=(-t1 -c1 -d"$DURATION" --latency)
    [ -n "$cookie" ] && args+=(-H "Cookie: $cookie")
    out=$(wrk "${args[@]}" "$BASE$path")
    SINGLE+=("| $name | $(awk '$1 == "50%" {print $2}' <<<"$out") | $(awk '$1 == "99%" {print $2}' <<<"$out") |")
}
single "agent home (/staff)" /staff "$STAFF_COOKIE"
single "agent home (/staff), agent limited to 3 categories" /staff "$TOM_COOKIE"
single "staff ticket list (open view)" /staff/tickets "$STAFF_COOKIE"
single "staff list filtered by tag (tag=vpn)" "/staff/tickets?view=all&tag=vpn" "$STAFF_COOKIE"
single "staff list filtered by select field (Device = Laptop)" "/staff/tickets?view=all&field_$DEVICE_FIELD=Laptop" "$STAFF_COOKIE"
single "staff ticket list by due time (open view)" "/staff/tickets?sort=due&dir=asc" "$STAFF_COOKIE"
single "staff ticket list by due time (all, page 60: past the deadlines)" "/staff/tickets?view=all&sort=due&dir=asc&page=60" "$STAFF_COOKIE"
single "staff ticket list, overdue view" "/staff/tickets?view=overdue" "$STAFF_COOKIE"
single "staff ticket page" "/staff/tickets/$TICKET_ID" "$STAFF_COOKIE"
single "staff search (q=printer)" "/staff/tickets?view=all&q=printer" "$STAFF_COOKIE"
single "staff search, open view (q=printer offline)" "/staff/tickets?q=printer+offline" "$STAFF_COOKIE"
single "staff search (q=impresion, accents folded)" "/staff/tickets?view=all&q=impresion" "$STAFF_COOKIE"
single "staff search by relevance (q=printer)" "/staff/tickets?view=all&q=printer&sort=relevance" "$STAFF_COOKIE"
single "suggestions (/suggest?q=printer floor offline)" "/suggest?q=printer+floor+offline"
single "suggestions (/suggest?q=my laptop battery drains)" "/suggest?q=my+laptop+battery+drains"
single "knowledge base search (/kb?q=printer)" "/kb?q=printer"
# Reports: the last 90 days of the demo's two years, as one agent opening the page waits and under
# load; then the whole ticket list as CSV, timed by curl, the server's memory sampled as it streams.
single "reports, last 90 days" "/staff/reports?range=last_90_days" "$STAFF_COOKIE"
single "reports, last 90 days, one category" "/staff/reports?range=last_90_days&category=2" "$STAFF_COOKIE"
single "reports, last 30 days by day" "/staff/reports?range=last_30_days&group=day" "$STAFF_COOKIE"
single "report table as CSV (times, last 90 days)" "/staff/reports.csv?table=times&range=last_90_days" "$STAFF_COOKIE"
bench "reports, last 90 days" "/staff/reports?range=last_90_days" "$STAFF_COOKIE"
# Similar solved tickets (similar): the list the staff ticket page's script loads for the viewed
# ticket (an FTS5 OR-query of its rarest words), one agent at a time.
single "similar solved tickets (/staff/tickets/ID/similar?part=1)" "/staff/tickets/$TICKET_ID/similar?part=1" "$STAFF_COOKIE"
CSV_LINE=
if wanted "ticket csv export"; then
    rss_csv_before=$(awk '/VmRSS/ {print $2}' "/proc/$PID/status")
    curl -s -H "Cookie: $STAFF_COOKIE" -o "$WORK/tickets.csv" -w '%{time_total}' \
        "$BASE/staff/tickets.csv?view=all" >"$WORK/csv.time" &
    CURL_PID=$!
    rss_csv_peak=$rss_csv_before
    while kill -0 "$CURL_PID" 2>/dev/null; do
        r=$(awk '/VmRSS/ {print $2}' "/proc/$PID/status")
        [ "$r" -gt "$rss_csv_peak" ] && rss_csv_peak=$r
        sleep 0.05
    done
    wait "$CURL_PID"
    rss_csv_after=$(awk '/VmRSS/ {print $2}' "/proc/$PID/status")
    csv_rows=$(python3 -c 'import csv,sys; print(sum(1 for _ in csv.reader(open(sys.argv[1], newline="", encoding="utf-8"))) - 1)' "$WORK/tickets.csv")
    CSV_LINE="- ticket csv export (/staff/tickets.csv?view=all): $csv_rows tickets, $(( $(stat -c %s "$WORK/tickets.csv") / 1024 / 1024 )) MB in $(cat "$WORK/csv.time") s; server resident memory $((rss_csv_before / 1024)) MB before, $((rss_csv_peak / 1024)) MB at most while it streamed, $((rss_csv_after / 1024)) MB after"
fi
before=$(count_tickets)
bench "ticket submission (POST, CSRF)" /tickets "" "$WORK/submit.lua"
after=$(count_tickets)
replies_before=$(count_replies)
bench "staff reply (POST, CSRF, $SPREAD tickets)" "/staff/tickets/$REPLY_FROM/reply" "" "$WORK/reply.lua"
replies_after=$(count_replies)
# --- Live conversations (issue 17 item 1): 500 open event streams ---------------------------------
# One Python process holds 500 Server-Sent Events streams open (250 on the requester's ticket page,
# 250 on the staff page; curl would cost a process each); the staff list is measured without and
# with them, and the server's resident memory before and with them open.
LIVE_LINE=
if wanted "live streams"; then
    cat >"$WORK/streams.py" <<'PY'
import socket, sys, time
port, n, portal, staff, tracking, ticket = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
socks = []
for i in range(n):
    path, cookie = (f"/tickets/{tracking}/events", portal) if i % 2 == 0 else (f"/staff/tickets/{ticket}/events", staff)
    s = socket.create_connection(("127.0.0.1", int(port)))
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\nCookie: {cookie}\r\n\r\n".encode())
    socks.append(s)
ok = sum(1 for s in socks if s.recv(64).startswith(b"HTTP/1.1 200"))
print(ok, flush=True)
time.sleep(3600)
PY
    bench "live streams: staff ticket list (open view), none open" /staff/tickets "$STAFF_COOKIE"
    rss_live_before=$(awk '/VmRSS/ {print $2}' "/proc/$PID/status")
    python3 "$WORK/streams.py" "${BASE##*:}" 500 "$PORTAL_COOKIE" "$STAFF_COOKIE" "$TRACKING" "$TICKET_ID" >"$WORK/streams.out" &
    STREAMS_PID=$!
    for _ in $(seq 1 300); do [ -s "$WORK/streams.out" ] && break; sleep 0.1; done
    sleep 1
    rss_live_open=$(awk '/VmRSS/ {print $2}' "/proc/$PID/status")
    bench "live streams: staff ticket list (open view), 500 open" /staff/tickets "$STAFF_COOKIE"
    kill "$STREAMS_PID" 2>/dev/null; wait "$STREAMS_PID" 2>/dev/null || true
    LIVE_LINE="- 500 open live event streams ($(cat "$WORK/streams.out") answered 200): server resident memory $((rss_live_before / 1024)) MB before, $((rss_live_open / 1024)) MB with them open (+$(( (rss_live_open - rss_live_before) / 1024 )) MB)"
fi
# --- group commit: one agent's page reads while 16 clients submit tickets (the writer busy) ---
# The submissions run a second longer than the reads, so every read happens under the writes.
UNDER_WRITES=()
under_writes() {
    local name=$1 path=$2 cookie=$3 secs=${DURATION%s} bg out
    wanted "$name" || return 0
    [[ $secs =~ ^[0-9]+$ ]] || secs=10
    wrk -t1 -c"$CONNECTIONS" -d"$((secs + 1))s" -s "$WORK/submit.lua" "$BASE/tickets" >"$WORK/under.out" &
    bg=$!
    sleep 0.5
    out=$(wrk -t1 -c1 -d"$DURATION" --latency -H "Cookie: $cookie" "$BASE$path")
    wait "$bg"
    UNDER_WRITES+=("| $name | $(awk '$1 == "50%" {print $2}' <<<"$out") | $(awk '$1 == "99%" {print $2}' <<<"$out") | $(awk '/Requests\/sec/ {printf "%.0f", $2}' "$WORK/under.out") |")
}
under_writes "staff ticket page, read while submissions run" "/staff/tickets/$TICKET_ID" "$STAFF_COOKIE"
under_writes "staff ticket list (open view), read while submissions run" /staff/tickets "$STAFF_COOKIE"
rss_load=$(awk '/VmRSS/ {print $2}' "/proc/$PID/status")

echo "## Benchmark: $TICKETS tickets, wrk -t$THREADS -c$CONNECTIONS -d$DURATION, $(nproc) cores, $(date -u +%F)"
echo
echo "| scenario | requests/s | p50 | p99 | ratio to floor | non-2xx/3xx |"
echo "|---|---:|---:|---:|---:|---:|"
printf '%s\n' "${ROWS[@]}"
echo
echo "One client at a time (wrk -t1 -c1 -d$DURATION):"
echo
echo "| page | p50 | p99 |"
echo "|---|---:|---:|"
printf '%s\n' "${SINGLE[@]}"
echo
if [ ${#UNDER_WRITES[@]} -gt 0 ]; then
    echo "One agent reading while wrk -t1 -c$CONNECTIONS submits tickets:"
    echo
    echo "| page | p50 | p99 | submissions/s meanwhile |"
    echo "|---|---:|---:|---:|"
    printf '%s\n' "${UNDER_WRITES[@]}"
    echo
fi
[ -n "$CSV_LINE" ] && echo "$CSV_LINE"
[ -n "$LIVE_LINE" ] && echo "$LIVE_LINE"
echo "- active automation rules during the run: $RULES"
echo "- tickets stored by the submission run: $((after - before)); replies stored by the reply run: $((replies_after - replies_before))"
echo "- demo --tickets $TICKETS --articles $ARTICLES: $((demo_ms / 1000)).$(printf '%03d' $((demo_ms % 1000)))s"
echo "- cold start to first answered request: ${cold_ms} ms"
echo "- resident memory: $((rss_idle / 1024)) MB idle, $((rss_load / 1024)) MB after the load"
echo "- release binary: $(( $(stat -c %s "$BIN") / 1024 / 1024 )) MB ($(stat -c %s "$BIN") bytes)"

# --- tools16 (issue 16): submissions with five custom fields, and a 10,000-ticket bulk change ---
# (a) The portal form with five custom fields (text, number, date, select, checkbox; two required)
# against the same form without any, back to back: two demo categories with no automation rule
# and no demo field ("Email" without fields, "Phones" with the five). The fields are added to the
# database with the server stopped (the server keeps its reference data), then it starts again.
# (b) "All 10,000 tickets matching this filter" (a tag on every tenth ticket) get a new status in
# the background while wrk loads the staff ticket page and submits tickets; the job's total time
# from its rows, the page's and the submissions' p99 (and worst) during it against just before.
if wanted "custom fields|bulk change"; then
    kill "$PID"; wait "$PID" 2>/dev/null || true
    read -r CAT_PLAIN CAT_FIELDS FIELD_IDS < <(python3 - "$DB" <<'PY'
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1])
now = int(time.time())
cat = lambda name: c.execute("SELECT id FROM categories WHERE name = ?", (name,)).fetchone()[0]
plain, phones = cat("Email"), cat("Phones")
ids = []
for key, label, kind, options, required in [
    ("bench_asset", "Bench asset number", "text", "", 1),
    ("bench_floor", "Bench floor", "number", "", 0),
    ("bench_bought", "Bench purchase date", "date", "", 0),
    ("bench_model", "Bench model", "select", "Desk phone\nMobile\nHeadset", 1),
    ("bench_spare", "Bench spare needed", "checkbox", "", 0),
]:
    c.execute("INSERT OR IGNORE INTO fields (key, label, kind, options, required, visible_to_requester, sort, active, created_at)"
              " VALUES (?, ?, ?, ?, ?, 1, 90, 1, ?)", (key, label, kind, options, required, now))
    fid = c.execute("SELECT id FROM fields WHERE key = ?", (key,)).fetchone()[0]
    c.execute("INSERT OR IGNORE INTO field_categories (field_id, category_id) VALUES (?, ?)", (fid, phones))
    ids.append(str(fid))
# (b)'s filter: a tag on every tenth ticket.
c.execute("INSERT OR IGNORE INTO tags (name, created_at) VALUES ('bulkbench', ?)", (now,))
tag = c.execute("SELECT id FROM tags WHERE name = 'bulkbench'").fetchone()[0]
c.execute("INSERT OR IGNORE INTO ticket_tags (ticket_id, tag_id) SELECT id, ? FROM tickets WHERE id % 10 = 1 LIMIT 10000", (tag,))
c.commit()
print(plain, phones, ",".join(ids))
PY
)
    HELPDESK_LOG_LEVEL=off HELPDESK_API_RATE_PER_MINUTE=1000000000 \
        HELPDESK_SUBMIT_LIMIT_PER_EMAIL_HOUR=0 HELPDESK_SUBMIT_LIMIT_PER_ADDRESS_HOUR=0 "$BIN" --db "$DB" serve --bind "127.0.0.1:$PORT" >>"$WORK/serve.log" 2>&1 &
    PID=$!
    until curl -sf -o /dev/null "$BASE/healthz"; do sleep 0.002; done
    # Fresh cookies: the session and CSRF cookies of the first start may not survive it.
    token=$(curl -s -c "$WORK/staff2.jar" "$BASE/staff/login" | csrf_of)
    curl -s -o /dev/null -b "$WORK/staff2.jar" -c "$WORK/staff2.jar" --data-urlencode "csrf_token=$token" \
        --data-urlencode "email=marta@demo.example" --data-urlencode "password=$MARTA_PASSWORD" "$BASE/staff/login"
    STAFF_COOKIE=$(cookie_header "$WORK/staff2.jar")
    portal_token=$(curl -s -c "$WORK/portal2.jar" "$BASE/tickets/new" | csrf_of)
    PORTAL2_COOKIE=$(cookie_header "$WORK/portal2.jar")
    IFS=, read -r F1 F2 F3 F4 F5 <<<"$FIELD_IDS"
    post_script submit_plain "$PORTAL2_COOKIE" "" "csrf_token=$portal_token" "name=Bench Mark" \
        "email=bench@office.example" "category=$CAT_PLAIN" "priority=" "subject=Mail stuck in the outbox" \
        "message=Outlook keeps the message in the outbox since this morning."
    post_script submit_fields "$PORTAL2_COOKIE" "" "csrf_token=$portal_token" "name=Bench Mark" \
        "email=bench@office.example" "category=$CAT_FIELDS" "priority=" "subject=Desk phone has no dial tone" \
        "message=The phone on desk 12 shows no line since this morning." \
        "fields[$F1]=AT-4711" "fields[$F2]=3" "fields[$F3]=2024-05-17" "fields[$F4]=Desk phone" "fields[$F5]=true"
    TOOLS16=()
    tickets16() { python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT COUNT(*) FROM tickets WHERE category_id = ?", (int(sys.argv[2]),)).fetchone()[0])' "$DB" "$1"; }
    values16() { python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT COUNT(*) FROM ticket_field_values WHERE field_id = ?", (int(sys.argv[2]),)).fetchone()[0])' "$DB" "$F1"; }
    wrk16() { # NAME PATH SCRIPT|'' COOKIE|'' [THREADS CONNECTIONS DURATION]: one table row
        local out args=(-t"${5:-$THREADS}" -c"${6:-$CONNECTIONS}" -d"${7:-$DURATION}" --latency)
        [ -n "$3" ] && args+=(-s "$3")
        [ -n "$4" ] && args+=(-H "Cookie: $4")
        out=$(wrk "${args[@]}" "$BASE$2")
        TOOLS16+=("| $1 | $(awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$out") | $(awk '$1 == "50%" {print $2}' <<<"$out") | $(awk '$1 == "99%" {print $2}' <<<"$out") | $(awk '$1 == "Latency" {print $4}' <<<"$out") | $(awk '/Non-2xx or 3xx/ {print $NF}' <<<"$out") |")
    }
    if wanted "custom fields"; then
        p0=$(tickets16 "$CAT_PLAIN"); v0=$(values16)
        wrk16 "ticket submission, no custom fields" /tickets "$WORK/submit_plain.lua" ""
        wrk16 "ticket submission with five custom fields" /tickets "$WORK/submit_fields.lua" ""
        wrk16 "ticket submission, no custom fields (again)" /tickets "$WORK/submit_plain.lua" ""
        wrk16 "ticket submission with five custom fields (again)" /tickets "$WORK/submit_fields.lua" ""
        TOOLS16_NOTE="- submissions stored: $(( $(tickets16 "$CAT_PLAIN") - p0 )) without fields, $(( $(values16) - v0 )) with the five fields (each with its five values)"
    fi
    if wanted "bulk change"; then
        open_status=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT id FROM statuses WHERE slug = '"'"'waiting'"'"'").fetchone()[0])' "$DB")
        wrk16 "staff ticket page, before the bulk change" "/staff/tickets/$TICKET_ID" "" "$STAFF_COOKIE" 1 4 10s
        wrk16 "ticket submission, before the bulk change" /tickets "$WORK/submit_plain.lua" "" 1 2 10s
        staff_token=$(curl -s -H "Cookie: $STAFF_COOKIE" "$BASE/staff/tickets?view=all&tag=bulkbench" | csrf_of)
        t0=$(ms_now)
        job_url=$(curl -s -o /dev/null -w '%{redirect_url}' -H "Cookie: $STAFF_COOKIE" \
            --data-urlencode "csrf_token=$staff_token" --data-urlencode "all_matching=true" \
            --data-urlencode "filter=view=all&tag=bulkbench" --data-urlencode "status=$open_status" \
            "$BASE/staff/tickets/bulk")
        JOB_ID=${job_url##*/}
        # The page and the submissions under the job, for as long as it may take (30 s at most).
        # Each in a subshell of its own (its row comes back through a file).
        ( wrk16 "staff ticket page, during the bulk change" "/staff/tickets/$TICKET_ID" "" "$STAFF_COOKIE" 1 4 30s; printf '%s\n' "${TOOLS16[-1]}" >"$WORK/during_page.row" ) &
        W1=$!
        ( wrk16 "ticket submission, during the bulk change" /tickets "$WORK/submit_plain.lua" "" 1 2 30s; printf '%s\n' "${TOOLS16[-1]}" >"$WORK/during_submit.row" ) &
        W2=$!
        bulk_ms=
        while [ -z "$bulk_ms" ] && [ $(( $(ms_now) - t0 )) -lt 120000 ]; do
            done16=$(python3 -c 'import sqlite3,sys; r=sqlite3.connect(sys.argv[1]).execute("SELECT done, total, finished_at IS NOT NULL FROM bulk_jobs WHERE id = ?", (int(sys.argv[2]),)).fetchone(); print(*r)' "$DB" "$JOB_ID" 2>/dev/null || echo "0 0 0")
            read -r d16 n16 f16 <<<"$done16"
            [ "$f16" = 1 ] && bulk_ms=$(( $(ms_now) - t0 ))
            sleep 0.1
        done
        wait "$W1" || true
        wait "$W2" || true
        BULK_NOTE="- bulk change of all $n16 tickets matching \"tag=bulkbench\" (job $JOB_ID, each ticket in its own savepoint, grouped per transaction): ${bulk_ms:-not finished within 120000} ms from the POST to the job's end; $d16 of $n16 done"
    fi
    echo
    echo "### tools16: custom fields and a bulk change (wrk, $(nproc) cores)"
    echo
    echo "| scenario | requests/s | p50 | p99 | max | non-2xx/3xx |"
    echo "|---|---:|---:|---:|---:|---:|"
    printf '%s\n' "${TOOLS16[@]}"
    [ -f "$WORK/during_page.row" ] && cat "$WORK/during_page.row"
    [ -f "$WORK/during_submit.row" ] && cat "$WORK/during_submit.row"
    echo
    [ -n "${TOOLS16_NOTE:-}" ] && echo "$TOOLS16_NOTE"
    [ -n "${BULK_NOTE:-}" ] && echo "$BULK_NOTE"
fi
