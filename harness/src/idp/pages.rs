//! HTML the browser sees: the flow page, its shadow-free variant, error pages.
//!
//! The flow page has authentik's structure, so one WebDriver login routine works against both:
//! `ak-flow-executor` (shadow root) → `ak-stage-identification` (shadow root, `input[name=uidField]`) →
//! `ak-stage-password` (shadow root, `input[name=password]` inside `ak-flow-input-password`). Like authentik's, the
//! page talks to the flow executor API with JSON and follows `xak-flow-redirect`.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// `/if/flow/<slug>/`.
pub fn flow(slug: &str) -> Html<String> {
    Html(format!(
        r#"<!DOCTYPE html>
<html lang="en" data-theme="light">
<head>
<meta charset="utf-8">
<title>authentik</title>
<meta name="generator" content="sso-harness: {name}">
<style>body{{font-family:sans-serif;background:#f0f0f0}} .pf-c-login{{display:block;max-width:28rem;margin:4rem auto;background:#fff;padding:2rem}}</style>
</head>
<body>
<div class="pf-c-page__drawer"><div id="flow-drawer" class="pf-c-drawer pf-m-collapsed"><div class="pf-c-drawer__main"><div class="pf-c-drawer__content"><div class="pf-c-drawer__body">
<ak-flow-executor slug="{slug}" class="pf-c-login" data-layout="stacked"></ak-flow-executor>
</div></div></div></div></div>
<script type="module">{script}</script>
</body>
</html>"#,
        name = super::NAME,
        script = FLOW_SCRIPT.replace("__SLUG__", slug),
    ))
}

/// The web components. Each stage renders into its own shadow root and hands its answer to the executor.
const FLOW_SCRIPT: &str = r#"
const api = "/api/v3/flows/executor/__SLUG__/?query=" + encodeURIComponent(location.search.slice(1));

class FlowExecutor extends HTMLElement {
  constructor() { super(); this.attachShadow({ mode: "open" }); }
  connectedCallback() { this.load(); }
  async load() { this.show(await (await fetch(api, { credentials: "same-origin" })).json()); }
  async submit(answer) {
    // A stage that leaves more to do answers 302 to this same URL, and so do the stages after the password
    // (MFA validation, login) on the GET that follows; fetch follows them all with GETs to the next challenge.
    const r = await fetch(api, { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify(answer) });
    this.show(await r.json(), answer);
  }
  show(challenge, answer) {
    if (challenge.component === "xak-flow-redirect") { location.assign(challenge.to); return; }
    const stage = document.createElement(challenge.component);
    stage.challenge = challenge;
    stage.executor = this;
    // The same stage again (an error): authentik's UI keeps what was typed, the wrong password included.
    if (answer && answer.component === challenge.component) stage.typed = answer;
    this.shadowRoot.replaceChildren(stage);
  }
}

function errorsOf(challenge) {
  const e = challenge.response_errors || {};
  return Object.values(e).flat().map((x) => x.string);
}

class IdentificationStage extends HTMLElement {
  connectedCallback() {
    const root = this.attachShadow({ mode: "open" });
    const c = this.challenge;
    root.innerHTML = `<form class="pf-c-form">
        <h1 class="pf-c-title">${c.flow_info.title}</h1>
        ${errorsOf(c).map((m) => `<p class="pf-c-form__helper-text pf-m-error">${m}</p>`).join("")}
        <label for="uid">Email or Username</label>
        <input id="uid" type="text" name="uidField" autocomplete="username" required>
        <button type="submit" class="pf-c-button pf-m-primary pf-m-block">${c.primary_action}</button>
      </form>`;
    root.querySelector("form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      this.executor.submit({ component: "ak-stage-identification", uid_field: root.querySelector("input").value });
    });
  }
}

class FlowInputPassword extends HTMLElement {}

class PasswordStage extends HTMLElement {
  connectedCallback() {
    const root = this.attachShadow({ mode: "open" });
    const c = this.challenge;
    root.innerHTML = `<form class="pf-c-form">
        <h1 class="pf-c-title">${c.flow_info.title}</h1>
        <p class="pending-user">${c.pending_user}</p>
        ${errorsOf(c).map((m) => `<p class="pf-c-form__helper-text pf-m-error">${m}</p>`).join("")}
        <ak-flow-input-password><input type="password" name="password" autocomplete="current-password" required></ak-flow-input-password>
        <button type="submit" class="pf-c-button pf-m-primary pf-m-block">Continue</button>
      </form>`;
    const input = root.querySelector("input[name=password]");
    if (this.typed) input.value = this.typed.password;
    root.querySelector("form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      this.executor.submit({ component: "ak-stage-password", password: input.value });
    });
  }
}

class AccessDeniedStage extends HTMLElement {
  connectedCallback() {
    const c = this.challenge;
    this.attachShadow({ mode: "open" }).innerHTML = `<h1 class="pf-c-title">${c.flow_info.title}</h1>
      <p class="pf-c-title pf-m-xl">Request has been denied.</p>
      <p class="pf-m-error">${c.error_message}</p>`;
  }
}

customElements.define("ak-flow-input-password", FlowInputPassword);
customElements.define("ak-stage-identification", IdentificationStage);
customElements.define("ak-stage-password", PasswordStage);
customElements.define("ak-stage-access-denied", AccessDeniedStage);
customElements.define("ak-flow-executor", FlowExecutor);
"#;

/// `/if/flow/<slug>/?sfe`: the shadow-DOM-free executor (`#ident-form`, `#password-form`).
pub fn flow_sfe(slug: &str) -> Html<String> {
    Html(format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>authentik</title></head>
<body>
<main id="flow-sfe-container" class="form-signin w-100 m-auto"></main>
<script>
const api = "/api/v3/flows/executor/{slug}/?query=" + encodeURIComponent(location.search.slice(1));
const main = document.getElementById("flow-sfe-container");
async function show(r) {{
  const c = await r.json();
  if (c.component === "xak-flow-redirect") {{ location.assign(c.to); return; }}
  const errors = Object.values(c.response_errors || {{}}).flat().map((e) => `<p class="text-danger">${{e.string}}</p>`).join("");
  if (c.component === "ak-stage-identification") {{
    main.innerHTML = `<form id="ident-form">${{errors}}<input name="uid_field" type="text"><button type="submit">Log in</button></form>`;
  }} else if (c.component === "ak-stage-password") {{
    main.innerHTML = `<form id="password-form">${{errors}}<input name="password" type="password"><button type="submit">Continue</button></form>`;
  }} else {{
    main.innerHTML = `<div id="access-denied">Request has been denied.</div>`;
    return;
  }}
  main.querySelector("form").addEventListener("submit", (ev) => {{
    ev.preventDefault();
    const body = Object.fromEntries(new FormData(ev.target));
    fetch(api, {{ method: "POST", headers: {{ "Content-Type": "application/json" }}, body: JSON.stringify(body) }}).then(show);
  }});
}}
fetch(api).then(show);
</script>
</body></html>"#
    ))
}

/// authentik's error page (`if/error.html`): a title and a message, with a status.
pub fn error(status: StatusCode, title: &str, message: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}</title></head><body>\
         <main class=\"pf-c-login__main\"><h1 class=\"pf-c-title\">{title}</h1><p>{message}</p></main></body></html>"
    );
    (status, Html(html)).into_response()
}

pub fn message(title: &str, message: &str) -> Html<String> {
    Html(format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}</title></head><body><h1>{title}</h1><p>{message}</p></body></html>"
    ))
}

/// An initials avatar as a data URI (authentik's fallback when there is no gravatar).
pub fn initials_avatar(user: &str) -> String {
    let initials: String = user.chars().take(2).collect::<String>().to_uppercase();
    let svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"64\" height=\"64\"><rect width=\"64\" height=\"64\" fill=\"#3b82f6\"/>\
         <text x=\"50%\" y=\"50%\" dominant-baseline=\"central\" text-anchor=\"middle\" fill=\"#fff\" font-size=\"28\">{initials}</text></svg>"
    );
    format!("data:image/svg+xml;base64,{}", STANDARD.encode(svg))
}
