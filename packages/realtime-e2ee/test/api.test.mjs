// The API around the seed's functions: envelopes as event data, the two paths giving
// interchangeable envelopes, padding, the keyring with rotation, the replay guard.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as e2ee from "../index.js";

const CHAT = { roomId: "room-42", messageId: "msg-1" };
const LABEL = { keyId: "room-42-v1", keyVersion: 1 };
const auto = e2ee.platformAesThreshold();

async function withThreshold(threshold, f) {
  e2ee.setPlatformAesThreshold(threshold);
  try {
    return await f();
  } finally {
    e2ee.setPlatformAesThreshold(auto);
  }
}

test("the envelope travels as event data: JSON text or the parsed object", async () => {
  const key = await e2ee.generateAesGcmKey();
  const payload = { body: "Private message", list: [1, "two", null], nested: { ok: true }, n: 1.5 };
  const env = await e2ee.encryptChatJson(payload, key, { ...CHAT, ...LABEL });
  const wire = JSON.stringify({ event: "client-message", data: { messageId: "msg-1", encrypted: env } });
  const received = JSON.parse(wire).data.encrypted;
  assert.deepEqual(await e2ee.decryptChatJson(received, key, CHAT), payload);
  assert.deepEqual(await e2ee.decryptChatJson(JSON.stringify(received), key, CHAT), payload);
  for (const value of [null, 0, "text", [1, 2], true]) {
    const sealed = await e2ee.encryptChatJson(value, key, { ...CHAT, ...LABEL });
    assert.deepEqual(await e2ee.decryptChatJson(sealed, key, CHAT), value);
  }
});

test("both paths make interchangeable envelopes, at every size", async () => {
  const key = await e2ee.generateAesGcmKey();
  for (const size of [0, 100, 2000, 5000, 70_000]) {
    const payload = { body: "é".repeat(size) };
    const viaWasm = await withThreshold(Infinity, () => e2ee.encryptChatJson(payload, key, { ...CHAT, ...LABEL }));
    const viaPlatform = await withThreshold(0, () => e2ee.encryptChatJson(payload, key, { ...CHAT, ...LABEL }));
    assert.equal(viaWasm.ct.length, viaPlatform.ct.length);
    assert.deepEqual(await withThreshold(0, () => e2ee.decryptChatJson(viaWasm, key, CHAT)), payload);
    assert.deepEqual(await withThreshold(Infinity, () => e2ee.decryptChatJson(viaPlatform, key, CHAT)), payload);
  }
});

test("padding coarsens the ciphertext length, on both paths", async () => {
  const key = await e2ee.generateAesGcmKey();
  const ctBytes = (env) => Buffer.from(env.ct, "base64url").length;
  for (const threshold of [Infinity, 0]) {
    await withThreshold(threshold, async () => {
      const seal = (body, padding) => e2ee.encryptChatJson({ body }, key, { ...CHAT, ...LABEL, padding });
      assert.equal(ctBytes(await seal("ok", "none")), 4 + JSON.stringify({ body: "ok" }).length + 16);
      assert.equal(ctBytes(await seal("ok", "power-of-two")), 32 + 16);
      assert.equal(ctBytes(await seal("a longer message".repeat(3), "power-of-two")), 64 + 16);
      assert.equal(ctBytes(await seal("ok", "multiple:256")), 256 + 16);
      const padded = await seal("ok", "multiple:256");
      assert.deepEqual(await e2ee.decryptChatJson(padded, key, CHAT), { body: "ok" });
    });
  }
});

test("keys export and import as raw and JWK, and compare by material", async () => {
  const key = await e2ee.generateAesGcmKey();
  const raw = await e2ee.exportKey("raw", key);
  assert.match(raw, /^[A-Za-z0-9_-]{43}$/);
  const jwk = await e2ee.exportKey("jwk", key);
  assert.deepEqual(jwk, { kty: "oct", k: raw, alg: "A256GCM", ext: true, key_ops: ["encrypt", "decrypt"] });
  for (const imported of [
    await e2ee.importKey("raw", raw),
    await e2ee.importKey("raw", Buffer.from(raw, "base64url")),
    await e2ee.importKey("jwk", jwk),
    await e2ee.importKey("jwk", JSON.stringify(jwk)),
  ]) {
    assert.ok(imported instanceof e2ee.AesGcmKey);
    assert.equal(await e2ee.exportKey("raw", imported), raw);
  }
  assert.ok(!JSON.stringify({ key }).includes(raw), "a key never serializes its bytes");
  assert.ok(!(await import("node:util")).inspect(key, { showHidden: true }).includes(raw));
});

test("a keyring seals with the current version, opens every held one, rotates and retires", async () => {
  for (const threshold of [Infinity, 0]) {
    await withThreshold(threshold, async () => {
      const ring = await e2ee.createKeyring();
      assert.equal(ring.generate("room-42"), 1);
      const options = { ...CHAT, keyId: "room-42" };
      const v1 = await e2ee.encryptChatJson({ body: "before" }, ring, options);
      assert.equal(v1.kver, 1);
      assert.equal(ring.rotate("room-42"), 2);
      assert.equal(ring.currentVersion("room-42"), 2);
      const v2 = await e2ee.encryptChatJson({ body: "after" }, ring, options);
      assert.equal(v2.kver, 2);
      const explicit = await e2ee.encryptChatJson({ body: "old" }, ring, { ...options, keyVersion: 1 });
      assert.equal(explicit.kver, 1);
      assert.deepEqual(await e2ee.decryptChatJson(v1, ring, CHAT), { body: "before" });
      assert.deepEqual(await e2ee.decryptChatJson(v2, ring, CHAT), { body: "after" });
      assert.deepEqual(ring.versions("room-42"), [1, 2]);
      assert.deepEqual(ring.keyIds(), ["room-42"]);

      // A version opens with its key alone, too, and a backup restores everything.
      assert.deepEqual(await e2ee.decryptChatJson(v2, ring.key("room-42", 2), CHAT), { body: "after" });
      const restored = await e2ee.importKeyring(JSON.parse(JSON.stringify(ring.export())));
      assert.deepEqual(await e2ee.decryptChatJson(v1, restored, CHAT), { body: "before" });

      ring.retire("room-42", 1);
      await assert.rejects(e2ee.decryptChatJson(v1, ring, CHAT), { code: "unknown_key" });
      assert.equal(ring.key("room-42", 1), undefined);
      assert.equal(ring.retireOlderThan("room-42", 5), 0);

      // A key received from another member joins as a version.
      const shared = await e2ee.generateAesGcmKey();
      ring.insert("room-42", 3, shared);
      const v3 = await e2ee.encryptChatJson({ body: "shared" }, shared, { ...CHAT, keyId: "room-42", keyVersion: 3 });
      assert.deepEqual(await e2ee.decryptChatJson(v3, ring, CHAT), { body: "shared" });
      assert.equal(ring.currentVersion("room-42"), 3);
      ring.remove("room-42");
      assert.equal(ring.currentVersion("room-42"), undefined);
      assert.ok(!JSON.stringify({ ring }).includes(restored.export().keys[0].versions[0].key));
    });
  }
});

test("call and realtime envelopes take a keyring with a key id", async () => {
  const ring = await e2ee.createKeyring();
  ring.generate("call-9001");
  const call = { callId: "call-9001", eventName: "call.ice" };
  const env = await e2ee.encryptCallSignalJson({ candidate: "c" }, ring, { ...call, keyId: "call-9001" });
  assert.equal(env.kid, "call-9001");
  assert.deepEqual(await e2ee.decryptCallSignalJson(env, ring, call), { candidate: "c" });
  await assert.rejects(e2ee.encryptCallSignalJson({}, ring, call), { code: "invalid_argument" });
});

test("the replay guard accepts an envelope once per context, with a key or a keyring", async () => {
  const key = await e2ee.generateAesGcmKey();
  const guard = await e2ee.createReplayGuard({ capacity: 2 });
  assert.equal(guard.size, 0);
  const envs = [];
  for (let i = 0; i < 3; i++) envs.push(await e2ee.encryptChatJson({ i }, key, { ...CHAT, ...LABEL }));
  const open = (env) => e2ee.decryptChatJson(env, key, { ...CHAT, replayGuard: guard });
  assert.deepEqual(await open(envs[0]), { i: 0 });
  await assert.rejects(open(envs[0]), { code: "replayed" });
  // A forgery does not enter the guard.
  await assert.rejects(e2ee.decryptChatJson(envs[1], key, { ...CHAT, messageId: "msg-2", replayGuard: guard }), { code: "auth_failed" });
  assert.deepEqual(await open(envs[1]), { i: 1 });
  assert.deepEqual(await open(envs[2]), { i: 2 });
  assert.equal(guard.size, 2);
  assert.deepEqual(await open(envs[0]), { i: 0 }, "evicted from a guard of capacity 2");
  // Large payloads go through the core too: the guard records only what the core opened.
  const big = await e2ee.encryptChatJson({ body: "z".repeat(100_000) }, key, { ...CHAT, ...LABEL });
  assert.equal((await open(big)).body.length, 100_000);
  await assert.rejects(open(big), { code: "replayed" });

  const ring = await e2ee.createKeyring();
  ring.generate("room-42");
  const ringGuard = await e2ee.createReplayGuard();
  const env = await e2ee.encryptChatJson({ r: 1 }, ring, { ...CHAT, keyId: "room-42" });
  assert.deepEqual(await e2ee.decryptChatJson(env, ring, { ...CHAT, replayGuard: ringGuard }), { r: 1 });
  await assert.rejects(e2ee.decryptChatJson(env, ring, { ...CHAT, replayGuard: ringGuard }), { code: "replayed" });
});

test("init() loads the module once; a custom source works", async () => {
  const { readFile } = await import("node:fs/promises");
  const wasm = await readFile(new URL("../wasm/domvia_e2ee_wasm_bg.wasm", import.meta.url));
  const first = await e2ee.init();
  assert.equal(await e2ee.init(wasm), first, "later calls return the loaded module");
});
