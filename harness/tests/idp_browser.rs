//! A real headless Chromium logs in through the embedded IdP's shadow-DOM pages with the same routine that
//! drives authentik's UI, and leaves no browser process behind.

mod support;

use std::time::{Duration, Instant};

use fantoccini::Locator;
use harness::browser::{Browser, Chromedriver, Options, authentik};
use support::start;

/// A relying party's callback that just answers, so the browser has somewhere to land.
async fn callback() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/cb", listener.local_addr().unwrap());
    let app = axum::Router::new().route("/cb", axum::routing::get(|| async { "callback reached" }));
    (
        url,
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() }),
    )
}

fn scenario(callback: &str) -> String {
    format!(
        "idp: {{ provider: {{ redirect_uris: [{{ matching_mode: strict, url: \"{callback}\" }}] }} }}"
    )
}

async fn wait_for_url(browser: &Browser, prefix: &str) -> url::Url {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let url = browser.client.current_url().await.unwrap();
        if url.as_str().starts_with(prefix) {
            return url;
        }
        assert!(
            Instant::now() < deadline,
            "still at {url}, expected {prefix}…"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn authorize_url(base: &str, client_id: &str, callback: &str) -> String {
    let cb: String = url::form_urlencoded::byte_serialize(callback.as_bytes()).collect();
    format!(
        "{base}/application/o/authorize/?client_id={client_id}&redirect_uri={cb}&response_type=code&scope=openid+profile+email&state=xyz"
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_browser_logs_in_through_the_shadow_dom_flow_and_reaches_the_client_with_a_code() {
    let (cb, _server) = callback().await;
    let idp = start(&scenario(&cb)).await;
    let driver = Chromedriver::start().await.unwrap();
    let browser = Browser::open(&driver.url(), &Options::default())
        .await
        .unwrap();
    browser
        .client
        .goto(&authorize_url(&idp.base, &idp.config.client_id, &cb))
        .await
        .unwrap();
    let password = idp.config.user("alice").unwrap().password.clone();

    // A wrong password first: authentik's page shows the error on the password stage.
    authentik::login(&browser.client, "alice", "wrong")
        .await
        .unwrap();
    let errors = authentik::stage_errors(&browser.client, "ak-stage-password")
        .await
        .unwrap();
    assert_eq!(errors, ["Invalid password"]);
    // As the real UI, the field still holds the wrong text: the retry below only works if it is cleared first.
    let kept = browser
        .client
        .execute(
            "return document.querySelector('ak-flow-executor').shadowRoot.querySelector('ak-stage-password')\
             .shadowRoot.querySelector('input[name=password]').value",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(kept, "wrong");

    // Then the right one, on the same stage: through the password stage's 302s to the client.
    authentik::submit_password(&browser.client, &password)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let landed = wait_for_url(&browser, &cb).await;
    let q: Vec<(String, String)> = landed.query_pairs().into_owned().collect();
    assert!(
        q.iter().any(|(k, v)| k == "code" && v.len() == 32),
        "{landed}"
    );
    assert!(
        q.iter().any(|(k, v)| k == "state" && v == "xyz"),
        "{landed}"
    );
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_shadow_free_page_logs_in_too() {
    let (cb, _server) = callback().await;
    let idp = start(&scenario(&cb)).await;
    let driver = Chromedriver::start().await.unwrap();
    let browser = Browser::open(&driver.url(), &Options::default())
        .await
        .unwrap();
    browser
        .client
        .goto(&authorize_url(&idp.base, &idp.config.client_id, &cb))
        .await
        .unwrap();
    let flow = wait_for_url(
        &browser,
        &format!("{}/if/flow/default-authentication-flow/", idp.base),
    )
    .await;
    browser.client.goto(&format!("{flow}&sfe")).await.unwrap();
    let c = &browser.client;
    let uid = c
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("#ident-form input[name=uid_field]"))
        .await
        .unwrap();
    uid.send_keys("alice\u{E007}").await.unwrap();
    let pw = c
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("#password-form input[name=password]"))
        .await
        .unwrap();
    let password = idp.config.user("alice").unwrap().password.clone();
    pw.send_keys(&format!("{password}\u{E007}")).await.unwrap();
    wait_for_url(&browser, &cb).await;
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn stopping_chromedriver_ends_every_browser_process() {
    let driver = Chromedriver::start().await.unwrap();
    let browser = Browser::open(&driver.url(), &Options::default())
        .await
        .unwrap();
    browser.client.goto("about:blank").await.unwrap();
    let group = nix::unistd::Pid::from_raw(driver.pid() as i32);
    assert!(
        nix::sys::signal::killpg(group, None).is_ok(),
        "the group runs"
    );
    // Neither the session nor the driver is closed politely: dropping must be enough (a panic unwinds the same way).
    drop(browser);
    drop(driver);
    assert!(
        nix::sys::signal::killpg(group, None).is_err(),
        "a process of chromedriver's group survived"
    );
}
