// Rooms over time (spec/key-lifecycle.md sections 4, 5 and 7): member devices, key shares,
// rotation, and envelopes signed by their sender device.
import * as wasm from "../wasm/domvia_e2ee_wasm.js";
import { invalidArgument } from "./errors.js";
import {
  Keyring, callWasm, changeKeyring, checkString, describe, payloadText, wasmKeyringOf,
} from "./keys.js";
import { init } from "./load.js";
import {
  Device, messageText, unixSeconds, wasmDeviceOf, wasmDirectoryOf,
} from "./devices.js";

const INTERNAL = Symbol("internal");
const inner = new WeakMap();
const owner = new WeakMap();

const CONTEXT_FIELDS = {
  chat: ["roomId", "messageId"],
  call: ["callId", "eventName"],
  realtime: ["scope", "scopeId", "eventName"],
};

/** `[kind, a, b, c]` of an envelope context `{kind, …ids}`. */
export function contextArgs(fn, context) {
  if (context === null || typeof context !== "object") {
    throw invalidArgument(`${fn}: the context must be an object {kind, …}; got ${describe(context)}`);
  }
  const fields = Object.hasOwn(CONTEXT_FIELDS, context.kind) ? CONTEXT_FIELDS[context.kind] : undefined;
  if (!fields) {
    throw invalidArgument(`${fn}: context.kind must be "chat", "call" or "realtime"; got ${describe(context.kind)}`);
  }
  const ids = fields.map((field) => checkString(context[field], `${fn}: context.${field}`));
  while (ids.length < 3) ids.push("");
  return [context.kind, ...ids];
}

function ringOf(keyring, fn) {
  if (!(keyring instanceof Keyring)) {
    throw invalidArgument(`${fn}: keyring must be a Keyring (createKeyring); got ${describe(keyring)}`);
  }
  return wasmKeyringOf(keyring);
}

function policyText(fn, policy) {
  if (policy === undefined) return "{}";
  if (policy === null || typeof policy !== "object") {
    throw invalidArgument(`${fn}: options.policy must be an object; got ${describe(policy)}`);
  }
  return JSON.stringify(policy);
}

function roomArgs(fn, options) {
  if (options === null || typeof options !== "object") {
    throw invalidArgument(`${fn}: the options must be an object {roomId, keyId, policy?}; got ${describe(options)}`);
  }
  return [
    checkString(options.roomId, `${fn}: options.roomId`),
    checkString(options.keyId, `${fn}: options.keyId`),
    policyText(fn, options.policy),
    unixSeconds(options.now),
  ];
}

/** The share list the core wrote, as objects. */
const shares = (text) => JSON.parse(text);

/**
 * One room's key as this device sees it: the member devices, the rotation policy and its
 * counters. The keys live in the device's Keyring under `keyId`. Make one with
 * `createRoom` (version 1 is generated) or `followRoom` (keys arrive by shares).
 */
export class Room {
  /** @hideconstructor */
  constructor(token, room, device) {
    if (token !== INTERNAL) throw new TypeError("Room is not constructed directly; use createRoom() or followRoom()");
    inner.set(this, room);
    owner.set(this, device);
    /** The room id (named in its shares). */
    this.roomId = room.roomId();
    /** The key id of its versions in the keyring. */
    this.keyId = room.keyId();
    Object.freeze(this);
  }
  #me(device, fn) {
    const d = wasmDeviceOf(device, `${fn}: device`);
    if (device !== owner.get(this)) {
      const mine = owner.get(this);
      if (device.userId !== mine.userId || device.deviceId !== mine.deviceId) {
        throw invalidArgument(`${fn}: this room belongs to ${mine.userId}/${mine.deviceId}, not ${device.userId}/${device.deviceId}`);
      }
    }
    return d;
  }
  /** Adds a member device from its bundle (verified); it receives versions from now on. */
  addDevice(bundle) {
    const text = messageText(bundle, "room.addDevice: bundle");
    callWasm(() => inner.get(this).addDevice(text));
  }
  /** Removes a member device (the key must rotate before the next seal); returns whether it was one. */
  removeDevice(userId, deviceId) {
    checkString(userId, "room.removeDevice: userId");
    checkString(deviceId, "room.removeDevice: deviceId");
    return callWasm(() => inner.get(this).removeDevice(userId, deviceId));
  }
  /** Removes every device of a user but this one; returns how many. */
  removeUser(userId) {
    checkString(userId, "room.removeUser: userId");
    return callWasm(() => inner.get(this).removeUser(userId));
  }
  /** Removes every member the directory marks revoked; returns how many. */
  removeRevoked(directory) {
    const d = wasmDirectoryOf(directory, "room.removeRevoked: directory");
    return inner.get(this).removeRevoked(d);
  }
  /** The member devices, this one included: `{userId, deviceId}`, sorted. */
  members() {
    return JSON.parse(inner.get(this).membersJson());
  }
  /** Shares of the current version, one per member device but this one. */
  shareCurrent(device, keyring) {
    const d = this.#me(device, "room.shareCurrent");
    const ring = ringOf(keyring, "room.shareCurrent");
    return shares(callWasm(() => inner.get(this).shareCurrent(d, ring)));
  }
  /** A share of the current version for one member; a bundle not yet a member is added first. */
  shareWith(device, keyring, member) {
    const d = this.#me(device, "room.shareWith");
    const ring = ringOf(keyring, "room.shareWith");
    let userId, deviceId;
    if (member !== null && typeof member === "object" && typeof member.userId === "string") {
      ({ userId, deviceId } = member);
      checkString(deviceId, "room.shareWith: member.deviceId");
    } else {
      this.addDevice(member);
      ({ user: userId, device: deviceId } = typeof member === "string" ? JSON.parse(member) : member);
    }
    return JSON.parse(callWasm(() => inner.get(this).shareWith(d, ring, userId, deviceId)));
  }
  /** Why the key must rotate before the next seal ("member_removed", "message_budget", "max_age"), or null. */
  rotationDue(now) {
    const at = unixSeconds(now, "room.rotationDue: now");
    return callWasm(() => inner.get(this).rotationDue(at)) ?? null;
  }
  /** Rotates: `{keyVersion, shares, retired}`; send each share on the room's channel. */
  rotate(device, keyring, { now } = {}) {
    const d = this.#me(device, "room.rotate");
    const ring = ringOf(keyring, "room.rotate");
    const at = unixSeconds(now);
    return JSON.parse(changeKeyring(keyring, () => inner.get(this).rotate(d, ring, at)));
  }
  /**
   * Verifies a share (signature, binding, recipient, sender known and not revoked, not a
   * replay, not older than the current version) and imports its key: `{keyVersion, from}`.
   */
  acceptShare(device, keyring, directory, share, { now } = {}) {
    const d = this.#me(device, "room.acceptShare");
    const ring = ringOf(keyring, "room.acceptShare");
    const dir = wasmDirectoryOf(directory, "room.acceptShare: directory");
    const text = messageText(share, "room.acceptShare: share");
    const at = unixSeconds(now);
    return JSON.parse(changeKeyring(keyring, () => inner.get(this).acceptShare(d, ring, dir, text, at)));
  }
  /**
   * Seals `payload` with the current version for `context`, counting it against the
   * message budget; KeyLifecycleError "rotation_required" when the policy says rotate first.
   */
  encryptJson(keyring, payload, context, { padding = "none", now } = {}) {
    const ring = ringOf(keyring, "room.encryptJson");
    const [kind, a, b, c] = contextArgs("room.encryptJson", context);
    checkString(padding, "room.encryptJson: options.padding");
    const at = unixSeconds(now);
    const text = payloadText(payload);
    return JSON.parse(callWasm(() => inner.get(this).seal(ring, kind, a, b, c, padding, text, at)));
  }
}


/** A new room of `device`: version 1 of `options.keyId` is generated into `keyring`. */
export async function createRoom(device, keyring, options) {
  await init();
  const d = wasmDeviceOf(device, "createRoom: device");
  const ring = ringOf(keyring, "createRoom");
  const [roomId, keyId, policy, now] = roomArgs("createRoom", options);
  const room = changeKeyring(keyring, () => wasm.WasmRoom.create(d, ring, roomId, keyId, policy, now));
  return new Room(INTERNAL, room, device);
}

/** A room of `device` whose keys arrive by shares (`room.acceptShare`). */
export async function followRoom(device, options) {
  await init();
  const d = wasmDeviceOf(device, "followRoom: device");
  const [roomId, keyId, policy, now] = roomArgs("followRoom", options);
  return new Room(INTERNAL, callWasm(() => wasm.WasmRoom.follow(d, roomId, keyId, policy, now)), device);
}

/** Signs `envelope`, sealed for `context`, as `device`: the signed envelope to send. */
export function signEnvelope(device, envelope, context) {
  const d = wasmDeviceOf(device, "signEnvelope: device");
  const [kind, a, b, c] = contextArgs("signEnvelope", context);
  const text = messageText(envelope, "signEnvelope: envelope");
  return JSON.parse(callWasm(() => wasm.signEnvelope(d, kind, a, b, c, text)));
}

/**
 * Checks the sender (known and not revoked in `directory`) and the signature for the
 * expected `context`: `{envelope, sender}`; then decrypt `envelope` as usual.
 */
export function verifySignedEnvelope(signed, directory, context) {
  const dir = wasmDirectoryOf(directory, "verifySignedEnvelope: directory");
  const [kind, a, b, c] = contextArgs("verifySignedEnvelope", context);
  const text = messageText(signed, "verifySignedEnvelope: signed");
  return JSON.parse(callWasm(() => wasm.verifySignedEnvelope(text, dir, kind, a, b, c)));
}

export { Device };
