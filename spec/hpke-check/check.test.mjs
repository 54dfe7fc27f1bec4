// Interop check of spec/key-lifecycle.md section 4 (key shares) with @hpke/core, an
// independent RFC 9180 implementation, node:crypto (Ed25519) and WebCrypto (HKDF): no
// code from this repository.
//  - @hpke/core opens every key share Rust sealed (spec/vectors/key-lifecycle-v1.json),
//    and reproduces its enc and ct from the same ephemeral key material;
//  - it refuses the negative shares that reach the signature or HPKE;
//  - it opens the key response (section 6.1) to the section 8.2 plaintext and reproduces
//    it; node:crypto verifies requests, responses and revocations over bytes rebuilt here;
//  - it seals shares of its own (spec/vectors/keyshare-js-v1.json), which the Rust test
//    `shares_sealed_by_hpke_js_open_in_rust` opens. Regenerate with
//    DOMVIA_WRITE_VECTORS=1 node --test spec/hpke-check/
// Run: (cd spec/hpke-check && npm ci) && node --test spec/hpke-check/
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { createHash, createPrivateKey, createPublicKey, sign, verify } from "node:crypto";
import { Aes256Gcm, CipherSuite, HkdfSha256 } from "@hpke/core";
import { DhkemX25519HkdfSha256 } from "@hpke/dhkem-x25519";

const suite = new CipherSuite({
  kem: new DhkemX25519HkdfSha256(),
  kdf: new HkdfSha256(),
  aead: new Aes256Gcm(),
});
const vectorsUrl = new URL("../vectors/key-lifecycle-v1.json", import.meta.url);
const jsVectorsUrl = new URL("../vectors/keyshare-js-v1.json", import.meta.url);
const vectors = JSON.parse(await readFile(vectorsUrl, "utf8"));
const enc = new TextEncoder();
const hex = (b) => Buffer.from(b).toString("hex");
const fromHex = (h) => new Uint8Array(Buffer.from(h, "hex"));
const b64u = (b) => Buffer.from(b).toString("base64url");
const b64uDecode = (s) => {
  const bytes = new Uint8Array(Buffer.from(s, "base64url"));
  if (b64u(bytes) !== s) throw new Error("non-canonical base64url");
  return bytes;
};
const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
};
const str16 = (s) => { const b = enc.encode(s); return concat(new Uint8Array([b.length >> 8, b.length & 255]), b); };
const u32 = (n) => new Uint8Array([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
const sha256 = (s) => new Uint8Array(createHash("sha256").update(s).digest());
const device = (name) => vectors.devices.find((d) => d.name === name);

// Section 4.2.
const info = (s) => concat(str16("domvia-keyshare v1"), str16(s.room), str16(s.kid), u32(s.kver),
  str16(s.from_user), str16(s.from_device), str16(s.to_user), str16(s.to_device));
const shareTbs = (s) => concat(str16("domvia-keyshare-sig v1"), info(s),
  b64uDecode(s.commit), b64uDecode(s.enc), b64uDecode(s.ct));

// spec/envelope-v1.md section 4: the key commitment, with WebCrypto's HKDF.
async function commitment(rawKey) {
  const ikm = await crypto.subtle.importKey("raw", rawKey, "HKDF", false, ["deriveBits"]);
  return new Uint8Array(await crypto.subtle.deriveBits({ name: "HKDF", hash: "SHA-256",
    salt: enc.encode("domvia-e2ee v1 extract"),
    info: concat(enc.encode("domvia-e2ee v1 commit"), new Uint8Array([1])) }, ikm, 256));
}

const edPublic = (d) => createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: b64u(fromHex(d.sign_pk)) }, format: "jwk" });
const edPrivate = (d) => createPrivateKey({ key: { kty: "OKP", crv: "Ed25519",
  d: b64u(fromHex(d.sign_seed)), x: b64u(fromHex(d.sign_pk)) }, format: "jwk" });

// Section 4.3 steps 4 and 5, for a receiver device; returns the 32-byte key.
async function openShare(s, to) {
  const from = vectors.devices.find((d) => d.user === s.from_user && d.device === s.from_device);
  if (!verify(null, shareTbs(s), edPublic(from), b64uDecode(s.sig))) throw new Error("bad_signature");
  const recipientKey = await suite.kem.deserializePrivateKey(fromHex(to.hpke_sk));
  let key;
  try {
    key = new Uint8Array(await suite.open({ recipientKey, enc: b64uDecode(s.enc), info: info(s) },
      b64uDecode(s.ct), b64uDecode(s.commit)));
  } catch { throw new Error("auth_failed"); }
  if (key.length !== 32 || hex(await commitment(key)) !== hex(b64uDecode(s.commit))) throw new Error("auth_failed");
  return key;
}

test("device keys: @hpke/core derives the same X25519 key pairs", async () => {
  for (const d of vectors.devices) {
    const pair = await suite.kem.deriveKeyPair(fromHex(d.hpke_ikm));
    // RFC 9180 section 7.1.2: SerializePrivateKey MUST clamp X25519 keys; rust-hpke does,
    // @hpke/core returns the unclamped bytes (the same key: X25519 clamps on use).
    const sk = new Uint8Array(await suite.kem.serializePrivateKey(pair.privateKey));
    sk[0] &= 248; sk[31] &= 127; sk[31] |= 64;
    assert.equal(hex(sk), d.hpke_sk, d.name);
    assert.equal(hex(await suite.kem.serializePublicKey(pair.publicKey)), d.hpke_pk, d.name);
    const bundle = JSON.parse(d.bundle_json);
    assert.ok(verify(null, fromHex(d.bundle_tbs), edPublic(d), b64uDecode(bundle.sig)), d.name);
  }
});

test("@hpke/core opens every share Rust sealed, and reproduces it", async () => {
  const positive = vectors.keyshares.positive;
  assert.ok(positive.length >= 3);
  for (const p of positive) {
    const s = JSON.parse(p.share_json);
    assert.equal(hex(info(s)), p.info, p.name);
    assert.equal(hex(shareTbs(s)), p.share_tbs, p.name);
    const key = await openShare(s, device(p.to));
    assert.equal(hex(key), p.key, p.name);
    // Sealing again from the same ephemeral key material gives the same bytes.
    const recipientPublicKey = await suite.kem.deserializePublicKey(fromHex(device(p.to).hpke_pk));
    const sealed = await suite.seal({ recipientPublicKey, info: info(s), ekm: fromHex(p.ephemeral_ikm) },
      key, fromHex(p.aad));
    assert.equal(hex(sealed.enc), p.enc, p.name);
    assert.equal(hex(sealed.ct), p.ct, p.name);
  }
});

test("negative shares that reach the signature or HPKE are refused", async () => {
  let checked = 0;
  for (const n of vectors.keyshares.negative) {
    if (n.error !== "bad_signature" && n.error !== "auth_failed") continue;
    const s = JSON.parse(n.share_json);
    await assert.rejects(openShare(s, device(n.to)), new RegExp(n.error), n.name);
    checked++;
  }
  assert.ok(checked >= 8);
});

// Shares sealed here, opened by Rust.
async function makeJsShares() {
  const cases = [
    ["js-alice-to-bob", "alice-phone", "bob-laptop", "room-js", "room-js", 3],
    ["js-bob-to-alice-laptop", "bob-laptop", "alice-laptop", "réunion ✓", "réunion/2", 1],
  ];
  const shares = [];
  for (const [name, fromName, toName, room, kid, kver] of cases) {
    const from = device(fromName), to = device(toName);
    const key = sha256(`js-key:${name}`);
    const s = { format: "domvia-keyshare", v: 1, room, kid, kver,
      from_user: from.user, from_device: from.device, to_user: to.user, to_device: to.device,
      commit: b64u(await commitment(key)) };
    const recipientPublicKey = await suite.kem.deserializePublicKey(fromHex(to.hpke_pk));
    const sealed = await suite.seal({ recipientPublicKey, info: info(s), ekm: sha256(`js-ekm:${name}`) },
      key, b64uDecode(s.commit));
    s.enc = b64u(new Uint8Array(sealed.enc));
    s.ct = b64u(new Uint8Array(sealed.ct));
    s.sig = b64u(sign(null, shareTbs(s), edPrivate(from)));
    shares.push({ name, from: fromName, to: toName, key: hex(key), share_json: JSON.stringify(s) });
  }
  return { description: "Key shares sealed by @hpke/core and signed by node:crypto (spec/hpke-check/check.test.mjs), for devices of key-lifecycle-v1.json; Rust must open each to key.", shares };
}

test("shares sealed by @hpke/core match the committed file that Rust opens", async () => {
  const fresh = await makeJsShares();
  if (process.env.DOMVIA_WRITE_VECTORS) await writeFile(jsVectorsUrl, JSON.stringify(fresh, null, 2) + "\n");
  const committed = JSON.parse(await readFile(jsVectorsUrl, "utf8"));
  assert.deepEqual(committed, fresh);
  for (const s of fresh.shares) {
    assert.equal(hex(await openShare(JSON.parse(s.share_json), device(s.to))), s.key, s.name);
  }
});

// Sections 6.1 and 6.3: key requests, key responses and revocations, rebuilt here.
const bundleTbs = (b) => concat(str16("domvia-device v1"), str16(b.user), str16(b.device),
  b64uDecode(b.hpke_pk), b64uDecode(b.sign_pk));
const requestTbs = (r) => concat(str16("domvia-key-request v1"), b64uDecode(r.request_id), bundleTbs(r.bundle));
const responseInfo = (r) => concat(str16("domvia-key-response v1"), b64uDecode(r.request_id),
  str16(r.user), str16(r.from_device), str16(r.to_device));
const responseTbs = (r) => concat(str16("domvia-key-response-sig v1"), responseInfo(r), u32(r.keys),
  b64uDecode(r.enc), b64uDecode(r.ct));
const u64 = (n) => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, BigInt(n)); return b; };
const revocationTbs = (r) => concat(str16("domvia-revocation v1"), str16(r.user), str16(r.device),
  b64uDecode(r.fingerprint), str16(r.by_device), u64(r.revoked_at));

test("@hpke/core opens the key response Rust sealed to the spec's keys plaintext, and reproduces it", async () => {
  const { request, response } = vectors.recovery;
  const rq = JSON.parse(request.request_json);
  const newDevice = device(request.new_device);
  assert.equal(hex(requestTbs(rq)), request.request_tbs);
  assert.ok(verify(null, requestTbs(rq), edPublic(newDevice), b64uDecode(rq.sig)));
  const rs = JSON.parse(response.response_json);
  assert.equal(hex(responseInfo(rs)), response.info);
  assert.equal(hex(responseTbs(rs)), response.response_tbs);
  assert.ok(verify(null, responseTbs(rs), edPublic(device(response.from)), b64uDecode(rs.sig)));
  const recipientKey = await suite.kem.deserializePrivateKey(fromHex(device(response.to).hpke_sk));
  const pt = new Uint8Array(await suite.open({ recipientKey, enc: b64uDecode(rs.enc), info: responseInfo(rs) },
    b64uDecode(rs.ct), u32(rs.keys)));
  assert.equal(hex(pt), response.keys_plaintext);
  // Section 8.2: N entries of 298 bytes, each carrying a key of the expected export.
  const n = new DataView(pt.buffer).getUint32(0);
  assert.equal(n, rs.keys);
  assert.equal(pt.length, 4 + 298 * n);
  const exported = response.keyring_export.keys.flatMap((k) => k.versions.map((v) => v.key));
  for (let i = 0; i < n; i++) {
    const key = pt.subarray(4 + 298 * i + 9, 4 + 298 * i + 41);
    assert.equal(b64u(key), exported[i]);
  }
  const recipientPublicKey = await suite.kem.deserializePublicKey(fromHex(device(response.to).hpke_pk));
  const sealed = await suite.seal({ recipientPublicKey, info: responseInfo(rs), ekm: fromHex(response.ephemeral_ikm) },
    pt, u32(rs.keys));
  assert.equal(hex(sealed.enc), response.enc);
  assert.equal(hex(sealed.ct), response.ct);
});

test("node:crypto verifies every revocation over the spec's revocation_tbs, and no altered one", () => {
  for (const p of vectors.revocations.positive) {
    const r = JSON.parse(p.revocation_json);
    assert.equal(hex(revocationTbs(r)), p.revocation_tbs, p.name);
    assert.ok(verify(null, revocationTbs(r), edPublic(device(p.signer)), b64uDecode(r.sig)), p.name);
  }
  const tampered = vectors.revocations.negative.find((n) => n.name === "revoked-at-changed");
  const r = JSON.parse(tampered.revocation_json);
  const signer = vectors.devices.find((d) => d.user === r.user && d.device === r.by_device);
  assert.equal(verify(null, revocationTbs(r), edPublic(signer), b64uDecode(r.sig)), false);
});
