//! An account as the rest of Civil sees it, shared by every service.

use chrono::NaiveDateTime;

use super::role::Role;

/// An account as the rest of Civil sees it (read from the store by `services::accounts`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: Option<String>,
    /// The address given at sign-up, as typed. It may belong to another account, which keeps
    /// it (see `store::users::UserRow`): mail goes only to an account's own address.
    pub email: String,
    pub role: Role,
    pub created_at: NaiveDateTime,
    pub always_review: bool,
    pub suspended_until: Option<NaiveDateTime>,
    pub banned: bool,
    pub sanction_reason: Option<String>,
}

impl User {
    pub fn is_staff(&self) -> bool {
        self.role >= Role::Moderator
    }

    /// Why this reader may not post, edit, vote or flag right now, if so.
    pub fn restriction(&self, now: NaiveDateTime) -> Option<String> {
        let reason = self.sanction_reason.as_deref().map(|r| format!(" Reason: {r}")).unwrap_or_default();
        if self.banned {
            return Some(format!("Your account is banned, so you can read but not take part.{reason}"));
        }
        match self.suspended_until {
            Some(until) if until > now => Some(format!(
                "Your account is suspended until {}, so until then you can read but not take part.{reason}",
                until.format("%-d %b %Y, %H:%M UTC")
            )),
            _ => None,
        }
    }

    pub fn name(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.username)
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}
