//! What Dashboards keeps in its iron-sealed `security_authentication` cookie, kept here server-side under a random
//! cookie value: the login in progress, or the logged-in user. An OpenID user's token is not in it: it lives in
//! the browser's split cookies (`super::token_cookies`), as the plugin keeps it.

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
    /// `credentials.authHeaderValue`: a basic user's `Basic …`. An OpenID session has `authHeaderValueExtra`
    /// instead (`routes.ts:196-204`): its `Bearer <id_token>` is read from the split cookies on every request.
    pub auth_header_value: Option<String>,
    /// `credentials.expires_at` (ms) for OpenID: the id_token's `exp`; `None` is Dashboards' `NaN`.
    pub expires_at: Option<i64>,
}

impl UserSession {
    pub fn from_info(
        info: AuthInfo,
        auth_type: AuthType,
        auth_header_value: Option<&str>,
        expires_at: Option<i64>,
    ) -> UserSession {
        UserSession {
            auth_type,
            username: info.user_name,
            roles: info.roles,
            backend_roles: info.backend_roles,
            auth_header_value: auth_header_value.map(str::to_owned),
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
