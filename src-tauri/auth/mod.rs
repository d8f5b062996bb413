//! Signing in to Microsoft and keeping the admin signed in.
//!
//! - [`loopback`]: the listener on `localhost` that receives the browser's redirect.
//! - [`entra`]: requests to Entra ID (authorize URL with PKCE, code, refresh, device code) and
//!   its errors in plain words.
//! - [`bootstrap`]: setup's one sign-in through Microsoft's client, its token in memory only.
//! - [`session`]: the signed-in session: access tokens in memory, the refresh token in the OS
//!   keyring, silent refresh with rotation, sign-out.

pub mod bootstrap;
pub mod entra;
pub mod flow;
pub mod loopback;
pub mod session;

pub use entra::{Account, AuthError, SignInTarget};
pub use flow::{SignInFailure, SignInService};
pub use session::{SessionManager, SessionStatus, TokenKind};
