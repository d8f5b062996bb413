//! Setup's one sign-in through a Microsoft public client ("Set up for my organization").
//!
//! Before NumberDesk has an app registration of its own in a tenant, it signs the admin in once
//! through Microsoft's Azure CLI client, which every tenant has and which is pre-authorized for
//! the Microsoft Graph permissions that create an app registration (`.default`), as the field's
//! setup tools do. The token it gets is a [`BootstrapToken`]: kept in memory only, never in the
//! keyring, a file or a log, and dropped when setup ends. Nothing else is asked for: no
//! `offline_access`, so no refresh token is ever issued for it.

use super::entra::{self, Account, Grant};
use crate::cloud::Cloud;
use oauth2::AccessToken;
use std::time::SystemTime;

/// The Azure CLI's public client (Microsoft's, in every tenant and national cloud).
pub const BOOTSTRAP_CLIENT_ID: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";

/// Where the bootstrap sign-in goes: any work account (`organizations`) of `cloud`.
pub fn bootstrap_target(cloud: &Cloud) -> entra::SignInTarget {
    entra::SignInTarget {
        cloud: cloud.clone(),
        tenant: "organizations".into(),
        client_id: BOOTSTRAP_CLIENT_ID.into(),
    }
}

/// What the bootstrap sign-in asks for: who signed in (and in which tenant), and Graph's
/// permissions pre-authorized for Microsoft's client.
pub fn bootstrap_scopes(cloud: &Cloud) -> Vec<String> {
    vec!["openid".into(), "profile".into(), cloud.scope(".default")]
}

/// The bootstrap token and who it belongs to. Its `Debug` shows no token.
pub struct BootstrapToken {
    token: AccessToken,
    expires_at: SystemTime,
    pub account: Account,
}

impl std::fmt::Debug for BootstrapToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BootstrapToken")
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

impl BootstrapToken {
    /// From the bootstrap sign-in's grant; `None` without an id_token naming the tenant.
    pub fn from_grant(grant: Grant) -> Option<BootstrapToken> {
        let account = grant
            .id_token
            .as_deref()
            .and_then(entra::account_from_id_token)
            .filter(|a| !a.tenant_id.is_empty())?;
        Some(BootstrapToken {
            token: grant.access_token,
            expires_at: grant.expires_at,
            account,
        })
    }

    /// The tenant the admin signed in to (from the token, never `organizations`).
    pub fn tenant_id(&self) -> &str {
        &self.account.tenant_id
    }

    /// Whether the token has run out (it is never refreshed: setup signs in again).
    pub fn expired(&self) -> bool {
        self.expires_at <= SystemTime::now()
    }
}

/// Why the bootstrap token cannot be used any more.
#[derive(Debug, thiserror::Error)]
#[error("the setup sign-in has expired")]
pub struct BootstrapExpired;

impl crate::graph::TokenSource for BootstrapToken {
    fn access_token(
        &self,
        _kind: crate::graph::TokenKind,
    ) -> std::pin::Pin<
        Box<
            dyn std::future::Future<Output = Result<AccessToken, crate::graph::TokenError>>
                + Send
                + '_,
        >,
    > {
        Box::pin(async move {
            if self.expired() {
                return Err(std::sync::Arc::new(BootstrapExpired) as crate::graph::TokenError);
            }
            Ok(self.token.clone())
        })
    }

    fn token_rejected(
        &self,
        _kind: crate::graph::TokenKind,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        Box::pin(async {})
    }
}
