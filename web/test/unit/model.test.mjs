import assert from "node:assert/strict";
import { test } from "node:test";

import { applyMessage, isComplete, mergeJob, newJobView, viewFromJob } from "../../app/src/model.js";

const pair = { question: "1. 지원동기를 쓰세요.", answer: "저는 …", category: "MOTIVATION" };
const usage = { inputTokens: 0, outputTokens: 0, aiCalls: 0 };

function view() {
  return newJobView("job-1", [
    { fileId: "f1", name: "a.pdf", sizeBytes: 10 },
    { fileId: "f2", name: "b.pdf", sizeBytes: 20 },
  ]);
}

/** @returns {any} */
function job(status, files) {
  return {
    jobId: "job-1",
    status,
    createdAt: "2026-01-01T00:00:00Z",
    succeeded: files.filter((file) => file.status === "SUCCEEDED").length,
    failed: files.filter((file) => file.status === "FAILED").length,
    usage,
    files: files.map((file) => ({ name: `${file.fileId}.pdf`, sizeBytes: 1, truncated: false, usage, ...file })),
  };
}

test("a replayed message changes nothing and yields no event", () => {
  const state = view();
  const progress = { type: "fileProgress", jobId: "job-1", fileId: "f1", stage: "EXTRACTING" };
  assert.equal(applyMessage(state, /** @type {any} */ (progress)).length, 1);
  assert.equal(applyMessage(state, /** @type {any} */ (progress)).length, 0);
  const done = { type: "fileDone", jobId: "job-1", fileId: "f1", status: "SUCCEEDED", pairCount: 1, pairs: [pair] };
  assert.deepEqual(applyMessage(state, /** @type {any} */ (done)), [{ kind: "fileDone", fileId: "f1", status: "SUCCEEDED" }]);
  assert.deepEqual(applyMessage(state, /** @type {any} */ (done)), []);
  // A late progress message (a replay after a reconnect) never moves a file back.
  assert.deepEqual(applyMessage(state, /** @type {any} */ (progress)), []);
  assert.equal(state.files[0].status, "SUCCEEDED");
});

test("the final state is set once, whichever of the message and the re-read comes first", () => {
  const first = view();
  const finalJob = job("PARTIAL", [
    { fileId: "f1", status: "SUCCEEDED", pairs: [pair], pairCount: 1 },
    { fileId: "f2", status: "FAILED", error: "Extract.Encrypted" },
  ]);
  const jobDone = /** @type {any} */ ({ type: "jobDone", jobId: "job-1", status: "PARTIAL", succeeded: 1, failed: 1 });
  const fromGet = mergeJob(first, finalJob);
  assert.deepEqual(fromGet.map((event) => event.kind), ["fileDone", "fileDone", "final"]);
  assert.deepEqual(applyMessage(first, jobDone), []);
  assert.ok(isComplete(first));

  const second = view();
  assert.equal(applyMessage(second, jobDone).length, 1);
  assert.equal(isComplete(second), false, "final, but the pairs are not at hand yet");
  assert.deepEqual(mergeJob(second, finalJob).map((event) => event.kind), ["fileDone", "fileDone"]);
  assert.ok(isComplete(second));
  assert.equal(second.files[1].error, "Extract.Encrypted");
});

test("a file done without its pairs (too large to send) is completed by the re-read", () => {
  const state = view();
  applyMessage(state, /** @type {any} */ ({ type: "fileDone", jobId: "job-1", fileId: "f1", status: "SUCCEEDED", pairCount: 1 }));
  applyMessage(state, /** @type {any} */ ({ type: "fileDone", jobId: "job-1", fileId: "f2", status: "SUCCEEDED", pairCount: 1 }));
  applyMessage(state, /** @type {any} */ ({ type: "jobDone", jobId: "job-1", status: "SUCCEEDED", succeeded: 2, failed: 0 }));
  assert.equal(state.files[0].pairs, undefined);
  const events = mergeJob(state, job("SUCCEEDED", [
    { fileId: "f1", status: "SUCCEEDED", pairs: [pair], pairCount: 1 },
    { fileId: "f2", status: "SUCCEEDED", pairs: [pair], pairCount: 1 },
  ]));
  assert.deepEqual(events, []);
  assert.deepEqual(state.files[0].pairs, [pair]);
  assert.ok(isComplete(state));
});

test("a job that failed as a whole leaves its unfinished files as they were", () => {
  const state = view();
  const events = applyMessage(state, /** @type {any} */ ({ type: "jobFailed", jobId: "job-1", error: "Job.TimedOut", cause: "execution TIMED_OUT" }));
  assert.equal(events.length, 1);
  assert.deepEqual(state.final, { status: "FAILED", succeeded: 0, failed: 2, error: "Job.TimedOut", cause: "execution TIMED_OUT" });
});

test("messages about another job are ignored; a reopened job starts from its document", () => {
  const state = view();
  assert.deepEqual(applyMessage(state, /** @type {any} */ ({ type: "fileProgress", jobId: "other", fileId: "f1", stage: "LABELING" })), []);
  const reopened = viewFromJob(job("RUNNING", [{ fileId: "f2", status: "LABELING" }, { fileId: "f1", status: "EXTRACTING" }]));
  assert.deepEqual(reopened.files.map((file) => file.fileId), ["f1", "f2"]);
  assert.equal(reopened.final, null);
});
