//! The newsletter for admins: subscribers, issues, and the progress of a send.

use maud::{html, Markup};

use super::admin::admin_nav;
use super::components::{csrf_field, field_error, general_error, text_input, time, FormErrors};
use super::layout::{layout, PageContext};
use crate::email::templates::Message;
use crate::services::newsletter::{Issue, IssueForm, Progress, Subscriber, SubscriberCounts};

/// The statuses a subscriber can have, in the order the page shows them.
const STATUSES: [&str; 4] = ["pending", "confirmed", "unsubscribed", "bounced"];

fn plural(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn subscriber_badge(status: &str) -> Markup {
    let class = match status {
        "confirmed" => "badge ok",
        "pending" => "badge warn",
        "bounced" => "badge danger",
        _ => "badge",
    };
    html! { span class=(class) { (status) } }
}

fn issue_badge(status: &str) -> Markup {
    let class = match status {
        "sent" => "badge ok",
        "sending" => "badge warn",
        _ => "badge",
    };
    html! { span class=(class) data-issue-status { (status) } }
}

fn issue_url(id: i64) -> String {
    format!("/admin/newsletter/issues/{id}")
}

/// /admin/newsletter. `status` is "" for every status (the "All" option submits "").
pub fn dashboard(
    ctx: &PageContext,
    counts: &SubscriberCounts,
    subscribers: &[Subscriber],
    q: &str,
    status: &str,
    issues: &[Issue],
) -> Markup {
    let total = counts.pending + counts.confirmed + counts.unsubscribed + counts.bounced;
    let all = status.is_empty() || status == "all";
    let export = format!(
        "/admin/newsletter/subscribers.csv?q={}&status={}",
        urlencoding::encode(q),
        urlencoding::encode(if all { "" } else { status })
    );
    let content = html! {
        section.newsletter-admin {
            h1 { "Newsletter" }
            (admin_nav())
            div.issue-actions {
                a.button href="/admin/newsletter/issues/new" { "New issue" }
                form.inline method="post" action="/admin/newsletter/digest" {
                    (csrf_field(&ctx.csrf_token))
                    button.secondary type="submit" { "Compose this week's digest" }
                }
            }
            h2 { "Issues" }
            @if issues.is_empty() {
                p.empty { "No issues yet. Write one, or compose a digest of this week's articles." }
            } @else {
                div.table-scroll {
                    table.admin-table.issues {
                        thead { tr { th { "Subject" } th { "Kind" } th { "Status" } th.num { "Recipients" } th { "Created" } } }
                        tbody {
                            @for issue in issues {
                                tr {
                                    td { a href=(issue_url(issue.id)) { (issue.subject) } }
                                    td { (issue.kind) }
                                    td { (issue_badge(&issue.status)) }
                                    td.num { @if issue.status == "draft" { "—" } @else { (issue.recipients) } }
                                    td.nowrap { (time(issue.created_at)) }
                                }
                            }
                        }
                    }
                }
            }
            h2 { "Subscribers" }
            dl.stat-counts aria-label="Subscribers by status" {
                @for (name, n) in STATUSES.iter().zip([counts.pending, counts.confirmed, counts.unsubscribed, counts.bounced]) {
                    div class={ "stat stat-" (name) } {
                        dt { (name) }
                        dd { (n) }
                    }
                }
            }
            p.meta { (plural(total, "address", "addresses")) " in all." }
            form.subscriber-filter method="get" action="/admin/newsletter" {
                div.field.grow {
                    label for="q" { "Find by address" }
                    input #q type="search" name="q" value=(q) autocomplete="off";
                }
                div.field {
                    label for="status" { "Status" }
                    select #status name="status" {
                        option value="" selected[all] { "All" }
                        @for name in STATUSES {
                            option value=(name) selected[status == name] { (name) }
                        }
                    }
                }
                div.form-actions {
                    button type="submit" { "Search" }
                    a href=(export) download { "Export CSV" }
                }
            }
            @if subscribers.is_empty() {
                p.empty { "No subscribers match." }
            } @else {
                p.meta { "Showing " (plural(subscribers.len() as i64, "subscriber", "subscribers")) "." }
                div.table-scroll {
                    table.admin-table.subscribers {
                        thead { tr { th { "Email" } th { "Status" } th { "Subscribed" } th { "Confirmed" } } }
                        tbody {
                            @for s in subscribers {
                                tr {
                                    td.address { (s.email) }
                                    td { (subscriber_badge(&s.status)) }
                                    td.nowrap { (time(s.created_at)) }
                                    td.nowrap {
                                        @match s.confirmed_at { Some(at) => (time(at)), None => { "—" } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    layout(ctx, "Newsletter", content)
}

const ISSUE_FIELDS: &[&str] = &["subject", "body"];

/// A new issue (`id` None) or a draft being edited.
pub fn issue_form(ctx: &PageContext, id: Option<i64>, form: &IssueForm, errors: &FormErrors) -> Markup {
    let action = match id {
        Some(id) => issue_url(id),
        None => "/admin/newsletter/issues".to_owned(),
    };
    let body_invalid = errors.get("body").is_some();
    let content = html! {
        section.newsletter-admin {
            h1 { @if id.is_some() { "Edit issue" } @else { "New issue" } }
            (admin_nav())
            (general_error(errors, ISSUE_FIELDS))
            form.issue-form method="post" action=(action) {
                (csrf_field(&ctx.csrf_token))
                (text_input(errors, "subject", "Subject", "text", &form.subject, "off", true))
                div.field {
                    label for="body" { "Body (markdown)" }
                    p.hint #body-hint { "Links, **bold**, lists and ## headings work. Subscribers get an HTML and a plain text version, with an unsubscribe link added at the end." }
                    textarea #body name="body" rows="18" required spellcheck="true"
                        aria-invalid=[body_invalid.then_some("true")]
                        aria-describedby=(if body_invalid { "body-hint body-error" } else { "body-hint" }) { (form.body) }
                    (field_error(errors, "body"))
                }
                div.form-actions {
                    button type="submit" { "Save draft" }
                    a href=(id.map(issue_url).unwrap_or_else(|| "/admin/newsletter".to_owned())) { "Cancel" }
                }
            }
            // The editor's script fills this from /admin/newsletter/preview as they type.
            section.email-preview-section.live-preview #live-preview hidden aria-labelledby="live-preview-heading" {
                h2 #live-preview-heading { "Preview" }
                p.meta { "Subject: " strong #live-preview-subject {} }
                div.email-preview #live-preview-html {}
            }
        }
    };
    layout(ctx, if id.is_some() { "Edit issue" } else { "New issue" }, content)
}

/// The progress of a send, as numbers the page's script keeps up to date.
fn progress_block(ctx: &PageContext, issue: &Issue, progress: &Progress) -> Markup {
    let done = progress.sent + progress.failed + progress.unknown;
    let max = progress.recipients.max(1);
    let percent = if progress.recipients > 0 { done * 100 / progress.recipients } else { 100 };
    let url = issue_url(issue.id);
    let fields: [(&str, &str, i64); 6] = [
        ("recipients", "Recipients", progress.recipients),
        ("queued", "Queued", progress.queued),
        ("sending", "Sending", progress.sending),
        ("sent", "Sent", progress.sent),
        ("failed", "Failed", progress.failed),
        ("unknown", "In doubt", progress.unknown),
    ];
    html! {
        section.send-progress aria-labelledby="progress-heading" {
            h2 #progress-heading { "Delivery" }
            div.progress-bar {
                label for="progress-bar" { "Done: " span data-field="percent" { (percent.min(100)) "%" } }
                progress #progress-bar max=(max) value=(if progress.recipients > 0 { done.min(max) } else { max }) { (percent.min(100)) "%" }
            }
            dl #progress data-issue=(issue.id) data-status=(progress.status) {
                @for (field, label, n) in fields {
                    div class={ "stat stat-" (field) } {
                        dt { (label) }
                        dd data-field=(field) { (n) }
                    }
                }
                div.stat.stat-rate {
                    dt { "Rate" }
                    dd data-field="rate_per_second" { (format!("{:.1} per second", progress.rate_per_second)) }
                }
            }
            // The page's script says here that the numbers update by themselves, and when they stop.
            p.progress-note #progress-note aria-live="polite" {}
            p { a href=(url) { "Refresh" } }
            @if progress.unknown > 0 {
                div.resend {
                    p {
                        "It is not known whether " (plural(progress.unknown, "message was", "messages were"))
                        " delivered: sending was interrupted before the mail server confirmed "
                        (if progress.unknown == 1 { "it" } else { "them" }) ". Sending again may reach some people twice."
                    }
                    form.inline method="post" action={ (url) "/resend-unknown" }
                        data-confirm="Send these messages again? Some people may get the issue twice." {
                        (csrf_field(&ctx.csrf_token))
                        button.secondary type="submit" {
                            "Send the " (plural(progress.unknown, "message", "messages")) " in doubt again"
                        }
                    }
                }
            }
            @if progress.failed > 0 {
                div.resend {
                    p { (plural(progress.failed, "message", "messages")) " could not be delivered." }
                    form.inline method="post" action={ (url) "/resend-failed" } {
                        (csrf_field(&ctx.csrf_token))
                        button.secondary type="submit" { "Retry the " (plural(progress.failed, "failed message", "failed messages")) }
                    }
                }
            }
        }
    }
}

/// /admin/newsletter/issues/{id}: the issue, a preview of what subscribers get, and once it is
/// being sent, its progress.
pub fn issue_page(
    ctx: &PageContext,
    issue: &Issue,
    preview: &Message,
    progress: &Progress,
    confirmed: i64,
    notice: Option<&str>,
) -> Markup {
    let url = issue_url(issue.id);
    let draft = issue.status == "draft";
    let content = html! {
        section.newsletter-admin.issue-page {
            h1 { (issue.subject) }
            (admin_nav())
            p.meta {
                (issue_badge(if draft { &issue.status } else { &progress.status })) " · " (issue.kind)
                " · created " (time(issue.created_at))
                @if let Some(at) = issue.queued_at { " · sending started " (time(at)) }
            }
            @if let Some(notice) = notice {
                p.banner.success role="status" { (notice) }
            }
            @if draft {
                div.issue-actions {
                    a.button.secondary href={ (url) "/edit" } { "Edit" }
                    form.inline method="post" action={ (url) "/test" } {
                        (csrf_field(&ctx.csrf_token))
                        button.secondary type="submit" { "Send a test to me" }
                    }
                    form.inline method="post" action={ (url) "/send" }
                        data-confirm={ "Send “" (issue.subject) "” to " (plural(confirmed, "confirmed subscriber", "confirmed subscribers")) "? This cannot be undone." } {
                        (csrf_field(&ctx.csrf_token))
                        button type="submit" disabled[confirmed == 0] {
                            "Send to " (plural(confirmed, "confirmed subscriber", "confirmed subscribers"))
                        }
                    }
                }
                @if confirmed == 0 {
                    p.hint.after { "Nobody has confirmed a subscription yet, so there is no one to send to." }
                }
            } @else {
                (progress_block(ctx, issue, progress))
            }
            section.email-preview-section aria-labelledby="preview-heading" {
                h2 #preview-heading { "Preview" }
                p.meta { "Subject: " strong { (preview.subject) } }
                h3 { "HTML version" }
                // The e-mail's own template, rendered for this page: no document, no inline styles.
                div.email-preview { (preview.html) }
                h3 { "Plain text version" }
                pre.email-text { (preview.text) }
            }
            p { a href="/admin/newsletter" { "All issues and subscribers" } }
        }
    };
    layout(ctx, &issue.subject, content)
}
