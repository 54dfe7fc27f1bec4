// The WebCrypto path for large payloads: the same envelope bytes as the WebAssembly
// core (spec/envelope-v1.md sections 4 and 6; the vector tests run through both paths),
// with AES-GCM in the platform's hardware implementation, which beats software AES in
// WebAssembly from a few KiB on.
//
// Only the bulk work happens here: HKDF of a sender session's key, AES-GCM, the length
// prefix and padding. The core parses and checks everything else first: the context,
// key label and padding (its AAD and padded length), and, when opening, the envelope
// itself, its kind and the key's commitment (`openParts`).
import { authFailed, invalidPayload, invalidPlaintext, payloadTooLarge } from "./errors.js";

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
const MAX_PAYLOAD = 16 * 1024 * 1024;

/** Whether this platform has WebCrypto (browsers: secure contexts only). */
export const available = typeof subtle?.encrypt === "function";

/** The WebCrypto state of one key: its HKDF input, own session, and others' sessions. */
export class WebCryptoKey {
  #ikm;
  #commit;
  #outgoing;
  #incoming = new Map();

  /** @param {string} raw the key's raw form; @param {Uint8Array} commitment */
  constructor(raw, commitment) {
    const bytes = base64urlDecode(raw);
    this.#ikm = subtle.importKey("raw", bytes, "HKDF", false, ["deriveBits"]);
    bytes.fill(0);
    this.#commit = base64urlEncode(commitment);
  }

  async #sessionKey(salt, usage) {
    const info = new Uint8Array(SESSION_LABEL.length + 1 + salt.length);
    info.set(SESSION_LABEL);
    info[SESSION_LABEL.length] = SUITE_BYTE;
    info.set(salt, SESSION_LABEL.length + 1);
    const params = { name: "HKDF", hash: "SHA-256", salt: EXTRACT_SALT, info };
    const bits = new Uint8Array(await subtle.deriveBits(params, await this.#ikm, 256));
    const key = await subtle.importKey("raw", bits, "AES-GCM", false, [usage]);
    bits.fill(0);
    return key;
  }

  #session() {
    if (!this.#outgoing || this.#outgoing.sealed >= SESSION_LIMIT) {
      const salt = crypto.getRandomValues(new Uint8Array(32));
      this.#outgoing = { salt, key: this.#sessionKey(salt, "encrypt"), sealed: 0 };
    }
    this.#outgoing.sealed += 1;
    return this.#outgoing;
  }

  #incomingKey(salt) {
    const id = base64urlEncode(salt);
    let key = this.#incoming.get(id);
    if (key) {
      this.#incoming.delete(id); // most recently used last
    } else {
      key = this.#sessionKey(salt.slice(), "decrypt");
      if (this.#incoming.size >= INCOMING_CAPACITY) {
        this.#incoming.delete(this.#incoming.keys().next().value);
      }
    }
    this.#incoming.set(id, key);
    return key;
  }

  /**
   * Seals payload JSON text (UTF-8 bytes, wiped afterwards). `aad` and `paddedLength` come from the core, which has checked
   * the context, label and padding.
   */
  async seal(payload, aad, paddedLength, header) {
    if (payload.length > MAX_PAYLOAD) throw payloadTooLarge(payload.length);
    const framed = new Uint8Array(paddedLength(4 + payload.length));
    new DataView(framed.buffer).setUint32(0, payload.length);
    framed.set(payload, 4);
    const session = this.#session();
    const nonce = new Uint8Array(44);
    nonce.set(session.salt);
    crypto.getRandomValues(nonce.subarray(32));
    const params = { name: "AES-GCM", iv: nonce.subarray(32), additionalData: aad };
    const sealed = new Uint8Array(await subtle.encrypt(params, await session.key, framed));
    framed.fill(0);
    payload.fill(0);
    const envelope = { v: 1, suite: SUITE_NAME, kind: header.kind };
    if (header.kid !== undefined) envelope.kid = header.kid;
    envelope.kver = header.kver;
    envelope.nonce = base64urlEncode(nonce);
    envelope.commit = this.#commit;
    envelope.ct = base64urlEncode(sealed);
    return envelope;
  }

  /**
   * Opens `[aad, nonce, sealed]` from the core's `openParts` (envelope parsed, kind and
   * commitment checked): steps 6 to 9 of section 8.
   */
  async open([aad, nonce, sealed]) {
    const key = await this.#incomingKey(nonce.subarray(0, 32));
    let framed;
    try {
      const params = { name: "AES-GCM", iv: nonce.subarray(32), additionalData: aad };
      framed = new Uint8Array(await subtle.decrypt(params, key, sealed));
    } catch {
      throw authFailed();
    }
    try {
      if (framed.length < 4) throw invalidPlaintext();
      const len = new DataView(framed.buffer).getUint32(0);
      if (len > framed.length - 4) throw invalidPlaintext();
      for (let i = 4 + len; i < framed.length; i++) if (framed[i] !== 0) throw invalidPlaintext();
      let value;
      try {
        value = JSON.parse(decoder.decode(framed.subarray(4, 4 + len)));
      } catch {
        // Never JSON.parse's message: it may quote the payload.
        throw invalidPayload();
      }
      return value;
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
 * are encoded again and must give back the very same text.
 */
export function base64urlDecodeCanonical(text) {
  if (text.length % 4 === 1) return undefined;
  let bytes;
  try {
    bytes = base64urlDecode(text);
  } catch {
    return undefined;
  }
  return base64urlEncode(bytes) === text ? bytes : undefined;
}

/** Decodes base64url that the core produced (a key's raw form): no validation needed. */
function base64urlDecode(text) {
  if (typeof Uint8Array.fromBase64 === "function") return Uint8Array.fromBase64(text, { alphabet: "base64url" });
  if (NodeBuffer) return new Uint8Array(NodeBuffer.from(text, "base64url"));
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}
