//! Staff accounts (`users`): who may work the desk and in which role, and their sessions
//! (`sessions`), kept on the server so they can be ended, and their two-factor sign-in
//! (`two_factor` over `totp`'s codes, with `pending_logins` between password and code). The
//! session cookie itself is the web layer's (`web::auth`).

pub mod access;
pub mod api_tokens;
pub mod pending_logins;
pub mod requester_links;
pub mod resets;
pub mod sessions;
pub mod totp;
pub mod two_factor;
pub mod users;

use serde::Serialize;

pub use users::Role;

/// The logged-in staff member.
#[derive(Debug, Clone, Serialize)]
pub struct StaffUser {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub is_admin: bool,
    /// The tickets they may work (every category for admins).
    pub access: access::Access,
    /// Their own time zone; empty: they see times in the desk's.
    pub timezone: String,
}

/// An admin; other staff get 403.
pub struct AdminUser(pub StaffUser);

impl StaffUser {
    pub fn from_account(account: users::StaffAccount, access: access::Access) -> StaffUser {
        StaffUser {
            access,
            id: account.id,
            email: account.email,
            is_admin: account.role == Role::Admin,
            name: account.name,
            role: account.role,
            timezone: account.timezone,
        }
    }
}
