//! Keycloak's admin REST API, as the harness uses it: a token for the bootstrap admin client (client
//! credentials in the master realm), then a case's realm (`render::keycloak`'s RealmRepresentation) put in place.
//! Between cases only what changed is sent: nothing when the realm is the same; the client's attributes alone
//! (`PUT` of the client, an attribute the new case drops sent as `""`, as Keycloak keeps attributes a `PUT`
//! omits) when only those differ — the JWE switch; otherwise the realm is deleted and created again whole
//! (`POST /admin/realms` takes its roles, groups, users and clients in one call).

use serde_json::{Value, json};

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("Keycloak's admin API: {0}")]
    Http(#[from] reqwest::Error),
    #[error("Keycloak's admin API: {what} answered {status}: {body}")]
    Refused {
        what: String,
        status: u16,
        body: String,
    },
}

/// A client of one Keycloak's admin API (direct, on loopback).
pub struct Admin {
    http: reqwest::Client,
    base: String,
    client_id: String,
    secret: String,
}

/// What `apply` did, for the case's report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    Unchanged,
    ClientAttributes,
    RealmCreated,
}

impl Admin {
    pub fn new(base: &str, client_id: &str, secret: &str) -> Admin {
        Admin {
            http: reqwest::Client::new(),
            base: base.to_owned(),
            client_id: client_id.to_owned(),
            secret: secret.to_owned(),
        }
    }

    async fn token(&self) -> Result<String, AdminError> {
        let r = self
            .http
            .post(format!(
                "{}/realms/master/protocol/openid-connect/token",
                self.base
            ))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", &self.client_id),
                ("client_secret", &self.secret),
            ])
            .send()
            .await?;
        let body: Value = checked("the admin token", r).await?.json().await?;
        Ok(body["access_token"].as_str().unwrap_or_default().to_owned())
    }

    /// Makes Keycloak serve `realm` (a RealmRepresentation), given what it serves now (`previous`, as last
    /// applied; `None`: nothing of the harness's yet).
    pub async fn apply(
        &self,
        realm: &Value,
        previous: Option<&Value>,
    ) -> Result<Applied, AdminError> {
        if previous == Some(realm) {
            return Ok(Applied::Unchanged);
        }
        let token = self.token().await?;
        let name = realm["realm"].as_str().unwrap_or_default();
        if let Some(prev) = previous
            && let Some(attributes) = only_client_attributes_differ(prev, realm)
        {
            let client_id = realm["clients"][0]["clientId"].as_str().unwrap_or_default();
            let found: Value = checked(
                "the client lookup",
                self.http
                    .get(format!(
                        "{}/admin/realms/{name}/clients?clientId={}",
                        self.base,
                        url::form_urlencoded::byte_serialize(client_id.as_bytes())
                            .collect::<String>()
                    ))
                    .bearer_auth(&token)
                    .send()
                    .await?,
            )
            .await?
            .json()
            .await?;
            let mut client = found[0].clone();
            client["attributes"] = attributes;
            let id = client["id"].as_str().unwrap_or_default().to_owned();
            checked(
                "the client update",
                self.http
                    .put(format!("{}/admin/realms/{name}/clients/{id}", self.base))
                    .bearer_auth(&token)
                    .json(&client)
                    .send()
                    .await?,
            )
            .await?;
            return Ok(Applied::ClientAttributes);
        }
        let mut doomed = vec![name.to_owned()];
        if let Some(old) = previous.and_then(|p| p["realm"].as_str())
            && old != name
        {
            doomed.push(old.to_owned());
        }
        for old in doomed {
            let r = self
                .http
                .delete(format!("{}/admin/realms/{old}", self.base))
                .bearer_auth(&token)
                .send()
                .await?;
            if r.status() != reqwest::StatusCode::NOT_FOUND {
                checked("the realm's removal", r).await?;
            }
        }
        checked(
            "the realm's creation",
            self.http
                .post(format!("{}/admin/realms", self.base))
                .bearer_auth(&token)
                .json(realm)
                .send()
                .await?,
        )
        .await?;
        Ok(Applied::RealmCreated)
    }
}

/// When `next` differs from `prev` only in its client's attributes: the attributes to `PUT` — `next`'s, plus
/// `""` for each one `prev` had and `next` has not (Keycloak removes an attribute set to `""`).
fn only_client_attributes_differ(prev: &Value, next: &Value) -> Option<Value> {
    let strip = |v: &Value| {
        let mut v = v.clone();
        if let Some(c) = v["clients"].get_mut(0).and_then(Value::as_object_mut) {
            c.remove("attributes");
        }
        v
    };
    if strip(prev) != strip(next) || next["clients"].as_array().map(Vec::len) != Some(1) {
        return None;
    }
    let mut attributes = next["clients"][0]["attributes"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    if let Some(old) = prev["clients"][0]["attributes"].as_object() {
        for k in old.keys() {
            attributes.entry(k.clone()).or_insert(json!(""));
        }
    }
    Some(Value::Object(attributes))
}

async fn checked(what: &str, r: reqwest::Response) -> Result<reqwest::Response, AdminError> {
    if r.status().is_success() {
        return Ok(r);
    }
    Err(AdminError::Refused {
        what: what.to_owned(),
        status: r.status().as_u16(),
        body: r.text().await.unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropped_attributes_are_sent_empty_and_other_changes_recreate() {
        let with = json!({"realm": "sso", "clients": [{"clientId": "c", "attributes": {"a": "1", "b": "2"}}]});
        let without =
            json!({"realm": "sso", "clients": [{"clientId": "c", "attributes": {"b": "3"}}]});
        assert_eq!(
            only_client_attributes_differ(&with, &without),
            Some(json!({"a": "", "b": "3"}))
        );
        let other_user =
            json!({"realm": "sso", "users": [], "clients": [{"clientId": "c", "attributes": {}}]});
        assert_eq!(only_client_attributes_differ(&with, &other_user), None);
    }
}
