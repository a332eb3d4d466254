//! The local state directory (`--dir`, `$CLIENTCTL_DIR`, default `.clientctl`): the CA
//! keys and certificates and the issued client keys and certificates.
//!
//! ```text
//! DIR/                                  0700
//!   root.crt.pem  root.key.pem          the root CA (key 0600)
//!   intermediate.crt.pem  intermediate.key.pem   the issuing CA (key 0600)
//!   clients/<client_id>/<serial>.crt.pem  <serial>.key.pem   one pair per issued certificate
//! ```
//!
//! Files are created, never overwritten; keys are written with mode 0600 and never printed.

use std::fs::{DirBuilder, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use crate::error::{CtlError, Result};

/// The paths of one state directory.
#[derive(Clone, Debug)]
pub struct State {
    dir: PathBuf,
}

/// A certificate and its key on disk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyPairFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl KeyPairFiles {
    /// Removes both files (used when the registry refused the certificate).
    pub fn remove(&self) {
        let _ = std::fs::remove_file(&self.cert);
        let _ = std::fs::remove_file(&self.key);
    }
}

impl State {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn root(&self) -> KeyPairFiles {
        self.pair("root")
    }

    pub fn intermediate(&self) -> KeyPairFiles {
        self.pair("intermediate")
    }

    fn pair(&self, stem: &str) -> KeyPairFiles {
        KeyPairFiles { cert: self.dir.join(format!("{stem}.crt.pem")), key: self.dir.join(format!("{stem}.key.pem")) }
    }

    /// Where a client certificate and key live; `client_id` must be a safe file name
    /// (see `ca::check_new_client_id`).
    pub fn client(&self, client_id: &str, serial: &str) -> KeyPairFiles {
        let dir = self.dir.join("clients").join(client_id);
        KeyPairFiles { cert: dir.join(format!("{serial}.crt.pem")), key: dir.join(format!("{serial}.key.pem")) }
    }

    /// Writes a certificate (0644) and its key (0600), refusing to replace either, and to
    /// write into a directory of the state that others may write to.
    pub fn save(&self, files: &KeyPairFiles, cert_pem: &str, key_pem: &str) -> Result<()> {
        if let Some(parent) = files.key.parent().filter(|p| !p.as_os_str().is_empty()) {
            DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(parent)
                .map_err(|e| CtlError::Local(format!("cannot create {}: {e}", parent.display())))?;
        }
        self.check_not_shared(&files.key)?;
        write_new(&files.key, key_pem, 0o600)?;
        if let Err(e) = write_new(&files.cert, cert_pem, 0o644) {
            let _ = std::fs::remove_file(&files.key);
            return Err(e);
        }
        Ok(())
    }
}

impl State {
    /// Reads a private key, as `ssh` does: refused when the file is readable by group or
    /// others, or when a directory of the state above it is writable by them (anyone who
    /// could replace the intermediate CA's key would sign the next certificates).
    pub fn read_key(&self, path: &Path, what: &str) -> Result<String> {
        self.check_not_shared(path)?;
        let mode = std::fs::metadata(path)
            .map_err(|e| CtlError::Local(format!("cannot read {what} {}: {e}", path.display())))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(CtlError::Local(format!(
                "{what} {} is accessible by group or others (mode {:04o}): chmod 600 it",
                path.display(),
                mode & 0o7777
            )));
        }
        read_text(path, what)
    }

    /// Refuses when the state directory, or a directory of it above `path`, is writable by
    /// group or others (the directories around it, a temporary directory say, are not ours).
    fn check_not_shared(&self, path: &Path) -> Result<()> {
        for dir in path.ancestors().skip(1).take_while(|d| d.starts_with(&self.dir)) {
            let Ok(meta) = std::fs::metadata(dir) else { continue };
            let mode = meta.permissions().mode();
            if mode & 0o022 != 0 {
                return Err(CtlError::Local(format!(
                    "state directory {} is writable by group or others (mode {:04o}): chmod go-w it",
                    dir.display(),
                    mode & 0o7777
                )));
            }
        }
        Ok(())
    }
}

/// Creates `path` with `mode`, in a directory that exists; an existing file is an error.
fn write_new(path: &Path, contents: &str, mode: u32) -> Result<()> {
    let fail = |e: std::io::Error| CtlError::Local(format!("cannot write {}: {e}", path.display()));
    let mut file = OpenOptions::new().write(true).create_new(true).mode(mode).open(path).map_err(fail)?;
    file.write_all(contents.as_bytes()).and_then(|()| file.sync_all()).map_err(fail)
}

/// Reads a text file; `what` names it in the error ("intermediate CA key").
pub fn read_text(path: &Path, what: &str) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| CtlError::Local(format!("cannot read {what} {}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use std::fs::Permissions;

    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("clientctl-state-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn local_error(result: Result<impl std::fmt::Debug>) -> String {
        match result {
            Err(CtlError::Local(message)) => message,
            other => panic!("expected a local error, got {other:?}"),
        }
    }

    #[test]
    fn keys_are_written_and_read_only_where_others_cannot_reach() {
        // The temporary directory around the state is world-writable: not ours to judge.
        let dir = scratch("modes");
        let state = State::new(&dir);
        let files = state.client("orders", "a1");
        state.save(&files, "cert", "key").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(std::fs::metadata(&dir).map(|m| m.permissions().mode() & 0o777).ok(), Some(0o700));
        assert_eq!(state.read_key(&files.key, "client key").ok().as_deref(), Some("key"));

        std::fs::set_permissions(&files.key, Permissions::from_mode(0o644)).unwrap_or_else(|e| panic!("{e}"));
        let message = local_error(state.read_key(&files.key, "client key"));
        assert!(message.contains("accessible by group or others (mode 0644)"), "{message}");

        std::fs::set_permissions(&dir, Permissions::from_mode(0o777)).unwrap_or_else(|e| panic!("{e}"));
        let message = local_error(state.save(&state.client("orders", "b2"), "cert", "key"));
        assert!(message.contains("is writable by group or others (mode 0777)"), "{message}");
        std::fs::set_permissions(&files.key, Permissions::from_mode(0o600)).unwrap_or_else(|e| panic!("{e}"));
        let message = local_error(state.read_key(&files.key, "client key"));
        assert!(message.contains("writable by group or others"), "{message}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
