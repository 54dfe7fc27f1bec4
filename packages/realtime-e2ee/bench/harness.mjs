// The measurement, the same in Node and in Chromium: per-call time of encrypt + decrypt
// of one chat payload whose JSON is `size` bytes, for each contender, interleaved batch
// by batch in the same run (these 2-core machines are noisy), median of the batches.
import { webCryptoEnvelopes } from "./webcrypto-envelope.mjs";

const CONTEXT = { roomId: "room-42", messageId: "msg-1" };
const LABEL = { keyId: "room-42-v1", keyVersion: 1 };

/** A chat payload whose JSON text is exactly `size` bytes. */
export function payloadOf(size) {
  const empty = JSON.stringify({ body: "", sender_id: "user-1" }).length;
  return { body: "x".repeat(Math.max(0, size - empty)), sender_id: "user-1" };
}

/**
 * @param e2ee the package's module namespace
 * @param {{sizes: number[], batches: number, batchMs: number}} options
 */
export async function measure(e2ee, { sizes, batches, batchMs }) {
  const key = await e2ee.generateAesGcmKey();
  const raw = await e2ee.exportKey("raw", key);
  const plain = await webCryptoEnvelopes(b64uToBytes(raw));
  const auto = e2ee.platformAesThreshold();
  const withThreshold = (t) => async (payload) => {
    e2ee.setPlatformAesThreshold(t);
    try {
      const env = await e2ee.encryptChatJson(payload, key, { ...CONTEXT, ...LABEL });
      return await e2ee.decryptChatJson(env, key, CONTEXT);
    } finally {
      e2ee.setPlatformAesThreshold(auto);
    }
  };
  const contenders = {
    package: withThreshold(auto),
    "package, WebAssembly only": withThreshold(Infinity),
    "package, platform AES only": withThreshold(0),
    "plain WebCrypto": async (payload) =>
      plain.open(await plain.seal(payload, "chat", { ...CONTEXT, ...LABEL }), "chat", CONTEXT),
  };
  // Warm up every path at every size first, so that no row pays for the JIT.
  for (const size of sizes) {
    const payload = payloadOf(size);
    for (const f of Object.values(contenders)) for (let i = 0; i < 30; i++) await f(payload);
  }
  const results = [];
  for (const size of sizes) {
    const payload = payloadOf(size);
    const perCall = {};
    const iterations = {};
    for (const [name, f] of Object.entries(contenders)) {
      const out = await f(payload); // warm up, and check the round trip
      if (out.body !== payload.body) throw new Error(`${name} did not round-trip`);
      iterations[name] = await calibrate(f, payload, batchMs);
      perCall[name] = [];
    }
    for (let b = 0; b < batches; b++) {
      for (const [name, f] of Object.entries(contenders)) {
        const n = iterations[name];
        const t0 = performance.now();
        for (let i = 0; i < n; i++) await f(payload);
        perCall[name].push(((performance.now() - t0) * 1000) / n);
      }
    }
    const row = { size };
    for (const [name, times] of Object.entries(perCall)) row[name] = median(times);
    results.push(row);
  }
  return results;
}

async function calibrate(f, payload, batchMs) {
  let n = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await f(payload);
    const ms = performance.now() - t0;
    if (ms >= batchMs / 4 || n >= 1 << 16) return Math.max(1, Math.round((n * batchMs) / Math.max(ms, 0.01)));
    n *= 4;
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
};

function b64uToBytes(s) {
  const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}
