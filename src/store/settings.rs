use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::site_settings;
use super::DbConnection;
use crate::domain::site::SiteSettings;

/// Every stored site setting as (key, value).
pub fn all(conn: &mut DbConnection) -> QueryResult<Vec<(String, String)>> {
    site_settings::table.select((site_settings::key, site_settings::value)).load(conn)
}

/// One stored setting, if it was ever saved.
pub fn get(conn: &mut DbConnection, key: &str) -> QueryResult<Option<String>> {
    site_settings::table.find(key).select(site_settings::value).first(conn).optional()
}

pub fn put(conn: &mut DbConnection, key: &str, value: &str, now: NaiveDateTime) -> QueryResult<usize> {
    let updated = diesel::update(site_settings::table.find(key))
        .set((site_settings::value.eq(value), site_settings::updated_at.eq(now)))
        .execute(conn)?;
    if updated > 0 {
        return Ok(updated);
    }
    diesel::insert_into(site_settings::table)
        .values((site_settings::key.eq(key), site_settings::value.eq(value), site_settings::updated_at.eq(now)))
        .execute(conn)
}

/// Store a setting that must not be replaced once written (a unique violation if it exists).
pub fn insert(conn: &mut DbConnection, key: &str, value: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::insert_into(site_settings::table)
        .values((site_settings::key.eq(key), site_settings::value.eq(value), site_settings::updated_at.eq(now)))
        .execute(conn)
}

/// The site settings as stored, with defaults for what was never saved.
pub fn load(conn: &mut DbConnection) -> QueryResult<SiteSettings> {
    Ok(SiteSettings::from_pairs(all(conn)?))
}
