// Every vector of spec/vectors/key-lifecycle-v1.json that the package's API can take:
// devices (bundles, fingerprints) from their secret keys, safety numbers, key shares
// (positive ones open to their key, negative ones fail with their code for the receiver
// whose directory the vector gives), revocations, signed envelopes, key requests and
// responses, and backups (restored to their keyring); every negative vector fails with
// its code. Reproducing the HPKE `enc` from `ephemeral_ikm` needs the
// core's `_with_rng` functions: that is the Rust vector test's job.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import * as e2ee from "../index.js";

const vectors = JSON.parse(await readFile(new URL("../../../spec/vectors/key-lifecycle-v1.json", import.meta.url), "utf8"));
const b64u = (hex) => Buffer.from(hex, "hex").toString("base64url");

/** The device of a vector, from its secret keys, as a device-secret file. */
const secretOf = (d) => ({
  format: "domvia-device-secret", v: 1, user: d.user, device: d.device,
  hpke_sk: b64u(d.hpke_sk), sign_sk: b64u(d.sign_seed),
});
const devices = new Map();
for (const d of vectors.devices) devices.set(d.name, { vector: d, device: await e2ee.importDevice(secretOf(d)) });

async function fails(f, cls, code) {
  await assert.rejects(async () => f(), (error) => {
    assert.ok(error instanceof cls, `${error} is not a ${cls.name}`);
    assert.equal(error.code, code, error.message);
    return true;
  });
}

test("devices: the bundle, fingerprint and public keys follow from the secret keys", async () => {
  for (const { vector: v, device } of devices.values()) {
    assert.deepEqual(device.bundle(), JSON.parse(v.bundle_json), v.name);
    assert.equal(device.fingerprint(), v.fingerprint_digits);
    assert.equal(await e2ee.fingerprint(v.bundle_json), v.fingerprint_digits);
    assert.equal(device.userId, v.user);
    assert.deepEqual(device.exportSecret(), secretOf(v));
  }
});

test("safety numbers", async () => {
  for (const s of vectors.safety_numbers) {
    const [a, b] = [devices.get(s.a).vector.bundle_json, devices.get(s.b).vector.bundle_json];
    assert.equal(await e2ee.safetyNumber(a, b), s.digits);
    assert.equal(await e2ee.safetyNumber(JSON.parse(b), JSON.parse(a)), s.digits);
  }
});

/** The receiver of a share vector: its device, keyring, directory (revocations applied) and room. */
async function receiver(v) {
  const to = devices.get(v.to).device;
  const directory = await e2ee.createDeviceDirectory();
  for (const name of v.directory ?? [v.from]) directory.add(devices.get(name).vector.bundle_json);
  for (const name of v.revoked ?? []) {
    const revoked = devices.get(name);
    directory.applyRevocation(e2ee.createRevocation(revoked.device, revoked.vector.bundle_json));
  }
  let named = {};
  try {
    named = JSON.parse(v.share_json);
  } catch {
    // a malformed share: any room will do, the core refuses it first
  }
  const roomId = typeof named.room === "string" ? named.room : "room-42";
  const keyId = typeof named.kid === "string" ? named.kid : "room-42";
  const room = await e2ee.followRoom(to, { roomId, keyId });
  return { to, directory, room, keyring: await e2ee.createKeyring() };
}

describe("key shares", () => {
  for (const v of vectors.keyshares.positive) {
    test(`positive ${v.name} opens to its key`, async () => {
      const r = await receiver(v);
      const accepted = r.room.acceptShare(r.to, r.keyring, r.directory, v.share_json);
      const [user, device] = v.from.split("-");
      assert.deepEqual(accepted, { keyVersion: v.kver, from: { userId: user, deviceId: device } });
      const key = r.keyring.key(v.kid, v.kver);
      assert.equal(await e2ee.exportKey("raw", key), b64u(v.key));
      const parsed = await e2ee.parseKeyMessage(e2ee.KEY_EVENTS.share, v.share_json);
      assert.deepEqual(parsed, { type: "share", message: JSON.parse(v.share_json) });
    });
  }
  for (const v of vectors.keyshares.negative) {
    test(`negative ${v.name} fails with ${v.error}`, async () => {
      const r = await receiver(v);
      await fails(() => r.room.acceptShare(r.to, r.keyring, r.directory, v.share_json), e2ee.KeyLifecycleError, v.error);
      assert.deepEqual(r.keyring.keyIds(), []);
    });
  }
});

/** A directory holding the named devices' bundles, with `revoked` revoked (each by itself). */
async function directoryOf(names, revoked = []) {
  const directory = await e2ee.createDeviceDirectory();
  for (const name of names) directory.add(devices.get(name).vector.bundle_json);
  for (const name of revoked) {
    const r = devices.get(name);
    directory.applyRevocation(e2ee.createRevocation(r.device, r.vector.bundle_json));
  }
  return directory;
}
const refOf = (name) => {
  const { user, device } = devices.get(name).vector;
  return { userId: user, deviceId: device };
};

describe("revocations", () => {
  for (const v of vectors.revocations.positive) {
    test(`positive ${v.name} revokes ${v.revoked}`, async () => {
      const directory = await directoryOf(v.directory);
      assert.deepEqual(directory.applyRevocation(v.revocation_json), refOf(v.revoked));
      const [user, device] = [refOf(v.revoked).userId, refOf(v.revoked).deviceId];
      assert.equal(directory.status(user, device), "revoked");
      const parsed = await e2ee.parseKeyMessage(e2ee.KEY_EVENTS.revocation, v.revocation_json);
      assert.equal(parsed.message.revoked_at, v.revoked_at);
    });
  }
  for (const v of vectors.revocations.negative) {
    test(`negative ${v.name} fails with ${v.error}`, async () => {
      const directory = await directoryOf(v.directory, v.revoked);
      await fails(() => directory.applyRevocation(v.revocation_json), e2ee.KeyLifecycleError, v.error);
    });
  }
});

/** The package's context of a vector's (snake_case) context. */
const contextOf = (c) => ({
  kind: c.kind, roomId: c.room_id, messageId: c.message_id, callId: c.call_id,
  eventName: c.event_name, scope: c.scope, scopeId: c.scope_id,
});
const DECRYPT = { chat: e2ee.decryptChatJson, call: e2ee.decryptCallSignalJson, realtime: e2ee.decryptRealtimeJson };

describe("signed envelopes", () => {
  for (const v of vectors.signed_envelopes.positive) {
    test(`positive ${v.name}: the sender verifies and the envelope opens`, async () => {
      const directory = await directoryOf(v.directory);
      const context = contextOf(v.context);
      const verified = e2ee.verifySignedEnvelope(v.signed_json, directory, context);
      assert.deepEqual(verified.sender, refOf(v.signer));
      const key = await e2ee.importKey("raw", b64u(v.key));
      const { kind, ...ids } = context;
      assert.deepEqual(await DECRYPT[kind](verified.envelope, key, ids), v.payload);
      // Signing the same envelope again with the signer's keys gives the same bytes
      // (Ed25519 is deterministic).
      const again = e2ee.signEnvelope(devices.get(v.signer).device, verified.envelope, context);
      assert.deepEqual(again, JSON.parse(v.signed_json));
    });
  }
  for (const v of vectors.signed_envelopes.negative) {
    test(`negative ${v.name} fails with ${v.error}`, async () => {
      const directory = await directoryOf(v.directory, v.revoked);
      await fails(() => e2ee.verifySignedEnvelope(v.signed_json, directory, contextOf(v.context)), e2ee.KeyLifecycleError, v.error);
    });
  }
});

describe("recovery", () => {
  const { request, response } = vectors.recovery;
  test("the request verifies on the responder, and the response opens to its keyring", async () => {
    const responder = devices.get(response.from).device;
    const verified = e2ee.verifyKeyRequest(responder, request.request_json);
    assert.deepEqual(verified.bundle, JSON.parse(devices.get(request.new_device).vector.bundle_json));
    const newDevice = devices.get(response.to).device;
    const pending = e2ee.resumeKeyRequest(newDevice, request.request_json);
    const ring = await e2ee.createKeyring();
    const added = pending.accept(response.response_json, devices.get(response.from).vector.bundle_json, ring);
    const expected = typeof response.keyring_export === "string" ? JSON.parse(response.keyring_export) : response.keyring_export;
    assert.deepEqual(ring.export(), expected);
    assert.equal(added, expected.keys.reduce((n, k) => n + k.versions.length, 0));
  });
  for (const v of vectors.recovery.negative_requests) {
    test(`negative request ${v.name} fails with ${v.error}`, async () => {
      await fails(() => e2ee.verifyKeyRequest(devices.get(v.verifier).device, v.request_json), e2ee.KeyLifecycleError, v.error);
    });
  }
  for (const v of vectors.recovery.negative_responses) {
    test(`negative response ${v.name} fails with ${v.error}`, async () => {
      const pending = e2ee.resumeKeyRequest(devices.get(v.to).device, request.request_json);
      const ring = await e2ee.createKeyring();
      await fails(() => pending.accept(v.response_json, devices.get(v.responder).vector.bundle_json, ring), e2ee.KeyLifecycleError, v.error);
      assert.deepEqual(ring.keyIds(), []);
    });
  }
});

describe("backups", () => {
  for (const v of vectors.backups.positive) {
    test(`positive ${v.name} restores its keyring`, async () => {
      const secret = v.recovery_key ? { recoveryKey: v.recovery_key } : { passphrase: v.passphrase };
      const ring = await e2ee.restoreBackup(v.blob_json, secret);
      assert.deepEqual(ring.export(), v.keyring_export);
      const info = await e2ee.inspectBackup(JSON.parse(v.blob_json));
      assert.equal(info.keyCount, JSON.parse(v.blob_json).keys);
      assert.equal(info.kdf, v.recovery_key ? "recovery-key" : "argon2id");
    });
  }
  for (const v of vectors.backups.negative) {
    test(`negative ${v.name} fails with ${v.error}`, async () => {
      const secret = v.secret.recovery_key ? { recoveryKey: v.secret.recovery_key } : { passphrase: v.secret.passphrase };
      await fails(() => e2ee.restoreBackup(v.blob_json, secret), e2ee.BackupError, v.error);
    });
  }
});
