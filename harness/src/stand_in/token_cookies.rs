//! Where the plugin keeps an OpenID user's token: not in its session cookie but in `openid.extra_storage`, the
//! split cookies `<cookie_prefix>1…N` (default `security_authentication_oidc1…5`), in the browser. Read from
//! security-dashboards-plugin 2.19.4.0 (= 3.2.0.0):
//! - `routes.ts:211-215` (callback) stores `Bearer <id_token>`; `server/session/cookie_splitter.ts:71-86`
//!   deflates it (zlib, `server/utils/compression.ts`) and base64-encodes it, `88-139` cuts it into pieces of
//!   `floor(MAX_LENGTH_OF_COOKIE_BYTES / ESTIMATED_IRON_COOKIE_OVERHEAD)` = 2666 characters (`common/index.ts:63-64`);
//!   when more pieces are needed than there are cookies it warns and cuts N bigger ones (108-119), which the
//!   browser may then refuse. Unused cookies are unset (132-134).
//! - Each piece is its own cookie, `openid_auth.ts:205-225`: iron-sealed ([`super::iron`]), HttpOnly, `Secure` iff
//!   `cookie.secure`, `SameSite` iff `cookie.isSameSite`, **`Domain` = `cookie.domain`** (only these cookies get
//!   it; the session cookie has none, `session/security_cookie.ts:47-79`), `Path` = the base path or `/`;
//!   `ignoreErrors: true`, so a piece that does not unseal counts as absent.
//! - Reading (`cookie_splitter.ts:41-63, 141-168`): the pieces present, in order, joined, inflated; an inflate
//!   error is logged at info and the token is empty (`openid_auth.ts:341-354`), so `isValidCookie` fails
//!   (`openid_auth.ts:269-280`) and the request goes to the login again.
//!
//! Chromium refuses a `Set-Cookie` whose name and value together pass 4096 bytes, and one whose `Domain` the
//! page's host is not within; the stand-in sends what the plugin sends and leaves the refusing to the browser.

use std::io::{Read, Write};

use axum::http::HeaderValue;
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use base64::Engine;

use super::config::Config;
use super::iron;

/// `Math.floor(4000 / 1.5)`.
const PIECE: usize = 2666;

/// `splitValueIntoCookies`' pieces of `value` for `n` cookies (an empty piece: that cookie is unset), and the
/// warning it logs when `n` is too few.
pub fn split(value: &str, n: usize) -> (Vec<String>, Option<String>) {
    let needed = value.len() as f64 / PIECE as f64;
    let mut at = PIECE;
    let mut warning = None;
    if needed > n as f64 {
        at = value.len().div_ceil(n);
        warning = Some(format!(
            "The payload may be too large for the cookies. To be safe, we would need {} cookies in total, but we only have {n}. This can be changed with opensearch_security.openid.extra_storage.additional_cookies.",
            needed.ceil()
        ));
    }
    let pieces = (0..n)
        .map(|i| {
            let start = (i * at).min(value.len());
            let end = ((i + 1) * at).min(value.len());
            value[start..end].to_owned()
        })
        .collect();
    (pieces, warning)
}

/// zlib `deflateSync`, then base64.
fn compress(content: &str) -> String {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(content.as_bytes()).expect("deflate in memory");
    base64::engine::general_purpose::STANDARD.encode(e.finish().expect("deflate in memory"))
}

/// `inflateValue(Buffer.from(joined, 'base64'))`, with zlib's words on failure (an empty input is "unexpected
/// end of file").
fn decompress(joined: &str) -> Result<String, String> {
    let lenient = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let bytes = lenient
        .decode(joined)
        .map_err(|_| "Error: incorrect header check".to_owned())?;
    if bytes.is_empty() {
        return Err("Error: unexpected end of file".into());
    }
    let mut out = String::new();
    flate2::read::ZlibDecoder::new(&bytes[..])
        .read_to_string(&mut out)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::UnexpectedEof => "Error: unexpected end of file".to_owned(),
            _ => "Error: incorrect header check".to_owned(),
        })?;
    Ok(out)
}

fn attributes(config: &Config, c: &mut Cookie<'static>) {
    c.set_path(config.base_path.clone().unwrap_or_else(|| "/".into()));
    c.set_http_only(true);
    c.set_secure(config.cookie_secure);
    c.set_same_site(match config.cookie_same_site.as_deref() {
        Some("Strict") => Some(SameSite::Strict),
        Some("Lax") => Some(SameSite::Lax),
        Some("None") => Some(SameSite::None),
        _ => None,
    });
    if let Some(d) = &config.cookie_domain {
        c.set_domain(d.clone());
    }
}

/// `setExtraAuthStorage(request, content)`: the `Set-Cookie` headers, and the warning to log if any.
pub fn store(config: &Config, content: &str) -> (Vec<HeaderValue>, Option<String>) {
    let s = &config.extra_storage;
    let (pieces, warning) = split(&compress(content), s.additional_cookies);
    let headers = pieces
        .iter()
        .enumerate()
        .map(|(i, piece)| {
            let name = format!("{}{}", s.cookie_prefix, i + 1);
            let mut c = if piece.is_empty() {
                let mut c = Cookie::new(name, "");
                c.make_removal();
                c
            } else {
                Cookie::new(name, iron::seal(piece, &config.cookie_password))
            };
            attributes(config, &mut c);
            HeaderValue::from_str(&c.to_string()).expect("cookie header")
        })
        .collect();
    (headers, warning)
}

/// `getExtraAuthStorageValue`: the stored content, or the error it throws.
pub fn read(config: &Config, jar: &CookieJar) -> Result<String, String> {
    let s = &config.extra_storage;
    let joined: String = (1..=s.additional_cookies)
        .filter_map(|i| jar.get(&format!("{}{i}", s.cookie_prefix)))
        .filter_map(|c| iron::unseal(c.value(), &config.cookie_password))
        .collect();
    decompress(&joined)
}

/// `clearSplitCookies`: unsets the pieces the request carried.
pub fn clear(config: &Config, jar: &CookieJar) -> Vec<HeaderValue> {
    let s = &config.extra_storage;
    (1..=s.additional_cookies)
        .map(|i| format!("{}{i}", s.cookie_prefix))
        .filter(|name| jar.get(name).is_some())
        .map(|name| {
            let mut c = Cookie::new(name, "");
            c.make_removal();
            attributes(config, &mut c);
            HeaderValue::from_str(&c.to_string()).expect("cookie header")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_are_2666_characters_until_the_cookies_run_out() {
        let (p, w) = split(&"x".repeat(6000), 5);
        assert_eq!(
            p.iter().map(String::len).collect::<Vec<_>>(),
            [2666, 2666, 668, 0, 0]
        );
        assert_eq!(w, None);
        // Too few cookies: N bigger pieces, and the plugin's warning.
        let (p, w) = split(&"x".repeat(6000), 2);
        assert_eq!(p.iter().map(String::len).collect::<Vec<_>>(), [3000, 3000]);
        assert!(
            w.unwrap()
                .contains("we would need 3 cookies in total, but we only have 2")
        );
    }

    #[test]
    fn compressed_content_comes_back_and_nothing_is_zlibs_eof() {
        let c = compress("Bearer a.b.c");
        assert_eq!(decompress(&c).as_deref(), Ok("Bearer a.b.c"));
        assert_eq!(
            decompress(""),
            Err("Error: unexpected end of file".to_owned())
        );
        // A missing middle piece: the rest does not inflate.
        assert!(decompress(&c[..c.len() / 2]).is_err());
    }
}
