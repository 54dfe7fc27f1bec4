// The package through a bundler: a tiny app that imports "@domvia/realtime-e2ee" by its
// name is built with `vite build` (the package linked into the app's node_modules, as
// `npm install file:…` does), the built dist/ is served by a static server, and Debian's
// Chromium (playwright-core, which never downloads one here) loads it. The page seals and
// opens with the strong privacy guide's three calls (chat, call signal, realtime) on both
// paths (WebAssembly and WebCrypto), opens an envelope made in Node, and reports back.
// The .wasm must be an asset Vite emitted into dist/, and the one the page loaded.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import * as e2ee from "../index.js";
import { launchChromium, packageDir, serveStatic } from "../dev/browser.mjs";

const INDEX_HTML = `<!doctype html>
<meta charset="utf-8">
<title>@domvia/realtime-e2ee through Vite</title>
<script type="module" src="/main.js"></script>
`;

// The app: the guide's three calls, each with a small payload (WebAssembly) and a large
// one (WebCrypto, above the threshold).
const MAIN_JS = `import {
  decryptCallSignalJson, decryptChatJson, decryptRealtimeJson,
  encryptCallSignalJson, encryptChatJson, encryptRealtimeJson,
  generateAesGcmKey, importKey, platformAesThreshold,
} from "@domvia/realtime-e2ee";

async function run({ rawKey, fromNode }) {
  const report = { secure: isSecureContext, threshold: platformAesThreshold(), chat: [], call: [], realtime: [] };
  const large = "x".repeat(70000);

  const roomKey = await generateAesGcmKey();
  for (const body of ["Private message", large]) {
    const encrypted = await encryptChatJson({ body, sender_id: "user-1" }, roomKey,
      { roomId: "room-42", messageId: "msg-1", keyId: "room-42-v1", keyVersion: 1 });
    const message = await decryptChatJson(encrypted, roomKey, { roomId: "room-42", messageId: "msg-1" });
    report.chat.push(message.body === body && message.sender_id === "user-1" && encrypted.kind === "chat");
  }

  const callKey = await generateAesGcmKey();
  for (const sdp of ["v=0\\r\\no=- 46117314 2 IN IP4 127.0.0.1\\r\\n", large]) {
    const encryptedOffer = await encryptCallSignalJson({ sdp_type: "offer", sdp }, callKey,
      { callId: "call-9001", eventName: "call.offer", keyVersion: 1 });
    const offer = await decryptCallSignalJson(encryptedOffer, callKey, { callId: "call-9001", eventName: "call.offer" });
    report.call.push(offer.sdp === sdp && offer.sdp_type === "offer" && encryptedOffer.kind === "call");
  }

  const eventKey = await generateAesGcmKey();
  const where = { scope: "delivery", scopeId: "order-1001", eventName: "delivery.private_note" };
  for (const note of ["Sensitive delivery instruction", large]) {
    const encrypted = await encryptRealtimeJson({ note }, eventKey, { ...where, keyVersion: 1 });
    const payload = await decryptRealtimeJson(encrypted, eventKey, where);
    report.realtime.push(payload.note === note && encrypted.kind === "realtime");
  }

  const shared = await importKey("raw", rawKey);
  const context = { roomId: "room-42", messageId: "msg-1" };
  report.fromNode = await Promise.all(fromNode.map((env) => decryptChatJson(env, shared, context)));
  report.toNode = await encryptChatJson({ body: "from the bundle" }, shared, { ...context, keyId: "k", keyVersion: 1 });
  report.wasm = performance.getEntriesByType("resource").map((e) => new URL(e.name).pathname).filter((p) => p.endsWith(".wasm"));
  return report;
}

run(window.input).then((report) => { window.report = report; }, (error) => { window.report = { error: String(error) }; });
`;

let app;
let server;
let browser;

before(async () => {
  app = await mkdtemp(join(tmpdir(), "domvia-vite-app-"));
  await writeFile(join(app, "package.json"), JSON.stringify({
    name: "vite-app", private: true, type: "module",
    dependencies: { "@domvia/realtime-e2ee": `file:${packageDir}` },
  }));
  await writeFile(join(app, "index.html"), INDEX_HTML);
  await writeFile(join(app, "main.js"), MAIN_JS);
  await mkdir(join(app, "node_modules/@domvia"), { recursive: true });
  await symlink(packageDir, join(app, "node_modules/@domvia/realtime-e2ee"), "dir");
});
after(async () => {
  await browser?.close();
  await server?.close();
  if (app) await rm(app, { recursive: true, force: true });
});

test("vite build bundles the package, emits the .wasm as an asset, and the bundle works in Chromium", async () => {
  const vite = join(packageDir, "node_modules/vite/bin/vite.js");
  await promisify(execFile)(process.execPath, [vite, "build", "--logLevel", "warn"], { cwd: app });

  const dist = join(app, "dist");
  const assets = await readdir(join(dist, "assets"));
  const wasm = assets.filter((name) => name.endsWith(".wasm"));
  assert.equal(wasm.length, 1, `one .wasm asset in dist/assets: ${assets.join(", ")}`);
  assert.match(wasm[0], /^domvia_e2ee_wasm_bg-[\w-]+\.wasm$/);
  const original = await readFile(join(packageDir, "wasm/domvia_e2ee_wasm_bg.wasm"));
  assert.deepEqual(await readFile(join(dist, "assets", wasm[0])), original, "the asset is the package's .wasm");
  const scripts = assets.filter((name) => name.endsWith(".js"));
  const bundled = (await Promise.all(scripts.map((name) => readFile(join(dist, "assets", name), "utf8")))).join("\n");
  assert.ok(bundled.includes(wasm[0]), "the bundle refers to the emitted .wasm");
  assert.ok(!bundled.includes("node_modules/@domvia"), "no path into the package is left in the bundle");

  const key = await e2ee.generateAesGcmKey();
  const rawKey = await e2ee.exportKey("raw", key);
  const options = { roomId: "room-42", messageId: "msg-1", keyId: "room-42-v1", keyVersion: 1 };
  const fromNode = [
    await e2ee.encryptChatJson({ from: "node" }, key, options),
    await e2ee.encryptChatJson({ body: "n".repeat(70_000) }, key, options),
  ];

  server = await serveStatic(dist);
  browser = await launchChromium();
  const page = await browser.context.newPage();
  const problems = [];
  const requested = [];
  page.on("pageerror", (error) => problems.push(String(error)));
  page.on("requestfailed", (request) => problems.push(`${request.url()}: ${request.failure()?.errorText}`));
  page.on("response", (response) => {
    if (response.status() !== 200) problems.push(`${response.url()}: ${response.status()}`);
  });
  page.on("request", (request) => requested.push(new URL(request.url()).pathname));
  await page.addInitScript((input) => { window.input = input; }, { rawKey, fromNode });
  await page.goto(`${server.url}/index.html`);
  await page.waitForFunction(() => window.report !== undefined, null, { timeout: 30_000 });
  const report = await page.evaluate(() => window.report);

  assert.deepEqual(problems, []);
  assert.equal(report.error, undefined, report.error);
  assert.equal(report.secure, true, "127.0.0.1 is a secure context: WebCrypto is there");
  assert.ok(report.threshold < 70_000, "the large payloads take the WebCrypto path");
  assert.deepEqual({ chat: report.chat, call: report.call, realtime: report.realtime },
    { chat: [true, true], call: [true, true], realtime: [true, true] });
  assert.deepEqual(report.fromNode, [{ from: "node" }, { body: "n".repeat(70_000) }]);
  assert.deepEqual(await e2ee.decryptChatJson(report.toNode, key, { roomId: "room-42", messageId: "msg-1" }),
    { body: "from the bundle" });
  assert.deepEqual(report.wasm, [`/assets/${wasm[0]}`], "the page loaded the emitted .wasm");
  assert.deepEqual(requested.filter((p) => p.endsWith(".wasm")), [`/assets/${wasm[0]}`]);
});
