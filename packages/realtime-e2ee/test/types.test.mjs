// index.d.ts is hand-written: `tsc --strict` compiles dev/types-usage.ts, which uses the
// whole API (and checks that wrong calls are refused), against it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const tsc = fileURLToPath(new URL("../node_modules/typescript/bin/tsc", import.meta.url));

test("index.d.ts type-checks its documented use under tsc --strict", async () => {
  const args = [
    tsc, "--strict", "--noEmit", "--target", "es2022", "--module", "nodenext",
    "--moduleResolution", "nodenext", "--lib", "es2022,dom",
    "dev/types-usage.ts",
  ];
  const run = promisify(execFile)(process.execPath, args, { cwd: root }).catch((error) => error);
  const result = await run;
  assert.equal(result.code ?? 0, 0, `${result.stdout ?? ""}${result.stderr ?? ""}`);
});
