// The key, keyring and replay-guard objects users hold. Each wraps its WebAssembly
// object (freed by the garbage collector through wasm-bindgen's FinalizationRegistry).
import { invalidArgument, payloadNotJson, payloadTooLarge, rethrow } from "./errors.js";
import { PlatformAesKey, base64urlDecode } from "./webcrypto.js";

const INTERNAL = Symbol("internal");
const inner = new WeakMap();
const fast = new WeakMap();
// Each keyring's `#changed`, for the lifecycle operations that change a keyring from the
// WebAssembly side (rotation, accepted shares and responses): they drop its cached keys.
const changers = new WeakMap();

function checkToken(token, what, how) {
  if (token !== INTERNAL) throw new TypeError(`${what} is not constructed directly; use ${how}`);
}

/** A 256-bit AES-GCM key. Opaque: it never shows its bytes; export it with exportKey. */
export class AesGcmKey {
  /** @hideconstructor */
  constructor(token, wasmKey) {
    checkToken(token, "AesGcmKey", "generateAesGcmKey() or importKey()");
    inner.set(this, wasmKey);
  }
  toJSON() {
    return "[AesGcmKey: export it with exportKey()]";
  }
}

export const wrapKey = (wasmKey) => new AesGcmKey(INTERNAL, wasmKey);
export const wasmKeyOf = (key) => inner.get(key);

/** The platform-AES state of a key, made on first use. */
export function platformKeyOf(key) {
  let state = fast.get(key);
  if (!state) {
    const wasmKey = inner.get(key);
    state = new PlatformAesKey(base64urlDecode(wasmKey.exportRaw()), wasmKey.commitment());
    fast.set(key, state);
  }
  return state;
}

const string = (value, name) => {
  if (typeof value !== "string") throw invalidArgument(`${name} must be a string; got ${describe(value)}`);
  return value;
};
const integer = (value, name) => {
  if (!Number.isInteger(value)) throw invalidArgument(`${name} must be an integer; got ${describe(value)}`);
  return value;
};
/** Most payload JSON the core seals (spec/envelope-v1.md section 6: 16 MiB). */
export const MAX_PAYLOAD = 16 * 1024 * 1024;

/** A payload's JSON text, or the package's error for a value with no JSON form. */
export function payloadText(payload) {
  let text;
  try {
    text = JSON.stringify(payload);
  } catch (error) {
    throw payloadNotJson(error instanceof Error ? error.message : String(error));
  }
  if (text === undefined) throw payloadNotJson(`${describe(payload)} has no JSON form`);
  // JSON text in UTF-8 is at least as long as in UTF-16 code units.
  if (text.length > MAX_PAYLOAD) throw payloadTooLarge(text.length);
  return text;
}

export function describe(value) {
  if (value === null || value === undefined) return String(value);
  if (typeof value === "string") return `a string of length ${value.length}`;
  if (typeof value === "object") return `an object (${value.constructor?.name ?? "no prototype"})`;
  return typeof value === "number" ? String(value) : `a ${typeof value}`;
}

const call = (f) => {
  try {
    return f();
  } catch (error) {
    rethrow(error);
  }
};

/**
 * Keys by id and version: seals with the current version of a key id, opens with the
 * version an envelope names, rotates (a fresh key, never derived from the old one) and
 * retires. Make one with `createKeyring()` or `importKeyring(exported)`.
 */
export class Keyring {
  #ring;
  // AesGcmKey copies of held versions, so their WebCrypto state lasts between calls.
  #keys = new Map();

  /** @hideconstructor */
  constructor(token, ring) {
    checkToken(token, "Keyring", "createKeyring() or importKeyring()");
    this.#ring = ring;
    inner.set(this, ring);
    changers.set(this, (f) => this.#changed(f));
  }
  #changed(f) {
    this.#keys.clear();
    return call(f);
  }
  /** Creates version 1 of a new key id; returns 1. */
  generate(keyId) {
    string(keyId, "keyId");
    return this.#changed(() => this.#ring.generate(keyId));
  }
  /** Creates and makes current the next version of a key id; returns it. */
  rotate(keyId) {
    string(keyId, "keyId");
    return this.#changed(() => this.#ring.rotate(keyId));
  }
  /** Adds a key received from elsewhere; a version above the current one becomes current. */
  insert(keyId, keyVersion, key) {
    string(keyId, "keyId");
    integer(keyVersion, "keyVersion");
    if (!(key instanceof AesGcmKey)) throw invalidArgument(`key must be an AesGcmKey; got ${describe(key)}`);
    this.#changed(() => this.#ring.insert(keyId, keyVersion, inner.get(key)));
  }
  /** Forgets one old version (not the current one). */
  retire(keyId, keyVersion) {
    string(keyId, "keyId");
    integer(keyVersion, "keyVersion");
    this.#changed(() => this.#ring.retire(keyId, keyVersion));
  }
  /** Forgets the versions older than keyVersion (never the current one); returns how many. */
  retireOlderThan(keyId, keyVersion) {
    string(keyId, "keyId");
    integer(keyVersion, "keyVersion");
    return this.#changed(() => this.#ring.retireOlderThan(keyId, keyVersion));
  }
  /** Removes a key id and all its versions. */
  remove(keyId) {
    string(keyId, "keyId");
    this.#changed(() => this.#ring.remove(keyId));
  }
  /** The current version of a key id, or undefined. */
  currentVersion(keyId) {
    string(keyId, "keyId");
    return call(() => this.#ring.current(keyId));
  }
  /** One version's key, or undefined. */
  key(keyId, keyVersion) {
    string(keyId, "keyId");
    integer(keyVersion, "keyVersion");
    const id = `${keyVersion}:${keyId}`;
    let key = this.#keys.get(id);
    if (!key) {
      const wasmKey = call(() => this.#ring.key(keyId, keyVersion));
      if (!wasmKey) return undefined;
      key = wrapKey(wasmKey);
      this.#keys.set(id, key);
    }
    return key;
  }
  /** The key ids held, sorted. */
  keyIds() {
    return this.#ring.keyIds();
  }
  /** The versions held for a key id, oldest first. */
  versions(keyId) {
    string(keyId, "keyId");
    return Array.from(call(() => this.#ring.versions(keyId)));
  }
  /**
   * Every key in the clear, as a JSON-serializable object (format "domvia-keyring" v1):
   * encrypt it before it leaves the device.
   */
  export() {
    return JSON.parse(this.#ring.exportJson());
  }
  toJSON() {
    return "[Keyring: export it with keyring.export()]";
  }
}

export const wrapKeyring = (ring) => new Keyring(INTERNAL, ring);
export const wasmKeyringOf = (ring) => inner.get(ring);
/** Runs `f` (which may change the keyring on the WebAssembly side) and drops its cached keys. */
export const changeKeyring = (ring, f) => changers.get(ring)(f);

/**
 * Refuses envelopes already accepted for the same context (spec/envelope-v1.md section
 * 9). Pass it as `replayGuard` to a decrypt function. Make one with createReplayGuard().
 */
export class ReplayGuard {
  /** @hideconstructor */
  constructor(token, guard) {
    checkToken(token, "ReplayGuard", "createReplayGuard()");
    inner.set(this, guard);
  }
  /** How many accepted envelopes the guard remembers now. */
  get size() {
    return inner.get(this).size();
  }
}

export const wrapGuard = (guard) => new ReplayGuard(INTERNAL, guard);
export const wasmGuardOf = (guard) => inner.get(guard);
export { string as checkString, integer as checkInteger, call as callWasm };
