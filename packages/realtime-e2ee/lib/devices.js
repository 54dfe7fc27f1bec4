// Device identity (spec/key-lifecycle.md section 2): this device's keys, bundles,
// fingerprints, safety numbers, the device directory, and revocations. Bundles and
// revocations are plain JSON objects; the core parses and verifies each one.
import * as wasm from "../wasm/domvia_e2ee_wasm.js";
import { invalidArgument } from "./errors.js";
import { callWasm, checkString, describe } from "./keys.js";
import { init } from "./load.js";

const INTERNAL = Symbol("internal");
const inner = new WeakMap();

function checkToken(token, what, how) {
  if (token !== INTERNAL) throw new TypeError(`${what} is not constructed directly; use ${how}`);
}

/**
 * A message as JSON text: a string is taken as the wire text, an object is serialized.
 * @param {unknown} message
 * @param {string} name what it is, for the error
 */
export function messageText(message, name) {
  if (typeof message === "string") return message;
  if (message === null || typeof message !== "object") {
    throw invalidArgument(`${name} must be an object or its JSON text; got ${describe(message)}`);
  }
  return JSON.stringify(message);
}

/** Unix seconds from milliseconds since the epoch (default: `Date.now()`). */
export function unixSeconds(now, name = "options.now") {
  const ms = now === undefined ? Date.now() : now;
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) {
    throw invalidArgument(`${name} must be milliseconds since the epoch (like Date.now()); got ${describe(now)}`);
  }
  return Math.floor(ms / 1000);
}

/**
 * This device's identity: its secret HPKE and signing keys and its public bundle. Make one
 * with `createDevice(userId, deviceId)` or `importDevice(secret)`.
 */
export class Device {
  /** @hideconstructor */
  constructor(token, device) {
    checkToken(token, "Device", "createDevice() or importDevice()");
    inner.set(this, device);
    /** The user id. */
    this.userId = device.user();
    /** The device id. */
    this.deviceId = device.device();
    Object.freeze(this);
  }
  /** The public, self-signed bundle: publish it (a fresh object each call). */
  bundle() {
    return JSON.parse(inner.get(this).bundleJson());
  }
  /** The fingerprint: 30 digits. */
  fingerprint() {
    return inner.get(this).fingerprint();
  }
  /** The secret keys in the clear, for this device's own storage only. */
  exportSecret() {
    return JSON.parse(inner.get(this).exportJson());
  }
  toJSON() {
    return `[Device ${this.userId}/${this.deviceId}: export its secret with device.exportSecret()]`;
  }
}

/** The WebAssembly device of a Device, or an invalid_argument error. */
export function wasmDeviceOf(device, name = "device") {
  const d = device instanceof Device ? inner.get(device) : undefined;
  if (!d) throw invalidArgument(`${name} must be a Device (createDevice, importDevice); got ${describe(device)}`);
  return d;
}

/** New keys for the device `deviceId` of the user `userId`. */
export async function createDevice(userId, deviceId) {
  await init();
  checkString(userId, "createDevice: userId");
  checkString(deviceId, "createDevice: deviceId");
  return new Device(INTERNAL, callWasm(() => wasm.WasmDevice.generate(userId, deviceId)));
}

/** A device from `device.exportSecret()` (the object or its JSON text). */
export async function importDevice(secret) {
  await init();
  const text = messageText(secret, "importDevice: secret");
  return new Device(INTERNAL, callWasm(() => wasm.WasmDevice.importJson(text)));
}

/** The fingerprint (30 digits) of a bundle, after checking its self-signature. */
export async function fingerprint(bundle) {
  await init();
  const text = messageText(bundle, "fingerprint: bundle");
  return callWasm(() => wasm.bundleFingerprint(text));
}

/** The 60-digit safety number of two devices' bundles: the same on both sides. */
export async function safetyNumber(a, b) {
  await init();
  return safetyNumberNow(a, b);
}

export function safetyNumberNow(a, b) {
  const [x, y] = [messageText(a, "safetyNumber: a"), messageText(b, "safetyNumber: b")];
  return callWasm(() => wasm.safetyNumber(x, y));
}

/**
 * `device` revokes the device whose bundle is `revoked` (a device of the same user, or
 * itself), now or at `options.now`. Returns the signed revocation.
 */
export function createRevocation(device, revoked, { now } = {}) {
  const d = wasmDeviceOf(device);
  const text = messageText(revoked, "createRevocation: revoked");
  const at = unixSeconds(now);
  return JSON.parse(callWasm(() => wasm.signRevocation(d, text, at)));
}

/**
 * The bundles this device knows, pinned by (user, device), and which are revoked. Make
 * one with `createDeviceDirectory()`.
 */
export class DeviceDirectory {
  /** @hideconstructor */
  constructor(token, directory) {
    checkToken(token, "DeviceDirectory", "createDeviceDirectory()");
    inner.set(this, directory);
  }
  /** Adds a bundle (object or JSON text) after verifying its self-signature. */
  add(bundle) {
    const text = messageText(bundle, "directory.add: bundle");
    callWasm(() => inner.get(this).add(text));
  }
  /** Verifies a revocation and marks the device revoked; returns `{userId, deviceId}`. */
  applyRevocation(revocation) {
    const text = messageText(revocation, "directory.applyRevocation: revocation");
    const [userId, deviceId] = callWasm(() => inner.get(this).applyRevocation(text));
    return { userId, deviceId };
  }
  /** "active", "revoked", or undefined for an unknown device. */
  status(userId, deviceId) {
    checkString(userId, "directory.status: userId");
    checkString(deviceId, "directory.status: deviceId");
    return callWasm(() => inner.get(this).status(userId, deviceId));
  }
  /** The bundle known for a device, whatever its status, or undefined. */
  get(userId, deviceId) {
    checkString(userId, "directory.get: userId");
    checkString(deviceId, "directory.get: deviceId");
    const text = callWasm(() => inner.get(this).get(userId, deviceId));
    return text === undefined ? undefined : JSON.parse(text);
  }
  /** Every known device: `{userId, deviceId, fingerprint, status}`, sorted. */
  devices() {
    return JSON.parse(inner.get(this).devicesJson());
  }
}

/** The WebAssembly directory of a DeviceDirectory, or an invalid_argument error. */
export function wasmDirectoryOf(directory, name = "directory") {
  const d = directory instanceof DeviceDirectory ? inner.get(directory) : undefined;
  if (!d) throw invalidArgument(`${name} must be a DeviceDirectory (createDeviceDirectory); got ${describe(directory)}`);
  return d;
}

/** An empty device directory. */
export async function createDeviceDirectory() {
  await init();
  return new DeviceDirectory(INTERNAL, new wasm.WasmDirectory());
}
