// What the browser tests stand on: one real local stack (`narratix-local up` on free ports, the
// binary scripts/setup-local builds), Debian's Chromium driven by playwright-core, and the
// stack's own APIs for what a test checks behind the page (GET /jobs/{id} with the user's token,
// the control API's faults). Screenshots go to the artifacts directory, outside git.

import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdir, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const repository = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const artifacts = path.resolve(
  process.env.NARRATIX_WEB_ARTIFACTS ?? path.join(repository, ".local/web-tests"),
);
export const screenshots = path.join(artifacts, "screenshots");

/** The flags this machine's Chromium needs (a closed network, root, no GPU). */
const CHROMIUM_FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const READY_TIMEOUT_MS = 120_000;

function localBinary() {
  if (process.env.NARRATIX_LOCAL_BIN) return process.env.NARRATIX_LOCAL_BIN;
  const target = process.env.CARGO_TARGET_DIR ?? path.join(os.homedir(), ".cache/narratix/target");
  return path.join(target, "debug/narratix-local");
}

/** @returns {Promise<number>} */
async function freePort() {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  server.close();
  await once(server, "close");
  if (!address || typeof address === "string") throw new Error("no port");
  return address.port;
}

export class Stack {
  /** @param {import("node:child_process").ChildProcess} child @param {any} manifest @param {number} port */
  constructor(child, manifest, port) {
    this.child = child;
    this.manifest = manifest;
    this.port = port;
    /** The gateway as the page sees it (127.0.0.1: the APIs' origin). */
    this.endpoint = manifest.endpoint;
    /**
     * The page is opened from another origin than the APIs (localhost, not 127.0.0.1), as a
     * deployed page is served from CloudFront and not from the API's host: every API call, the
     * presigned PUT and the WebSocket are cross-origin, so CORS is exercised as in AWS.
     */
    this.pageUrl = `http://localhost:${port}/`;
  }

  static async start() {
    const binary = localBinary();
    const stateDir = path.join(artifacts, "stack");
    await rm(stateDir, { recursive: true, force: true });
    await mkdir(stateDir, { recursive: true });
    const [port, motoPort, lambdaPort] = [await freePort(), await freePort(), await freePort()];
    const child = spawn(
      binary,
      [
        "up",
        "--root", repository,
        "--port", String(port),
        "--moto-port", String(motoPort),
        "--lambda-port", String(lambdaPort),
        "--state-dir", stateDir,
      ],
      { detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, RUST_LOG: "warn" } },
    );
    let output = "";
    child.stderr?.on("data", (chunk) => {
      output = (output + chunk).slice(-4000);
    });
    const ready = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the stack was not ready in time:\n${output}`)), READY_TIMEOUT_MS);
      child.stdout?.on("data", (chunk) => {
        output = (output + chunk).slice(-4000);
        if (String(chunk).includes("ready in")) {
          clearTimeout(timer);
          resolve(undefined);
        }
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`narratix-local exited (${code}) before it was ready (${binary}; run scripts/setup-local):\n${output}`));
      });
    });
    try {
      await ready;
    } catch (error) {
      if (child.pid && child.exitCode === null) process.kill(-child.pid, "SIGKILL");
      throw error;
    }
    const manifest = JSON.parse(await readFile(path.join(stateDir, "stack.json"), "utf8"));
    return new Stack(child, manifest, port);
  }

  async stop() {
    const { child } = this;
    if (!child.pid || child.exitCode !== null) return;
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    const timer = setTimeout(() => {
      try {
        process.kill(-(child.pid ?? 0), "SIGKILL");
      } catch {
        // gone already
      }
    }, 15_000);
    await exited;
    clearTimeout(timer);
  }

  /** A dev token for `user` from the stack's identity (what the page's sign-in gets). */
  async token(user, ttlSeconds = 3600) {
    const response = await fetch(`${this.endpoint}/_identity/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ user, ttlSeconds }),
    });
    if (!response.ok) throw new Error(`token: HTTP ${response.status}`);
    return (await response.json()).token;
  }

  /** The HTTP API as `user` (behind the page's back). */
  async api(user, method, route, body) {
    const response = await fetch(`${this.manifest.httpApiUrl}${route}`, {
      method,
      headers: {
        authorization: `Bearer ${await this.token(user)}`,
        ...(body ? { "content-type": "application/json" } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  }

  /** The control API (`/_local…`): faults. */
  async control(method, route, body) {
    const response = await fetch(`${this.manifest.controlUrl}${route}`, {
      method,
      headers: body ? { "content-type": "application/json" } : {},
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    if (!response.ok) throw new Error(`${method} /_local${route}: HTTP ${response.status} ${await response.text()}`);
    const text = await response.text();
    return text ? JSON.parse(text) : null;
  }

  /** The user's open WebSocket connections. */
  async connectionsOf(user) {
    const all = await this.control("GET", "/websocket/connections");
    return all.filter((connection) => connection.principalId === user);
  }

  /** Waits until the job is final on the server; its GET /jobs/{id} answer. */
  async waitForFinal(user, jobId, timeoutMs = 60_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { status, body } = await this.api(user, "GET", `/jobs/${jobId}`);
      if (status === 200 && ["SUCCEEDED", "PARTIAL", "FAILED"].includes(body.status)) return body;
      if (Date.now() > deadline) throw new Error(`job ${jobId} not final in time: ${JSON.stringify(body)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.NARRATIX_CHROMIUM ?? "/usr/bin/chromium",
    args: CHROMIUM_FLAGS,
    headless: true,
  });
}

/**
 * A fresh context (its own sessionStorage: a new tab of a new user) and page, with the page's
 * console errors and failed requests collected for the test's messages.
 * @param {import("playwright-core").Browser} browser
 * @param {{ width?: number, height?: number }} [viewport]
 */
export async function openPage(browser, viewport = { width: 1100, height: 900 }) {
  const context = await browser.newContext({ viewport: { width: viewport.width ?? 1100, height: viewport.height ?? 900 }, locale: "ko-KR", acceptDownloads: true });
  const page = await context.newPage();
  /** @type {string[]} */
  const problems = [];
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("requestfailed", (request) => problems.push(`${request.method()} ${request.url().split("?")[0]}: ${request.failure()?.errorText}`));
  return { context, page, problems };
}

/**
 * @param {import("playwright-core").Page} page
 * @param {string} name
 * @param {{ fullPage?: boolean }} [options] the whole page (default) or what the window shows
 */
export async function screenshot(page, name, options = {}) {
  await mkdir(screenshots, { recursive: true });
  const file = path.join(screenshots, `${name}.png`);
  await page.screenshot({ path: file, fullPage: options.fullPage ?? true });
  return file;
}

/** A fixture PDF of the repository. */
export function fixture(relative) {
  return path.join(repository, "tests/fixtures", relative);
}

/** The three sample PDFs the demo uses (tests/fixtures/samples.txt). */
export async function samplePdfs() {
  const names = (await readFile(fixture("samples.txt"), "utf8")).split("\n").map((line) => line.trim()).filter(Boolean);
  return names.map((name) => fixture(`corpus/${name}.pdf`));
}
