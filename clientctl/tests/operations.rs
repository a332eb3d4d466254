//! clientctl's CA and files (modes, constraints, a chain a TLS verifier accepts for client
//! auth), its exit codes for every class of error, and conditional writes: a change based
//! on a stale read, or a rotation racing another change, writes nothing.

mod support;

use std::os::unix::fs::PermissionsExt as _;
use std::time::Duration;

use clientctl::error::CtlError;
use rustls_pki_types::{CertificateDer, UnixTime};
use shared::mtls::registry::{RegistryItem, Status};
use support::{Ctl, check, constraints, der, issued, now, read};

/// One row: what it checks, which state and table, the arguments, (exit code, error kind).
type Case<'a> = (&'a str, &'a Ctl, Vec<&'a str>, (i32, &'a str));

#[test]
fn the_ca_its_files_and_a_chain_a_verifier_accepts() {
    let ctl = Ctl::ready("files");
    let (root, intermediate) = (read(ctl.path("root.crt.pem")), read(ctl.path("intermediate.crt.pem")));
    check("root constraints", constraints(&root), (true, Some(1)));
    check("intermediate constraints", constraints(&intermediate), (true, Some(0)));
    let again = ctl.run(&["ca", "init"]);
    check("a second ca init", (again.code, again.error_kind().as_str()), (3, "conflict"));

    let out = ctl.ok(&["issue", "--client-id", "billing", "--days", "30"]);
    let (pem, serial) = issued(&out);
    check("client constraints", constraints(&pem), (false, None));
    for key in ["root.key.pem", "intermediate.key.pem", &format!("clients/billing/{serial}.key.pem")] {
        let mode = std::fs::metadata(ctl.path(key)).expect("key file").permissions().mode() & 0o777;
        check(key, mode, 0o600);
    }

    let bundle = ctl.ok(&["truststore"]);
    check(
        "bundle",
        (bundle["certificates"].as_u64(), bundle["pem"].as_str()),
        (Some(2), Some(format!("{root}{intermediate}").as_str())),
    );
    let out_file = ctl.path("truststore.pem");
    ctl.ok(&["truststore", "--out", &out_file.display().to_string()]);
    check("truststore file", read(&out_file), format!("{root}{intermediate}"));

    // The chain as a TLS server verifies a client certificate (webpki, clientAuth usage).
    let root_der = CertificateDer::from(der(&root));
    let anchors = [webpki::anchor_from_trusted_cert(&root_der).expect("a trust anchor")];
    let intermediates = [CertificateDer::from(der(&intermediate))];
    let leaf = CertificateDer::from(der(&pem));
    let leaf = webpki::EndEntityCert::try_from(&leaf).expect("an end-entity certificate");
    let at = UnixTime::since_unix_epoch(Duration::from_secs(now()));
    let verified = leaf.verify_for_usage(
        webpki::ALL_VERIFICATION_ALGS,
        &anchors,
        &intermediates,
        at,
        webpki::KeyUsage::client_auth(),
        None,
        None,
    );
    check("client auth chain", verified.map(|_| ()), Ok(()));
}

#[test]
fn every_error_class_has_its_exit_code() {
    let ctl = Ctl::ready("errors");
    let no_table = Ctl::new("errors-missing-table");
    let unreachable = Ctl { endpoint: "http://127.0.0.1:1".to_owned(), ..Ctl::new("errors-unreachable") };
    let no_ca = Ctl { dir: ctl.path("empty"), ..Ctl::new("errors-no-ca") };
    let bad_table = Ctl { table: "a/b".to_owned(), ..Ctl::new("errors-bad-table") };
    let bad_rule = ctl.with_rule("cn");
    let (_, serial) = issued(&ctl.ok(&["issue", "--client-id", "billing"]));
    let cases: Vec<Case<'_>> = vec![
        ("no table", &no_table, vec!["list"], (4, "registry")),
        ("registry unreachable", &unreachable, vec!["list"], (4, "registry")),
        ("table exists", &ctl, vec!["table", "create"], (3, "conflict")),
        (
            "unknown client",
            &ctl,
            vec!["revoke", "--client-id", "nobody", "--serial", "1", "--reason", "x"],
            (2, "not_found"),
        ),
        ("unknown serial", &ctl, vec!["suspend", "--client-id", "billing", "--serial", "ab:cd"], (2, "not_found")),
        ("show unknown", &ctl, vec!["show", "--client-id", "nobody"], (2, "not_found")),
        ("no CA", &no_ca, vec!["issue", "--client-id", "billing"], (5, "local")),
        ("no CA for the truststore", &no_ca, vec!["truststore"], (5, "local")),
        ("bad client_id", &ctl, vec!["issue", "--client-id", "../etc"], (1, "usage")),
        ("outlives the CA", &ctl, vec!["issue", "--client-id", "x", "--days", "3000"], (1, "usage")),
        ("days out of range", &ctl, vec!["issue", "--client-id", "x", "--days", "0"], (1, "")),
        ("bad serial", &ctl, vec!["resume", "--client-id", "billing", "--serial", "xyz"], (1, "")),
        ("bad overlap", &ctl, vec!["rotate", "--client-id", "billing", "--overlap", "5x"], (1, "")),
        ("no reason", &ctl, vec!["revoke", "--client-id", "billing", "--serial", &serial], (1, "")),
        ("bad rule", &bad_rule, vec!["list"], (1, "")),
        ("bad table name", &bad_table, vec!["list"], (1, "usage")),
    ];
    for (name, ctl, args, expected) in cases {
        let run = ctl.run(&args);
        check(name, (run.code, run.error_kind().as_str()), expected);
    }

    // Keys that cannot be used: garbage, or a key that is not the certificate's.
    let intermediate_key = ctl.path("intermediate.key.pem");
    let good_key = read(&intermediate_key);
    for (name, key) in [("garbage key", "not a key".to_owned()), ("someone else's key", read(ctl.path("root.key.pem")))]
    {
        std::fs::write(&intermediate_key, key).expect("replace the key");
        let run = ctl.run(&["issue", "--client-id", "late"]);
        check(name, (run.code, run.error_kind().as_str()), (5, "local"));
    }
    std::fs::write(&intermediate_key, good_key).expect("restore the key");

    // A failed registration leaves no key behind.
    let run = no_table.with_rule("subject_cn");
    std::fs::create_dir_all(&run.dir).expect("state dir");
    for name in ["root.crt.pem", "root.key.pem", "intermediate.crt.pem", "intermediate.key.pem"] {
        std::fs::copy(ctl.path(name), run.path(name)).expect("copy the CA");
    }
    let failed = run.run(&["issue", "--client-id", "orphan"]);
    check("issue without a table", (failed.code, failed.error_kind().as_str()), (4, "registry"));
    let left: Vec<_> = std::fs::read_dir(run.path("clients/orphan")).map(|d| d.flatten().count()).into_iter().collect();
    check("files left by the failed issue", left, vec![0]);
}

#[tokio::test]
async fn writes_based_on_a_stale_read_change_nothing() {
    let ctl = Ctl::ready("races");
    let (_, serial) = issued(&ctl.ok(&["issue", "--client-id", "billing"]));
    let registry = ctl.registry().await;
    let stale = registry.get("billing", &serial).await.expect("a read").expect("the item");

    // Another operator suspends it; a revocation computed from the stale read must not land.
    ctl.ok(&["suspend", "--client-id", "billing", "--serial", &serial]);
    let revoked = RegistryItem { status: Status::Revoked, revoked_reason: Some("x".to_owned()), ..stale.item.clone() };
    let result = registry.replace(&stale, &revoked).await;
    check("stale replace", matches!(result, Err(CtlError::Conflict(_))), true);
    let now_stored = registry.get("billing", &serial).await.expect("a read").expect("the item");
    check("still suspended", now_stored.item.status, Status::Suspended);

    // A rotation that read the same stale item writes neither the new item nor the cut.
    let new = RegistryItem::active("billing", "abc123", 4_000_000_000, now());
    let cut = RegistryItem { not_after: now(), ..stale.item.clone() };
    let result = registry.rotate(&new, &[(stale, cut)]).await;
    check("stale rotation", matches!(result, Err(CtlError::Conflict(_))), true);
    check("new item not written", registry.get("billing", "abc123").await.expect("a read").is_none(), true);

    // A change based on the current read lands.
    let resumed = RegistryItem { status: Status::Active, ..now_stored.item.clone() };
    check("change from a fresh read", registry.replace(&now_stored, &resumed).await, Ok(()));
}
