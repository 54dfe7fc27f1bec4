// The demo of `domvia serve` (zero-config mode) in two Chromium pages, alice and bob:
// they exchange keys (device bundles, an HPKE key share), chat both ways, set up a WebRTC
// call through encrypted signaling (offer, answer, ICE: connected), and share their
// location. Each side must show what the other sent, decrypted; and no frame the gateway
// relayed may carry any of it in the clear. Screenshots go to artifacts/demo/.
//
// Debian's chromium (/usr/bin/chromium, scripts/test.sh installs it) is driven through
// playwright-core, which never downloads a browser. DOMVIA_BIN: the debug `domvia`.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const BIN = process.env.DOMVIA_BIN ?? join(root, "target", "debug", "domvia");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const ARTIFACTS = join(root, "artifacts", "demo");
const WAIT = 30_000;

let gateway;
let browser;
let profile;

async function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** `domvia serve` with no configuration at all: the dev app, and the demo at /. */
async function startGateway() {
  const port = await freePort();
  const env = { ...process.env, RUST_LOG: "warn" };
  for (const name of ["DOMVIA_APP_ID", "DOMVIA_APP_KEY", "DOMVIA_APP_SECRET"]) delete env[name];
  const child = spawn(BIN, ["serve", "--port", String(port)], { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  const deadline = Date.now() + 20_000;
  while (!output.includes("demo: http://")) {
    if (child.exitCode !== null) throw new Error(`domvia serve exited:\n${output}`);
    if (Date.now() > deadline) throw new Error(`domvia serve printed no demo URL:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { url: `http://127.0.0.1:${port}/`, output: () => output, stop: () => child.kill("SIGTERM") };
}

before(async () => {
  gateway = await startGateway();
  profile = await mkdtemp(join(tmpdir(), "domvia-demo-chromium-"));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
      "--disable-background-networking", "--disable-component-update",
      "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
      // Host ICE candidates as plain loopback addresses rather than mDNS names, which
      // the test machine may not resolve.
      "--disable-features=WebRtcHideLocalIpsWithMdns",
    ],
  });
});

after(async () => {
  await browser?.close();
  if (profile) await rm(profile, { recursive: true, force: true });
  gateway?.stop();
});

/** Opens the demo as `user`, recording every WebSocket frame the page sent or received. */
async function openAs(user) {
  const page = await browser.newPage();
  const frames = [];
  const errors = [];
  page.on("websocket", (socket) => {
    socket.on("framesent", ({ payload }) => frames.push({ sent: true, payload: String(payload) }));
    socket.on("framereceived", ({ payload }) => frames.push({ sent: false, payload: String(payload) }));
  });
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error" && message.text().includes("Content Security Policy")) errors.push(message.text());
  });
  await page.goto(`${gateway.url}?user=${user}`);
  return { page, frames, errors, user };
}

const text = (page, selector) => page.locator(selector).innerText();

async function waitForText(page, selector, expected) {
  await page.waitForFunction(
    ([sel, want]) => document.querySelector(sel)?.innerText.includes(want),
    [selector, expected],
    { timeout: WAIT },
  );
}

/** The relayed client events of `frames`, parsed: {event, data}. */
function clientEvents(frames) {
  return frames
    .map(({ payload }) => JSON.parse(payload))
    .filter((frame) => frame.event?.startsWith("client-"))
    .map((frame) => ({ event: frame.event, data: typeof frame.data === "string" ? JSON.parse(frame.data) : frame.data }));
}

test("two devices exchange keys, then chat, call and share their location end to end", { timeout: 120_000 }, async () => {
  const alice = await openAs("alice");
  // Alone in the room, alice's device creates the room key.
  await waitForText(alice.page, "#key-version", "1");
  const bob = await openAs("bob");
  // bob's device gets version 1 from alice's in an HPKE key share.
  await waitForText(bob.page, "#key-version", "1");
  await waitForText(bob.page, "#chat", "accepted key version 1 from alice/");
  await waitForText(alice.page, "#directory", "bob / dev-");
  await waitForText(bob.page, "#directory", "alice / dev-");

  const nonce = Math.random().toString(36).slice(2, 10);
  const fromAlice = `hello bob, the secret word is aubergine-${nonce}`;
  const fromBob = `hi alice, mine is kohlrabi-${nonce}`;
  await alice.page.fill("#chat-input", fromAlice);
  await alice.page.click("#chat-send");
  await waitForText(bob.page, "#chat", `alice: ${fromAlice}`);
  await bob.page.fill("#chat-input", fromBob);
  await bob.page.click("#chat-send");
  await waitForText(alice.page, "#chat", `bob: ${fromBob}`);

  // alice calls bob's device: offer, answer and ICE candidates, all encrypted.
  await alice.page.click("#directory button[data-call]");
  await waitForText(alice.page, "#call-state", "connected");
  await waitForText(bob.page, "#call-state", "connected");
  await waitForText(bob.page, "#chat", "answered the call from alice");

  // Live location, every 3 s once both hold the key.
  await waitForText(alice.page, "#locations", "bob: ");
  await waitForText(bob.page, "#locations", "alice: ");
  const bobSeenByAlice = (await text(alice.page, "#locations")).match(/bob: ([\d.-]+), ([\d.-]+)/);
  assert.ok(bobSeenByAlice, "alice shows bob's decrypted position");

  await mkdir(ARTIFACTS, { recursive: true });
  for (const { page, user } of [alice, bob]) {
    const path = join(ARTIFACTS, `${user}.png`);
    await page.screenshot({ path, fullPage: true });
    console.log(`screenshot: ${path}`);
  }

  // What crossed the gateway: never a plaintext, only envelopes and key messages.
  const frames = [...alice.frames, ...bob.frames];
  const secrets = [fromAlice, fromBob, `aubergine-${nonce}`, `kohlrabi-${nonce}`, "simulated", "a=ice-ufrag", "candidate:", "v=0", bobSeenByAlice[1]];
  for (const { payload } of frames) {
    for (const secret of secrets) {
      assert.ok(!payload.includes(secret), `a relayed frame carries ${JSON.stringify(secret)}: ${payload.slice(0, 200)}`);
    }
  }
  const relayedPanel = await text(alice.page, "#relayed");
  assert.ok(relayedPanel.includes("client-chat"), "the relayed panel lists the chat frames");
  for (const secret of [fromAlice, fromBob]) assert.ok(!relayedPanel.includes(secret));

  const received = clientEvents(alice.frames.filter((frame) => !frame.sent));
  const byEvent = (name) => received.filter((event) => event.event === name);
  for (const name of ["client-chat", "client-call-answer", "client-call-ice", "client-location", "client-domvia-device"]) {
    assert.ok(byEvent(name).length > 0, `alice received ${name}`);
  }
  for (const name of ["client-chat", "client-call-answer", "client-call-ice", "client-location"]) {
    for (const { data } of byEvent(name)) {
      assert.deepEqual(Object.keys(data).sort(), ["envelope", "id"]);
      assert.equal(data.envelope.v, 1);
      assert.equal(typeof data.envelope.ct, "string");
    }
  }
  const share = clientEvents(alice.frames.filter((frame) => frame.sent)).find((event) => event.event === "client-domvia-keyshare");
  assert.equal(share?.data.format, "domvia-keyshare", "alice sent bob a key share");
  assert.equal(share.data.to_user, "bob");
  assert.deepEqual(alice.errors, []);
  assert.deepEqual(bob.errors, []);

  // bob leaves: alice's device rotates the room key to version 2.
  await bob.page.close();
  await waitForText(alice.page, "#key-version", "2");
  await waitForText(alice.page, "#chat", "bob left: rotated to version 2");
});
