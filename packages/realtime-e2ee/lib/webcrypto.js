// The platform-AES path for large payloads: the same envelope bytes as the WebAssembly
// core (spec/envelope-v1.md sections 4 and 6; the vector tests run through both paths),
// with AES-GCM in the platform's hardware implementation, which beats software AES in
// WebAssembly from a few KiB on: WebCrypto in browsers, node:crypto in Node (the same
// OpenSSL as Node's WebCrypto, without its thread-pool round trip).
//
// Only the bulk work happens here: HKDF of a sender session's key, AES-GCM, the length
// prefix and padding. The core parses and checks everything else first: the context,
// key label and padding (the AAD and padded length come from it), and, when opening,
// the envelope itself, its kind and the key's commitment (`openParts`).
//
// Each key derives a sender session's AES key once (one HKDF and one importKey per
// session, not per call) and keeps it, as other senders' session keys by salt. Once a
// session key is there, `seal` and `open` hand their bytes to the platform synchronously
// (WebCrypto copies them before returning its promise), so the caller may pass a kept
// buffer (lib/scratch.js) and wipe or reuse it as soon as the call returns.
import { authFailed, invalidPayload, invalidPlaintext } from "./errors.js";

const subtle = globalThis.crypto?.subtle;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const ascii = (s) => encoder.encode(s);

const SUITE_NAME = "AES256GCM-HKDFSHA256";
const SUITE_BYTE = 1;
const EXTRACT_SALT = ascii("domvia-e2ee v1 extract");
const SESSION_LABEL = ascii("domvia-e2ee v1 session");
/** Envelopes per sender session (section 4.1). */
const SESSION_LIMIT = 2 ** 24;
/** Other senders' sessions remembered per key. */
const INCOMING_CAPACITY = 64;

let node; // node:crypto, when running in Node (see useNodeCrypto)

/** Whether this platform has a hardware AES path (browsers: secure contexts only). */
export const available = () => node !== undefined || typeof subtle?.encrypt === "function";

/** Called once by the loader in Node: AES-GCM through node:crypto from then on. */
export function useNodeCrypto(nodeCrypto) {
  node = nodeCrypto;
}

const sessionInfo = (salt) => {
  const info = new Uint8Array(SESSION_LABEL.length + 1 + salt.length);
  info.set(SESSION_LABEL);
  info[SESSION_LABEL.length] = SUITE_BYTE;
  info.set(salt, SESSION_LABEL.length + 1);
  return info;
};

const toBytes = (buffer) => new Uint8Array(buffer);

// The two back ends: a session key from the key and a salt (a promise of it, or the key
// itself), and AES-256-GCM with it, which copies its input before returning (a promise,
// or the result). WebCrypto keeps keys as non-extractable CryptoKeys; node:crypto as
// KeyObjects.
export const webCrypto = {
  importKey: (bytes) => subtle.importKey("raw", bytes, "HKDF", false, ["deriveBits"]),
  async sessionKey(ikm, salt) {
    const params = { name: "HKDF", hash: "SHA-256", salt: EXTRACT_SALT, info: sessionInfo(salt) };
    const bits = new Uint8Array(await subtle.deriveBits(params, await ikm, 256));
    const key = subtle.importKey("raw", bits, "AES-GCM", false, ["encrypt", "decrypt"]);
    bits.fill(0);
    return key;
  },
  seal: (key, iv, aad, framed) =>
    subtle.encrypt({ name: "AES-GCM", iv, additionalData: aad }, key, framed).then(toBytes),
  open: (key, iv, aad, sealed) =>
    subtle.decrypt({ name: "AES-GCM", iv, additionalData: aad }, key, sealed).then(toBytes),
};

export const nodeCrypto = {
  importKey: (bytes) => node.createSecretKey(bytes),
  sessionKey(ikm, salt) {
    const bits = new Uint8Array(node.hkdfSync("sha256", ikm, EXTRACT_SALT, sessionInfo(salt), 32));
    const key = node.createSecretKey(bits);
    bits.fill(0);
    return key;
  },
  seal(key, iv, aad, framed) {
    const cipher = node.createCipheriv("aes-256-gcm", key, iv, { authTagLength: 16 });
    cipher.setAAD(aad);
    const out = new Uint8Array(framed.length + 16);
    out.set(cipher.update(framed));
    cipher.final();
    out.set(cipher.getAuthTag(), framed.length);
    return out;
  },
  open(key, iv, aad, sealed) {
    const end = sealed.length - 16;
    const decipher = node.createDecipheriv("aes-256-gcm", key, iv, { authTagLength: 16 });
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.subarray(end));
    const framed = decipher.update(sealed.subarray(0, end));
    try {
      decipher.final(); // verifies the tag: nothing is released before it passes
    } catch (error) {
      framed.fill(0);
      throw error;
    }
    return framed;
  },
};

/** A session key being derived: `ready` once it is there (node:crypto: at once). */
function sessionEntry(keyOrPromise) {
  if (!(keyOrPromise instanceof Promise)) return { ready: keyOrPromise, promise: undefined };
  const entry = { ready: undefined, promise: keyOrPromise };
  keyOrPromise.then((key) => { entry.ready = key; }, () => {});
  return entry;
}

/**
 * Runs `use(key, bytes)` with a session's key: at once when the key is there (the
 * platform copies `bytes` before returning), else on a copy of `bytes`, so that the
 * caller may wipe or reuse them as soon as this returns.
 */
function withKey(entry, bytes, use) {
  if (entry.ready !== undefined) return use(entry.ready, bytes);
  const copy = bytes.slice();
  return entry.promise.then((key) => use(key, copy)).finally(() => copy.fill(0));
}

/** The platform-AES state of one key: its HKDF input, own session, and others' sessions. */
export class PlatformAesKey {
  #aes;
  #random;
  #ikm;
  #commit;
  #outgoing;
  #incoming = new Map();

  /**
   * @param {Uint8Array} raw the key's bytes (wiped here)
   * @param {Uint8Array} commitment the key's commitment, from the core
   * @param options for tests: `random` fills a byte array (the salt, then each IV), so
   *   that the vectors' envelopes can be reproduced; `aes` picks a back end.
   */
  constructor(raw, commitment, { random = (bytes) => crypto.getRandomValues(bytes), aes } = {}) {
    this.#aes = aes ?? (node ? nodeCrypto : webCrypto);
    this.#random = random;
    this.#ikm = this.#aes.importKey(raw);
    raw.fill(0);
    this.#commit = base64urlEncode(commitment);
  }

  #session() {
    if (!this.#outgoing || this.#outgoing.sealed >= SESSION_LIMIT) {
      const salt = this.#random(new Uint8Array(32));
      this.#outgoing = { salt, key: sessionEntry(this.#aes.sessionKey(this.#ikm, salt)), sealed: 0 };
    }
    this.#outgoing.sealed += 1;
    return this.#outgoing;
  }

  #incomingKey(salt) {
    const id = base64urlEncode(salt);
    let entry = this.#incoming.get(id);
    if (entry) {
      this.#incoming.delete(id); // most recently used last
    } else {
      entry = sessionEntry(this.#aes.sessionKey(this.#ikm, salt));
      if (this.#incoming.size >= INCOMING_CAPACITY) {
        this.#incoming.delete(this.#incoming.keys().next().value);
      }
    }
    this.#incoming.set(id, entry);
    return entry;
  }

  /**
   * Seals a framed plaintext (`frame` in lib/scratch.js) into an envelope object. `aad`
   * and the padded length come from the core, which has checked the context, label and
   * padding. `framed` is the caller's to wipe once this has returned (its promise).
   */
  async seal(framed, aad, header) {
    const session = this.#session();
    const nonce = new Uint8Array(44);
    nonce.set(session.salt);
    const iv = this.#random(nonce.subarray(32));
    const aes = this.#aes;
    const sealed = await withKey(session.key, framed, (key, bytes) => aes.seal(key, iv, aad, bytes));
    const envelope = { v: 1, suite: SUITE_NAME, kind: header.kind };
    if (header.kid !== undefined) envelope.kid = header.kid;
    envelope.kver = header.kver;
    envelope.nonce = base64urlEncode(nonce);
    envelope.commit = this.#commit;
    envelope.ct = base64urlEncode(sealed);
    return envelope;
  }

  /**
   * Opens `[aad, nonce, sealed]` (from the core's `openParts`: envelope parsed, kind
   * and commitment checked): steps 6 to 9 of section 8.
   */
  async open([aad, nonce, sealed]) {
    const iv = nonce.subarray(32);
    const aes = this.#aes;
    let framed;
    try {
      // Called before the first await: `sealed` may be a kept buffer (see `seal`).
      framed = await withKey(this.#incomingKey(nonce.subarray(0, 32)), sealed, (key, bytes) => aes.open(key, iv, aad, bytes));
    } catch {
      throw authFailed();
    }
    try {
      if (framed.length < 4) throw invalidPlaintext();
      const len = new DataView(framed.buffer, framed.byteOffset, framed.length).getUint32(0);
      if (len > framed.length - 4) throw invalidPlaintext();
      for (let i = 4 + len; i < framed.length; i++) if (framed[i] !== 0) throw invalidPlaintext();
      try {
        return JSON.parse(decoder.decode(framed.subarray(4, 4 + len)));
      } catch {
        // Never JSON.parse's message: it may quote the payload.
        throw invalidPayload();
      }
    } finally {
      framed.fill(0);
    }
  }
}

const NodeBuffer = globalThis.Buffer;

/** Unpadded base64url: the platform's own encoder where there is one. */
export function base64urlEncode(bytes) {
  if (typeof bytes.toBase64 === "function") return bytes.toBase64({ alphabet: "base64url", omitPadding: true });
  if (NodeBuffer) return NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("base64url");
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * Decodes canonical unpadded base64url (spec/envelope-v1.md section 2), or returns
 * undefined: decoders are lenient (whitespace, padding, both alphabets), so the bytes
 * are encoded again and must give back the very same text. With `target` (a kept
 * buffer), the bytes are decoded into it where the platform can (setFromBase64) and
 * they fit, and the result is a view of it.
 */
export function base64urlDecodeCanonical(text, target) {
  const rest = text.length % 4;
  if (rest === 1) return undefined;
  let bytes;
  try {
    if (target && typeof target.setFromBase64 === "function" && text.length <= target.length) {
      // Whole chunks that fit are decoded: `read` falls short when the bytes do not fit.
      const { read, written } = target.setFromBase64(text, { alphabet: "base64url" });
      if (read === text.length) bytes = target.subarray(0, written);
    }
    bytes ??= base64urlDecode(text);
  } catch {
    return undefined;
  }
  if (typeof Uint8Array.fromBase64 !== "function") {
    return base64urlEncode(bytes) === text ? bytes : undefined;
  }
  // fromBase64 and setFromBase64 have refused any character outside the base64url
  // alphabet. They skip whitespace (then fewer bytes come out) and ignore the unused
  // bits of the last character (which must be zero).
  if (bytes.length !== Math.floor((text.length * 3) / 4)) return undefined;
  if (rest !== 0) {
    const last = BASE64URL.indexOf(text[text.length - 1]);
    if ((last & (rest === 2 ? 0x0f : 0x03)) !== 0) return undefined;
  }
  return bytes;
}

const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** Decodes base64url that the core produced (a key's raw form): no validation needed. */
export function base64urlDecode(text) {
  if (typeof Uint8Array.fromBase64 === "function") return Uint8Array.fromBase64(text, { alphabet: "base64url" });
  if (NodeBuffer) return new Uint8Array(NodeBuffer.from(text, "base64url"));
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}
