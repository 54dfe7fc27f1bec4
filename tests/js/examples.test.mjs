// The runnable JavaScript example of docs/guide.md (examples/js/e2ee-room.mjs), run
// against `domvia serve`: it must share the room key, decrypt the message and see no
// plaintext in what the gateway relayed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { APP, startGateway } from "./helpers.mjs";

const example = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "examples", "js", "e2ee-room.mjs");

function run(env, args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [example, ...args], { env: { ...process.env, ...env } });
    let out = "";
    child.stdout.on("data", (c) => (out += c));
    child.stderr.on("data", (c) => (out += c));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.once("exit", (code) => { clearTimeout(timer); resolve({ code, out }); });
  });
}

test("examples/js/e2ee-room.mjs: key share, encrypted chat, no plaintext relayed", async () => {
  const gateway = await startGateway();
  try {
    const { code, out } = await run({
      DOMVIA_URL: `http://127.0.0.1:${gateway.port}`,
      DOMVIA_APP_ID: APP.id, DOMVIA_APP_KEY: APP.key, DOMVIA_APP_SECRET: APP.secret,
    }, ["Hello", "from", "the", "guide"]);
    assert.equal(code, 0, out);
    assert.match(out, /bob accepted key version 1 from alice\/phone/);
    assert.match(out, /bob decrypted: \{"body":"Hello from the guide","sender_id":"alice"\}/);
    assert.match(out, /containing the plaintext: 0/);
  } finally {
    await gateway.stop();
  }
});

test("examples/js/e2ee-room.mjs: a wrong app secret is refused by the gateway, and the example fails", async () => {
  const gateway = await startGateway();
  try {
    const { code, out } = await run({
      DOMVIA_URL: `http://127.0.0.1:${gateway.port}`,
      DOMVIA_APP_ID: APP.id, DOMVIA_APP_KEY: APP.key, DOMVIA_APP_SECRET: "not-the-secret",
    }, []);
    assert.notEqual(code, 0);
    assert.match(out, /subscribe/);
  } finally {
    await gateway.stop();
  }
});
