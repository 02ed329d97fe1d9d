//! The models in memory, by their `uid`: a prediction reads only the id and uid of the stored
//! model (one indexed row) and decodes the blob once per model and process. A new training
//! has a new uid, so every process picks it up at its next prediction. The uid (random) rather
//! than the row id names a model, since one process may serve several databases (the tests).

use std::sync::{Arc, Mutex};

use rusqlite::Connection;

use crate::error::Result;
use crate::triage::model::Model;
use crate::triage::store;

/// Models kept at once (the current one of each database a process uses, and the one before).
const KEPT: usize = 4;

static MODELS: Mutex<Vec<(String, Arc<Model>)>> = Mutex::new(Vec::new());

/// The stored model with its row id, from memory when this process has decoded it already.
pub fn current(conn: &Connection) -> Result<Option<(i64, Arc<Model>)>> {
    let Some((id, uid)) = store::latest_uid(conn)? else {
        return Ok(None);
    };
    if let Some(model) = find(&uid) {
        return Ok(Some((id, model)));
    }
    let Some(blob) = store::blob(conn, id)? else {
        return Ok(None);
    };
    let model = Model::from_bytes(&blob)?;
    Ok(Some((id, keep(&uid, id, model))))
}

fn find(uid: &str) -> Option<Arc<Model>> {
    let models = MODELS.lock().unwrap_or_else(|p| p.into_inner());
    models
        .iter()
        .find(|(u, _)| u == uid)
        .map(|(_, m)| m.clone())
}

/// Keeps a model just trained or decoded, forgetting the oldest beyond `KEPT`.
pub fn keep(uid: &str, _id: i64, model: Model) -> Arc<Model> {
    let model = Arc::new(model);
    let mut models = MODELS.lock().unwrap_or_else(|p| p.into_inner());
    models.retain(|(u, _)| u != uid);
    models.push((uid.to_string(), model.clone()));
    while models.len() > KEPT {
        models.remove(0);
    }
    model
}
