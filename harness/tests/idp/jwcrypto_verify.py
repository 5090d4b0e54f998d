"""Decrypts (if JWE) and verifies a token the way an authentik client would, with jwcrypto — the JOSE library
authentik itself uses. Reads {"token", "jwks", "encryption_key_pem"?, "hmac_secret"?} as JSON on stdin and prints
{"jwe_header"?, "jws_header", "claims"} as JSON."""
import json
import sys

from jwcrypto import jwe, jwk, jws

req = json.load(sys.stdin)
token = req["token"]
out = {}
if token.count(".") == 4:
    key = jwk.JWK.from_pem(req["encryption_key_pem"].encode())
    encrypted = jwe.JWE()
    encrypted.deserialize(token, key=key)
    out["jwe_header"] = json.loads(encrypted.objects["protected"])
    token = encrypted.payload.decode()
signed = jws.JWS()
signed.deserialize(token)
header = json.loads(signed.objects["protected"])
out["jws_header"] = header
if header["alg"] == "HS256":
    key = jwk.JWK(kty="oct", k=jwk.base64url_encode(req["hmac_secret"].encode()))
else:
    key = jwk.JWKSet.from_json(json.dumps(req["jwks"])).get_key(header["kid"])
signed.verify(key)
out["claims"] = json.loads(signed.payload)
print(json.dumps(out))
