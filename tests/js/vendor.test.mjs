// The pusher-js browser build the demo embeds (crates/cli/demo/vendor/pusher-js) is the
// npm package's own file, unmodified.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const require = createRequire(import.meta.url);

test("the vendored pusher.min.js is byte-identical to the pinned npm package's", () => {
  const packageDir = dirname(require.resolve("pusher-js/package.json"));
  const { version } = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8"));
  assert.equal(version, "8.6.0");
  const pinned = readFileSync(join(packageDir, "dist", "web", "pusher.min.js"));
  const vendored = readFileSync(join(root, "crates", "cli", "demo", "vendor", "pusher-js", "pusher.min.js"));
  assert.ok(pinned.length > 10_000);
  assert.ok(vendored.equals(pinned), "crates/cli/demo/vendor/pusher-js/pusher.min.js differs from pusher-js 8.6.0");
});
