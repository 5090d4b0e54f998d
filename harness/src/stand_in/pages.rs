//! HTML the browser sees, with the titles, texts and `data-test-subj` / `aria-label` attributes of Dashboards'
//! pages (docs/dashboards-stand-in.md), so the same browser routine finds its way on both.

use axum::response::Html;

use super::config::{AuthType, Config};
use super::encode;

/// Text into HTML (element content and quoted attributes).
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A JavaScript string literal (JSON is one), safe inside `<script>`.
fn js(s: &str) -> String {
    serde_json::to_string(s)
        .expect("JSON")
        .replace('<', "\\u003c")
}

fn page(title: &str, head: &str, body: &str) -> Html<String> {
    Html(format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<meta name="generator" content="sso-harness: {name}">
<style>body{{font-family:sans-serif;background:#f7f8fc}} main{{max-width:28rem;margin:4rem auto;background:#fff;padding:2rem}} .euiButton{{display:block;margin:.5rem 0}}</style>
{head}
</head>
<body>
<main>
{body}
</main>
</body>
</html>"#,
        title = esc(title),
        name = super::NAME,
    ))
}

/// `/auth/openid/captureUrlFragment`: "OSD OIDC Capture" saves `location.hash` (localStorage `oidcHash`) and goes
/// to the login; without JavaScript a meta refresh does the same without the fragment.
pub fn capture(next: &str, base_path: &str) -> Html<String> {
    let plain = format!(
        "{base_path}/auth/openid/login?redirectHash=false&nextUrl={}",
        encode(next)
    );
    let head = format!(
        r#"<script>
const nextUrl = {next};
const hash = window.location.hash || "";
window.localStorage.setItem("oidcHash", hash);
window.location.replace({login} + "?redirectHash=" + (hash ? "true" : "false") + "&nextUrl=" + encodeURIComponent(nextUrl));
</script>
<noscript><meta http-equiv="refresh" content="0;url={plain}"></noscript>"#,
        next = js(next),
        login = js(&format!("{base_path}/auth/openid/login")),
        plain = esc(&plain),
    );
    page(
        "OSD OIDC Capture",
        &head,
        &format!(r#"<a id="continue" href="{}">Continue</a>"#, esc(&plain)),
    )
}

/// `/auth/openid/redirectUrlFragment`: `nextUrl` plus the fragment the capture page saved.
pub fn restore_fragment(next: &str) -> Html<String> {
    let head = format!(
        r#"<script>
const hash = window.localStorage.getItem("oidcHash") || "";
window.localStorage.removeItem("oidcHash");
window.location.replace({next} + hash);
</script>"#,
        next = js(next)
    );
    page(
        "OSD OIDC Capture",
        &head,
        &format!(r#"<a id="continue" href="{}">Continue</a>"#, esc(next)),
    )
}

/// `/app/login`: the basic form and, with multiple authentication, the SSO button. Both buttons have
/// `data-test-subj="submit"`, as in Dashboards: select them by `aria-label`.
pub fn login(config: &Config, next: &str, error: Option<&str>) -> Html<String> {
    let sso = if config.auth.has(AuthType::OpenId) {
        format!(
            r#"<a class="euiButton" href="/auth/openid/captureUrlFragment?nextUrl={next}" aria-label="openid_login_button" data-test-subj="submit">{label}</a>"#,
            next = esc(&encode(next)),
            label = esc(&config.openid_button),
        )
    } else {
        String::new()
    };
    let error = error.map_or_else(String::new, |e| {
        format!(
            r#"<div id="error" role="alert" class="euiCallOut euiCallOut--danger">{}</div>"#,
            esc(e)
        )
    });
    let body = format!(
        r#"<h1>{title}</h1>
<p>If you have forgotten your username or password, contact your system administrator.</p>
<form id="login" method="post" action="/auth/login">
<input type="hidden" name="nextUrl" value="{next}">
<input type="text" name="username" placeholder="Username" aria-label="username_input" data-test-subj="user-name" autocomplete="username">
<input type="password" name="password" placeholder="Password" aria-label="password_input" data-test-subj="password" autocomplete="current-password">
<button type="submit" class="euiButton" aria-label="basicauth_login_button" data-test-subj="submit">Log in</button>
</form>
{sso}
<div id="messages">{error}</div>
<script>
// As Dashboards' login page: the credentials go as JSON; a 401 stays on the page with the message.
document.getElementById("login").addEventListener("submit", async (ev) => {{
  ev.preventDefault();
  const f = ev.target;
  const r = await fetch("/auth/login", {{ method: "POST", credentials: "same-origin",
    headers: {{ "Content-Type": "application/json", "osd-xsrf": "true" }},
    body: JSON.stringify({{ username: f.username.value, password: f.password.value }}) }});
  if (r.ok) {{ window.location.href = {next_js} === "/" ? "/app/home" : {next_js}; return; }}
  const box = document.getElementById("messages");
  box.innerHTML = "";
  const div = document.createElement("div");
  div.id = "error"; div.setAttribute("role", "alert"); div.className = "euiCallOut euiCallOut--danger";
  div.textContent = "Invalid username or password. Please try again.";
  box.appendChild(div);
}});
</script>"#,
        title = esc(&config.login_title),
        next = esc(next),
        next_js = js(next),
    );
    page("Log in to OpenSearch Dashboards", "", &body)
}

/// The app's shell. Its script does what Dashboards' security plugin does in the browser after load: it asks the
/// account API; with no mapped roles it goes to the missing-role page (`location.href`), else the header
/// (`headerGlobalNav`) renders with the user's name. An answer other than 200 leaves the shell as it is, as
/// `fetchAccountInfoSafe` ignores a 401.
pub fn app() -> Html<String> {
    let head = r#"<script>
document.addEventListener("DOMContentLoaded", async () => {
  const r = await fetch("/api/v1/configuration/account", { credentials: "same-origin" });
  if (!r.ok) return;
  const account = (await r.json()).data;
  if (!account.roles || account.roles.length === 0) {
    window.location.href = "/app/customerror/missing-role";
    return;
  }
  const header = document.createElement("header");
  header.setAttribute("data-test-subj", "headerGlobalNav");
  const name = document.createElement("span");
  name.id = "user-name";
  name.setAttribute("data-test-subj", "user-name-display");
  name.textContent = account.user_name;
  header.append("Logged in as ", name);
  document.body.prepend(header);
});
</script>"#;
    page(
        "Home - OpenSearch Dashboards",
        head,
        r#"<h1>Welcome to OpenSearch Dashboards</h1>
<button class="euiButton" data-test-subj="log-out-1" onclick="window.location.href='/auth/logout'">Log out</button>"#,
    )
}

/// `/app/customerror/missing-role`.
pub fn missing_role() -> Html<String> {
    page(
        "Missing Role",
        "",
        r#"<h1>Missing Role</h1>
<p>No roles available for this user, please contact your system administrator.</p>
<button class="euiButton" data-test-subj="error-logout-button" onclick="window.location.href='/auth/logout'">Logout</button>"#,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_is_escaped() {
        let c = capture("/app/x?a=</script><b>", "").0;
        assert!(!c.contains("</script><b>"), "{c}");
    }
}
