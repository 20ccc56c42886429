use std::sync::OnceLock;

use actix_web::dev::ResourceDef;
use actix_web::HttpResponse;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Object, ObjectBuilder, Ref, RefOr, ResponseBuilder, Type};
use utoipa::{Modify, OpenApi};

use super::counts::CountsJson;
use super::moderation::*;
use super::preview::{PreviewJson, PreviewRequest};
use super::sso::SsoRequest;
use super::types::*;
use super::{accounts, articles, comments, counts, moderation, preview, sso};
use crate::http::extract::{session_cookie_name, CSRF_HEADER};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Civil API",
        description = "Comments, accounts and articles. Unsafe methods need the session cookie, an X-CSRF-Token header and a JSON body. Errors are {\"error\": {\"code\", \"message\", \"field\"?}}. A method a path does not list is answered 405 with an Allow header."
    ),
    modifiers(&CommonAnswers),
    paths(
        accounts::create_account,
        accounts::get_session,
        accounts::create_session,
        accounts::delete_session,
        sso::sign_in,
        articles::list,
        articles::show,
        articles::create,
        comments::list,
        comments::create,
        comments::edit,
        comments::delete,
        comments::vote,
        preview::preview,
        moderation::flag,
        moderation::queue,
        moderation::queue_counts,
        moderation::act_on_comment,
        moderation::undo,
        moderation::act_on_user,
        moderation::log,
        counts::counts,
    ),
    components(schemas(
        ErrorBody,
        ErrorDetail,
        AccountRequest,
        SessionRequest,
        SsoRequest,
        SessionResponse,
        UserJson,
        ArticleRequest,
        ArticleJson,
        ArticleList,
        AuthorJson,
        CommentJson,
        HeldJson,
        CommentsPage,
        NewCommentRequest,
        EditCommentRequest,
        VoteRequest,
        VoteResponse,
        PreviewRequest,
        PreviewJson,
        FlagRequest,
        FlagResponse,
        QueueCounts,
        QueueFlagJson,
        QueueItemJson,
        QueueAuthorJson,
        QueueJson,
        ModerationRequest,
        CommentActionName,
        UserActionName,
        ActionResponse,
        UndoResponse,
        UserActionRequest,
        LogEntryJson,
        LogJson,
        CountsJson,
    ))
)]
pub struct ApiDoc;

/// The answers that do not depend on the endpoint, added to every operation they can come from,
/// so that no annotation can forget them:
/// - 400 anywhere: a query string or body that does not parse, an unknown field, or a control
///   character in the address, query string or body;
/// - 413 and 415 wherever a body is read;
/// - 401 wherever the session is required (the operations that name only the `session` scheme);
/// - 403 wherever the CSRF header is required;
/// - 503 anywhere: the database cannot be reached.
struct CommonAnswers;

const COMMON: [(&str, &str, &str); 6] = [
    ("400", "BadRequest", "The request is malformed: a query string or JSON body that does not parse or has an unknown field, or a control character in the address, the query string or a body field (tabs and line breaks are allowed in body text)."),
    ("401", "Unauthenticated", "Not signed in: send the session cookie."),
    ("403", "Forbidden", "The X-CSRF-Token header is missing or wrong, or the account may not do this."),
    ("413", "PayloadTooLarge", "The body is larger than 256 KiB."),
    ("415", "UnsupportedMediaType", "The body is not sent as application/json."),
    ("503", "Unavailable", "The database cannot be reached right now; try again in a moment."),
];

/// The 429 that rate-limited operations get.
const RATE_LIMITED: &str = "RateLimited";

impl Modify for CommonAnswers {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.security_schemes.insert(
            "session".into(),
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                session_cookie_name(false),
                "Set by signing in (POST /api/v1/session) or registering. Behind https it is named \
                 `__Host-civil_session`.",
            )))
            .into(),
        );
        for (_, name, description) in COMMON {
            components.responses.insert(name.into(), error_response(description).into());
        }
        let retry_after = HeaderBuilder::new()
            .schema(Some(Object::with_type(Type::Integer)))
            .description(Some("Seconds to wait before trying again."))
            .build();
        let limited = ResponseBuilder::from(error_response("Too many attempts: wait as long as Retry-After says."))
            .header("Retry-After", retry_after)
            .build();
        components.responses.insert(RATE_LIMITED.into(), limited.into());
        security_header_components(components);

        link_new_comments(doc);
        for item in doc.paths.paths.values_mut() {
            for operation in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
                &mut item.head,
                &mut item.options,
                &mut item.trace,
            ]
            .into_iter()
            .flatten()
            {
                add_common_answers(operation);
                for response in operation.responses.responses.values_mut() {
                    if let RefOr::T(response) = response {
                        add_security_headers(response);
                    }
                }
            }
        }
        if let Some(components) = doc.components.as_mut() {
            for response in components.responses.values_mut() {
                if let RefOr::T(response) = response {
                    add_security_headers(response);
                }
            }
        }
    }
}

/// A posted comment's id leads to what can be done with it, so that a client (and the fuzzer's
/// stateful phase) can follow from one to the other.
fn link_new_comments(doc: &mut utoipa::openapi::OpenApi) {
    let posted = doc
        .paths
        .paths
        .get_mut("/api/v1/articles/{slug}/comments")
        .and_then(|item| item.post.as_mut())
        .and_then(|post| post.responses.responses.get_mut("201"));
    let Some(RefOr::T(posted)) = posted else { return };
    for operation in ["edit_comment", "delete_comment", "vote", "flag", "act_on_comment"] {
        let link = LinkBuilder::new().operation_id(operation).parameter("id", "$response.body#/id").build();
        posted.links.insert(operation.into(), RefOr::T(link));
    }
}

/// The headers the security middleware (`http::security`) puts on every response, API or page.
const SECURITY_HEADERS: [(&str, Option<&str>); 4] = [
    ("X-Content-Type-Options", Some("nosniff")),
    ("X-Frame-Options", Some("DENY")),
    ("Referrer-Policy", Some("same-origin")),
    ("Content-Security-Policy", None),
];

fn security_header_components(components: &mut utoipa::openapi::Components) {
    for (name, value) in SECURITY_HEADERS {
        let schema = match value {
            Some(value) => ObjectBuilder::new().schema_type(Type::String).enum_values(Some([value])).build(),
            None => Object::with_type(Type::String),
        };
        let header = HeaderBuilder::new().schema(Some(schema)).description(Some("Sent with every response.")).build();
        components.headers.insert(name.into(), RefOr::T(header));
    }
}

fn add_security_headers(response: &mut utoipa::openapi::Response) {
    for (name, _) in SECURITY_HEADERS {
        response.headers.insert(name.into(), RefOr::Ref(Ref::new(format!("#/components/headers/{name}"))));
    }
}

fn error_response(description: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build())
        .build()
}

fn add_common_answers(operation: &mut Operation) {
    let has_body = operation.request_body.is_some();
    // Operations that need the session name only the `session` scheme; those where it is
    // optional (drafts for admins, one's own held comments) also name the empty requirement.
    let signed_in =
        operation.security.as_ref().is_some_and(|s| !s.is_empty() && !s.contains(&SecurityRequirement::default()));
    let csrf = operation.parameters.iter().flatten().any(|p| matches!(p, RefOr::T(p) if p.name == CSRF_HEADER));
    // Rate-limited operations say 429 in their annotations; they all get the one answer, with
    // its Retry-After header.
    if let Some(limited) = operation.responses.responses.get_mut("429") {
        *limited = RefOr::Ref(Ref::new(format!("#/components/responses/{RATE_LIMITED}")));
    }
    for (status, name, _) in COMMON {
        let applies = match status {
            "401" => signed_in,
            "403" => csrf,
            "413" | "415" => has_body,
            _ => true,
        };
        if applies {
            // An annotation's own description of the status (say, a 403 for "not yours") wins.
            operation
                .responses
                .responses
                .entry(status.into())
                .or_insert_with(|| RefOr::Ref(Ref::new(format!("#/components/responses/{name}"))));
        }
    }
}

/// Every header a response in the document names is always sent with it. utoipa's header type
/// has no `required` field, so it is set on the JSON.
fn require_headers(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::Object(headers)) = map.get_mut("headers") {
                // A reference's target is a header too, and is marked where it is defined.
                for header in headers.values_mut() {
                    if let serde_json::Value::Object(header) = header {
                        if !header.contains_key("$ref") {
                            header.insert("required".into(), true.into());
                        }
                    }
                }
            }
            map.values_mut().for_each(require_headers);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(require_headers),
        _ => {}
    }
}

/// The document as served, built once.
pub fn json() -> &'static serde_json::Value {
    static DOCUMENT: OnceLock<serde_json::Value> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let mut value = serde_json::to_value(ApiDoc::openapi()).expect("the OpenAPI document serialises");
        require_headers(&mut value);
        value
    })
}

/// The methods the document lists for the endpoint `path` matches (as `Allow` spells them), or
/// `None` when it matches none.
pub fn allowed_methods(path: &str) -> Option<&'static str> {
    static ENDPOINTS: OnceLock<Vec<(ResourceDef, String)>> = OnceLock::new();
    let endpoints = ENDPOINTS.get_or_init(|| {
        let mut endpoints = vec![(ResourceDef::new("/api/v1/openapi.json"), "GET".to_owned())];
        for (template, item) in json()["paths"].as_object().into_iter().flatten() {
            let methods: Vec<String> = ["get", "put", "post", "delete", "patch"]
                .into_iter()
                .filter(|m| item.get(m).is_some())
                .map(str::to_uppercase)
                .collect();
            endpoints.push((ResourceDef::new(template.as_str()), methods.join(", ")));
        }
        endpoints
    });
    endpoints.iter().find(|(def, _)| def.is_match(path)).map(|(_, methods)| methods.as_str())
}

pub async fn document() -> HttpResponse {
    HttpResponse::Ok().json(json())
}
