// The package's benchmark (not a test): sizes, and per-call encrypt + decrypt time at
// 200 B, 4 KiB and 64 KiB in Node and in Chromium, beside a plain WebCrypto
// implementation of the same envelope format measured in the same run.
//
//   scripts/build-wasm.sh && (cd packages/realtime-e2ee && npm ci && node bench/bench.mjs)
//
// Options: --sizes=200,4096,65536 --batches=15 --batch-ms=40 --no-browser
// Targets (issue 4): the package not slower than plain WebCrypto at any size in either
// runtime, and the whole package at most 200 KB gzipped.
import { execFileSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { gzipSync } from "node:zlib";
import * as e2ee from "../index.js";
import { launchChromium, packageDir, serveStatic } from "../dev/browser.mjs";
import { measure } from "./harness.mjs";

const arg = (name, fallback) => {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit ? hit.slice(name.length + 3) : fallback;
};
const options = {
  sizes: arg("sizes", "200,4096,65536").split(",").map(Number),
  batches: Number(arg("batches", 15)),
  batchMs: Number(arg("batch-ms", 40)),
};

const wasm = await readFile(new URL("../wasm/domvia_e2ee_wasm_bg.wasm", import.meta.url));
const [pack] = JSON.parse(execFileSync("npm", ["pack", "--dry-run", "--json", "--loglevel=error"], {
  cwd: packageDir, encoding: "utf8",
}));
console.log("sizes");
console.log(`  .wasm                 ${kb(wasm.length)} raw, ${kb(gzipSync(wasm, { level: 9 }).length)} gzipped`);
console.log(`  package (npm pack)    ${kb(pack.unpackedSize)} unpacked, ${kb(pack.size)} as the gzipped tarball (${pack.entryCount} files)`);
console.log(`  platform-AES threshold ${e2ee.platformAesThreshold()} bytes of payload JSON`);

const runs = [["Node " + process.version, await measure(e2ee, options)]];
if (!process.argv.includes("--no-browser")) {
  const page = '<!doctype html><script type="module">import * as e2ee from "/index.js";'
    + 'import { measure } from "/bench/harness.mjs"; window.run = (o) => measure(e2ee, o);</script>';
  const server = await serveStatic(packageDir, { "/bench.html": page });
  const browser = await launchChromium();
  try {
    const tab = await browser.context.newPage();
    await tab.goto(`${server.url}/bench.html`);
    await tab.waitForFunction(() => typeof window.run === "function");
    const version = browser.context.browser()?.version() ?? (await tab.evaluate(() => navigator.userAgent));
    runs.push([`Chromium ${version}`, await tab.evaluate((o) => window.run(o), options)]);
  } finally {
    await browser.close();
    await server.close();
  }
}

for (const [name, rows] of runs) {
  console.log(`\n${name}: microseconds per encrypt + decrypt (median of ${options.batches} interleaved batches)`);
  const columns = Object.keys(rows[0]).filter((c) => c !== "size");
  console.log(["size".padStart(8), ...columns.map((c) => c.padStart(c.length + 2)), "  package / plain WebCrypto"].join(""));
  for (const row of rows) {
    const ratio = row.package / row["plain WebCrypto"];
    console.log([String(row.size).padStart(8), ...columns.map((c) => row[c].toFixed(1).padStart(c.length + 2)),
      `  ${ratio.toFixed(2)}x ${ratio <= 1 ? "(target met)" : "(SLOWER)"}`].join(""));
  }
}

function kb(n) {
  return `${(n / 1000).toFixed(1)} kB`;
}
