// Key messages as ordinary gateway events (spec/key-lifecycle.md section 9).
import * as wasm from "../wasm/domvia_e2ee_wasm.js";
import { invalidArgument } from "./errors.js";
import { callWasm, checkString, describe } from "./keys.js";
import { init } from "./load.js";

/** The event names of key messages (the core's constants; test/lifecycle.test.mjs checks them). */
export const KEY_EVENTS = Object.freeze({
  share: "client-domvia-keyshare",
  device: "client-domvia-device",
  request: "client-domvia-key-request",
  response: "client-domvia-key-response",
  revocation: "client-domvia-revocation",
});

/** The private channel only `userId`'s devices may join (the app's server authorizes it). */
export async function userKeyChannel(userId) {
  await init();
  checkString(userId, "userKeyChannel: userId");
  return callWasm(() => wasm.userKeyChannel(userId));
}

/**
 * `{type, message}` for a key event's data (object or JSON text), null for any other
 * event. Checks shape and self-signatures only: verify each message as its type says.
 */
export async function parseKeyMessage(eventName, data) {
  await init();
  checkString(eventName, "parseKeyMessage: eventName");
  if (!Object.values(KEY_EVENTS).includes(eventName)) return null;
  let text = data;
  if (typeof data !== "string") {
    if (data === null || typeof data !== "object") {
      throw invalidArgument(`parseKeyMessage: data must be an object or its JSON text; got ${describe(data)}`);
    }
    text = JSON.stringify(data);
  }
  const parsed = callWasm(() => wasm.parseKeyMessage(eventName, text));
  return parsed === undefined ? null : JSON.parse(parsed);
}
