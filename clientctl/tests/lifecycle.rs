//! The client lifecycle end to end: the real `clientctl` binary writes the registry (moto's
//! DynamoDB on 127.0.0.1) and the real authorizer pipeline decides REST REQUEST events
//! carrying the certificates it issued: issue → allow, suspend → deny, revoke → 401,
//! rotate → both allowed during the overlap and only the new one after, import of a
//! certificate with the wrong client_id refused.

mod support;

use std::collections::BTreeSet;

use authorizer_tests::certs::{Ca, ClientSpec, day};
use serde_json::Value;
use shared::mtls::cert::{ClientIdRule, cert_facts};
use support::{Ctl, Gate, SPIFFE, allow, check, deny, issued, now, unauthorized};

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or_default()
}

#[tokio::test]
async fn issue_suspend_resume_revoke_through_the_authorizer() {
    let ctl = Ctl::ready("lifecycle");
    let out =
        ctl.ok(&["issue", "--client-id", "billing", "--tenant", "acme", "--scope", "orders:read", "--scope", "pay"]);
    let (pem, serial) = issued(&out);
    let item = &out["item"];
    check(
        "the registered item",
        (text(&item["status"]), text(&item["issuer"]), text(&item["tenant"]), item["scopes"].clone()),
        ("active", ctl.issuer().as_str(), "acme", serde_json::json!(["orders:read", "pay"])),
    );
    let gate = Gate::new(&ctl, "subject_cn", Some(&ctl.issuer())).await;
    let grants = Some((Some("acme".to_owned()), vec!["orders:read".to_owned(), "pay".to_owned()]));
    check("tenant and scopes reach the context", gate.grants(&pem, now()).await, grants);

    let key = ["--client-id", "billing", "--serial", serial.as_str()];
    let with = |command: &'static str, extra: &[&'static str]| {
        [&[command][..], &key[..], extra].concat().into_iter().map(str::to_owned).collect::<Vec<String>>()
    };
    let revoke = with("revoke", &["--reason", "key compromise"]);
    let steps = [
        ("issued", vec![], (0, ""), allow("billing", &serial)),
        ("suspend", with("suspend", &[]), (0, ""), deny("registry_suspended")),
        ("suspend again", with("suspend", &[]), (3, "conflict"), deny("registry_suspended")),
        ("resume", with("resume", &[]), (0, ""), allow("billing", &serial)),
        ("resume again", with("resume", &[]), (3, "conflict"), allow("billing", &serial)),
        ("revoke", revoke.clone(), (0, ""), unauthorized("registry_revoked")),
        ("revoke again", revoke, (3, "conflict"), unauthorized("registry_revoked")),
        ("resume a revoked one", with("resume", &[]), (3, "conflict"), unauthorized("registry_revoked")),
        ("suspend a revoked one", with("suspend", &[]), (3, "conflict"), unauthorized("registry_revoked")),
    ];
    for (step, args, exit, decision) in steps {
        if !args.is_empty() {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let run = ctl.run(&args);
            check(step, (run.code, run.error_kind().as_str()), exit);
        }
        check(step, gate.decide(&pem, now()).await, decision);
    }
    let shown = ctl.ok(&["show", "--client-id", "billing", "--serial", &serial.to_uppercase()]);
    let item = &shown["items"][0];
    check(
        "the revoked item",
        (text(&item["status"]), text(&item["revoked_reason"]), item["revoked_at"].as_u64().is_some()),
        ("revoked", "key compromise", true),
    );
}

#[tokio::test]
async fn rotation_keeps_both_certificates_for_the_overlap_only() {
    let ctl = Ctl::ready("rotation");
    let (old_pem, old) = issued(&ctl.ok(&["issue", "--client-id", "orders", "--tenant", "acme", "--scope", "read"]));
    let rotated = ctl.ok(&["rotate", "--client-id", "orders", "--overlap", "1h"]);
    let (new_pem, new) = issued(&rotated);
    let cutoff = rotated["cutoff"].as_u64().expect("cutoff");
    let t = now();
    check("cut-off within the hour", cutoff > t && cutoff <= t + 3600, true);
    let replaced = &rotated["replaced"][0];
    check(
        "the replaced certificate and the new one's grants",
        (text(&replaced["serial"]), text(&replaced["effective_status"]), text(&rotated["item"]["tenant"])),
        (old.as_str(), "rotating", "acme"),
    );
    let gate = Gate::new(&ctl, "subject_cn", Some(&ctl.issuer())).await;
    let cases = [
        ("old during the overlap", &old_pem, t, allow("orders", &old)),
        ("new during the overlap", &new_pem, t, allow("orders", &new)),
        ("old at the cut-off", &old_pem, cutoff, allow("orders", &old)),
        ("old after the cut-off", &old_pem, cutoff + 1, unauthorized("registry_expired")),
        ("new after the cut-off", &new_pem, cutoff + 1, allow("orders", &new)),
    ];
    for (name, pem, at, expected) in cases {
        check(name, gate.decide(pem, at).await, expected);
    }
    let listed = ctl.ok(&["list", "--client-id", "orders", "--status", "active"]);
    let states: BTreeSet<(String, String)> = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| (text(&i["serial"]).to_owned(), text(&i["effective_status"]).to_owned()))
        .collect();
    check("list", states, BTreeSet::from([(old.clone(), "rotating".to_owned()), (new.clone(), "active".to_owned())]));

    // No overlap: every active certificate, the one still in its overlap too, is revoked now.
    let (newest_pem, newest) = issued(&ctl.ok(&["rotate", "--client-id", "orders", "--overlap", "0"]));
    let t = now();
    let cases = [
        ("first certificate", &old_pem, unauthorized("registry_revoked")),
        ("second certificate", &new_pem, unauthorized("registry_revoked")),
        ("third certificate", &newest_pem, allow("orders", &newest)),
    ];
    for (name, pem, expected) in cases {
        check(name, gate.decide(pem, t).await, expected);
    }
    // A suspended certificate is revoked by a rotation, so resuming it cannot bring it back.
    let (_, fourth) = issued(&ctl.ok(&["rotate", "--client-id", "orders", "--overlap", "1h"]));
    let newest_key = ["--client-id", "orders", "--serial", newest.as_str()];
    ctl.ok(&[&["suspend"][..], &newest_key[..]].concat());
    let rotated = ctl.ok(&["rotate", "--client-id", "orders", "--overlap", "1h"]);
    let (fifth_pem, fifth) = issued(&rotated);
    let replaced: BTreeSet<(String, String)> = rotated["replaced"]
        .as_array()
        .expect("replaced")
        .iter()
        .map(|i| (text(&i["serial"]).to_owned(), text(&i["effective_status"]).to_owned()))
        .collect();
    check(
        "a rotation replaces the suspended one too",
        replaced,
        BTreeSet::from([(newest.clone(), "revoked".to_owned()), (fourth.clone(), "rotating".to_owned())]),
    );
    let resumed = ctl.run(&[&["resume"][..], &newest_key[..]].concat());
    check(
        "resume a certificate rotated while suspended",
        (resumed.code, resumed.error_kind().as_str()),
        (3, "conflict"),
    );
    let t = now();
    check("the suspended one, after the rotation", gate.decide(&newest_pem, t).await, unauthorized("registry_revoked"));
    check("the fifth certificate", gate.decide(&fifth_pem, t).await, allow("orders", &fifth));
    let unknown = ctl.run(&["rotate", "--client-id", "nobody"]);
    check("rotate a client without certificates", (unknown.code, unknown.error_kind().as_str()), (2, "not_found"));
}

#[tokio::test]
async fn the_uri_san_rule_places_the_client_id_where_the_authorizer_reads_it() {
    let ctl = Ctl::ready("spiffe").with_rule(SPIFFE);
    let (pem, serial) = issued(&ctl.ok(&["issue", "--client-id", "ledger"]));
    let facts = cert_facts(&pem, &ClientIdRule::parse(SPIFFE).expect("a rule")).expect("the uri_san rule reads it");
    check("the URI SAN", facts.uri_sans, vec!["spiffe://example.org/client/ledger".to_owned()]);
    let cases = [
        (SPIFFE, allow("ledger", &serial)),
        ("subject_cn", allow("ledger", &serial)),
        ("uri_san:spiffe://example.org/service/", unauthorized("mtls_client_id_unmatched")),
    ];
    for (rule, expected) in cases {
        check(rule, Gate::new(&ctl, rule, None).await.decide(&pem, now()).await, expected);
    }
}

#[tokio::test]
async fn import_registers_only_certificates_whose_client_id_follows_the_rule() {
    let ctl = Ctl::ready("import");
    let root = Ca::root("Partner Root").expect("a root");
    let issuing = root.intermediate("Partner Issuing CA").expect("an intermediate");
    let partner = issuing.issue(&ClientSpec::cn("partner", &[0x0a, 0x01])).expect("a certificate");
    let expired = issuing
        .issue(&ClientSpec::cn("partner", &[0x0a, 0x02]).valid(day(2020, 1, 1), day(2021, 1, 1)))
        .expect("a certificate");
    let uri_only =
        issuing.issue(&ClientSpec::uri("spiffe://example.org/client/partner", &[0x0a, 0x03])).expect("a certificate");
    let file = |name: &str, contents: &str| ctl.file(name, contents);
    let (good, old, no_cn) =
        (file("partner.pem", &partner.pem), file("old.pem", &expired.pem), file("uri.pem", &uri_only.pem));
    let (ca, junk, missing) =
        (file("ca.pem", &issuing.pem), file("junk.pem", "not a certificate"), ctl.path("none.pem"));
    let missing = missing.display().to_string();
    let cases = [
        ("wrong client_id", "someone-else", &good, (1, "usage")),
        ("no CN for the subject_cn rule", "partner", &no_cn, (1, "usage")),
        ("expired", "partner", &old, (1, "usage")),
        ("a CA certificate", "partner", &ca, (1, "usage")),
        ("not a certificate", "partner", &junk, (5, "local")),
        ("no such file", "partner", &missing, (5, "local")),
        ("the right client_id", "partner", &good, (0, "")),
        ("the same certificate again", "partner", &good, (3, "conflict")),
    ];
    for (name, client_id, path, expected) in cases {
        let run = ctl.run(&["import", "--client-id", client_id, "--cert", path]);
        check(name, (run.code, run.error_kind().as_str()), expected);
    }
    let refused = ctl.run(&["show", "--client-id", "someone-else"]);
    check(
        "nothing registered for the wrong client_id",
        (refused.code, refused.error_kind().as_str()),
        (2, "not_found"),
    );
    let shown = ctl.ok(&["show", "--client-id", "partner"]);
    check("the stored issuer", text(&shown["items"][0]["issuer"]), "C=us,O=authz tests,CN=partner issuing ca");
    let gate = Gate::new(&ctl, "subject_cn", None).await;
    check("the imported certificate", gate.decide(&partner.pem, now()).await, allow("partner", "a01"));

    // Under the uri_san rule the SAN holds the client_id, so the CN-less certificate imports.
    let spiffe = ctl.with_rule(SPIFFE);
    let run = spiffe.run(&["import", "--client-id", "partner", "--cert", &no_cn]);
    check("uri_san import", run.code, 0);
    check(
        "uri_san decision",
        Gate::new(&ctl, SPIFFE, None).await.decide(&uri_only.pem, now()).await,
        allow("partner", "a03"),
    );
}

#[tokio::test]
async fn pin_makes_an_unpinned_item_allow_and_only_for_its_certificate() {
    let ctl = Ctl::ready("pin");
    let issuing = Ca::root("Legacy Issuing CA").expect("a root");
    let namesake = Ca::root("Legacy Issuing CA").expect("another root of the same name");
    let legacy = issuing.issue(&ClientSpec::cn("legacy", &[0x0b, 0x01])).expect("a certificate");
    let impostor = namesake.issue(&ClientSpec::cn("legacy", &[0x0b, 0x01])).expect("a certificate");
    let stranger = issuing.issue(&ClientSpec::cn("stranger", &[0x0b, 0x02])).expect("a certificate");
    let file = |name: &str, contents: &str| ctl.file(name, contents);
    let (good, fake, unknown) =
        (file("legacy.pem", &legacy.pem), file("fake.pem", &impostor.pem), file("stranger.pem", &stranger.pem));
    // An item as one written before pins existed: names, serial and issuer only.
    let facts = cert_facts(&legacy.pem, &ClientIdRule::SubjectCn).expect("facts");
    let item = shared::mtls::RegistryItem {
        issuer: Some(facts.issuer.clone()),
        ..shared::mtls::RegistryItem::active("legacy", "b01", now() + 86_400, now())
    };
    ctl.registry().await.register(&item).await.expect("register the unpinned item");
    let gate = Gate::new(&ctl, "subject_cn", None).await;
    check("unpinned item", gate.decide(&legacy.pem, now()).await, unauthorized("mtls_cert_not_pinned"));

    let cases = [
        ("a certificate with no item", &unknown, (2, "not_found")),
        ("the registered certificate", &good, (0, "")),
        ("the same again", &good, (0, "")),
        ("a namesake CA's certificate of the same names and serial", &fake, (3, "conflict")),
    ];
    for (name, path, expected) in cases {
        let run = ctl.run(&["pin", "--cert", path]);
        check(name, (run.code, run.error_kind().as_str()), expected);
    }
    let shown = ctl.ok(&["show", "--client-id", "legacy"]);
    check("the stored pin", text(&shown["items"][0]["cert_sha256"]), facts.pin.as_str());
    check("pinned item", gate.decide(&legacy.pem, now()).await, allow("legacy", "b01"));
    check(
        "the namesake's certificate",
        gate.decide(&impostor.pem, now()).await,
        unauthorized("mtls_cert_not_registered"),
    );
}
