// Compiled by test/types.test.mjs (kept out of test/ so that no test runner picks it up) with `tsc --strict --noEmit`: every declared function
// used as the README uses it, so index.d.ts cannot drift from the documented API. The
// `@ts-expect-error` lines prove that the declarations refuse what the package refuses.
import {
  BackupError, E2eeError, KEY_EVENTS, KeyLifecycleError, Keyring,
  answerKeyRequest, createBackup, createDevice, createDeviceDirectory, createKeyRequest,
  createKeyring, createReplayGuard, createRevocation, createRoom, decryptChatJson,
  encryptChatJson, fingerprint, followRoom, generateAesGcmKey, generateRecoveryKey,
  importDevice, inspectBackup, parseKeyMessage, restoreBackup, resumeKeyRequest, safetyNumber, signEnvelope,
  userKeyChannel, verifyKeyRequest, verifySignedEnvelope,
} from "../index.js";
import type {
  DeviceBundle, DeviceRef, Envelope, KeyMessage, KeyShare, Room, RotationReason,
  SignedEnvelope,
} from "../index.js";

export async function seed(): Promise<string> {
  const key = await generateAesGcmKey();
  const env: Envelope = await encryptChatJson({ body: "x" }, key, { roomId: "r", messageId: "m", keyId: "r", keyVersion: 1 });
  const guard = await createReplayGuard();
  const body = await decryptChatJson<{ body: string }>(env, key, { roomId: "r", messageId: "m", replayGuard: guard });
  return body.body;
}

export async function lifecycle(): Promise<void> {
  const alice = await createDevice("alice", "phone");
  const bob = await importDevice(JSON.stringify((await createDevice("bob", "laptop")).exportSecret()));
  const bundle: DeviceBundle = alice.bundle();
  const digits: string = alice.fingerprint() + (await fingerprint(bundle)) + (await safetyNumber(bundle, bob.bundle()));
  const directory = await createDeviceDirectory();
  directory.add(bundle);
  const status: "active" | "revoked" | undefined = directory.status("alice", "phone");
  const listed: string[] = directory.devices().map((d) => `${d.userId}/${d.deviceId} ${d.fingerprint} ${d.status}`);

  const keyring: Keyring = await createKeyring();
  const room: Room = await createRoom(alice, keyring, { roomId: "r", keyId: "r", policy: { maxMessages: 10, keepVersions: null } });
  room.addDevice(bob.bundle());
  const shares: KeyShare[] = room.shareCurrent(alice, keyring);
  const one: KeyShare = room.shareWith(alice, keyring, { userId: "bob", deviceId: "laptop" });
  const due: RotationReason | null = room.rotationDue(Date.now());
  const { keyVersion, retired } = room.rotate(alice, keyring);
  const bobsRing = await createKeyring();
  const bobsRoom = await followRoom(bob, { roomId: "r", keyId: "r" });
  const accepted: { keyVersion: number; from: DeviceRef } = bobsRoom.acceptShare(bob, bobsRing, directory, shares[0]);
  const env = room.encryptJson(keyring, { body: "hi" }, { kind: "chat", roomId: "r", messageId: "m" });
  const signed: SignedEnvelope = signEnvelope(alice, env, { kind: "chat", roomId: "r", messageId: "m" });
  const { envelope, sender } = verifySignedEnvelope(signed, directory, { kind: "chat", roomId: "r", messageId: "m" });
  await decryptChatJson(envelope, bobsRing, { roomId: "r", messageId: "m" });

  const revocation = createRevocation(alice, bundle);
  const revoked: DeviceRef = directory.applyRevocation(revocation);

  const recoveryKey = await generateRecoveryKey();
  const blob = await createBackup(keyring, { recoveryKey });
  const fromPass = await createBackup(keyring, { passphrase: "p", argon2: { m: 64, t: 1, p: 1, dangerInsecureForTests: true } });
  const restored: Keyring = await restoreBackup(blob, { recoveryKey });
  const info = await inspectBackup(fromPass);
  if (info.kdf === "argon2id") void info.argon2.m;

  const { request, pending } = createKeyRequest(bob);
  const verified = verifyKeyRequest(alice, request);
  const shown: string = verified.safetyNumber + verified.fingerprint + verified.bundle.user;
  const added: number = pending.accept(answerKeyRequest(alice, verified, keyring), alice.bundle(), bobsRing);
  const resumed = resumeKeyRequest(bob, request);
  void resumed.accept;

  const channel: string = await userKeyChannel("alice");
  const message: KeyMessage | null = await parseKeyMessage(KEY_EVENTS.share, one);
  if (message?.type === "share") void message.message.kver;
  const event: "client-domvia-keyshare" = KEY_EVENTS.share;

  try {
    room.encryptJson(keyring, 1, { kind: "call", callId: "c", eventName: "e" });
  } catch (error) {
    if (error instanceof KeyLifecycleError || error instanceof BackupError) {
      const code: string = error.code;
      const base: E2eeError = error;
      void [code, base];
    }
  }
  void [digits, status, listed, one, due, keyVersion, retired, accepted, sender, revoked, restored, shown, added, channel, event];

  // @ts-expect-error: a context needs its kind's identifiers
  signEnvelope(alice, env, { kind: "chat", roomId: "r" });
  // @ts-expect-error: the backup secret is a recovery key or a passphrase
  await createBackup(keyring, { password: "p" });
  // @ts-expect-error: rooms come from createRoom or followRoom
  new (room.constructor as typeof Room)();
}
