#!/usr/bin/env python3
"""Writes the event fixtures in events/ and the test-only key material they use.

Run with the project venv: `make fixtures` (or `.venv/bin/python events/generate.py`).
Keys and certificates under events/keys/ are created once and reused; delete them to
rotate. They are TEST-ONLY material, published on purpose: never trust them anywhere.

`demo` mode (`generate.py demo OUT_DIR CLIENT_CERT_PEM`) writes events with tokens minted
for the current clock and the given client certificate, for the README's local run.
Expected answers (`*.expected.json`) are not written here: write them by hand, or run
`UPDATE_EXPECT=1 cargo test -p authorizer-tests --test replay` and review the diff.
"""
import base64, datetime, hashlib, json, os, sys
from pathlib import Path
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa, ec, padding, utils

EVENTS = Path(__file__).resolve().parent
KEYS = EVENTS / "keys"
REPLAY_NOW = 1_790_000_000  # tests/src/fixtures.rs REPLAY_NOW
ISSUER = "https://idp.example.com"
AUDIENCE = "payments-api"
ACCOUNT, API_ID, REGION, STAGE = "123456789012", "a1b2c3d4e5", "us-east-1", "prod"


def b64u(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def load_or_create(path: Path, make):
    if path.exists():
        return serialization.load_pem_private_key(path.read_bytes(), None)
    key = make()
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return key


def keys():
    KEYS.mkdir(exist_ok=True)
    rsa_key = load_or_create(KEYS / "rsa-1.key.pem", lambda: rsa.generate_private_key(65537, 2048))
    ec_key = load_or_create(KEYS / "ec-1.key.pem", lambda: ec.generate_private_key(ec.SECP256R1()))
    rogue = load_or_create(KEYS / "rogue-rsa.key.pem", lambda: rsa.generate_private_key(65537, 2048))
    n = rsa_key.public_key().public_numbers()
    ecn = ec_key.public_key().public_numbers()
    jwks = {"keys": [
        {"kty": "RSA", "kid": "rsa-1", "use": "sig", "alg": "RS256",
         "n": b64u(n.n.to_bytes((n.n.bit_length() + 7) // 8, "big")), "e": b64u(n.e.to_bytes(3, "big"))},
        {"kty": "EC", "kid": "ec-1", "use": "sig", "alg": "ES256", "crv": "P-256",
         "x": b64u(ecn.x.to_bytes(32, "big")), "y": b64u(ecn.y.to_bytes(32, "big"))},
    ]}
    (KEYS / "jwks.json").write_text(json.dumps(jwks, indent=2) + "\n")
    return rsa_key, ec_key, rogue


def sign_jwt(key, kid, claims, alg=None, header_extra=None):
    alg = alg or ("RS256" if isinstance(key, rsa.RSAPrivateKey) else "ES256")
    header = {"alg": alg, "typ": "JWT", "kid": kid}
    header.update(header_extra or {})
    signing_input = (b64u(json.dumps(header, separators=(",", ":")).encode()) + "." +
                     b64u(json.dumps(claims, separators=(",", ":")).encode())).encode()
    if alg == "RS256":
        sig = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    else:
        r, s = utils.decode_dss_signature(key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
        sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return signing_input.decode() + "." + b64u(sig)


def claims(now, **over):
    c = {"iss": ISSUER, "sub": "user-7f3a", "aud": AUDIENCE, "iat": now - 60, "nbf": now - 60, "exp": now + 600,
         "client_id": "orders-frontend", "scope": "orders:read orders:write", "jti": "f1d0c6e2"}
    c.update(over)
    return {k: v for k, v in c.items() if v is not None}


# ---- certificates -------------------------------------------------------------------------

def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example Payments"), x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def cert_file(stem, make):
    p = KEYS / f"{stem}.pem"
    if p.exists():
        return x509.load_pem_x509_certificate(p.read_bytes())
    c = make()
    p.write_bytes(c.public_bytes(serialization.Encoding.PEM))
    return c


def build_cert(subject, issuer_name, pub, signer, serial, not_before, not_after, ca=None, uri=None):
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_name).public_key(pub)
         .serial_number(serial).not_valid_before(not_before).not_valid_after(not_after))
    if ca is not None:
        b = b.add_extension(x509.BasicConstraints(ca=True, path_length=ca), critical=True)
        b = b.add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
    else:
        b = b.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        b = b.add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        if uri:
            b = b.add_extension(x509.SubjectAlternativeName([x509.UniformResourceIdentifier(uri)]), critical=False)
    return b.sign(signer, hashes.SHA256())


def pki():
    t0 = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)
    t1 = datetime.datetime(2035, 1, 1, tzinfo=datetime.timezone.utc)
    root_key = load_or_create(KEYS / "root-ca.key.pem", lambda: ec.generate_private_key(ec.SECP256R1()))
    inter_key = load_or_create(KEYS / "intermediate-ca.key.pem", lambda: ec.generate_private_key(ec.SECP256R1()))
    client_key = load_or_create(KEYS / "client.key.pem", lambda: ec.generate_private_key(ec.SECP256R1()))
    root = cert_file("root-ca", lambda: build_cert(name("Example Root CA"), name("Example Root CA"), root_key.public_key(), root_key, 1, t0, t1, ca=1))
    inter = cert_file("intermediate-ca", lambda: build_cert(name("Example Intermediate CA"), root.subject, inter_key.public_key(), root_key, 2, t0, t1, ca=0))
    clients = {}
    for stem, cn, serial, nb, na in [
        ("client-active", "payments-frontend", 0x1A2B3C4D5E6F01, t0, t1),
        ("client-rotated", "payments-frontend", 0x1A2B3C4D5E6F02, t0, t1),
        ("client-revoked", "ledger-batch", 0x0BADC0FFEE, t0, t1),
        ("client-suspended", "reporting-job", 0x5005, t0, t1),
        ("client-unknown", "stranger", 0x77777, t0, t1),
        ("client-expired", "payments-frontend", 0x1A2B3C4D5E6F03, t0, datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)),
    ]:
        clients[stem] = cert_file(stem, lambda cn=cn, serial=serial, nb=nb, na=na: build_cert(
            name(cn), inter.subject, client_key.public_key(), inter_key, serial, nb, na))
    return root, inter, clients


def client_cert_obj(cert, serial_style="colon"):
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    s = cert.serial_number
    if serial_style == "colon":
        h = format(s, "x")
        h = ("0" + h) if len(h) % 2 else h
        serial = ":".join(h[i:i + 2] for i in range(0, len(h), 2))
    else:
        serial = str(s)
    fmt = "%b %e %H:%M:%S %Y GMT"
    return {
        "clientCertPem": pem,
        "subjectDN": cert.subject.rfc4514_string(),
        "issuerDN": cert.issuer.rfc4514_string(),
        "serialNumber": serial,
        "validity": {"notBefore": cert.not_valid_before_utc.strftime(fmt), "notAfter": cert.not_valid_after_utc.strftime(fmt)},
    }


# ---- events -------------------------------------------------------------------------------

def arn(method="GET", path="orders/42"):
    return f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}/{STAGE}/{method}/{path}"


def token_event(token, method="GET", path="orders/42"):
    return {"type": "TOKEN", "authorizationToken": token, "methodArn": arn(method, path)}


def rest_event(authorization=None, cert=None, method="GET", path="/orders/42", resource="/orders/{id}", extra_headers=None):
    headers = {"Host": "payments.internal.example.com", "User-Agent": "orders-frontend/1.4", "Accept": "application/json",
               "X-Amzn-Trace-Id": "Root=1-66f2b3c0-5c7d0a1e2f3a4b5c6d7e8f90"}
    if authorization is not None:
        headers["Authorization"] = authorization
    headers.update(extra_headers or {})
    identity = {"apiKey": None, "sourceIp": "10.20.30.40", "userAgent": headers["User-Agent"], "accessKey": None,
                "accountId": None, "caller": None, "user": None, "userArn": None, "principalOrgId": None}
    if cert is not None:
        identity["clientCert"] = cert
    return {
        "type": "REQUEST", "methodArn": arn(method, path.lstrip("/")), "resource": resource, "path": path,
        "httpMethod": method, "headers": headers, "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": {}, "multiValueQueryStringParameters": {},
        "pathParameters": {"id": path.rsplit("/", 1)[-1]} if "{id}" in resource else {}, "stageVariables": {},
        "requestContext": {
            "path": f"/{STAGE}{path}", "accountId": ACCOUNT, "resourceId": "x1y2z3", "stage": STAGE,
            "domainName": "payments.internal.example.com", "domainPrefix": "payments",
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", "protocol": "HTTP/1.1",
            "requestTime": "21/Sep/2026:12:53:20 +0000", "requestTimeEpoch": REPLAY_NOW * 1000,
            "identity": identity, "resourcePath": resource, "httpMethod": method, "apiId": API_ID,
        },
    }


def http_event(authorization=None, cert=None, method="GET", path="/orders/42", route="GET /orders/{id}", route_arn=None):
    headers = {"host": "payments.internal.example.com", "user-agent": "orders-frontend/1.4", "accept": "application/json",
               "x-amzn-trace-id": "Root=1-66f2b3c0-5c7d0a1e2f3a4b5c6d7e8f90"}
    if authorization is not None:
        headers["authorization"] = authorization
    ctx = {
        "accountId": ACCOUNT, "apiId": API_ID, "domainName": "payments.internal.example.com", "domainPrefix": "payments",
        "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "10.20.30.40", "userAgent": headers["user-agent"]},
        "requestId": "Ym9vdHN0cmFwLTE=", "routeKey": route, "stage": STAGE,
        "time": "21/Sep/2026:12:53:20 +0000", "timeEpoch": REPLAY_NOW * 1000,
    }
    if cert is not None:
        ctx["authentication"] = {"clientCert": cert}
    return {
        "version": "2.0", "type": "REQUEST", "routeArn": route_arn or arn(method, path.lstrip("/")),
        "identitySource": [authorization] if authorization else [], "routeKey": route, "rawPath": path,
        "rawQueryString": "", "cookies": [], "headers": headers, "queryStringParameters": {},
        "requestContext": ctx, "pathParameters": {"id": path.rsplit("/", 1)[-1]}, "stageVariables": {},
    }


def write(suite, case, event):
    d = EVENTS / suite
    d.mkdir(exist_ok=True)
    if isinstance(event, (bytes, str)):
        (d / f"{case}.json").write_bytes(event if isinstance(event, bytes) else event.encode())
    else:
        (d / f"{case}.json").write_text(json.dumps(event, indent=2) + "\n")


def fixtures():
    rsa_key, ec_key, rogue = keys()
    root, inter, clients = pki()
    now = REPLAY_NOW
    good = sign_jwt(rsa_key, "rsa-1", claims(now))
    good_ec = sign_jwt(ec_key, "ec-1", claims(now, sub="svc-reconciler", client_id="reconciler", scope="ledger:read"))
    expired = sign_jwt(rsa_key, "rsa-1", claims(now, iat=now - 7200, nbf=now - 7200, exp=now - 3600))
    wrong_aud = sign_jwt(rsa_key, "rsa-1", claims(now, aud="someone-else"))
    forged = sign_jwt(rogue, "rsa-1", claims(now))
    active = client_cert_obj(clients["client-active"])
    thumbprint = lambda c: b64u(c.fingerprint(hashes.SHA256()))
    bound_active = sign_jwt(rsa_key, "rsa-1", claims(now, scope="payments:write", cnf={"x5t#S256": thumbprint(clients["client-active"])}))
    bound_rotated = sign_jwt(rsa_key, "rsa-1", claims(now, scope="payments:write", cnf={"x5t#S256": thumbprint(clients["client-rotated"])}))

    # REST TOKEN
    write("rest-token", "allow-jwt-rs256", token_event(f"Bearer {good}"))
    write("rest-token", "allow-jwt-es256-lowercase-scheme", token_event(f"bearer {good_ec}", method="POST", path="payments"))
    write("rest-token", "unauthorized-no-token", token_event(""))
    write("rest-token", "unauthorized-basic-scheme", token_event("Basic dXNlcjpwYXNzd29yZA=="))
    write("rest-token", "unauthorized-expired", token_event(f"Bearer {expired}"))
    write("rest-token", "unauthorized-wrong-audience", token_event(f"Bearer {wrong_aud}"))
    write("rest-token", "unauthorized-forged-signature", token_event(f"Bearer {forged}"))
    write("rest-token", "unauthorized-not-a-jwt", token_event("Bearer not-a-jwt"))
    write("rest-token", "unauthorized-malformed-arn", {"type": "TOKEN", "authorizationToken": f"Bearer {good}", "methodArn": f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}/*/GET/orders"})

    # REST REQUEST
    write("rest-request", "allow-jwt", rest_event(f"Bearer {good}"))
    write("rest-request", "unauthorized-no-credentials", rest_event())
    e = rest_event(f"Bearer {good}")
    e["multiValueHeaders"]["Authorization"] = [f"Bearer {good}", f"Bearer {good_ec}"]
    write("rest-request", "unauthorized-repeated-authorization", e)
    write("rest-request", "unauthorized-headers-too-large", rest_event(f"Bearer {good}", extra_headers={"X-Padding": "p" * 10300}))
    write("rest-request", "unauthorized-non-ascii-token", rest_event("Bearer t\u00f6ken.t\u00f6ken.t\u00f6ken"))
    write("rest-request", "unauthorized-expired-jwt", rest_event(f"Bearer {expired}"))

    # HTTP API v2 (IAM policy responses)
    write("http-v2", "allow-jwt", http_event(f"Bearer {good}"))
    write("http-v2", "allow-jwt-es256", http_event(f"Bearer {good_ec}", method="POST", path="/payments", route="POST /payments"))
    write("http-v2", "deny-route-not-granted", http_event(f"Bearer {good_ec}"))
    write("http-v2", "unauthorized-no-credentials", http_event())
    write("http-v2", "unauthorized-wrong-audience", http_event(f"Bearer {wrong_aud}"))
    # mTLS is not configured in this suite: a certificate alone is no credential.
    write("http-v2", "unauthorized-cert-mtls-off", http_event(cert=active))
    # HTTP API v2 with simple responses
    write("http-v2-simple", "allow-jwt", http_event(f"Bearer {good}"))
    write("http-v2-simple", "unauthorized-expired-jwt", http_event(f"Bearer {expired}"))
    write("http-v2-simple", "deny-route-not-granted", http_event(f"Bearer {good_ec}"))
    write("rest-request", "deny-route-not-granted", rest_event(f"Bearer {good_ec}", method="DELETE", path="/orders/42"))
    # A `$default` route: the policy decides on the request's own method and path.
    default_arn = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}/{STAGE}/$default"
    write("http-v2-simple", "allow-default-route", http_event(f"Bearer {good}", path=f"/{STAGE}/orders/42", route="$default", route_arn=default_arn))
    write("http-v2-simple", "unauthorized-default-route-dot-segments",
          http_event(f"Bearer {good}", path=f"/{STAGE}/orders/../admin", route="$default", route_arn=default_arn))
    (EVENTS / "http-v2-simple" / "suite.json").write_text(json.dumps({"env": {"AUTHZ_HTTP_API_SIMPLE_RESPONSES": "true"}}, indent=2) + "\n")

    # mTLS (client registry): REST REQUEST and HTTP API v2
    for suite, mk in [("mtls-rest", rest_event), ("mtls-http-v2", http_event)]:
        style = "colon" if suite == "mtls-rest" else "decimal"
        write(suite, "allow-active-cert", mk(cert=client_cert_obj(clients["client-active"], style)))
        write(suite, "allow-rotated-cert", mk(cert=client_cert_obj(clients["client-rotated"], style)))
        write(suite, "unauthorized-revoked-cert", mk(cert=client_cert_obj(clients["client-revoked"], style)))
        write(suite, "deny-suspended-client", mk(cert=client_cert_obj(clients["client-suspended"], style)))
        write(suite, "unauthorized-unknown-cert", mk(cert=client_cert_obj(clients["client-unknown"], style)))
        write(suite, "unauthorized-expired-cert", mk(cert=client_cert_obj(clients["client-expired"], style)))
        write(suite, "unauthorized-no-cert", mk())
        bad = dict(active)
        bad["serialNumber"] = "99:99"
        write(suite, "unauthorized-serial-mismatch", mk(cert=bad))
        trunc = dict(active)
        trunc["clientCertPem"] = active["clientCertPem"][:300]
        write(suite, "unauthorized-truncated-pem", mk(cert=trunc))
        write(suite, "allow-cert-and-jwt", mk(f"Bearer {good}", cert=client_cert_obj(clients["client-active"], style)))
        # Every credential presented must pass, and the certificate stays required with a token.
        write(suite, "unauthorized-jwt-without-cert", mk(f"Bearer {good}"))
        write(suite, "unauthorized-cert-and-expired-jwt", mk(f"Bearer {expired}", cert=client_cert_obj(clients["client-active"], style)))
        write(suite, "unauthorized-revoked-cert-and-jwt", mk(f"Bearer {good}", cert=client_cert_obj(clients["client-revoked"], style)))
        write(suite, "deny-suspended-client-and-jwt", mk(f"Bearer {good}", cert=client_cert_obj(clients["client-suspended"], style)))
        # RFC 8705: refunds need a token bound to the calling certificate.
        refunds = dict(method="POST", path="/payments/1/refunds")
        refunds.update({"resource": "/payments/{id}/refunds"} if mk is rest_event else {"route": "POST /payments/{id}/refunds"})
        write(suite, "allow-bound-token-refunds", mk(f"Bearer {bound_active}", cert=client_cert_obj(clients["client-active"], style), **refunds))
        write(suite, "unauthorized-bound-token-other-cert", mk(f"Bearer {bound_rotated}", cert=client_cert_obj(clients["client-active"], style), **refunds))
        write(suite, "deny-unbound-token-refunds", mk(f"Bearer {good}", cert=client_cert_obj(clients["client-active"], style), **refunds))
        # The registry budget at its most generous: moto on a busy machine is not what these test.
        env = {"AUTHZ_MTLS_REQUIRED": "true", "AUTHZ_REGISTRY_ATTEMPT_TIMEOUT_MS": "2000", "AUTHZ_REGISTRY_OPERATION_TIMEOUT_MS": "2000"}
        (EVENTS / suite / "suite.json").write_text(json.dumps({"registry": True, "env": env}, indent=2) + "\n")

    # Not an authorizer event at all
    write("invalid", "not-json", "this is not json {\n")
    write("invalid", "empty-object", {})
    write("invalid", "s3-notification", {"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put"}]})
    write("invalid", "token-wrong-types", {"type": "TOKEN", "authorizationToken": 42, "methodArn": ["x"]})
    write("invalid", "http-v2-missing-context", {"version": "2.0", "type": "REQUEST", "routeArn": arn()})
    write("invalid", "unknown-version", {"version": "3.0", "type": "REQUEST", "routeArn": arn()})
    (EVENTS / "invalid" / "non-utf8.json").write_bytes(b'{"type":"TOKEN","authorizationToken":"Bearer \xff\xfe","methodArn":"' + arn().encode() + b'"}')

    # Registry seed: items in the format of shared/src/mtls/registry.rs
    items = []
    for stem, status, extra in [
        ("client-active", "active", {"tenant": "acme", "scopes": ["payments:write", "orders:read"]}),
        ("client-rotated", "active", {"tenant": "acme", "scopes": ["payments:write", "orders:read"]}),
        ("client-revoked", "revoked", {"tenant": "acme", "revoked_at": now - 86400, "revoked_reason": "key_compromise"}),
        ("client-suspended", "suspended", {"tenant": "globex"}),
        ("client-expired", "active", {"tenant": "acme"}),
    ]:
        c = clients[stem]
        item = {"client_id": c.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value,
                "serial": format(c.serial_number, "x"), "status": status,
                "not_after": int(c.not_valid_after_utc.timestamp()), "created_at": now - 30 * 86400,
                "cert_sha256": c.fingerprint(hashes.SHA256()).hex()}
        item.update(extra)
        items.append(item)
    (EVENTS / "registry.json").write_text(json.dumps(items, indent=2) + "\n")


def demo(out: Path, cert_path: Path):
    """Events for `make demo`: tokens valid for the next 10 minutes, and the client
    certificate `clientctl issue` just provisioned."""
    rsa_key, _, _ = keys()
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    now = int(datetime.datetime.now(datetime.timezone.utc).timestamp())
    out.mkdir(parents=True, exist_ok=True)
    token = sign_jwt(rsa_key, "rsa-1", claims(now))
    (out / "jwt-rest-request.json").write_text(json.dumps(rest_event(f"Bearer {token}"), indent=2))
    (out / "jwt-http-v2.json").write_text(json.dumps(http_event(f"Bearer {token}"), indent=2))
    (out / "mtls-rest-request.json").write_text(json.dumps(rest_event(cert=client_cert_obj(cert, "colon"), method="POST", path="/payments", resource="/payments"), indent=2))
    (out / "mtls-http-v2-not-granted.json").write_text(json.dumps(http_event(cert=client_cert_obj(cert, "decimal"), method="DELETE", path="/orders/42", route="DELETE /orders/{id}"), indent=2))


if __name__ == "__main__":
    if len(sys.argv) > 3 and sys.argv[1] == "demo":
        demo(Path(sys.argv[2]), Path(sys.argv[3]))
    else:
        fixtures()
