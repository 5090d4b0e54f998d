"""An independent client of authentik 2025.12.4, written from the measurements alone
(research/authentik-real.md §3: the real authentik probed beside the embedded profile), not from the harness's
code. It speaks plain HTTP to an authentik-like server the way the probe did (`Host: idp.sso.test`,
`X-Forwarded-Proto: https`) and compares every observable the measurement lists with what the real authentik
answered.

Reads on stdin {"base", "slug", "client_id", "client_secret", "redirect_uri", "user", "password",
"signing_key_pem", "encryption_key_pem" (null without JWE)} and prints {"checked": [names], "differences": [text]}.
Exits 0 either way; the caller judges the differences.
"""
import hashlib
import http.client
import json
import re
import sys
import urllib.parse

from jwcrypto import jwe, jwk, jws

HOST = "idp.sso.test"
ORIGIN = "https://" + HOST
FLOW = "default-authentication-flow"

req = json.load(sys.stdin)
base = urllib.parse.urlsplit(req["base"])
slug = req["slug"]
jwe_on = req["encryption_key_pem"] is not None
checked = []
differences = []


def check(name, ok, detail=""):
    checked.append(name)
    if not ok:
        differences.append(f"{name}: {detail}")


class Session:
    """One user agent: its own cookies, no redirects followed."""

    def __init__(self):
        self.cookies = {}
        self.set_cookie_headers = []

    def request(self, method, path, body=None, headers=None, form=None):
        h = {"Host": HOST, "X-Forwarded-Proto": "https"}
        h.update(headers or {})
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            h["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection(base.hostname, base.port, timeout=10)
        conn.request(method, path, body=data, headers=h)
        r = conn.getresponse()
        raw = r.read()
        for name, value in r.getheaders():
            if name.lower() == "set-cookie":
                self.set_cookie_headers.append(value)
                k, _, rest = value.partition("=")
                self.cookies[k.strip()] = rest.split(";")[0]
        conn.close()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, raw


def path_of(location):
    return location[len(ORIGIN):] if location.startswith(ORIGIN) else location


def authorize_query(scope, state, nonce=None):
    q = {
        "client_id": req["client_id"],
        "redirect_uri": req["redirect_uri"],
        "response_type": "code",
        "scope": scope,
        "state": state,
    }
    if nonce:
        q["nonce"] = nonce
    return urllib.parse.urlencode(q)


def executor_of(flow_location):
    query = flow_location.split("?", 1)[1]
    return f"/api/v3/flows/executor/{FLOW}/?query=" + urllib.parse.quote(query, safe="")


IDENTIFICATION_KEYS = [
    "flow_info", "component", "user_fields", "password_fields", "allow_show_password", "application_pre",
    "flow_designation", "captcha_stage", "primary_action", "sources", "show_source_labels",
    "enable_remember_me", "passkey_challenge",
]
FLOW_INFO_KEYS = ["title", "background", "background_themed_urls", "cancel_url", "layout"]


def start_flow(s, scope="openid profile email", state="st4te", nonce=None):
    """authorize (anonymous) → the flow page's URL → the executor's identification challenge."""
    query = authorize_query(scope, state, nonce)
    status, h, _ = s.request("GET", "/application/o/authorize/?" + query)
    loc = h.get("location", "")
    check("authorize anonymous: 302", status == 302, f"{status}")
    prefix = f"/if/flow/{FLOW}/?"
    check("authorize anonymous: to the flow page", loc.startswith(prefix), loc)
    flow_q = urllib.parse.parse_qs(loc.split("?", 1)[1]) if "?" in loc else {}
    original = urllib.parse.parse_qs(query)
    check(
        "authorize anonymous: the query, then next=<authorize URL>",
        all(flow_q.get(k) == v for k, v in original.items())
        and list(flow_q)[-1:] == ["next"]
        and flow_q["next"][0].startswith("/application/o/authorize/?")
        and urllib.parse.parse_qs(flow_q["next"][0].split("?", 1)[1]) == original,
        loc,
    )
    executor = executor_of(loc)
    status, _, raw = s.request("GET", executor)
    return executor, status, raw


def identify(s, executor, user):
    status, h, raw = s.request("POST", executor, body={"component": "ak-stage-identification", "uid_field": user})
    check("identification answer: 302 to the executor", status == 302 and path_of(h.get("location", "")) == executor,
          f"{status} {h.get('location')}")
    status, _, raw = s.request("GET", executor)
    return json.loads(raw)


def password_challenge_keys(c, with_errors):
    keys = ["flow_info", "component"] + (["response_errors"] if with_errors else []) + [
        "pending_user", "pending_user_avatar", "allow_show_password"]
    return list(c) == keys


# --- discovery, CORS, JWKS, kid -------------------------------------------------------------------------------
s = Session()
disc_path = f"/application/o/{slug}/.well-known/openid-configuration"
status, h, raw = s.request("GET", disc_path)
d = json.loads(raw)
members = list(d)
if jwe_on:
    check("discovery: 25 members with a key", len(members) == 25, f"{len(members)}")
    check("discovery: ends in the encryption members",
          members[-2:] == ["id_token_encryption_alg_values_supported", "id_token_encryption_enc_values_supported"]
          and d["id_token_encryption_alg_values_supported"] == ["RSA-OAEP-256"]
          and d["id_token_encryption_enc_values_supported"] == ["A256CBC-HS512"], f"{members[-2:]}")
else:
    check("discovery: 23 members without a key", len(members) == 23, f"{len(members)}")
    check("discovery: no encryption members", not any("encryption" in m for m in members), f"{members}")
issuer = f"{ORIGIN}/application/o/{slug}/"
check("discovery: issuer", d.get("issuer") == issuer, d.get("issuer"))
check("discovery: no Access-Control-Allow-Origin without Origin", "access-control-allow-origin" not in h,
      f"{h.get('access-control-allow-origin')}")
status, h, _ = s.request("GET", disc_path, headers={"Origin": "https://dashboards.sso.test"})
check("discovery: Origin echoed with credentials",
      h.get("access-control-allow-origin") == "https://dashboards.sso.test"
      and h.get("access-control-allow-credentials") == "true",
      f"{h.get('access-control-allow-origin')} / {h.get('access-control-allow-credentials')}")

status, h, raw = s.request("GET", f"/application/o/{slug}/jwks/")
jwks = json.loads(raw)
check("JWKS: Access-Control-Allow-Origin *", h.get("access-control-allow-origin") == "*", f"{h}")
keys = jwks.get("keys", [])
sig = keys[0] if keys else {}
check("JWKS: signing key members and order",
      list(sig) == ["alg", "kid", "kty", "use", "n", "e", "x5c", "x5t", "x5t#S256"] and sig.get("use") == "sig",
      f"{list(sig)}")


def stored_kid(pem):
    # authentik keeps a blueprint's key_data without its final newline; the kid is the MD5 of that text.
    return hashlib.md5(pem.rstrip("\n").encode()).hexdigest()


check("kid: MD5 of the signing key as stored (no final newline)", sig.get("kid") == stored_kid(req["signing_key_pem"]),
      f"{sig.get('kid')} != {stored_kid(req['signing_key_pem'])}")
if jwe_on:
    enc = keys[1] if len(keys) > 1 else {}
    check("JWKS: encryption key members",
          list(enc)[:5] == ["alg", "enc", "kid", "kty", "use"] and enc.get("alg") == "RSA-OAEP-256"
          and enc.get("use") == "enc", f"{list(enc)}")
    check("kid: MD5 of the encryption key as stored", enc.get("kid") == stored_kid(req["encryption_key_pem"]),
          f"{enc.get('kid')}")

# --- authorize errors --------------------------------------------------------------------------------------------
for query, title in [
    (urllib.parse.urlencode({"client_id": "nope", "redirect_uri": req["redirect_uri"], "response_type": "code"}),
     "Client ID Error"),
    (urllib.parse.urlencode({"client_id": req["client_id"], "redirect_uri": "https://evil.example/cb",
                             "response_type": "code"}), "Redirect URI Error"),
]:
    status, _, raw = s.request("GET", "/application/o/authorize/?" + query)
    check(f"authorize: 400 {title}", status == 400 and title in raw.decode(errors="replace"), f"{status}")

# --- the end-session endpoint, anonymous ---------------------------------------------------------------------------
status, h, _ = Session().request("GET", f"/application/o/{slug}/end-session/")
check("end-session anonymous: 302 to the flow with next",
      status == 302 and h.get("location") == f"/if/flow/{FLOW}/?next=/application/o/{slug}/end-session/",
      f"{status} {h.get('location')}")

# --- a login: identification, a wrong password, the right one through the executor's redirects --------------------
alice = Session()
executor, status, raw = start_flow(alice, nonce="n0nce")
c = json.loads(raw)
check("identification challenge: members and order", list(c) == IDENTIFICATION_KEYS, f"{list(c)}")
check("identification challenge: flow_info members", list(c.get("flow_info", {})) == FLOW_INFO_KEYS,
      f"{list(c.get('flow_info', {}))}")
c = identify(alice, executor, req["user"])
check("password challenge: members and order", c.get("component") == "ak-stage-password"
      and password_challenge_keys(c, False), f"{list(c)}")
status, _, raw = alice.request("POST", executor, body={"component": "ak-stage-password", "password": "wrong"})
c = json.loads(raw)
check("wrong password: the challenge again with the error",
      status == 200 and password_challenge_keys(c, True)
      and c["response_errors"] == {"password": [{"string": "Invalid password", "code": "invalid"}]}, f"{c}")
status, h, raw = alice.request("POST", executor, body={"component": "ak-stage-password", "password": req["password"]})
hops = [(status, len(raw))]
while status == 302 and path_of(h.get("location", "")) == executor and len(hops) < 6:
    status, h, raw = alice.request("GET", executor)
    hops.append((status, len(raw)))
check("right password: 302 (empty), 302 (empty), then the redirect challenge",
      hops == [(302, 0), (302, 0), (200, len(raw))], f"{hops}")
done = json.loads(raw) if status == 200 else {}
check("right password: xak-flow-redirect to the authorize URL",
      list(done) == ["component", "to"] and done.get("component") == "xak-flow-redirect"
      and done.get("to", "").startswith("/application/o/authorize/?"), f"{done}")
session_cookies = [c for c in alice.set_cookie_headers if c.startswith("authentik_session=")]
attrs = {a.strip().split("=")[0].lower(): (a.strip().split("=", 1) + [""])[1]
         for a in (session_cookies[0].split(";")[1:] if session_cookies else [])}
check("session cookie: HttpOnly; Path=/; SameSite=None; Secure",
      set(attrs) >= {"httponly", "path", "samesite", "secure"} and attrs["path"] == "/" and attrs["samesite"] == "None",
      f"{session_cookies}")

status, h, _ = alice.request("GET", path_of(done.get("to", "/")))
loc = h.get("location", "")
cb = urllib.parse.urlsplit(loc)
cb_q = urllib.parse.parse_qs(cb.query)
check("authorize after login: 302 to the client with a 32-hex code and the state",
      status == 302 and loc.startswith(req["redirect_uri"] + "?")
      and re.fullmatch("[0-9a-f]{32}", cb_q.get("code", [""])[0]) and cb_q.get("state") == ["st4te"], loc)

# --- tokens --------------------------------------------------------------------------------------------------------
def exchange(code, secret=req["client_secret"]):
    return Session().request("POST", "/application/o/token/", form={
        "grant_type": "authorization_code", "code": code, "redirect_uri": req["redirect_uri"],
        "client_id": req["client_id"], "client_secret": secret})


status, h, raw = exchange(cb_q.get("code", [""])[0])
t = json.loads(raw)
check("token response: members and order", list(t) == ["access_token", "token_type", "scope", "expires_in", "id_token"],
      f"{list(t)}")
check("token response: Cache-Control no-store, Pragma no-cache",
      h.get("cache-control") == "no-store" and h.get("pragma") == "no-cache", f"{h}")
check("token response: scope order", t.get("scope") == "openid email profile", t.get("scope"))

enc_key = jwk.JWK.from_pem(req["encryption_key_pem"].encode()) if jwe_on else None
jwkset = jwk.JWKSet.from_json(json.dumps(jwks))


def b64d(part):
    import base64
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def open_token(token, name):
    """The inner JWS's claims, checking the JOSE headers byte for byte."""
    if jwe_on:
        parts = token.split(".")
        check(f"{name}: a compact JWE (5 parts)", len(parts) == 5, f"{len(parts)} parts")
        expected = ('{"alg":"RSA-OAEP-256","enc":"A256CBC-HS512","kid":"%s","typ":"JWE"}'
                    % stored_kid(req["encryption_key_pem"]))
        got = b64d(parts[0]).decode()
        check(f"{name}: JWE protected header bytes", got == expected, got)
        e = jwe.JWE()
        e.deserialize(token, key=enc_key)
        token = e.payload.decode()
    inner = token.split(".")
    expected = '{"alg":"RS256","kid":"%s","typ":"JWT"}' % stored_kid(req["signing_key_pem"])
    got = b64d(inner[0]).decode()
    check(f"{name}: JWS header bytes", got == expected, got)
    signed = jws.JWS()
    signed.deserialize(token)
    signed.verify(jwkset.get_key(json.loads(got)["kid"]))
    checked.append(f"{name}: signature verifies against the JWKS")
    return json.loads(signed.payload)


ID_CLAIMS = ["iss", "sub", "aud", "exp", "iat", "auth_time", "acr", "amr", "nonce", "sid", "email", "email_verified",
             "name", "given_name", "preferred_username", "nickname", "groups"]
claims = open_token(t["id_token"], "id_token")
check("id_token: claims and order", list(claims) == ID_CLAIMS, f"{list(claims)}")
check("id_token: values",
      claims["iss"] == issuer and claims["aud"] == req["client_id"]
      and claims["acr"] == "goauthentik.io/providers/oauth2/default" and claims["amr"] == ["pwd"]
      and claims["email_verified"] is False and claims["groups"] == ["admins"] and claims["nonce"] == "n0nce"
      and re.fullmatch("[0-9a-f]{64}", claims["sub"]) and re.fullmatch("[0-9a-f]{64}", claims["sid"]), f"{claims}")
access = open_token(t["access_token"], "access_token")
check("access token: the id_token's claims, then azp, uid, scope",
      list(access) == ID_CLAIMS + ["azp", "uid", "scope"] and len(access["uid"]) == 40
      and access["scope"] == "openid email profile", f"{list(access)} {access.get('scope')}")

status, h, raw = Session().request("GET", "/application/o/userinfo/",
                                   headers={"Authorization": "Bearer " + t["access_token"]})
info = json.loads(raw) if status == 200 else {}
check("userinfo: members and order",
      list(info) == ["sub", "email", "email_verified", "name", "given_name", "preferred_username", "nickname",
                     "groups", "nonce"], f"{status} {list(info)}")
status, h, _ = Session().request("GET", "/application/o/userinfo/", headers={"Authorization": "Bearer nope"})
check("userinfo: 401 invalid_token",
      status == 401 and h.get("www-authenticate", "").startswith('error="invalid_token", error_description="'),
      f"{status} {h.get('www-authenticate')}")

# Logged in: authorize again asking the scopes in another order; the token's scope keeps authentik's order.
status, h, _ = alice.request("GET", "/application/o/authorize/?" + authorize_query("profile openid email", "two"))
code = urllib.parse.parse_qs(urllib.parse.urlsplit(h.get("location", "")).query).get("code", [""])[0]
status, _, raw = exchange(code)
scope = json.loads(raw).get("scope")
check("token response: scope order for `profile openid email`", scope == "openid email profile", f"{status} {scope}")
status, _, raw = exchange(code)
e = json.loads(raw)
check("token errors: a used code is invalid_grant",
      status == 400 and list(e) == ["error", "error_description", "request_id"] and e["error"] == "invalid_grant", f"{e}")
status, h, _ = alice.request("GET", "/application/o/authorize/?" + authorize_query("openid", "three"))
code = urllib.parse.parse_qs(urllib.parse.urlsplit(h.get("location", "")).query).get("code", [""])[0]
status, _, raw = exchange(code, secret="wrong")
check("token errors: a wrong secret is invalid_client", status == 400 and json.loads(raw).get("error") == "invalid_client",
      f"{status} {json.loads(raw).get('error')}")

# --- five wrong passwords: the denial, and the flow planned again without the application --------------------------
bob = Session()
executor, _, _ = start_flow(bob)
identify(bob, executor, req["user"])
for i in range(1, 6):
    status, _, raw = bob.request("POST", executor, body={"component": "ak-stage-password", "password": f"wrong{i}"})
    c = json.loads(raw)
    if i < 5:
        ok = c.get("component") == "ak-stage-password"
        if not ok:
            check(f"wrong password {i}: the password challenge", False, f"{c}")
check("5th wrong password: access denied, members and order",
      list(c) == ["flow_info", "component", "pending_user", "pending_user_avatar", "error_message"]
      and c.get("component") == "ak-stage-access-denied", f"{c}")
check("5th wrong password: error_message", c.get("error_message") == "Invalid password", f"{c.get('error_message')}")
check("5th wrong password: pending_user", c.get("pending_user") == req["user"], f"{c.get('pending_user')}")
status, _, raw = bob.request("GET", executor)
c = json.loads(raw)
check("after the denial: identification without application_pre",
      c.get("component") == "ak-stage-identification" and "application_pre" not in c, f"{list(c)}")

# --- an unknown user passes identification and fails at the password ------------------------------------------------
carol = Session()
executor, _, _ = start_flow(carol)
c = identify(carol, executor, "nobody-of-that-name")
check("unknown user: passes identification", c.get("component") == "ak-stage-password", f"{c.get('component')}")
status, _, raw = carol.request("POST", executor, body={"component": "ak-stage-password", "password": "x"})
c = json.loads(raw)
check("unknown user: Invalid password",
      c.get("response_errors", {}).get("password", [{}])[0].get("string") == "Invalid password", f"{c}")

print(json.dumps({"checked": checked, "differences": differences}))
