// The benchmark's baseline: spec/envelope-v1.md in plain WebCrypto, written the way a
// careful JavaScript author would (derived from spec/webcrypto-check/check.test.mjs, no
// code from the package): the key's commitment and the sender session's AES key are
// derived once and kept, other senders' session keys are cached by salt, so a call costs
// what the format needs: JSON, framing, AAD, one AES-GCM operation, base64url.
const { subtle } = globalThis.crypto;
const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: true });
const NodeBuffer = globalThis.Buffer;

const b64uEncode = (bytes) =>
  typeof bytes.toBase64 === "function"
    ? bytes.toBase64({ alphabet: "base64url", omitPadding: true })
    : NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("base64url");
const b64uDecode = (s) => {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) throw new Error("malformed");
  return typeof Uint8Array.fromBase64 === "function"
    ? Uint8Array.fromBase64(s, { alphabet: "base64url" })
    : new Uint8Array(NodeBuffer.from(s, "base64url"));
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
const KINDS = { chat: [1, ["roomId", "messageId"]], call: [2, ["callId", "eventName"]], realtime: [3, ["scope", "scopeId", "eventName"]] };
const aad = (kind, kid, kver, context) => {
  const [byte, fields] = KINDS[kind];
  return concat(enc.encode("domvia-e2ee"), new Uint8Array([1, 1, byte]), str16(kid), u32(kver),
    ...fields.map((f) => str16(context[f])));
};

/** A WebCrypto holder of one raw 32-byte key. */
export async function webCryptoEnvelopes(rawKey) {
  const ikm = await subtle.importKey("raw", rawKey, "HKDF", false, ["deriveBits"]);
  const expand = async (info) => new Uint8Array(await subtle.deriveBits(
    { name: "HKDF", hash: "SHA-256", salt: enc.encode("domvia-e2ee v1 extract"), info }, ikm, 256));
  const sessionKey = async (salt) => subtle.importKey("raw",
    await expand(concat(enc.encode("domvia-e2ee v1 session"), new Uint8Array([1]), salt)), "AES-GCM", false, ["encrypt", "decrypt"]);
  const commitment = await expand(concat(enc.encode("domvia-e2ee v1 commit"), new Uint8Array([1])));
  const commit = b64uEncode(commitment);
  const salt = crypto.getRandomValues(new Uint8Array(32));
  const own = await sessionKey(salt);
  const others = new Map();

  return {
    async seal(payload, kind, { keyId, keyVersion, ...context }) {
      const body = enc.encode(JSON.stringify(payload));
      const framed = new Uint8Array(4 + body.length);
      new DataView(framed.buffer).setUint32(0, body.length);
      framed.set(body, 4);
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const ct = new Uint8Array(await subtle.encrypt(
        { name: "AES-GCM", iv, additionalData: aad(kind, keyId, keyVersion, context) }, own, framed));
      const env = { v: 1, suite: "AES256GCM-HKDFSHA256", kind };
      if (keyId !== undefined) env.kid = keyId;
      env.kver = keyVersion;
      env.nonce = b64uEncode(concat(salt, iv));
      env.commit = commit;
      env.ct = b64uEncode(ct);
      return env;
    },
    async open(env, kind, context) {
      if (env.v !== 1 || env.suite !== "AES256GCM-HKDFSHA256" || env.kind !== kind) throw new Error("malformed");
      const nonce = b64uDecode(env.nonce), ct = b64uDecode(env.ct);
      const c = b64uDecode(env.commit);
      if (c.length !== 32 || c.reduce((d, x, i) => d | (x ^ commitment[i]), 0) !== 0) throw new Error("auth_failed");
      const id = env.nonce.slice(0, 43);
      let key = others.get(id);
      if (!key) { key = await sessionKey(nonce.slice(0, 32)); others.set(id, key); }
      const framed = new Uint8Array(await subtle.decrypt(
        { name: "AES-GCM", iv: nonce.subarray(32), additionalData: aad(kind, env.kid, env.kver, context) }, key, ct));
      const len = new DataView(framed.buffer).getUint32(0);
      if (4 + len > framed.length || framed.subarray(4 + len).some((b) => b !== 0)) throw new Error("invalid_plaintext");
      return JSON.parse(dec.decode(framed.subarray(4, 4 + len)));
    },
  };
}
