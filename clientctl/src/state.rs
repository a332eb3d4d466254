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
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _};
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

    /// Writes a certificate (0644) and its key (0600), refusing to replace either.
    pub fn save(&self, files: &KeyPairFiles, cert_pem: &str, key_pem: &str) -> Result<()> {
        write_new(&files.key, key_pem, 0o600)?;
        if let Err(e) = write_new(&files.cert, cert_pem, 0o644) {
            let _ = std::fs::remove_file(&files.key);
            return Err(e);
        }
        Ok(())
    }
}

/// Creates `path` (and its missing parent directories, mode 0700) with `mode`; an existing
/// file is an error.
fn write_new(path: &Path, contents: &str, mode: u32) -> Result<()> {
    let fail = |e: std::io::Error| CtlError::Local(format!("cannot write {}: {e}", path.display()));
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        DirBuilder::new().recursive(true).mode(0o700).create(parent).map_err(fail)?;
    }
    let mut file = OpenOptions::new().write(true).create_new(true).mode(mode).open(path).map_err(fail)?;
    file.write_all(contents.as_bytes()).and_then(|()| file.sync_all()).map_err(fail)
}

/// Reads a text file; `what` names it in the error ("intermediate CA key").
pub fn read_text(path: &Path, what: &str) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| CtlError::Local(format!("cannot read {what} {}: {e}", path.display())))
}
