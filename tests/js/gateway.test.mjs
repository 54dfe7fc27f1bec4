// `domvia serve` driven by the real npm packages: pusher-js (client) and pusher (server SDK).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import {
  APP,
  client,
  connected,
  once,
  serverSdk,
  sleep,
  startGateway,
  subscribed,
  tracker,
} from "./helpers.mjs";

// A payload that must never appear in the gateway's logs, even at trace level.
const MARKER = "payload-marker-7f3a";

let gateway;
let sdk;
const { track, disconnectAll } = tracker();

before(async () => {
  gateway = await startGateway({ logLevel: "trace" });
  sdk = serverSdk(gateway.port);
});

after(async () => {
  disconnectAll();
  const { code, signal } = await gateway.stop();
  // SIGTERM is a graceful shutdown: the process exits 0 by itself.
  assert.equal(signal, null, gateway.output());
  assert.equal(code, 0, gateway.output());
  // Logs carry ids and codes, never payloads.
  assert.ok(gateway.output().length > 0);
  assert.ok(!gateway.output().includes(MARKER), "a payload reached the logs");
});

test("public channel: a server SDK trigger reaches a pusher-js subscriber", async () => {
  const pusher = track(await connected(client(gateway.port)));
  assert.match(pusher.connection.socket_id, /^\d+\.\d+$/);
  const channel = await subscribed(pusher, "news");
  const got = once(channel, "headline");
  await sdk.trigger("news", "headline", { title: MARKER, n: 1 });
  assert.deepEqual((await got).data, { title: MARKER, n: 1 });
});

test("trigger with socket_id excludes that connection; batch events arrive in order", async () => {
  const alice = track(await connected(client(gateway.port)));
  const bob = track(await connected(client(gateway.port)));
  const aliceChannel = await subscribed(alice, "room-1");
  const bobChannel = await subscribed(bob, "room-1");
  let aliceGot = 0;
  aliceChannel.bind("ping", () => aliceGot++);
  const bobGot = once(bobChannel, "ping");
  await sdk.trigger("room-1", "ping", "x", { socket_id: alice.connection.socket_id });
  assert.equal((await bobGot).data, "x");

  const seen = [];
  const done = new Promise((resolve) =>
    bobChannel.bind("step", (data) => {
      seen.push(data.i);
      if (seen.length === 3) resolve();
    }),
  );
  await sdk.triggerBatch([0, 1, 2].map((i) => ({ channel: "room-1", name: "step", data: { i } })));
  await done;
  assert.deepEqual(seen, [0, 1, 2]);
  await sleep(100);
  assert.equal(aliceGot, 0);
});

test("private channel: authorized by the trusted server; a forged token is refused", async () => {
  const alice = track(await connected(client(gateway.port)));
  const channel = await subscribed(alice, "private-orders");
  const got = once(channel, "update");
  await sdk.trigger("private-orders", "update", { status: "shipped" });
  assert.deepEqual((await got).data, { status: "shipped" });

  const forger = track(
    await connected(
      client(gateway.port, { sdk: serverSdk(gateway.port, { ...APP, secret: "wrong-secret" }) }),
    ),
  );
  await assert.rejects(subscribed(forger, "private-orders"), (error) => error.status === 401);
});

test("presence: members, member_added/removed once per user, client events with user_id", async () => {
  const alice = track(
    await connected(client(gateway.port, { presence: { user_id: "alice", user_info: { name: "Alice" } } })),
  );
  const aliceChannel = await subscribed(alice, "presence-call-7");
  assert.equal(aliceChannel.members.count, 1);
  assert.equal(aliceChannel.members.me.id, "alice");

  const added = once(aliceChannel, "pusher:member_added");
  // A numeric user id is normalized to a string.
  const bob = track(await connected(client(gateway.port, { presence: { user_id: 42 } })));
  const bobChannel = await subscribed(bob, "presence-call-7");
  assert.equal((await added).data.id, "42");
  assert.equal(bobChannel.members.count, 2);
  assert.deepEqual(bobChannel.members.get("alice").info, { name: "Alice" });

  // Client events: relayed to the others with the sender's user id, never echoed.
  let echoed = false;
  bobChannel.bind("client-offer", () => (echoed = true));
  const offer = once(aliceChannel, "client-offer");
  assert.equal(bobChannel.trigger("client-offer", { sdp: "v=0" }), true);
  const { data, metadata } = await offer;
  assert.deepEqual(data, { sdp: "v=0" });
  assert.equal(metadata.user_id, "42");

  // The HTTP API sees the same members.
  const users = await (await sdk.get({ path: "/channels/presence-call-7/users" })).json();
  assert.deepEqual(users.users.map((u) => u.id).sort(), ["42", "alice"]);
  const info = await (await sdk.get({ path: "/channels/presence-call-7", params: { info: "user_count" } })).json();
  assert.equal(info.occupied, true);
  assert.equal(info.user_count, 2);
  const list = await (
    await sdk.get({ path: "/channels", params: { filter_by_prefix: "presence-", info: "user_count" } })
  ).json();
  assert.equal(list.channels["presence-call-7"].user_count, 2);

  const removed = once(aliceChannel, "pusher:member_removed");
  bob.unsubscribe("presence-call-7");
  assert.equal((await removed).data.id, "42");
  assert.equal(echoed, false);
});

test("user authentication: signin, sendToUser, terminateUserConnections", async () => {
  const user = { id: "carol", user_info: { name: "Carol" } };
  const carol = track(await connected(client(gateway.port, { user })));
  carol.signin();
  await carol.user.signinDonePromise;
  assert.equal(carol.user.user_data.id, "carol");
  // pusher-js subscribes to #server-to-user-carol after signing in; give it a moment.
  await sleep(200);
  const notice = once(carol.user, "notice");
  await sdk.sendToUser("carol", "notice", { text: "hi Carol" });
  assert.deepEqual((await notice).data, { text: "hi Carol" });

  const closed = new Promise((resolve) => carol.connection.bind("state_change", (s) => s.current !== "connected" && resolve(s.current)));
  await sdk.terminateUserConnections("carol");
  assert.notEqual(await closed, "connected");
});

test("the HTTP API refuses a wrong secret with 401", async () => {
  const wrong = serverSdk(gateway.port, { ...APP, secret: "not-the-secret" });
  await assert.rejects(wrong.trigger("news", "x", "y"), (error) => error.status === 401);
});

test("an unknown app key is refused with 4001 and pusher-js does not retry", { timeout: 15_000 }, async () => {
  const pusher = track(client(gateway.port, { app: { ...APP, key: "no-such-key" } }));
  const code = await new Promise((resolve) =>
    pusher.connection.bind("error", (error) => {
      // pusher-js wraps the server's pusher:error as {type: "WebSocketError", error}.
      const code = error?.error?.data?.code ?? error?.data?.code;
      if (code) resolve(code);
    }),
  );
  assert.equal(code, 4001);
  // Refused: pusher-js stays disconnected instead of retrying.
  await sleep(1_500);
  assert.equal(pusher.connection.state, "disconnected");
});

test("webhooks: channel_occupied reaches the app signed, and the server SDK validates it", async () => {
  const received = [];
  const hooks = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => (body += chunk));
    request.on("end", () => {
      received.push({ headers: request.headers, body });
      response.end("ok");
    });
  });
  await new Promise((resolve) => hooks.listen(0, "127.0.0.1", resolve));
  const hookUrl = `http://127.0.0.1:${hooks.address().port}/hooks`;
  const second = await startGateway({
    toml: `
[[apps]]
id = "${APP.id}"
key = "${APP.key}"
secret = "${APP.secret}"

[[apps.webhooks]]
url = "${hookUrl}"
events = ["channel_occupied", "channel_vacated"]
`,
  });
  try {
    const pusher = track(await connected(client(second.port)));
    await subscribed(pusher, "hooked");
    const deadline = Date.now() + 10_000;
    while (received.length === 0 && Date.now() < deadline) await sleep(50);
    assert.ok(received.length > 0, "no webhook arrived");
    const { headers, body } = received[0];
    const webhook = serverSdk(second.port).webhook({ headers, rawBody: body });
    assert.equal(webhook.isValid(), true);
    assert.deepEqual(
      webhook.getEvents().map((e) => [e.name, e.channel]),
      [["channel_occupied", "hooked"]],
    );
    pusher.disconnect();
  } finally {
    await second.stop();
    hooks.close();
  }
});
