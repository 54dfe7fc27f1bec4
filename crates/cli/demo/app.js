// The strong-privacy demo: this tab is one device of a user in the presence room
// `presence-e2ee-demo`. Everything sent on the room is an envelope or a key message made
// by @domvia/realtime-e2ee; the "what the gateway relayed" panel lists every frame.
import * as e2ee from "./pkg/index.js";
import { Calls } from "./call.js";
import { KEY_ID, KeyManager, ROOM_ID, loadDevice, randomId } from "./keys.js";

const ROOM_CHANNEL = "presence-e2ee-demo";
// The gateway allows 10 client events per second per connection: stay under it.
const SEND_INTERVAL_MS = 120;
const LOCATION_EVERY_MS = 3000;
const USER_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
const $ = (id) => document.getElementById(id);

const user = new URLSearchParams(location.search).get("user");
if (user && USER_PATTERN.test(user)) {
  start(user).catch((error) => status(`failed: ${error.message}`));
} else {
  $("join").hidden = false;
  $("join").addEventListener("submit", (event) => {
    event.preventDefault();
    location.search = `?user=${encodeURIComponent($("user-name").value)}`;
  });
}

function status(text) {
  $("status").textContent = text;
}

function listItem(list, text, className) {
  const item = document.createElement("li");
  item.textContent = text;
  if (className) item.className = className;
  list.append(item);
  list.scrollTop = list.scrollHeight;
  return item;
}

/** Frames as the gateway relayed them: event, channel, and data (ids and envelopes). */
function showFrame(direction, frame) {
  const text = `${direction} ${JSON.stringify(frame)}`;
  listItem($("relayed"), text.length > 600 ? `${text.slice(0, 600)}…` : text, direction === "↑" ? "sent" : "");
}

async function start(user) {
  $("demo").hidden = false;
  status("loading the WebAssembly module…");
  const { appKey } = await (await fetch("/demo/config.json")).json();
  const device = await loadDevice(user);
  const me = { userId: device.userId, deviceId: device.deviceId };
  $("me-user").textContent = user;
  $("me-device").textContent = device.deviceId;
  $("me-fingerprint").textContent = group(device.fingerprint());
  $("key-id").textContent = KEY_ID;
  document.title = `${user} — Domvia demo`;

  const pusher = new Pusher(appKey, {
    wsHost: location.hostname,
    wsPort: Number(location.port || 80),
    forceTLS: false,
    enabledTransports: ["ws"],
    disableStats: true,
    cluster: "",
    channelAuthorization: { endpoint: "/demo/auth", transport: "ajax", params: { user } },
  });
  pusher.connection.bind("message", (frame) => showFrame("↓", frame));
  const room = pusher.subscribe(ROOM_CHANNEL);
  // The user's own key channel: the trusted server grants it to this user only.
  const keyChannel = pusher.subscribe(await e2ee.userKeyChannel(user));
  keyChannel.bind("pusher:subscription_succeeded", () => log(`subscribed to this user's key channel ${keyChannel.name}`));

  // Sends in order, paced under the gateway's client-event limit.
  let sending = Promise.resolve();
  const send = (event, data) => {
    sending = sending.then(async () => {
      showFrame("↑", { event, channel: ROOM_CHANNEL, data });
      room.trigger(event, data);
      await sleep(SEND_INTERVAL_MS);
    });
    return sending;
  };
  // Encrypts in order too, so a call's offer always precedes its ICE candidates.
  let sealing = Promise.resolve();
  const sendSealed = (event, id, seal) => {
    sealing = sealing.then(async () => send(event, { id, envelope: await seal() })).catch((error) => log(`not sent: ${error.message}`));
  };

  const keys = await KeyManager.start(device, {
    send,
    presentUsers: () => new Set(Object.keys(room.members.members)),
    changed: () => render(),
    log,
  });
  const calls = new Calls({
    me,
    localVideo: $("local-video"),
    remoteVideo: $("remote-video"),
    state: (text) => ($("call-state").textContent = text),
    log,
    signal: (kind, callId, payload) =>
      sendSealed(`client-call-${kind}`, callId, () =>
        e2ee.encryptCallSignalJson(payload, keys.keyring, { callId, eventName: kind, keyId: KEY_ID })),
  });
  const guards = { chat: await e2ee.createReplayGuard(), call: await e2ee.createReplayGuard(), location: await e2ee.createReplayGuard() };

  function log(text) {
    listItem($("chat"), `· ${text}`, "system");
  }

  // The directory is rebuilt only when it changed, so its buttons stay put while in use.
  let shownDevices = "";
  function render() {
    $("key-version").textContent = keys.keyVersion ?? "none yet";
    const devices = keys.directory.devices();
    const shown = JSON.stringify(devices);
    if (shown === shownDevices) return;
    shownDevices = shown;
    const list = $("directory");
    list.replaceChildren();
    for (const entry of devices) {
      const self = entry.userId === me.userId && entry.deviceId === me.deviceId;
      const item = listItem(list, `${entry.userId} / ${entry.deviceId} — ${group(entry.fingerprint)}${self ? " (this device)" : ""}`, self ? "self" : "");
      if (!self && entry.status === "active") {
        const button = document.createElement("button");
        button.textContent = "Call";
        button.dataset.call = entry.deviceId;
        button.onclick = () => calls.call({ userId: entry.userId, deviceId: entry.deviceId }, randomId("call"));
        item.append(" ", button);
      }
    }
  }

  // Received events are handled one at a time, in order.
  let receiving = Promise.resolve();
  room.bind_global((event, data) => {
    receiving = receiving.then(() => receive(event, data)).catch((error) => log(`could not open ${event}: ${error.code ?? error.message}`));
  });

  async function receive(event, data) {
    if (event === "pusher:subscription_succeeded") {
      status(`joined ${ROOM_CHANNEL}`);
      keys.joined();
    } else if (event === "pusher:member_removed") {
      keys.memberLeft(data.id);
    } else if (await keys.handle(event, data)) {
      // a key message
    } else if (event === "client-chat") {
      const body = await e2ee.decryptChatJson(data.envelope, keys.keyring, { roomId: ROOM_ID, messageId: data.id, replayGuard: guards.chat });
      listItem($("chat"), `${body.from}: ${body.text}`, "received");
    } else if (event.startsWith("client-call-")) {
      const kind = event.slice("client-call-".length);
      const payload = await e2ee.decryptCallSignalJson(data.envelope, keys.keyring, { callId: data.id, eventName: kind, replayGuard: guards.call });
      await calls.receive(kind, data.id, payload);
    } else if (event === "client-location") {
      const where = await e2ee.decryptRealtimeJson(data.envelope, keys.keyring, { scope: "location", scopeId: ROOM_ID, eventName: "update", replayGuard: guards.location });
      showLocation(where);
    }
    render();
  }

  $("chat-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("chat-input").value.trim();
    if (!text || keys.keyVersion === undefined) return;
    $("chat-input").value = "";
    const messageId = randomId("msg");
    listItem($("chat"), `${user} (me): ${text}`, "mine");
    sendSealed("client-chat", messageId, () =>
      e2ee.encryptChatJson({ from: user, text }, keys.keyring, { roomId: ROOM_ID, messageId, keyId: KEY_ID }));
  });

  startLocation((where) => {
    showLocation({ ...where, from: user });
    if (keys.keyVersion === undefined || room.members.count < 2) return;
    sendSealed("client-location", randomId("loc"), () =>
      e2ee.encryptRealtimeJson({ ...where, from: user }, keys.keyring, { scope: "location", scopeId: ROOM_ID, eventName: "update", keyId: KEY_ID }));
  });
  render();
}

const positions = new Map();

function showLocation(where) {
  positions.set(where.from, where);
  const list = $("locations");
  list.replaceChildren();
  const canvas = $("map");
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  for (const [name, p] of positions) {
    listItem(list, `${name}: ${p.lat.toFixed(5)}, ${p.lon.toFixed(5)} (${p.source})`);
    // A small window around the first point seen: enough to watch a point move.
    const x = canvas.width / 2 + ((p.lon - 2.35) * 2000) % (canvas.width / 2);
    const y = canvas.height / 2 - ((p.lat - 48.85) * 2000) % (canvas.height / 2);
    ctx.fillStyle = "#c0392b";
    ctx.beginPath();
    ctx.arc(x, y, 5, 0, 2 * Math.PI);
    ctx.fill();
    ctx.fillStyle = "#1d2330";
    ctx.fillText(name, x + 7, y + 4);
  }
}

/** Calls `update` every few seconds with the device's position, or a simulated moving point. */
function startLocation(update) {
  let real = null;
  navigator.geolocation?.watchPosition(
    (position) => (real = { lat: position.coords.latitude, lon: position.coords.longitude, source: "geolocation" }),
    () => {},
    { timeout: 5000 },
  );
  const phase = Math.random() * 2 * Math.PI;
  let step = 0;
  setInterval(() => {
    step += 1;
    const angle = phase + step / 10;
    const simulated = { lat: 48.85 + 0.01 * Math.sin(angle), lon: 2.35 + 0.015 * Math.cos(angle), source: "simulated" };
    $("location-source").textContent = real ? "Source: this device's geolocation." : "Source: a simulated moving point (geolocation not allowed).";
    update(real ?? simulated);
  }, LOCATION_EVERY_MS);
}

function group(digits) {
  return digits.replace(/(\d{5})(?=\d)/g, "$1 ");
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
