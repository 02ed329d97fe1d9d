//! The ticket list's "Columns" menu: a plain form (no script needed) that saves which columns the
//! agent shows, then goes back to the list as it was (same filters and page).

use rocket::form::FromForm;
use rocket::response::{Flash, Redirect};
use rocket::{State, post};

use crate::auth::{StaffUser, users};
use crate::error::Result;
use crate::tickets::list_columns;
use crate::web::App;
use crate::web::csrf::{Checked, CsrfForm};

#[derive(FromForm)]
pub(super) struct ColumnsForm {
    #[field(default = String::new())]
    csrf_token: String,
    /// The ticked columns; the others are hidden.
    #[field(default = Vec::new())]
    show: Vec<String>,
    /// The list's query string to go back to.
    #[field(default = String::new())]
    back: String,
}

impl CsrfForm for ColumnsForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// The list address for `back` when it is a plain query string (what the page sends: names,
/// numbers, dates and percent-encoded text), else the list's first page.
fn back_to(back: &str) -> String {
    let plain = back.len() <= 1000
        && back
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.%&=+".contains(c));
    if plain && !back.is_empty() {
        format!("/staff/tickets?{back}")
    } else {
        "/staff/tickets".to_string()
    }
}

#[post("/tickets/columns", data = "<form>")]
pub(super) async fn save_columns(
    staff: StaffUser,
    app: &State<App>,
    form: Checked<ColumnsForm>,
) -> Result<Flash<Redirect>> {
    let f = form.0;
    let hidden = list_columns::hidden_from_shown(&f.show);
    let me = staff.id;
    app.db
        .write(move |c| users::set_list_hidden_columns(c, me, &hidden))
        .await?;
    Ok(Flash::success(
        Redirect::to(back_to(&f.back)),
        "list_flash_columns_saved",
    ))
}

#[cfg(test)]
mod tests {
    use super::back_to;

    #[test]
    fn only_a_plain_query_string_is_followed_back() {
        assert_eq!(
            back_to("view=all&q=caf%C3%A9&page=2"),
            "/staff/tickets?view=all&q=caf%C3%A9&page=2"
        );
        assert_eq!(back_to(""), "/staff/tickets");
        assert_eq!(back_to("x\r\nLocation: //evil"), "/staff/tickets");
        assert_eq!(back_to("a/../../admin"), "/staff/tickets");
    }
}
