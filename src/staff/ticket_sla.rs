//! The service-level card of a staff ticket page: each target met, breached by how long, or the
//! time left, with its due time in the viewer's zone and language.

use serde_json::{Value, json};

use crate::desk_time::format;
use crate::sla::status::SlaStatus;
use crate::web::Page;

/// The card's data; null when no service level applies to the ticket.
pub fn card(page: &Page<'_>, status: Option<&SlaStatus>) -> Value {
    let Some(status) = status else {
        return Value::Null;
    };
    let time = page.time();
    let targets: Vec<Value> = status
        .targets
        .iter()
        .map(|t| {
            let text = if t.state == "met" {
                page.t("sla_met")
            } else {
                format::due(t.due_at, t.reference, time.phrases)
            };
            json!({
                "target": t.target, "state": t.state, "text": text,
                "length": format::target_length(t.minutes, status.business_hours, time.phrases),
                "due": time.absolute(t.due_at), "due_iso": format::iso(t.due_at),
            })
        })
        .collect();
    json!({
        "policy": status.policy, "business_hours": status.business_hours,
        "paused": status.paused, "targets": targets,
    })
}
