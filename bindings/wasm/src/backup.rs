//! Encrypted keyring backups (spec/key-lifecycle.md section 8) under a recovery key or a
//! passphrase. Secrets cross as strings; the wasm-side copies are wiped after use.

use domvia_e2ee::{Argon2Params, Backup, RecoveryKey};
use wasm_bindgen::prelude::*;
use zeroize::Zeroize;

use crate::errors::Failure;
use crate::keyring::WasmKeyring;

/// A fresh recovery key in its display form; the wasm-side copy is wiped.
#[wasm_bindgen(js_name = generateRecoveryKey)]
#[must_use]
pub fn generate_recovery_key() -> JsValue {
    JsValue::from_str(&RecoveryKey::generate().to_display())
}

/// Backs up `keyring` under a recovery key (display form); returns the blob's JSON text.
///
/// # Errors
/// `invalid_recovery_key`, `recovery_key_checksum`.
#[wasm_bindgen(js_name = backupWithRecoveryKey)]
pub fn backup_with_recovery_key(
    keyring: &WasmKeyring,
    mut recovery_key: String,
) -> Result<String, Failure> {
    let recovery = RecoveryKey::parse(&recovery_key);
    recovery_key.zeroize();
    Ok(Backup::seal_with_recovery_key(&keyring.0, &recovery?)?.to_json())
}

/// Backs up `keyring` under a passphrase through Argon2id: the defaults when `m`, `t`, `p`
/// are absent; parameters weaker than the defaults only with `danger_insecure_for_tests`.
/// Returns the blob's JSON text.
///
/// # Errors
/// `weak_kdf_params`.
#[wasm_bindgen(js_name = backupWithPassphrase)]
pub fn backup_with_passphrase(
    keyring: &WasmKeyring,
    mut passphrase: String,
    params: Option<Vec<u32>>,
    danger_insecure_for_tests: bool,
) -> Result<String, Failure> {
    let params = match params.as_deref() {
        None => Ok(Argon2Params::DEFAULT),
        Some(&[m, t, p]) if danger_insecure_for_tests => {
            Argon2Params::danger_insecure_for_tests(m, t, p)
        }
        Some(&[m, t, p]) => Argon2Params::new(m, t, p),
        Some(_) => {
            passphrase.zeroize();
            return Err(Failure::invalid_argument(
                "Argon2id parameters are [m, t, p]",
            ));
        }
    };
    let sealed = params.and_then(|a| Backup::seal_with_passphrase(&keyring.0, &passphrase, a));
    passphrase.zeroize();
    Ok(sealed?.to_json())
}

/// The keyring of a backup made under a recovery key.
///
/// # Errors
/// `backup_corrupted`, `unsupported_version`, `invalid_recovery_key`,
/// `recovery_key_checksum`, `wrong_secret_kind`, `wrong_secret`.
#[wasm_bindgen(js_name = restoreWithRecoveryKey)]
pub fn restore_with_recovery_key(
    blob_json: &str,
    mut recovery_key: String,
) -> Result<WasmKeyring, Failure> {
    let recovery = RecoveryKey::parse(&recovery_key);
    recovery_key.zeroize();
    let backup = Backup::from_json(blob_json)?;
    Ok(WasmKeyring(backup.open_with_recovery_key(&recovery?)?))
}

/// The keyring of a backup made under a passphrase.
///
/// # Errors
/// `backup_corrupted`, `unsupported_version`, `wrong_secret_kind`, `wrong_secret`.
#[wasm_bindgen(js_name = restoreWithPassphrase)]
pub fn restore_with_passphrase(
    blob_json: &str,
    mut passphrase: String,
) -> Result<WasmKeyring, Failure> {
    let opened = Backup::from_json(blob_json).and_then(|b| b.open_with_passphrase(&passphrase));
    passphrase.zeroize();
    Ok(WasmKeyring(opened?))
}

/// The backup's JSON text as the core writes it back, after checking its integrity.
///
/// # Errors
/// `backup_corrupted`, `unsupported_version`.
#[wasm_bindgen(js_name = inspectBackup)]
pub fn inspect_backup(blob_json: &str) -> Result<String, Failure> {
    Ok(Backup::from_json(blob_json)?.to_json())
}
