// Kept byte buffers for what crosses into WebAssembly or into the platform's AES.
//
// In browsers every fresh ArrayBuffer and every TextEncoder.encode is expensive: in
// Chromium a new 4 KiB Uint8Array costs about 14 µs and encoding 4 KiB of text about
// 30 µs, as much as the AES-GCM of those bytes (encodeInto a kept buffer: about 5 µs).
// Both consumers copy their input synchronously: wasm-bindgen into the module's memory,
// and WebCrypto's encrypt and decrypt take "a copy of the bytes held by the data
// parameter" before they return their promise (node:crypto works synchronously). So one
// buffer serves every call, provided it is filled and handed over with no `await` in
// between, and wiped right after when it held plaintext.
import { payloadTooLarge } from "./errors.js";

const encoder = new TextEncoder();
const MAIN_SIZE = 128 * 1024;
const AUX_SIZE = 4 * 1024;
const MAX_PAYLOAD = 16 * 1024 * 1024;

let main; // payload frames, envelope text, ciphertext
let aux; // a detached envelope's header, while `main` holds its ciphertext

function into(buffer, text, offset) {
  if (text.length > buffer.length - offset) return undefined; // at least one byte per unit
  const { read, written } = encoder.encodeInto(text, buffer.subarray(offset));
  if (read === text.length) return buffer.subarray(offset, offset + written);
  buffer.fill(0, offset, offset + written);
  return undefined;
}

/** `text` in UTF-8, in the main kept buffer (or a fresh array when it does not fit). */
export const utf8 = (text) => into((main ??= new Uint8Array(MAIN_SIZE)), text, 0) ?? encoder.encode(text);

/** The same in the small auxiliary buffer. */
export const utf8Aux = (text) => into((aux ??= new Uint8Array(AUX_SIZE)), text, 0) ?? encoder.encode(text);

/**
 * Payload JSON text in UTF-8 at offset 4 of the main buffer, leaving room for the length
 * prefix, so that `frame` needs no copy.
 */
export const utf8Payload = (text) => into((main ??= new Uint8Array(MAIN_SIZE)), text, 4) ?? encoder.encode(text);

/** The main buffer, for decoding a ciphertext into (`base64urlDecodeCanonical`). */
export const mainBuffer = () => (main ??= new Uint8Array(MAIN_SIZE));

/**
 * The framed plaintext of spec/envelope-v1.md section 6: the payload's length (u32, big
 * endian), the payload, zeros up to `paddedLength`. In place when `payload` came from
 * `utf8Payload` and the padded frame fits; a fresh array otherwise. The caller wipes it.
 */
export function frame(payload, paddedLength) {
  const n = payload.length;
  if (n > MAX_PAYLOAD) throw payloadTooLarge(n);
  const start = payload.byteOffset - 4;
  let framed;
  if (main && payload.buffer === main.buffer && start >= 0 && start + paddedLength <= main.length) {
    framed = main.subarray(start, start + paddedLength);
    framed.fill(0, 4 + n);
  } else {
    framed = new Uint8Array(paddedLength);
    framed.set(payload, 4);
  }
  framed[0] = n >>> 24;
  framed[1] = (n >>> 16) & 0xff;
  framed[2] = (n >>> 8) & 0xff;
  framed[3] = n & 0xff;
  return framed;
}
