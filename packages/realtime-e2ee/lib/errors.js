// The package's errors. Every error has a stable `code` (spec/errors.md); the class
// tells the family. Errors from the WebAssembly side arrive as plain `Error`s whose
// `name` is the class to use (bindings/wasm/src/errors.rs is the one table that maps the
// core's errors to a class and code); `rethrow` turns them into these classes.

/** Base class of every error this package throws. */
export class E2eeError extends Error {
  /**
   * @param {string} message
   * @param {string} code
   * @param {ErrorOptions} [options]
   */
  constructor(message, code, options) {
    super(message, options);
    /** The stable code from spec/errors.md, e.g. "auth_failed". */
    this.code = code;
  }
}

/** A wrong argument: a type, a missing field, an identifier, a key version, a key, a padding. */
export class InvalidArgumentError extends E2eeError {}
/** Sealing failed: the payload is not JSON, or is too large; the keyring has no such key. */
export class SealError extends E2eeError {}
/** Opening failed: malformed envelope, wrong kind, unknown key, authentication, replay… */
export class OpenError extends E2eeError {}
/** A keyring operation was refused. */
export class KeyringError extends E2eeError {}
/**
 * A key-lifecycle message or operation was refused: a bundle, share, request, response,
 * revocation or signed envelope (bad signature, wrong recipient, unknown or revoked
 * device, replay, stale version…), or a room that must rotate first.
 */
export class KeyLifecycleError extends E2eeError {}
/** A backup could not be made or restored: damaged, other version, wrong secret, weak parameters… */
export class BackupError extends E2eeError {}

// Class names survive minification: set them on the prototypes.
const CLASSES = [E2eeError, InvalidArgumentError, SealError, OpenError, KeyringError, KeyLifecycleError, BackupError];
for (const cls of CLASSES) {
  Object.defineProperty(cls.prototype, "name", { value: cls.name, writable: true, configurable: true });
}

const FAMILIES = Object.assign(Object.create(null), {
  InvalidArgumentError, SealError, OpenError, KeyringError, KeyLifecycleError, BackupError,
});

/** An `invalid_argument` error for a JavaScript type the core never sees. */
export function invalidArgument(message) {
  return new InvalidArgumentError(message, "invalid_argument");
}

// The errors raised on the JavaScript side: arguments the core never sees, and the
// steps the WebCrypto path performs itself. Messages are the core's.
export const payloadNotJson = (why) =>
  new SealError(`the payload cannot be serialized as JSON: ${why}`, "invalid_payload");
export const payloadTooLarge = (len) =>
  new SealError(`the payload is ${len} bytes of JSON; the limit is 16777216`, "payload_too_large");
export const notAnEnvelope = () =>
  new OpenError("malformed envelope: not a JSON object", "malformed");
export const authFailed = () =>
  new OpenError("authentication failed: wrong key, wrong context, or tampered envelope", "auth_failed");
export const invalidPlaintext = () =>
  new OpenError("the decrypted plaintext is not framed correctly", "invalid_plaintext");
export const invalidPayload = () =>
  new OpenError("the decrypted payload is not JSON of the expected type", "invalid_payload");

/**
 * Rethrows an error from the WebAssembly side as the package's class. Anything else (a
 * trap would be a bug) becomes an `E2eeError` with code "internal" and the original as
 * its cause.
 */
export function rethrow(error) {
  if (error instanceof E2eeError) throw error;
  const cls = error instanceof Error && typeof error.code === "string" && FAMILIES[error.name];
  if (cls) throw new cls(error.message, error.code);
  throw new E2eeError(`internal error in the WebAssembly module: ${error}`, "internal", { cause: error });
}
