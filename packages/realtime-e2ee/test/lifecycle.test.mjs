// The key lifecycle end to end through the package (spec/key-lifecycle.md): devices and
// their directory, rooms with three devices (share, accept, decrypt), rotation after a
// removal, revocation, signed envelopes, recovery from another device, key events; and
// each failure with its class and code.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as e2ee from "../index.js";

const {
  KeyLifecycleError, KeyringError, InvalidArgumentError, OpenError,
  createDevice, createDeviceDirectory, createKeyring, createRoom, followRoom,
} = e2ee;

const ROOM = { roomId: "room-42", keyId: "room-42" };
const chat = (messageId) => ({ kind: "chat", roomId: "room-42", messageId });
const chatOptions = (messageId) => ({ roomId: "room-42", messageId });

function throws(f, cls, code) {
  assert.throws(f, (error) => {
    assert.ok(error instanceof cls, `${error} is not a ${cls.name}`);
    assert.equal(error.code, code, error.message);
    return true;
  });
}

/** A device with its keyring, a directory knowing `others`, and its view of the room. */
async function member(user, device) {
  const me = await createDevice(user, device);
  return { me, keyring: await createKeyring(), directory: await createDeviceDirectory() };
}
function know(who, ...others) {
  for (const o of others) who.directory.add(o.me.bundle());
}

/** Alice (owner), Bob and Carol: Alice creates the room and shares version 1. */
async function threeInARoom() {
  const alice = await member("alice", "phone");
  const bob = await member("bob", "laptop");
  const carol = await member("carol", "tablet");
  for (const m of [alice, bob, carol]) know(m, alice, bob, carol);
  alice.room = await createRoom(alice.me, alice.keyring, ROOM);
  bob.room = await followRoom(bob.me, ROOM);
  carol.room = await followRoom(carol.me, ROOM);
  alice.room.addDevice(bob.me.bundle());
  alice.room.addDevice(JSON.stringify(carol.me.bundle())); // JSON text works too
  const shares = alice.room.shareCurrent(alice.me, alice.keyring);
  assert.equal(shares.length, 2);
  for (const share of shares) {
    const to = share.to_user === "bob" ? bob : carol;
    const accepted = to.room.acceptShare(to.me, to.keyring, to.directory, share);
    assert.deepEqual(accepted, { keyVersion: 1, from: { userId: "alice", deviceId: "phone" } });
  }
  return { alice, bob, carol };
}

test("devices: bundle, fingerprint, secret round trip, safety number, directory", async () => {
  const phone = await createDevice("alice", "phone");
  assert.equal(phone.userId, "alice");
  assert.equal(phone.deviceId, "phone");
  const bundle = phone.bundle();
  assert.equal(bundle.format, "domvia-device");
  assert.match(phone.fingerprint(), /^\d{30}$/);
  assert.equal(await e2ee.fingerprint(bundle), phone.fingerprint());
  const again = await e2ee.importDevice(JSON.stringify(phone.exportSecret()));
  assert.deepEqual(again.bundle(), bundle);
  assert.ok(!JSON.stringify(phone).includes(phone.exportSecret().sign_sk));

  const laptop = await createDevice("bob", "laptop");
  const n = await e2ee.safetyNumber(bundle, laptop.bundle());
  assert.match(n, /^\d{60}$/);
  assert.equal(await e2ee.safetyNumber(laptop.bundle(), bundle), n);

  const dir = await createDeviceDirectory();
  dir.add(bundle);
  dir.add(bundle); // the same again: a no-op
  assert.equal(dir.status("alice", "phone"), "active");
  assert.equal(dir.status("alice", "nope"), undefined);
  assert.deepEqual(dir.get("alice", "phone"), bundle);
  assert.deepEqual(dir.devices(), [{ userId: "alice", deviceId: "phone", fingerprint: phone.fingerprint(), status: "active" }]);
  const impostor = await createDevice("alice", "phone");
  throws(() => dir.add(impostor.bundle()), KeyLifecycleError, "device_conflict");
  throws(() => dir.add({ ...bundle, device: "tablet" }), KeyLifecycleError, "bad_signature");
  throws(() => dir.add({ ...bundle, v: 2 }), KeyLifecycleError, "unsupported_version");
  throws(() => dir.add({ ...bundle, extra: 1 }), KeyLifecycleError, "malformed");
  throws(() => dir.add(42), InvalidArgumentError, "invalid_argument");
  await assert.rejects(e2ee.createDevice("alice", ""), (e) => e.code === "invalid_identifier");
  await assert.rejects(e2ee.importDevice({ format: "domvia-device-secret", v: 1 }), (e) => e instanceof KeyLifecycleError && e.code === "malformed");
});

test("three devices: shares accepted, messages read by every member", async () => {
  const { alice, bob, carol } = await threeInARoom();
  assert.deepEqual(alice.room.members().map((m) => m.userId), ["alice", "bob", "carol"]);
  const env = alice.room.encryptJson(alice.keyring, { body: "hello" }, chat("m1"));
  assert.equal(env.kver, 1);
  for (const m of [alice, bob, carol]) {
    assert.deepEqual(await e2ee.decryptChatJson(env, m.keyring, chatOptions("m1")), { body: "hello" });
  }
  const fromBob = bob.room.encryptJson(bob.keyring, { body: "hi" }, chat("m2"), { padding: "power-of-two" });
  assert.deepEqual(await e2ee.decryptChatJson(fromBob, carol.keyring, chatOptions("m2")), { body: "hi" });
});

test("rotation after a removal: the removed device cannot open the new version; the others read old and new", async () => {
  const { alice, bob, carol } = await threeInARoom();
  const old = alice.room.encryptJson(alice.keyring, { body: "before" }, chat("m1"));
  assert.equal(alice.room.removeDevice("carol", "tablet"), true);
  assert.equal(alice.room.removeDevice("carol", "tablet"), false);
  assert.equal(alice.room.rotationDue(), "member_removed");
  throws(() => alice.room.encryptJson(alice.keyring, { body: "x" }, chat("m2")), KeyLifecycleError, "rotation_required");
  const rotation = alice.room.rotate(alice.me, alice.keyring);
  assert.equal(rotation.keyVersion, 2);
  assert.equal(rotation.retired, 0);
  assert.deepEqual(rotation.shares.map((s) => s.to_user), ["bob"]);
  assert.equal(alice.room.rotationDue(), null);
  assert.deepEqual(bob.room.acceptShare(bob.me, bob.keyring, bob.directory, rotation.shares[0]).keyVersion, 2);
  const after = alice.room.encryptJson(alice.keyring, { body: "after" }, chat("m3"));
  assert.equal(after.kver, 2);
  assert.deepEqual(await e2ee.decryptChatJson(after, bob.keyring, chatOptions("m3")), { body: "after" });
  assert.deepEqual(await e2ee.decryptChatJson(old, bob.keyring, chatOptions("m1")), { body: "before" });
  await assert.rejects(e2ee.decryptChatJson(after, carol.keyring, chatOptions("m3")), (e) => e instanceof OpenError && e.code === "unknown_key");
  assert.deepEqual(await e2ee.decryptChatJson(old, carol.keyring, chatOptions("m1")), { body: "before" });
  // A share of the new version is refused to the removed device: it is not a member.
  throws(() => alice.room.shareWith(alice.me, alice.keyring, { userId: "carol", deviceId: "tablet" }), KeyLifecycleError, "not_a_member");
});

test("removeUser, removeRevoked, shareWith a new member, keepVersions", async () => {
  const alice = await member("alice", "phone");
  const bob = await member("bob", "laptop");
  const bob2 = await member("bob", "phone");
  alice.room = await createRoom(alice.me, alice.keyring, { ...ROOM, policy: { keepVersions: 1 } });
  alice.room.addDevice(bob.me.bundle());
  alice.room.addDevice(bob2.me.bundle());
  assert.equal(alice.room.removeUser("bob"), 2);
  assert.equal(alice.room.removeUser("alice"), 0, "never this device");
  for (let v = 2; v <= 4; v += 1) assert.equal(alice.room.rotate(alice.me, alice.keyring).keyVersion, v);
  assert.deepEqual(alice.keyring.versions("room-42"), [3, 4]);
  // shareWith adds a bundle as a member, then shares the current version.
  know(bob, alice);
  bob.room = await followRoom(bob.me, ROOM);
  const share = alice.room.shareWith(alice.me, alice.keyring, bob.me.bundle());
  assert.equal(share.kver, 4);
  assert.equal(bob.room.acceptShare(bob.me, bob.keyring, bob.directory, JSON.stringify(share)).keyVersion, 4);
  // A revoked member is removed by removeRevoked.
  know(alice, bob);
  alice.directory.applyRevocation(e2ee.createRevocation(bob.me, bob.me.bundle()));
  assert.equal(alice.room.removeRevoked(alice.directory), 1);
  assert.equal(alice.room.rotationDue(), "member_removed");
});

test("the policy: message budget and maximum age", async () => {
  const alice = await member("alice", "phone");
  const start = Date.UTC(2026, 0, 1);
  const room = await createRoom(alice.me, alice.keyring, { ...ROOM, policy: { maxMessages: 2, maxAgeSeconds: 60 }, now: start });
  room.encryptJson(alice.keyring, 1, chat("a"), { now: start });
  assert.equal(room.rotationDue(start), null);
  room.encryptJson(alice.keyring, 2, chat("b"), { now: start });
  assert.equal(room.rotationDue(start), "message_budget");
  room.rotate(alice.me, alice.keyring, { now: start });
  assert.equal(room.rotationDue(start + 59_000), null);
  assert.equal(room.rotationDue(start + 60_000), "max_age");
  const never = await createRoom(alice.me, await createKeyring(), { ...ROOM, policy: { maxMessages: null, maxAgeSeconds: null } });
  assert.equal(never.rotationDue(start + 1e12), null);
  await assert.rejects(createRoom(alice.me, alice.keyring, { ...ROOM, policy: { maxMessages: -1 } }), InvalidArgumentError);
  await assert.rejects(createRoom(alice.me, alice.keyring, { ...ROOM, policy: { maxAge: 1 } }), /unknown rotation policy member/);
  await assert.rejects(createRoom(alice.me, alice.keyring, ROOM), (e) => e instanceof KeyringError && e.code === "key_id_exists");
  throws(() => room.rotationDue(-1), InvalidArgumentError, "invalid_argument");
});

test("share failures: tampered, for another device, replayed, stale, unknown and revoked sender, other room", async () => {
  const { alice, bob, carol } = await threeInARoom();
  const rotation = alice.room.rotate(alice.me, alice.keyring);
  const forBob = rotation.shares.find((s) => s.to_user === "bob");
  const forCarol = rotation.shares.find((s) => s.to_user === "carol");
  // Tampered: a flipped ciphertext byte breaks the signature.
  const ct = Buffer.from(forBob.ct, "base64url");
  ct[0] ^= 1;
  throws(() => bob.room.acceptShare(bob.me, bob.keyring, bob.directory, { ...forBob, ct: ct.toString("base64url") }), KeyLifecycleError, "bad_signature");
  throws(() => bob.room.acceptShare(bob.me, bob.keyring, bob.directory, { ...forBob, kver: 3 }), KeyLifecycleError, "bad_signature");
  // For another device.
  throws(() => bob.room.acceptShare(bob.me, bob.keyring, bob.directory, forCarol), KeyLifecycleError, "wrong_recipient");
  // Accepted once, then replayed.
  assert.equal(bob.room.acceptShare(bob.me, bob.keyring, bob.directory, forBob).keyVersion, 2);
  throws(() => bob.room.acceptShare(bob.me, bob.keyring, bob.directory, forBob), KeyLifecycleError, "replayed");
  // Stale: a fresh share of version 1 after version 2 is current.
  alice.room.rotate(alice.me, alice.keyring); // v3, not yet sent to Carol
  const carolRing = carol.keyring;
  carol.room.acceptShare(carol.me, carolRing, carol.directory, forCarol); // v2
  const staleRing = await createKeyring();
  const staleRoom = await createRoom(alice.me, staleRing, ROOM); // another v1, same names
  staleRoom.addDevice(carol.me.bundle());
  const [stale] = staleRoom.shareCurrent(alice.me, staleRing);
  throws(() => carol.room.acceptShare(carol.me, carolRing, carol.directory, stale), KeyLifecycleError, "stale_key_version");
  // A different key under a version already held: the keyring refuses.
  staleRing.rotate("room-42");
  const [conflict] = staleRoom.shareCurrent(alice.me, staleRing);
  throws(() => carol.room.acceptShare(carol.me, carolRing, carol.directory, conflict), KeyringError, "version_conflict");
  // Unknown sender.
  const mallory = await member("mallory", "phone");
  const malloryRoom = await createRoom(mallory.me, mallory.keyring, ROOM);
  malloryRoom.addDevice(bob.me.bundle());
  const [fromMallory] = malloryRoom.shareCurrent(mallory.me, mallory.keyring);
  throws(() => bob.room.acceptShare(bob.me, bob.keyring, bob.directory, fromMallory), KeyLifecycleError, "unknown_device");
  // Another room: refused before the core looks at it.
  const otherRoom = await followRoom(bob.me, { roomId: "room-7", keyId: "room-7" });
  throws(() => otherRoom.acceptShare(bob.me, bob.keyring, bob.directory, forBob), InvalidArgumentError, "invalid_argument");
  // Not this room's device.
  throws(() => bob.room.acceptShare(carol.me, carol.keyring, carol.directory, forBob), InvalidArgumentError, "invalid_argument");
  // Malformed.
  throws(() => bob.room.acceptShare(bob.me, bob.keyring, bob.directory, "{"), KeyLifecycleError, "malformed");
  throws(() => bob.room.acceptShare(bob.me, bob.keyring, bob.directory, { ...forBob, v: 2 }), KeyLifecycleError, "unsupported_version");
});

test("revocation: applied, then shares and signed envelopes from the revoked device are refused", async () => {
  const { alice, bob } = await threeInARoom();
  const laptop = await createDevice("alice", "laptop");
  know(bob, { me: laptop });
  // Alice's laptop revokes her phone (same user); Bob applies it.
  const revocation = e2ee.createRevocation(laptop, alice.me.bundle());
  assert.equal(revocation.format, "domvia-revocation");
  assert.ok(Math.abs(revocation.revoked_at - Date.now() / 1000) < 5);
  assert.deepEqual(bob.directory.applyRevocation(revocation), { userId: "alice", deviceId: "phone" });
  assert.deepEqual(bob.directory.applyRevocation(JSON.stringify(revocation)), { userId: "alice", deviceId: "phone" });
  assert.equal(bob.directory.status("alice", "phone"), "revoked");
  assert.equal(bob.directory.devices().find((d) => d.deviceId === "phone").status, "revoked");
  const rotation = alice.room.rotate(alice.me, alice.keyring);
  const forBob = rotation.shares.find((s) => s.to_user === "bob");
  throws(() => bob.room.acceptShare(bob.me, bob.keyring, bob.directory, forBob), KeyLifecycleError, "revoked_device");
  const env = alice.room.encryptJson(alice.keyring, { body: "x" }, chat("m9"));
  const signed = e2ee.signEnvelope(alice.me, env, chat("m9"));
  throws(() => e2ee.verifySignedEnvelope(signed, bob.directory, chat("m9")), KeyLifecycleError, "revoked_device");
  throws(() => bob.directory.add(alice.me.bundle()), KeyLifecycleError, "revoked_device");
  // Bob's room drops the revoked device and must rotate.
  bob.room.addDevice(alice.me.bundle());
  assert.equal(bob.room.removeRevoked(bob.directory), 1);
  assert.equal(bob.room.rotationDue(), "member_removed");
  // Revocation failures.
  throws(() => e2ee.createRevocation(bob.me, alice.me.bundle()), KeyLifecycleError, "other_user");
  const stranger = await createDeviceDirectory();
  throws(() => stranger.applyRevocation(revocation), KeyLifecycleError, "unknown_device");
  stranger.add(laptop.bundle());
  stranger.add(alice.me.bundle());
  throws(() => stranger.applyRevocation({ ...revocation, revoked_at: revocation.revoked_at + 1 }), KeyLifecycleError, "bad_signature");
});

test("signed envelopes: the verified sender; another context, a changed envelope or a forged sender fail", async () => {
  const { alice, bob, carol } = await threeInARoom();
  const env = alice.room.encryptJson(alice.keyring, { body: "signed" }, chat("m1"));
  const signed = e2ee.signEnvelope(alice.me, env, chat("m1"));
  assert.equal(signed.format, "domvia-signed");
  const verified = e2ee.verifySignedEnvelope(JSON.stringify(signed), bob.directory, chat("m1"));
  assert.deepEqual(verified.sender, { userId: "alice", deviceId: "phone" });
  assert.deepEqual(verified.envelope, env);
  assert.deepEqual(await e2ee.decryptChatJson(verified.envelope, bob.keyring, chatOptions("m1")), { body: "signed" });
  throws(() => e2ee.verifySignedEnvelope(signed, bob.directory, chat("m2")), KeyLifecycleError, "bad_signature");
  const other = alice.room.encryptJson(alice.keyring, { body: "other" }, chat("m1"));
  throws(() => e2ee.verifySignedEnvelope({ ...signed, envelope: other }, bob.directory, chat("m1")), KeyLifecycleError, "bad_signature");
  // Carol (a member, holding the key) cannot pass her envelope off as Alice's.
  const byCarol = e2ee.signEnvelope(carol.me, env, chat("m1"));
  throws(() => e2ee.verifySignedEnvelope({ ...byCarol, from_user: "alice", from_device: "phone" }, bob.directory, chat("m1")), KeyLifecycleError, "bad_signature");
  const empty = await createDeviceDirectory();
  throws(() => e2ee.verifySignedEnvelope(signed, empty, chat("m1")), KeyLifecycleError, "unknown_device");
  throws(() => e2ee.verifySignedEnvelope(signed, bob.directory, { kind: "sms" }), InvalidArgumentError, "invalid_argument");
  throws(() => e2ee.signEnvelope(alice.me, { ...env, v: 9 }, chat("m1")), OpenError, "unsupported_version");
  // Call and realtime contexts.
  const call = { kind: "call", callId: "c1", eventName: "client-offer" };
  const callEnv = await e2ee.encryptCallSignalJson({ sdp: "v=0" }, alice.keyring, { ...call, keyId: "room-42" });
  const live = { kind: "realtime", scope: "map", scopeId: "m1", eventName: "client-pos" };
  const liveEnv = await e2ee.encryptRealtimeJson({ lat: 1 }, alice.keyring, { ...live, keyId: "room-42" });
  assert.equal(e2ee.verifySignedEnvelope(e2ee.signEnvelope(alice.me, callEnv, call), bob.directory, call).sender.userId, "alice");
  assert.equal(e2ee.verifySignedEnvelope(e2ee.signEnvelope(alice.me, liveEnv, live), bob.directory, live).sender.userId, "alice");
  throws(() => e2ee.verifySignedEnvelope(e2ee.signEnvelope(alice.me, callEnv, call), bob.directory, live), KeyLifecycleError, "bad_signature");
});

test("recovery: request, verify (same safety number on both sides), answer, accept", async () => {
  const laptop = await member("alice", "laptop");
  laptop.keyring.generate("room-42");
  laptop.keyring.rotate("room-42");
  laptop.keyring.generate("call-9");
  const tablet = await member("alice", "tablet");
  const { request, pending } = e2ee.createKeyRequest(tablet.me);
  assert.equal(request.format, "domvia-key-request");
  const verified = e2ee.verifyKeyRequest(laptop.me, JSON.stringify(request));
  assert.deepEqual(verified.bundle, tablet.me.bundle());
  assert.equal(verified.deviceId, "tablet");
  assert.equal(verified.fingerprint, tablet.me.fingerprint());
  assert.equal(verified.safetyNumber, await e2ee.safetyNumber(tablet.me.bundle(), laptop.me.bundle()));
  const response = e2ee.answerKeyRequest(laptop.me, verified, laptop.keyring);
  assert.equal(response.keys, 3);
  assert.equal(pending.accept(response, laptop.me.bundle(), tablet.keyring), 3);
  assert.deepEqual(tablet.keyring.export(), laptop.keyring.export());
  assert.equal(pending.accept(JSON.stringify(response), laptop.me.bundle(), tablet.keyring), 0, "nothing new");

  // Failures.
  const bob = await createDevice("bob", "laptop");
  throws(() => e2ee.verifyKeyRequest(bob, request), KeyLifecycleError, "other_user");
  const rid = Buffer.from(request.request_id, "base64url");
  rid[0] ^= 1;
  throws(() => e2ee.verifyKeyRequest(laptop.me, { ...request, request_id: rid.toString("base64url") }), KeyLifecycleError, "bad_signature");
  const other = e2ee.createKeyRequest(tablet.me);
  throws(() => other.pending.accept(response, laptop.me.bundle(), tablet.keyring), KeyLifecycleError, "unknown_request");
  const phone = await createDevice("alice", "phone");
  throws(() => pending.accept(response, phone.bundle(), tablet.keyring), KeyLifecycleError, "unknown_device");
  const forged = { ...response, keys: 4 };
  throws(() => pending.accept(forged, laptop.me.bundle(), tablet.keyring), KeyLifecycleError, "bad_signature");
  // The response sealed to another device of the same user: that device cannot use it.
  const stolen = await e2ee.importDevice({ ...tablet.me.exportSecret(), device: "tv" });
  const { pending: p2 } = e2ee.createKeyRequest(stolen);
  throws(() => p2.accept(response, laptop.me.bundle(), tablet.keyring), KeyLifecycleError, "unknown_request");
  throws(() => e2ee.answerKeyRequest(laptop.me, { bundle: tablet.me.bundle() }, laptop.keyring), InvalidArgumentError, "invalid_argument");
  // A reloaded tablet rebuilds its pending request from the request it sent.
  const resumed = e2ee.resumeKeyRequest(tablet.me, JSON.stringify(request));
  const fresh = await createKeyring();
  assert.equal(resumed.accept(response, laptop.me.bundle(), fresh), 3);
  throws(() => e2ee.resumeKeyRequest(laptop.me, request), KeyLifecycleError, "unknown_request");
});

test("key events: names, the user's key channel, parsing by event name", async () => {
  assert.deepEqual({ ...e2ee.KEY_EVENTS }, {
    share: "client-domvia-keyshare",
    device: "client-domvia-device",
    request: "client-domvia-key-request",
    response: "client-domvia-key-response",
    revocation: "client-domvia-revocation",
  });
  const channel = await e2ee.userKeyChannel("alice");
  assert.match(channel, /^private-domvia-keys-[A-Za-z0-9_-]{22}$/);
  assert.equal(await e2ee.userKeyChannel("alice"), channel);
  assert.notEqual(await e2ee.userKeyChannel("bob"), channel);
  await assert.rejects(e2ee.userKeyChannel(""), (e) => e.code === "invalid_identifier");

  const { alice, bob } = await threeInARoom();
  const [share] = alice.room.shareCurrent(alice.me, alice.keyring);
  const { request } = e2ee.createKeyRequest(bob.me);
  const revocation = e2ee.createRevocation(alice.me, alice.me.bundle());
  const laptop = await createDevice("bob", "phone");
  const verified = e2ee.verifyKeyRequest(laptop, request);
  const response = e2ee.answerKeyRequest(laptop, verified, bob.keyring);
  const messages = { share, device: alice.me.bundle(), request, response, revocation };
  for (const [type, message] of Object.entries(messages)) {
    const event = e2ee.KEY_EVENTS[type];
    assert.deepEqual(await e2ee.parseKeyMessage(event, message), { type, message }, type);
    assert.deepEqual(await e2ee.parseKeyMessage(event, JSON.stringify(message)), { type, message }, type);
  }
  assert.equal(await e2ee.parseKeyMessage("client-chat", { body: "x" }), null);
  assert.equal(await e2ee.parseKeyMessage("client-chat", 42), null);
  // Another format under a key event: the core names it another format's version.
  await assert.rejects(e2ee.parseKeyMessage(e2ee.KEY_EVENTS.share, alice.me.bundle()), (e) => e instanceof KeyLifecycleError && e.code === "unsupported_version");
  await assert.rejects(e2ee.parseKeyMessage(e2ee.KEY_EVENTS.share, { ...share, extra: 1 }), (e) => e instanceof KeyLifecycleError && e.code === "malformed");
  await assert.rejects(e2ee.parseKeyMessage(e2ee.KEY_EVENTS.device, { ...alice.me.bundle(), user: "bob" }), (e) => e.code === "bad_signature");
  await assert.rejects(e2ee.parseKeyMessage(e2ee.KEY_EVENTS.device, 42), InvalidArgumentError);
});

test("objects are made by the factories only, and type errors are clear", async () => {
  assert.throws(() => new e2ee.Device(), TypeError);
  assert.throws(() => new e2ee.DeviceDirectory(), TypeError);
  assert.throws(() => new e2ee.Room(), TypeError);
  const alice = await member("alice", "phone");
  throws(() => e2ee.signEnvelope({}, {}, chat("m1")), InvalidArgumentError, "invalid_argument");
  await assert.rejects(createRoom(alice.me, {}, ROOM), /keyring must be a Keyring/);
  await assert.rejects(createRoom(alice.me, alice.keyring, { roomId: "r" }), /options.keyId/);
  await assert.rejects(followRoom(alice.me, { ...ROOM, now: "today" }), /milliseconds since the epoch/);
  const room = await createRoom(alice.me, alice.keyring, ROOM);
  throws(() => room.encryptJson(alice.keyring, 1n, chat("m")), e2ee.SealError, "invalid_payload");
  throws(() => room.encryptJson(alice.keyring, 1, chat("m"), { padding: "lots" }), InvalidArgumentError, "invalid_padding");
  throws(() => room.removeDevice("alice"), InvalidArgumentError, "invalid_argument");
});
