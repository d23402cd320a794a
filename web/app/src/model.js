// The page's view of one job, and the only way it changes: WebSocket messages and GET /jobs/{id}
// answers are merged into it, moving each file only forward (pending → extracting → labeling →
// done) and setting the job's final state once. A message seen twice (a replay after a
// reconnect) or a GET that tells what a message already told changes nothing and yields no
// event, so nothing is shown or announced twice; a message missed while the socket was down is
// made up by the next GET.

/** @typedef {import("../../types/contracts").Job} Job */
/** @typedef {import("../../types/contracts").JobFile} JobFile */
/** @typedef {import("../../types/contracts").JobStatus} JobStatus */
/** @typedef {import("../../types/contracts").FileStatus} FileStatus */
/** @typedef {import("../../types/contracts").LabeledPair} LabeledPair */
/** @typedef {import("../../types/contracts").ServerMessage} ServerMessage */

/**
 * @typedef {object} FileView
 * @property {string} fileId
 * @property {string} name
 * @property {number} sizeBytes
 * @property {FileStatus} status
 * @property {string} [error]
 * @property {string} [cause]
 * @property {number} [pairCount]
 * @property {LabeledPair[]} [pairs]
 * @property {number} [pages]
 * @property {boolean} [truncated]
 * @property {unknown} [prefill] save-form suggestions, when the API sends them (extras.js)
 * @property {{ loaded: number, total: number }} [upload] bytes sent while uploading
 */

/**
 * @typedef {object} FinalState
 * @property {"SUCCEEDED" | "PARTIAL" | "FAILED"} status
 * @property {number} succeeded
 * @property {number} failed
 * @property {string} [error] set when the job itself failed
 * @property {string} [cause]
 */

/**
 * @typedef {object} JobView
 * @property {string} jobId
 * @property {JobStatus} status
 * @property {string} [createdAt]
 * @property {FileView[]} files in file id order
 * @property {FinalState | null} final
 * @property {Job | null} document the last GET /jobs/{id} answer (what "download JSON" saves)
 */

/**
 * What changed, once: the page logs and announces these.
 * @typedef {{ kind: "stage", fileId: string, status: FileStatus }
 *   | { kind: "fileDone", fileId: string, status: "SUCCEEDED" | "FAILED", error?: string }
 *   | { kind: "final", final: FinalState }} ViewEvent
 */

/** @type {Record<FileStatus, number>} */
const RANK = { PENDING: 0, EXTRACTING: 1, LABELING: 2, SUCCEEDED: 3, FAILED: 3 };

/** @param {FileStatus} status */
export function isFileFinal(status) {
  return RANK[status] === 3;
}

/** @param {JobStatus} status @returns {status is FinalState["status"]} */
export function isJobFinal(status) {
  return status === "SUCCEEDED" || status === "PARTIAL" || status === "FAILED";
}

/**
 * A view of a job just created: its files, not yet uploaded.
 * @param {string} jobId
 * @param {{ fileId: string, name: string, sizeBytes: number }[]} files
 * @returns {JobView}
 */
export function newJobView(jobId, files) {
  return {
    jobId,
    status: "CREATED",
    files: files.map((file) => ({ ...file, status: "PENDING" })),
    final: null,
    document: null,
  };
}

/**
 * A view of a job read with GET /jobs/{id} (a reopened job).
 * @param {Job} job
 * @returns {JobView}
 */
export function viewFromJob(job) {
  const view = newJobView(job.jobId, []);
  mergeJob(view, job);
  return view;
}

/**
 * Merges a GET /jobs/{id} answer.
 * @param {JobView} view
 * @param {Job} job
 * @returns {ViewEvent[]}
 */
export function mergeJob(view, job) {
  if (job.jobId !== view.jobId) return [];
  /** @type {ViewEvent[]} */
  const events = [];
  view.document = job;
  view.createdAt = job.createdAt;
  for (const file of job.files) {
    let current = view.files.find((known) => known.fileId === file.fileId);
    if (!current) {
      current = { fileId: file.fileId, name: file.name, sizeBytes: file.sizeBytes, status: "PENDING" };
      view.files.push(current);
      view.files.sort((a, b) => a.fileId.localeCompare(b.fileId));
    }
    events.push(...advanceFile(current, file.status, file.error));
    if (file.error && !current.error) current.error = file.error;
    if (file.cause && !current.cause) current.cause = file.cause;
    // The document is the whole truth: its pairs replace a message's (the same pairs, perhaps
    // with fields a message leaves out).
    if (file.pairs) current.pairs = file.pairs;
    if (file.pairCount !== undefined) current.pairCount = file.pairCount;
    if (file.pages !== undefined) current.pages = file.pages;
    current.truncated = file.truncated;
    const prefill = /** @type {{ prefill?: unknown }} */ (/** @type {unknown} */ (file)).prefill;
    if (prefill) current.prefill = prefill;
  }
  if (RANK_JOB[job.status] > RANK_JOB[view.status]) view.status = job.status;
  if (isJobFinal(job.status)) {
    events.push(
      ...settle(view, {
        status: job.status,
        succeeded: job.succeeded,
        failed: job.failed,
        ...(job.error ? { error: job.error } : {}),
        ...(job.cause ? { cause: job.cause } : {}),
      }),
    );
  }
  return events;
}

/** @type {Record<JobStatus, number>} */
const RANK_JOB = { CREATED: 0, RUNNING: 1, SUCCEEDED: 2, PARTIAL: 2, FAILED: 2 };

/**
 * Merges one WebSocket message. Messages about another job, `subscribed` and `error` change
 * nothing here (the follower handles them).
 * @param {JobView} view
 * @param {ServerMessage} message
 * @returns {ViewEvent[]}
 */
export function applyMessage(view, message) {
  if (!("jobId" in message) || message.jobId !== view.jobId) return [];
  switch (message.type) {
    case "fileProgress": {
      const file = view.files.find((known) => known.fileId === message.fileId);
      if (!file) return [];
      if (view.status === "CREATED") view.status = "RUNNING";
      return advanceFile(file, message.stage);
    }
    case "fileDone": {
      const file = view.files.find((known) => known.fileId === message.fileId);
      if (!file) return [];
      if (message.pairs && !file.pairs) file.pairs = message.pairs;
      if (message.pairCount !== undefined) file.pairCount = message.pairCount;
      if (message.cause && !file.cause) file.cause = message.cause;
      const prefill = /** @type {{ prefill?: unknown }} */ (/** @type {unknown} */ (message)).prefill;
      if (prefill && !file.prefill) file.prefill = prefill;
      return advanceFile(file, message.status, message.error);
    }
    case "jobDone":
      return settle(view, {
        status: message.status,
        succeeded: message.succeeded,
        failed: message.failed,
      });
    case "jobFailed":
      return settle(view, {
        status: "FAILED",
        succeeded: view.files.filter((file) => file.status === "SUCCEEDED").length,
        failed: view.files.filter((file) => file.status !== "SUCCEEDED").length,
        error: message.error,
        cause: message.cause,
      });
    default:
      return [];
  }
}

/**
 * @param {FileView} file
 * @param {FileStatus} status
 * @param {string} [error]
 * @returns {ViewEvent[]}
 */
function advanceFile(file, status, error) {
  if (RANK[status] <= RANK[file.status]) return [];
  file.status = status;
  delete file.upload;
  if (status === "SUCCEEDED" || status === "FAILED") {
    if (error) file.error = error;
    return [{ kind: "fileDone", fileId: file.fileId, status, ...(error ? { error } : {}) }];
  }
  return [{ kind: "stage", fileId: file.fileId, status }];
}

/**
 * @param {JobView} view
 * @param {FinalState} final
 * @returns {ViewEvent[]}
 */
function settle(view, final) {
  if (view.final) return [];
  view.final = final;
  view.status = final.status;
  return [{ kind: "final", final }];
}

/**
 * Whether the page has everything to show: final, and every labeled file's pairs at hand
 * (a fileDone without pairs means they were too large to send; GET /jobs/{id} has them).
 * @param {JobView} view
 */
export function isComplete(view) {
  return (
    view.final !== null &&
    view.document !== null &&
    isJobFinal(view.document.status) &&
    view.files.every((file) => file.status !== "SUCCEEDED" || file.pairs !== undefined)
  );
}
