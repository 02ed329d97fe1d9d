//! The staff ticket list as CSV (`/staff/tickets.csv`, with the list's query parameters): every
//! ticket of the filtered, searched list, in the viewer's categories, streamed. A blocking task
//! reads the tickets a page at a time by keyset (`tickets::export`) and hands each page, written
//! as CSV, through a channel of two pages to the response; the next page is read only once the
//! client has taken one, so memory stays flat however many tickets there are.

use rocket::http::{ContentType, Header};
use rocket::request::Request;
use rocket::response::stream::ByteStream;
use rocket::response::{self, Responder, Response};
use rocket::tokio::sync::mpsc;
use rocket::{State, get};

use super::refdata;
use super::ticket_list::{DayParams, filter_of};
use crate::auth::StaffUser;
use crate::csv_export::{iso_in, neutralise, writer};
use crate::error::Result;
use crate::tickets::export::{self, Row};
use crate::tickets::{RefData, list};
use crate::web::{App, Page};

/// Tickets read and written per page of the walk.
const PAGE: i64 = 1000;

/// The column names, in order; one column per active custom field follows, named by its key.
pub const HEADER: [&str; 17] = [
    "tracking_id",
    "subject",
    "requester_name",
    "requester_email",
    "status",
    "priority",
    "category",
    "assignee",
    "channel",
    "created_at",
    "updated_at",
    "first_response_at",
    "resolved_at",
    "due_at",
    "messages",
    "time_spent_minutes",
    "tags",
];

/// A CSV file sent as it is written.
pub(super) struct CsvStream {
    name: String,
    chunks: mpsc::Receiver<Vec<u8>>,
}

impl<'r> Responder<'r, 'r> for CsvStream {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'r> {
        let mut chunks = self.chunks;
        let body = ByteStream! {
            while let Some(chunk) = chunks.recv().await {
                yield chunk;
            }
        };
        Response::build_from(body.respond_to(req)?)
            .header(ContentType::new("text", "csv").with_params(("charset", "utf-8")))
            .header(Header::new(
                "Content-Disposition",
                format!("attachment; filename=\"{}\"", self.name),
            ))
            .ok()
    }
}

/// The active custom fields: one column each, after `HEADER`'s.
fn field_columns(refdata: &RefData) -> Vec<&crate::fields::FieldDef> {
    refdata.fields.iter().filter(|f| f.active).collect()
}

fn csv_row(r: &Row, refdata: &RefData, zone: &jiff::tz::TimeZone) -> Vec<String> {
    let time = |t: Option<i64>| t.map(|t| iso_in(t, zone)).unwrap_or_default();
    let text = |s: &str| neutralise(s);
    let custom = field_columns(refdata).into_iter().map(|f| {
        r.fields
            .iter()
            .find(|(id, _)| *id == f.id)
            .map(|(_, v)| text(&crate::fields::display(f.kind, v)))
            .unwrap_or_default()
    });
    let mut row = vec![
        text(&r.tracking_id),
        text(&r.subject),
        text(&r.requester_name),
        text(&r.requester_email),
        text(refdata.status(r.status_id).map_or("", |s| s.label.as_str())),
        text(
            refdata
                .priority(r.priority_id)
                .map_or("", |p| p.label.as_str()),
        ),
        text(
            refdata
                .category(r.category_id)
                .map_or("", |c| c.label.as_str()),
        ),
        text(
            r.assignee_id
                .and_then(|a| refdata.agent(a))
                .map_or("", |a| a.name.as_str()),
        ),
        text(&r.channel),
        time(Some(r.created_at)),
        time(Some(r.updated_at)),
        time(r.first_response_at),
        time(r.resolved_at),
        time(r.sla_due_at),
        r.message_count.to_string(),
        r.time_spent_minutes.to_string(),
        text(&r.tags),
    ];
    row.extend(custom);
    row
}

/// `rows` as CSV records (after the header, if `header`).
fn chunk(
    rows: &[Row],
    header: bool,
    refdata: &RefData,
    zone: &jiff::tz::TimeZone,
) -> Result<Vec<u8>> {
    let mut out = writer(Vec::with_capacity(rows.len() * 200 + 256));
    if header {
        let custom = field_columns(refdata).into_iter().map(|f| f.key.as_str());
        let names: Vec<&str> = HEADER.into_iter().chain(custom).collect();
        out.write_record(names).map_err(crate::csv_export::error)?;
    }
    for r in rows {
        out.write_record(csv_row(r, refdata, zone))
            .map_err(crate::csv_export::error)?;
    }
    out.into_inner()
        .map_err(|e| crate::error::Error::internal(format!("writing the CSV: {e}")))
}

#[allow(clippy::too_many_arguments)]
#[get("/tickets.csv?<view>&<status>&<priority>&<category>&<assignee>&<q>&<sort>&<dir>&<days..>")]
pub(super) async fn tickets_csv(
    staff: StaffUser,
    pg: Page<'_>,
    app: &State<App>,
    view: Option<&str>,
    status: Option<&str>,
    priority: Option<&str>,
    category: Option<&str>,
    assignee: Option<&str>,
    q: Option<&str>,
    sort: Option<&str>,
    dir: Option<&str>,
    days: DayParams,
    uri: &rocket::http::uri::Origin<'_>,
) -> Result<CsvStream> {
    let time = pg.time();
    let asked = [view, status, priority, category, assignee, q, sort, dir];
    let mut filter = filter_of(&staff, &time, asked, None, &days);
    let refdata = refdata(app, &pg).await?;
    filter.fields = super::ticket_list::field_filters(uri, &refdata);
    let (f, rd, me) = (filter.clone(), refdata.clone(), staff.id);
    // The conditions are decided once (the search's plan too), before the first byte is sent,
    // so a bad query is an error page rather than a broken file.
    let (clauses, params) = app
        .db
        .read(move |c| list::export_conditions(c, &f, me, &rd))
        .await?;
    let (tx, rx) = mpsc::channel::<Vec<u8>>(2);
    let (db, zone) = (app.db.clone(), time.zone.clone());
    rocket::tokio::task::spawn_blocking(move || {
        let mut before = None;
        let mut first = true;
        loop {
            let rows = db.read_blocking(|c| export::page(c, &clauses, &params, before, PAGE));
            let rows = match rows {
                Ok(rows) => rows,
                Err(e) => {
                    log::error!("ticket export stopped: {e}");
                    return;
                }
            };
            if rows.is_empty() && !first {
                return;
            }
            let bytes = match chunk(&rows, first, &refdata, &zone) {
                Ok(bytes) => bytes,
                Err(e) => {
                    log::error!("ticket export stopped: {e}");
                    return;
                }
            };
            // The client went away: stop reading.
            if tx.blocking_send(bytes).is_err() {
                return;
            }
            first = false;
            match rows.last() {
                Some(last) if rows.len() as i64 == PAGE => before = Some(last.id),
                _ => return,
            }
        }
    });
    let stamp = crate::desk_time::local_date(time.now, &time.zone);
    Ok(CsvStream {
        name: format!("tickets-{stamp}.csv"),
        chunks: rx,
    })
}
