// Starts `domvia serve` on a free loopback port and builds real Pusher clients against it.
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import PusherClient from "pusher-js";
import PusherServer from "pusher";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const BIN = process.env.DOMVIA_BIN ?? join(root, "target", "debug", "domvia");

export const APP = { id: "js-app", key: "js-key", secret: "js-secret" };

export async function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Runs `domvia serve` until `stop()`. With `toml`, the text is written to a config file
 * (`{port}` is replaced by the chosen port); otherwise the single app comes from the
 * DOMVIA_APP_* variables, with `env` added to them.
 */
export async function startGateway({ toml, logLevel, env: extraEnv } = {}) {
  const port = await freePort();
  const args = ["serve", "--port", String(port)];
  const env = { ...process.env, RUST_LOG: logLevel ?? process.env.RUST_LOG ?? "warn" };
  if (toml) {
    const dir = mkdtempSync(join(tmpdir(), "domvia-js-"));
    const file = join(dir, "domvia.toml");
    writeFileSync(file, toml.replaceAll("{port}", String(port)));
    args.push("--config", file);
  } else {
    Object.assign(env, {
      DOMVIA_APP_ID: APP.id,
      DOMVIA_APP_KEY: APP.key,
      DOMVIA_APP_SECRET: APP.secret,
      ...extraEnv,
    });
  }
  const child = spawn(BIN, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  // Ready once /health answers.
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/health`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null) throw new Error(`domvia serve exited early:\n${output}`);
    if (Date.now() > deadline) throw new Error(`domvia serve did not start:\n${output}`);
    await sleep(50);
  }
  return {
    port,
    output: () => output,
    exited,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The official server SDK, pointed at the gateway. */
export function serverSdk(port, app = APP) {
  return new PusherServer({
    appId: app.id,
    key: app.key,
    secret: app.secret,
    host: "127.0.0.1",
    port: String(port),
    useTLS: false,
  });
}

/**
 * The official browser/Node client. Channel and user authorization are signed by the
 * server SDK, standing in for the app's trusted server.
 */
export function client(port, { user, presence, app = APP, sdk = serverSdk(port, app) } = {}) {
  return new PusherClient(app.key, {
    cluster: "local",
    wsHost: "127.0.0.1",
    wsPort: port,
    forceTLS: false,
    enabledTransports: ["ws"],
    disableStats: true,
    activityTimeout: 30_000,
    channelAuthorization: {
      customHandler: ({ socketId, channelName }, callback) => {
        try {
          const data = channelName.startsWith("presence-") ? presence : undefined;
          callback(null, sdk.authorizeChannel(socketId, channelName, data));
        } catch (error) {
          callback(error, null);
        }
      },
    },
    userAuthentication: {
      customHandler: ({ socketId }, callback) => {
        callback(null, sdk.authenticateUser(socketId, user));
      },
    },
  });
}

export function connected(pusher) {
  return new Promise((resolve, reject) => {
    if (pusher.connection.state === "connected") return resolve(pusher);
    const timer = setTimeout(() => reject(new Error(`not connected: ${pusher.connection.state}`)), 10_000);
    pusher.connection.bind("connected", () => {
      clearTimeout(timer);
      resolve(pusher);
    });
  });
}

/** Resolves with the first `event` on `target` (a channel, the user, or the connection). */
export function once(target, event, timeoutMs = 10_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${event}`)), timeoutMs);
    const handler = (data, metadata) => {
      clearTimeout(timer);
      target.unbind(event, handler);
      resolve({ data, metadata });
    };
    target.bind(event, handler);
  });
}

export async function subscribed(pusher, name) {
  const channel = pusher.subscribe(name);
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`subscription to ${name} timed out`)), 10_000);
    channel.bind("pusher:subscription_succeeded", () => {
      clearTimeout(timer);
      resolve();
    });
    channel.bind("pusher:subscription_error", (error) => {
      clearTimeout(timer);
      reject(Object.assign(new Error(`subscription to ${name} refused`), { status: error?.status, error }));
    });
  });
  return channel;
}

/** Keeps the pusher-js clients a test file made, to disconnect them all at the end. */
export function tracker() {
  const clients = [];
  return {
    track(pusher) {
      clients.push(pusher);
      return pusher;
    },
    disconnectAll() {
      for (const pusher of clients.splice(0)) pusher.disconnect();
    },
  };
}
