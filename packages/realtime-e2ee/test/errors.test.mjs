// Errors: every code of spec/errors.md that the package can raise, with its class; bad
// arguments throw clear errors; none of them hurts the WebAssembly instance (a round
// trip after each still works), and no message shows a key or a payload.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as e2ee from "../index.js";
import { init } from "../lib/load.js";
import { wasmKeyOf } from "../lib/keys.js";

const {
  E2eeError, InvalidArgumentError, KeyringError, OpenError, SealError,
  createKeyring, createReplayGuard, decryptCallSignalJson, decryptChatJson, encryptCallSignalJson,
  encryptChatJson, encryptRealtimeJson, exportKey, generateAesGcmKey, importKey, importKeyring,
} = e2ee;

const CHAT = { roomId: "room-42", messageId: "msg-1" };
const LABEL = { keyId: "room-42-v1", keyVersion: 1 };
const key = await generateAesGcmKey();
const raw = await exportKey("raw", key);
const SECRET = "the secret payload";
const seen = new Set();

/** Expects `promise` to reject with `cls` and `code`, then checks the instance still works. */
async function fails(promise, cls, code, hint) {
  let error;
  try {
    await promise;
  } catch (e) {
    error = e;
  }
  assert.ok(error, `expected ${code}, got success`);
  assert.ok(error instanceof cls, `${code}: ${error} is not a ${cls.name}`);
  assert.ok(error instanceof E2eeError && error instanceof Error);
  assert.equal(error.code, code, error.message);
  assert.equal(error.name, cls.name);
  if (hint) assert.match(error.message, hint);
  assert.ok(!error.message.includes(raw) && !error.message.includes(SECRET), error.message);
  seen.add(code);
  const env = await encryptChatJson({ body: SECRET }, key, { ...CHAT, ...LABEL });
  assert.deepEqual(await decryptChatJson(env, key, CHAT), { body: SECRET });
}

test("bad arguments: invalid_argument with a message naming the argument", async () => {
  const env = await encryptChatJson({ body: SECRET }, key, { ...CHAT, ...LABEL });
  await fails(encryptChatJson({}, key, { messageId: "m", ...LABEL }), InvalidArgumentError, "invalid_argument", /options\.roomId must be a string; got undefined/);
  await fails(encryptChatJson({}, key, { ...CHAT, keyVersion: 1 }), InvalidArgumentError, "invalid_argument", /keyId/);
  await fails(encryptChatJson({}, key, { ...CHAT, keyId: "k" }), InvalidArgumentError, "invalid_argument", /keyVersion must be an integer/);
  await fails(encryptChatJson({}, key, { ...CHAT, ...LABEL, keyVersion: "1" }), InvalidArgumentError, "invalid_argument", /keyVersion/);
  await fails(encryptChatJson({}, key, { ...CHAT, ...LABEL, keyVersion: 1.5 }), InvalidArgumentError, "invalid_argument");
  await fails(encryptChatJson({}, key, { ...CHAT, roomId: 42, ...LABEL }), InvalidArgumentError, "invalid_argument", /got 42/);
  await fails(encryptChatJson({}, key), InvalidArgumentError, "invalid_argument", /options must be an object/);
  await fails(encryptChatJson({}, "not a key", { ...CHAT, ...LABEL }), InvalidArgumentError, "invalid_argument", /AesGcmKey/);
  await fails(encryptChatJson({}, { k: raw }, { ...CHAT, ...LABEL }), InvalidArgumentError, "invalid_argument", /AesGcmKey/);
  const cryptoKey = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, true, ["encrypt"]);
  await fails(encryptChatJson({}, cryptoKey, { ...CHAT, ...LABEL }), InvalidArgumentError, "invalid_argument", /importKey\("jwk"/);
  await fails(decryptChatJson(env, undefined, CHAT), InvalidArgumentError, "invalid_argument");
  await fails(decryptChatJson(env, key, { roomId: "room-42" }), InvalidArgumentError, "invalid_argument", /messageId/);
  await fails(decryptChatJson(env, key, { ...CHAT, replayGuard: {} }), InvalidArgumentError, "invalid_argument", /ReplayGuard/);
  await fails(encryptChatJson({}, key, { ...CHAT, ...LABEL, padding: 64 }), InvalidArgumentError, "invalid_argument", /padding/);
  await fails(importKey("pem", raw), InvalidArgumentError, "invalid_argument", /format/);
  await fails(importKey("raw", 42), InvalidArgumentError, "invalid_argument");
  await fails(importKey("jwk", 42), InvalidArgumentError, "invalid_argument");
  await fails(exportKey("raw", cryptoKey), InvalidArgumentError, "invalid_argument");
  await fails(exportKey("spki", key), InvalidArgumentError, "invalid_argument");
  await fails(createReplayGuard({ capacity: 0.5 }), InvalidArgumentError, "invalid_argument");
  await fails(createReplayGuard({ capacity: 0 }), InvalidArgumentError, "invalid_argument");
  assert.throws(() => e2ee.setPlatformAesThreshold(-1), InvalidArgumentError);
  assert.throws(() => new e2ee.AesGcmKey(), TypeError);
});

test("input errors carry the core's codes", async () => {
  await fails(encryptChatJson({}, key, { ...CHAT, roomId: "", ...LABEL }), InvalidArgumentError, "invalid_identifier", /room id must not be empty/);
  await fails(encryptChatJson({}, key, { ...CHAT, messageId: "a\nb", ...LABEL }), InvalidArgumentError, "invalid_identifier", /control character/);
  await fails(encryptChatJson({}, key, { ...CHAT, messageId: "é".repeat(128), ...LABEL }), InvalidArgumentError, "invalid_identifier", /256 bytes/);
  await fails(decryptCallSignalJson({}, key, { callId: "c", eventName: "" }), InvalidArgumentError, "invalid_identifier");
  for (const keyVersion of [0, -1, 2 ** 32, Number.MAX_SAFE_INTEGER]) {
    await fails(encryptChatJson({}, key, { ...CHAT, ...LABEL, keyVersion }), InvalidArgumentError, "invalid_key_version");
  }
  await fails(importKey("raw", "AAAA"), InvalidArgumentError, "invalid_key", /3 bytes/);
  await fails(importKey("raw", `${raw}=`), InvalidArgumentError, "invalid_key");
  await fails(importKey("raw", new Uint8Array(16)), InvalidArgumentError, "invalid_key", /16 bytes/);
  await fails(importKey("jwk", { kty: "RSA", k: raw }), InvalidArgumentError, "invalid_jwk", /kty/);
  await fails(importKey("jwk", { kty: "oct", k: raw, alg: "A128GCM" }), InvalidArgumentError, "invalid_jwk");
  await fails(importKey("jwk", "{"), InvalidArgumentError, "invalid_jwk");
  for (const padding of ["bucket", "multiple:0", "multiple:65537"]) {
    await fails(encryptChatJson({}, key, { ...CHAT, ...LABEL, padding }), InvalidArgumentError, "invalid_padding");
  }
});

test("sealing errors", async () => {
  const circular = {};
  circular.self = circular;
  for (const payload of [undefined, () => 1, 10n, circular]) {
    await fails(encryptChatJson(payload, key, { ...CHAT, ...LABEL }), SealError, "invalid_payload");
  }
  // 9 Mi two-byte characters: under 16 Mi UTF-16 units, over 16 MiB of UTF-8 (the core's count).
  await fails(encryptChatJson("é".repeat(9 * 1024 * 1024), key, { ...CHAT, ...LABEL }), SealError, "payload_too_large");
  await fails(encryptChatJson("x".repeat(16 * 1024 * 1024 + 1), key, { ...CHAT, ...LABEL }), SealError, "payload_too_large");
  const ring = await createKeyring();
  await fails(encryptChatJson({}, ring, { ...CHAT, keyId: "absent" }), SealError, "unknown_key");
  const auto = e2ee.platformAesThreshold();
  e2ee.setPlatformAesThreshold(0);
  try {
    await fails(encryptChatJson({}, ring, { ...CHAT, keyId: "absent" }), SealError, "unknown_key");
  } finally {
    e2ee.setPlatformAesThreshold(auto);
  }
});

test("opening errors, on both paths", async () => {
  const env = await encryptChatJson({ body: SECRET }, key, { ...CHAT, ...LABEL });
  const other = await generateAesGcmKey();
  const auto = e2ee.platformAesThreshold();
  for (const threshold of [Infinity, 0]) {
    e2ee.setPlatformAesThreshold(threshold);
    try {
      await fails(decryptChatJson("not json", key, CHAT), OpenError, "malformed");
      await fails(decryptChatJson(null, key, CHAT), OpenError, "malformed");
      await fails(decryptChatJson(undefined, key, CHAT), OpenError, "malformed");
      await fails(decryptChatJson({ ...env, extra: 1 }, key, CHAT), OpenError, "malformed", /unknown member/);
      await fails(decryptChatJson({ ...env, ct: 42 }, key, CHAT), OpenError, "malformed");
      await fails(decryptChatJson({ ...env, ct: `${env.ct}=` }, key, CHAT), OpenError, "malformed");
      await fails(decryptChatJson({ ...env, ct: ` ${env.ct}` }, key, CHAT), OpenError, "malformed");
      await fails(decryptChatJson({ ...env, ct: `+${env.ct.slice(1)}` }, key, CHAT), OpenError, "malformed");
      await fails(decryptChatJson({ ...env, ct: "AAAA" }, key, CHAT), OpenError, "malformed");
      await fails(decryptChatJson({ ...env, v: 2 }, key, CHAT), OpenError, "unsupported_version");
      await fails(decryptChatJson({ ...env, suite: "X" }, key, CHAT), OpenError, "unsupported_suite");
      await fails(decryptCallSignalJson(env, key, { callId: "c", eventName: "e" }), OpenError, "kind_mismatch");
      await fails(decryptChatJson(env, other, CHAT), OpenError, "auth_failed");
      await fails(decryptChatJson(env, key, { ...CHAT, messageId: "msg-2" }), OpenError, "auth_failed");
      const ring = await createKeyring();
      await fails(decryptChatJson(env, ring, CHAT), OpenError, "unknown_key");
    } finally {
      e2ee.setPlatformAesThreshold(auto);
    }
  }
});

test("a payload that is not JSON opens to invalid_payload, without quoting it", async () => {
  const wasm = await init();
  const notJson = new TextEncoder().encode(`{"body": "${SECRET}"`);
  const env = JSON.parse(wasm.seal(wasmKeyOf(key), "chat", "room-42", "msg-1", "", "k", 1, "none", notJson));
  const auto = e2ee.platformAesThreshold();
  for (const threshold of [Infinity, 0]) {
    e2ee.setPlatformAesThreshold(threshold);
    try {
      await fails(decryptChatJson(env, key, CHAT), OpenError, "invalid_payload");
    } finally {
      e2ee.setPlatformAesThreshold(auto);
    }
  }
});

test("replay and keyring errors", async () => {
  const guard = await createReplayGuard({ capacity: 16 });
  const env = await encryptChatJson({ body: SECRET }, key, { ...CHAT, ...LABEL });
  await decryptChatJson(env, key, { ...CHAT, replayGuard: guard });
  await fails(decryptChatJson(env, key, { ...CHAT, replayGuard: guard }), OpenError, "replayed");

  const ring = await createKeyring();
  ring.generate("room-42");
  const failsNow = (f, code) => fails(Promise.resolve().then(f), KeyringError, code);
  await failsNow(() => ring.generate("room-42"), "key_id_exists");
  await failsNow(() => ring.rotate("absent"), "unknown_key");
  await failsNow(() => ring.retire("room-42", 1), "retire_current");
  await failsNow(() => ring.retire("room-42", 7), "unknown_key");
  await failsNow(() => ring.insert("room-42", 1, key), "version_conflict");
  ring.insert("last", 2 ** 32 - 1, key);
  await failsNow(() => ring.rotate("last"), "versions_exhausted");
  await fails(importKeyring({ format: "other", v: 1, keys: [] }), KeyringError, "invalid_export");
  await fails(importKeyring("{}"), KeyringError, "invalid_export");
  await fails(Promise.resolve().then(() => ring.generate("")), InvalidArgumentError, "invalid_identifier");
});

test("every code of spec/errors.md that the package raises was seen", () => {
  const expected = [
    "invalid_argument", "invalid_identifier", "invalid_key_version", "invalid_key", "invalid_jwk",
    "invalid_padding", "invalid_payload", "payload_too_large", "unknown_key", "malformed",
    "unsupported_version", "unsupported_suite", "kind_mismatch", "auth_failed", "replayed",
    "key_id_exists", "version_conflict", "retire_current", "versions_exhausted", "invalid_export",
  ];
  // invalid_plaintext is raised by the vectors (vectors.test.mjs); internal cannot be.
  assert.deepEqual([...seen].sort(), [...expected].sort());
});
