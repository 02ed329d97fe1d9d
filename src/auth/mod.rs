//! Staff accounts: who may work the desk and in which role. The accounts' table is `users`;
//! sessions (an encrypted cookie naming the account, its session epoch, bumped on password change
//! or deactivation, and when it was issued) are the web layer's (`web::auth`).

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
}

/// An admin; other staff get 403.
pub struct AdminUser(pub StaffUser);

impl StaffUser {
    pub fn from_account(account: users::StaffAccount) -> StaffUser {
        StaffUser {
            id: account.id,
            email: account.email,
            is_admin: account.role == Role::Admin,
            name: account.name,
            role: account.role,
        }
    }
}
