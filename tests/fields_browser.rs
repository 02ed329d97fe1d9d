//! The portal form's custom fields in a real browser (headless Chromium): with JavaScript, a
//! field of the Hardware category shows only once Hardware is chosen, and hides again for
//! another category.

use crate::common;
use crate::common::browser::{Driver, find};
use crate::common::server::Server;
use helpdesk::db::Db;
use helpdesk::fields::Kind;
use helpdesk::fields::store::{self, FieldInput};

#[test]
fn a_hardware_field_shows_only_when_hardware_is_chosen() {
    let _heavy = common::heavy_test_lock();
    let driver = Driver::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("helpdesk.db");
    let server = Server::start(&path);
    // Defined before any page is asked for, so no cached reference data hides it.
    let db = Db::open(&path).expect("open the server's database");
    let id = db
        .write_blocking(|c| {
            store::insert(
                c,
                &FieldInput {
                    label: "Device".into(),
                    label_es: "Dispositivo".into(),
                    help: String::new(),
                    help_es: String::new(),
                    kind: Kind::Select,
                    options: vec!["Laptop".into(), "Printer".into()],
                    required: true,
                    visible_to_requester: true,
                    categories: vec![2],
                    sort: 0,
                },
                0,
            )
        })
        .expect("field added");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async {
        let employee = driver.session("fields-employee").await;
        employee
            .goto(&server.url("/tickets/new"))
            .await
            .expect("open the new ticket form");
        let select = format!("select#field-{id}");
        let shown = |on: bool, why: &str| {
            let employee = employee.clone();
            let select = select.clone();
            let why = why.to_string();
            async move {
                let displayed = find(&employee, &select)
                    .await
                    .is_displayed()
                    .await
                    .expect("is the field displayed");
                assert_eq!(displayed, on, "{why}");
            }
        };
        shown(false, "no category chosen yet: hidden").await;
        find(&employee, "select#category")
            .await
            .select_by_label("Hardware")
            .await
            .expect("choose Hardware");
        shown(true, "Hardware asks for it").await;
        find(&employee, "select#category")
            .await
            .select_by_label("Software")
            .await
            .expect("choose Software");
        shown(false, "Software does not").await;
        employee.close().await.expect("close the browser");
    });
}
