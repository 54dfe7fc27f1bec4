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
