// Ciphertext-only channels (spec/ciphertext-only-channels.md) with the unmodified npm
// packages: to pusher-js, `private-e2ee-…` and `presence-e2ee-…` are ordinary private and
// presence channels. Envelopes go through; plaintext is refused with pusher:error 4302
// (client events) or HTTP 400 (the pusher server SDK), and never reaches the logs.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { client, connected, once, serverSdk, sleep, startGateway, subscribed, tracker } from "./helpers.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const vectors = JSON.parse(readFileSync(join(root, "spec", "vectors", "envelope-v1.json"), "utf8"));
// Real envelopes, one per kind, as their exact wire text.
const ENVELOPES = vectors.positive.map((vector) => vector.envelope_json);
const MARKER = "plaintext-marker-91c4";
const PLAINTEXT = { body: MARKER };

let gateway;
let sdk;
const { track, disconnectAll } = tracker();

/** The next pusher:error code and message on a pusher-js connection. */
function nextError(pusher) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no pusher:error")), 10_000);
    const handler = (error) => {
      const data = error?.data ?? error?.error?.data;
      if (data?.code === undefined) return;
      clearTimeout(timer);
      pusher.connection.unbind("error", handler);
      resolve(data);
    };
    pusher.connection.bind("error", handler);
  });
}

before(async () => {
  assert.ok(ENVELOPES.length >= 3);
  gateway = await startGateway({ logLevel: "trace" });
  sdk = serverSdk(gateway.port);
});

after(async () => {
  disconnectAll();
  const { code } = await gateway.stop();
  assert.equal(code, 0, gateway.output());
  // The refusals were logged (app, channel, code), the refused payloads never.
  assert.match(gateway.output(), /event refused on a ciphertext-only channel/);
  assert.ok(!gateway.output().includes(MARKER), "a refused payload reached the logs");
});

for (const [name, presence] of [
  ["private-e2ee-room-42", undefined],
  ["presence-e2ee-call-7", true],
]) {
  test(`${name}: client-event envelopes go through, plaintext gets pusher:error 4302`, async () => {
    const options = (user) => (presence ? { presence: { user_id: user } } : {});
    const alice = track(await connected(client(gateway.port, options("alice"))));
    const bob = track(await connected(client(gateway.port, options("bob"))));
    const aliceChannel = await subscribed(alice, name);
    const bobChannel = await subscribed(bob, name);
    if (presence) assert.equal(bobChannel.members.count, 2);

    const received = [];
    bobChannel.bind("client-envelope", (data) => received.push(data));

    // Plaintext, as an object and as a string: refused, the connection stays up.
    for (const plaintext of [PLAINTEXT, JSON.stringify(PLAINTEXT)]) {
      const error = nextError(alice);
      assert.equal(aliceChannel.trigger("client-envelope", plaintext), true);
      const { code, message } = await error;
      assert.equal(code, 4302);
      assert.ok(message.includes(name), message);
      assert.ok(message.includes("unknown_shape"), message);
      assert.ok(!message.includes(MARKER), message);
    }
    assert.equal(alice.connection.state, "connected");

    // Every vector envelope, sent as pusher-js sends objects, arrives intact.
    for (const envelope of ENVELOPES) {
      const got = once(bobChannel, "client-envelope");
      assert.equal(aliceChannel.trigger("client-envelope", JSON.parse(envelope)), true);
      assert.deepEqual((await got).data, JSON.parse(envelope));
    }
    // And an envelope with its message id, as chat sends it.
    const identified = { id: "msg-1", envelope: JSON.parse(ENVELOPES[0]) };
    const got = once(bobChannel, "client-envelope");
    aliceChannel.trigger("client-envelope", identified);
    const { data, metadata } = await got;
    assert.deepEqual(data, identified);
    if (presence) assert.equal(metadata.user_id, "alice");
    await sleep(100);
    assert.equal(received.length, ENVELOPES.length + 1, "no plaintext was delivered");
  });
}

test("the pusher server SDK: 400 for plaintext, 200 and delivery for an envelope", async () => {
  const pusher = track(await connected(client(gateway.port)));
  const channel = await subscribed(pusher, "private-e2ee-sdk");
  let delivered = 0;
  channel.bind("message", () => delivered++);

  await assert.rejects(sdk.trigger("private-e2ee-sdk", "message", PLAINTEXT), (error) => {
    assert.equal(error.status, 400);
    const body = JSON.parse(error.body);
    assert.match(body.error, /private-e2ee-sdk accepts only end-to-end encrypted envelopes/);
    assert.ok(!error.body.includes(MARKER));
    return true;
  });
  // A batch with one plaintext event publishes nothing.
  await assert.rejects(
    sdk.triggerBatch([
      { channel: "private-e2ee-sdk", name: "message", data: ENVELOPES[0] },
      { channel: "private-e2ee-sdk", name: "message", data: PLAINTEXT },
    ]),
    (error) => error.status === 400 && JSON.parse(error.body).error.startsWith("batch event 1: "),
  );

  const got = once(channel, "message");
  // The SDK JSON-encodes objects; a string is sent as it is. Both are the envelope's text.
  const response = await sdk.trigger("private-e2ee-sdk", "message", ENVELOPES[1]);
  assert.equal(response.status, 200);
  assert.deepEqual((await got).data, JSON.parse(ENVELOPES[1]));
  const again = once(channel, "message");
  await sdk.trigger("private-e2ee-sdk", "message", JSON.parse(ENVELOPES[2]));
  assert.deepEqual((await again).data, JSON.parse(ENVELOPES[2]));
  await sleep(100);
  assert.equal(delivered, 2);

  // Other channels are not affected.
  const news = await subscribed(pusher, "private-news");
  const plain = once(news, "message");
  await sdk.trigger("private-news", "message", PLAINTEXT);
  assert.deepEqual((await plain).data, PLAINTEXT);

  // The refusals are counted by source.
  const metrics = await (await fetch(`http://127.0.0.1:${gateway.port}/metrics`)).text();
  assert.match(metrics, /domvia_plaintext_refused_total\{source="http_api"\} 2\n/);
});

test("ciphertext_only = [] in the config file turns the check off", async () => {
  const open = await startGateway({
    toml: `
[[apps]]
id = "open-app"
key = "open-key"
secret = "open-secret"
ciphertext_only = []
`,
  });
  try {
    const app = { id: "open-app", key: "open-key", secret: "open-secret" };
    const openSdk = serverSdk(open.port, app);
    const pusher = track(await connected(client(open.port, { app, sdk: openSdk })));
    const channel = await subscribed(pusher, "private-e2ee-room");
    const got = once(channel, "message");
    await openSdk.trigger("private-e2ee-room", "message", { text: "hello" });
    assert.deepEqual((await got).data, { text: "hello" });
  } finally {
    await open.stop();
  }
});

test("DOMVIA_APP_CIPHERTEXT_ONLY replaces the default patterns of the app from the environment", async () => {
  const custom = await startGateway({ env: { DOMVIA_APP_CIPHERTEXT_ONLY: "private-strict-*" } });
  try {
    const sdk = serverSdk(custom.port);
    const pusher = track(await connected(client(custom.port, { sdk })));
    // The default private-e2ee-* is no longer guarded: plaintext goes through.
    const channel = await subscribed(pusher, "private-e2ee-room");
    const got = once(channel, "message");
    await sdk.trigger("private-e2ee-room", "message", { text: "hello" });
    assert.deepEqual((await got).data, { text: "hello" });
    // The configured pattern is.
    await assert.rejects(sdk.trigger("private-strict-room", "message", { text: "hello" }), (error) => {
      assert.equal(error.status, 400);
      assert.match(error.body, /private-strict-room accepts only end-to-end encrypted envelopes/);
      return true;
    });
  } finally {
    await custom.stop();
  }
});
