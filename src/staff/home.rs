//! The agent home (`/staff`, the desk's landing page): counts that link to the ticket list
//! filtered as they count (`tickets::home`), kept rendered while the numbers stay the same.

use rocket::{State, get};
use serde_json::json;

use super::refdata;
use crate::auth::StaffUser;
use crate::error::Result;
use crate::tickets::home::{self, Viewer};
use crate::web::{App, Html, Page};

#[get("/")]
pub(super) async fn staff_home(staff: StaffUser, pg: Page<'_>, app: &State<App>) -> Result<Html> {
    let refdata = refdata(app, &pg).await?;
    let key = pg.list_page_key("staff/home.html", String::new());
    if let Some(html) = pg.unchanged_page(&key, &refdata, &app.settings()) {
        return Ok(html);
    }
    let time = pg.time();
    let viewer = Viewer {
        id: staff.id,
        access: staff.access.clone(),
        now: time.now,
        zone: time.zone.clone(),
    };
    let rd = refdata.clone();
    let at = viewer.now;
    let (home, until) = app
        .db
        .read(move |c| {
            let home = home::agent_home(c, &viewer, &rd)?;
            Ok((home, crate::tickets::list::next_deadline(c, at)?))
        })
        .await?;
    let incidents = super::incidents::summaries(app, &staff).await?;
    // Kept while every number (and link) is the same; the minute is in the inputs too.
    let fingerprint = json!([&home, &incidents]);
    let data = json!({ "home": home, "incidents": incidents });
    let mut inputs = pg.page_inputs(0, &refdata, &app.settings(), fingerprint);
    // The overdue and due-today numbers move when a deadline passes.
    inputs.until = until;
    if let Some(html) = pg.kept_page(&key, &inputs) {
        return Ok(html);
    }
    pg.render_kept(key, inputs, data)
}
