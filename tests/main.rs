//! The integration tests, built as one binary (`suite`) so the app is linked once: each file
//! beside this one is a module. They run as threads of one process, so a test must not change
//! process-wide state (environment variables, the current directory) and takes its files, ports
//! and servers for itself (see `common`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

mod a11y;
mod a11y_axe;
mod a11y_pages;
mod admin;
mod admin_audit;
mod admin_mail;
mod admin_wording;
mod agent_home;
mod api_auth;
mod api_openapi;
mod api_reference;
mod api_socket;
mod api_tickets;
mod api_tokens;
mod auto_assign;
mod auto_close;
mod browser;
mod canned_replies;
mod category_access;
mod cli;
mod crash;
mod csat;
mod csat_mail;
mod csrf;
mod desk_time;
mod drills;
mod error_pages;
mod i18n;
mod jobs;
mod kb;
mod kb_more;
mod kb_staff;
mod layers;
mod mail;
mod mail_imap;
mod mail_in;
mod mail_trust;
mod password_reset;
mod portal;
mod portal_home;
mod portal_suggest;
mod recurring;
mod recurring_restart;
mod reports;
mod reports_csv;
mod reports_data;
mod rules;
mod search;
mod security;
mod sessions;
mod sla;
mod sla_admin;
mod sla_escalation;
mod sla_list;
mod staff;
mod ticket_pages;
mod timeouts;
mod two_factor;
mod ux_refdata;
mod webhooks;
mod webhooks_admin;
mod webhooks_delivery;
mod workflow;
