//! The API's request and response bodies. Requests refuse unknown fields.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::moderation::{HeldNotice, HELD_NEXT};
use crate::domain::role::Role;
use crate::domain::thread::{Node, Sort, Status};
use crate::services::accounts::User;
use crate::services::articles::Article;
use crate::services::threads::{Comment, ThreadPage};

pub fn utc(at: NaiveDateTime) -> DateTime<Utc> {
    DateTime::from_naive_utc_and_offset(at, Utc)
}

/// Patterns for the request schemas, in the regular-expression syntax that JSON Schema, Python
/// and Rust share. They spell out what the parsers in `domain` accept, so that a client (or a
/// fuzzer) can tell a valid request from an invalid one without asking the server.
pub mod patterns {
    /// Any text: tabs and line breaks, but no other control character (the edge refuses them).
    pub const TEXT: &str = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$";
    /// Text with something in it besides whitespace, which the parsers trim away.
    pub const NON_BLANK: &str = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$";
    /// One line with no control character at all: path segments and query values.
    pub const LINE: &str = r"^[^\x00-\x1F\x7F-\x9F]*$";
    pub const USERNAME: &str = r"^[A-Za-z0-9][A-Za-z0-9_-]{2,29}$";
    /// One `@`, a local part of 1 to 64 characters, a domain of two or more dot-separated labels;
    /// no whitespace or control character anywhere.
    pub const EMAIL: &str = r"^[^@\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]{1,64}@[^@.\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]+(\.[^@.\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]+)+$";
    pub const SLUG: &str = r"^[a-z0-9]+(-[a-z0-9]+)*$";
}

/// The schemas of request fields, from `patterns` and the limits the parsers enforce.
pub mod fields {
    use utoipa::openapi::schema::{Object, ObjectBuilder, SchemaType, Type};

    use super::patterns::{EMAIL, LINE, NON_BLANK, SLUG, TEXT, USERNAME};
    use crate::domain::moderation::{FlagReason, MAX_FLAG_NOTE_CHARS};
    use crate::domain::{comment_body, password};

    fn of_type(ty: Type, nullable: bool) -> SchemaType {
        if nullable {
            SchemaType::from_iter([ty, Type::Null])
        } else {
            SchemaType::new(ty)
        }
    }

    fn string(pattern: &str, min: usize, max: Option<usize>, nullable: bool) -> Object {
        ObjectBuilder::new()
            .schema_type(of_type(Type::String, nullable))
            .pattern(Some(pattern))
            .min_length((min > 0).then_some(min))
            .max_length(max)
            .build()
    }

    fn integer(min: i64, max: i64, nullable: bool) -> Object {
        ObjectBuilder::new()
            .schema_type(of_type(Type::Integer, nullable))
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Int64)))
            .minimum(Some(min as f64))
            .maximum(Some(max as f64))
            .build()
    }

    fn flag_reasons(nullable: bool) -> Object {
        let mut values: Vec<serde_json::Value> = FlagReason::ALL.iter().map(|r| r.as_str().into()).collect();
        if nullable {
            values.push(serde_json::Value::Null);
        }
        ObjectBuilder::new().schema_type(of_type(Type::String, nullable)).enum_values(Some(values)).build()
    }

    pub fn username() -> Object {
        string(USERNAME, 3, Some(30), false)
    }
    pub fn email() -> Object {
        let mut email = string(EMAIL, 0, Some(254), false);
        // SMTP counts the local part in bytes, which no pattern can: the pattern's 64 characters
        // are the bound for ASCII.
        email.description = Some("At most 254 characters; the part before the @ at most 64 bytes in UTF-8.".into());
        email
    }
    pub fn new_password() -> Object {
        string(TEXT, password::MIN_CHARS, Some(password::MAX_CHARS), false)
    }
    pub fn display_name() -> Object {
        string(LINE, 0, Some(50), true)
    }
    pub fn login() -> Object {
        string(NON_BLANK, 1, None, false)
    }
    pub fn password() -> Object {
        string(TEXT, 1, Some(password::MAX_CHARS), false)
    }
    pub fn slug() -> Object {
        string(SLUG, 1, Some(100), false)
    }
    pub fn title() -> Object {
        string(NON_BLANK, 1, Some(200), false)
    }
    pub fn summary() -> Object {
        string(TEXT, 0, Some(1_000), false)
    }
    pub fn article_body() -> Object {
        string(NON_BLANK, 1, Some(200_000), false)
    }
    pub fn author_name() -> Object {
        string(NON_BLANK, 1, Some(100), false)
    }
    pub fn comment_body() -> Object {
        string(NON_BLANK, 1, Some(comment_body::MAX_CHARS), false)
    }
    /// A draft to preview: any text (an empty or overlong one gets the refusal a post would).
    pub fn preview_body() -> Object {
        string(TEXT, 0, None, false)
    }
    pub fn parent_id() -> Object {
        integer(i64::MIN, i64::MAX, true)
    }
    pub fn vote_value() -> Object {
        ObjectBuilder::new().schema_type(Type::Integer).enum_values(Some([0, 1])).build()
    }
    pub fn flag_reason() -> Object {
        flag_reasons(false)
    }
    pub fn flag_note() -> Object {
        string(TEXT, 0, Some(MAX_FLAG_NOTE_CHARS), true)
    }
    pub fn removal_reason() -> Object {
        flag_reasons(true)
    }
    pub fn removal_note() -> Object {
        string(TEXT, 0, Some(1_000), true)
    }
    pub fn sanction_reason() -> Object {
        string(TEXT, 0, Some(super::super::moderation::SANCTION_REASON_MAX_CHARS), true)
    }
    pub fn suspension_days() -> Object {
        let days = super::super::moderation::SUSPENSION_DAYS;
        integer(*days.start(), *days.end(), true)
    }

    fn one_of(values: &[&str]) -> Object {
        ObjectBuilder::new().schema_type(Type::String).enum_values(Some(values.iter().copied())).build()
    }

    // Query parameters. An empty value means the default, as it does for a form.
    pub fn sort() -> Object {
        let mut values = vec![""];
        values.extend(crate::domain::thread::Sort::ALL.map(|s| s.as_str()));
        one_of(&values)
    }
    pub fn thread_cursor() -> Object {
        string(r"^(-?[0-9]{1,18}(_-?[0-9]{1,18})?)?$", 0, None, false)
    }
    pub fn page_limit() -> Object {
        integer(1, crate::domain::thread::MAX_PAGE_SIZE, false)
    }
    pub fn queue_tab() -> Object {
        let mut values = vec![""];
        values.extend(crate::services::moderation::QueueTab::ALL.map(|t| t.as_str()));
        one_of(&values)
    }
    pub fn queue_cursor() -> Object {
        string(r"^([0-9]{1,17}_[0-9]{1,18})?$", 0, None, false)
    }
    pub fn query_text() -> Object {
        string(LINE, 0, None, false)
    }
    /// The addresses a counts request asks for (control characters are refused at the edge).
    pub fn count_urls() -> utoipa::openapi::Array {
        utoipa::openapi::ArrayBuilder::new().items(string(LINE, 0, None, false)).max_items(Some(100)).build()
    }
    pub fn sso_token() -> Object {
        string(LINE, 1, Some(4096), false)
    }
    pub fn log_before() -> Object {
        integer(i64::MIN, i64::MAX, false)
    }
}

/// JSON has one kind of number: `2.0` is the integer 2 to JSON Schema, and so to the API.
pub mod whole {
    use serde::de::{Deserialize, Deserializer, Error};

    fn to_i64<E: Error>(number: serde_json::Number) -> Result<i64, E> {
        if let Some(n) = number.as_i64() {
            return Ok(n);
        }
        // 2^63 is exactly representable, and the first value out of range.
        const LIMIT: f64 = 9_223_372_036_854_775_808.0;
        match number.as_f64() {
            Some(f) if f.fract() == 0.0 && (-LIMIT..LIMIT).contains(&f) => Ok(f as i64),
            _ => Err(E::custom(format!("expected a whole number between {} and {}, got {number}", i64::MIN, i64::MAX))),
        }
    }

    pub fn required<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
        to_i64(serde_json::Number::deserialize(deserializer)?)
    }

    pub fn optional<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
        Option::<serde_json::Number>::deserialize(deserializer)?.map(to_i64).transpose()
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `invalid`, `not_found`, `csrf`, `closed`.
    pub code: String,
    /// What went wrong and what to do, for people.
    pub message: String,
    /// The request field the error is about, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountRequest {
    /// 3 to 30 letters a to z, digits, `_` and `-`, starting with a letter or digit.
    #[schema(schema_with = fields::username)]
    pub username: String,
    #[schema(schema_with = fields::email)]
    pub email: String,
    /// 10 to 1024 characters, not one of the commonly used passwords.
    #[schema(schema_with = fields::new_password)]
    pub password: String,
    #[serde(default)]
    #[schema(schema_with = fields::display_name)]
    pub display_name: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionRequest {
    /// A username or an email address.
    #[schema(schema_with = fields::login)]
    pub login: String,
    #[schema(schema_with = fields::password)]
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserJson {
    pub id: i64,
    pub username: String,
    pub display_name: Option<String>,
    #[schema(value_type = String, example = "reader")]
    pub role: Role,
}

impl From<&User> for UserJson {
    fn from(user: &User) -> UserJson {
        UserJson {
            id: user.id,
            username: user.username.clone(),
            display_name: user.display_name.clone(),
            role: user.role,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionResponse {
    /// The signed-in account, or null.
    pub user: Option<UserJson>,
    /// Send this as `X-CSRF-Token` with every unsafe request.
    pub csrf_token: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticleRequest {
    #[schema(schema_with = fields::slug)]
    pub slug: String,
    #[schema(schema_with = fields::title)]
    pub title: String,
    #[serde(default)]
    #[schema(schema_with = fields::summary)]
    pub summary: String,
    /// Markdown.
    #[schema(schema_with = fields::article_body)]
    pub body: String,
    #[schema(schema_with = fields::author_name)]
    pub author_name: String,
    #[serde(default)]
    pub published: bool,
    #[serde(default = "default_true")]
    pub comments_open: bool,
}

fn default_true() -> bool {
    true
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleJson {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub body_html: String,
    pub author_name: String,
    pub published_at: Option<DateTime<Utc>>,
    pub comments_open: bool,
    /// Published comments.
    pub comment_count: i64,
    pub url: String,
}

impl ArticleJson {
    pub fn new(article: &Article, base_url: &str) -> ArticleJson {
        ArticleJson {
            id: article.id,
            slug: article.slug.clone(),
            title: article.title.clone(),
            summary: article.summary.clone(),
            body_html: article.body_html.clone(),
            author_name: article.author_name.clone(),
            published_at: article.published_at.map(utc),
            comments_open: article.comments_open,
            comment_count: article.comment_count,
            url: format!("{base_url}/articles/{}", article.slug),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleList {
    pub articles: Vec<ArticleJson>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuthorJson {
    pub username: String,
    pub display_name: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommentJson {
    pub id: i64,
    pub parent_id: Option<i64>,
    /// Null for a placeholder ("[deleted]").
    pub author: Option<AuthorJson>,
    /// Sanitised HTML with profanity masked. Empty for a placeholder.
    pub body_html: String,
    /// `published`, `deleted` or `removed` (the last two are placeholders kept for their replies),
    /// or, to its author and to moderators only, `pending`: held for a moderator.
    pub status: String,
    /// To the author of a held (`pending`) comment: why it waits and what happens next. Null
    /// otherwise.
    pub held: Option<HeldJson>,
    pub score: i64,
    /// Whether the signed-in reader has upvoted it.
    pub voted: bool,
    /// Whether the signed-in reader may still edit it: their own, within the edit window, while
    /// they may take part.
    pub editable: bool,
    pub created_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
    /// Replies nest at most six levels deep. A reply to a sixth-level comment comes beside it,
    /// in the same list, and names the comment it answers in `parent_id`.
    #[schema(no_recursion)]
    pub replies: Vec<CommentJson>,
}

impl CommentJson {
    /// A comment its author has just written or edited: theirs to edit for the whole window.
    pub fn just_written(c: &Comment) -> CommentJson {
        CommentJson::seen_by(c, false, true)
    }

    fn seen_by(c: &Comment, voted: bool, editable: bool) -> CommentJson {
        let placeholder = c.is_placeholder();
        CommentJson {
            id: c.id,
            parent_id: c.parent_id,
            author: (!placeholder).then(|| AuthorJson {
                username: c.author_username.clone(),
                display_name: c.author_display_name.clone(),
            }),
            body_html: c.body_html.clone(),
            status: c.status.as_str().to_owned(),
            score: c.score,
            voted,
            editable,
            created_at: utc(c.created_at),
            edited_at: c.edited_at.map(utc),
            held: c.held.as_ref().map(HeldJson::from),
            replies: Vec::new(),
        }
    }

    pub fn tree(node: &Node<Comment>, reader: &Personal) -> CommentJson {
        let mut json = CommentJson::seen_by(&node.item, reader.voted(node.item.id), reader.editable(&node.item));
        json.replies = node.replies.iter().map(|r| CommentJson::tree(r, reader)).collect();
        json
    }
}

/// What is the signed-in reader's own in a thread: their upvotes, and their comments they may
/// still edit. Nobody's for a reader who is not signed in.
pub struct Personal {
    account: Option<i64>,
    voted: HashSet<i64>,
    /// Comments written after this may still be edited (when the reader may take part at all).
    editable_after: Option<NaiveDateTime>,
}

impl Personal {
    pub fn nobody() -> Personal {
        Personal { account: None, voted: HashSet::new(), editable_after: None }
    }

    /// `editable_after`: the start of the edit window now, or `None` when the reader may not
    /// take part (suspended or banned) and so edits nothing.
    pub fn of(account: i64, voted: HashSet<i64>, editable_after: Option<NaiveDateTime>) -> Personal {
        Personal { account: Some(account), voted, editable_after }
    }

    pub fn voted(&self, id: i64) -> bool {
        self.voted.contains(&id)
    }

    pub fn editable(&self, c: &Comment) -> bool {
        self.account == Some(c.author_id)
            && matches!(c.status, Status::Published | Status::Pending)
            && self.editable_after.is_some_and(|after| c.created_at > after)
    }

    /// Whether anything on these comments is the reader's own, so that the page shared by
    /// everyone would be wrong for them.
    pub fn touches(&self, nodes: &[Node<Comment>]) -> bool {
        nodes.iter().any(|n| self.voted(n.item.id) || self.editable(&n.item) || self.touches(&n.replies))
    }
}

impl CommentsPage {
    /// A page of the thread as `reader` sees it.
    pub fn new(page: &ThreadPage, sort: Sort, reader: &Personal) -> CommentsPage {
        CommentsPage {
            comments: page.comments.iter().map(|n| CommentJson::tree(n, reader)).collect(),
            total: page.total,
            next_cursor: page.next.clone(),
            sort: sort.as_str().to_owned(),
        }
    }
}

/// Why a held comment waits for a moderator, in words for its author, and what happens next.
#[derive(Debug, Serialize, ToSchema)]
pub struct HeldJson {
    #[schema(example = json!(["It contains a link, and links from new commenters are checked first."]))]
    pub reasons: Vec<String>,
    pub next: String,
}

impl From<&HeldNotice> for HeldJson {
    fn from(notice: &HeldNotice) -> HeldJson {
        HeldJson { reasons: notice.reasons.iter().map(|r| (*r).to_owned()).collect(), next: HELD_NEXT.to_owned() }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommentsPage {
    pub comments: Vec<CommentJson>,
    /// Published comments on the whole article.
    pub total: i64,
    /// Pass as `after` for the next page; null on the last page.
    pub next_cursor: Option<String>,
    #[schema(example = "oldest")]
    pub sort: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCommentRequest {
    /// Markdown, 1 to 10,000 characters.
    #[schema(schema_with = fields::comment_body)]
    pub body: String,
    /// The comment this replies to, on the same article.
    #[serde(default, deserialize_with = "whole::optional")]
    #[schema(schema_with = fields::parent_id)]
    pub parent_id: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditCommentRequest {
    #[schema(schema_with = fields::comment_body)]
    pub body: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoteRequest {
    /// 1 to upvote, 0 to take the vote back.
    #[serde(deserialize_with = "whole::required")]
    #[schema(schema_with = fields::vote_value)]
    pub value: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VoteResponse {
    pub score: i64,
    pub voted: bool,
}
