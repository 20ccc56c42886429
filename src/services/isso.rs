//! Isso's HTTP API as use cases (`http::isso` is its edge): Isso's own published client,
//! pointed at Civil, lists, posts, edits, deletes and likes through Civil's services, so the
//! masking, the moderation policy, rate limits and bans apply as they do to Civil's own forms.
//!
//! **Threads.** Isso names a thread by the page's path (`uri`). The page's origin completes it
//! into the address that the embed and `civil import isso --site` key external threads by, so
//! an imported Isso thread, Civil's embed and Isso's client on the same page are one thread.
//!
//! **Guests.** Isso's readers have no accounts. A guest's comment is written under an unclaimed
//! account, as the importer makes them: the unclaimed account holding the guest's address (an
//! imported author's, or an earlier guest's), else a new one with it; without an address, the
//! account of that name that `civil import isso` makes. An address that belongs to a claimed
//! account never gets a guest's comment: the guest gets an account of their own, so nobody posts
//! as a member by typing the member's address. Making a guest account counts as a registration
//! for the per-address limit; the policy then judges the comment as it judges any new commenter.
//!
//! **Edit and delete.** Isso's client proves authorship by the cookie set when the comment was
//! posted: here `ID.EXPIRES.MAC`, the MAC under the site's key over the comment, its author and
//! the end of the edit window.

use chrono::{Duration, NaiveDateTime};
use serde::Serialize;

use super::threads::{find_comment, Comment};
use super::tokens::{self, FormKey};
use super::{comments, embeds, rate_limits, settings, App};
use crate::domain::account::User;
use crate::domain::canonical_url::{Origin, Requester};
use crate::domain::comment_body::CommentBody;
use crate::domain::email::EmailAddress;
use crate::domain::role::Role;
use crate::domain::sso;
use crate::domain::thread::Status;
use crate::error::Error;
use crate::store::comments as store_comments;
use crate::store::imports::{self, Kind};
use crate::store::{articles, users};

/// The address of Isso's thread `uri` on a page of `origin`: a path joins the origin; a whole
/// address (a page may name one in `data-isso-id`) stays as it is.
pub fn thread_url(origin: &Origin, uri: &str) -> String {
    let uri = uri.trim();
    if uri.starts_with("http://") || uri.starts_with("https://") {
        uri.to_owned()
    } else if uri.starts_with('/') {
        format!("{origin}{uri}")
    } else {
        format!("{origin}/{uri}")
    }
}

/// A comment in Isso's shape. `text` is Civil's masked, sanitised HTML (the raw markdown only
/// for its author, through the edit cookie); `website` is always null (Civil keeps none);
/// dislikes are always 0 (Civil has no down-votes).
#[derive(Debug, Clone, Serialize)]
pub struct IssoComment {
    pub id: i64,
    pub parent: Option<i64>,
    pub text: String,
    pub author: Option<String>,
    pub website: Option<String>,
    /// 1 public, 2 waiting for a moderator, 4 a placeholder (deleted or removed, with replies).
    pub mode: u8,
    pub created: f64,
    pub modified: Option<f64>,
    pub likes: i64,
    pub dislikes: i64,
    /// Names the author for Isso's identicons, without saying who it is.
    pub hash: String,
}

fn epoch(at: NaiveDateTime) -> f64 {
    at.and_utc().timestamp_millis() as f64 / 1000.0
}

fn mode(status: Status) -> u8 {
    match status {
        Status::Published => 1,
        Status::Pending => 2,
        Status::Deleted | Status::Removed => 4,
    }
}

fn author_hash(key: &FormKey, author_id: i64) -> String {
    tokens::hash(&key.sign(&format!("isso author {author_id}")))[..12].to_owned()
}

impl IssoComment {
    fn of(key: &FormKey, c: &Comment, parent: Option<i64>) -> IssoComment {
        let placeholder = c.is_placeholder() && c.status != Status::Pending;
        IssoComment {
            id: c.id,
            parent,
            text: if placeholder { String::new() } else { c.body_html.clone() },
            author: (!placeholder).then(|| c.author_name().to_owned()),
            website: None,
            mode: mode(c.status),
            created: epoch(c.created_at),
            modified: c.edited_at.map(epoch),
            likes: c.score,
            dislikes: 0,
            hash: author_hash(key, c.author_id),
        }
    }
}

/// What the server tells Isso's client about itself (`GET /config`, and in every listing).
#[derive(Debug, Clone, Serialize)]
pub struct ClientConfig {
    #[serde(rename = "reply-to-self")]
    pub reply_to_self: bool,
    #[serde(rename = "require-email")]
    pub require_email: bool,
    #[serde(rename = "require-author")]
    pub require_author: bool,
    #[serde(rename = "reply-notifications")]
    pub reply_notifications: bool,
    pub gravatar: bool,
    pub feed: bool,
}

pub fn client_config() -> ClientConfig {
    ClientConfig {
        reply_to_self: true,
        require_email: false,
        require_author: false,
        reply_notifications: false,
        gravatar: false,
        feed: true,
    }
}

/// The order of a listing (Isso 0.14's `sort`; 0.13 knows only the oldest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Oldest,
    Newest,
    Upvotes,
}

impl Order {
    /// An empty value is the default, as Isso's own client sends it.
    pub fn parse(input: Option<&str>) -> Result<Order, Error> {
        match input.unwrap_or("") {
            "" | "oldest" => Ok(Order::Oldest),
            "newest" => Ok(Order::Newest),
            "upvotes" => Ok(Order::Upvotes),
            _ => Err(Error::BadRequest("Invalid sort option. Must be one of: 'newest', 'oldest', 'upvotes'".into())),
        }
    }
}

/// A listing as Isso's client asks for it: the replies to `parent` (the top-level comments
/// when none) written after `after`, in `order`, `offset` and at most `limit` of them, each
/// top-level one with at most `nested_limit` of its replies.
#[derive(Debug, Clone)]
pub struct ListQuery {
    pub parent: Option<i64>,
    pub after: Option<f64>,
    pub limit: Option<usize>,
    pub nested_limit: Option<usize>,
    pub offset: usize,
    pub order: Order,
    /// The text as markdown (masked as readers see it) rather than HTML.
    pub plain: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    #[serde(flatten)]
    pub comment: IssoComment,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub nested: Option<Nested>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Nested {
    pub total_replies: usize,
    pub hidden_replies: usize,
    pub replies: Vec<IssoComment>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Listing {
    pub id: Option<i64>,
    pub total_replies: usize,
    pub hidden_replies: usize,
    pub replies: Vec<Listed>,
    pub config: ClientConfig,
}

/// One shown comment, with the comment Isso's client files it under: Isso nests one level,
/// so every reply, at any depth in Civil, hangs under its top-level comment.
struct Entry {
    comment: Comment,
    under: Option<i64>,
}

/// The replies to `parent` written after `after`, in the listing's order.
fn children(entries: &[Entry], parent: Option<i64>, after: Option<f64>, order: Order) -> Vec<&Entry> {
    let mut list: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.under == parent)
        .filter(|e| after.is_none_or(|after| epoch(e.comment.created_at) > after))
        .collect();
    match order {
        Order::Oldest => {}
        Order::Newest => list.reverse(),
        Order::Upvotes => list.sort_by_key(|e| std::cmp::Reverse(e.comment.score)),
    }
    list
}

/// A thread as Isso's client lists it. A thread not started yet (or on a site that may not
/// embed) lists as empty: reading starts nothing.
pub async fn list(app: &App, key: &FormKey, page: &Origin, uri: &str, query: &ListQuery) -> Result<Listing, Error> {
    let url = thread_url(page, uri);
    let rows = match embeds::existing_thread(app, &url).await {
        Ok(article) => app.db(move |conn| Ok(store_comments::shown_in_article(conn, article.id)?)).await?,
        Err(Error::NotFound(_) | Error::Invalid(_)) => Vec::new(),
        Err(other) => return Err(other),
    };
    let raw = if query.plain { plain_texts(app, &rows).await? } else { Vec::new() };
    let entries: Vec<Entry> = rows
        .into_iter()
        .map(|row| {
            let under = (row.depth > 0).then_some(row.root_id);
            Entry { comment: Comment::from(row), under }
        })
        .collect();
    let shape = |e: &Entry| {
        let mut comment = IssoComment::of(key, &e.comment, e.under);
        if let Some((_, text)) = raw.iter().find(|(id, _)| *id == e.comment.id) {
            comment.text = text.clone();
        }
        comment
    };
    let level = children(&entries, query.parent, query.after, query.order);
    let total = level.len();
    let shown: Vec<&Entry> = level.into_iter().skip(query.offset).take(query.limit.unwrap_or(usize::MAX)).collect();
    let hidden = total.saturating_sub(query.offset).saturating_sub(shown.len());
    let replies = shown
        .iter()
        .map(|e| Listed {
            comment: shape(e),
            nested: query.parent.is_none().then(|| {
                let replies = children(&entries, Some(e.comment.id), None, query.order);
                let total_replies = replies.len();
                let replies: Vec<IssoComment> =
                    replies.into_iter().take(query.nested_limit.unwrap_or(usize::MAX)).map(shape).collect();
                Nested { total_replies, hidden_replies: total_replies - replies.len(), replies }
            }),
        })
        .collect();
    Ok(Listing { id: query.parent, total_replies: total, hidden_replies: hidden, replies, config: client_config() })
}

/// The markdown of published comments, masked as readers see it (placeholders have none).
async fn plain_texts(app: &App, rows: &[store_comments::ThreadRow]) -> Result<Vec<(i64, String)>, Error> {
    let ids: Vec<i64> = rows.iter().filter(|r| r.status == Status::Published.as_str()).map(|r| r.id).collect();
    let bodies = app
        .db(move |conn| {
            let mut bodies = Vec::with_capacity(ids.len());
            for id in ids {
                bodies.push((id, find_comment(conn, id)?.body_raw));
            }
            Ok(bodies)
        })
        .await?;
    let site = settings::current(app).await?;
    Ok(bodies.into_iter().map(|(id, raw)| (id, comments::masked_text(app, &site, &raw))).collect())
}

/// Who writes a comment through Isso's client.
pub enum Writer {
    /// A reader signed in to Civil (its session cookie reached us).
    Member(User),
    /// Anyone else, with what Isso's form asks for.
    Guest { name: Option<String>, email: Option<String> },
}

/// The cookie that lets the author of a comment edit or delete it, until the edit window
/// closes.
#[derive(Debug, Clone)]
pub struct EditCookie {
    pub id: i64,
    pub value: String,
    /// Seconds left.
    pub max_age: i64,
}

fn edit_message(id: i64, author_id: i64, expires: i64) -> String {
    format!("isso edit {id} {author_id} {expires}")
}

fn edit_cookie(app: &App, key: &FormKey, id: i64, author_id: i64, created_at: NaiveDateTime) -> EditCookie {
    let expires = comments::edit_deadline(app, created_at).and_utc().timestamp();
    let max_age = (expires - app.clock.now().and_utc().timestamp()).max(0);
    let value = format!("{id}.{expires}.{}", key.sign(&edit_message(id, author_id, expires)));
    EditCookie { id, value, max_age }
}

#[derive(Debug, Clone)]
pub struct Posted {
    pub comment: IssoComment,
    /// Waiting for a moderator.
    pub held: bool,
    pub cookie: EditCookie,
}

/// A new comment (a reply under `parent`) on the thread of `uri` on `page`, started here if it
/// is the thread's first and the site may embed. `address` is the writer's network address
/// (rate limits).
#[allow(clippy::too_many_arguments)]
pub async fn post(
    app: &App,
    key: &FormKey,
    page: &Origin,
    uri: &str,
    title: Option<&str>,
    writer: Writer,
    text: &str,
    parent: Option<i64>,
    address: &str,
) -> Result<Posted, Error> {
    // A body Civil would refuse makes no thread and no guest account.
    CommentBody::parse(text)?;
    let url = thread_url(page, uri);
    let article = embeds::thread_for(app, &url, title, &Requester::Page(page.clone())).await?;
    let author = match writer {
        Writer::Member(user) => user,
        Writer::Guest { name, email } => guest_account(app, name, email, address).await?,
    };
    let comment = comments::post(app, &author, article.slug, text, parent).await?;
    let cookie = edit_cookie(app, key, comment.id, author.id, comment.created_at);
    let held = comment.status == Status::Pending;
    Ok(Posted { comment: IssoComment::of(key, &comment, comment.parent_id), held, cookie })
}

/// The account a guest's comment is written under (see the module's introduction).
async fn guest_account(app: &App, name: Option<String>, email: Option<String>, address: &str) -> Result<User, Error> {
    if !app.settings.isso_guests {
        return Err(Error::forbidden("This site takes no comments from guests: sign in on the site to comment."));
    }
    let email = match email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        Some(email) => Some(EmailAddress::parse(email)?),
        None => None,
    };
    let name: String = name
        .as_deref()
        .map(|n| n.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "Anonymous".to_owned())
        .chars()
        .take(60)
        .collect();
    let site = settings::current(app).await?;
    let filter = app.filters.for_lists(&site.words);
    let limit = app
        .limits_on()
        .then(|| rate_limits::Limit { max: app.settings.limits.registrations_per_hour, window: Duration::hours(1) });
    let clock = app.clock.clone();
    let address = address.to_owned();
    let row = app
        .write(move |conn| {
            // The identity the importer records for an author without an address, so a guest
            // of that name after the switch is the same account; a guest whose address has a
            // claimed account is recorded under the address instead.
            let identity = match &email {
                Some(email) => format!("guest:email:{}", email.key()),
                None => format!("name:isso:{}", name.to_lowercase()),
            };
            if let Some(email) = &email {
                if let Some(row) = users::find_by_email_key(conn, &email.key())? {
                    if row.is_unclaimed() {
                        return Ok(row);
                    }
                }
            }
            if let Some(id) = imports::find(conn, Kind::Author, &identity)? {
                if let Some(row) = users::find(conn, id)? {
                    return Ok(row);
                }
            }
            let now = clock.now();
            if let Some(limit) = limit {
                let message = "Too many new names from your address in an hour: try again later.";
                rate_limits::take(conn, rate_limits::Action::Register, &address, limit, now, message)?;
            }
            let taken = match &email {
                Some(email) => users::find_by_email_key(conn, &email.key())?.is_some(),
                None => false,
            };
            let username = super::imports::free_username(conn, &name, email.as_ref(), "guest", &filter)?;
            let username_key = username.key();
            let email_key = match &email {
                Some(email) if !taken => email.key(),
                _ => users::unattached_email_key(&username_key),
            };
            let display_name = sso::display_name(Some(&name), &filter);
            let row = users::insert(
                conn,
                &users::NewUser {
                    username: username.as_str(),
                    username_key: &username_key,
                    email: email.as_ref().map_or("", |e| e.as_str()),
                    email_key: &email_key,
                    display_name: display_name.as_ref().map(|d| d.as_str()),
                    password_hash: users::NO_PASSWORD,
                    role: Role::Reader.as_str(),
                    created_at: now,
                    sso_subject: None,
                    email_verified_at: None,
                },
            )?;
            if email.is_none() || taken {
                imports::record(conn, Kind::Author, &identity, row.id, now)?;
            }
            Ok(row)
        })
        .await?;
    Ok(User::from(row))
}

/// The comment `id` and its author, when `cookie` is the edit cookie Civil set for it and its
/// edit window is still open.
async fn authorised(app: &App, key: &FormKey, id: i64, cookie: Option<&str>) -> Result<(User, Comment), Error> {
    let refused = || {
        Error::forbidden(
            "Not authorised: this browser has no edit cookie for that comment, or its edit time has passed.",
        )
    };
    let (row, author) = app
        .db(move |conn| {
            let row = store_comments::find_in_thread(conn, id)?.ok_or_else(|| Error::not_found("That comment"))?;
            let author = users::find(conn, row.author_id)?.ok_or_else(|| Error::not_found("That comment"))?;
            Ok((row, author))
        })
        .await?;
    let comment = Comment::from(row);
    if !matches!(comment.status, Status::Published | Status::Pending) {
        return Err(Error::not_found("That comment"));
    }
    let mut parts = cookie.unwrap_or("").splitn(3, '.');
    let (Some(cookie_id), Some(expires), Some(mac)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(refused());
    };
    let (Ok(cookie_id), Ok(expires)) = (cookie_id.parse::<i64>(), expires.parse::<i64>()) else {
        return Err(refused());
    };
    let genuine =
        cookie_id == id && tokens::constant_time_eq(&key.sign(&edit_message(id, comment.author_id, expires)), mac);
    if !genuine || expires <= app.clock.now().and_utc().timestamp() {
        return Err(refused());
    }
    Ok((User::from(author), comment))
}

/// A comment for its author to edit: the markdown as written when `plain`, else the HTML.
pub async fn view(app: &App, key: &FormKey, id: i64, cookie: Option<&str>, plain: bool) -> Result<IssoComment, Error> {
    let (_, comment) = authorised(app, key, id, cookie).await?;
    let mut shaped = IssoComment::of(key, &comment, comment.parent_id);
    if plain {
        shaped.text = app.db(move |conn| Ok(find_comment(conn, id)?.body_raw)).await?;
    }
    Ok(shaped)
}

/// Edit a comment through its edit cookie, as its author (the edit window, masking and the
/// policy apply as to any edit).
pub async fn edit(
    app: &App,
    key: &FormKey,
    id: i64,
    cookie: Option<&str>,
    text: &str,
) -> Result<(IssoComment, EditCookie), Error> {
    let (author, _) = authorised(app, key, id, cookie).await?;
    let comment = comments::edit(app, &author, id, text).await?;
    let cookie = edit_cookie(app, key, id, author.id, comment.created_at);
    Ok((IssoComment::of(key, &comment, comment.parent_id), cookie))
}

/// Delete a comment through its edit cookie. With shown replies it stays as a placeholder,
/// which is returned; otherwise it is gone, and `None` says so.
pub async fn delete(app: &App, key: &FormKey, id: i64, cookie: Option<&str>) -> Result<Option<IssoComment>, Error> {
    let (author, _) = authorised(app, key, id, cookie).await?;
    comments::delete(app, &author, id).await?;
    let after = app.db(move |conn| Ok(store_comments::find(conn, id)?)).await?;
    Ok(after.filter(|row| row.status == Status::Deleted.as_str() && row.live_replies > 0).map(|row| IssoComment {
        id,
        parent: row.parent_id,
        text: String::new(),
        author: None,
        website: None,
        mode: 4,
        created: epoch(row.created_at),
        modified: row.edited_at.map(epoch),
        likes: row.score,
        dislikes: 0,
        hash: author_hash(key, row.author_id),
    }))
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Votes {
    pub likes: i64,
    pub dislikes: i64,
}

/// A like from a visitor without an account, once per comment and visitor (known by a keyed
/// hash of the address, never the address itself). `up = false` (Isso's dislike) changes
/// nothing: Civil has no down-votes.
pub async fn vote(app: &App, key: &FormKey, id: i64, address: &str, up: bool) -> Result<Votes, Error> {
    let voter = key.sign(&format!("isso voter {address}"));
    let limit = app
        .limits_on()
        .then(|| rate_limits::Limit { max: app.settings.limits.votes_per_minute, window: Duration::minutes(1) });
    let clock = app.clock.clone();
    app.write(move |conn| {
        let now = clock.now();
        let comment = find_comment(conn, id)?;
        if Status::from_db(&comment.status) != Status::Published {
            return Err(Error::not_found("That comment"));
        }
        if up {
            if let Some(limit) = limit {
                let message = format!("You are voting very quickly: at most {} votes a minute.", limit.max);
                rate_limits::take(conn, rate_limits::Action::Vote, &format!("guest:{voter}"), limit, now, &message)?;
            }
            if store_comments::insert_guest_vote(conn, id, &voter, now)? == 1 {
                store_comments::add_score(conn, id, 1)?;
                articles::touch_discussion(conn, comment.article_id, 0)?;
            }
        }
        Ok(Votes { likes: find_comment(conn, id)?.score, dislikes: 0 })
    })
    .await
}

/// The published-comment count of each of Isso's thread names on `page`, in order.
pub async fn counts(app: &App, page: &Origin, uris: Vec<String>) -> Result<Vec<i64>, Error> {
    let urls = uris.iter().map(|uri| thread_url(page, uri)).collect();
    Ok(embeds::counts(app, urls).await?.into_iter().map(|(_, n)| n).collect())
}

/// The HTML a preview shows: masked and rendered as the post will be. Counted per visitor.
pub async fn preview(app: &App, key: &FormKey, address: &str, text: &str) -> Result<String, Error> {
    // Accounts count their previews by id; a visitor without one by a number from the
    // address's hash, below zero so that it is never an account's.
    let hashed = tokens::hash(&key.sign(&format!("isso previewer {address}")));
    let number = i64::from_str_radix(&hashed[..15], 16).unwrap_or(0);
    comments::rendered(app, -1 - number, text).await
}
