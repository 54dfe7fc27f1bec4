// Loads the WebAssembly module once, on first use.
//
// Browsers (and bundlers, which recognise `new URL("…", import.meta.url)` and ship the
// file) fetch the .wasm next to this package; Node reads it from disk, since its fetch
// does not read file: URLs. The fs import is hidden from bundlers so browser builds never
// try to resolve it.
import initBindings, * as bindings from "../wasm/domvia_e2ee_wasm.js";

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
  return bindings;
}

async function defaultSource() {
  const url = new URL("../wasm/domvia_e2ee_wasm_bg.wasm", import.meta.url);
  if (url.protocol !== "file:") return url;
  const fs = "node:fs/promises";
  const { readFile } = await import(/* webpackIgnore: true */ /* @vite-ignore */ fs);
  return readFile(url);
}
