//! The demo's custom fields: *Asset tag* and *Room / floor* (text) and *Device* (a select), for
//! the Hardware category when the desk has one (else every category), added once, and values
//! for most of the demo's tickets in those categories.

use rand::Rng;
use rand::seq::SliceRandom;
use rusqlite::Connection;

use crate::error::Result;
use crate::fields::Kind;
use crate::fields::store::{self, FieldInput};

const DEVICES: [&str; 5] = ["Laptop", "Desktop", "Printer", "Phone", "Other"];

/// The demo fields' ids (asset tag, room, device), added when missing, and the categories they
/// apply to (empty: all).
pub struct DemoFields {
    asset: i64,
    room: i64,
    device: i64,
    categories: Vec<i64>,
}

pub fn add(conn: &Connection, now: i64) -> Result<DemoFields> {
    let hardware: Option<i64> = conn
        .query_row(
            "SELECT id FROM categories WHERE name = 'Hardware'",
            [],
            |r| r.get(0),
        )
        .ok();
    let categories: Vec<i64> = hardware.into_iter().collect();
    let existing = store::all(conn)?;
    let id_of = |label: &str, label_es: &str, kind: Kind, options: &[&str], sort: i64| {
        if let Some(f) = existing.iter().find(|f| f.label == label) {
            return Ok::<i64, crate::error::Error>(f.id);
        }
        store::insert(
            conn,
            &FieldInput {
                label: label.into(),
                label_es: label_es.into(),
                help: String::new(),
                help_es: String::new(),
                kind,
                options: options.iter().map(|o| o.to_string()).collect(),
                required: false,
                visible_to_requester: true,
                categories: categories.clone(),
                sort,
            },
            now,
        )
    };
    let asset = id_of("Asset tag", "Etiqueta de inventario", Kind::Text, &[], 10)?;
    let room = id_of("Room / floor", "Sala / planta", Kind::Text, &[], 20)?;
    let device = id_of("Device", "Dispositivo", Kind::Select, &DEVICES, 30)?;
    Ok(DemoFields {
        asset,
        room,
        device,
        categories,
    })
}

/// Values for about four in five tickets of the fields' categories.
pub fn fill(
    conn: &Connection,
    rng: &mut impl Rng,
    fields: &DemoFields,
    ticket_id: i64,
    category_id: i64,
) -> Result<()> {
    let applies = fields.categories.is_empty() || fields.categories.contains(&category_id);
    if !applies || !rng.gen_bool(0.8) {
        return Ok(());
    }
    let tag = format!("AT-{:05}", rng.gen_range(1..30_000));
    let room = format!(
        "Floor {}, room {}",
        rng.gen_range(1..6),
        rng.gen_range(1..40)
    );
    let device = DEVICES.choose(rng).unwrap_or(&DEVICES[0]);
    store::put(conn, ticket_id, fields.asset, Some(&tag))?;
    store::put(conn, ticket_id, fields.room, Some(&room))?;
    store::put(conn, ticket_id, fields.device, Some(device))?;
    crate::search::index_fields(conn, ticket_id)
}
