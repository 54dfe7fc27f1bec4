// Interop with plain WebCrypto: a key exported as JWK works in crypto.subtle, a key
// WebCrypto generated works in the package, and envelopes cross between the package
// and an independent WebCrypto implementation of the format (bench/webcrypto-envelope.mjs).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as e2ee from "../index.js";
import { webCryptoEnvelopes } from "../bench/webcrypto-envelope.mjs";

const { subtle } = globalThis.crypto;
const CHAT = { roomId: "room-42", messageId: "msg-1" };

test("a key exported as JWK (and raw) is the same AES-256-GCM key in crypto.subtle", async () => {
  const key = await e2ee.generateAesGcmKey();
  const jwk = await e2ee.exportKey("jwk", key);
  assert.deepEqual(Object.keys(jwk).sort(), ["alg", "ext", "k", "key_ops", "kty"]);
  const cryptoKey = await subtle.importKey("jwk", jwk, "AES-GCM", true, ["encrypt", "decrypt"]);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await subtle.encrypt({ name: "AES-GCM", iv }, cryptoKey, new TextEncoder().encode("hi"));
  assert.equal(new TextDecoder().decode(await subtle.decrypt({ name: "AES-GCM", iv }, cryptoKey, ct)), "hi");
  const raw = new Uint8Array(await subtle.exportKey("raw", cryptoKey));
  assert.equal(Buffer.from(raw).toString("base64url"), await e2ee.exportKey("raw", key));
  // And back: the same key again.
  const again = await e2ee.importKey("jwk", await subtle.exportKey("jwk", cryptoKey));
  const env = await e2ee.encryptChatJson({ body: "x" }, key, { ...CHAT, keyId: "k", keyVersion: 1 });
  assert.deepEqual(await e2ee.decryptChatJson(env, again, CHAT), { body: "x" });
  assert.deepEqual(await e2ee.decryptChatJson(env, await e2ee.importKey("raw", raw), CHAT), { body: "x" });
});

test("a key WebCrypto generated, imported into the package, seals and opens", async () => {
  const cryptoKey = await subtle.generateKey({ name: "AES-GCM", length: 256 }, true, ["encrypt", "decrypt"]);
  const key = await e2ee.importKey("jwk", await subtle.exportKey("jwk", cryptoKey));
  const env = await e2ee.encryptRealtimeJson({ note: "n" }, key,
    { scope: "delivery", scopeId: "order-1001", eventName: "delivery.private_note", keyVersion: 1 });
  assert.deepEqual(await e2ee.decryptRealtimeJson(env, key,
    { scope: "delivery", scopeId: "order-1001", eventName: "delivery.private_note" }), { note: "n" });
  assert.equal(await e2ee.exportKey("raw", key), Buffer.from(await subtle.exportKey("raw", cryptoKey)).toString("base64url"));
  await assert.rejects(e2ee.importKey("jwk", await subtle.exportKey("jwk",
    await subtle.generateKey({ name: "AES-GCM", length: 128 }, true, ["encrypt"]))), { code: "invalid_jwk" });
});

test("envelopes cross between the package and an independent WebCrypto implementation", async () => {
  const key = await e2ee.generateAesGcmKey();
  const plain = await webCryptoEnvelopes(Buffer.from(await e2ee.exportKey("raw", key), "base64url"));
  const auto = e2ee.platformAesThreshold();
  try {
    for (const threshold of [Infinity, 0]) {
      e2ee.setPlatformAesThreshold(threshold);
      for (const payload of [{ body: "small" }, { body: "y".repeat(100_000) }]) {
        const label = { keyId: "room-42-v1", keyVersion: 7 };
        const fromPackage = await e2ee.encryptChatJson(payload, key, { ...CHAT, ...label });
        assert.deepEqual(await plain.open(fromPackage, "chat", CHAT), payload);
        const fromPlain = await plain.seal(payload, "chat", { ...CHAT, ...label });
        assert.deepEqual(await e2ee.decryptChatJson(fromPlain, key, CHAT), payload);
      }
    }
  } finally {
    e2ee.setPlatformAesThreshold(auto);
  }
});
