// @domvia/realtime-e2ee: strong privacy mode for Domvia Realtime, the Rust core
// (crates/e2ee) compiled to WebAssembly. The envelope format is spec/envelope-v1.md.
//
// Every function is async: the module loads on first use (or call `init()`). Payloads
// cross into WebAssembly as JSON text; the encrypted value is the envelope as a plain
// object, ready to send as event data. Payloads from `platformAesThreshold()` bytes of
// JSON up are sealed and opened with the platform's hardware AES instead (WebCrypto in
// browsers, node:crypto in Node), producing the same envelope bytes (lib/webcrypto.js).
import {
  invalidArgument, notAnEnvelope, rethrow,
} from "./lib/errors.js";
import {
  AesGcmKey, Keyring, ReplayGuard, callWasm, checkInteger, checkString, describe,
  payloadText, platformKeyOf, wasmGuardOf, wasmKeyOf, wasmKeyringOf, wrapGuard, wrapKey, wrapKeyring,
} from "./lib/keys.js";
import { init } from "./lib/load.js";
import { frame, mainBuffer, utf8, utf8Aux, utf8Payload } from "./lib/scratch.js";
import {
  base64urlDecodeCanonical, base64urlEncode, available as platformAesAvailable,
} from "./lib/webcrypto.js";

export {
  BackupError, E2eeError, InvalidArgumentError, KeyLifecycleError, KeyringError, OpenError, SealError,
} from "./lib/errors.js";
export { AesGcmKey, Keyring, ReplayGuard, init };
// The key lifecycle (spec/key-lifecycle.md).
export {
  Device, DeviceDirectory, createDevice, createDeviceDirectory, createRevocation, fingerprint,
  importDevice, safetyNumber,
} from "./lib/devices.js";
export {
  Room, createRoom, followRoom, signEnvelope, verifySignedEnvelope,
} from "./lib/rooms.js";
export {
  PendingKeyRequest, VerifiedKeyRequest, answerKeyRequest, createBackup, createKeyRequest,
  generateRecoveryKey, inspectBackup, restoreBackup, resumeKeyRequest, verifyKeyRequest,
} from "./lib/backup.js";
export { KEY_EVENTS, parseKeyMessage, userKeyChannel } from "./lib/transport.js";

// Measured with bench/bench.mjs (see README): below this many bytes of payload JSON the
// WebAssembly core is faster per call than the platform's AES, above it the platform's
// hardware AES wins. Node's node:crypto costs little per call; WebCrypto more.
const NODE = Boolean(globalThis.process?.versions?.node);
let threshold = NODE ? 1536 : 2048;

/**
 * Sets from how many bytes of payload JSON (or envelope `ct`) the platform's AES is used
 * instead of WebAssembly. `Infinity` keeps everything in WebAssembly; 0 sends everything
 * to the platform. Both give the same envelopes.
 */
export function setPlatformAesThreshold(bytes) {
  if (typeof bytes !== "number" || !(bytes >= 0)) {
    throw invalidArgument(`the threshold must be a number from 0 to Infinity; got ${describe(bytes)}`);
  }
  threshold = bytes;
}

/** The current platform-AES threshold in bytes. */
export const platformAesThreshold = () => threshold;

const KINDS = {
  chat: { fields: ["roomId", "messageId"], keyIdRequired: true },
  call: { fields: ["callId", "eventName"], keyIdRequired: false },
  realtime: { fields: ["scope", "scopeId", "eventName"], keyIdRequired: false },
};
// Text crosses into WebAssembly (and the platform's AES) as UTF-8 bytes, encoded into a
// kept buffer (lib/scratch.js): much faster than wasm-bindgen's copy of a string for
// large payloads, and than a fresh TextEncoder.encode array in browsers. The buffer is
// handed over (copied) before any await, and wiped after when it held plaintext.

function checkOptions(fn, options) {
  if (options === null || typeof options !== "object") {
    throw invalidArgument(`${fn}: the options must be an object; got ${describe(options)}`);
  }
}

/** The context's identifiers in AAD order, padded to three with "". */
function contextOf(fn, kind, options) {
  const ids = KINDS[kind].fields.map((field) => checkString(options[field], `${fn}: options.${field}`));
  while (ids.length < 3) ids.push("");
  return ids;
}


function notAKey(fn, key) {
  const hint = globalThis.CryptoKey && key instanceof globalThis.CryptoKey
    ? `; a WebCrypto key must be imported first: importKey("jwk", await crypto.subtle.exportKey("jwk", key))`
    : "";
  return invalidArgument(
    `${fn}: the key must be an AesGcmKey (generateAesGcmKey, importKey) or a Keyring; got ${describe(key)}${hint}`,
  );
}

const fast = (length) => length >= threshold && platformAesAvailable();

async function encrypt(fn, kind, payload, key, options) {
  const wasm = await init();
  checkOptions(fn, options);
  const [a, b, c] = contextOf(fn, kind, options);
  const padding = options.padding === undefined ? "none" : checkString(options.padding, `${fn}: options.padding`);
  const text = payloadText(payload);
  // No await from here until the bytes are handed over: they may be in the kept buffer.
  const bytes = utf8Payload(text);
  try {
    if (key instanceof Keyring) {
      const kid = checkString(options.keyId, `${fn}: options.keyId (required with a Keyring)`);
      const kver = options.keyVersion === undefined ? undefined : checkInteger(options.keyVersion, `${fn}: options.keyVersion`);
      const ring = wasmKeyringOf(key);
      if (fast(bytes.length)) {
        const version = kver ?? callWasm(() => ring.current(kid));
        const held = version === undefined ? undefined : key.key(kid, version);
        if (held) return sealPlatform(wasm, held, kind, [a, b, c], kid, version, padding, bytes);
      }
      return JSON.parse(callWasm(() => ring.seal(kind, a, b, c, kid, kver, padding, bytes)));
    }
    if (!(key instanceof AesGcmKey)) throw notAKey(fn, key);
    const kid = options.keyId === undefined && !KINDS[kind].keyIdRequired
      ? undefined
      : checkString(options.keyId, `${fn}: options.keyId`);
    const kver = checkInteger(options.keyVersion, `${fn}: options.keyVersion`);
    if (fast(bytes.length)) return sealPlatform(wasm, key, kind, [a, b, c], kid, kver, padding, bytes);
    return JSON.parse(callWasm(() => wasm.seal(wasmKeyOf(key), kind, a, b, c, kid, kver, padding, bytes)));
  } finally {
    bytes.fill(0);
  }
}

/** Not async: the platform has its copy of the framed bytes when this returns. */
function sealPlatform(wasm, key, kind, [a, b, c], kid, kver, padding, bytes) {
  let framed;
  try {
    const [aad, paddedLength] = callWasm(() => wasm.sealParts(kind, a, b, c, kid, kver, padding, bytes.length));
    framed = frame(bytes, paddedLength);
    return platformKeyOf(key).seal(framed, aad, { kind, kid, kver }).catch(rethrow);
  } catch (error) {
    rethrow(error);
  } finally {
    framed?.fill(0);
  }
}

async function decrypt(fn, kind, envelope, key, options) {
  const wasm = await init();
  checkOptions(fn, options);
  const [a, b, c] = contextOf(fn, kind, options);
  const guard = options.replayGuard;
  if (guard !== undefined && !(guard instanceof ReplayGuard)) {
    throw invalidArgument(`${fn}: options.replayGuard must be a ReplayGuard (createReplayGuard); got ${describe(guard)}`);
  }
  const isRing = key instanceof Keyring;
  if (!isRing && !(key instanceof AesGcmKey)) throw notAKey(fn, key);
  if (!guard && fast(ciphertextLength(envelope))) {
    return openPlatform(wasm, key, isRing, kind, [a, b, c], envelope);
  }
  const json = utf8(envelopeText(envelope)); // copied by the core, synchronously
  let text;
  if (guard) {
    const g = wasmGuardOf(guard);
    text = isRing
      ? callWasm(() => g.openWithKeyring(wasmKeyringOf(key), kind, a, b, c, json))
      : callWasm(() => g.open(wasmKeyOf(key), kind, a, b, c, json));
  } else {
    text = isRing
      ? callWasm(() => wasmKeyringOf(key).open(kind, a, b, c, json))
      : callWasm(() => wasm.open(wasmKeyOf(key), kind, a, b, c, json));
  }
  // The core has checked that the payload is JSON: JSON.parse cannot fail.
  return JSON.parse(text);
}

/** The envelope as JSON text: strings are taken as the wire text, anything else is serialized. */
function envelopeText(envelope) {
  if (typeof envelope === "string") return envelope;
  let json;
  try {
    json = JSON.stringify(envelope);
  } catch {
    throw notAnEnvelope();
  }
  if (json === undefined) throw notAnEnvelope();
  return json;
}

const MEMBERS = new Set(["v", "suite", "kind", "kid", "kver", "nonce", "commit", "ct"]);
const HEADER_MEMBERS = ["v", "suite", "kind", "kid", "kver", "nonce", "commit"];

/** A plain object with a string `ct` and no member but the format's. */
function detachable(envelope) {
  if (typeof envelope !== "object" || envelope === null || Object.getPrototypeOf(envelope) !== Object.prototype) {
    return false;
  }
  if (typeof envelope.ct !== "string") return false;
  for (const member of Object.keys(envelope)) if (!MEMBERS.has(member)) return false;
  return true;
}

/** About the number of ciphertext bytes, to choose the path. */
const ciphertextLength = (envelope) =>
  typeof envelope === "string" ? (envelope.length * 3) / 4
    : typeof envelope?.ct === "string" ? (envelope.ct.length * 3) / 4 : 0;

/** Not async: the platform has its copy of the ciphertext when this returns. */
function openPlatform(wasm, key, isRing, kind, [a, b, c], envelope) {
  // A plain object's `ct` is decoded here, natively, and only its length goes to the core
  // with the other members (`parse` in bindings/wasm/src/envelope.rs); anything else is
  // parsed whole by the core, which then hands back the decoded `ct`. Both the header
  // and the ciphertext are in kept buffers, handed over before any await.
  let json, ctLen, sealed;
  if (detachable(envelope)) {
    // Every member is a known one (the core reports any other): serialize all but `ct`.
    json = utf8Aux(JSON.stringify(envelope, HEADER_MEMBERS));
    sealed = base64urlDecodeCanonical(envelope.ct, mainBuffer());
    ctLen = sealed ? sealed.length : -1;
  } else {
    json = utf8(envelopeText(envelope));
  }
  try {
    const parts = isRing
      ? callWasm(() => wasmKeyringOf(key).openParts(kind, a, b, c, json, ctLen))
      : callWasm(() => wasm.openParts(wasmKeyOf(key), kind, a, b, c, json, ctLen));
    if (sealed) parts.push(sealed);
    // With a keyring, the core has found the version the envelope names: take its copy.
    const held = isRing ? keyNamedBy(key, envelope) : key;
    return platformKeyOf(held).open(parts).catch(rethrow);
  } catch (error) {
    rethrow(error);
  }
}

function keyNamedBy(ring, envelope) {
  // The core has just parsed and checked these members, and found that key.
  const { kid, kver } = typeof envelope === "string" ? JSON.parse(envelope) : envelope;
  return ring.key(kid, kver);
}

/** A fresh 256-bit key from the platform's CSPRNG. */
export async function generateAesGcmKey() {
  const wasm = await init();
  return wrapKey(wasm.WasmKey.generate());
}

/**
 * Imports a key: `"raw"` takes the 43-character base64url string or 32 bytes; `"jwk"`
 * takes a JWK object (as `crypto.subtle.exportKey("jwk", …)` returns) or its JSON text.
 */
export async function importKey(format, keyData) {
  const wasm = await init();
  if (format === "raw") {
    if (keyData instanceof Uint8Array || keyData instanceof ArrayBuffer) {
      // The core checks the length (invalid_key).
      return wrapKey(callWasm(() => wasm.WasmKey.importRaw(base64urlEncode(new Uint8Array(keyData)))));
    }
    if (typeof keyData !== "string") {
      throw invalidArgument(`importKey("raw"): expected a base64url string or 32 bytes; got ${describe(keyData)}`);
    }
    return wrapKey(callWasm(() => wasm.WasmKey.importRaw(keyData)));
  }
  if (format === "jwk") {
    const text = typeof keyData === "string" ? keyData : JSON.stringify(keyData ?? null);
    if (typeof keyData !== "string" && (keyData === null || typeof keyData !== "object")) {
      throw invalidArgument(`importKey("jwk"): expected a JWK object or its JSON text; got ${describe(keyData)}`);
    }
    return wrapKey(callWasm(() => wasm.WasmKey.importJwk(text)));
  }
  throw invalidArgument(`importKey: the format must be "raw" or "jwk"; got ${describe(format)}`);
}

/**
 * Exports a key: `"raw"` gives the 43-character base64url string; `"jwk"` a JWK object
 * that `crypto.subtle.importKey("jwk", jwk, "AES-GCM", …)` accepts.
 */
export async function exportKey(format, key) {
  await init();
  if (!(key instanceof AesGcmKey)) throw notAKey("exportKey", key);
  if (format === "raw") return wasmKeyOf(key).exportRaw();
  if (format === "jwk") return JSON.parse(wasmKeyOf(key).exportJwk());
  throw invalidArgument(`exportKey: the format must be "raw" or "jwk"; got ${describe(format)}`);
}

/** An empty keyring. */
export async function createKeyring() {
  const wasm = await init();
  return wrapKeyring(new wasm.WasmKeyring());
}

/** A keyring from `keyring.export()` (the object or its JSON text), checked whole. */
export async function importKeyring(exported) {
  const wasm = await init();
  const text = typeof exported === "string" ? exported : JSON.stringify(exported ?? null);
  return wrapKeyring(callWasm(() => wasm.WasmKeyring.importJson(text)));
}

/** A replay guard remembering the last `capacity` accepted envelopes (default 65536). */
export async function createReplayGuard({ capacity } = {}) {
  const wasm = await init();
  if (capacity !== undefined) checkInteger(capacity, "createReplayGuard: capacity");
  return wrapGuard(callWasm(() => new wasm.WasmReplayGuard(capacity)));
}

/** Encrypts a chat message body for {roomId, messageId} under {keyId, keyVersion}. */
export const encryptChatJson = (payload, key, options) => encrypt("encryptChatJson", "chat", payload, key, options);
/** Decrypts a chat envelope expected for {roomId, messageId}. */
export const decryptChatJson = (envelope, key, options) => decrypt("decryptChatJson", "chat", envelope, key, options);
/** Encrypts a call-signaling payload for {callId, eventName} under {keyVersion} (keyId optional). */
export const encryptCallSignalJson = (payload, key, options) =>
  encrypt("encryptCallSignalJson", "call", payload, key, options);
/** Decrypts a call-signaling envelope expected for {callId, eventName}. */
export const decryptCallSignalJson = (envelope, key, options) =>
  decrypt("decryptCallSignalJson", "call", envelope, key, options);
/** Encrypts a custom realtime payload for {scope, scopeId, eventName} under {keyVersion}. */
export const encryptRealtimeJson = (payload, key, options) =>
  encrypt("encryptRealtimeJson", "realtime", payload, key, options);
/** Decrypts a custom realtime envelope expected for {scope, scopeId, eventName}. */
export const decryptRealtimeJson = (envelope, key, options) =>
  decrypt("decryptRealtimeJson", "realtime", envelope, key, options);
