//! The JSON API under `/api/v1`, for the embeddable widget and integrations. It calls the same
//! services as the pages. Unsafe methods need the `X-CSRF-Token` header and a JSON body;
//! unknown fields are refused; errors are `{"error": {"code", "message"}}`.

pub mod accounts;
pub mod articles;
pub mod comments;
pub mod counts;
pub mod moderation;
pub mod openapi;
pub mod preview;
pub mod shared;
pub mod sso;
pub mod types;

use actix_web::error::{JsonPayloadError, QueryPayloadError};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};

use super::errors::HttpError;
use crate::error::Error;

pub type ApiResult = Result<HttpResponse, HttpError>;

type JsonMap = serde_json::Map<String, serde_json::Value>;
type ExtractFuture<T> = std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, actix_web::Error>>>>;

/// A JSON body, which must be an object. `web::Json` alone would also take an array for a struct
/// (serde reads a struct from its fields in order), which the document does not allow. Errors
/// are `web::Json`'s, through `json_error`.
pub struct JsonObject<T>(pub T);

impl<T> JsonObject<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for JsonObject<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

fn from_object<T: serde::de::DeserializeOwned>(object: JsonMap) -> Result<T, actix_web::Error> {
    serde_json::from_value(serde_json::Value::Object(object)).map_err(|e| {
        HttpError::new(StatusCode::BAD_REQUEST, "bad_request", format!("The JSON body is not valid: {e}.")).into()
    })
}

impl<T: serde::de::DeserializeOwned + 'static> actix_web::FromRequest for JsonObject<T> {
    type Error = actix_web::Error;
    type Future = ExtractFuture<Self>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let object = actix_web::web::Json::<JsonMap>::from_request(req, payload);
        Box::pin(async move { from_object(object.await?.into_inner()).map(JsonObject) })
    }
}

/// A JSON object body that may be left out (or sent as `null`, as the document's nullable body
/// says). `Option<web::Json<T>>` would also take a malformed body, or one of another content
/// type, for "no body", and so accept what it must refuse.
pub struct OptionalJson<T>(pub Option<T>);

impl<T: serde::de::DeserializeOwned + 'static> actix_web::FromRequest for OptionalJson<T> {
    type Error = actix_web::Error;
    type Future = ExtractFuture<Self>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        let bytes = actix_web::web::Bytes::from_request(&req, payload);
        Box::pin(async move {
            let bytes = bytes.await?;
            if bytes.is_empty() {
                return Ok(OptionalJson(None));
            }
            let mut payload = actix_web::dev::Payload::from(bytes);
            let object = actix_web::web::Json::<Option<JsonMap>>::from_request(&req, &mut payload).await?;
            Ok(OptionalJson(object.into_inner().map(from_object).transpose()?))
        })
    }
}

/// Turn body-parsing failures into the API's error shape.
pub fn json_error(error: JsonPayloadError, _: &HttpRequest) -> actix_web::Error {
    let api = match &error {
        JsonPayloadError::ContentType => HttpError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the body as JSON, with Content-Type: application/json.",
        ),
        JsonPayloadError::Deserialize(e) => {
            HttpError::new(StatusCode::BAD_REQUEST, "bad_request", format!("The JSON body is not valid: {e}."))
        }
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            HttpError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "The request body is too large.")
        }
        _ => HttpError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("The request body could not be read: {error}."),
        ),
    };
    api.into()
}

pub fn query_error(error: QueryPayloadError, _: &HttpRequest) -> actix_web::Error {
    let api =
        HttpError::new(StatusCode::BAD_REQUEST, "bad_request", format!("The query string is not valid: {error}."));
    api.into()
}

pub fn path_error(_: actix_web::error::PathError, _: &HttpRequest) -> actix_web::Error {
    let api = HttpError::new(StatusCode::NOT_FOUND, "not_found", "There is nothing at this address.");
    api.into()
}

/// No route took the request. When the path is an endpoint's, the method was wrong: 405, with
/// the methods the OpenAPI document lists for the path in `Allow`. The document and the route
/// table must agree, which the schemathesis run (and the tests) check.
pub async fn not_found(req: HttpRequest) -> ApiResult {
    let Some(allowed) = openapi::allowed_methods(req.path()) else {
        return Err(Error::NotFound("There is no API endpoint at this address.".into()).into());
    };
    let mut response = HttpResponse::from_error(HttpError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("This address answers {allowed} only."),
    ));
    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(allowed) {
        response.headers_mut().insert(actix_web::http::header::ALLOW, value);
    }
    Ok(response)
}
