// Loads the WebAssembly module once, on first use (and, in Node, node:crypto for the
// platform-AES path).
//
// Browsers (and bundlers, which recognise `new URL("…", import.meta.url)` and ship the
// file) fetch the .wasm next to this package; Node reads it from disk, since its fetch
// does not read file: URLs. The fs import is hidden from bundlers so browser builds never
// try to resolve it.
import initBindings, * as bindings from "../wasm/domvia_e2ee_wasm.js";
import { useNodeCrypto } from "./webcrypto.js";

let loading;

/**
 * Loads and instantiates the module; every API function awaits this on first use.
 * @param {URL | string | Response | BufferSource | WebAssembly.Module} [source]
 *   where to load the .wasm from instead of the file next to the package.
 * @returns {Promise<typeof bindings>}
 */
export function init(source) {
  loading ??= instantiate(source).catch((error) => {
    loading = undefined; // let a later call try again
    throw error;
  });
  return loading;
}

async function instantiate(source) {
  const module_or_path = source ?? (await defaultSource());
  await initBindings({ module_or_path });
  if (globalThis.process?.versions?.node) {
    try {
      useNodeCrypto(await importHidden("node:crypto"));
    } catch {
      // Not Node after all (a bundle with a `process` shim): WebCrypto it is.
    }
  }
  return bindings;
}

// Node built-ins, imported so that no bundler tries to resolve them for a browser.
const importHidden = (name) => import(/* webpackIgnore: true */ /* @vite-ignore */ name);

async function defaultSource() {
  const url = new URL("../wasm/domvia_e2ee_wasm_bg.wasm", import.meta.url);
  if (url.protocol !== "file:") return url;
  const { readFile } = await importHidden("node:fs/promises");
  return readFile(url);
}
