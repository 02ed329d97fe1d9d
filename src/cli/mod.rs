//! Command-line interface: `serve` (the default) and the operator's subcommands.

mod backup;
mod demo;
mod demo_csat;
mod demo_fields;
mod demo_kb;
mod demo_sla;
mod demo_text;
mod ops;
mod purge;
mod reindex;
mod token;
mod triage;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::config::Config;

#[derive(Parser, Debug)]
#[command(
    name = "helpdesk",
    version,
    about = "A self-hosted help desk in one binary over one SQLite file"
)]
pub struct Cli {
    /// TOML configuration file (keys as in README); env vars HELPDESK_* override it.
    #[arg(long, global = true, env = "HELPDESK_CONFIG")]
    pub config: Option<PathBuf>,
    /// SQLite database file (default ./helpdesk.db).
    #[arg(long, global = true)]
    pub db: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the help desk (the default when no command is given).
    Serve(ServeArgs),
    /// Manage staff accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Write a consistent copy of the database (safe while the server runs).
    Backup { file: PathBuf },
    /// Replace the database with a backup (refused while a server uses it).
    Restore {
        file: PathBuf,
        /// Replace the current database without asking.
        #[arg(long)]
        yes: bool,
    },
    /// Fill the database with realistic demo data (for trying it out and benchmarks).
    Demo {
        #[arg(long, default_value_t = 1000)]
        tickets: u64,
        /// Knowledge-base articles to write (English and Spanish).
        #[arg(long, default_value_t = 20)]
        articles: u64,
        /// Add the demo data even to a database holding tickets that are not demo ones.
        #[arg(long)]
        force: bool,
    },
    /// Check the database's integrity and the configuration.
    Check,
    /// Rebuild the full-text search indexes from the tickets and knowledge base.
    Reindex,
    /// Mail: send a test message, import one from standard input, or fetch new mail by IMAP.
    #[command(subcommand)]
    Mail(MailCommand),
    /// The background jobs: without a subcommand, list them (interval, last and next run, runs,
    /// failures, last outcome, whether a running process holds their lock).
    Jobs {
        #[command(subcommand)]
        command: Option<JobsCommand>,
    },
    /// API tokens for scripts: create one (printed alone on standard output), list or revoke.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Learned triage: train the model on the resolved tickets (and turn triage on), or
    /// measure it on the newest 20% of them, held out from training.
    #[command(subcommand)]
    Triage(TriageCommand),
    /// Erase a person's tickets and every trace of their address (a data-protection request).
    /// Without --yes, only counts what would go.
    Purge {
        /// The requester's email address.
        #[arg(long)]
        requester: String,
        /// Erase for real (without it: a dry run that counts).
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Make an API token acting as the staff account EMAIL and print it (only this once).
    Create {
        #[arg(long)]
        email: String,
        /// What the token is for, as its owner's list shows it.
        #[arg(long)]
        name: String,
        /// read (GET only) or read-write.
        #[arg(long, default_value = "read-write")]
        scope: String,
    },
    /// List a staff account's tokens (never the tokens themselves).
    List {
        #[arg(long)]
        email: String,
    },
    /// Revoke token ID (as `token list` shows it); it stops working at once.
    Revoke { id: i64 },
}

#[derive(Subcommand, Debug)]
pub enum TriageCommand {
    /// Train on every resolved ticket, store the model and turn triage on; prints the held-out
    /// accuracy per field.
    Train,
    /// Accuracy per field (category, priority, assignee) on the newest 20% of resolved tickets,
    /// trained on the older 80%, next to the majority baseline; stores nothing.
    Eval,
}

#[derive(Subcommand, Debug)]
pub enum JobsCommand {
    /// Run one pass of job NAME now and record it, then print its outcome; exit 1 when it
    /// fails, and refused while a running server holds the job's lock. The pass is a first
    /// pass, as after a start: mail_send tries every waiting mail at once.
    Run {
        /// The job, as `helpdesk jobs` lists it (e.g. mail_send).
        name: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum MailCommand {
    /// Send one test message now through the SMTP server in effect (Admin > Mail, else
    /// `smtp_url`) and print the server's answer.
    Test {
        /// Recipient address.
        #[arg(long)]
        to: String,
    },
    /// Import one RFC 5322 message from standard input (for an MTA's pipe delivery): it opens a
    /// ticket or is added to the one it answers; automatic mail is ignored and what cannot be
    /// imported is quarantined. Exit 75 (try again later) when it cannot be stored at all.
    Pipe,
    /// Import new mail from the IMAP folder `imap_folder` (see the imap_* settings). With
    /// `--once`: one poll, a summary, and exit 1 when the server cannot be reached or refuses
    /// the login. Without: poll every `imap_interval_secs` until stopped (`serve` does this by
    /// itself when imap_host is set).
    Fetch {
        #[arg(long)]
        once: bool,
    },
}

#[derive(Args, Debug, Default)]
pub struct ServeArgs {
    /// Address and port to listen on (default 127.0.0.1:8080).
    #[arg(long)]
    pub bind: Option<SocketAddr>,
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Add a staff account; the password is read from standard input.
    Add {
        #[arg(long, value_parser = ["admin", "agent"])]
        role: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// Read the password from standard input (first line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Set a staff account's password, read from standard input; ends its sessions.
    Passwd {
        email: String,
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// List staff accounts.
    List,
    /// Remove a staff account's two-factor sign-in (a lost phone) and end its sessions: it
    /// signs in with its password alone until it sets it up again.
    #[command(name = "reset-2fa")]
    Reset2fa { email: String },
}

/// Loads the configuration and applies command-line overrides.
fn load_config(cli: &Cli, bind: Option<SocketAddr>) -> Result<Config, ExitCode> {
    match Config::load(cli.config.as_ref()) {
        Ok(mut config) => {
            if let Some(db) = &cli.db {
                config.db = db.clone();
            }
            if let Some(bind) = bind {
                config.bind = bind;
            }
            Ok(config)
        }
        Err(problems) => {
            eprintln!("helpdesk: invalid configuration:");
            for p in problems {
                eprintln!("  - {p}");
            }
            Err(ExitCode::from(2))
        }
    }
}

pub fn run(cli: Cli) -> ExitCode {
    let bind = match &cli.command {
        Some(Command::Serve(args)) => args.bind,
        _ => None,
    };
    let config = match load_config(&cli, bind) {
        Ok(c) => c,
        Err(code) => return code,
    };
    if let Some(Command::Mail(MailCommand::Pipe)) = cli.command {
        return ops::mail_pipe(&config);
    }
    let result = match cli.command {
        None => ops::serve(config),
        Some(Command::Serve(_)) => ops::serve(config),
        Some(Command::User(cmd)) => ops::user(config, cmd),
        Some(Command::Backup { file }) => backup::backup(&config, &file),
        Some(Command::Restore { file, yes }) => backup::restore(&config, &file, yes),
        Some(Command::Demo {
            tickets,
            articles,
            force,
        }) => demo::run(&config, tickets, articles, force),
        Some(Command::Check) => ops::check(&config),
        Some(Command::Reindex) => reindex::run(&config),
        Some(Command::Mail(MailCommand::Test { to })) => ops::mail_test(&config, &to),
        Some(Command::Mail(MailCommand::Pipe)) => Ok(()),
        Some(Command::Mail(MailCommand::Fetch { once })) => ops::mail_fetch(&config, once),
        Some(Command::Jobs { command: None }) => ops::jobs_list(&config),
        Some(Command::Jobs {
            command: Some(JobsCommand::Run { name }),
        }) => ops::jobs_run(&config, &name),
        Some(Command::Token(cmd)) => token::run(&config, cmd),
        Some(Command::Purge { requester, yes }) => purge::run(&config, &requester, yes),
        Some(Command::Triage(TriageCommand::Train)) => triage::train(&config),
        Some(Command::Triage(TriageCommand::Eval)) => triage::eval(&config),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(crate::error::Error::BadRequest(msg) | crate::error::Error::Internal(msg)) => {
            eprintln!("helpdesk: {msg}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("helpdesk: {e}");
            ExitCode::FAILURE
        }
    }
}
