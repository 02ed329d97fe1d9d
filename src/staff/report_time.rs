//! The reports' time-spent table, as CSV only (`/staff/reports.csv?table=time`): minutes staff
//! entered in the report's range, totalled per agent and per category, within what the viewer
//! may see (their categories; an agent sees the team's time there, like the other tables) and
//! the report's category and agent filters.

use crate::auth::StaffUser;
use crate::csv_export::{error, neutralise, writer};
use crate::error::Result;
use crate::reports::Range;
use crate::reports::figures::Filters;
use crate::tickets::RefData;
use crate::tickets::time_spent::{self, TimeTotal};
use crate::web::App;

pub(super) const NAME: &str = "time";

pub(super) async fn csv(
    app: &App,
    staff: &StaffUser,
    refdata: &RefData,
    range: &Range,
    filters: &Filters,
) -> Result<Vec<u8>> {
    let (from, to) = (range.start, range.end);
    let access = staff.access.clone();
    let (category, agent) = (filters.category, filters.agent);
    let totals = app
        .db
        .read(move |c| {
            time_spent::totals(c, from, to, |by, cat| {
                access.allows(cat)
                    && category.is_none_or(|want| want == cat)
                    && agent.is_none_or(|want| want == by)
            })
        })
        .await?;
    write(&totals, refdata)
}

fn write(totals: &[TimeTotal], refdata: &RefData) -> Result<Vec<u8>> {
    let mut out = writer(Vec::new());
    out.write_record(["by", "id", "name", "minutes", "entries", "tickets"])
        .map_err(error)?;
    for t in totals {
        let name = match t.by {
            "agent" => refdata.agent(t.id).map(|a| a.name.clone()),
            _ => refdata.category(t.id).map(|c| c.label.clone()),
        }
        .unwrap_or_default();
        out.write_record([
            t.by.to_string(),
            t.id.to_string(),
            neutralise(&name),
            t.minutes.to_string(),
            t.entries.to_string(),
            t.tickets.to_string(),
        ])
        .map_err(error)?;
    }
    out.into_inner()
        .map_err(|e| crate::error::Error::internal(format!("writing the CSV: {e}")))
}
