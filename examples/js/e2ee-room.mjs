// Strong privacy mode end to end with unmodified pusher-js and @domvia/realtime-e2ee:
// two devices join a ciphertext-only presence channel, the key holder shares the room
// key with the newcomer by an HPKE key share, and an encrypted chat message goes
// through the gateway, which relays only ciphertext.
//
//   cargo run --release -p domvia-cli -- serve        # the gateway, with the dev app
//   scripts/build-wasm.sh                             # once: the package's WebAssembly
//   cd examples/js && npm install && node e2ee-room.mjs "Hello, Bob"
//
// DOMVIA_URL (default http://127.0.0.1:6001) and DOMVIA_APP_ID/KEY/SECRET (default: the
// dev app) point it at another gateway.
import { createServer } from "node:http";
import Pusher from "pusher-js";
import PusherServer from "pusher";
import {
  KEY_EVENTS, createDevice, createDeviceDirectory, createKeyring, createRoom,
  decryptChatJson, followRoom, parseKeyMessage, safetyNumber,
} from "@domvia/realtime-e2ee";

const gateway = new URL(process.env.DOMVIA_URL ?? "http://127.0.0.1:6001");
const app = {
  appId: process.env.DOMVIA_APP_ID ?? "domvia-dev",
  key: process.env.DOMVIA_APP_KEY ?? "domvia-dev-key",
  secret: process.env.DOMVIA_APP_SECRET ?? "domvia-dev-secret",
};
const CHANNEL = "presence-e2ee-example";
const ROOM = { roomId: "example-room", keyId: "example-room" };
const text = process.argv.slice(2).join(" ") || "Private message";
const log = (...parts) => console.log(...parts);

// --- The app's TRUSTED SERVER (a real app has its own, behind its login) -------------
// It signs who may join which channel with the app secret; it never sees a room key.
const signer = new PusherServer({ ...app, host: gateway.hostname, port: gateway.port, useTLS: false });
const trustedServer = createServer(async (req, res) => {
  const form = new URLSearchParams(await new Response(req).text());
  const user = new URL(req.url, "http://x").searchParams.get("user");
  const auth = signer.authorizeChannel(form.get("socket_id"), form.get("channel_name"),
    { user_id: user, user_info: {} });
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(auth));
});
await new Promise((resolve) => trustedServer.listen(0, "127.0.0.1", resolve));
const authEndpoint = `http://127.0.0.1:${trustedServer.address().port}/auth`;

// --- A device: a pusher-js connection plus its keys -----------------------------------
async function join(user, deviceId) {
  const pusher = new Pusher(app.key, {
    wsHost: gateway.hostname, wsPort: Number(gateway.port || 80), forceTLS: false,
    enabledTransports: ["ws"], cluster: "",
    channelAuthorization: { endpoint: `${authEndpoint}?user=${encodeURIComponent(user)}`, transport: "ajax" },
  });
  const relayed = [];
  pusher.connection.bind("message", (m) => relayed.push(JSON.stringify(m)));
  const channel = pusher.subscribe(CHANNEL);
  await new Promise((resolve, reject) => {
    channel.bind("pusher:subscription_succeeded", resolve);
    channel.bind("pusher:subscription_error", (e) => reject(new Error(`subscribe: ${JSON.stringify(e)}`)));
  });
  const device = await createDevice(user, deviceId);
  const directory = await createDeviceDirectory();
  directory.add(device.bundle());
  return { user, pusher, channel, device, directory, keyring: await createKeyring(), relayed };
}

const alice = await join("alice", "phone");
const bob = await join("bob", "laptop");
log(`alice/phone fingerprint ${alice.device.fingerprint()}, bob/laptop ${bob.device.fingerprint()}`);

// Alice creates the room key (version 1); Bob follows the room and waits for a share.
const aliceRoom = await createRoom(alice.device, alice.keyring, ROOM);
const bobRoom = await followRoom(bob.device, ROOM);

// Key messages travel as client events on the room's channel (spec/key-lifecycle.md §9).
const bobHasKey = new Promise((resolve, reject) => {
  bob.channel.bind_global(async (event, data) => {
    try {
      const parsed = await parseKeyMessage(event, data);
      if (parsed?.type === "device") bob.directory.add(parsed.message);
      if (parsed?.type === "share") resolve(bobRoom.acceptShare(bob.device, bob.keyring, bob.directory, parsed.message));
    } catch (error) { reject(error); }
  });
});
alice.channel.bind(KEY_EVENTS.device, async (bundle) => {
  // A real app shows this number on both screens for the users to compare.
  log(`safety number alice/phone ↔ bob/laptop: ${await safetyNumber(alice.device.bundle(), bundle)}`);
  alice.directory.add(bundle);
  alice.channel.trigger(KEY_EVENTS.device, alice.device.bundle());
  alice.channel.trigger(KEY_EVENTS.share, aliceRoom.shareWith(alice.device, alice.keyring, bundle));
});
bob.channel.trigger(KEY_EVENTS.device, bob.device.bundle());
const accepted = await bobHasKey;
log(`bob accepted key version ${accepted.keyVersion} from ${accepted.from.userId}/${accepted.from.deviceId}`);

// An encrypted chat message: {id, envelope} is what a ciphertext-only channel accepts.
const received = new Promise((resolve) => bob.channel.bind("client-chat", resolve));
const messageId = `msg-${Date.now()}`;
const envelope = aliceRoom.encryptJson(alice.keyring, { body: text, sender_id: "alice" },
  { kind: "chat", roomId: ROOM.roomId, messageId });
alice.channel.trigger("client-chat", { id: messageId, envelope });
const { id, envelope: got } = await received;
const message = await decryptChatJson(got, bob.keyring, { roomId: ROOM.roomId, messageId: id });
log(`bob decrypted: ${JSON.stringify(message)}`);

// What the gateway relayed to Bob: ciphertext and metadata only.
const leaked = bob.relayed.filter((frame) => frame.includes(text));
log(`frames relayed to bob: ${bob.relayed.length}, containing the plaintext: ${leaked.length}`);
for (const d of [alice, bob]) d.pusher.disconnect();
trustedServer.close();
if (message.body !== text || leaked.length !== 0) process.exit(1);
