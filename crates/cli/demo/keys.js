// The room key's lifecycle for this device, with @domvia/realtime-e2ee's key-lifecycle
// API (spec/key-lifecycle.md). Every key message travels on the room channel as the
// package makes it (bundles, HPKE key shares): the gateway only relays them.
//
// - Each device publishes its self-signed bundle (client-domvia-device) when it joins, and
//   again when it sees a device it did not know, so both sides learn each other.
// - The first device creates the room key, version 1: after a short wait without a key
//   when it has seen no other device, after a longer one (a holder would have shared by
//   then) when it has, and only if its id is the smallest of the present devices.
// - A device holding the key shares it with each new device (client-domvia-keyshare,
//   sealed to that device's HPKE key, signed by the sender).
// - When a member leaves, the remaining device with the smallest id rotates: a fresh
//   version, shared with the remaining devices only.
import * as e2ee from "./pkg/index.js";

export const ROOM_ID = "e2ee-demo";
export const KEY_ID = "e2ee-demo-room";
const CREATE_ALONE_AFTER_MS = 1500;
const CREATE_AMONG_OTHERS_AFTER_MS = 6000;

/** A random identifier with a prefix (device and message ids). */
export function randomId(prefix) {
  const bytes = crypto.getRandomValues(new Uint8Array(9));
  return `${prefix}-${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/**
 * This tab's device: its secret keys stay in sessionStorage (this tab only; a reload
 * keeps the device), never sent anywhere.
 */
export async function loadDevice(user) {
  const slot = `domvia-demo-device:${user}`;
  const stored = sessionStorage.getItem(slot);
  if (stored) {
    try {
      return await e2ee.importDevice(stored);
    } catch {
      sessionStorage.removeItem(slot);
    }
  }
  const device = await e2ee.createDevice(user, randomId("dev"));
  sessionStorage.setItem(slot, JSON.stringify(device.exportSecret()));
  return device;
}

export class KeyManager {
  /**
   * @param device this tab's Device
   * @param hooks {send(event, data), presentUsers(): Set<string>, changed(), log(text)}
   */
  static async start(device, hooks) {
    const directory = await e2ee.createDeviceDirectory();
    directory.add(device.bundle());
    const keyring = await e2ee.createKeyring();
    const room = await e2ee.followRoom(device, { roomId: ROOM_ID, keyId: KEY_ID });
    return new KeyManager(device, directory, keyring, room, hooks);
  }

  constructor(device, directory, keyring, room, hooks) {
    Object.assign(this, { device, directory, keyring, room, hooks });
    this.pendingShares = [];
  }

  /** The current key version, or undefined before this device holds the key. */
  get keyVersion() {
    return this.keyring.currentVersion(KEY_ID);
  }

  /** Publishes this device's bundle; after a short wait, creates the key if nobody shared one. */
  joined() {
    this.hooks.send(e2ee.KEY_EVENTS.device, this.device.bundle());
    setTimeout(() => this.#createIfFirst(false), CREATE_ALONE_AFTER_MS);
    setTimeout(() => this.#createIfFirst(true), CREATE_AMONG_OTHERS_AFTER_MS);
  }

  /** Handles a room event if it is a key message; true when it was one. */
  async handle(eventName, data) {
    const parsed = await e2ee.parseKeyMessage(eventName, data).catch((error) => {
      this.hooks.log(`refused a malformed key message (${error.code ?? error.message})`);
      return undefined;
    });
    if (parsed === null) return false;
    if (parsed?.type === "device") this.#onBundle(parsed.message);
    else if (parsed?.type === "share") this.#onShare(parsed.message);
    else if (parsed) this.hooks.log(`ignored a ${parsed.type} message (not used by this demo)`);
    this.hooks.changed();
    return true;
  }

  /** A user left the room: drop their devices; the smallest remaining device rotates. */
  memberLeft(userId) {
    const removed = this.room.removeUser(userId);
    if (removed === 0 || this.keyVersion === undefined) return;
    const smallest = this.room.members().map((m) => m.deviceId).sort()[0];
    if (smallest !== this.device.deviceId) {
      this.hooks.log(`${userId} left: waiting for the new key version from ${smallest}`);
      return;
    }
    const { keyVersion, shares } = this.room.rotate(this.device, this.keyring);
    for (const share of shares) this.hooks.send(e2ee.KEY_EVENTS.share, share);
    this.hooks.log(`${userId} left: rotated to version ${keyVersion}, shared with ${shares.length} device(s)`);
    this.hooks.changed();
  }

  #isMe(user, deviceId) {
    return user === this.device.userId && deviceId === this.device.deviceId;
  }

  #onBundle(bundle) {
    if (this.#isMe(bundle.user, bundle.device)) return;
    const known = this.directory.get(bundle.user, bundle.device) !== undefined;
    try {
      this.directory.add(bundle);
    } catch (error) {
      this.hooks.log(`refused the bundle of ${bundle.user}/${bundle.device} (${error.code})`);
      return;
    }
    if (known) return;
    // A new device: tell it about this one, and give it the key if this device holds it.
    this.hooks.send(e2ee.KEY_EVENTS.device, this.device.bundle());
    if (this.keyVersion !== undefined) {
      const share = this.room.shareWith(this.device, this.keyring, bundle);
      this.hooks.send(e2ee.KEY_EVENTS.share, share);
      this.hooks.log(`shared key version ${share.kver} with ${bundle.user}/${bundle.device}`);
    } else {
      this.room.addDevice(bundle);
    }
    this.#retryPending();
  }

  #onShare(share) {
    if (!this.#isMe(share.to_user, share.to_device)) return;
    try {
      const { keyVersion, from } = this.room.acceptShare(this.device, this.keyring, this.directory, share);
      this.hooks.log(`accepted key version ${keyVersion} from ${from.userId}/${from.deviceId}`);
    } catch (error) {
      if (error.code === "unknown_device") {
        this.pendingShares.push(share); // its sender's bundle is still on its way
      } else {
        this.hooks.log(`refused a key share from ${share.from_user}/${share.from_device} (${error.code})`);
      }
    }
  }

  #retryPending() {
    const pending = this.pendingShares.splice(0);
    for (const share of pending) this.#onShare(share);
  }

  async #createIfFirst(waitedLong) {
    if (this.keyVersion !== undefined) return;
    const present = this.hooks.presentUsers();
    const candidates = this.directory
      .devices()
      .filter((d) => d.status === "active" && present.has(d.userId))
      .map((d) => d.deviceId)
      .sort();
    if (candidates.length > 1 && !waitedLong) return;
    if (candidates[0] !== this.device.deviceId) {
      if (waitedLong) this.hooks.log("waiting for a device holding the key to share it");
      return;
    }
    const followers = this.room.members().filter((m) => !this.#isMe(m.userId, m.deviceId));
    this.room = await e2ee.createRoom(this.device, this.keyring, { roomId: ROOM_ID, keyId: KEY_ID });
    for (const member of followers) {
      const bundle = this.directory.get(member.userId, member.deviceId);
      if (bundle) this.hooks.send(e2ee.KEY_EVENTS.share, this.room.shareWith(this.device, this.keyring, bundle));
    }
    this.hooks.log(`created the room key, version 1${followers.length ? `, shared with ${followers.length} device(s)` : ""}`);
    this.hooks.changed();
  }
}
