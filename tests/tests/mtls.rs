//! mTLS client certificates checked against a real DynamoDB-compatible registry
//! (moto_server on 127.0.0.1, started by the harness): every certificate and registry case,
//! rotation, caching, one `GetItem` per decision, and the faults (server stopped, server
//! too slow), which must deny within the budget.

use std::sync::Arc;
use std::time::Duration;

use authorizer_tests::certs::{Ca, ClientSpec, Day, IssuedCert, day};
use authorizer_tests::moto::{MotoServer, seeded_registry, shared_server};
use authorizer_tests::slow_proxy::SlowProxy;
use shared::config::Env;
use shared::decision::{MtlsIdentity, Rejection};
use shared::mtls::dynamodb::{DynamoRegistry, LocalEndpoint};
use shared::mtls::registry::{RegistryItem, Status};
use shared::mtls::{self, MtlsConfig, MtlsVerifier};
use shared::request::ClientCert;

const NOW: Day = day(2025, 6, 1);
const SPIFFE: &str = "spiffe://example.org/client/";

fn now() -> u64 {
    NOW.unix()
}

fn config(table: &str, extra: &[(&str, &str)]) -> Result<MtlsConfig, String> {
    let vars = [("AUTHZ_REGISTRY_TABLE", table)].into_iter().chain(extra.iter().copied());
    MtlsConfig::from_env(&Env::from_pairs(vars)).map_err(|e| e.to_string())?.ok_or_else(|| "mTLS off".to_owned())
}

/// What the tests compare: the identity's registry-derived fields, or the rejection.
type Outcome = Result<(String, String, Option<String>, Vec<String>), Rejection>;

fn outcome(result: Result<MtlsIdentity, Rejection>) -> Outcome {
    result.map(|id| {
        let item = &*id.item;
        (item.client_id.clone(), item.serial.clone(), item.tenant.clone(), item.scopes.clone())
    })
}

fn allow(client_id: &str, serial: &str, tenant: Option<&str>, scopes: &[&str]) -> Outcome {
    Ok((
        client_id.to_owned(),
        serial.to_owned(),
        tenant.map(str::to_owned),
        scopes.iter().map(|s| (*s).to_owned()).collect(),
    ))
}

#[track_caller]
fn check(name: &str, got: Outcome, expected: &Outcome) {
    assert_eq!(&got, expected, "case {name}");
}

/// An active item for `cert`, pinned to it as `clientctl` pins what it registers.
fn active(client_id: &str, cert: &IssuedCert) -> RegistryItem {
    RegistryItem {
        cert_sha256: pin_of(&cert.pem),
        ..RegistryItem::active(client_id, &cert.serial_hex, day(2039, 1, 1).unix(), day(2024, 1, 1).unix())
    }
}

/// Lower-case hex SHA-256 of the DER in a one-block PEM.
fn pin_of(pem: &str) -> Option<String> {
    use base64::Engine as _;
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD.decode(body.trim()).ok()?;
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &der);
    Some(digest.as_ref().iter().map(|b| format!("{b:02x}")).collect())
}

/// The CAs and certificates of the main table.
struct World {
    root: Ca,
    issuing: Ca,
    other: Ca,
}

impl World {
    fn new() -> Result<World, rcgen::Error> {
        let root = Ca::root("Authz Test Root")?;
        let issuing = root.intermediate("Authz Issuing CA")?;
        let other = Ca::root("Other Issuing CA")?;
        Ok(World { root, issuing, other })
    }

    /// `C=us,O=authz tests,CN=...`, the normalised DN of a test CA.
    fn normalised(ca: &Ca) -> Result<String, String> {
        mtls::dn::normalise_str(&ca.dn())
    }
}

fn with_serial(cert: &IssuedCert, serial_number: &str) -> ClientCert<'static> {
    ClientCert { serial_number: serial_number.to_owned().into(), ..cert.client_cert() }
}

fn with_pem(cert: &IssuedCert, pem: String) -> ClientCert<'static> {
    ClientCert { pem: pem.into(), ..cert.client_cert() }
}

#[tokio::test]
async fn every_certificate_and_registry_case() {
    let w = World::new().unwrap();
    let billing = w.issuing.issue(&ClientSpec::cn("billing", &[0x10, 0x01])).unwrap();
    let legacy = w.issuing.issue(&ClientSpec::cn("legacy", &[0x20, 0x01])).unwrap();
    let paused = w.issuing.issue(&ClientSpec::cn("paused", &[0x30, 0x01])).unwrap();
    let billing_unknown_serial = w.issuing.issue(&ClientSpec::cn("billing", &[0x19, 0x99])).unwrap();
    let ghost = w.issuing.issue(&ClientSpec::cn("ghost", &[0x40, 0x01])).unwrap();
    let lapsed = w.issuing.issue(&ClientSpec::cn("lapsed", &[0x50, 0x01])).unwrap();
    let expired_cert =
        w.issuing.issue(&ClientSpec::cn("billing", &[0x10, 0x02]).valid(day(2020, 1, 1), day(2021, 1, 1))).unwrap();
    let future_cert =
        w.issuing.issue(&ClientSpec::cn("billing", &[0x10, 0x03]).valid(day(2030, 1, 1), day(2040, 1, 1))).unwrap();
    let from_root = w.root.issue(&ClientSpec::cn("billing", &[0x10, 0x04])).unwrap();
    let from_other = w.other.issue(&ClientSpec::cn("stranger", &[0x60, 0x01])).unwrap();
    let uri_only = w.issuing.issue(&ClientSpec::uri(&format!("{SPIFFE}orders"), &[0x70, 0x01])).unwrap();
    let high_bit =
        w.issuing.issue(&ClientSpec::cn("wide", &[0x00, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01])).unwrap();
    // Another CA with the issuing CA's very name (as a second CA in API Gateway's truststore
    // could have), issuing certificates with registered clients' CNs and serials.
    let namesake = Ca::root("Authz Issuing CA").unwrap();
    // The SHA-256 pin as the library computes it, checked against the test's own.
    let pin = |cert: &IssuedCert| {
        let facts = mtls::cert::cert_facts(&cert.pem, &mtls::ClientIdRule::SubjectCn).expect("a CN certificate");
        assert_eq!(Some(&facts.pin), pin_of(&cert.pem).as_ref());
        facts.pin
    };
    let pinned = w.issuing.issue(&ClientSpec::cn("payroll", &[0x19, 0x98])).unwrap();
    let pinned_impostor = namesake.issue(&ClientSpec::cn("payroll", &[0x19, 0x98])).unwrap();
    let unpinned = w.issuing.issue(&ClientSpec::cn("ledger", &[0x19, 0x97])).unwrap();
    let unpinned_impostor = namesake.issue(&ClientSpec::cn("ledger", &[0x19, 0x97])).unwrap();
    // basicConstraints (2.5.29.19) as x509-parser's `is_ca` would read as "not a CA": twice, or
    // not a SEQUENCE; and CA:TRUE on a client-shaped certificate. Each client is registered,
    // so only the certificate check stands between them and an allow.
    const BASIC_CONSTRAINTS: &[u64] = &[2, 5, 29, 19];
    let odd_ca = |cn: &str, serial: &[u8], extensions: &[&[u8]]| {
        let spec =
            extensions.iter().fold(ClientSpec::cn(cn, serial), |s, der| s.with_extension(BASIC_CONSTRAINTS, der));
        w.issuing.issue(&spec).unwrap()
    };
    let twice = odd_ca("twice", &[0x18, 0x01], &[&[0x30, 0x00], &[0x30, 0x03, 0x01, 0x01, 0xff]]);
    let garbled = odd_ca("garbled", &[0x18, 0x02], &[&[0x04, 0x00]]);
    let leaf_ca = odd_ca("leafca", &[0x18, 0x03], &[&[0x30, 0x03, 0x01, 0x01, 0xff]]);

    let issuing_dn = World::normalised(&w.issuing).unwrap();
    let items = vec![
        RegistryItem {
            tenant: Some("t-billing".to_owned()),
            scopes: vec!["orders:read".to_owned(), "orders:write".to_owned()],
            issuer: Some(issuing_dn.clone()),
            ..active("billing", &billing)
        },
        RegistryItem { status: Status::Revoked, revoked_at: Some(now() - 10), ..active("legacy", &legacy) },
        RegistryItem { status: Status::Suspended, ..active("paused", &paused) },
        RegistryItem { not_after: now() - 1, ..active("lapsed", &lapsed) },
        active("billing", &expired_cert),
        active("billing", &future_cert),
        RegistryItem { issuer: Some(issuing_dn.clone()), ..active("billing", &from_root) },
        active("stranger", &from_other),
        active("orders", &uri_only),
        active("wide", &high_bit),
        RegistryItem {
            issuer: Some(issuing_dn.clone()),
            cert_sha256: Some(pin(&pinned)),
            ..active("payroll", &pinned)
        },
        RegistryItem { issuer: Some(issuing_dn.clone()), cert_sha256: None, ..active("ledger", &unpinned) },
        active("twice", &twice),
        active("garbled", &garbled),
        active("leafca", &leaf_ca),
    ];
    let trusted = serde_json::json!([w.issuing.dn(), w.root.dn()]).to_string();
    let cfg = config("clients-main", &[("AUTHZ_MTLS_TRUSTED_ISSUERS", trusted.as_str())]).unwrap();
    let endpoint = shared_server().unwrap().endpoint();
    seeded_registry(&endpoint, &cfg, &items).await.expect("seed the registry");
    let verifier = MtlsVerifier::new(cfg.clone(), Arc::new(DynamoRegistry::with_endpoint(&cfg, &endpoint)));

    let pem = &billing.pem;
    let body: Vec<&str> = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let unauthenticated = |r| Err(Rejection::unauthenticated(r));
    let billing_ok = allow("billing", "1001", Some("t-billing"), &["orders:read", "orders:write"]);
    let cases: Vec<(&str, ClientCert, Outcome)> = vec![
        ("active", billing.client_cert(), billing_ok.clone()),
        ("event serial in decimal", with_serial(&billing, "4097"), billing_ok.clone()),
        ("event serial in hex", with_serial(&billing, "1001"), billing_ok.clone()),
        ("event serial with leading zero pair", with_serial(&billing, "00:10:01"), billing_ok.clone()),
        ("high-bit serial", high_bit.client_cert(), allow("wide", "ff00000000000001", None, &[])),
        ("revoked", legacy.client_cert(), unauthenticated(mtls::REGISTRY_REVOKED)),
        ("suspended", paused.client_cert(), Err(Rejection::forbidden(mtls::REGISTRY_SUSPENDED))),
        ("unknown serial", billing_unknown_serial.client_cert(), unauthenticated(mtls::REGISTRY_NOT_FOUND)),
        ("unknown client", ghost.client_cert(), unauthenticated(mtls::REGISTRY_NOT_FOUND)),
        ("expired item", lapsed.client_cert(), unauthenticated(mtls::REGISTRY_EXPIRED)),
        ("expired certificate", expired_cert.client_cert(), unauthenticated(mtls::MTLS_CERT_EXPIRED)),
        ("not yet valid certificate", future_cert.client_cert(), unauthenticated(mtls::MTLS_CERT_NOT_YET_VALID)),
        ("issuer not trusted", from_other.client_cert(), unauthenticated(mtls::MTLS_ISSUER_UNTRUSTED)),
        ("issuer differs from the item's", from_root.client_cert(), unauthenticated(mtls::MTLS_ISSUER_MISMATCH)),
        ("pinned certificate", pinned.client_cert(), allow("payroll", "1998", None, &[])),
        (
            "same names and serial from a namesake CA, item pinned",
            pinned_impostor.client_cert(),
            unauthenticated(mtls::MTLS_CERT_NOT_REGISTERED),
        ),
        (
            "unpinned item, pins required (the default)",
            unpinned.client_cert(),
            unauthenticated(mtls::MTLS_CERT_NOT_PINNED),
        ),
        ("basicConstraints twice", twice.client_cert(), unauthenticated(mtls::MTLS_CERT_MALFORMED)),
        ("basicConstraints not a SEQUENCE", garbled.client_cert(), unauthenticated(mtls::MTLS_CERT_MALFORMED)),
        ("CA:TRUE on a client certificate", leaf_ca.client_cert(), unauthenticated(mtls::MTLS_CERT_IS_CA)),
        (
            "a namesake CA's certificate, item not pinned",
            unpinned_impostor.client_cert(),
            unauthenticated(mtls::MTLS_CERT_NOT_PINNED),
        ),
        ("event serial differs", with_serial(&billing, "10:02"), unauthenticated(mtls::MTLS_SERIAL_MISMATCH)),
        ("event serial missing", with_serial(&billing, ""), unauthenticated(mtls::MTLS_SERIAL_MISMATCH)),
        ("no CN for the subject_cn rule", uri_only.client_cert(), unauthenticated(mtls::MTLS_CLIENT_ID_UNMATCHED)),
        ("CA certificate", with_pem(&billing, w.issuing.pem.clone()), unauthenticated(mtls::MTLS_CERT_IS_CA)),
        ("empty PEM", with_pem(&billing, String::new()), unauthenticated(mtls::MTLS_PEM_MALFORMED)),
        (
            "truncated PEM",
            with_pem(&billing, pem[..pem.len() / 2].to_owned()),
            unauthenticated(mtls::MTLS_PEM_MALFORMED),
        ),
        (
            "truncated DER",
            with_pem(
                &billing,
                format!(
                    "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
                    body[..body.len() - 1].join("\n")
                ),
            ),
            unauthenticated(mtls::MTLS_CERT_MALFORMED),
        ),
        ("two blocks", with_pem(&billing, format!("{pem}{}", legacy.pem)), unauthenticated(mtls::MTLS_PEM_MALFORMED)),
        (
            "PRIVATE KEY label",
            with_pem(&billing, pem.replace("CERTIFICATE", "PRIVATE KEY")),
            unauthenticated(mtls::MTLS_PEM_MALFORMED),
        ),
        ("literal \\n", with_pem(&billing, pem.replace('\n', "\\n")), unauthenticated(mtls::MTLS_PEM_MALFORMED)),
        ("trailing data", with_pem(&billing, format!("{pem}extra")), unauthenticated(mtls::MTLS_PEM_MALFORMED)),
        (
            "oversized PEM",
            with_pem(&billing, format!("{pem}{}", " ".repeat(16 * 1024))),
            unauthenticated(mtls::MTLS_PEM_TOO_LARGE),
        ),
    ];
    for (name, cert, expected) in &cases {
        check(name, outcome(verifier.verify(cert, now()).await), expected);
    }
    // What the pin is for: with AUTHZ_MTLS_REQUIRE_CERT_PIN=false an unpinned item is matched
    // by names, serial and issuer DN only, which a namesake CA's certificate also has.
    let lenient_cfg = config(
        "clients-main",
        &[("AUTHZ_MTLS_TRUSTED_ISSUERS", trusted.as_str()), ("AUTHZ_MTLS_REQUIRE_CERT_PIN", "false")],
    )
    .unwrap();
    let lenient =
        MtlsVerifier::new(lenient_cfg.clone(), Arc::new(DynamoRegistry::with_endpoint(&lenient_cfg, &endpoint)));
    let ledger = allow("ledger", "1997", None, &[]);
    for (name, cert, expected) in [
        ("unpinned item, pins not required", unpinned.client_cert(), ledger.clone()),
        ("a namesake CA's certificate, item not pinned, pins not required", unpinned_impostor.client_cert(), ledger),
        (
            "a namesake CA's certificate, item pinned, pins not required",
            pinned_impostor.client_cert(),
            unauthenticated(mtls::MTLS_CERT_NOT_REGISTERED),
        ),
    ] {
        check(name, outcome(lenient.verify(&cert, now()).await), &expected);
    }

    // The uri_san rule against the same table: the id comes from the SAN, not the CN.
    let uri_cfg = config("clients-main", &[("AUTHZ_MTLS_CLIENT_ID_FROM", &format!("uri_san:{SPIFFE}"))]).unwrap();
    let uri_verifier = MtlsVerifier::new(uri_cfg.clone(), Arc::new(DynamoRegistry::with_endpoint(&uri_cfg, &endpoint)));
    let outside = w
        .issuing
        .issue(&ClientSpec::cn("orders", &[0x70, 0x02]).with_uri("spiffe://example.org/service/orders"))
        .unwrap();
    let two_ids = w
        .issuing
        .issue(&ClientSpec::uri(&format!("{SPIFFE}orders"), &[0x70, 0x03]).with_uri(&format!("{SPIFFE}billing")))
        .unwrap();
    let nested = w.issuing.issue(&ClientSpec::uri(&format!("{SPIFFE}orders/extra"), &[0x70, 0x04])).unwrap();
    let segment =
        |id: &str, serial: &[u8]| w.issuing.issue(&ClientSpec::uri(&format!("{SPIFFE}{id}"), serial)).unwrap();
    let (dot, dotdot, escaped) =
        (segment(".", &[0x70, 0x05]), segment("..", &[0x70, 0x06]), segment("a%2Fb", &[0x70, 0x07]));
    let uri_cases: Vec<(&str, ClientCert, Outcome)> = vec![
        ("uri san", uri_only.client_cert(), allow("orders", "7001", None, &[])),
        ("uri san under another prefix", outside.client_cert(), unauthenticated(mtls::MTLS_CLIENT_ID_UNMATCHED)),
        ("two uri sans with different ids", two_ids.client_cert(), unauthenticated(mtls::MTLS_CLIENT_ID_UNMATCHED)),
        ("uri san id with a slash", nested.client_cert(), unauthenticated(mtls::MTLS_CLIENT_ID_UNMATCHED)),
        ("uri san id `.`", dot.client_cert(), unauthenticated(mtls::MTLS_CLIENT_ID_UNMATCHED)),
        ("uri san id `..`", dotdot.client_cert(), unauthenticated(mtls::MTLS_CLIENT_ID_UNMATCHED)),
        ("uri san id with a percent-escape", escaped.client_cert(), unauthenticated(mtls::MTLS_CLIENT_ID_UNMATCHED)),
        ("CN only for the uri_san rule", billing.client_cert(), unauthenticated(mtls::MTLS_CLIENT_ID_UNMATCHED)),
    ];
    for (name, cert, expected) in &uri_cases {
        check(name, outcome(uri_verifier.verify(cert, now()).await), expected);
    }
}

#[tokio::test]
async fn rotation_keeps_both_certificates_until_one_is_revoked() {
    let ca = Ca::root("Rotation CA").unwrap();
    let old = ca.issue(&ClientSpec::cn("rotating", &[0x71, 0x01])).unwrap();
    let new = ca.issue(&ClientSpec::cn("rotating", &[0x71, 0x02])).unwrap();
    let cfg = config("clients-rotation", &[("AUTHZ_REGISTRY_CACHE_TTL_SECS", "0")]).unwrap();
    let endpoint = shared_server().unwrap().endpoint();
    let admin = seeded_registry(&endpoint, &cfg, &[active("rotating", &old), active("rotating", &new)]).await.unwrap();
    let verifier = MtlsVerifier::new(cfg.clone(), Arc::new(DynamoRegistry::with_endpoint(&cfg, &endpoint)));

    let steps: [(&str, &IssuedCert, Outcome); 2] = [
        ("old during rotation", &old, allow("rotating", "7101", None, &[])),
        ("new during rotation", &new, allow("rotating", "7102", None, &[])),
    ];
    for (name, cert, expected) in &steps {
        check(name, outcome(verifier.verify(&cert.client_cert(), now()).await), expected);
    }
    let revoked = RegistryItem {
        status: Status::Revoked,
        revoked_at: Some(now()),
        revoked_reason: Some("rotated".to_owned()),
        ..active("rotating", &old)
    };
    admin.put(&revoked).await.unwrap();
    let steps: [(&str, &IssuedCert, Outcome); 2] = [
        ("old after revocation", &old, Err(Rejection::unauthenticated(mtls::REGISTRY_REVOKED))),
        ("new after revocation", &new, allow("rotating", "7102", None, &[])),
    ];
    for (name, cert, expected) in &steps {
        check(name, outcome(verifier.verify(&cert.client_cert(), now()).await), expected);
    }
}

#[tokio::test]
async fn one_get_item_per_decision_and_cache_ttls_are_honoured() {
    let ca = Ca::root("Cache CA").unwrap();
    let known = ca.issue(&ClientSpec::cn("cached", &[0x72, 0x01])).unwrap();
    let late = ca.issue(&ClientSpec::cn("late", &[0x72, 0x02])).unwrap();
    let cfg = config(
        "clients-cache",
        &[("AUTHZ_REGISTRY_CACHE_TTL_SECS", "60"), ("AUTHZ_REGISTRY_NEGATIVE_CACHE_TTL_SECS", "10")],
    )
    .unwrap();
    let endpoint = shared_server().unwrap().endpoint();
    let admin = seeded_registry(&endpoint, &cfg, &[active("cached", &known)]).await.unwrap();
    let registry = Arc::new(DynamoRegistry::with_endpoint(&cfg, &endpoint));
    let verifier = MtlsVerifier::new(cfg.clone(), registry.clone());
    let t0 = now();
    let known_ok = allow("cached", "7201", None, &[]);
    let revoked = Err(Rejection::unauthenticated(mtls::REGISTRY_REVOKED));
    let not_found = Err(Rejection::unauthenticated(mtls::REGISTRY_NOT_FOUND));
    let late_ok = allow("late", "7202", None, &[]);

    enum Step {
        Verify(&'static str, u64, bool, Outcome, u64),
        Revoke,
        Register,
    }
    use Step::*;
    let steps = [
        Verify("first decision reads the item", t0, true, known_ok.clone(), 1),
        Verify("warm decision reads nothing", t0 + 1, true, known_ok.clone(), 1),
        Revoke,
        Verify("revocation waits for the positive TTL", t0 + 59, true, known_ok.clone(), 1),
        Verify("expired entry is read again", t0 + 60, true, revoked.clone(), 2),
        Verify("revoked answer is cached", t0 + 61, true, revoked, 2),
        Verify("unknown client is read", t0, false, not_found.clone(), 3),
        Register,
        Verify("negative answer is cached", t0 + 9, false, not_found, 3),
        Verify("negative TTL is shorter", t0 + 10, false, late_ok.clone(), 4),
        Verify("found after registration is cached", t0 + 11, false, late_ok, 4),
    ];
    for step in steps {
        match step {
            Verify(name, at, first, expected, calls) => {
                let cert = if first { &known } else { &late };
                check(name, outcome(verifier.verify(&cert.client_cert(), at).await), &expected);
                assert_eq!(registry.get_item_calls(), calls, "GetItem calls after {name}");
            }
            Revoke => admin.put(&RegistryItem { status: Status::Revoked, ..active("cached", &known) }).await.unwrap(),
            Register => admin.put(&active("late", &late)).await.unwrap(),
        }
    }
}

/// A fast-failing budget: 200 ms per attempt, 600 ms per lookup, 2 attempts, no cache.
fn tight(table: &str) -> Result<MtlsConfig, String> {
    config(
        table,
        &[
            ("AUTHZ_REGISTRY_CACHE_TTL_SECS", "0"),
            ("AUTHZ_REGISTRY_ATTEMPT_TIMEOUT_MS", "200"),
            ("AUTHZ_REGISTRY_OPERATION_TIMEOUT_MS", "600"),
            ("AUTHZ_REGISTRY_MAX_ATTEMPTS", "2"),
        ],
    )
}

#[tokio::test]
async fn server_stopped_mid_run_denies_within_budget() {
    let ca = Ca::root("Stop CA").unwrap();
    let cert = ca.issue(&ClientSpec::cn("stopping", &[0x73, 0x01])).unwrap();
    let cfg = tight("clients-stop").unwrap();
    let mut server = MotoServer::start().expect("start a private moto_server");
    seeded_registry(&server.endpoint(), &cfg, &[active("stopping", &cert)]).await.unwrap();
    let verifier = MtlsVerifier::new(cfg.clone(), Arc::new(DynamoRegistry::with_endpoint(&cfg, &server.endpoint())));
    // While the server is up, a generous budget: moto's first calls can be slow on a busy
    // machine, and that is not what this test is about.
    let generous = config("clients-stop", &[("AUTHZ_REGISTRY_CACHE_TTL_SECS", "0")]).unwrap();
    let up =
        MtlsVerifier::new(generous.clone(), Arc::new(DynamoRegistry::with_endpoint(&generous, &server.endpoint())));
    check("server up", outcome(up.verify(&cert.client_cert(), now()).await), &allow("stopping", "7301", None, &[]));
    server.stop();
    let got = outcome(verifier.verify(&cert.client_cert(), now()).await);
    check("server stopped", got, &Err(Rejection::fault(mtls::REGISTRY_UNAVAILABLE)));
}

#[tokio::test]
async fn slow_server_denies_within_budget() {
    let ca = Ca::root("Slow CA").unwrap();
    let cert = ca.issue(&ClientSpec::cn("slowpoke", &[0x74, 0x01])).unwrap();
    let cfg = tight("clients-slow").unwrap();
    let server = shared_server().unwrap();
    seeded_registry(&server.endpoint(), &cfg, &[active("slowpoke", &cert)]).await.unwrap();
    let proxy = SlowProxy::start(server.addr, Duration::from_secs(30)).expect("start the slow proxy");
    let slow = LocalEndpoint::dummy(&proxy.endpoint_url());
    let verifier = MtlsVerifier::new(cfg.clone(), Arc::new(DynamoRegistry::with_endpoint(&cfg, &slow)));

    // The proxy holds every answer for 30 s: `registry_timeout` can only come from the
    // configured operation timeout (600 ms) firing first, so the deny came within the budget.
    // (No wall-clock assertion: tests never time things.)
    let got = outcome(verifier.verify(&cert.client_cert(), now()).await);
    check("slow server", got, &Err(Rejection::fault(mtls::REGISTRY_TIMEOUT)));
}
