//! The admins' webhook endpoints: the list with each endpoint's latest delivery, and the form
//! that adds one.

use maud::{html, Markup};

use super::admin::admin_nav;
use super::components::{csrf_field, general_error, text_input, time, FormErrors};
use super::layout::{layout, PageContext};
use crate::domain::webhook::Event;
use crate::services::webhooks::{Added, Endpoint};

/// What the add form held, shown again after an error.
#[derive(Debug, Clone, Default)]
pub struct NewEndpointForm {
    pub url: String,
    pub events: Vec<String>,
    pub secret: String,
}

const FIELDS: &[&str] = &["url", "events", "secret"];

fn event_boxes(prefix: &str, chosen: impl Fn(Event) -> bool) -> Markup {
    html! {
        @for event in Event::ALL {
            label.checkbox {
                input type="checkbox" name="events" value=(event.as_str()) id={ (prefix) "-" (event.as_str()) } checked[chosen(event)];
                " " code { (event.as_str()) }
            }
        }
    }
}

pub fn page(
    ctx: &PageContext,
    endpoints: &[Endpoint],
    added: Option<&Added>,
    form: &NewEndpointForm,
    errors: &FormErrors,
) -> Markup {
    let content = html! {
        h1 { "Webhooks" }
        (admin_nav())
        @if let Some(added) = added {
            div.banner.success role="status" {
                p { "Webhook added for " code { (added.endpoint.url) } "." }
                p { "Its signing secret, shown only now: " code.secret { (added.secret) } }
            }
        }
        p.hint {
            "Each delivery is a JSON POST signed in its " code { "Civil-Signature" } " header "
            "(HMAC-SHA256 with the endpoint's secret), retried with backoff until the endpoint answers 2xx."
        }
        @if endpoints.is_empty() {
            p { "No endpoints yet." }
        } @else {
            table.admin-table.webhooks {
                thead { tr { th { "Endpoint" } th { "Events" } th { "Latest delivery" } th { "Actions" } } }
                tbody {
                    @for w in endpoints {
                        tr {
                            td { code { (w.url) } br; small { "added " (time(w.created_at)) } }
                            td {
                                form.inline method="post" action={ "/admin/webhooks/" (w.id) "/events" } {
                                    (csrf_field(&ctx.csrf_token))
                                    fieldset {
                                        legend.visually-hidden { "Events for " (w.url) }
                                        (event_boxes(&format!("events-{}", w.id), |e| w.events.contains(&e)))
                                    }
                                    button.small type="submit" { "Save events" }
                                }
                            }
                            td.last-status {
                                @match (&w.last_status, w.last_status_at) {
                                    (Some(status), Some(at)) => { (status) br; small { (time(at)) } }
                                    _ => { "Nothing sent yet" }
                                }
                            }
                            td.actions {
                                form.inline method="post" action={ "/admin/webhooks/" (w.id) "/delete" } {
                                    (csrf_field(&ctx.csrf_token))
                                    button.link.danger type="submit" { "Remove" }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { "Add an endpoint" }
        form.stacked method="post" action="/admin/webhooks" {
            (csrf_field(&ctx.csrf_token))
            (general_error(errors, FIELDS))
            (text_input(errors, "url", "URL (https:// or http://)", "url", &form.url, "off", true))
            fieldset #events aria-describedby=[errors.get("events").map(|_| "events-error")] {
                legend { "Events" }
                (event_boxes("new", |e| form.events.iter().any(|n| n == e.as_str())))
                (super::components::field_error(errors, "events"))
            }
            (text_input(errors, "secret", "Secret (leave empty to generate one)", "text", &form.secret, "off", false))
            button type="submit" { "Add webhook" }
        }
    };
    layout(ctx, "Webhooks", content)
}
