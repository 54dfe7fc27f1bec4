// The strong privacy guide's three examples, verbatim (shared/seed/strong-privacy-guide.txt),
// each run as a module that imports "@domvia/realtime-e2ee". The guide leaves
// `localDescription`, `callKey` and `eventKey` to the reader: a short prelude defines
// them, and the module exports what the example computed so the test can check it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runModule } from "../dev/support.mjs";

const CHAT = `import {
  decryptChatJson,
  encryptChatJson,
  generateAesGcmKey,
} from "@domvia/realtime-e2ee";

const roomKey = await generateAesGcmKey();

const encrypted = await encryptChatJson(
  {
    body: "Private message",
    sender_id: "user-1",
  },
  roomKey,
  {
    roomId: "room-42",
    messageId: "msg-1",
    keyId: "room-42-v1",
    keyVersion: 1,
  },
);

const message = await decryptChatJson(encrypted, roomKey, {
  roomId: "room-42",
  messageId: "msg-1",
});
`;

const CALL = `import {
  decryptCallSignalJson,
  encryptCallSignalJson,
} from "@domvia/realtime-e2ee";

const encryptedOffer = await encryptCallSignalJson(
  {
    sdp_type: "offer",
    sdp: localDescription.sdp,
  },
  callKey,
  {
    callId: "call-9001",
    eventName: "call.offer",
    keyVersion: 1,
  },
);

const offer = await decryptCallSignalJson(encryptedOffer, callKey, {
  callId: "call-9001",
  eventName: "call.offer",
});
`;

const REALTIME = `import {
  decryptRealtimeJson,
  encryptRealtimeJson,
} from "@domvia/realtime-e2ee";

const encrypted = await encryptRealtimeJson(
  {
    note: "Sensitive delivery instruction",
  },
  eventKey,
  {
    scope: "delivery",
    scopeId: "order-1001",
    eventName: "delivery.private_note",
    keyVersion: 1,
  },
);

const payload = await decryptRealtimeJson(encrypted, eventKey, {
  scope: "delivery",
  scopeId: "order-1001",
  eventName: "delivery.private_note",
});
`;

const SDP = "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";

test("seed example 1: private chat JSON", async () => {
  const { encrypted, message } = await runModule(`${CHAT}\nexport { encrypted, message };\n`);
  assert.deepEqual(message, { body: "Private message", sender_id: "user-1" });
  // The encrypted value is a plain JSON object, sendable as event data as is.
  assert.equal(Object.getPrototypeOf(encrypted), Object.prototype);
  assert.deepEqual(JSON.parse(JSON.stringify(encrypted)), encrypted);
  assert.deepEqual(Object.keys(encrypted), ["v", "suite", "kind", "kid", "kver", "nonce", "commit", "ct"]);
  assert.equal(encrypted.kind, "chat");
  assert.equal(encrypted.kid, "room-42-v1");
  assert.ok(!JSON.stringify(encrypted).includes("Private message"));
});

test("seed example 2: call signaling JSON", async () => {
  const prelude = `import { generateAesGcmKey } from "@domvia/realtime-e2ee";
const localDescription = { type: "offer", sdp: ${JSON.stringify(SDP)} };
const callKey = await generateAesGcmKey();
`;
  const { encryptedOffer, offer } = await runModule(`${prelude}${CALL}\nexport { encryptedOffer, offer };\n`);
  assert.deepEqual(offer, { sdp_type: "offer", sdp: SDP });
  assert.equal(encryptedOffer.kind, "call");
  assert.equal(encryptedOffer.kid, undefined, "no key id: the guide's call example has none");
});

test("seed example 3: custom realtime JSON", async () => {
  const prelude = `import { generateAesGcmKey } from "@domvia/realtime-e2ee";
const eventKey = await generateAesGcmKey();
`;
  const { encrypted, payload } = await runModule(`${prelude}${REALTIME}\nexport { encrypted, payload };\n`);
  assert.deepEqual(payload, { note: "Sensitive delivery instruction" });
  assert.equal(encrypted.kind, "realtime");
  assert.equal(encrypted.kver, 1);
});
