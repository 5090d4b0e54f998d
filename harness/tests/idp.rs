//! The embedded IdP, spoken to the way a client of authentik would: discovery, JWKS, the headless flow executor,
//! code exchange, and token decryption and verification with implementations that are not the IdP's own —
//! jsonwebtoken and an RFC 7518 decryption written here (Rust), and jwcrypto (Python, authentik's own library).

use std::process::{Command, Stdio};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use harness::idp::{self, kid};
use serde_json::{Value, json};

mod support;

use support::{Idp, REDIRECT, executor_url, get_json, start, urlencode};

impl Idp {
    fn issuer(&self) -> String {
        format!("{}/application/o/{}/", self.base, self.config.slug)
    }

    async fn get_json(&self, path: &str) -> Value {
        get_json(&self.http, format!("{}{path}", self.base)).await
    }

    fn location(r: &reqwest::Response) -> String {
        r.headers()["location"].to_str().unwrap().to_owned()
    }

    /// authentik's headless login (`harness::authentik_client` does the same against the real one): authorize → flow executor (identification, password) →
    /// authorize again → code. Returns the callback URL's query, or the failing challenge.
    async fn login(&self, user: &str, password: &str, extra: &str) -> Result<String, Value> {
        let authorize = format!(
            "{}/application/o/authorize/?client_id={}&redirect_uri={}&response_type=code&scope=openid+profile+email&state=st4te{extra}",
            self.base,
            self.config.client_id,
            urlencode(REDIRECT)
        );
        let r = self.http.get(&authorize).send().await.unwrap();
        assert_eq!(r.status(), 302);
        let flow = Self::location(&r);
        assert!(
            flow.starts_with("/if/flow/default-authentication-flow/?"),
            "{flow}"
        );
        let query = flow.split_once('?').unwrap().1;
        let executor = executor_url(&self.base, query);
        let c: Value = get_json(&self.http, &executor).await;
        assert_eq!(c["component"], "ak-stage-identification");
        assert_eq!(c["application_pre"], self.config.application_name);
        let r = self
            .http
            .post(&executor)
            .json(&json!({"component": "ak-stage-identification", "uid_field": user}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            302,
            "identification answers with a redirect to the executor"
        );
        let c: Value = get_json(&self.http, &executor).await;
        assert_eq!(c["component"], "ak-stage-password");
        assert_eq!(c["pending_user"], user);
        let mut r = self
            .http
            .post(&executor)
            .json(&json!({"component": "ak-stage-password", "password": password}))
            .send()
            .await
            .unwrap();
        // A right password: as the real authentik 2025.12.4, a bare 302 back to the executor (password stage),
        // another on the GET (MFA validation, no devices), then the redirect challenge (login stage).
        let mut hops = Vec::new();
        while r.status() == 302 {
            assert_eq!(
                Self::location(&r),
                executor.strip_prefix(&self.base).unwrap()
            );
            hops.push(r.bytes().await.unwrap().len());
            r = self.http.get(&executor).send().await.unwrap();
        }
        let c: Value = r.json().await.unwrap();
        if c["component"] != "xak-flow-redirect" {
            assert!(hops.is_empty(), "a challenge after redirects: {c}");
            return Err(c);
        }
        assert_eq!(hops, [0, 0], "two empty 302s before the redirect challenge");
        let to = c["to"].as_str().unwrap();
        assert!(to.starts_with("/application/o/authorize/?"), "{to}");
        let r = self
            .http
            .get(format!("{}{to}", self.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 302);
        let back = Self::location(&r);
        let query = back
            .strip_prefix(&format!("{REDIRECT}?"))
            .unwrap_or_else(|| panic!("not back at the client: {back}"));
        Ok(query.to_owned())
    }

    /// Authorize in a session that is already logged in: straight back to the client with a code.
    async fn authorize_again(&self, extra: &str) -> String {
        let url = format!(
            "{}/application/o/authorize/?client_id={}&redirect_uri={}&response_type=code&scope=openid&state=again{extra}",
            self.base,
            self.config.client_id,
            urlencode(REDIRECT)
        );
        let r = self.http.get(url).send().await.unwrap();
        assert_eq!(r.status(), 302);
        let back = Self::location(&r);
        back.strip_prefix(&format!("{REDIRECT}?"))
            .unwrap_or_else(|| panic!("not back at the client: {back}"))
            .to_owned()
    }

    async fn exchange(&self, code: &str, basic: bool) -> reqwest::Response {
        let mut req = self
            .http
            .post(format!("{}/application/o/token/", self.base));
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
        ];
        if basic {
            req = req.basic_auth(&self.config.client_id, Some(&self.config.client_secret));
        } else {
            form.push(("client_id", &self.config.client_id));
            form.push(("client_secret", &self.config.client_secret));
        }
        req.form(&form).send().await.unwrap()
    }

    async fn tokens(&self, user: &str) -> Value {
        let password = self.config.user(user).unwrap().password.clone();
        let q = self.login(user, &password, "").await.unwrap();
        let code = param(&q, "code");
        assert_eq!(param(&q, "state"), "st4te");
        let r = self.exchange(&code, false).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["cache-control"], "no-store");
        r.json().await.unwrap()
    }
}

fn param(query: &str, name: &str) -> String {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

fn header(token: &str) -> Value {
    serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(token.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap()
}

/// RFC 7518 §4.3 + §5.2.5 (RSA-OAEP-256, A256CBC-HS512), written from the RFC with RustCrypto primitives.
fn decrypt_jwe(token: &str, private_key_pem: &str) -> String {
    use aes::cipher::{BlockDecryptMut, KeyIvInit, block_padding::Pkcs7};
    use hmac::Mac;
    use rsa::pkcs8::DecodePrivateKey;
    let parts: Vec<Vec<u8>> = token
        .split('.')
        .map(|p| URL_SAFE_NO_PAD.decode(p).unwrap())
        .collect();
    let [_, encrypted_key, iv, ciphertext, tag] = &parts[..] else {
        panic!("not 5 parts")
    };
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(private_key_pem).unwrap();
    let cek = key
        .decrypt(rsa::Oaep::new::<sha2::Sha256>(), encrypted_key)
        .unwrap();
    let (mac_key, enc_key) = cek.split_at(32);
    let aad = token.split('.').next().unwrap().as_bytes();
    let mut mac = hmac::Hmac::<sha2::Sha512>::new_from_slice(mac_key).unwrap();
    mac.update(aad);
    mac.update(iv);
    mac.update(ciphertext);
    mac.update(&((aad.len() as u64) * 8).to_be_bytes());
    assert_eq!(
        &mac.finalize().into_bytes()[..32],
        &tag[..],
        "authentication tag"
    );
    let plain = cbc::Decryptor::<aes::Aes256>::new(enc_key.into(), iv[..].into())
        .decrypt_padded_vec_mut::<Pkcs7>(ciphertext)
        .unwrap();
    String::from_utf8(plain).unwrap()
}

/// Verifies a JWS against the published JWKS with jsonwebtoken (RS256/ES256) and returns its claims.
fn verify(jws: &str, jwks: &Value, issuer: &str, audience: &str) -> Value {
    let h = header(jws);
    let set: jsonwebtoken::jwk::JwkSet = serde_json::from_value(jwks.clone()).unwrap();
    let jwk = set
        .find(h["kid"].as_str().unwrap())
        .expect("kid in the JWKS");
    let alg = match h["alg"].as_str().unwrap() {
        "RS256" => jsonwebtoken::Algorithm::RS256,
        "ES256" => jsonwebtoken::Algorithm::ES256,
        other => panic!("{other}"),
    };
    let mut v = jsonwebtoken::Validation::new(alg);
    v.set_audience(&[audience]);
    v.set_issuer(&[issuer]);
    jsonwebtoken::decode::<Value>(jws, &jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap(), &v)
        .unwrap()
        .claims
}

fn jwcrypto(
    token: &str,
    jwks: &Value,
    encryption_key_pem: Option<&str>,
    hmac_secret: Option<&str>,
) -> Value {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/idp/jwcrypto_verify.py");
    let mut child = Command::new("python3")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3");
    let input = json!({"token": token, "jwks": jwks, "encryption_key_pem": encryption_key_pem, "hmac_secret": hmac_secret});
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), input.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "jwcrypto (pip install jwcrypto):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test]
async fn discovery_and_jwks_follow_authentik() {
    let idp = start("idp: { provider: { encryption_key: true } }").await;
    let d = idp
        .get_json("/application/o/opensearch/.well-known/openid-configuration")
        .await;
    assert_eq!(d["issuer"], idp.issuer());
    assert_eq!(
        d["jwks_uri"],
        format!("{}/application/o/opensearch/jwks/", idp.base)
    );
    assert_eq!(
        d["authorization_endpoint"],
        format!("{}/application/o/authorize/", idp.base)
    );
    assert_eq!(d["id_token_signing_alg_values_supported"], json!(["RS256"]));
    assert_eq!(
        d["id_token_encryption_alg_values_supported"],
        json!(["RSA-OAEP-256"])
    );
    assert_eq!(
        d["id_token_encryption_enc_values_supported"],
        json!(["A256CBC-HS512"])
    );
    assert_eq!(
        d["token_endpoint_auth_methods_supported"],
        json!(["client_secret_post", "client_secret_basic"])
    );
    let jwks = idp.get_json("/application/o/opensearch/jwks/").await;
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0]["use"], "sig");
    assert_eq!(keys[0]["kid"], kid(&idp.certs.idp_signing_rsa.key));
    assert_eq!(keys[1]["use"], "enc");
    assert_eq!(keys[1]["alg"], "RSA-OAEP-256");
    assert_eq!(keys[1]["enc"], "A256CBC-HS512");
    assert_eq!(keys[1]["kid"], kid(&idp.certs.idp_encryption.key));
    let members: Vec<&str> = keys[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        members,
        [
            "alg", "kid", "kty", "use", "n", "e", "x5c", "x5t", "x5t#S256"
        ]
    );

    // The issuer follows the Host header and X-Forwarded-Proto (Caddy in front).
    let r = idp
        .http
        .get(format!(
            "{}/application/o/opensearch/.well-known/openid-configuration",
            idp.base
        ))
        .header("host", "idp.sso.test:8443")
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    let d: Value = r.json().await.unwrap();
    assert_eq!(
        d["issuer"],
        "https://idp.sso.test:8443/application/o/opensearch/"
    );
    // Without encryption there are no encryption members.
    let plain = start("").await;
    let d = plain
        .get_json("/application/o/opensearch/.well-known/openid-configuration")
        .await;
    assert!(d.get("id_token_encryption_alg_values_supported").is_none());
    assert_eq!(
        plain
            .http
            .get(format!("{}/application/o/other/jwks/", plain.base))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

#[tokio::test]
async fn with_an_encryption_key_both_tokens_are_jwe_exactly_as_authentik_makes_them() {
    let idp = start("idp: { provider: { encryption_key: true } }").await;
    let t = idp.tokens("alice").await;
    let jwks = idp.get_json("/application/o/opensearch/jwks/").await;
    for name in ["id_token", "access_token"] {
        let token = t[name].as_str().unwrap();
        assert_eq!(token.split('.').count(), 5, "{name} is a compact JWE");
        let h = header(token);
        assert_eq!(
            h,
            json!({"alg": "RSA-OAEP-256", "enc": "A256CBC-HS512", "kid": kid(&idp.certs.idp_encryption.key), "typ": "JWE"})
        );
        let members: Vec<&str> = h.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            members,
            ["alg", "enc", "kid", "typ"],
            "alphabetical, as the real authentik sends it"
        );
        let inner = decrypt_jwe(token, &idp.certs.idp_encryption.key);
        assert_eq!(inner.split('.').count(), 3);
        assert_eq!(
            header(&inner),
            json!({"alg": "RS256", "kid": kid(&idp.certs.idp_signing_rsa.key), "typ": "JWT"})
        );
        let claims = verify(&inner, &jwks, &idp.issuer(), "opensearch-dashboards");
        let py = jwcrypto(token, &jwks, Some(&idp.certs.idp_encryption.key), None);
        assert_eq!(
            py["claims"], claims,
            "jwcrypto and the Rust check see the same claims"
        );
        assert_eq!(py["jwe_header"], h);
        assert_eq!(claims["preferred_username"], "alice");
        assert_eq!(claims["groups"], json!(["admins"]));
    }
    // userinfo takes the (encrypted) access token as issued and answers in plain JSON.
    let r = idp
        .http
        .get(format!("{}/application/o/userinfo/", idp.base))
        .bearer_auth(t["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let info: Value = r.json().await.unwrap();
    assert_eq!(info["groups"], json!(["admins"]));
    let r = idp
        .http
        .get(format!("{}/application/o/userinfo/", idp.base))
        .bearer_auth("nope")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("error=\"invalid_token\"")
    );
}

#[tokio::test]
async fn without_encryption_tokens_are_rs256_jws_with_the_jwks_kid_and_authentiks_claims() {
    let idp = start("").await;
    let t = idp.tokens("alice").await;
    let keys: Vec<&str> = t.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "access_token",
            "token_type",
            "scope",
            "expires_in",
            "id_token"
        ],
        "no refresh token without offline_access"
    );
    let jwks = idp.get_json("/application/o/opensearch/jwks/").await;
    let id = t["id_token"].as_str().unwrap();
    assert_eq!(id.split('.').count(), 3);
    assert_eq!(header(id)["kid"], jwks["keys"][0]["kid"]);
    let claims = verify(id, &jwks, &idp.issuer(), "opensearch-dashboards");
    assert_eq!(claims["aud"], "opensearch-dashboards", "aud is a string");
    assert_eq!(claims["acr"], "goauthentik.io/providers/oauth2/default");
    assert_eq!(claims["amr"], json!(["pwd"]));
    assert_eq!(claims["email_verified"], false);
    assert!(
        claims.get("at_hash").is_none()
            && claims.get("nonce").is_none()
            && claims.get("roles").is_none()
    );
    assert_eq!(
        claims["sub"].as_str().unwrap().len(),
        64,
        "hashed_user_id is a sha256 hex"
    );
    assert_eq!(jwcrypto(id, &jwks, None, None)["claims"], claims);
    let access = verify(
        t["access_token"].as_str().unwrap(),
        &jwks,
        &idp.issuer(),
        "opensearch-dashboards",
    );
    assert_eq!(access["azp"], "opensearch-dashboards");
    assert_eq!(access["uid"].as_str().unwrap().len(), 40);
}

#[tokio::test]
async fn without_a_signing_key_tokens_are_hs256_with_the_client_secret_and_the_jwks_is_empty() {
    let idp = start("idp: { provider: { signing_key: none } }").await;
    assert_eq!(
        idp.get_json("/application/o/opensearch/jwks/").await,
        json!({})
    );
    let d = idp
        .get_json("/application/o/opensearch/.well-known/openid-configuration")
        .await;
    assert_eq!(d["id_token_signing_alg_values_supported"], json!(["HS256"]));
    let t = idp.tokens("alice").await;
    let id = t["id_token"].as_str().unwrap();
    assert_eq!(header(id), json!({"alg": "HS256", "typ": "JWT"}));
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    v.set_audience(&["opensearch-dashboards"]);
    let key = jsonwebtoken::DecodingKey::from_secret(idp.config.client_secret.as_bytes()).unwrap();
    let claims = jsonwebtoken::decode::<Value>(id, &key, &v).unwrap().claims;
    assert_eq!(
        jwcrypto(id, &json!({}), None, Some(&idp.config.client_secret))["claims"],
        claims
    );
}

#[tokio::test]
async fn an_ec_signing_key_gives_es256() {
    let idp = start("idp: { provider: { signing_key: ec } }").await;
    let t = idp.tokens("alice").await;
    let jwks = idp.get_json("/application/o/opensearch/jwks/").await;
    assert_eq!(jwks["keys"][0]["kty"], "EC");
    assert_eq!(jwks["keys"][0]["crv"], "P-256");
    let id = t["id_token"].as_str().unwrap();
    assert_eq!(header(id)["alg"], "ES256");
    let claims = verify(id, &jwks, &idp.issuer(), "opensearch-dashboards");
    assert_eq!(jwcrypto(id, &jwks, None, None)["claims"], claims);
}

#[tokio::test]
async fn client_errors_are_answered_as_authentik_answers_them() {
    let idp = start("").await;
    let alice = idp.config.user("alice").unwrap().password.clone();
    // Wrong password: the password challenge again, with the error.
    let c = idp.login("alice", "wrong", "").await.unwrap_err();
    assert_eq!(c["component"], "ak-stage-password");
    assert_eq!(
        c["response_errors"]["password"][0]["string"],
        "Invalid password"
    );
    // Unknown client and redirect URI: error pages, 400.
    for (query, title) in [
        (
            format!(
                "client_id=x&redirect_uri={}&response_type=code",
                urlencode(REDIRECT)
            ),
            "Client ID Error",
        ),
        (
            "client_id=opensearch-dashboards&redirect_uri=https%3A%2F%2Fevil%2F&response_type=code"
                .to_owned(),
            "Redirect URI Error",
        ),
    ] {
        let r = idp
            .http
            .get(format!("{}/application/o/authorize/?{query}", idp.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        assert!(r.text().await.unwrap().contains(title));
    }
    // A fresh client session for the code tests.
    let idp = start("").await;
    let q = idp
        .login(
            "alice",
            &idp.config.user("alice").unwrap().password.clone(),
            "",
        )
        .await
        .unwrap();
    let code = param(&q, "code");
    let wrong_secret = idp
        .http
        .post(format!("{}/application/o/token/", idp.base))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("client_id", "opensearch-dashboards"),
            ("client_secret", "wrong"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_secret.status(), 400);
    assert_eq!(
        wrong_secret.json::<Value>().await.unwrap()["error"],
        "invalid_client"
    );
    let wrong_redirect = idp
        .http
        .post(format!("{}/application/o/token/", idp.base))
        .basic_auth(&idp.config.client_id, Some(&idp.config.client_secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", "https://other/cb"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        wrong_redirect.json::<Value>().await.unwrap()["error"],
        "invalid_client"
    );
    assert_eq!(
        idp.exchange(&code, true).await.status(),
        200,
        "client_secret_basic works"
    );
    let reused = idp.exchange(&code, true).await;
    assert_eq!(
        reused.json::<Value>().await.unwrap()["error"],
        "invalid_grant",
        "a code is used once"
    );
    drop(alice);
}

#[tokio::test]
async fn pkce_s256_is_checked_and_offline_access_brings_a_refresh_token() {
    let idp =
        start("idp: { provider: { property_mappings: [openid, email, profile, offline_access] } }")
            .await;
    let verifier = "a-verifier-that-is-long-enough-0123456789abcdef";
    use sha2::Digest;
    let challenge = URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()));
    let password = idp.config.user("alice").unwrap().password.clone();
    let extra =
        format!("&code_challenge={challenge}&code_challenge_method=S256&scope=offline_access");
    // `scope` appears twice: authentik reads the last; the flow must still work.
    let q = idp.login("alice", &password, &extra).await.unwrap();
    let code = param(&q, "code");
    let no_verifier = idp.exchange(&code, false).await;
    assert_eq!(
        no_verifier.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );
    let q = idp.authorize_again(&extra).await;
    assert_eq!(param(&q, "state"), "again");
    let r = idp
        .http
        .post(format!("{}/application/o/token/", idp.base))
        .basic_auth(&idp.config.client_id, Some(&idp.config.client_secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &param(&q, "code")),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .unwrap();
    let t: Value = r.json().await.unwrap();
    let refresh = t["refresh_token"]
        .as_str()
        .expect("offline_access gives a refresh token");
    assert_eq!(refresh.len(), 128);
    let r = idp
        .http
        .post(format!("{}/application/o/token/", idp.base))
        .basic_auth(&idp.config.client_id, Some(&idp.config.client_secret))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", refresh)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.json::<Value>().await.unwrap()["id_token"].is_string());
}

#[tokio::test]
async fn switching_the_configuration_forgets_sessions_and_codes() {
    let idp = start("").await;
    let password = idp.config.user("alice").unwrap().password.clone();
    let q = idp.login("alice", &password, "").await.unwrap();
    idp.server.set_config(idp.config.clone());
    assert_eq!(
        idp.exchange(&param(&q, "code"), false)
            .await
            .json::<Value>()
            .await
            .unwrap()["error"],
        "invalid_grant"
    );
    assert_eq!(idp::NAME, "authentik (embedded profile)");
}

/// The harness's own client of authentik's headless login (used to observe the real authentik's tokens) gets the
/// same kind of token a relying party gets: signed with the JWKS key, issued for the public origin it sent as Host.
#[tokio::test]
async fn the_harness_headless_client_gets_the_token_a_relying_party_would() {
    let idp = start("").await;
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_provider(jar.clone())
        .build()
        .unwrap();
    let authentik = harness::authentik_client::Authentik {
        origin: "https://idp.sso.test",
        http: &http,
        jar: &jar,
        via: &idp.base,
    };
    let client = harness::authentik_client::Client {
        client_id: idp.config.client_id.clone(),
        client_secret: idp.config.client_secret.clone(),
        redirect_uri: REDIRECT.into(),
        scope: "openid profile email".into(),
    };
    let password = idp.config.user("alice").unwrap().password.clone();
    let token = authentik
        .id_token(&client, "alice", &password)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let jwks = idp.get_json("/application/o/opensearch/jwks/").await;
    let claims = verify(
        &token,
        &jwks,
        "https://idp.sso.test/application/o/opensearch/",
        "opensearch-dashboards",
    );
    assert_eq!(claims["preferred_username"], "alice");
    assert_eq!(claims["groups"], json!(["admins"]));
    let wrong = authentik
        .id_token(&client, "alice", "not-the-password")
        .await;
    assert!(
        wrong
            .as_ref()
            .is_err_and(|e| e.to_string().contains("the flow did not finish")),
        "{wrong:?}"
    );
}

/// The flow's answers to wrong passwords: the error on the password stage four times, then at the fifth the
/// denial authentik 2025.12.4 was measured to send, and a flow planned again without the application.
#[tokio::test]
async fn the_fifth_wrong_password_is_denied_as_authentik_denies_it() {
    let idp = start("").await;
    let first = idp.login("alice", "wrong", "").await.unwrap_err();
    assert_eq!(first["component"], "ak-stage-password");
    // The same plan goes on: four more wrong passwords on its password stage.
    let executor = executor_url(&idp.base, "next=%2Fapplication%2Fo%2Fauthorize%2F");
    let mut answers = Vec::new();
    for _ in 0..4 {
        let c: Value = idp
            .http
            .post(&executor)
            .json(&json!({"component": "ak-stage-password", "password": "still wrong"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        answers.push(c);
    }
    let denied = answers.pop().unwrap();
    assert!(
        answers
            .iter()
            .all(|c| c["component"] == "ak-stage-password"),
        "{answers:?}"
    );
    let members: Vec<&str> = denied
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        members,
        [
            "flow_info",
            "component",
            "pending_user",
            "pending_user_avatar",
            "error_message"
        ]
    );
    assert_eq!(denied["component"], "ak-stage-access-denied");
    assert_eq!(denied["error_message"], "Invalid password");
    assert_eq!(denied["pending_user"], "alice");
    // The plan is gone, the application with it: the executor plans the flow again by itself.
    let c: Value = idp
        .http
        .get(&executor)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(c["component"], "ak-stage-identification");
    assert!(c.get("application_pre").is_none(), "{c}");
}

/// Every observable of the measurements of the real authentik 2025.12.4 (docs/embedded-idp.md) compared by a client written from that note alone, in
/// Python (tests/idp/independent_client.py), against the embedded profile with and without JWE.
#[tokio::test]
async fn an_independent_client_finds_no_difference_from_the_measured_authentik() {
    for scenario in ["", "idp: { provider: { encryption_key: true } }"] {
        let idp = start(scenario).await;
        let input = json!({
            "base": idp.base,
            "slug": idp.config.slug,
            "client_id": idp.config.client_id,
            "client_secret": idp.config.client_secret,
            "redirect_uri": REDIRECT,
            "user": "alice",
            "password": idp.config.user("alice").unwrap().password,
            "signing_key_pem": idp.certs.idp_signing_rsa.key,
            "encryption_key_pem": idp.config.encryption.as_ref().map(|_| &idp.certs.idp_encryption.key),
        });
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/idp/independent_client.py"
        );
        // The client blocks on its HTTP calls: off the runtime the IdP answers on.
        let out = tokio::task::spawn_blocking(move || {
            let mut child = Command::new("python3")
                .arg(script)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("python3");
            std::io::Write::write_all(child.stdin.as_mut().unwrap(), input.to_string().as_bytes())
                .unwrap();
            child.wait_with_output().unwrap()
        })
        .await
        .unwrap();
        assert!(
            out.status.success(),
            "the independent client (python3 + jwcrypto):\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        let checked = report["checked"].as_array().unwrap();
        assert!(checked.len() > 40, "{report}");
        assert_eq!(
            report["differences"],
            json!([]),
            "differences from the real authentik 2025.12.4 (scenario `{scenario}`)"
        );
    }
}
