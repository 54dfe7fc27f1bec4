// Every vector of spec/vectors/envelope-v1.json, through both paths of the package: the
// WebAssembly core (small payloads) and the platform AES (large ones). Positive vectors
// open to their payload; the platform path also reproduces their envelopes byte for byte
// from the vectors' key, nonce and payload (WebCrypto and node:crypto alike), which is
// what makes the two paths interchangeable. Negative vectors fail with their code.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as e2ee from "../index.js";
import { init } from "../lib/load.js";
import { frame } from "../lib/scratch.js";
import { PlatformAesKey, nodeCrypto, webCrypto } from "../lib/webcrypto.js";
import { decryptFor, fromHex, optionsOf, vectors } from "../dev/support.mjs";

const auto = e2ee.platformAesThreshold();
after(() => e2ee.setPlatformAesThreshold(auto));

const PATHS = { "WebAssembly": Infinity, "platform AES": 0 };
const rawOf = (hex) => Buffer.from(hex, "hex").toString("base64url");

test("the vector file has positive and negative vectors", () => {
  assert.ok(vectors.positive.length >= 7);
  assert.ok(vectors.negative.length >= 30);
});

for (const [path, threshold] of Object.entries(PATHS)) {
  describe(`${path} path`, () => {
    for (const v of vectors.positive) {
      test(`positive ${v.name} opens, as an object and as JSON text`, async () => {
        e2ee.setPlatformAesThreshold(threshold);
        const key = await e2ee.importKey("raw", rawOf(v.key));
        const decrypt = decryptFor(e2ee, v.context.kind);
        const expected = JSON.parse(v.payload_json);
        const options = optionsOf(v.context);
        assert.deepEqual(await decrypt(JSON.parse(v.envelope_json), key, options), expected);
        assert.deepEqual(await decrypt(v.envelope_json, key, options), expected);
        const jwkKey = await e2ee.importKey("jwk", v.key_jwk);
        assert.deepEqual(await decrypt(JSON.parse(v.envelope_json), jwkKey, options), expected);
      });
    }

    for (const n of vectors.negative) {
      test(`negative ${n.name} fails with ${n.error}`, async () => {
        e2ee.setPlatformAesThreshold(threshold);
        let key;
        if (n.keyring) {
          key = await e2ee.createKeyring();
          for (const entry of n.keyring) {
            key.insert(entry.key_id, entry.key_version, await e2ee.importKey("raw", rawOf(entry.key)));
          }
        } else {
          key = await e2ee.importKey("raw", rawOf(n.key));
        }
        const decrypt = decryptFor(e2ee, n.context.kind);
        const options = optionsOf(n.context);
        const expected = (error) => error instanceof e2ee.OpenError && error.code === n.error;
        // As the wire text (parsed whole by the core) and, when it is a JSON object, as
        // the object an application receives as event data.
        await assert.rejects(decrypt(n.envelope_json, key, options), expected);
        let object;
        try {
          object = JSON.parse(n.envelope_json);
        } catch {
          return;
        }
        await assert.rejects(decrypt(object, key, options), expected);
      });
    }
  });
}

const backends = { WebCrypto: webCrypto, "node:crypto": nodeCrypto };
for (const [name, aes] of Object.entries(backends)) {
  test(`the platform path (${name}) reproduces every positive envelope byte for byte, and opens it`, async () => {
    const wasm = await init();
    for (const v of vectors.positive) {
      const nonce = fromHex(v.nonce);
      // The first seal draws the session's salt and an IV; the second, once the session
      // key is there (the path that hands a kept buffer to the platform), the IV again.
      const draws = [nonce.slice(0, 32), nonce.slice(32), nonce.slice(32)];
      const random = (bytes) => {
        bytes.set(draws.shift());
        return bytes;
      };
      const wasmKey = wasm.WasmKey.importRaw(rawOf(v.key));
      const platform = new PlatformAesKey(fromHex(v.key), wasmKey.commitment(), { random, aes });
      const c = v.context;
      const ids = { chat: [c.room_id, c.message_id, ""], call: [c.call_id, c.event_name, ""],
        realtime: [c.scope, c.scope_id, c.event_name] }[c.kind];
      const payload = new TextEncoder().encode(v.payload_json);
      const [aad, padded] = wasm.sealParts(v.context.kind, ...ids, v.key_id ?? undefined, v.key_version, v.padding, payload.length);
      assert.equal(Buffer.from(aad).toString("hex"), v.aad, `${v.name}: AAD`);
      const header = { kind: v.context.kind, kid: v.key_id ?? undefined, kver: v.key_version };
      for (const round of ["session key being derived", "session key there"]) {
        // The caller wipes its frame as soon as seal returns: the back end has its copy.
        const framed = frame(payload, padded);
        const sealing = platform.seal(framed, aad, header);
        framed.fill(0);
        const envelope = await sealing;
        assert.equal(JSON.stringify(envelope), v.envelope_json, `${v.name} (${round})`);
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
      // And it opens twice (another sender's session key derived, then cached), with
      // the ciphertext in a buffer wiped as soon as open returns.
      const opener = new PlatformAesKey(fromHex(v.key), wasmKey.commitment(), { aes });
      const envelope = JSON.parse(v.envelope_json);
      const header_json = new TextEncoder().encode(JSON.stringify({ ...envelope, ct: undefined }));
      for (const round of ["session key being derived", "session key cached"]) {
        const sealed = new Uint8Array(Buffer.from(envelope.ct, "base64url"));
        const parts = wasm.openParts(wasmKey, v.context.kind, ...ids, header_json, sealed.length);
        const opening = opener.open([...parts, sealed]);
        sealed.fill(0);
        assert.deepEqual(await opening, JSON.parse(v.payload_json), `${v.name}: opened (${round})`);
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
    }
  });
}
