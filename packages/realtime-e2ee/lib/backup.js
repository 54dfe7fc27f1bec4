// Encrypted keyring backups (spec/key-lifecycle.md section 8) under a recovery key or a
// passphrase (Argon2id), and recovery of a user's keys from another of its devices
// (section 6.1).
import * as wasm from "../wasm/domvia_e2ee_wasm.js";
import { invalidArgument } from "./errors.js";
import {
  Keyring, callWasm, changeKeyring, checkString, describe, wasmKeyringOf, wrapKeyring,
} from "./keys.js";
import { init } from "./load.js";
import { messageText, safetyNumberNow, wasmDeviceOf } from "./devices.js";

function ringOf(keyring, fn) {
  if (!(keyring instanceof Keyring)) {
    throw invalidArgument(`${fn}: keyring must be a Keyring (createKeyring); got ${describe(keyring)}`);
  }
  return wasmKeyringOf(keyring);
}

function secretOf(fn, secret) {
  if (secret === null || typeof secret !== "object") {
    throw invalidArgument(`${fn}: the secret must be {recoveryKey} or {passphrase}; got ${describe(secret)}`);
  }
  const has = (name) => secret[name] !== undefined;
  if (has("recoveryKey") === has("passphrase")) {
    throw invalidArgument(`${fn}: give exactly one of recoveryKey and passphrase`);
  }
  return has("recoveryKey")
    ? { recoveryKey: checkString(secret.recoveryKey, `${fn}: recoveryKey`) }
    : { passphrase: checkString(secret.passphrase, `${fn}: passphrase`) };
}

/** A fresh recovery key, in the display form the user writes down. */
export async function generateRecoveryKey() {
  const w = await init();
  return w.generateRecoveryKey();
}

/**
 * Every key version of `keyring`, encrypted under `{recoveryKey}` or `{passphrase,
 * argon2?}` (Argon2id; the defaults m 19456 KiB, t 2, p 1, and never weaker unless
 * `argon2.dangerInsecureForTests`). The blob is safe to store anywhere.
 */
export async function createBackup(keyring, secret) {
  await init();
  const ring = ringOf(keyring, "createBackup");
  const s = secretOf("createBackup", secret);
  if (s.recoveryKey !== undefined) {
    return JSON.parse(callWasm(() => wasm.backupWithRecoveryKey(ring, s.recoveryKey)));
  }
  const { argon2 } = secret;
  let params;
  let danger = false;
  if (argon2 !== undefined) {
    if (argon2 === null || typeof argon2 !== "object") {
      throw invalidArgument(`createBackup: argon2 must be {m, t, p}; got ${describe(argon2)}`);
    }
    params = ["m", "t", "p"].map((name) => {
      const value = argon2[name];
      if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
        throw invalidArgument(`createBackup: argon2.${name} must be an integer; got ${describe(value)}`);
      }
      return value;
    });
    danger = argon2.dangerInsecureForTests === true;
  }
  return JSON.parse(callWasm(() => wasm.backupWithPassphrase(ring, s.passphrase, params && new Uint32Array(params), danger)));
}

/** The keyring a backup holds, with its `{recoveryKey}` or `{passphrase}`. */
export async function restoreBackup(blob, secret) {
  await init();
  const text = messageText(blob, "restoreBackup: blob");
  const s = secretOf("restoreBackup", secret);
  const ring = s.recoveryKey !== undefined
    ? callWasm(() => wasm.restoreWithRecoveryKey(text, s.recoveryKey))
    : callWasm(() => wasm.restoreWithPassphrase(text, s.passphrase));
  return wrapKeyring(ring);
}

/** What a backup needs (`kdf`) and holds (`keyCount`), after checking its integrity. */
export async function inspectBackup(blob) {
  await init();
  const text = messageText(blob, "inspectBackup: blob");
  const b = JSON.parse(callWasm(() => wasm.inspectBackup(text)));
  return b.kdf === "argon2id"
    ? { keyCount: b.keys, kdf: b.kdf, argon2: { m: b.m, t: b.t, p: b.p } }
    : { keyCount: b.keys, kdf: b.kdf };
}

const INTERNAL = Symbol("internal");
const pendingInner = new WeakMap();
const verifiedInner = new WeakMap();

/** What the requesting device keeps until the response arrives. */
export class PendingKeyRequest {
  /** @hideconstructor */
  constructor(token, pending, device) {
    if (token !== INTERNAL) throw new TypeError("PendingKeyRequest is not constructed directly; use createKeyRequest()");
    pendingInner.set(this, { pending, device });
  }
  /**
   * Verifies `response` (for this request, to this device, from `responder`: the bundle
   * of the device whose safety number the user compared) and adds its keys to `keyring`.
   * Returns how many versions were new.
   */
  accept(response, responder, keyring) {
    const { pending, device } = pendingInner.get(this);
    const text = messageText(response, "pending.accept: response");
    const from = messageText(responder, "pending.accept: responder");
    const ring = ringOf(keyring, "pending.accept");
    return changeKeyring(keyring, () => pending.accept(text, wasmDeviceOf(device), from, ring));
  }
}

/** A request whose signature verified, from another device of the same user. */
export class VerifiedKeyRequest {
  /** @hideconstructor */
  constructor(token, verified, device) {
    if (token !== INTERNAL) throw new TypeError("VerifiedKeyRequest is not constructed directly; use verifyKeyRequest()");
    verifiedInner.set(this, verified);
    /** The requesting device's bundle. */
    this.bundle = JSON.parse(verified.bundleJson());
    this.userId = this.bundle.user;
    this.deviceId = this.bundle.device;
    /** Its fingerprint (30 digits). */
    this.fingerprint = wasm.bundleFingerprint(verified.bundleJson());
    /** What the user compares on both screens before approving. */
    this.safetyNumber = safetyNumberNow(device.bundle(), this.bundle);
    Object.freeze(this);
  }
}

/** A request for `device`'s user's keys: send `request` on the user's key channel, keep `pending`. */
export function createKeyRequest(device) {
  const d = wasmDeviceOf(device, "createKeyRequest: device");
  const pending = new wasm.WasmPendingRequest(d);
  return {
    request: JSON.parse(pending.requestJson()),
    pending: new PendingKeyRequest(INTERNAL, pending, device),
  };
}

/**
 * The pending state of a request `device` made earlier, rebuilt from the request itself
 * (for a device that did not keep `pending`, e.g. after a page reload). The request id
 * is public: accepting a response still needs the device's secret keys.
 */
export function resumeKeyRequest(device, request) {
  const d = wasmDeviceOf(device, "resumeKeyRequest: device");
  const text = messageText(request, "resumeKeyRequest: request");
  return new PendingKeyRequest(INTERNAL, callWasm(() => wasm.WasmPendingRequest.resume(d, text)), device);
}

/** Checks a key request on another device of the same user (other_user, bad_signature). */
export function verifyKeyRequest(device, request) {
  const d = wasmDeviceOf(device, "verifyKeyRequest: device");
  const text = messageText(request, "verifyKeyRequest: request");
  return new VerifiedKeyRequest(INTERNAL, callWasm(() => wasm.WasmVerifiedRequest.verify(d, text)), device);
}

/** The user approved `verified`: every key of `keyring`, sealed to the requesting device. */
export function answerKeyRequest(device, verified, keyring) {
  const d = wasmDeviceOf(device, "answerKeyRequest: device");
  const v = verified instanceof VerifiedKeyRequest ? verifiedInner.get(verified) : undefined;
  if (!v) throw invalidArgument(`answerKeyRequest: verified must come from verifyKeyRequest; got ${describe(verified)}`);
  const ring = ringOf(keyring, "answerKeyRequest");
  return JSON.parse(callWasm(() => v.answer(d, ring)));
}
