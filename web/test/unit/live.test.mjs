import assert from "node:assert/strict";
import { mock, test } from "node:test";

import { JobFollower } from "../../app/src/live.js";

/** A WebSocket stand-in: records what the follower sends; the test opens, feeds and closes it. */
class FakeSocket {
  /** @type {FakeSocket[]} */
  static made = [];
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    /** @type {string[]} */
    this.sent = [];
    FakeSocket.made.push(this);
  }
  send(text) {
    this.sent.push(text);
  }
  close() {
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen?.();
  }
  receive(message) {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
  drop() {
    this.readyState = 3;
    this.onclose?.();
  }
}

function follower(overrides = {}) {
  FakeSocket.made = [];
  const seen = { messages: [], jobs: 0, states: [], signIn: 0, notFound: 0, reasons: [] };
  const instance = new JobFollower({
    jobId: "job-1",
    api: { getJob: async () => { seen.jobs += 1; return /** @type {any} */ ({ jobId: "job-1" }); } },
    socketUrl: "wss://example.test/live",
    token: () => "token",
    random: () => 1,
    WebSocketImpl: /** @type {any} */ (FakeSocket),
    hooks: {
      onMessage: (message) => seen.messages.push(message),
      onJob: () => undefined,
      onConnection: (state, attempt) => seen.states.push(`${state}:${attempt}`),
      onSignInNeeded: (reason) => { seen.signIn += 1; seen.reasons.push(reason); },
      onNotFound: () => { seen.notFound += 1; },
    },
    ...overrides,
  });
  return { instance, seen };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

test("subscribes on open; a dropped socket re-reads, then reconnects with growing, capped delays", async () => {
  mock.timers.enable({ apis: ["setTimeout"] });
  try {
    const { instance, seen } = follower({ baseDelayMs: 500, maxDelayMs: 2000 });
    instance.start();
    const first = FakeSocket.made[0];
    assert.equal(first.url, "wss://example.test/live?token=token");
    first.open();
    assert.deepEqual(first.sent.map((text) => JSON.parse(text)), [{ action: "subscribe", jobId: "job-1" }]);
    first.receive({ type: "subscribed", jobId: "job-1", status: "RUNNING" });
    await tick();
    assert.equal(seen.jobs, 1, "a confirmed subscription re-reads the job");

    assert.deepEqual([1, 2, 3, 4, 5].map((attempt) => instance.delayFor(attempt)), [500, 1000, 2000, 2000, 2000]);
    first.drop();
    assert.equal(FakeSocket.made.length, 1, "no reconnect before the delay");
    mock.timers.tick(500);
    await tick();
    assert.equal(seen.jobs, 2, "re-read before reconnecting");
    assert.equal(FakeSocket.made.length, 2);
    FakeSocket.made[1].drop();
    mock.timers.tick(999);
    await tick();
    assert.equal(FakeSocket.made.length, 2, "the second wait is longer");
    mock.timers.tick(1);
    await tick();
    assert.equal(FakeSocket.made.length, 3);
    FakeSocket.made[2].open();
    FakeSocket.made[2].receive({ type: "subscribed", jobId: "job-1", status: "RUNNING" });
    assert.equal(instance.attempt, 0, "a confirmed subscription resets the backoff");
    FakeSocket.made[2].receive({ type: "fileProgress", jobId: "job-1", fileId: "f1", stage: "LABELING" });
    FakeSocket.made[2].receive({ type: "fileProgress", jobId: "other", fileId: "f1", stage: "LABELING" });
    assert.deepEqual(seen.messages.map((message) => message.type), ["subscribed", "subscribed", "fileProgress"]);
    instance.stop();
    FakeSocket.made[2].drop();
    mock.timers.tick(10_000);
    await tick();
    assert.equal(FakeSocket.made.length, 3, "stopped: no reconnect");
  } finally {
    mock.timers.reset();
  }
});

test("an expired token or a refused subscription stops following and says why", async () => {
  const expired = follower({ token: () => null });
  expired.instance.start();
  assert.equal(expired.seen.signIn, 1);
  assert.equal(FakeSocket.made.length, 0);

  const refused = follower();
  refused.instance.start();
  FakeSocket.made[0].open();
  FakeSocket.made[0].receive({ type: "error", error: "Job.NotFound", message: "no such job" });
  assert.equal(refused.seen.notFound, 1);
  assert.equal(refused.instance.stopped, true);

  const unauthorized = follower({
    api: { getJob: async () => { throw Object.assign(new Error("401"), { unauthorized: true }); } },
  });
  unauthorized.instance.start();
  FakeSocket.made[0].open();
  FakeSocket.made[0].receive({ type: "subscribed", jobId: "job-1", status: "RUNNING" });
  await tick();
  assert.equal(unauthorized.seen.signIn, 1, "a re-read answered 401 asks to sign in again");
});

test("sessionExpired: without a fresh token the follower stops and asks to sign in again", async () => {
  mock.timers.enable({ apis: ["setTimeout"] });
  try {
    const { instance, seen } = follower();
    instance.start();
    const socket = FakeSocket.made[0];
    socket.open();
    socket.receive({ type: "subscribed", jobId: "job-1", status: "RUNNING" });
    socket.receive({ type: "sessionExpired", expiredAt: "2026-12-07T16:00:00Z" });
    assert.equal(seen.signIn, 1);
    assert.deepEqual(seen.reasons, ["sessionExpired"]);
    assert.equal(instance.stopped, true);
    assert.equal(socket.readyState, 3, "the follower closes its side");
    assert.ok(!seen.messages.some((message) => message.type === "sessionExpired"), "not a job message");
    socket.drop();
    mock.timers.tick(60_000);
    await tick();
    assert.equal(FakeSocket.made.length, 1, "no reconnect with the expired token");
  } finally {
    mock.timers.reset();
  }
});

test("sessionExpired: with a fresh token the follower re-reads and re-opens at once", async () => {
  let token = "old";
  const { instance, seen } = follower({ token: () => token });
  instance.start();
  FakeSocket.made[0].open();
  token = "fresh";
  FakeSocket.made[0].receive({ type: "sessionExpired", expiredAt: "2026-12-07T16:00:00Z" });
  await tick();
  assert.equal(seen.signIn, 0);
  assert.equal(seen.jobs, 1, "re-read before re-opening");
  assert.equal(FakeSocket.made.length, 2);
  assert.equal(FakeSocket.made[1].url, "wss://example.test/live?token=fresh");
  FakeSocket.made[0].drop();
  assert.equal(FakeSocket.made.length, 2, "the old socket's close schedules nothing");
  instance.stop();
});
