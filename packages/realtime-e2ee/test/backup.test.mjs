// Backups through the package (spec/key-lifecycle.md section 8): a keyring backed up
// under a recovery key or a passphrase and restored whole; every failure with its code.
// Argon2id runs with tiny parameters (dangerInsecureForTests) except in one test that
// checks the defaults are what a passphrase backup gets.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as e2ee from "../index.js";

const { BackupError, InvalidArgumentError, createBackup, createKeyring, restoreBackup } = e2ee;
const FAST = { m: 64, t: 1, p: 1, dangerInsecureForTests: true };

async function ring() {
  const keyring = await createKeyring();
  keyring.generate("room-42");
  keyring.rotate("room-42");
  keyring.generate("call-9");
  return keyring;
}

async function fails(promise, cls, code) {
  await assert.rejects(promise, (error) => {
    assert.ok(error instanceof cls, `${error} is not a ${cls.name}`);
    assert.equal(error.code, code, error.message);
    return true;
  });
}

test("recovery key: backup, inspect, restore; the wrong key and typos are told apart", async () => {
  const keyring = await ring();
  const recoveryKey = await e2ee.generateRecoveryKey();
  assert.match(recoveryKey, /^([0-9A-HJKMNP-TV-Z]{4} ){13}[0-9A-HJKMNP-TV-Z]{4}$/);
  assert.notEqual(await e2ee.generateRecoveryKey(), recoveryKey);
  const blob = await createBackup(keyring, { recoveryKey });
  assert.equal(blob.format, "domvia-backup");
  assert.equal(blob.kdf, "recovery-key");
  assert.ok(!JSON.stringify(blob).includes(keyring.export().keys[0].versions[0].key));
  assert.deepEqual(await e2ee.inspectBackup(blob), { keyCount: 3, kdf: "recovery-key" });
  const restored = await restoreBackup(JSON.stringify(blob), { recoveryKey });
  assert.deepEqual(restored.export(), keyring.export());
  // Lower case and without spaces: still the key.
  const typed = recoveryKey.toLowerCase().replaceAll(" ", "");
  assert.deepEqual((await restoreBackup(blob, { recoveryKey: typed })).export(), keyring.export());

  await fails(restoreBackup(blob, { recoveryKey: await e2ee.generateRecoveryKey() }), BackupError, "wrong_secret");
  const typo = recoveryKey.slice(0, 5) + (recoveryKey[5] === "0" ? "1" : "0") + recoveryKey.slice(6);
  await fails(restoreBackup(blob, { recoveryKey: typo }), BackupError, "recovery_key_checksum");
  await fails(restoreBackup(blob, { recoveryKey: "not a key" }), BackupError, "invalid_recovery_key");
  await fails(createBackup(keyring, { recoveryKey: "not a key" }), BackupError, "invalid_recovery_key");
  await fails(restoreBackup(blob, { passphrase: "x" }), BackupError, "wrong_secret_kind");
});

test("passphrase: backup and restore; wrong passphrase, damage and versions", async () => {
  const keyring = await ring();
  const blob = await createBackup(keyring, { passphrase: "correct horse", argon2: FAST });
  assert.equal(blob.kdf, "argon2id");
  assert.deepEqual([blob.m, blob.t, blob.p], [64, 1, 1]);
  assert.deepEqual(await e2ee.inspectBackup(blob), { keyCount: 3, kdf: "argon2id", argon2: { m: 64, t: 1, p: 1 } });
  assert.deepEqual((await restoreBackup(blob, { passphrase: "correct horse" })).export(), keyring.export());

  await fails(restoreBackup(blob, { passphrase: "Correct horse" }), BackupError, "wrong_secret");
  await fails(restoreBackup(blob, { recoveryKey: await e2ee.generateRecoveryKey() }), BackupError, "wrong_secret_kind");
  const text = JSON.stringify(blob);
  await fails(restoreBackup(text.slice(0, text.length - 20), { passphrase: "correct horse" }), BackupError, "backup_corrupted");
  await fails(restoreBackup({ ...blob, ct: blob.ct.slice(0, 40) }, { passphrase: "correct horse" }), BackupError, "backup_corrupted");
  const ct = Buffer.from(blob.ct, "base64url");
  ct[3] ^= 1;
  await fails(restoreBackup({ ...blob, ct: ct.toString("base64url") }, { passphrase: "correct horse" }), BackupError, "backup_corrupted");
  await fails(restoreBackup({ ...blob, keys: 4 }, { passphrase: "correct horse" }), BackupError, "backup_corrupted");
  await fails(restoreBackup({ ...blob, v: 2 }, { passphrase: "correct horse" }), BackupError, "unsupported_version");
  await fails(e2ee.inspectBackup({ ...blob, v: 2 }), BackupError, "unsupported_version");
  await fails(restoreBackup({ ...blob, format: "other" }, { passphrase: "correct horse" }), BackupError, "unsupported_version");
});

test("Argon2id: the defaults, nothing weaker unless asked for by name, and range checks", async () => {
  const keyring = await ring();
  const blob = await createBackup(keyring, { passphrase: "slow but right" });
  assert.deepEqual([blob.m, blob.t, blob.p], [19456, 2, 1]);
  assert.deepEqual((await restoreBackup(blob, { passphrase: "slow but right" })).keyIds(), ["call-9", "room-42"]);
  await fails(createBackup(keyring, { passphrase: "p", argon2: { m: 64, t: 1, p: 1 } }), BackupError, "weak_kdf_params");
  await fails(createBackup(keyring, { passphrase: "p", argon2: { m: 4, t: 1, p: 1, dangerInsecureForTests: true } }), BackupError, "weak_kdf_params");
  const stronger = await createBackup(await createKeyring(), { passphrase: "p", argon2: { m: 19456, t: 3, p: 1 } });
  assert.equal(stronger.t, 3);
});

test("arguments: exactly one secret, of the right type; a keyring", async () => {
  const keyring = await ring();
  await fails(createBackup(keyring, {}), InvalidArgumentError, "invalid_argument");
  await fails(createBackup(keyring, { passphrase: "p", recoveryKey: "k" }), InvalidArgumentError, "invalid_argument");
  await fails(createBackup(keyring, { passphrase: 42 }), InvalidArgumentError, "invalid_argument");
  await fails(createBackup(keyring, { passphrase: "p", argon2: { m: 1.5, t: 1, p: 1 } }), InvalidArgumentError, "invalid_argument");
  await fails(createBackup({}, { passphrase: "p" }), InvalidArgumentError, "invalid_argument");
  await fails(restoreBackup(42, { passphrase: "p" }), InvalidArgumentError, "invalid_argument");
  await fails(restoreBackup("{", { passphrase: "p" }), BackupError, "backup_corrupted");
});
