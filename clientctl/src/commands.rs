//! The commands that read: `ca init`, `truststore`, `table create`, `list`, `show`; and the
//! context every command runs in. The lifecycle writes are in `lifecycle`.

use serde_json::{Value, json};
use shared::mtls::cert::ClientIdRule;
use shared::mtls::registry::Status;

use crate::ca::{self, CaSpec};
use crate::cli::{CaInitArgs, ListArgs, ShowArgs, TruststoreArgs};
use crate::error::{CtlError, Result};
use crate::output::{Report, item_json, item_line, utc};
use crate::registry::{Registry, Stored, not_found};
use crate::state::{State, read_text};

/// Everything a command needs besides its own arguments.
#[derive(Clone, Debug)]
pub struct Context {
    pub state: State,
    pub table: Option<String>,
    pub endpoint_url: Option<String>,
    pub rule: ClientIdRule,
    /// Unix seconds.
    pub now: u64,
}

impl Context {
    /// The registry client; no request is sent yet.
    pub async fn registry(&self) -> Result<Registry> {
        let table =
            self.table.as_deref().map(str::trim).filter(|t| !t.is_empty()).ok_or_else(|| {
                CtlError::Usage("no registry table: pass --table or set AUTHZ_REGISTRY_TABLE".to_owned())
            })?;
        Registry::connect(table, self.endpoint_url.as_deref()).await
    }

    pub fn now_signed(&self) -> i64 {
        i64::try_from(self.now).unwrap_or(i64::MAX)
    }
}

/// The client_id rule as written in `AUTHZ_MTLS_CLIENT_ID_FROM`.
pub fn rule_text(rule: &ClientIdRule) -> String {
    match rule {
        ClientIdRule::SubjectCn => "subject_cn".to_owned(),
        ClientIdRule::UriSan { prefix } => format!("uri_san:{prefix}"),
    }
}

pub fn ca_init(ctx: &Context, args: &CaInitArgs) -> Result<Report> {
    let spec = CaSpec { org: args.org.clone(), root_days: args.root_days, intermediate_days: args.intermediate_days };
    let made = ca::init(&ctx.state, &spec, ctx.now_signed())?;
    let (root, intermediate) = (ctx.state.root(), ctx.state.intermediate());
    let part = |files: &crate::state::KeyPairFiles, subject: &str, not_after: i64| json!({"cert": files.cert, "key": files.key, "subject": subject, "not_after": not_after});
    let json = json!({
        "dir": ctx.state.dir(),
        "root": part(&root, &made.root_subject, made.root_not_after),
        "intermediate": part(&intermediate, &made.intermediate_subject, made.intermediate_not_after),
    });
    let text = format!(
        "created a CA in {dir}\n  root          {rs}  until {ru}  {rc}\n  intermediate  {is}  until {iu}  {ic}\n\
         keys (mode 0600) are beside the certificates; next: `clientctl truststore --out truststore.pem` for API Gateway",
        dir = ctx.state.dir().display(),
        rs = made.root_subject,
        ru = utc(made.root_not_after),
        rc = root.cert.display(),
        is = made.intermediate_subject,
        iu = utc(made.intermediate_not_after),
        ic = intermediate.cert.display(),
    );
    Ok(Report { json, text })
}

/// The root and the intermediate certificate, in that order, to stdout or a file.
pub fn truststore(ctx: &Context, args: &TruststoreArgs) -> Result<Report> {
    let mut bundle = String::new();
    for (files, what) in
        [(ctx.state.root(), "root CA certificate"), (ctx.state.intermediate(), "intermediate CA certificate")]
    {
        let pem = read_text(&files.cert, what)?;
        shared::mtls::cert::pem_to_der(&pem).map_err(|_| {
            CtlError::Local(format!("{what} {}: expected one PEM CERTIFICATE block", files.cert.display()))
        })?;
        bundle.push_str(pem.trim());
        bundle.push('\n');
    }
    match &args.out {
        None => Ok(Report { json: json!({"certificates": 2, "pem": bundle}), text: bundle }),
        Some(path) => {
            std::fs::write(path, &bundle)
                .map_err(|e| CtlError::Local(format!("cannot write --out {}: {e}", path.display())))?;
            let text = format!("wrote the truststore (root and intermediate) to {}", path.display());
            Ok(Report { json: json!({"certificates": 2, "path": path}), text })
        }
    }
}

pub async fn table_create(ctx: &Context) -> Result<Report> {
    let registry = ctx.registry().await?;
    registry.create_table().await?;
    let table = registry.table();
    Ok(Report { json: json!({"table": table, "created": true}), text: format!("created table {table}") })
}

pub async fn list(ctx: &Context, args: &ListArgs) -> Result<Report> {
    let registry = ctx.registry().await?;
    let stored = match &args.client_id {
        Some(id) => registry.client_items(id).await?,
        None => registry.all_items().await?,
    };
    Ok(listing(stored, args.status, ctx.now))
}

pub async fn show(ctx: &Context, args: &ShowArgs) -> Result<Report> {
    let registry = ctx.registry().await?;
    let stored = match &args.serial {
        Some(serial) => {
            vec![registry.get(&args.client_id, serial).await?.ok_or_else(|| not_found(&args.client_id, serial))?]
        }
        None => registry.client_items(&args.client_id).await?,
    };
    if stored.is_empty() {
        return Err(CtlError::NotFound(format!("client {}: no certificate in the registry", args.client_id)));
    }
    Ok(listing(stored, None, ctx.now))
}

fn listing(stored: Vec<Stored>, status: Option<Status>, now: u64) -> Report {
    let mut items: Vec<_> =
        stored.into_iter().map(|s| s.item).filter(|i| status.is_none_or(|wanted| i.status == wanted)).collect();
    items.sort_by(|a, b| (&a.client_id, a.created_at, &a.serial).cmp(&(&b.client_id, b.created_at, &b.serial)));
    let json = json!({"items": items.iter().map(|i| item_json(i, now)).collect::<Vec<Value>>()});
    let text = if items.is_empty() {
        "no certificates".to_owned()
    } else {
        items.iter().map(|i| item_line(i, now)).collect::<Vec<_>>().join("\n")
    };
    Report { json, text }
}
