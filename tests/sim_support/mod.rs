//! Helpers shared by the simulated-tenant tests (`sim_entra.rs`, `sim_graph.rs`, `register.rs`,
//! `sim_persistence.rs`): an HTTP client that shows redirects instead of following them, PKCE
//! pairs, and a walk through the sign-in page done the way a browser does it (read the page,
//! submit the chosen form).
#![allow(dead_code)]

use std::collections::HashMap;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use numberdesk::sim::{SimConfig, SimTenant, APP_SCOPES, DEMO_CLIENT_ID, DEMO_TENANT_ID};
use rand::RngCore as _;
use sha2::{Digest, Sha256};

/// A loopback redirect URI on an arbitrary port, as the app's listener would use.
pub const REDIRECT_URI: &str = "http://127.0.0.1:53117/callback";

/// A sim with short operation phases and a device-code interval of one second.
pub async fn start_fast() -> SimTenant {
    start(SimConfig {
        operation_not_started: Duration::ZERO,
        operation_running: Duration::from_millis(50),
        device_code_interval: Duration::from_secs(1),
        ..SimConfig::default()
    })
    .await
}

pub async fn start(config: SimConfig) -> SimTenant {
    SimTenant::start(config).await.expect("the sim starts")
}

/// An HTTP client that never follows redirects, so 302s can be inspected.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client builds")
}

pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

pub fn pkce() -> Pkce {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let verifier = URL_SAFE_NO_PAD.encode(bytes);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    Pkce {
        verifier,
        challenge,
    }
}

/// The authorize URL with the usual parameters; `overrides` replace or add parameters
/// (an empty value removes one).
pub fn authorize_url(sim: &SimTenant, pkce: &Pkce, overrides: &[(&str, &str)]) -> String {
    let mut params: Vec<(String, String)> = [
        ("client_id", DEMO_CLIENT_ID),
        ("response_type", "code"),
        ("redirect_uri", REDIRECT_URI),
        ("scope", APP_SCOPES),
        ("state", "state-123"),
        ("code_challenge", pkce.challenge.as_str()),
        ("code_challenge_method", "S256"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let mut tenant = DEMO_TENANT_ID.to_string();
    for (key, value) in overrides {
        if *key == "tenant" {
            tenant = value.to_string();
            continue;
        }
        params.retain(|(k, _)| k != key);
        if !value.is_empty() {
            params.push((key.to_string(), value.to_string()));
        }
    }
    url::Url::parse_with_params(
        &format!("{}/{tenant}/oauth2/v2.0/authorize", sim.login_url()),
        &params,
    )
    .expect("valid url")
    .to_string()
}

/// A `<form>` found on a page.
#[derive(Debug, Clone)]
pub struct Form {
    pub method: String,
    pub action: String,
    pub fields: Vec<(String, String)>,
}

impl Form {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let needle = format!(" {name}=\"");
    let start = tag.find(&needle)? + needle.len();
    let end = tag[start..].find('"')? + start;
    Some(unescape(&tag[start..end]))
}

/// Every form on the page with its hidden inputs, as a browser would submit them.
pub fn forms(html: &str) -> Vec<Form> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<form") {
        let Some(len) = rest[start..].find("</form>") else {
            break;
        };
        let body = &rest[start..start + len];
        let open_end = body.find('>').unwrap_or(body.len());
        let open = &body[..open_end];
        let mut fields = Vec::new();
        let mut inputs = body;
        while let Some(i) = inputs.find("<input") {
            let tag_end = inputs[i..].find('>').map(|e| i + e).unwrap_or(inputs.len());
            let tag = &inputs[i..tag_end];
            if attribute(tag, "type").as_deref() == Some("hidden") {
                if let (Some(name), Some(value)) = (attribute(tag, "name"), attribute(tag, "value"))
                {
                    fields.push((name, value));
                }
            }
            inputs = &inputs[tag_end..];
        }
        found.push(Form {
            method: attribute(open, "method").unwrap_or_default(),
            action: attribute(open, "action").unwrap_or_default(),
            fields,
        });
        rest = &rest[start + len..];
    }
    found
}

/// The query parameters of a URL.
pub fn query_of(location: &str) -> HashMap<String, String> {
    url::Url::parse(location)
        .expect("absolute location")
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Loads the sign-in page, submits the form for `account` (a UPN) or `"cancel"`, and
/// returns the `Location` of the 302 that follows.
pub async fn choose_on_sign_in_page(sim: &SimTenant, authorize: &str, account: &str) -> String {
    let client = client();
    let page = client.get(authorize).send().await.expect("page loads");
    assert_eq!(page.status(), 200, "the sign-in page is shown");
    let html = page.text().await.expect("page text");
    let form = forms(&html)
        .into_iter()
        .find(|f| {
            if account == "cancel" {
                f.field("action") == Some("cancel")
            } else {
                f.field("account") == Some(account)
            }
        })
        .unwrap_or_else(|| panic!("the page offers {account}:\n{html}"));
    assert_eq!(form.method, "post");
    let submitted = client
        .post(format!("{}{}", sim.login_url(), form.action))
        .form(&form.fields)
        .send()
        .await
        .expect("form submits");
    assert_eq!(
        submitted.status(),
        302,
        "choosing redirects back to the app"
    );
    submitted
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("a Location header")
        .to_string()
}

/// Redeems an authorization code.
pub async fn redeem(
    sim: &SimTenant,
    code: &str,
    verifier: &str,
    redirect_uri: &str,
) -> reqwest::Response {
    client()
        .post(format!(
            "{}/{DEMO_TENANT_ID}/oauth2/v2.0/token",
            sim.login_url()
        ))
        .form(&[
            ("client_id", DEMO_CLIENT_ID),
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .expect("token endpoint answers")
}

/// Signs `account` in through the page with `scope` and returns the token response.
pub async fn sign_in_with(sim: &SimTenant, account: &str, scope: &str) -> serde_json::Value {
    let pkce = pkce();
    let location = choose_on_sign_in_page(
        sim,
        &authorize_url(sim, &pkce, &[("scope", scope)]),
        account,
    )
    .await;
    let code = query_of(&location)
        .get("code")
        .cloned()
        .expect("the redirect carries a code");
    let response = redeem(sim, &code, &pkce.verifier, REDIRECT_URI).await;
    assert_eq!(response.status(), 200);
    response.json().await.expect("token JSON")
}

/// Signs `account` in with the app's usual scopes and returns the access token.
pub async fn access_token(sim: &SimTenant, account: &str) -> String {
    let tokens = sign_in_with(sim, account, APP_SCOPES).await;
    tokens["access_token"]
        .as_str()
        .expect("an access token")
        .to_string()
}

/// The JSON of one base64url part of a JWT.
pub fn jwt_part(token: &str, index: usize) -> serde_json::Value {
    let part = token.split('.').nth(index).expect("JWT part");
    let bytes = URL_SAFE_NO_PAD.decode(part).expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON")
}

/// Entra's error body, checked for its documented shape; returns (error, first code).
pub async fn entra_error(response: reqwest::Response) -> (u16, String, u64, serde_json::Value) {
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.expect("error JSON");
    let error = body["error"].as_str().expect("error").to_string();
    let code = body["error_codes"][0].as_u64().expect("error_codes");
    let description = body["error_description"].as_str().expect("description");
    assert!(
        description.starts_with(&format!("AADSTS{code}: ")),
        "{description}"
    );
    for part in ["\r\nTrace ID: ", "\r\nCorrelation ID: ", "\r\nTimestamp: "] {
        assert!(description.contains(part), "{description}");
    }
    for field in ["timestamp", "trace_id", "correlation_id", "error_uri"] {
        assert!(body[field].is_string(), "{field} in {body}");
    }
    (status, error, code, body)
}

/// Redeems a refresh token at the token endpoint (the refresh grant, no `scope`).
pub async fn refresh_grant(sim: &SimTenant, refresh_token: &str) -> reqwest::Response {
    client()
        .post(format!(
            "{}/{DEMO_TENANT_ID}/oauth2/v2.0/token",
            sim.login_url()
        ))
        .form(&[
            ("client_id", DEMO_CLIENT_ID),
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ])
        .send()
        .await
        .expect("token endpoint answers")
}

/// A person of the tenant other than `than` (an object ID): who gets a number in a hand-over.
pub fn another_person(sim: &SimTenant, than: &str) -> numberdesk::sim::SimUser {
    sim.users()
        .into_iter()
        .find(|u| u.kind == numberdesk::sim::UserKind::Person && !u.id.eq_ignore_ascii_case(than))
        .expect("the tenant has another person")
}
