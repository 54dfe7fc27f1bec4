// Test support (not published): the spec's vectors in the package's terms, and running
// example code as a module that imports the package by its name.
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { join } from "node:path";

export const repoDir = fileURLToPath(new URL("../../../", import.meta.url));
export const packageDir = fileURLToPath(new URL("../", import.meta.url));

export const vectors = JSON.parse(await readFile(join(repoDir, "spec/vectors/envelope-v1.json"), "utf8"));

export const fromHex = (hex) => new Uint8Array(Buffer.from(hex, "hex"));

/** The vector's context as the options of the package's decrypt functions. */
export function optionsOf(context) {
  switch (context.kind) {
    case "chat":
      return { roomId: context.room_id, messageId: context.message_id };
    case "call":
      return { callId: context.call_id, eventName: context.event_name };
    case "realtime":
      return { scope: context.scope, scopeId: context.scope_id, eventName: context.event_name };
    default:
      throw new Error(`unknown kind ${context.kind}`);
  }
}

/** The package's decrypt function for a kind. */
export function decryptFor(e2ee, kind) {
  return { chat: e2ee.decryptChatJson, call: e2ee.decryptCallSignalJson, realtime: e2ee.decryptRealtimeJson }[kind];
}

let counter = 0;
/**
 * Runs `source` as an ES module inside the package directory, where
 * `import … from "@domvia/realtime-e2ee"` resolves to the package itself, and returns
 * its namespace.
 */
export async function runModule(source) {
  const dir = join(packageDir, ".examples");
  await mkdir(dir, { recursive: true });
  const file = join(dir, `example-${process.pid}-${counter++}.mjs`);
  await writeFile(file, source);
  try {
    return await import(pathToFileURL(file).href);
  } finally {
    await rm(file, { force: true });
  }
}
