//! Compression. Every response that is text goes out gzip- or brotli-compressed when the client
//! accepts it, with `Vary: Accept-Encoding` (`vary`): a body made for one request is compressed
//! in one go when it is complete (`dynamic`), a streamed one by actix's `Compress` (both wrapped
//! around the app in `startup`). Compressing as the response goes out costs CPU on every
//! request, so what is sent many times (the assets, the anonymous article page and the embed
//! fragment) is compressed once, ahead of the requests: a `Precompressed` body holds every
//! encoding, and `respond` picks one by the request's `Accept-Encoding` (q-values honoured) and
//! answers `If-None-Match` with 304. A response that carries `Content-Encoding` is left alone
//! by `Compress`.

use std::io::Write;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{
    self, AcceptEncoding, ContentEncoding, Encoding, EntityTag, Header, HeaderValue, IfNoneMatch,
};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};
use sha2::{Digest, Sha256};

/// How hard to squeeze: assets are compressed once per process, pages once per version of a
/// discussion (a busy thread changes every few seconds, so a page must not take long).
#[derive(Debug, Clone, Copy)]
pub enum Effort {
    Asset,
    Page,
}

/// A body in every encoding we offer, and its entity tag.
pub struct Precompressed {
    identity: Bytes,
    gzip: Bytes,
    br: Bytes,
    etag: EntityTag,
}

impl Precompressed {
    pub fn new(body: impl Into<Bytes>, effort: Effort) -> Precompressed {
        let identity: Bytes = body.into();
        let (gzip_level, br_quality) = match effort {
            Effort::Asset => (9, 11),
            // Quality 6 is within a few per cent of 11 on these pages, at a tenth of the time.
            Effort::Page => (6, 6),
        };
        let hex: String = Sha256::digest(&identity)[..12].iter().map(|b| format!("{b:02x}")).collect();
        Precompressed {
            gzip: gzip(&identity, gzip_level).into(),
            br: brotli(&identity, br_quality).into(),
            etag: EntityTag::new_weak(hex),
            identity,
        }
    }

    /// The bytes held, for the cache's budget.
    pub fn weight(&self) -> usize {
        self.identity.len() + self.gzip.len() + self.br.len()
    }

    pub fn identity(&self) -> &Bytes {
        &self.identity
    }

    pub fn etag(&self) -> &EntityTag {
        &self.etag
    }

    /// The response for `req`: 304 when it already has this body, else the body in the encoding
    /// it prefers, with `builder`'s status and headers. The entity tag is weak: the same for
    /// every encoding of the same content.
    pub fn respond(&self, req: &HttpRequest, mut builder: HttpResponseBuilder) -> HttpResponse {
        builder.insert_header(header::ETag(self.etag.clone()));
        builder.append_header((header::VARY, "Accept-Encoding"));
        if already_has(req, &self.etag) {
            return builder.status(StatusCode::NOT_MODIFIED).finish();
        }
        match preferred(req) {
            ContentEncoding::Brotli => builder.insert_header(ContentEncoding::Brotli).body(self.br.clone()),
            ContentEncoding::Gzip => builder.insert_header(ContentEncoding::Gzip).body(self.gzip.clone()),
            _ => builder.body(self.identity.clone()),
        }
    }
}

/// A body sent as it is (compressed on the way out, if at all), with a weak entity tag from its
/// content, answering `If-None-Match` with 304: for pages that are the same for everyone but
/// not worth keeping.
pub fn tagged(req: &HttpRequest, mut builder: HttpResponseBuilder, body: String) -> HttpResponse {
    let hex: String = Sha256::digest(body.as_bytes())[..12].iter().map(|b| format!("{b:02x}")).collect();
    let etag = EntityTag::new_weak(hex);
    builder.insert_header(header::ETag(etag.clone()));
    if already_has(req, &etag) {
        return builder.status(StatusCode::NOT_MODIFIED).finish();
    }
    builder.body(body)
}

/// Brotli, gzip or identity, as the request's `Accept-Encoding` ranks them (by q-value, then
/// brotli before gzip). A header that accepts none of them gets identity: we have nothing else.
pub fn preferred(req: &HttpRequest) -> ContentEncoding {
    static OFFERED: [Encoding; 3] = [Encoding::identity(), Encoding::brotli(), Encoding::gzip()];
    let Ok(accept) = AcceptEncoding::parse(req) else { return ContentEncoding::Identity };
    match accept.negotiate(OFFERED.iter()) {
        Some(Encoding::Known(encoding)) => encoding,
        _ => ContentEncoding::Identity,
    }
}

fn already_has(req: &HttpRequest, tag: &EntityTag) -> bool {
    match IfNoneMatch::parse(req) {
        Ok(IfNoneMatch::Any) => true,
        Ok(IfNoneMatch::Items(tags)) => tags.iter().any(|t| t.weak_eq(tag)),
        Err(_) => false,
    }
}

/// Whether the request takes gzip (q-values honoured): what a joined personal page is sent in.
pub fn accepts_gzip(req: &HttpRequest) -> bool {
    static OFFERED: [Encoding; 2] = [Encoding::gzip(), Encoding::identity()];
    let Ok(accept) = AcceptEncoding::parse(req) else { return false };
    matches!(accept.negotiate(OFFERED.iter()), Some(Encoding::Known(ContentEncoding::Gzip)))
}

/// A piece of a deflate stream compressed ahead of the requests that send it: raw deflate
/// ending in a sync flush (byte-aligned, not final), so pieces concatenate into one valid
/// stream. `primed` was compressed after the `prime` bytes that precede the piece in the shared
/// rendering, and may refer back to them: it is right only where those bytes were just sent.
/// `alone` refers to nothing before it and is right anywhere.
pub struct Piece {
    primed: Vec<u8>,
    alone: Vec<u8>,
    prime: usize,
    crc: u32,
    /// What appending this piece multiplies the CRC before it by (`crc_shift`).
    shift: u32,
    len: usize,
}

/// How far back a primed piece may look: a few comments' markup, which is where the repetition
/// is (a comment's classes and controls), at a small cost when the rendering is made.
const PRIME: usize = 8 * 1024;
/// Pieces made once per version of a discussion.
const SHARED_LEVEL: u32 = 6;
/// What a reader's own parts are compressed at, per request: small, and made every time.
const FRESH_LEVEL: u32 = 1;

impl Piece {
    /// `data`, which follows `before` in the shared rendering.
    pub fn new(before: &[u8], data: &[u8]) -> Piece {
        let prime = &before[before.len().saturating_sub(PRIME)..];
        Piece {
            primed: deflate_piece(prime, data, SHARED_LEVEL),
            alone: deflate_piece(&[], data, SHARED_LEVEL),
            prime: prime.len(),
            crc: crc32fast::hash(data),
            shift: crc_shift(data.len() as u64),
            len: data.len(),
        }
    }

    pub fn weight(&self) -> usize {
        self.primed.len() + self.alone.len()
    }
}

/// The CRC-32 polynomial, bits reversed (gzip's CRC).
const CRC_POLY: u32 = 0xedb8_8320;

/// `a` times `b` modulo the CRC polynomial, both as reversed polynomials (x^0 is the top bit).
fn crc_multiply(a: u32, mut b: u32) -> u32 {
    let mut product = 0;
    let mut bit = 1u32 << 31;
    while bit != 0 && a & (bit | (bit - 1)) != 0 {
        if a & bit != 0 {
            product ^= b;
        }
        bit >>= 1;
        b = if b & 1 != 0 { (b >> 1) ^ CRC_POLY } else { b >> 1 };
    }
    product
}

/// x^(8·len) modulo the CRC polynomial: the CRC of bytes followed by `len` more is the first
/// CRC times this, plus the CRC of the `len` bytes alone. Kept with each piece, a page's
/// hundreds of pieces each join with one multiplication, where combining CRCs without it took
/// one per bit of the length, a twentieth of a signed-in page's CPU.
fn crc_shift(len: u64) -> u32 {
    // x^(2^k) for k from 3 (x^8, one byte) upwards.
    let mut power = 1u32 << (31 - 8);
    let mut shift = 1u32 << 31;
    let mut left = len;
    while left != 0 {
        if left & 1 != 0 {
            shift = crc_multiply(power, shift);
        }
        power = crc_multiply(power, power);
        left >>= 1;
    }
    shift
}

/// Raw deflate of `data` ending in a sync flush. With a `prime`, the compressor reads those
/// bytes first (their output is dropped), so `data` may refer back to them.
fn deflate_piece(prime: &[u8], data: &[u8], level: u32) -> Vec<u8> {
    let mut compressor = flate2::Compress::new(flate2::Compression::new(level), false);
    let mut out = Vec::with_capacity(data.len() / 3 + 64);
    if !prime.is_empty() {
        deflate_flushed(&mut compressor, prime, &mut out);
        out.clear();
    }
    deflate_flushed(&mut compressor, data, &mut out);
    out
}

fn deflate_flushed(compressor: &mut flate2::Compress, mut input: &[u8], out: &mut Vec<u8>) {
    loop {
        if out.capacity() - out.len() < 64 {
            out.reserve(out.capacity().max(256));
        }
        let read = compressor.total_in();
        compressor.compress_vec(input, out, flate2::FlushCompress::Sync).expect("compressing in memory");
        input = &input[(compressor.total_in() - read) as usize..];
        // The flush is complete when it no longer fills the room it was given.
        if input.is_empty() && out.len() < out.capacity() {
            return;
        }
    }
}

/// A gzip body joined from pieces compressed ahead (`Piece`) and text of this request's own,
/// compressed as it comes: one valid gzip stream, whose CRC is combined from the pieces' CRCs.
pub struct GzipJoin {
    out: Vec<u8>,
    crc: u32,
    len: u64,
    /// This request's own text not yet compressed.
    fresh: Vec<u8>,
    /// Bytes sent since the last of this request's own: how far back a primed piece can look.
    clean: usize,
}

impl Default for GzipJoin {
    fn default() -> GzipJoin {
        GzipJoin::new()
    }
}

/// A request's own texts up to this size are sent stored, as they are: compressing a reader's
/// controls on a comment of theirs (about 650 bytes) would save a few hundred bytes, for
/// resetting a compressor's few hundred KiB of tables.
const STORED_MAX: usize = 1024;

thread_local! {
    static FRESH: std::cell::RefCell<flate2::Compress> =
        std::cell::RefCell::new(flate2::Compress::new(flate2::Compression::new(FRESH_LEVEL), false));
}

/// `data` as one stored (uncompressed) deflate block, not final, at a byte boundary (where
/// every piece ends).
fn stored_block(data: &[u8], out: &mut Vec<u8>) {
    debug_assert!(data.len() <= usize::from(u16::MAX));
    let len = data.len() as u16;
    // BFINAL 0, BTYPE 00, padded to the byte; then LEN and its complement.
    out.push(0);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&(!len).to_le_bytes());
    out.extend_from_slice(data);
}

impl GzipJoin {
    pub fn new() -> GzipJoin {
        let mut out = Vec::with_capacity(64 * 1024);
        // Magic, deflate, no flags, no time, no extra flags, unknown OS.
        out.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
        GzipJoin { out, crc: 0, len: 0, fresh: Vec::new(), clean: 0 }
    }

    /// Text of this request's own.
    pub fn text(&mut self, text: &str) {
        self.fresh.extend_from_slice(text.as_bytes());
        self.clean = 0;
    }

    /// A shared piece, where the shared rendering has it.
    pub fn piece(&mut self, piece: &Piece) {
        self.flush();
        let deflated = if self.clean >= piece.prime { &piece.primed } else { &piece.alone };
        self.out.extend_from_slice(deflated);
        self.crc = crc_multiply(piece.shift, self.crc) ^ piece.crc;
        self.len += piece.len as u64;
        self.clean += piece.len;
    }

    /// A shared piece in place of what the shared rendering has there (a comment's controls as
    /// a voter sees them): what follows cannot refer back across it.
    pub fn variant(&mut self, piece: &Piece) {
        self.piece(piece);
        self.clean = 0;
    }

    fn flush(&mut self) {
        if self.fresh.is_empty() {
            return;
        }
        if self.fresh.len() <= STORED_MAX {
            stored_block(&self.fresh, &mut self.out);
        } else {
            // One compressor per thread, reset for each text: a new one allocates and clears
            // a few hundred KiB, many times the work of compressing a reader's few KiB.
            FRESH.with_borrow_mut(|compressor| {
                compressor.reset();
                deflate_flushed(compressor, &self.fresh, &mut self.out);
            });
        }
        let mut crc = crc32fast::Hasher::new_with_initial_len(self.crc, self.len);
        crc.update(&self.fresh);
        self.crc = crc.finalize();
        self.len += self.fresh.len() as u64;
        self.fresh.clear();
    }

    pub fn finish(mut self) -> Vec<u8> {
        self.flush();
        // An empty final block (fixed Huffman codes: BFINAL, BTYPE 01, end of block).
        self.out.extend_from_slice(&[0x03, 0x00]);
        self.out.extend_from_slice(&self.crc.to_le_bytes());
        self.out.extend_from_slice(&(self.len as u32).to_le_bytes());
        self.out
    }
}

pub fn gzip(bytes: &[u8], level: u32) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
    encoder.write_all(bytes).expect("writing to memory");
    encoder.finish().expect("writing to memory")
}

pub fn brotli(bytes: &[u8], quality: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() / 4 + 64);
    // A window no larger than the body: brotli's default (4 MiB) would be allocated, and
    // touched, for every body, however small.
    let window = (usize::BITS - bytes.len().max(1).leading_zeros()).clamp(10, 22);
    let params = brotli::enc::BrotliEncoderParams {
        quality: quality as i32,
        lgwin: window as i32,
        size_hint: bytes.len(),
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params).expect("writing to memory");
    out
}

/// Bodies smaller than this go out as they are: compressing them saves less than it costs.
const DYNAMIC_MIN: usize = 256;
/// What a response made for one request is compressed at: made every time, so quickly.
const DYNAMIC_BROTLI_QUALITY: u32 = 2;
const DYNAMIC_GZIP_LEVEL: u32 = 1;

/// Compress a response made for this request alone (not compressed ahead, and not a stream)
/// in memory, in one go, sized to the body. actix's `Compress`, which stays around the app for
/// streamed bodies, starts a brotli encoder with a 4 MiB window and 32 KiB buffers for every
/// response and hands bodies over 1 KiB to a blocking thread: that cost more CPU than making
/// most responses, and the encoders' memory, at 32 connections, made most of the server's
/// resident size (see bench/README.md).
pub async fn dynamic(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let encoding = preferred(req.request());
    let response = next.call(req).await?.map_into_boxed_body();
    let headers = response.headers();
    if encoding == ContentEncoding::Identity
        || headers.contains_key(header::CONTENT_ENCODING)
        || !compressible(headers.get(header::CONTENT_TYPE))
        || matches!(response.status(), StatusCode::NO_CONTENT | StatusCode::NOT_MODIFIED)
    {
        return Ok(response);
    }
    let (req, response) = response.into_parts();
    let (mut response, body) = response.into_parts();
    let body = match body.try_into_bytes() {
        Ok(bytes) if bytes.len() >= DYNAMIC_MIN => {
            let compressed = match encoding {
                ContentEncoding::Brotli => brotli(&bytes, DYNAMIC_BROTLI_QUALITY),
                _ => gzip(&bytes, DYNAMIC_GZIP_LEVEL),
            };
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding.as_str()));
            headers.remove(header::CONTENT_LENGTH);
            BoxBody::new(compressed)
        }
        Ok(bytes) => BoxBody::new(bytes),
        // A stream: `Compress` takes it as it comes.
        Err(body) => body,
    };
    Ok(ServiceResponse::new(req, response.set_body(body)))
}

/// Whether a response of this type is worth compressing (text; not images or archives).
fn compressible(content_type: Option<&HeaderValue>) -> bool {
    let Some(essence) = content_type.and_then(|v| v.to_str().ok()) else { return false };
    let essence = essence.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence.starts_with("text/")
        || essence.ends_with("/json")
        || essence.ends_with("+json")
        || essence.ends_with("+xml")
        || essence.ends_with("/javascript")
        || essence == "image/svg+xml"
        || essence == "application/xml"
}

/// `Vary: Accept-Encoding` on every compressible response, also when it went out uncompressed
/// (`Compress` adds it only when it compresses): a shared cache must not hand the plain copy it
/// stored for one client to another that asked for brotli, nor the reverse.
pub async fn vary(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let mut response = next.call(req).await?.map_into_boxed_body();
    let headers = response.headers_mut();
    let varies = headers
        .get_all(header::VARY)
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').any(|name| name.trim().eq_ignore_ascii_case("accept-encoding")));
    if !varies && compressible(headers.get(header::CONTENT_TYPE)) {
        headers.append(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn pick(accept: &str) -> ContentEncoding {
        preferred(&TestRequest::default().insert_header((header::ACCEPT_ENCODING, accept)).to_http_request())
    }

    #[test]
    fn q_values_decide_and_brotli_wins_a_tie() {
        assert_eq!(pick("gzip, deflate, br"), ContentEncoding::Brotli);
        assert_eq!(pick("gzip;q=1.0, br;q=0.5"), ContentEncoding::Gzip);
        assert_eq!(pick("br;q=0, gzip"), ContentEncoding::Gzip);
        assert_eq!(pick("deflate"), ContentEncoding::Identity);
        assert_eq!(pick("identity"), ContentEncoding::Identity);
        assert_eq!(preferred(&TestRequest::default().to_http_request()), ContentEncoding::Identity);
    }

    #[test]
    fn gzip_is_taken_unless_refused() {
        let takes = |accept: &str| {
            accepts_gzip(&TestRequest::default().insert_header((header::ACCEPT_ENCODING, accept)).to_http_request())
        };
        assert!(takes("br, gzip") && takes("gzip, deflate, br, zstd") && takes("gzip"));
        assert!(!takes("br") && !takes("gzip;q=0, br") && !takes("identity"));
    }

    #[test]
    fn every_encoding_holds_the_same_body() {
        let text = "a comment, and another comment, and another one. ".repeat(200);
        let body = Precompressed::new(text.clone(), Effort::Page);
        let mut unzipped = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&body.gzip[..]), &mut unzipped).unwrap();
        assert_eq!(unzipped, text);
        let mut unbrotlied = Vec::new();
        brotli::BrotliDecompress(&mut &body.br[..], &mut unbrotlied).unwrap();
        assert_eq!(unbrotlied, text.as_bytes());
        assert!(body.br.len() < text.len() / 10 && body.gzip.len() < text.len() / 10);
    }

    #[test]
    fn joined_pieces_are_one_gzip_stream_whichever_pieces_are_primed() {
        let parts: Vec<String> = (0..40)
            .map(|i| {
                format!(
                    "<article class=\"comment\" id=\"comment-{i}\"><p>Comment number {i}, with words.</p></article>"
                )
            })
            .collect();
        let mut shared = String::new();
        let pieces: Vec<Piece> = parts
            .iter()
            .map(|p| {
                let piece = Piece::new(shared.as_bytes(), p.as_bytes());
                shared.push_str(p);
                piece
            })
            .collect();
        // Some parts are this reader's own, each time in other places.
        for own in [vec![], vec![0], vec![3, 4, 30], vec![39], (0..40).step_by(2).collect::<Vec<_>>()] {
            let mut join = GzipJoin::new();
            let mut expected = String::from("<head>personal</head>");
            join.text("<head>personal</head>");
            for (i, (part, piece)) in parts.iter().zip(&pieces).enumerate() {
                if own.contains(&i) {
                    // Short and long: sent stored, and compressed.
                    let mine = format!("<article>mine {i}</article>").repeat(1 + i % 3 * 20);
                    join.text(&mine);
                    expected.push_str(&mine);
                } else {
                    join.piece(piece);
                    expected.push_str(part);
                }
            }
            let body = join.finish();
            let mut unzipped = String::new();
            std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&body[..]), &mut unzipped).unwrap();
            assert_eq!(unzipped, expected, "own parts {own:?}");
        }
        // Primed pieces are what makes the join small: the markup repeats from comment to comment.
        assert!(pieces[20].primed.len() < pieces[20].alone.len());
    }

    proptest::proptest! {
        #[test]
        fn a_crc_joined_from_two_is_the_crc_of_both(a in proptest::collection::vec(proptest::num::u8::ANY, 0..3000),
                                                   b in proptest::collection::vec(proptest::num::u8::ANY, 0..3000)) {
            let joined = crc_multiply(crc_shift(b.len() as u64), crc32fast::hash(&a)) ^ crc32fast::hash(&b);
            proptest::prop_assert_eq!(joined, crc32fast::hash(&[a, b].concat()));
        }
    }

    #[test]
    fn text_is_compressible_and_images_are_not() {
        let yes = |v: &'static str| compressible(Some(&HeaderValue::from_static(v)));
        assert!(yes("text/html; charset=utf-8") && yes("application/json") && yes("application/atom+xml"));
        assert!(yes("text/javascript; charset=utf-8") && yes("image/svg+xml") && yes("application/problem+json"));
        assert!(!yes("image/png") && !yes("application/zip") && !yes("application/octet-stream"));
        assert!(!compressible(None));
    }
}
