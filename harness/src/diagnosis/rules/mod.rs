//! The rules' checks, by what they read: the token's form, its claims, trust in the IdP's certificate,
//! the auth domains' order, the token in request headers, Dashboards' refusals. Each returns `(summary, fix)` when its cause shows in the evidence.

mod claims;
mod dashboards;
mod domains;
mod headers;
mod tls;
mod token;

pub(super) use claims::{
    audience_mismatch, issuer_mismatch, roles_claim_missing, subject_claim_missing,
};
pub(super) use dashboards::{dashboards_refused_config, wrong_client_secret};
pub(super) use domains::basic_challenge_before_openid;
pub(super) use headers::{authorization_not_in_header_allowlist, token_over_header_limit};
pub(super) use tls::{
    idp_ca_untrusted_by_dashboards, idp_ca_untrusted_by_opensearch, idp_tls_keys_unprefixed,
};
pub(super) use token::{hs256_without_signing_key, jwe_token};
