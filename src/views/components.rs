use chrono::NaiveDateTime;
use maud::{html, Markup};

/// A timestamp people can read, with the exact time for machines (and the script that shows
/// "5 minutes ago").
pub fn time(at: NaiveDateTime) -> Markup {
    html! {
        time datetime={ (at.format("%Y-%m-%dT%H:%M:%SZ")) } { (at.format("%-d %b %Y, %H:%M UTC")) }
    }
}

pub fn csrf_field(token: &str) -> Markup {
    html! { input type="hidden" name="csrf_token" value=(token); }
}

/// A form's error message, tied to the field it is about.
pub fn field_error(errors: &FormErrors, field: &str) -> Markup {
    html! {
        @if let Some(message) = errors.get(field) {
            p.error id={ (field) "-error" } role="alert" { (message) }
        }
    }
}

/// Messages for a re-shown form: at most one per field, plus one for the whole form.
#[derive(Debug, Default, Clone)]
pub struct FormErrors {
    pub field: Option<&'static str>,
    pub message: Option<String>,
}

impl FormErrors {
    pub fn none() -> FormErrors {
        FormErrors::default()
    }

    pub fn from_error(error: &crate::error::Error) -> FormErrors {
        FormErrors { field: error.field(), message: Some(error.to_string()) }
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        match (self.field, &self.message) {
            (Some(f), Some(m)) if f == field => Some(m),
            _ => None,
        }
    }

    /// A message not tied to a field shown in the form, if any.
    pub fn general(&self, fields: &[&str]) -> Option<&str> {
        match (self.field, &self.message) {
            (Some(f), Some(_)) if fields.contains(&f) => None,
            (_, Some(m)) => Some(m),
            _ => None,
        }
    }
}

pub fn general_error(errors: &FormErrors, fields: &[&str]) -> Markup {
    html! {
        @if let Some(message) = errors.general(fields) {
            p.error.banner role="alert" { (message) }
        }
    }
}

/// A labelled input, with its error message if any.
pub fn text_input(
    errors: &FormErrors,
    name: &str,
    label: &str,
    kind: &str,
    value: &str,
    autocomplete: &str,
    required: bool,
) -> Markup {
    let invalid = errors.get(name).is_some();
    html! {
        div.field {
            label for=(name) { (label) }
            input id=(name) name=(name) type=(kind) value=(value) autocomplete=(autocomplete) required[required]
                aria-invalid=[invalid.then_some("true")] aria-describedby=[invalid.then(|| format!("{name}-error"))];
            (field_error(errors, name))
        }
    }
}
