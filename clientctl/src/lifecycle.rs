//! The commands that write to the registry: `issue`, `import`, `pin`, `revoke`, `suspend`,
//! `resume` and `rotate`.
//!
//! Rotation: the new certificate is registered `active`, and every active certificate of the
//! client gets `not_after` = min(its `not_after`, now + overlap), `revoked_reason = "rotated"`,
//! `revoked_at` = that cut-off and `expires_at` = cut-off + 90 days, in one transaction. The authorizer honours `not_after`,
//! so both certificates are allowed during the overlap and only the new one after it, with
//! no background job; `list` shows the old one as `rotating`, then `rotated`. With
//! `--overlap 0` the old ones are `revoked` at once, and a suspended one always is (so that
//! resuming it cannot bring it back beside the new one).

use serde_json::json;
use shared::mtls::cert::{CertFacts, cert_facts};
use shared::mtls::registry::{EXPIRES_AFTER_NOT_AFTER_SECS, RegistryItem, Status};
use shared::mtls::{MTLS_CERT_IS_CA, MTLS_CLIENT_ID_UNMATCHED};

use crate::ca::{self, IssuedClient};
use crate::cli::{Grants, ImportArgs, IssueArgs, KeyArgs, PinArgs, RotateArgs};
use crate::commands::{Context, rule_text};
use crate::error::{CtlError, Result};
use crate::output::{ROTATED, Report, item_json, item_line, utc};
use crate::registry::{Registry, Stored, not_found};
use crate::state::{KeyPairFiles, read_text};

pub async fn issue(ctx: &Context, args: &IssueArgs) -> Result<Report> {
    ca::check_new_client_id(&args.client_id)?;
    let registry = ctx.registry().await?;
    let signer = ca::load_signer(&ctx.state)?;
    let issued = ca::issue_client(&signer, &args.client_id, &ctx.rule, args.days, ctx.now_signed())?;
    let item = new_item(ctx, &issued, args.grants.tenant.clone(), args.grants.scopes.clone())?;
    let files = save(ctx, &issued)?;
    if let Err(e) = registry.register(&item).await {
        files.remove();
        return Err(e);
    }
    let text = issued_text(&item, &files);
    let json = json!({"client_id": item.client_id, "serial": item.serial, "cert": files.cert, "key": files.key,
        "item": item_json(&item, ctx.now)});
    Ok(Report { json, text })
}

/// The facts of the client certificate in `path`, as the authorizer reads them.
fn read_facts(ctx: &Context, path: &std::path::Path) -> Result<CertFacts> {
    let pem = read_text(path, "certificate")?;
    let (shown, rule) = (path.display(), rule_text(&ctx.rule));
    cert_facts(&pem, &ctx.rule).map_err(|reason| match reason {
        MTLS_CERT_IS_CA => CtlError::Usage(format!("--cert {shown}: a CA certificate, not a client certificate")),
        MTLS_CLIENT_ID_UNMATCHED => {
            CtlError::Usage(format!("--cert {shown}: the client_id rule {rule} finds no valid client_id in it"))
        }
        other => CtlError::Local(format!(
            "--cert {shown}: expected exactly one PEM CERTIFICATE block holding one X.509 certificate ({other})"
        )),
    })
}

pub async fn import(ctx: &Context, args: &ImportArgs) -> Result<Report> {
    let path = args.cert.display();
    let rule = rule_text(&ctx.rule);
    let facts = read_facts(ctx, &args.cert)?;
    if facts.client_id != args.client_id {
        return Err(CtlError::Usage(format!(
            "--cert {path}: its client_id under the rule {rule} is {:?}, not {:?}",
            facts.client_id, args.client_id
        )));
    }
    let not_after = u64::try_from(facts.not_after).unwrap_or(0);
    if not_after < ctx.now {
        return Err(CtlError::Usage(format!("--cert {path}: expired at {}", utc(facts.not_after))));
    }
    let item = RegistryItem {
        issuer: Some(facts.issuer.clone()),
        cert_sha256: Some(facts.pin.clone()),
        tenant: args.grants.tenant.clone(),
        scopes: args.grants.scopes.clone(),
        ..RegistryItem::active(&facts.client_id, &facts.serial.hex, not_after, ctx.now)
    };
    ctx.registry().await?.register(&item).await?;
    let text = format!(
        "registered certificate {} of client {} active until {} (issuer {})",
        item.serial,
        item.client_id,
        utc(facts.not_after),
        facts.issuer
    );
    let json = json!({"client_id": item.client_id, "serial": item.serial, "cert": args.cert,
        "item": item_json(&item, ctx.now)});
    Ok(Report { json, text })
}

/// A status change of one certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Revoke { reason: String },
    Suspend,
    Resume,
}

impl Action {
    fn verb(&self) -> &'static str {
        match self {
            Action::Revoke { .. } => "revoke",
            Action::Suspend => "suspend",
            Action::Resume => "resume",
        }
    }

    /// The statuses this change may start from, as words for the error.
    fn allowed_from(&self) -> (&'static [Status], &'static str) {
        match self {
            Action::Revoke { .. } => (&[Status::Active, Status::Suspended], "an active or suspended"),
            Action::Suspend => (&[Status::Active], "an active"),
            Action::Resume => (&[Status::Suspended], "a suspended"),
        }
    }

    fn apply(&self, item: &RegistryItem, now: u64) -> RegistryItem {
        match self {
            Action::Revoke { reason } => RegistryItem {
                status: Status::Revoked,
                revoked_at: Some(now),
                revoked_reason: Some(reason.clone()),
                ..item.clone()
            },
            Action::Suspend => RegistryItem { status: Status::Suspended, ..item.clone() },
            Action::Resume => RegistryItem { status: Status::Active, ..item.clone() },
        }
    }
}

/// Writes the certificate's SHA-256 into its item, which must exist, not pin another
/// certificate, and name the certificate's issuer if it names one.
pub async fn pin(ctx: &Context, args: &PinArgs) -> Result<Report> {
    let facts = read_facts(ctx, &args.cert)?;
    let (client_id, serial) = (&facts.client_id, &facts.serial.hex);
    let registry = ctx.registry().await?;
    let stored = registry.get(client_id, serial).await?.ok_or_else(|| not_found(client_id, serial))?;
    let pin = &facts.pin;
    let shown = args.cert.display();
    let pinned = RegistryItem { cert_sha256: Some(pin.clone()), ..stored.item.clone() };
    match &stored.item.cert_sha256 {
        Some(existing) if existing == pin => {}
        Some(existing) => {
            return Err(CtlError::Conflict(format!(
                "client {client_id} certificate {serial} is pinned to another certificate ({existing}), not {shown} ({pin})"
            )));
        }
        None => {
            if stored.item.issuer.as_ref().is_some_and(|issuer| *issuer != facts.issuer) {
                return Err(CtlError::Conflict(format!(
                    "client {client_id} certificate {serial} names the issuer {:?}; {shown} was issued by {:?}",
                    stored.item.issuer.as_deref().unwrap_or_default(),
                    facts.issuer
                )));
            }
            registry.replace(&stored, &pinned).await?;
        }
    }
    let text = format!("client {client_id} certificate {serial}: pinned\n{}", item_line(&pinned, ctx.now));
    Ok(Report { json: json!({"client_id": client_id, "serial": serial, "item": item_json(&pinned, ctx.now)}), text })
}

pub async fn change_status(ctx: &Context, key: &KeyArgs, action: &Action) -> Result<Report> {
    let registry = ctx.registry().await?;
    let (client_id, serial) = (&key.client_id, &key.serial);
    let stored = registry.get(client_id, serial).await?.ok_or_else(|| not_found(client_id, serial))?;
    let before = stored.item.status;
    let (allowed, expected) = action.allowed_from();
    if !allowed.contains(&before) {
        return Err(CtlError::Conflict(format!(
            "client {client_id} certificate {serial} is {}: {} needs {expected} certificate",
            before.as_str(),
            action.verb()
        )));
    }
    let after = action.apply(&stored.item, ctx.now);
    registry.replace(&stored, &after).await?;
    let mut text = format!(
        "client {client_id} certificate {serial}: {} -> {}\n{}",
        before.as_str(),
        after.status.as_str(),
        item_line(&after, ctx.now)
    );
    if after.status != Status::Active {
        // The registry is read through caches: say how long the old answer may still be used.
        text.push_str(
            "\nwarm authorizers that cached the item keep its old status for up to their registry cache TTL \
             (AUTHZ_REGISTRY_CACHE_TTL_SECS, default 60 s), plus API Gateway's authorizer result TTL if it is on",
        );
    }
    let json = json!({"client_id": client_id, "serial": serial, "previous_status": before.as_str(),
        "item": item_json(&after, ctx.now)});
    Ok(Report { json, text })
}

pub async fn rotate(ctx: &Context, args: &RotateArgs) -> Result<Report> {
    ca::check_new_client_id(&args.client_id)?;
    let registry = ctx.registry().await?;
    let signer = ca::load_signer(&ctx.state)?;
    let current = current_certificates(&registry, &args.client_id, ctx.now).await?;
    let template = current
        .iter()
        .map(|s| &s.item)
        .filter(|i| i.status == Status::Active)
        .max_by_key(|i| (i.created_at, i.serial.clone()));
    let Some(template) = template.cloned() else {
        return Err(CtlError::NotFound(format!(
            "client {}: no active certificate to rotate (use issue for a new client)",
            args.client_id
        )));
    };
    let issued = ca::issue_client(&signer, &args.client_id, &ctx.rule, args.days, ctx.now_signed())?;
    let Grants { tenant, scopes } = &args.grants;
    let (tenant, scopes) = if tenant.is_some() || !scopes.is_empty() {
        (tenant.clone(), scopes.clone())
    } else {
        (template.tenant.clone(), template.scopes.clone())
    };
    let item = RegistryItem {
        routes: template.routes.clone(),
        usage_plan_key: template.usage_plan_key.clone(),
        ..new_item(ctx, &issued, tenant, scopes)?
    };
    let cutoff = ctx.now.saturating_add(args.overlap);
    // A suspended certificate is revoked at once: it must not come back beside the new one
    // when someone resumes it.
    let changes: Vec<(Stored, RegistryItem)> = current
        .into_iter()
        .map(|old| {
            let at_once = args.overlap == 0 || old.item.status == Status::Suspended;
            let new = cut(&old.item, cutoff, at_once, ctx.now);
            (old, new)
        })
        .collect();
    let files = save(ctx, &issued)?;
    if let Err(e) = registry.rotate(&item, &changes).await {
        files.remove();
        return Err(e);
    }
    let replaced: Vec<&RegistryItem> = changes.iter().map(|(_, new)| new).collect();
    let mut text = issued_text(&item, &files);
    text.push('\n');
    let until =
        if args.overlap == 0 { "revoked now".to_owned() } else { format!("valid until {}", utc(signed(cutoff))) };
    for old in &replaced {
        let until = if old.status == Status::Revoked { "revoked now" } else { until.as_str() };
        text.push_str(&format!("replaced certificate {}: {until}\n", old.serial));
    }
    let json = json!({
        "client_id": item.client_id, "serial": item.serial, "cert": files.cert, "key": files.key,
        "item": item_json(&item, ctx.now),
        "cutoff": cutoff,
        "replaced": replaced.iter().map(|i| item_json(i, ctx.now)).collect::<Vec<_>>(),
    });
    Ok(Report { json, text })
}

/// The client's certificates a rotation replaces: active or suspended, and not yet past
/// `not_after`.
async fn current_certificates(registry: &Registry, client_id: &str, now: u64) -> Result<Vec<Stored>> {
    let all = registry.client_items(client_id).await?;
    Ok(all
        .into_iter()
        .filter(|s| matches!(s.item.status, Status::Active | Status::Suspended) && s.item.not_after >= now)
        .collect())
}

/// The replaced certificate: valid until `cutoff` (never longer than it already was), or
/// revoked at once.
fn cut(item: &RegistryItem, cutoff: u64, at_once: bool, now: u64) -> RegistryItem {
    if at_once {
        return Action::Revoke { reason: ROTATED.to_owned() }.apply(item, now);
    }
    let not_after = item.not_after.min(cutoff);
    RegistryItem {
        not_after,
        revoked_at: Some(not_after),
        revoked_reason: Some(ROTATED.to_owned()),
        expires_at: Some(not_after.saturating_add(EXPIRES_AFTER_NOT_AFTER_SECS)),
        ..item.clone()
    }
}

fn new_item(ctx: &Context, issued: &IssuedClient, tenant: Option<String>, scopes: Vec<String>) -> Result<RegistryItem> {
    let facts = &issued.facts;
    let not_after = u64::try_from(facts.not_after)
        .map_err(|_| CtlError::Local(format!("certificate not_after {} is before 1970", facts.not_after)))?;
    Ok(RegistryItem {
        issuer: Some(facts.issuer.clone()),
        cert_sha256: Some(facts.pin.clone()),
        tenant,
        scopes,
        ..RegistryItem::active(&facts.client_id, &facts.serial.hex, not_after, ctx.now)
    })
}

fn save(ctx: &Context, issued: &IssuedClient) -> Result<KeyPairFiles> {
    let files = ctx.state.client(&issued.facts.client_id, &issued.facts.serial.hex);
    ctx.state.save(&files, &issued.cert_pem, &issued.key_pem)?;
    Ok(files)
}

/// What `issue` and `rotate` say about the certificate they issued.
fn issued_text(item: &RegistryItem, files: &KeyPairFiles) -> String {
    format!(
        "issued certificate {} for client {}, registered active until {}\n  certificate {}\n  key         {} (mode 0600)",
        item.serial,
        item.client_id,
        utc(signed(item.not_after)),
        files.cert.display(),
        files.key.display()
    )
}

fn signed(unix: u64) -> i64 {
    i64::try_from(unix).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_changes() {
        let active = RegistryItem::active("c", "1", 1000, 0);
        let revoke = Action::Revoke { reason: "key lost".to_owned() };
        let revoked = revoke.apply(&active, 50);
        assert_eq!(
            (revoked.status, revoked.revoked_at, revoked.revoked_reason.as_deref()),
            (Status::Revoked, Some(50), Some("key lost"))
        );
        assert_eq!(Action::Suspend.apply(&active, 50).status, Status::Suspended);
        for (action, from, ok) in [
            (&revoke, Status::Active, true),
            (&revoke, Status::Suspended, true),
            (&revoke, Status::Revoked, false),
            (&Action::Suspend, Status::Active, true),
            (&Action::Suspend, Status::Suspended, false),
            (&Action::Resume, Status::Suspended, true),
            (&Action::Resume, Status::Active, false),
            (&Action::Resume, Status::Revoked, false),
        ] {
            assert_eq!(action.allowed_from().0.contains(&from), ok, "{action:?} from {from:?}");
        }
    }

    #[test]
    fn rotation_cuts() {
        let old = RegistryItem::active("c", "1", 10_000, 0);
        let cut_item = cut(&old, 3600, false, 0);
        assert_eq!(
            (cut_item.status, cut_item.not_after, cut_item.revoked_at, cut_item.revoked_reason.as_deref()),
            (Status::Active, 3600, Some(3600), Some(ROTATED))
        );
        assert_eq!(cut_item.expires_at, Some(3600 + EXPIRES_AFTER_NOT_AFTER_SECS));
        assert_eq!(cut(&old, 20_000, false, 0).not_after, 10_000);
        let now = cut(&old, 100, true, 100);
        assert_eq!((now.status, now.not_after, now.revoked_at), (Status::Revoked, 10_000, Some(100)));
    }
}
