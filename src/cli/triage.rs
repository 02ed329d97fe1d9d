//! `helpdesk triage train` (learn from the resolved tickets, store the model and turn triage
//! on) and `helpdesk triage eval` (accuracy on the newest 20% of resolved tickets, held out
//! from training, per field, next to the majority baseline).

use crate::config::Config;
use crate::db::{Db, now};
use crate::error::Result;
use crate::tickets::RefData;
use crate::triage::eval::{Evaluation, FieldScore};
use crate::triage::{self, TriageSettings};

pub fn train(config: &Config) -> Result<()> {
    let db = Db::open(&config.db)?;
    let Some(trained) = triage::train(&db, now())? else {
        println!("No resolved tickets yet: nothing to learn from, no model stored.");
        return Ok(());
    };
    db.write_blocking(|c| {
        let mut s = TriageSettings::load(c)?;
        s.enabled = true;
        s.save(c)
    })?;
    println!(
        "Trained on {} resolved tickets in {:.2} s; triage is on.",
        trained.tickets,
        trained.millis as f64 / 1000.0
    );
    let refdata = db.read_blocking(RefData::load)?;
    print_eval(&trained.eval, &refdata);
    Ok(())
}

pub fn eval(config: &Config) -> Result<()> {
    let db = Db::open(&config.db)?;
    let clock = std::time::Instant::now();
    let examples = db.read_blocking(triage::store::examples)?;
    if examples.is_empty() {
        println!("No resolved tickets yet: nothing to evaluate.");
        return Ok(());
    }
    let evaluation = triage::eval::evaluate(&examples);
    println!(
        "Evaluated in {:.2} s ({} resolved tickets).",
        clock.elapsed().as_secs_f64(),
        examples.len()
    );
    let refdata = db.read_blocking(RefData::load)?;
    print_eval(&evaluation, &refdata);
    Ok(())
}

fn print_eval(e: &Evaluation, refdata: &RefData) {
    println!(
        "Held out: the newest {} resolved tickets (trained on the {} before them).",
        e.category.tested, e.trained_on
    );
    println!(
        "{:<10} {:>9} {:>9} {:>8}",
        "field", "accuracy", "baseline", "tested"
    );
    for (name, f) in [
        ("category", &e.category),
        ("priority", &e.priority),
        ("assignee", &e.assignee),
    ] {
        print_field(name, f);
    }
    if e.labels.is_empty() {
        return;
    }
    println!("Category confusion (rows: actual, columns: predicted):");
    let name = |id: i64| {
        refdata
            .category(id)
            .map_or_else(|| format!("#{id}"), |c| c.name.clone())
    };
    print!("{:<22}", "");
    for i in 0..e.labels.len() {
        print!(" {:>6}", format!("[{}]", i + 1));
    }
    println!();
    for (i, (label, row)) in e.labels.iter().zip(&e.confusion).enumerate() {
        let mut n: String = format!("[{}] {}", i + 1, name(*label))
            .chars()
            .take(22)
            .collect();
        while n.chars().count() < 22 {
            n.push(' ');
        }
        print!("{n}");
        for c in row {
            print!(" {c:>6}");
        }
        println!();
    }
}

fn print_field(name: &str, f: &FieldScore) {
    println!(
        "{:<10} {:>8.1}% {:>8.1}% {:>8}",
        name,
        f.accuracy() * 100.0,
        f.baseline() * 100.0,
        f.tested
    );
}
