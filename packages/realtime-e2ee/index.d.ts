// Type declarations of @domvia/realtime-e2ee (hand-written; the module is index.js).

/** Any value `JSON.stringify` turns into JSON text. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [member: string]: JsonValue };

/** The encrypted value: a plain JSON object, sent as (part of) event data as is. */
export interface Envelope {
  v: 1;
  suite: "AES256GCM-HKDFSHA256";
  kind: "chat" | "call" | "realtime";
  /** The key id; absent when the sender gave none. */
  kid?: string;
  kver: number;
  /** base64url of the sender session's salt and the IV (44 bytes). */
  nonce: string;
  /** base64url of the key's commitment (32 bytes). */
  commit: string;
  /** base64url of the ciphertext and tag. */
  ct: string;
}

/** `"none"` (default), `"power-of-two"` (at least 32 bytes), or `"multiple:N"` (1 ≤ N ≤ 65536). */
export type Padding = "none" | "power-of-two" | `multiple:${number}`;

/** A 256-bit AES-GCM key. Opaque: export it with `exportKey`. */
export class AesGcmKey {
  private constructor();
}

/** Keys by id and version. Make one with `createKeyring()` or `importKeyring()`. */
export class Keyring {
  private constructor();
  /** Creates version 1 of a new key id; returns 1. */
  generate(keyId: string): number;
  /** Creates the next version (fresh randomness) and makes it current; returns it. */
  rotate(keyId: string): number;
  /** Adds a key received from elsewhere; a version above the current one becomes current. */
  insert(keyId: string, keyVersion: number, key: AesGcmKey): void;
  /** Forgets one old version (never the current one). */
  retire(keyId: string, keyVersion: number): void;
  /** Forgets every version older than `keyVersion` but the current one; returns how many. */
  retireOlderThan(keyId: string, keyVersion: number): number;
  /** Removes a key id and all its versions. */
  remove(keyId: string): void;
  currentVersion(keyId: string): number | undefined;
  key(keyId: string, keyVersion: number): AesGcmKey | undefined;
  keyIds(): string[];
  versions(keyId: string): number[];
  /** Every key in the clear (format "domvia-keyring" v1): encrypt it before it leaves the device. */
  export(): KeyringExport;
}

export interface KeyringExport {
  format: "domvia-keyring";
  v: 1;
  keys: { kid: string; current: number; highest: number; versions: { kver: number; key: string }[] }[];
}

/** Refuses envelopes already accepted for the same context. Make one with `createReplayGuard()`. */
export class ReplayGuard {
  private constructor();
  /** How many accepted envelopes it remembers now. */
  readonly size: number;
}

/** A key, or a keyring (which picks the version: current to seal, the envelope's to open). */
export type KeyOrKeyring = AesGcmKey | Keyring;

interface SealOptions {
  /** Required with a Keyring. */
  keyId?: string;
  /** Required with a single key; with a Keyring, defaults to the current version. */
  keyVersion?: number;
  padding?: Padding;
}
interface OpenOptions {
  replayGuard?: ReplayGuard;
}

export interface ChatContext { roomId: string; messageId: string }
export interface CallContext { callId: string; eventName: string }
export interface RealtimeContext { scope: string; scopeId: string; eventName: string }

/** Encrypts a chat body for {roomId, messageId}; keyId is required. */
export function encryptChatJson(
  payload: unknown, key: KeyOrKeyring, options: ChatContext & SealOptions & { keyId: string },
): Promise<Envelope>;
export function decryptChatJson<T = JsonValue>(
  encrypted: Envelope | string, key: KeyOrKeyring, options: ChatContext & OpenOptions,
): Promise<T>;
/** Encrypts call signaling (offer, answer, ICE) for {callId, eventName}. */
export function encryptCallSignalJson(
  payload: unknown, key: KeyOrKeyring, options: CallContext & SealOptions,
): Promise<Envelope>;
export function decryptCallSignalJson<T = JsonValue>(
  encrypted: Envelope | string, key: KeyOrKeyring, options: CallContext & OpenOptions,
): Promise<T>;
/** Encrypts a custom realtime payload for {scope, scopeId, eventName}. */
export function encryptRealtimeJson(
  payload: unknown, key: KeyOrKeyring, options: RealtimeContext & SealOptions,
): Promise<Envelope>;
export function decryptRealtimeJson<T = JsonValue>(
  encrypted: Envelope | string, key: KeyOrKeyring, options: RealtimeContext & OpenOptions,
): Promise<T>;

/** A fresh key from the platform's CSPRNG. */
export function generateAesGcmKey(): Promise<AesGcmKey>;

/** An AES-256-GCM JWK, as `crypto.subtle.exportKey("jwk", …)` writes it. */
export interface AesJsonWebKey {
  kty: "oct";
  k: string;
  alg?: "A256GCM";
  ext?: boolean;
  key_ops?: string[];
  [member: string]: unknown;
}
/** "raw": 43 characters of base64url, or 32 bytes. "jwk": a JWK object or its JSON text. */
export function importKey(format: "raw", keyData: string | Uint8Array | ArrayBuffer): Promise<AesGcmKey>;
export function importKey(format: "jwk", keyData: AesJsonWebKey | string): Promise<AesGcmKey>;
export function exportKey(format: "raw", key: AesGcmKey): Promise<string>;
export function exportKey(format: "jwk", key: AesGcmKey): Promise<AesJsonWebKey>;

export function createKeyring(): Promise<Keyring>;
export function importKeyring(exported: KeyringExport | string): Promise<Keyring>;
export function createReplayGuard(options?: { capacity?: number }): Promise<ReplayGuard>;

/** Loads the WebAssembly module now (every function does on first use), optionally from elsewhere. */
export function init(source?: URL | string | Response | BufferSource | WebAssembly.Module): Promise<unknown>;
/** From how many bytes of payload JSON the platform's AES is used (Infinity: never). */
export function setPlatformAesThreshold(bytes: number): void;
export function platformAesThreshold(): number;

/** Base class of the package's errors; `code` is stable (spec/errors.md). */
export class E2eeError extends Error {
  readonly code: string;
}
/** invalid_argument, invalid_identifier, invalid_key_version, invalid_key, invalid_jwk, invalid_padding */
export class InvalidArgumentError extends E2eeError {}
/** invalid_payload, payload_too_large, unknown_key, internal */
export class SealError extends E2eeError {}
/** malformed, unsupported_version, unsupported_suite, kind_mismatch, unknown_key, auth_failed, invalid_plaintext, invalid_payload, replayed */
export class OpenError extends E2eeError {}
/** key_id_exists, unknown_key, version_conflict, retire_current, versions_exhausted, invalid_export */
export class KeyringError extends E2eeError {}

// ---------------------------------------------------------------------------------------
// Key lifecycle (spec/key-lifecycle.md): device identity, key shares, rotation, signed
// envelopes, backups, recovery from another device, and the key events.
//
// Conventions:
// - The factories that need nothing but the module (`createDevice`, `importDevice`,
//   `createDeviceDirectory`, `createRoom`, `followRoom`, `safetyNumber`,
//   `generateRecoveryKey`, `createBackup`, `restoreBackup`, `inspectBackup`,
//   `userKeyChannel`, `parseKeyMessage`) are async: they load the module on first use.
//   Everything that takes a Device, DeviceDirectory, Room or Keyring is synchronous (the
//   module is loaded by then).
// - Messages (bundles, shares, requests, responses, revocations, signed envelopes,
//   backups) are plain JSON objects, sent as event data as is. Every input accepts the
//   object or its JSON text; each is parsed and checked by the core.
// - Times: the core counts Unix seconds. Where a time matters the package takes
//   `Date.now()`; the optional `now` arguments are milliseconds since the epoch (like
//   `Date.now()`), for tests and for apps with their own clock.
// ---------------------------------------------------------------------------------------

/** A device's name: its user id and device id (identifiers of spec/envelope-v1.md §3). */
export interface DeviceRef { userId: string; deviceId: string }

/** A device's public, self-signed bundle (spec/key-lifecycle.md §2.2). Publish it freely. */
export interface DeviceBundle {
  format: "domvia-device";
  v: 1;
  user: string;
  device: string;
  /** base64url, 32 bytes: the X25519 public key for HPKE. */
  hpke_pk: string;
  /** base64url, 32 bytes: the Ed25519 public key. */
  sign_pk: string;
  /** base64url, 64 bytes: the self-signature. */
  sig: string;
}

/** A device's secret keys IN THE CLEAR (spec/key-lifecycle.md §2.1): store it safely on the device only. */
export interface DeviceSecretExport {
  format: "domvia-device-secret";
  v: 1;
  user: string;
  device: string;
  hpke_sk: string;
  sign_sk: string;
}

/** This device's identity: its secret keys and its bundle. Make one with `createDevice` or `importDevice`. */
export class Device {
  private constructor();
  readonly userId: string;
  readonly deviceId: string;
  /** The public, self-signed bundle (a fresh plain object each call). */
  bundle(): DeviceBundle;
  /** The fingerprint as 30 decimal digits, no separators (group by 5 to show it). */
  fingerprint(): string;
  /** The secret keys in the clear: the app stores them safely (never sends them). */
  exportSecret(): DeviceSecretExport;
}

/** New keys for a device of `userId` named `deviceId`. */
export function createDevice(userId: string, deviceId: string): Promise<Device>;
/** A device from `device.exportSecret()` (the object or its JSON text). */
export function importDevice(secret: DeviceSecretExport | string): Promise<Device>;
/** The fingerprint of any bundle (30 digits), after checking its self-signature. */
export function fingerprint(bundle: DeviceBundle | string): Promise<string>;
/**
 * The 60-digit safety number of two devices (no separators; group by 5 to show it): the
 * same whichever side computes it. Users compare it out of band before trusting a bundle.
 */
export function safetyNumber(a: DeviceBundle | string, b: DeviceBundle | string): Promise<string>;

export type DeviceStatus = "active" | "revoked";

/**
 * The bundles this device knows, pinned by (user, device), and which are revoked
 * (spec/key-lifecycle.md §2.4). A different bundle for a known device is refused
 * (device_conflict). Make one with `createDeviceDirectory()`; it lives in memory: the app
 * re-adds the bundles (and re-applies the revocations) it stored.
 */
export class DeviceDirectory {
  private constructor();
  /** Adds a bundle after verifying its self-signature; the same bundle again is a no-op. */
  add(bundle: DeviceBundle | string): void;
  /** Verifies a revocation and marks the device revoked; returns the revoked device. */
  applyRevocation(revocation: Revocation | string): DeviceRef;
  status(userId: string, deviceId: string): DeviceStatus | undefined;
  /** The bundle known for a device, whatever its status. */
  get(userId: string, deviceId: string): DeviceBundle | undefined;
  /** Every known device, sorted by user then device. */
  devices(): (DeviceRef & { fingerprint: string; status: DeviceStatus })[];
}
export function createDeviceDirectory(): Promise<DeviceDirectory>;

/** A signed revocation of one device (spec/key-lifecycle.md §6.3). */
export interface Revocation {
  format: "domvia-revocation";
  v: 1;
  user: string;
  device: string;
  fingerprint: string;
  by_device: string;
  /** Unix seconds. */
  revoked_at: number;
  sig: string;
}
/**
 * `device` revokes the device of `revoked` (a device of the same user, or itself; the
 * core signs the revoked bundle's fingerprint, so it takes the bundle, not just the
 * names). Send it on the user's key channel and the rooms' channels.
 */
export function createRevocation(device: Device, revoked: DeviceBundle | string, options?: { now?: number }): Revocation;

/** One room key version HPKE-sealed to one device, signed by its sender (spec/key-lifecycle.md §4). */
export interface KeyShare {
  format: "domvia-keyshare";
  v: 1;
  room: string;
  kid: string;
  kver: number;
  from_user: string;
  from_device: string;
  to_user: string;
  to_device: string;
  commit: string;
  enc: string;
  ct: string;
  sig: string;
}

/** When a room's key must rotate, and how many old versions to keep. */
export interface RotationPolicy {
  /** Rotate after this device sealed this many envelopes under the current version (default 1 000 000; null: never). */
  maxMessages?: number | null;
  /** Rotate when the current version is older than this (default 30 days; null: never). */
  maxAgeSeconds?: number | null;
  /** Old versions kept besides the current one (default: all). */
  keepVersions?: number | null;
}
export interface RoomOptions {
  roomId: string;
  /** The key id of the room's versions in the keyring. */
  keyId: string;
  policy?: RotationPolicy;
  now?: number;
}
export type RotationReason = "member_removed" | "message_budget" | "max_age";

/** The context an envelope is (or was) sealed for, with its kind. */
export type EnvelopeContext =
  | ({ kind: "chat" } & ChatContext)
  | ({ kind: "call" } & CallContext)
  | ({ kind: "realtime" } & RealtimeContext);

/**
 * One room's key as this device sees it (spec/key-lifecycle.md §5): the member devices,
 * the rotation policy and its counters. The keys live in the Keyring under `keyId`.
 * Every method that takes `device` requires this room's own device (invalid_argument
 * otherwise). It lives in memory.
 */
export class Room {
  private constructor();
  readonly roomId: string;
  readonly keyId: string;
  /** Adds a member device (verifies the bundle); it receives versions from now on. */
  addDevice(bundle: DeviceBundle | string): void;
  /** Removes a member device; the key must rotate before the next seal. */
  removeDevice(userId: string, deviceId: string): boolean;
  /** Removes every device of a user (not this one); returns how many. */
  removeUser(userId: string): number;
  /** Removes every member the directory marks revoked; returns how many. */
  removeRevoked(directory: DeviceDirectory): number;
  /** The member devices, this one included, sorted. */
  members(): DeviceRef[];
  /** Shares of the current version, one per member device but this one. */
  shareCurrent(device: Device, keyring: Keyring): KeyShare[];
  /** A share of the current version for one member (a bundle not yet a member is added first). */
  shareWith(device: Device, keyring: Keyring, member: DeviceBundle | string | DeviceRef): KeyShare;
  /** Why the key must rotate before the next seal, or null. */
  rotationDue(now?: number): RotationReason | null;
  /**
   * Rotates: a fresh version becomes current, one share per other member, old versions
   * beyond `keepVersions` retired (how many: `retired`).
   */
  rotate(device: Device, keyring: Keyring, options?: { now?: number }): { keyVersion: number; shares: KeyShare[]; retired: number };
  /**
   * Verifies a share (signature, binding, recipient = this device, sender known and not
   * revoked, not a replay, not older than the current version) and imports its key into
   * the keyring; a newer version restarts the room's counters. A share for another room
   * or key id is refused (invalid_argument).
   */
  acceptShare(device: Device, keyring: Keyring, directory: DeviceDirectory, share: KeyShare | string, options?: { now?: number }):
    { keyVersion: number; from: DeviceRef };
  /**
   * Seals with the room's current version and counts it against the message budget;
   * throws KeyLifecycleError "rotation_required" when the policy requires a rotation
   * first. Open it with the decrypt*Json functions and the keyring.
   */
  encryptJson(keyring: Keyring, payload: unknown, context: EnvelopeContext, options?: { padding?: Padding; now?: number }): Envelope;
}
/** A new room: version 1 of `keyId` is generated into `keyring`; `device` is its only member. */
export function createRoom(device: Device, keyring: Keyring, options: RoomOptions): Promise<Room>;
/** A room whose keys arrive by shares (`room.acceptShare`). */
export function followRoom(device: Device, options: RoomOptions): Promise<Room>;

/** An envelope with its sender device's signature (spec/key-lifecycle.md §7). */
export interface SignedEnvelope {
  format: "domvia-signed";
  v: 1;
  from_user: string;
  from_device: string;
  envelope: Envelope;
  sig: string;
}
/** Signs `envelope`, sealed for `context`, as `device`. */
export function signEnvelope(device: Device, envelope: Envelope | string, context: EnvelopeContext): SignedEnvelope;
/**
 * Checks the sender (known, not revoked) and the signature for the context the receiver
 * expects; then decrypt `envelope` with the usual decrypt*Json.
 */
export function verifySignedEnvelope(signed: SignedEnvelope | string, directory: DeviceDirectory, context: EnvelopeContext):
  { envelope: Envelope; sender: DeviceRef };

/** An encrypted keyring backup (spec/key-lifecycle.md §8). */
export interface BackupBlob {
  format: "domvia-backup";
  v: 1;
  kdf: "recovery-key" | "argon2id";
  m?: number;
  t?: number;
  p?: number;
  salt: string;
  keys: number;
  commit: string;
  ct: string;
  check: string;
}
/** Argon2id parameters: memory in KiB, passes, lanes (default m 19456, t 2, p 1; no weaker accepted). */
export interface Argon2Params {
  m: number;
  t: number;
  p: number;
  /** DANGER: accept parameters weaker than the defaults. For tests only. */
  dangerInsecureForTests?: boolean;
}
/** A fresh recovery key in its display form (56 characters of Crockford base32, grouped): the user writes it down. */
export function generateRecoveryKey(): Promise<string>;
/** Every key version of the keyring, encrypted under a recovery key or a passphrase (Argon2id). */
export function createBackup(
  keyring: Keyring, secret: { recoveryKey: string } | { passphrase: string; argon2?: Argon2Params },
): Promise<BackupBlob>;
/** The keyring of a backup. Wrong secret (wrong_secret), damage (backup_corrupted) and version (unsupported_version) are told apart. */
export function restoreBackup(blob: BackupBlob | string, secret: { recoveryKey: string } | { passphrase: string }): Promise<Keyring>;
/** What a backup needs and holds, after checking its integrity (not its secret). */
export function inspectBackup(blob: BackupBlob | string): Promise<
  { keyCount: number; kdf: "recovery-key" } | { keyCount: number; kdf: "argon2id"; argon2: { m: number; t: number; p: number } }
>;

/** A new device's signed request for its user's keys (spec/key-lifecycle.md §6.1). */
export interface KeyRequestMessage {
  format: "domvia-key-request";
  v: 1;
  request_id: string;
  bundle: DeviceBundle;
  sig: string;
}
/** The answer: every key version HPKE-sealed to the new device, signed. */
export interface KeyResponseMessage {
  format: "domvia-key-response";
  v: 1;
  request_id: string;
  user: string;
  from_device: string;
  to_device: string;
  keys: number;
  enc: string;
  ct: string;
  sig: string;
}
/** What the requesting device keeps until the response arrives (in memory). */
export class PendingKeyRequest {
  private constructor();
  /**
   * Verifies the response (for this request, to this device, from `responder`: the
   * device whose safety number the user compared) and adds its keys to `keyring`.
   * Returns how many versions were new.
   */
  accept(response: KeyResponseMessage | string, responder: DeviceBundle | string, keyring: Keyring): number;
}
/** A request whose signature verified, from another device of the same user. */
export class VerifiedKeyRequest {
  private constructor();
  /** The requesting device's bundle. */
  readonly bundle: DeviceBundle;
  readonly userId: string;
  readonly deviceId: string;
  /** Its fingerprint (30 digits). */
  readonly fingerprint: string;
  /** The safety number of the answering device and the requesting one: the user compares it on both screens. */
  readonly safetyNumber: string;
}
/** A request from `device` (a new device of its user), and what to keep for the response. */
export function createKeyRequest(device: Device): { request: KeyRequestMessage; pending: PendingKeyRequest };
/**
 * The pending state of a request `device` made earlier, rebuilt from the request (for a
 * device that did not keep `pending`, e.g. after a page reload); unknown_request when the
 * request carries another device's bundle.
 */
export function resumeKeyRequest(device: Device, request: KeyRequestMessage | string): PendingKeyRequest;
/** Checks a request on another device of the same user (other_user, bad_signature). */
export function verifyKeyRequest(device: Device, request: KeyRequestMessage | string): VerifiedKeyRequest;
/** The user approved (after comparing `verified.safetyNumber`): every key of `keyring`, sealed to the new device. */
export function answerKeyRequest(device: Device, verified: VerifiedKeyRequest, keyring: Keyring): KeyResponseMessage;

/** The event names of key messages. */
export const KEY_EVENTS: {
  readonly share: "client-domvia-keyshare";
  readonly device: "client-domvia-device";
  readonly request: "client-domvia-key-request";
  readonly response: "client-domvia-key-response";
  readonly revocation: "client-domvia-revocation";
};
/** The private channel only `userId`'s devices may join (spec/key-lifecycle.md §9). */
export function userKeyChannel(userId: string): Promise<string>;
export type KeyMessage =
  | { type: "share"; message: KeyShare }
  | { type: "device"; message: DeviceBundle }
  | { type: "request"; message: KeyRequestMessage }
  | { type: "response"; message: KeyResponseMessage }
  | { type: "revocation"; message: Revocation };
/**
 * Parses event data by event name: null for an event that is not a key message; a
 * malformed key message throws KeyLifecycleError. Checks shape and self-signatures only:
 * verify each message as its type says before acting on it.
 */
export function parseKeyMessage(eventName: string, data: unknown): Promise<KeyMessage | null>;

/**
 * Key exchange, rotation and recovery refused: malformed, unsupported_version,
 * bad_signature, wrong_recipient, unknown_device, revoked_device, device_conflict,
 * auth_failed, replayed, stale_key_version, other_user, unknown_request,
 * rotation_required, not_a_member, internal. (A keyring refusal, e.g. version_conflict,
 * is a KeyringError.)
 */
export class KeyLifecycleError extends E2eeError {}
/**
 * backup_corrupted, unsupported_version, wrong_secret, wrong_secret_kind,
 * invalid_recovery_key, recovery_key_checksum, weak_kdf_params
 */
export class BackupError extends E2eeError {}
