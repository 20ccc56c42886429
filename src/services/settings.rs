//! Site settings that admins change in the UI: the moderation policy and the word lists. They
//! live in the database and are read where they are used, so a change takes effect at once on
//! every instance.

use std::sync::{Arc, Mutex};

use super::{require_role, App};
use crate::domain::account::User;
use crate::domain::profanity::{ProfanityFilter, SiteWordLists};
use crate::domain::role::Role;
use crate::domain::site::SiteSettings;
use crate::error::Error;
use crate::store::moderation_log::{self, NewLogEntry};
use crate::store::settings;

pub async fn current(app: &App) -> Result<SiteSettings, Error> {
    app.db(|conn| Ok(settings::load(conn)?)).await
}

/// Save new settings (admins only), logged.
pub async fn save(app: &App, admin: &User, new: SiteSettings) -> Result<SiteSettings, Error> {
    require_role(admin, Role::Admin)?;
    let admin_id = admin.id;
    let clock = app.clock.clone();
    let saved = app
        .write(move |conn| {
            let now = clock.now();
            let old = settings::load(conn)?;
            let mut changed = Vec::new();
            for ((key, value), (_, old_value)) in new.to_pairs().into_iter().zip(old.to_pairs()) {
                if value != old_value {
                    settings::put(conn, key, &value, now)?;
                    changed.push(key);
                }
            }
            if !changed.is_empty() {
                moderation_log::write(conn, &NewLogEntry::settings_changed(admin_id, &changed.join(", "), now))?;
            }
            Ok(new)
        })
        .await?;
    // A shorter auto-close period applies at once.
    super::threads::close_expired_threads(app).await?;
    Ok(saved)
}

/// The profanity filter for the current word lists, rebuilt only when they change (a rebuild
/// takes about 0.1 s).
#[derive(Clone)]
pub struct Filters {
    current: Arc<Mutex<(SiteWordLists, Arc<ProfanityFilter>)>>,
}

impl Default for Filters {
    fn default() -> Self {
        Self::new()
    }
}

impl Filters {
    pub fn new() -> Filters {
        let lists = SiteWordLists::default();
        let filter = Arc::new(ProfanityFilter::new(&lists));
        Filters { current: Arc::new(Mutex::new((lists, filter))) }
    }

    pub fn for_lists(&self, lists: &SiteWordLists) -> Arc<ProfanityFilter> {
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        if &current.0 != lists {
            *current = (lists.clone(), Arc::new(ProfanityFilter::new(lists)));
        }
        current.1.clone()
    }
}
