//! `helpdesk reindex`: rebuilds the full-text search tables from the tickets and messages (and
//! the knowledge base), and the reports' stored times (business minutes with the desk's hours
//! as they are now), in one transaction, with a progress bar.

use indicatif::{ProgressBar, ProgressStyle};

use crate::config::Config;
use crate::db::Db;
use crate::error::Result;
use crate::search;

pub fn run(config: &Config) -> Result<()> {
    let db = Db::open(&config.db)?;
    let start = std::time::Instant::now();
    let (tickets, articles, reported) = db.write_blocking(|c| {
        let max = search::clear_ticket_index(c)?;
        let bar = ProgressBar::new(max.max(0) as u64);
        bar.set_style(
            ProgressStyle::with_template("{spinner} reindex [{bar:40}] {pos}/{len} ({eta} left)")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        let mut done = 0;
        let mut from = 0;
        while from <= max {
            done += search::reindex_tickets_batch(c, from)?;
            from += search::REINDEX_BATCH;
            bar.set_position(from.min(max) as u64);
        }
        c.execute(
            "INSERT INTO ticket_search (ticket_search) VALUES ('optimize')",
            [],
        )?;
        bar.finish_and_clear();
        let articles = search::reindex_articles(c)?;
        let reported = crate::reports::metrics::rebuild(c, crate::db::now())?;
        Ok((done, articles, reported))
    })?;
    println!(
        "Reindexed {tickets} tickets and {articles} article translations, and the report times of \
         {reported} tickets, in {:.1}s.",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
