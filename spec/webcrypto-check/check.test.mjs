// An independent implementation check of spec/envelope-v1.md using nothing but
// WebCrypto (crypto.subtle) and the spec text: no code from this repository.
// Run: node --test spec/webcrypto-check/
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";

const { subtle } = globalThis.crypto;
const vectors = JSON.parse(
  await readFile(new URL("../vectors/envelope-v1.json", import.meta.url), "utf8"),
);
const enc = new TextEncoder();
const hex = (b) => Buffer.from(b).toString("hex");
const fromHex = (h) => new Uint8Array(Buffer.from(h, "hex"));
const b64uDecode = (s) => {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) throw new Error("not base64url");
  const bytes = new Uint8Array(Buffer.from(s, "base64url"));
  if (Buffer.from(bytes).toString("base64url") !== s) throw new Error("non-canonical");
  return bytes;
};
const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
};
const u16 = (n) => new Uint8Array([n >> 8, n & 255]);
const u32 = (n) => new Uint8Array([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
const str16 = (s) => { const b = enc.encode(s ?? ""); return concat(u16(b.length), b); };

const KINDS = {
  chat: [1, ["room_id", "message_id"]],
  call: [2, ["call_id", "event_name"]],
  realtime: [3, ["scope", "scope_id", "event_name"]],
};

// Section 5.1: the AAD, built from the envelope header and the *expected* context.
function aad(header, context) {
  const [kindByte, fields] = KINDS[header.kind];
  return concat(enc.encode("domvia-e2ee"), new Uint8Array([1, 1, kindByte]),
    str16(header.kid), u32(header.kver), ...fields.map((f) => str16(context[f])));
}

// Section 4: the session key for a salt, and the key's commitment.
async function derive(rawKey, salt) {
  const ikm = await subtle.importKey("raw", rawKey, "HKDF", false, ["deriveBits"]);
  const expand = async (info) => new Uint8Array(await subtle.deriveBits(
    { name: "HKDF", hash: "SHA-256", salt: enc.encode("domvia-e2ee v1 extract"), info }, ikm, 256));
  return {
    sessionKey: await expand(concat(enc.encode("domvia-e2ee v1 session"), new Uint8Array([1]), salt)),
    commitment: await expand(concat(enc.encode("domvia-e2ee v1 commit"), new Uint8Array([1]))),
  };
}

const timingSafeEqual = (a, b) => a.length === b.length && a.reduce((d, x, i) => d | (x ^ b[i]), 0) === 0;

// Section 8, steps 6-8, for a parsed header; throws "auth_failed" or "invalid_plaintext".
async function open(rawKey, env, context) {
  const nonce = b64uDecode(env.nonce), commit = b64uDecode(env.commit), ct = b64uDecode(env.ct);
  if (nonce.length !== 44) throw new Error("malformed");
  const { sessionKey, commitment } = await derive(rawKey, nonce.slice(0, 32));
  if (!timingSafeEqual(commitment, commit)) throw new Error("auth_failed");
  const key = await subtle.importKey("raw", sessionKey, "AES-GCM", false, ["decrypt"]);
  let framed;
  try {
    framed = new Uint8Array(await subtle.decrypt(
      { name: "AES-GCM", iv: nonce.slice(32), additionalData: aad(env, context), tagLength: 128 }, key, ct));
  } catch { throw new Error("auth_failed"); }
  const len = new DataView(framed.buffer).getUint32(0);
  if (4 + len > framed.length || framed.slice(4 + len).some((b) => b !== 0)) throw new Error("invalid_plaintext");
  return new TextDecoder("utf-8", { fatal: true }).decode(framed.slice(4, 4 + len));
}

test("there are positive and negative vectors", () => {
  assert.ok(vectors.positive.length >= 7);
  assert.ok(vectors.negative.length >= 30);
});

for (const v of vectors.positive) {
  test(`positive ${v.name}: WebCrypto derives, seals and opens it`, async () => {
    const env = JSON.parse(v.envelope_json);
    assert.equal(env.v, 1);
    assert.equal(env.suite, "AES256GCM-HKDFSHA256");
    assert.equal(hex(aad(env, v.context)), v.aad, "AAD");
    const rawKey = fromHex(v.key);
    const nonce = fromHex(v.nonce);
    const { sessionKey, commitment } = await derive(rawKey, nonce.slice(0, 32));
    assert.equal(hex(sessionKey), v.session_key);
    assert.equal(hex(commitment), v.commitment);
    assert.equal(await open(rawKey, env, v.context), v.payload_json);

    // Reproduce the ciphertext from the framed plaintext.
    const key = await subtle.importKey("raw", sessionKey, "AES-GCM", false, ["encrypt"]);
    const sealed = await subtle.encrypt(
      { name: "AES-GCM", iv: nonce.slice(32), additionalData: fromHex(v.aad) }, key, fromHex(v.framed_plaintext));
    assert.equal(Buffer.from(sealed).toString("base64url"), env.ct);

    // The exported JWK is accepted by WebCrypto as an AES-256-GCM key with these bytes.
    const jwkKey = await subtle.importKey("jwk", v.key_jwk, "AES-GCM", true, ["encrypt", "decrypt"]);
    assert.equal(hex(new Uint8Array(await subtle.exportKey("raw", jwkKey))), v.key);
  });
}

for (const n of vectors.negative.filter((n) => ["auth_failed", "invalid_plaintext"].includes(n.error))) {
  test(`negative ${n.name}: WebCrypto refuses it with ${n.error}`, async () => {
    const env = JSON.parse(n.envelope_json);
    // Only envelopes whose header is well formed reach steps 6-8.
    await assert.rejects(open(fromHex(n.key), env, n.context), new RegExp(`^Error: ${n.error}$`));
  });
}
