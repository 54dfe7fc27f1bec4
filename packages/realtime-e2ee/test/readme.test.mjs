// Every ```js example of the package README runs, as written, as a module importing
// "@domvia/realtime-e2ee".
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { runModule } from "../dev/support.mjs";

const readme = await readFile(new URL("../README.md", import.meta.url), "utf8");
const examples = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);

test("the README has its examples", () => {
  assert.ok(examples.length >= 8, `${examples.length} examples`);
});

for (const [i, source] of examples.entries()) {
  const title = source.split("\n").find((line) => line.startsWith("const ") || line.startsWith("await ")) ?? "";
  test(`README example ${i + 1}: ${title.slice(0, 60)}`, async () => {
    const logged = [];
    const log = console.log;
    console.log = (...args) => logged.push(args);
    try {
      await runModule(source);
    } finally {
      console.log = log;
    }
    // Where an example prints, it prints what its comment says.
    if (source.includes("console.log(restored.versions")) assert.deepEqual(logged, [[[2], 2]]);
    if (source.includes("console.log(error.code)")) assert.deepEqual(logged, [["replayed"]]);
    if (source.includes("short.ct.length === long.ct.length")) assert.deepEqual(logged, [[true]]);
    // The key-lifecycle examples.
    if (source.includes("shownToBob === shownToAlice")) assert.deepEqual(logged, [[true, "active"]]);
    if (source.includes("verified.sender.userId, envelope.kver")) {
      assert.deepEqual(logged, [["member_removed"], ["alice", 2, "only Alice and Bob"]]);
    }
    if (source.includes("createRevocation(laptop")) assert.deepEqual(logged, [["revoked"]]);
    if (source.includes("generateRecoveryKey()")) {
      assert.deepEqual(logged, [
        [{ keyCount: 1, kdf: "argon2id", argon2: { m: 19456, t: 2, p: 1 } }], ["wrong_secret", "BackupError"], [1],
      ]);
    }
    if (source.includes("createKeyRequest(tablet)")) assert.deepEqual(logged, [["tablet", 60], [1]]);
    if (source.includes("userKeyChannel(\"alice\")")) assert.deepEqual(logged, [[true, "device"], [null]]);
    if (source.includes("console.log(error.name")) {
      assert.deepEqual(logged, [["InvalidArgumentError", "invalid_argument",
        "encryptChatJson: options.messageId must be a string; got undefined"]]);
    }
  });
}
