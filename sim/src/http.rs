//! HTTP plumbing shared by the fake Entra and the fake Graph.
//!
//! The simulated tenant is a plain hyper server rather than a web framework: it needs to do
//! things a framework would politely prevent (close a connection after doing the work, answer a
//! `+` in a query exactly as form decoding does), and every byte it sends should be visible in
//! this directory. These helpers keep the handlers short without hiding any of that.

use std::time::SystemTime;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderName, HeaderValue, CONTENT_TYPE, LOCATION};
use hyper::{HeaderMap, Method, Response, StatusCode};
use rand::RngCore as _;
use time::macros::format_description;
use time::OffsetDateTime;

/// Every response body the sim sends is a complete buffer: nothing is streamed.
pub(crate) type SimBody = Full<Bytes>;

/// A request whose body has already been read in full.
pub(crate) struct SimRequest {
    pub method: Method,
    /// The path exactly as it arrived, still percent-encoded.
    pub path: String,
    /// The query exactly as it arrived, without the `?`; empty when there is none.
    pub query: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl SimRequest {
    /// A header's value, when present and valid text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `path?query`, as a log line would show it.
    pub fn path_and_query(&self) -> String {
        if self.query.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{}", self.path, self.query)
        }
    }

    /// Query parameters decoded the way every web server does: `%XX` escapes, and `+` as a
    /// space. That last rule is why an unencoded `+` in a telephone number never matches.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        decode_form(self.query.as_bytes())
    }

    /// An `application/x-www-form-urlencoded` body, decoded.
    pub fn form(&self) -> Vec<(String, String)> {
        decode_form(&self.body)
    }

    /// The path split into percent-decoded segments, empty segments dropped.
    pub fn segments(&self) -> Vec<String> {
        self.path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(percent_decode)
            .collect()
    }
}

/// Form decoding (`+` is a space), used for both query strings and form bodies.
pub(crate) fn decode_form(bytes: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(bytes)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The first value of `name` in decoded form pairs.
pub(crate) fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Percent-decoding for path segments, where `+` is just a plus.
pub(crate) fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(value) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(value);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes a query value so that it survives form decoding unchanged: unreserved
/// characters stay, everything else (including `+`, space, `'`) becomes `%XX`.
pub(crate) fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Escapes text for HTML element content and attribute values.
pub(crate) fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A fresh random GUID, lower case, as Microsoft services print them.
pub(crate) fn new_guid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// `n` random bytes, base64url without padding: opaque tokens and codes.
pub(crate) fn random_urlsafe(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// base64url without padding, the encoding of Graph's opaque ids.
pub(crate) fn base64url(text: &str) -> String {
    URL_SAFE_NO_PAD.encode(text.as_bytes())
}

/// The HTTP `Date` header value for now.
pub(crate) fn http_date_now() -> String {
    httpdate::fmt_http_date(SystemTime::now())
}

/// `2025-02-03T22:03:26Z`: Graph's `createdDateTime` on operations.
pub(crate) fn iso_utc(at: SystemTime) -> String {
    let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    OffsetDateTime::from(at).format(format).unwrap_or_default()
}

/// `2021-07-02T01:40:19`: the `date` inside a Graph error's `innerError` (no zone suffix).
pub(crate) fn graph_error_date(at: SystemTime) -> String {
    let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    OffsetDateTime::from(at).format(format).unwrap_or_default()
}

/// `2024-05-01 10:11:12Z`: the timestamp format inside Entra's error bodies.
pub(crate) fn entra_timestamp(at: SystemTime) -> String {
    let format = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]Z");
    OffsetDateTime::from(at).format(format).unwrap_or_default()
}

/// Seconds since the Unix epoch, for JWT-style claims.
pub(crate) fn unix_seconds(at: SystemTime) -> u64 {
    at.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A response with a status, a content type and a body.
pub(crate) fn respond(
    status: StatusCode,
    content_type: Option<&str>,
    body: impl Into<Bytes>,
) -> Response<SimBody> {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    if let Some(content_type) = content_type {
        set_header(&mut response, CONTENT_TYPE, content_type);
    }
    response
}

/// A JSON response.
pub(crate) fn json(status: StatusCode, value: &serde_json::Value) -> Response<SimBody> {
    respond(
        status,
        Some("application/json; charset=utf-8"),
        value.to_string(),
    )
}

/// A JSON response from a typed value, keeping its field order (Graph puts `id` first and
/// `@odata.*` annotations before the properties; a `serde_json::Value` would sort them).
pub(crate) fn json_of<T: serde::Serialize>(status: StatusCode, value: &T) -> Response<SimBody> {
    match serde_json::to_string(value) {
        Ok(text) => respond(status, Some("application/json; charset=utf-8"), text),
        Err(e) => respond(
            StatusCode::INTERNAL_SERVER_ERROR,
            Some("text/plain; charset=utf-8"),
            format!("the simulated tenant could not serialise its answer: {e}"),
        ),
    }
}

/// An HTML page. The pages carry a strict CSP: no script may run on them at all.
pub(crate) fn html(status: StatusCode, page: String) -> Response<SimBody> {
    let mut response = respond(status, Some("text/html; charset=utf-8"), page);
    set_header(
        &mut response,
        HeaderName::from_static("content-security-policy"),
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    );
    response
}

/// A `302 Found` to `location`.
pub(crate) fn redirect(location: &str) -> Response<SimBody> {
    let mut response = respond(StatusCode::FOUND, None, Bytes::new());
    set_header(&mut response, LOCATION, location);
    response
}

/// Sets a header, skipping values that are not valid header text (none of ours should be).
pub(crate) fn set_header(response: &mut Response<SimBody>, name: HeaderName, value: &str) {
    match HeaderValue::from_str(value) {
        Ok(value) => {
            response.headers_mut().insert(name, value);
        }
        Err(_) => log::warn!("sim: dropped an invalid value for header {name}"),
    }
}

/// Wraps a page body in the shared, deliberately plain HTML shell.
pub(crate) fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>\n\
         body {{ font-family: system-ui, sans-serif; max-width: 32rem; margin: 3rem auto; padding: 0 1rem; }}\n\
         form {{ margin: 0.5rem 0; }}\n\
         button {{ width: 100%; text-align: left; padding: 0.75rem; font: inherit; }}\n\
         .muted {{ color: #555; font-size: 0.9rem; }}\n\
         @media (prefers-color-scheme: dark) {{ body {{ background: #1b1b1b; color: #eee; }} .muted {{ color: #bbb; }} }}\n\
         </style>\n</head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n",
        title = html_escape(title),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decode_keeps_plus_and_decodes_escapes() {
        assert_eq!(percent_decode("operations('a%2Bb')"), "operations('a+b')");
        assert_eq!(percent_decode("a+b"), "a+b");
        assert_eq!(percent_decode("%27x%27"), "'x'");
        assert_eq!(percent_decode("bad%zz%2"), "bad%zz%2");
    }

    #[test]
    fn query_encoding_survives_form_decoding() {
        let value = "telephoneNumber eq '+12065550100;ext=1'";
        let query = format!("$filter={}", encode_query_value(value));
        let pairs = decode_form(query.as_bytes());
        assert_eq!(pairs, vec![("$filter".to_string(), value.to_string())]);
    }

    #[test]
    fn html_escape_escapes_markup() {
        assert_eq!(
            html_escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn dates_have_the_expected_shapes() {
        let at = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_738_620_206);
        assert_eq!(iso_utc(at), "2025-02-03T22:03:26Z");
        assert_eq!(graph_error_date(at), "2025-02-03T22:03:26");
        assert_eq!(entra_timestamp(at), "2025-02-03 22:03:26Z");
    }
}
