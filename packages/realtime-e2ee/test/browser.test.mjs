// The package in a real browser: Debian's Chromium (driven by playwright-core, which
// never downloads one here) loads a page from a local static server; the page imports
// the package with a plain <script type="module">, no bundler, encrypts and decrypts on
// both paths, opens an envelope made in Node, and reports back.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as e2ee from "../index.js";
import { launchChromium, packageDir, serveStatic } from "../dev/browser.mjs";

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>@domvia/realtime-e2ee in the browser</title>
<script type="module">
  import {
    createBackup, createDeviceDirectory, createKeyring, decryptChatJson, encryptChatJson, exportKey,
    followRoom, generateAesGcmKey, generateRecoveryKey, importDevice, importKey, platformAesThreshold,
    verifySignedEnvelope,
  } from "./index.js";

  // The key lifecycle: Bob's device (its secret made in Node) accepts Alice's key share,
  // verifies her signed envelope and reads it, then backs its keyring up for Node.
  async function lifecycle({ bobSecret, aliceBundle, share, signed }) {
    const bob = await importDevice(bobSecret);
    const directory = await createDeviceDirectory();
    directory.add(aliceBundle);
    const ring = await createKeyring();
    const room = await followRoom(bob, { roomId: "room-42", keyId: "room-42" });
    const accepted = room.acceptShare(bob, ring, directory, share);
    const context = { kind: "chat", roomId: "room-42", messageId: "msg-2" };
    const verified = verifySignedEnvelope(signed, directory, context);
    const body = await decryptChatJson(verified.envelope, ring, { roomId: "room-42", messageId: "msg-2" });
    let replay;
    try {
      room.acceptShare(bob, ring, directory, share);
    } catch (error) {
      replay = { name: error.name, code: error.code };
    }
    const recoveryKey = await generateRecoveryKey();
    const backup = await createBackup(ring, { recoveryKey });
    return { accepted, sender: verified.sender, body, replay, recoveryKey, backup };
  }

  async function run({ rawKey, fromNode }) {
    const report = { secure: isSecureContext, threshold: platformAesThreshold() };
    const options = { roomId: "room-42", messageId: "msg-1", keyId: "room-42-v1", keyVersion: 1 };
    const context = { roomId: "room-42", messageId: "msg-1" };
    const roomKey = await generateAesGcmKey();
    const small = { body: "Private message", sender_id: "user-1" };
    const large = { body: "x".repeat(70000) };
    report.small = await decryptChatJson(await encryptChatJson(small, roomKey, options), roomKey, context);
    report.large = (await decryptChatJson(await encryptChatJson(large, roomKey, options), roomKey, context)).body.length;
    report.jwk = (await exportKey("jwk", roomKey)).alg;
    const shared = await importKey("raw", rawKey);
    report.fromNode = await Promise.all(fromNode.map((env) => decryptChatJson(env, shared, context)));
    report.toNode = [await encryptChatJson(small, shared, options), await encryptChatJson(large, shared, options)];
    try {
      await decryptChatJson(report.toNode[0], roomKey, context);
    } catch (error) {
      report.wrongKey = { name: error.name, code: error.code };
    }
    // Non-canonical base64url in a large envelope's ct (decoded by the browser itself).
    const big = report.toNode[1];
    const flipLast = (ct) => ct.slice(0, -1) + (ct.length % 4 === 0 ? ct.at(-1) : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".indexOf(ct.at(-1)) ^ 1]);
    report.badCt = [];
    for (const ct of [big.ct + "=", " " + big.ct, "+" + big.ct.slice(1), flipLast(big.ct)]) {
      try {
        await decryptChatJson({ ...big, ct }, shared, context);
        report.badCt.push("opened");
      } catch (error) {
        report.badCt.push(error.code);
      }
    }
    report.lifecycle = await lifecycle(window.input.lifecycle);
    return report;
  }
  run(window.input).then((report) => { window.report = report; }, (error) => { window.report = { error: String(error) }; });
</script>`;

let server;
let browser;

before(async () => {
  server = await serveStatic(packageDir, { "/browser-test.html": PAGE });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

test("Chromium loads the package with <script type=module>, seals, opens, and interoperates with Node", async () => {
  const key = await e2ee.generateAesGcmKey();
  const rawKey = await e2ee.exportKey("raw", key);
  const options = { roomId: "room-42", messageId: "msg-1", keyId: "room-42-v1", keyVersion: 1 };
  const fromNode = [
    await e2ee.encryptChatJson({ from: "node" }, key, options),
    await e2ee.encryptChatJson({ body: "n".repeat(70_000) }, key, options),
  ];
  // Alice (in Node) creates a room with Bob's device and shares version 1 with it.
  const alice = await e2ee.createDevice("alice", "phone");
  const bob = await e2ee.createDevice("bob", "laptop");
  const aliceRing = await e2ee.createKeyring();
  const room = await e2ee.createRoom(alice, aliceRing, { roomId: "room-42", keyId: "room-42" });
  room.addDevice(bob.bundle());
  const [share] = room.shareCurrent(alice, aliceRing);
  const chat = { kind: "chat", roomId: "room-42", messageId: "msg-2" };
  const signed = e2ee.signEnvelope(alice, room.encryptJson(aliceRing, { body: "signed by Alice" }, chat), chat);
  const lifecycle = { bobSecret: bob.exportSecret(), aliceBundle: alice.bundle(), share, signed };
  const page = await browser.context.newPage();
  const problems = [];
  page.on("pageerror", (error) => problems.push(String(error)));
  page.on("requestfailed", (request) => problems.push(`${request.url()}: ${request.failure()?.errorText}`));
  await page.addInitScript((input) => { window.input = input; }, { rawKey, fromNode, lifecycle });
  await page.goto(`${server.url}/browser-test.html`);
  await page.waitForFunction(() => window.report !== undefined, null, { timeout: 30_000 });
  const report = await page.evaluate(() => window.report);
  assert.deepEqual(problems, []);
  assert.equal(report.error, undefined, report.error);
  assert.equal(report.secure, true, "127.0.0.1 is a secure context: WebCrypto is there");
  assert.deepEqual(report.small, { body: "Private message", sender_id: "user-1" });
  assert.equal(report.large, 70_000);
  assert.equal(report.jwk, "A256GCM");
  assert.deepEqual(report.fromNode, [{ from: "node" }, { body: "n".repeat(70_000) }]);
  assert.deepEqual(report.wrongKey, { name: "OpenError", code: "auth_failed" });
  // The 70 000-byte payload's ct is not a multiple of 3 bytes, so its last character has
  // unused bits: flipping the lowest one makes it non-canonical.
  assert.equal(report.toNode[1].ct.length % 4 !== 0, true);
  assert.deepEqual(report.badCt, ["malformed", "malformed", "malformed", "malformed"]);
  const context = { roomId: "room-42", messageId: "msg-1" };
  assert.deepEqual(await e2ee.decryptChatJson(report.toNode[0], key, context), { body: "Private message", sender_id: "user-1" });
  assert.equal((await e2ee.decryptChatJson(report.toNode[1], key, context)).body.length, 70_000);

  const life = report.lifecycle;
  assert.deepEqual(life.accepted, { keyVersion: 1, from: { userId: "alice", deviceId: "phone" } });
  assert.deepEqual(life.sender, { userId: "alice", deviceId: "phone" });
  assert.deepEqual(life.body, { body: "signed by Alice" });
  assert.deepEqual(life.replay, { name: "KeyLifecycleError", code: "replayed" });
  const restored = await e2ee.restoreBackup(life.backup, { recoveryKey: life.recoveryKey });
  assert.deepEqual(restored.export(), aliceRing.export(), "the browser's backup holds Alice's key");
});
