//! `@hapi/iron` seals, the `encoding: 'iron'` hapi gives the plugin's split token cookies
//! (security-dashboards-plugin `server/auth/types/openid/openid_auth.ts:210-220`). Made for their **size** and
//! opacity: Chromium refuses a cookie whose name and value pass 4096 bytes, and what fits depends on the seal's
//! overhead. The format, from iron's `lib/index.js` (`seal`, `defaults`): `Fe26.2*<password id>*<salt>*<iv>*
//! <encrypted>*<expiration>*<hmac salt>*<hmac>`; each salt 256 random bits in hex, keys PBKDF2-SHA1 (1 iteration,
//! 32 bytes) of the password and the salt's text, AES-256-CBC of `JSON.stringify(value)` with a 128-bit IV,
//! HMAC-SHA256 over everything before the hmac salt, base64url without padding. A string password has the empty
//! id; statehood's iron options have no TTL, so the expiration is empty.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::sign::Signer;
use openssl::symm::{Cipher, decrypt, encrypt};

const PREFIX: &str = "Fe26.2";

fn random_hex(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    openssl::rand::rand_bytes(&mut b).expect("random bytes");
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn key(password: &str, salt: &str) -> [u8; 32] {
    let mut k = [0u8; 32];
    openssl::pkcs5::pbkdf2_hmac(
        password.as_bytes(),
        salt.as_bytes(),
        1,
        MessageDigest::sha1(),
        &mut k,
    )
    .expect("pbkdf2");
    k
}

fn hmac(password: &str, salt: &str, data: &str) -> String {
    let pkey = PKey::hmac(&key(password, salt)).expect("hmac key");
    let mut signer = Signer::new(MessageDigest::sha256(), &pkey).expect("hmac");
    URL_SAFE_NO_PAD.encode(signer.sign_oneshot_to_vec(data.as_bytes()).expect("hmac"))
}

/// `Iron.seal(value, password, defaults)` of a string value.
pub fn seal(value: &str, password: &str) -> String {
    let json = serde_json::to_string(value).expect("a string serialises");
    let salt = random_hex(32);
    let mut iv = [0u8; 16];
    openssl::rand::rand_bytes(&mut iv).expect("random bytes");
    let encrypted = encrypt(
        Cipher::aes_256_cbc(),
        &key(password, &salt),
        Some(&iv),
        json.as_bytes(),
    )
    .expect("aes-256-cbc");
    let base = format!(
        "{PREFIX}**{salt}*{}*{}*",
        URL_SAFE_NO_PAD.encode(iv),
        URL_SAFE_NO_PAD.encode(encrypted)
    );
    let hmac_salt = random_hex(32);
    let digest = hmac(password, &hmac_salt, &base);
    format!("{base}*{hmac_salt}*{digest}")
}

/// `Iron.unseal`: `None` for anything that is not a seal of a string under `password` (statehood with
/// `ignoreErrors: true` then acts as if the cookie were absent).
pub fn unseal(sealed: &str, password: &str) -> Option<String> {
    let parts: Vec<&str> = sealed.split('*').collect();
    let [
        prefix,
        _id,
        salt,
        iv,
        encrypted,
        _expiration,
        hmac_salt,
        digest,
    ] = parts[..]
    else {
        return None;
    };
    if prefix != PREFIX {
        return None;
    }
    let base_len = sealed.len() - hmac_salt.len() - digest.len() - 2;
    let expected = hmac(password, hmac_salt, &sealed[..base_len]);
    if !openssl::memcmp::eq(expected.as_bytes(), digest.as_bytes())
        || expected.len() != digest.len()
    {
        return None;
    }
    let plain = decrypt(
        Cipher::aes_256_cbc(),
        &key(password, salt),
        Some(&URL_SAFE_NO_PAD.decode(iv).ok()?),
        &URL_SAFE_NO_PAD.decode(encrypted).ok()?,
    )
    .ok()?;
    serde_json::from_slice::<String>(&plain).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWORD: &str = "security_cookie_default_password";

    #[test]
    fn a_seal_opens_with_its_password_only() {
        let s = seal("abc", PASSWORD);
        assert!(s.starts_with("Fe26.2**"));
        assert_eq!(unseal(&s, PASSWORD).as_deref(), Some("abc"));
        assert_eq!(unseal(&s, "another_password_of_32_characters"), None);
        let mut tampered = s.clone();
        tampered.insert(60, 'x');
        assert_eq!(unseal(&tampered, PASSWORD), None);
        assert_eq!(unseal("plain", PASSWORD), None);
    }

    #[test]
    fn a_seal_is_as_long_as_irons() {
        // JSON adds 2 bytes, CBC pads to 16, base64url; 8 + 64 + 22 + 64 + 43 + 7 separators around it.
        for n in [0usize, 13, 2666] {
            let padded = (n + 2) / 16 * 16 + 16;
            let expected = 8 + 64 + 1 + 22 + 1 + padded.div_ceil(3) * 4 - (3 - padded % 3) % 3
                + 1
                + 1
                + 64
                + 1
                + 43;
            assert_eq!(seal(&"a".repeat(n), PASSWORD).len(), expected, "{n}");
        }
    }
}
