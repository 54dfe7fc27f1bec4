// Envelopes made in JavaScript open in Rust, through the `domvia` command, and the
// reverse, for every kind, with padding, with a keyring, and at a size that takes the
// platform-AES path. The binary: $DOMVIA_BIN, else target/debug/domvia (or under
// $CARGO_TARGET_DIR), built with `cargo build -p domvia-cli` when missing.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as e2ee from "../index.js";
import { repoDir } from "../dev/support.mjs";

const bin = process.env.DOMVIA_BIN ?? join(process.env.CARGO_TARGET_DIR ?? join(repoDir, "target"), "debug", "domvia");
let dir;

before(async () => {
  if (!existsSync(bin)) {
    execFileSync("cargo", ["build", "-p", "domvia-cli", "--locked"], { cwd: repoDir, stdio: "inherit" });
  }
  dir = await mkdtemp(join(tmpdir(), "domvia-cli-interop-"));
});
after(() => rm(dir, { recursive: true, force: true }));

function domvia(args, input) {
  const run = spawnSync(bin, args, { input, encoding: "utf8" });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

let files = 0;
async function file(content) {
  const path = join(dir, `f${files++}`);
  await writeFile(path, content, { mode: 0o600 });
  return path;
}

const CASES = [
  {
    kind: "chat", encrypt: e2ee.encryptChatJson, decrypt: e2ee.decryptChatJson,
    options: { roomId: "room-42", messageId: "msg-1" },
    flags: ["--room-id", "room-42", "--message-id", "msg-1"],
    label: { keyId: "room-42-v1", keyVersion: 1 },
  },
  {
    kind: "call", encrypt: e2ee.encryptCallSignalJson, decrypt: e2ee.decryptCallSignalJson,
    options: { callId: "call-9001", eventName: "call.offer" },
    flags: ["--call-id", "call-9001", "--event-name", "call.offer"],
    label: { keyVersion: 3 },
  },
  {
    kind: "realtime", encrypt: e2ee.encryptRealtimeJson, decrypt: e2ee.decryptRealtimeJson,
    options: { scope: "location", scopeId: "café-✓ 🚚", eventName: "location.update" },
    flags: ["--scope", "location", "--scope-id", "café-✓ 🚚", "--event-name", "location.update"],
    label: { keyId: "courier/Zoë", keyVersion: 4294967295 },
  },
];

const labelFlags = ({ keyId, keyVersion }) =>
  [...(keyId === undefined ? [] : ["--key-id", keyId]), "--key-version", String(keyVersion)];

// The CLI seals compact JSON with object members sorted: payloads here are already so.
const SMALL = { a: [1, 2.5, null, true], body: "héllo ✓", z: { nested: "x" } };
const LARGE = { body: "x".repeat(70_000), n: 1 };

for (const c of CASES) {
  for (const [size, payload] of [["small", SMALL], ["64 KiB", LARGE]]) {
    test(`${c.kind}, ${size}: JavaScript seals, Rust opens; Rust seals, JavaScript opens`, async () => {
      const key = await e2ee.generateAesGcmKey();
      const keyFile = await file(await e2ee.exportKey("raw", key));
      const jwkFile = await file(JSON.stringify(await e2ee.exportKey("jwk", key)));

      const env = await c.encrypt(payload, key, { ...c.options, ...c.label, padding: "power-of-two" });
      for (const k of [keyFile, jwkFile]) {
        const out = domvia(["decrypt", "--kind", c.kind, ...c.flags, "--key-file", k], JSON.stringify(env));
        assert.equal(out.status, 0, out.stderr);
        assert.deepEqual(JSON.parse(out.stdout), payload);
      }

      const sealed = domvia(["encrypt", "--kind", c.kind, ...c.flags, ...labelFlags(c.label), "--key-file", keyFile,
        "--padding", "multiple:256"], JSON.stringify(payload));
      assert.equal(sealed.status, 0, sealed.stderr);
      assert.deepEqual(await c.decrypt(JSON.parse(sealed.stdout), key, c.options), payload);
      assert.deepEqual(await c.decrypt(sealed.stdout.trim(), key, c.options), payload);
    });
  }
}

test("Rust refuses a JavaScript envelope in another context, and the reverse", async () => {
  const key = await e2ee.generateAesGcmKey();
  const keyFile = await file(await e2ee.exportKey("raw", key));
  const env = await e2ee.encryptChatJson(SMALL, key, { roomId: "room-42", messageId: "msg-1", keyId: "k", keyVersion: 1 });
  const out = domvia(["decrypt", "--kind", "chat", "--room-id", "room-43", "--message-id", "msg-1", "--key-file", keyFile], JSON.stringify(env));
  assert.equal(out.status, 1);
  assert.match(out.stderr, /\(auth_failed\)/);
  const sealed = domvia(["encrypt", "--kind", "chat", "--room-id", "room-42", "--message-id", "msg-1", "--key-id", "k",
    "--key-version", "1", "--key-file", keyFile], "{}");
  await assert.rejects(e2ee.decryptChatJson(JSON.parse(sealed.stdout), key, { roomId: "room-42", messageId: "msg-2" }),
    { code: "auth_failed" });
});

test("a JavaScript keyring export opens in Rust, across a rotation", async () => {
  const ring = await e2ee.createKeyring();
  ring.generate("room-42");
  const options = { roomId: "room-42", messageId: "msg-1" };
  const old = await e2ee.encryptChatJson(SMALL, ring, { ...options, keyId: "room-42" });
  assert.equal(ring.rotate("room-42"), 2);
  const current = await e2ee.encryptChatJson(LARGE, ring, { ...options, keyId: "room-42" });
  assert.equal(current.kver, 2);
  const ringFile = await file(JSON.stringify(ring.export()));
  for (const [env, payload] of [[old, SMALL], [current, LARGE]]) {
    const out = domvia(["decrypt", "--kind", "chat", "--room-id", "room-42", "--message-id", "msg-1", "--keyring-file", ringFile],
      JSON.stringify(env));
    assert.equal(out.status, 0, out.stderr);
    assert.deepEqual(JSON.parse(out.stdout), payload);
  }
});
