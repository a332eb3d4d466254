//! Harness of the clientctl end-to-end tests: the real binary against moto's DynamoDB (the
//! authorizer-tests harness starts it on 127.0.0.1), and the real authorizer pipeline
//! reading the registry the binary wrote.

// Each test binary uses a different part of this module; a harness failure is a test failure.
#![allow(dead_code, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use authorizer_tests::moto::shared_server;
use aws_sdk_dynamodb::config::{Credentials, Region};
use clientctl::registry::Registry;
use serde_json::{Value, json};
use shared::authorizer::{Authorizer, AuthorizerConfig};
use shared::config::Env;
use shared::mtls::cert::pem_to_der;
use shared::mtls::dynamodb::DynamoRegistry;
use shared::telemetry::MemorySink;
use x509_parser::prelude::{FromDer, X509Certificate};

pub const SPIFFE: &str = "uri_san:spiffe://example.org/client/";

pub fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

pub fn der(pem: &str) -> Vec<u8> {
    pem_to_der(pem).expect("one PEM certificate")
}

/// (is CA, path length) of a certificate.
pub fn constraints(pem: &str) -> (bool, Option<u32>) {
    let der = der(pem);
    let (_, cert) = X509Certificate::from_der(&der).expect("a certificate");
    match cert.basic_constraints().expect("valid extensions") {
        Some(bc) => (bc.value.ca, bc.value.path_len_constraint),
        None => (false, None),
    }
}

/// One run of the binary.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:?}"))
    }

    /// The `error.kind` of a failed `--output json` run, or `""` when stderr is not JSON
    /// (clap's usage errors).
    pub fn error_kind(&self) -> String {
        serde_json::from_str::<Value>(&self.stderr)
            .ok()
            .and_then(|v| v["error"]["kind"].as_str().map(str::to_owned))
            .unwrap_or_default()
    }
}

/// clientctl with its own state directory and table on the shared moto server.
#[derive(Debug)]
pub struct Ctl {
    pub dir: PathBuf,
    pub table: String,
    pub endpoint: String,
    pub rule: String,
    /// What `ca init` printed (by [`Ctl::ready`]).
    pub ca: Value,
}

impl Ctl {
    /// A fresh state directory, and the name of a table that does not exist yet.
    pub fn new(name: &str) -> Ctl {
        let server = shared_server().expect("moto_server starts");
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("clientctl-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let (table, endpoint) = (format!("clients-{name}"), server.endpoint_url());
        Ctl { dir, table, endpoint, rule: "subject_cn".to_owned(), ca: Value::Null }
    }

    /// [`Ctl::new`], then `table create` and `ca init`.
    pub fn ready(name: &str) -> Ctl {
        let mut ctl = Ctl::new(name);
        ctl.ok(&["table", "create"]);
        ctl.ca = ctl.ok(&["ca", "init", "--org", "Example Payments"]);
        ctl
    }

    /// The same state and table, with another `--client-id-from`.
    pub fn with_rule(&self, rule: &str) -> Ctl {
        Ctl {
            dir: self.dir.clone(),
            table: self.table.clone(),
            endpoint: self.endpoint.clone(),
            rule: rule.to_owned(),
            ca: self.ca.clone(),
        }
    }

    /// Runs `clientctl --output json ARGS` with dummy AWS credentials and nothing else from
    /// this process's environment.
    pub fn run(&self, args: &[&str]) -> Run {
        let mut command = Command::new(env!("CARGO_BIN_EXE_clientctl"));
        command
            .env_clear()
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .arg("--dir")
            .arg(&self.dir)
            .args(["--table", &self.table, "--endpoint-url", &self.endpoint, "--client-id-from", &self.rule])
            .args(["--output", "json"])
            .args(args);
        let output = command.output().expect("run clientctl");
        let run = Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        assert!(
            !run.stdout.contains("PRIVATE KEY") && !run.stderr.contains("PRIVATE KEY"),
            "a key was printed: {run:?}"
        );
        run
    }

    /// Runs and expects exit 0; returns the JSON printed.
    #[track_caller]
    pub fn ok(&self, args: &[&str]) -> Value {
        let run = self.run(args);
        assert_eq!(run.code, 0, "clientctl {args:?}: {run:?}");
        run.json()
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.dir.join(relative)
    }

    /// Writes `contents` to `name` in the state directory (created if needed); its path as text.
    pub fn file(&self, name: &str, contents: &str) -> String {
        std::fs::create_dir_all(&self.dir).expect("state dir");
        let path = self.path(name);
        std::fs::write(&path, contents).expect("write a test file");
        path.display().to_string()
    }

    /// A registry client of this table, as the library gives it (static test credentials).
    pub async fn registry(&self) -> Registry {
        let loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
            .endpoint_url(&self.endpoint);
        Registry::connect_with(&self.table, loader).await.expect("a registry client")
    }

    /// The intermediate's normalised subject: the `issuer` of every item it issued.
    pub fn issuer(&self) -> String {
        self.ca["intermediate"]["subject"].as_str().expect("ca init printed the intermediate").to_owned()
    }
}

pub fn read(path: impl AsRef<Path>) -> String {
    std::fs::read_to_string(path.as_ref()).unwrap_or_else(|e| panic!("{}: {e}", path.as_ref().display()))
}

/// A certificate `issue` or `rotate` wrote: (its PEM, its canonical serial).
pub fn issued(json: &Value) -> (String, String) {
    let path = json["cert"].as_str().expect("cert path");
    (read(path), json["serial"].as_str().expect("serial").to_owned())
}

/// The serial as API Gateway may print it: colon-separated hex pairs of the DER bytes.
fn colon_serial(pem: &str) -> String {
    let der = der(pem);
    let (_, cert) = X509Certificate::from_der(&der).expect("a certificate");
    cert.raw_serial().iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":")
}

/// A REST API REQUEST authorizer event with this client certificate.
pub fn rest_event(pem: &str) -> Vec<u8> {
    let event = json!({
        "type": "REQUEST",
        "methodArn": "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/orders/42",
        "resource": "/orders/{id}",
        "path": "/orders/42",
        "httpMethod": "GET",
        "headers": {"Host": "payments.internal.example.com"},
        "multiValueHeaders": {"Host": ["payments.internal.example.com"]},
        "queryStringParameters": {},
        "multiValueQueryStringParameters": {},
        "pathParameters": {"id": "42"},
        "stageVariables": {},
        "requestContext": {
            "path": "/prod/orders/42",
            "accountId": "123456789012",
            "resourceId": "x1y2z3",
            "stage": "prod",
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "identity": {
                "sourceIp": "10.20.30.40",
                "clientCert": {
                    "clientCertPem": pem,
                    "subjectDN": "",
                    "issuerDN": "",
                    "serialNumber": colon_serial(pem),
                    "validity": {"notBefore": "", "notAfter": ""}
                }
            },
            "resourcePath": "/orders/{id}",
            "httpMethod": "GET",
            "apiId": "a1b2c3d4e5"
        }
    });
    serde_json::to_vec(&event).unwrap_or_default()
}

/// What the authorizer decided: `allow` with the client_id and serial it saw, or the
/// outcome with its reason code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Allow { client_id: String, serial: String },
    Reject { outcome: &'static str, reason: &'static str },
}

pub fn allow(client_id: &str, serial: &str) -> Decision {
    Decision::Allow { client_id: client_id.to_owned(), serial: serial.to_owned() }
}

pub fn unauthorized(reason: &'static str) -> Decision {
    Decision::Reject { outcome: "unauthorized", reason }
}

pub fn deny(reason: &'static str) -> Decision {
    Decision::Reject { outcome: "deny", reason }
}

/// The real authorizer, mTLS only, reading the table through the DynamoDB adapter with the
/// registry cache off.
#[derive(Debug)]
pub struct Gate {
    authorizer: Authorizer,
}

impl Gate {
    pub async fn new(ctl: &Ctl, rule: &str, trusted_issuers: Option<&str>) -> Gate {
        let mut env = vec![
            ("AUTHZ_REGISTRY_TABLE", ctl.table.clone()),
            ("AUTHZ_REGISTRY_CACHE_TTL_SECS", "0".to_owned()),
            ("AUTHZ_REGISTRY_NEGATIVE_CACHE_TTL_SECS", "0".to_owned()),
            ("AUTHZ_REGISTRY_ATTEMPT_TIMEOUT_MS", "2000".to_owned()),
            ("AUTHZ_REGISTRY_OPERATION_TIMEOUT_MS", "2000".to_owned()),
            ("AUTHZ_MTLS_CLIENT_ID_FROM", rule.to_owned()),
        ];
        env.push(("AUTHZ_POLICY_FILE", policy_file().display().to_string()));
        if let Some(issuers) = trusted_issuers {
            env.push(("AUTHZ_MTLS_TRUSTED_ISSUERS", json!([issuers]).to_string()));
        }
        let config = AuthorizerConfig::from_env(&Env::from_pairs(env)).expect("a valid configuration");
        let mtls = config.mtls.clone().expect("mTLS configured");
        let endpoint = shared_server().expect("moto_server starts").endpoint();
        let registry = Arc::new(DynamoRegistry::with_endpoint(&mtls, &endpoint));
        let authorizer =
            Authorizer::from_config(config, Some(registry), Arc::new(MemorySink::default())).await.expect("init");
        Gate { authorizer }
    }

    /// The tenant and scopes the authorizer put in the identity, when it allowed.
    pub async fn grants(&self, pem: &str, now: u64) -> Option<(Option<String>, Vec<String>)> {
        let event = rest_event(pem);
        let verdict = self.authorizer.evaluate(&event, now).await;
        verdict.identity.mtls.map(|id| (id.item.tenant.clone(), id.item.scopes.clone()))
    }

    /// The decision for a REST REQUEST event carrying `pem`, at `now`.
    pub async fn decide(&self, pem: &str, now: u64) -> Decision {
        let event = rest_event(pem);
        let verdict = self.authorizer.evaluate(&event, now).await;
        match (verdict.outcome.as_str(), verdict.identity.mtls) {
            ("allow", Some(id)) => {
                Decision::Allow { client_id: id.item.client_id.clone(), serial: id.item.serial.clone() }
            }
            (outcome, _) => Decision::Reject { outcome, reason: verdict.reason.code() },
        }
    }
}

/// A policy that lets every verified client certificate call the events' route, so the
/// decisions below are the registry's.
fn policy_file() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let path =
            PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("clientctl-policy-{}.toml", std::process::id()));
        let policy = "[[rule]]\nname = \"any-registered-client\"\nauth = \"mtls\"\nroutes = [\"GET /orders/{id}\"]\n";
        std::fs::write(&path, policy).expect("write the policy file");
        path
    })
    .clone()
}

/// Compares one step's result with what was expected.
#[track_caller]
pub fn check<T: PartialEq + std::fmt::Debug>(step: &str, got: T, expected: T) {
    assert_eq!(got, expected, "step: {step}");
}
