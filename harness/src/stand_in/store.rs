//! What Dashboards keeps in its iron-sealed `security_authentication` cookie (and the split `…_oidc1…N` cookies),
//! kept here server-side under a random cookie value: the login in progress, or the logged-in user.

use std::collections::HashMap;

use super::AuthType;
use super::upstream::AuthInfo;

/// One cookie's content. Setting a new one replaces the old whole, as `sessionStorage.set` does.
#[derive(Clone, Debug, Default)]
pub struct Session {
    pub oidc: Option<OidcState>,
    pub user: Option<UserSession>,
}

/// The OpenID login in progress (`cookie.oidc`).
#[derive(Clone, Debug)]
pub struct OidcState {
    pub state: String,
    pub next_url: String,
    pub redirect_hash: bool,
}

#[derive(Clone, Debug)]
pub struct UserSession {
    pub auth_type: AuthType,
    pub username: String,
    /// Mapped roles (authinfo `roles`): none → the missing-role page.
    pub roles: Vec<String>,
    pub backend_roles: Vec<String>,
    /// The header sent to OpenSearch for this user (`Authorization: Bearer <id_token>` / `Basic …`).
    pub header_name: String,
    pub header_value: String,
    /// `credentials.expires_at` (ms) for OpenID: the id_token's `exp`; `None` is Dashboards' `NaN`.
    pub expires_at: Option<i64>,
}

impl UserSession {
    pub fn from_info(
        info: AuthInfo,
        auth_type: AuthType,
        header_name: &str,
        header_value: &str,
        expires_at: Option<i64>,
    ) -> UserSession {
        UserSession {
            auth_type,
            username: info.user_name,
            roles: info.roles,
            backend_roles: info.backend_roles,
            header_name: header_name.to_owned(),
            header_value: header_value.to_owned(),
            expires_at,
        }
    }

    /// `isValidCookie`: an OpenID session lives until its token's `exp` (no refresh: authentik gives no refresh
    /// token without `offline_access`); a basic session until the cookie goes.
    pub fn is_valid(&self, now_ms: i64) -> bool {
        match self.auth_type {
            AuthType::Basic => true,
            AuthType::OpenId => self.expires_at.is_some_and(|e| e > now_ms),
        }
    }
}

#[derive(Default)]
pub struct Store {
    pub sessions: HashMap<String, Session>,
}
