//! The API's request and response bodies. Requests refuse unknown fields.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::role::Role;
use crate::domain::thread::Node;
use crate::services::accounts::User;
use crate::services::articles::Article;
use crate::services::comments::Comment;

pub fn utc(at: NaiveDateTime) -> DateTime<Utc> {
    DateTime::from_naive_utc_and_offset(at, Utc)
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
    pub username: String,
    pub email: String,
    pub password: String,
    #[serde(default)]
    pub display_name: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionRequest {
    /// A username or an email address.
    pub login: String,
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
    pub slug: String,
    pub title: String,
    #[serde(default)]
    pub summary: String,
    pub body: String,
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
    /// `published`, `deleted` or `removed` (the last two are placeholders kept for their replies).
    pub status: String,
    pub score: i64,
    /// Whether the signed-in reader has upvoted it.
    pub voted: bool,
    pub created_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
    /// Replies nest at most six levels deep. A reply to a sixth-level comment comes beside it,
    /// in the same list, and names the comment it answers in `parent_id`.
    #[schema(no_recursion)]
    pub replies: Vec<CommentJson>,
}

impl CommentJson {
    pub fn from_comment(c: &Comment, voted: bool) -> CommentJson {
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
            created_at: utc(c.created_at),
            edited_at: c.edited_at.map(utc),
            replies: Vec::new(),
        }
    }

    pub fn tree(node: &Node<Comment>, voted: &dyn Fn(i64) -> bool) -> CommentJson {
        let mut json = CommentJson::from_comment(&node.item, voted(node.item.id));
        json.replies = node.replies.iter().map(|r| CommentJson::tree(r, voted)).collect();
        json
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
    pub body: String,
    #[serde(default)]
    pub parent_id: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditCommentRequest {
    pub body: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoteRequest {
    /// 1 to upvote, 0 to take the vote back.
    pub value: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VoteResponse {
    pub score: i64,
    pub voted: bool,
}
