// The page: sign in, choose up to three PDFs, upload them, follow the job live, show the results;
// reopen any recent job. State lives in one JobView (model.js); the DOM is drawn from it.

import { Api, ApiFailure, uploadFile } from "./api.js";
import {
  beginOidcSignIn,
  clearSession,
  completeOidcSignIn,
  isExpired,
  loadSession,
  saveSession,
  signInLocal,
} from "./auth.js";
import { addFiles, formatSize } from "./checks.js";
import { loadConfig } from "./config.js";
import { byId, h, show } from "./dom.js";
import { limitLabel, measuredLength, pairLimit, prefillItems } from "./extras.js";
import { characterCountLabel, resultAsJson, resultAsText } from "./format.js";
import { JobFollower } from "./live.js";
import {
  API_ERRORS,
  categoryLabel,
  explainError,
  FILE_STATUS_LABELS,
  JOB_STATUS_LABELS,
  SESSION_EXPIRED,
} from "./messages.js";
import { applyMessage, isComplete, isFileFinal, mergeJob, newJobView, viewFromJob } from "./model.js";

/** @typedef {import("./config.js").PageConfig} PageConfig */
/** @typedef {import("./auth.js").Session} Session */
/** @typedef {import("./model.js").JobView} JobView */
/** @typedef {import("./model.js").FileView} FileView */
/** @typedef {import("./model.js").ViewEvent} ViewEvent */
/** @typedef {import("./model.js").FinalState} FinalState */
/** @typedef {import("./live.js").ConnectionState} ConnectionState */

const ui = {
  pageMessage: byId("page-message"),
  account: byId("account"),
  accountName: byId("account-name"),
  signOut: byId("sign-out", HTMLButtonElement),
  signin: byId("signin"),
  signinReason: byId("signin-reason"),
  signinLocal: byId("signin-local", HTMLFormElement),
  signinUser: byId("signin-user", HTMLInputElement),
  signinOidc: byId("signin-oidc"),
  signinOidcButton: byId("signin-oidc-button", HTMLButtonElement),
  signinError: byId("signin-error"),
  upload: byId("upload"),
  dropzone: byId("dropzone"),
  fileInput: byId("file-input", HTMLInputElement),
  chosen: byId("chosen"),
  problems: byId("choose-problems"),
  start: byId("start", HTMLButtonElement),
  job: byId("job"),
  jobTitle: byId("job-title"),
  connection: byId("connection"),
  jobFinal: byId("job-final"),
  jobError: byId("job-error"),
  files: byId("files"),
  actions: byId("job-actions"),
  copyText: byId("copy-text", HTMLButtonElement),
  downloadJson: byId("download-json", HTMLButtonElement),
  newJob: byId("new-job", HTMLButtonElement),
  actionStatus: byId("action-status"),
  activityLog: byId("activity-log"),
  recent: byId("recent"),
  recentList: byId("recent-list"),
  recentEmpty: byId("recent-empty"),
  recentRefresh: byId("recent-refresh", HTMLButtonElement),
  live: byId("live"),
};

/** @type {PageConfig} */
let config;
/** @type {Api} */
let api;
/** @type {Session | null} */
let session = null;
/** @type {File[]} */
let chosen = [];
/**
 * The job on screen.
 * @type {{ view: JobView, follower: JobFollower | null, uploading: boolean } | null}
 */
let current = null;

/** The bearer token, or null when the user must sign in (again). */
function validToken() {
  return session && !isExpired(session) ? session.token : null;
}

// ── sign-in ──────────────────────────────────────────────────────────────────────────────────

/** @param {string} [reason] why the user must sign in (again) */
function showSignIn(reason) {
  show(ui.signin, true);
  show(ui.account, false);
  show(ui.upload, false);
  show(ui.recent, false);
  ui.signinReason.textContent = reason ?? "";
  show(ui.signinReason, Boolean(reason));
  show(ui.signinError, false);
  show(ui.signinLocal, config.auth.mode === "local");
  show(ui.signinOidc, config.auth.mode === "oidc");
  if (config.auth.mode === "local") {
    if (!ui.signinUser.value) ui.signinUser.value = config.auth.defaultUser ?? "";
    ui.signinUser.focus();
  } else {
    ui.signinOidcButton.focus();
  }
}

/** @param {"sessionExpired"} [reason] the server closed the live connection for it */
function signInNeeded(reason) {
  session = null;
  clearSession();
  if (current?.follower) current.follower.stop();
  const message = reason === "sessionExpired" ? SESSION_EXPIRED : API_ERRORS["Auth.Unauthorized"];
  showSignIn(message);
  announce(message);
}

/** @param {Session} next */
function signedIn(next) {
  session = next;
  saveSession(next);
  show(ui.signin, false);
  ui.accountName.textContent = `${next.user} 님`;
  show(ui.account, true);
  void route();
}

ui.signinLocal.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (config.auth.mode !== "local") return;
  try {
    signedIn(await signInLocal(config.auth, ui.signinUser.value.trim()));
  } catch (error) {
    ui.signinError.textContent = `로그인하지 못했습니다: ${error instanceof Error ? error.message : error}`;
    show(ui.signinError, true);
  }
});

ui.signinOidcButton.addEventListener("click", async () => {
  if (config.auth.mode !== "oidc") return;
  try {
    await beginOidcSignIn(config.auth, location.search);
  } catch (error) {
    ui.signinError.textContent = `로그인 페이지를 열지 못했습니다: ${error instanceof Error ? error.message : error}`;
    show(ui.signinError, true);
  }
});

ui.signOut.addEventListener("click", () => {
  session = null;
  clearSession();
  leaveJob();
  history.pushState(null, "", location.pathname);
  showSignIn();
});

// ── choosing files ───────────────────────────────────────────────────────────────────────────

/** @param {File[]} added */
async function choose(added) {
  const { files, problems } = await addFiles(chosen, added);
  chosen = files;
  ui.problems.replaceChildren(...problems.map((problem) => h("li", {}, problem)));
  renderChosen();
}

function renderChosen() {
  ui.chosen.replaceChildren(
    ...chosen.map((file, index) =>
      h(
        "li",
        {},
        h("span", { class: "name" }, file.name),
        h("span", { class: "size" }, formatSize(file.size)),
        removeButton(file, index),
      ),
    ),
  );
  ui.start.disabled = chosen.length === 0 || current?.uploading === true;
}

/** @param {File} file @param {number} index */
function removeButton(file, index) {
  const button = h("button", { type: "button", class: "link-button", "aria-label": `${file.name} 빼기` }, "빼기");
  button.addEventListener("click", () => {
    chosen.splice(index, 1);
    ui.problems.replaceChildren();
    renderChosen();
    ui.fileInput.focus();
  });
  return button;
}

ui.fileInput.addEventListener("change", () => {
  void choose([...(ui.fileInput.files ?? [])]);
  ui.fileInput.value = "";
});
for (const name of ["dragenter", "dragover"]) {
  ui.dropzone.addEventListener(name, (event) => {
    event.preventDefault();
    ui.dropzone.classList.add("dragging");
  });
}
for (const name of ["dragleave", "drop"]) {
  ui.dropzone.addEventListener(name, () => ui.dropzone.classList.remove("dragging"));
}
ui.dropzone.addEventListener("drop", (event) => {
  event.preventDefault();
  void choose([...(/** @type {DragEvent} */ (event).dataTransfer?.files ?? [])]);
});

// ── a new job: create, upload, subscribe, start ──────────────────────────────────────────────

ui.start.addEventListener("click", () => void startAnalysis());

async function startAnalysis() {
  if (chosen.length === 0) return;
  const files = [...chosen];
  ui.start.disabled = true;
  ui.problems.replaceChildren();
  let created;
  try {
    created = await api.createJob({ files: files.map((file) => ({ name: file.name, sizeBytes: file.size })) });
  } catch (error) {
    ui.start.disabled = false;
    return failure(error, (message) => ui.problems.replaceChildren(h("li", {}, message)));
  }
  leaveJob();
  const view = newJobView(
    created.jobId,
    created.files.map((target, index) => ({
      fileId: target.fileId,
      name: target.name,
      sizeBytes: files[index]?.size ?? 0,
    })),
  );
  current = { view, follower: null, uploading: true };
  history.pushState(null, "", `?job=${encodeURIComponent(created.jobId)}`);
  showJob(view);
  log(`파일 ${files.length}개를 올립니다.`);

  try {
    await Promise.all(
      created.files.map((target, index) => {
        const file = files[index];
        const fileView = view.files.find((known) => known.fileId === target.fileId);
        if (!file || !fileView) throw new ApiFailure("Request.Invalid", 0, "the API answered other files");
        fileView.upload = { loaded: 0, total: file.size };
        return uploadFile(target, file, (loaded, total) => {
          fileView.upload = { loaded, total };
          renderFiles(view);
        });
      }),
    );
  } catch (error) {
    current.uploading = false;
    for (const file of view.files) delete file.upload;
    renderFiles(view);
    ui.start.disabled = false;
    return failure(error, (message) => {
      ui.jobError.textContent = `${message} 이 작업은 시작하지 않았습니다.`;
      show(ui.jobError, true);
      offerNewJobOnly();
      report(ui.jobError.textContent);
    });
  }
  current.uploading = false;
  chosen = [];
  renderChosen();
  report(`파일 ${files.length}개를 모두 올렸습니다. 분석을 시작합니다.`);

  const live = follow(view);
  // Subscribe before starting so the first messages are not missed; a socket that cannot open
  // does not hold the job back (re-reads show its progress).
  await Promise.race([live, new Promise((resolve) => setTimeout(resolve, 5000))]);
  try {
    receiveJob(view, await api.startJob(view.jobId));
  } catch (error) {
    failure(error, (message) => {
      ui.jobError.textContent = message;
      show(ui.jobError, true);
      offerNewJobOnly();
      report(message);
    });
  }
}

/** A job that cannot go on: the only way forward is a new upload. */
function offerNewJobOnly() {
  show(ui.actions, true);
  show(ui.copyText, false);
  show(ui.downloadJson, false);
}

/**
 * Shows an API failure with `place`, or asks to sign in again.
 * @param {unknown} error
 * @param {(message: string) => void} place
 */
function failure(error, place) {
  if (error instanceof ApiFailure && error.unauthorized) return signInNeeded();
  const name = error instanceof ApiFailure ? error.errorName : "Network.Failed";
  place(explainError(name));
}

// ── following a job ──────────────────────────────────────────────────────────────────────────

/**
 * Starts following the job on screen; resolves when the first subscription is confirmed.
 * @param {JobView} view
 * @returns {Promise<void>}
 */
function follow(view) {
  return new Promise((resolve) => {
    const follower = new JobFollower({
      jobId: view.jobId,
      api,
      socketUrl: config.webSocketUrl,
      token: validToken,
      hooks: {
        onMessage: (message) => {
          if (current?.view !== view) return;
          const events = applyMessage(view, message);
          present(view, events);
          if (events.some((event) => event.kind === "final")) void completeResults(view);
        },
        onJob: (job) => receiveJob(view, job),
        onConnection: (state, attempt) => {
          if (current?.view !== view) return;
          showConnection(state, attempt);
          if (state === "live") resolve();
        },
        onSignInNeeded: signInNeeded,
        onNotFound: () => showNotFound(view.jobId),
      },
    });
    if (current) current.follower = follower;
    follower.start();
  });
}

/**
 * @param {JobView} view
 * @param {import("./model.js").Job} job
 */
function receiveJob(view, job) {
  if (current?.view !== view) return;
  present(view, mergeJob(view, job));
  if (isComplete(view)) finish(view);
}

/**
 * The job just became final: read the full result (pairs too large for the socket, pages).
 * @param {JobView} view
 */
async function completeResults(view) {
  for (let attempt = 0; attempt < 5 && current?.view === view && !isComplete(view); attempt += 1) {
    try {
      receiveJob(view, await api.getJob(view.jobId));
    } catch (error) {
      if (error instanceof ApiFailure && error.unauthorized) return signInNeeded();
    }
    if (!isComplete(view)) await new Promise((resolve) => setTimeout(resolve, 500 * (attempt + 1)));
  }
}

/** @param {JobView} view */
function finish(view) {
  if (current?.view !== view) return;
  current.follower?.stop();
  current.follower = null;
  show(ui.actions, true);
  void refreshRecent();
}

function leaveJob() {
  current?.follower?.stop();
  current = null;
}

/** @param {ConnectionState} state @param {number} attempt */
function showConnection(state, attempt) {
  ui.connection.dataset.state = state;
  const texts = {
    connecting: "실시간 연결 중…",
    live: "실시간으로 받는 중",
    reconnecting: `연결이 끊겨 다시 연결하는 중…${attempt > 1 ? ` (${attempt}번째)` : ""}`,
    stopped: "",
  };
  const text = texts[state];
  if (state === "reconnecting" && ui.connection.textContent !== text && attempt === 1) {
    log("실시간 연결이 끊겼습니다. 다시 연결하면서 그사이 진행을 다시 읽습니다.");
  }
  if (state === "live" && ui.connection.textContent.startsWith("연결이 끊겨")) log("실시간 연결을 되찾았습니다.");
  ui.connection.textContent = text;
  show(ui.connection, text !== "");
}

// ── opening a job from the address or the recent list ────────────────────────────────────────

/** @param {string} jobId */
async function openJob(jobId) {
  leaveJob();
  let job;
  try {
    job = await api.getJob(jobId);
  } catch (error) {
    if (error instanceof ApiFailure && error.notFound) return showNotFound(jobId);
    return failure(error, (message) => showPageMessage(message));
  }
  const view = viewFromJob(job);
  current = { view, follower: null, uploading: false };
  showJob(view);
  log(`작업을 열었습니다: ${JOB_STATUS_LABELS[view.status]}`);
  if (view.final) {
    ui.jobFinal.focus();
    if (isComplete(view)) finish(view);
    else void completeResults(view);
  } else if (view.status === "CREATED") {
    ui.jobError.textContent = "시작하지 않은 작업입니다(파일을 다 올리기 전에 멈췄습니다). 파일을 다시 올려 주세요.";
    show(ui.jobError, true);
    offerNewJobOnly();
  } else {
    void follow(view);
  }
}

/** @param {string} jobId */
function showNotFound(jobId) {
  leaveJob();
  show(ui.job, true);
  show(ui.upload, false);
  offerNewJobOnly();
  ui.jobTitle.textContent = "찾을 수 없음";
  ui.files.replaceChildren();
  ui.activityLog.replaceChildren();
  show(ui.jobFinal, false);
  show(ui.connection, false);
  ui.jobError.textContent = `이 주소의 작업이 없거나, 다른 사용자의 작업입니다. (${jobId})`;
  show(ui.jobError, true);
  announce(`찾을 수 없음. ${API_ERRORS["Job.NotFound"]}`);
}

/** @param {string} message */
function showPageMessage(message) {
  ui.pageMessage.textContent = message;
  show(ui.pageMessage, true);
}

// ── drawing the job ──────────────────────────────────────────────────────────────────────────

/** @param {JobView} view */
function showJob(view) {
  show(ui.job, true);
  show(ui.upload, false);
  show(ui.pageMessage, false);
  ui.jobTitle.textContent = view.createdAt
    ? `분석 결과 · ${new Date(view.createdAt).toLocaleString("ko-KR", { dateStyle: "medium", timeStyle: "short" })}`
    : "분석 결과";
  ui.activityLog.replaceChildren();
  show(ui.jobError, false);
  show(ui.actions, false);
  show(ui.copyText, true);
  show(ui.downloadJson, true);
  show(ui.connection, false);
  ui.actionStatus.textContent = "";
  renderFinal(view);
  renderFiles(view);
}

/**
 * Logs and announces what changed, then redraws.
 * @param {JobView} view
 * @param {ViewEvent[]} events
 */
function present(view, events) {
  const texts = events.map((event) => describe(view, event));
  for (const text of texts) log(text);
  // One announcement for what arrived together: a screen reader reads the region's last text.
  if (texts.length > 0) announce(texts.join(" "));
  renderFinal(view);
  renderFiles(view);
}

/** @param {JobView} view @param {ViewEvent} event */
function describe(view, event) {
  if (event.kind === "final") return finalText(event.final);
  const file = view.files.find((known) => known.fileId === event.fileId);
  const name = file?.name ?? event.fileId;
  if (event.kind === "stage") return `${name}: ${FILE_STATUS_LABELS[event.status]}`;
  if (event.status === "SUCCEEDED") {
    return `${name}: 완료${file?.pairCount !== undefined ? ` — 문항 ${file.pairCount}개` : ""}`;
  }
  return `${name}: 실패 — ${explainError(event.error)}`;
}

/** @param {FinalState} final */
function finalText(final) {
  if (final.error) return `작업이 실패했습니다: ${explainError(final.error)}`;
  const total = final.succeeded + final.failed;
  if (final.status === "SUCCEEDED") return `분석이 끝났습니다: 파일 ${total}개 모두 성공했습니다.`;
  if (final.status === "PARTIAL") {
    return `분석이 끝났습니다: 파일 ${total}개 중 ${final.succeeded}개 성공, ${final.failed}개 실패.`;
  }
  return `분석하지 못했습니다: 파일 ${total}개 모두 실패했습니다.`;
}

/** @param {JobView} view */
function renderFinal(view) {
  if (!view.final) {
    show(ui.jobFinal, false);
    return;
  }
  ui.jobFinal.dataset.status = view.final.status;
  ui.jobFinal.textContent = finalText(view.final);
  ui.jobFinal.tabIndex = -1;
  show(ui.jobFinal, true);
}

/** @param {JobView} view */
function renderFiles(view) {
  ui.files.replaceChildren(...view.files.map((file) => renderFile(view, file)));
}

const STEPS = ["올리기", "글자 읽기", "문항 나누기", "완료"];

/** @param {JobView} view @param {FileView} file */
function renderFile(view, file) {
  const abandoned = view.final !== null && !isFileFinal(file.status);
  const label = file.upload
    ? `${FILE_STATUS_LABELS.UPLOADING} ${Math.floor((100 * file.upload.loaded) / Math.max(1, file.upload.total))}%`
    : abandoned
      ? "처리되지 못함"
      : FILE_STATUS_LABELS[file.status];
  return h(
    "li",
    { class: "file", "data-file-id": file.fileId, "data-status": abandoned ? "FAILED" : file.status },
    h(
      "div",
      { class: "file-head" },
      h("h3", { class: "file-name" }, file.name),
      h("span", { class: "status-chip" }, label),
    ),
    renderSteps(file, abandoned),
    file.upload
      ? h("progress", {
          max: file.upload.total,
          value: file.upload.loaded,
          "aria-label": `${file.name} 올리는 중`,
        })
      : null,
    file.status === "FAILED" ? renderFileError(file) : null,
    file.status === "SUCCEEDED" ? renderFileMeta(file) : null,
    renderPrefill(file),
    file.pairs && file.pairs.length > 0
      ? h("ol", { class: "pairs", "aria-label": `${file.name}의 문항` }, ...file.pairs.map((pair, index) => renderPair(file, pair, index)))
      : null,
  );
}

/** @param {FileView} file @param {boolean} abandoned */
function renderSteps(file, abandoned) {
  /** How many steps are done, and which one is current (or failed). */
  const reached = file.upload
    ? 0
    : { PENDING: 1, EXTRACTING: 1, LABELING: 2, SUCCEEDED: 4, FAILED: file.error?.startsWith("Label.") ? 2 : 1 }[
        file.status
      ];
  const failed = file.status === "FAILED" || abandoned;
  const waiting = file.status === "PENDING" && !file.upload;
  return h(
    "ol",
    { class: "steps", "aria-hidden": "true" },
    ...STEPS.map((step, index) => {
      let state = "";
      if (index < reached) state = "done";
      else if (index === reached && failed) state = "failed";
      return h(
        "li",
        {
          class: state,
          "aria-current": index === reached && !failed && !waiting && reached < 4 ? "step" : null,
        },
        step,
      );
    }),
  );
}

/** @param {FileView} file */
function renderFileError(file) {
  return h(
    "div",
    { class: "file-error" },
    h("p", { class: "error-text" }, explainError(file.error)),
    file.error ? h("p", { class: "error-name" }, `오류 이름: ${file.error}`) : null,
  );
}

/** @param {FileView} file */
function renderFileMeta(file) {
  const parts = [];
  if (file.pages !== undefined) parts.push(`${file.pages}쪽`);
  if (file.pairCount !== undefined) parts.push(`문항 ${file.pairCount}개`);
  if (file.truncated) parts.push("글이 길어 앞부분만 분석했습니다");
  return parts.length ? h("p", { class: "file-meta" }, parts.join(" · ")) : null;
}

/**
 * @param {FileView} file
 * @param {import("./model.js").LabeledPair} pair
 * @param {number} index
 */
function renderPair(file, pair, index) {
  const answer = answerParagraph(`answer-${file.fileId}-${index + 1}`, pair.answer);
  return h(
    "li",
    { class: "pair" },
    h(
      "div",
      { class: "pair-head" },
      h("span", { class: "pair-number" }, `문항 ${index + 1}`),
      h("span", { class: "chip", "data-category": pair.category }, categoryLabel(pair.category)),
    ),
    h("h4", { class: "question" }, pair.question),
    answer,
    h(
      "p",
      { class: "pair-meta" },
      h("span", { class: "char-count" }, characterCountLabel(pair.answer, measuredLength(pair))),
      renderLimit(pair),
      foldButton(answer),
    ),
  );
}

/** The question's length limit against the answer, when the API sends one. @param {{ answer: string }} pair */
function renderLimit(pair) {
  const limit = pairLimit(pair);
  if (!limit) return null;
  return h("span", { class: limit.over ? "limit over" : "limit", "data-over": limit.over }, limitLabel(limit));
}

/** What the save form can be filled in with, when the API sends it. @param {FileView} file */
function renderPrefill(file) {
  const items = prefillItems(file.prefill);
  if (items.length === 0) return null;
  return h(
    "dl",
    { class: "prefill", "aria-label": "저장할 때 채울 정보(글에서 읽음)" },
    ...items.flatMap((item) => [
      h("dt", {}, item.label),
      h("dd", item.line ? { title: `글의 이 줄에서 읽었습니다: ${item.line}` } : {}, item.value),
    ]),
  );
}

/** Long answers show their first lines; the button unfolds them (and folds them again). */
const FOLD_OVER_CHARACTERS = 240;

/** @param {string} key @param {string} text */
function answerParagraph(key, text) {
  const folded = text.length > FOLD_OVER_CHARACTERS && !unfolded.has(key);
  return h("p", { class: folded ? "answer folded" : "answer", id: key, "data-foldable": text.length > FOLD_OVER_CHARACTERS }, text);
}

/** Answers the user unfolded (kept across redraws). */
const unfolded = new Set();

/** @param {HTMLElement} answer */
function foldButton(answer) {
  if (!answer.hasAttribute("data-foldable")) return null;
  const expanded = !answer.classList.contains("folded");
  const button = h(
    "button",
    { type: "button", class: "link-button fold", "aria-expanded": String(expanded), "aria-controls": answer.id },
    expanded ? "답변 접기" : "답변 모두 보기",
  );
  button.addEventListener("click", () => {
    const open = answer.classList.toggle("folded") === false;
    if (open) unfolded.add(answer.id);
    else unfolded.delete(answer.id);
    button.setAttribute("aria-expanded", String(open));
    button.textContent = open ? "답변 접기" : "답변 모두 보기";
  });
  return button;
}

/** @param {string} text */
function log(text) {
  const now = new Date();
  const time = [now.getHours(), now.getMinutes(), now.getSeconds()]
    .map((part) => String(part).padStart(2, "0"))
    .join(":");
  ui.activityLog.append(h("li", {}, h("time", { datetime: now.toISOString() }, time), h("span", {}, text)));
}

/** @param {string} text */
function announce(text) {
  ui.live.textContent = text;
}

/** @param {string} text */
function report(text) {
  log(text);
  announce(text);
}

// ── taking the results away ──────────────────────────────────────────────────────────────────

ui.copyText.addEventListener("click", async () => {
  if (!current) return;
  const text = resultAsText(current.view);
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const area = h("textarea", { class: "visually-hidden" });
    /** @type {HTMLTextAreaElement} */ (area).value = text;
    document.body.append(area);
    /** @type {HTMLTextAreaElement} */ (area).select();
    document.execCommand("copy");
    area.remove();
  }
  ui.actionStatus.textContent = "결과를 텍스트로 복사했습니다.";
});

ui.downloadJson.addEventListener("click", () => {
  if (!current?.view.document) return;
  const url = URL.createObjectURL(new Blob([resultAsJson(current.view)], { type: "application/json" }));
  const link = h("a", { href: url, download: `narratix-${current.view.jobId}.json` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  ui.actionStatus.textContent = "JSON 파일을 내려받았습니다.";
});

ui.newJob.addEventListener("click", () => {
  leaveJob();
  history.pushState(null, "", location.pathname);
  void route();
  ui.fileInput.focus();
});

// ── recent jobs ──────────────────────────────────────────────────────────────────────────────

async function refreshRecent() {
  let list;
  try {
    list = await api.listJobs(10);
  } catch (error) {
    if (error instanceof ApiFailure && error.unauthorized) return signInNeeded();
    return;
  }
  show(ui.recent, true);
  show(ui.recentEmpty, list.jobs.length === 0);
  ui.recentList.replaceChildren(
    ...list.jobs.map((job) => {
      const link = h(
        "a",
        { href: `?job=${encodeURIComponent(job.jobId)}`, "data-job-id": job.jobId },
        h("span", { class: "when" }, new Date(job.createdAt).toLocaleString("ko-KR", { dateStyle: "medium", timeStyle: "short" })),
        h("span", {}, `파일 ${job.fileCount}개 · 성공 ${job.succeeded} · 실패 ${job.failed}`),
        h("span", { class: "status-chip" }, JOB_STATUS_LABELS[job.status]),
      );
      link.addEventListener("click", (event) => {
        event.preventDefault();
        history.pushState(null, "", `?job=${encodeURIComponent(job.jobId)}`);
        void openJob(job.jobId).then(() => ui.job.scrollIntoView({ block: "start" }));
      });
      return h("li", {}, link);
    }),
  );
}

ui.recentRefresh.addEventListener("click", () => void refreshRecent());

// ── start ────────────────────────────────────────────────────────────────────────────────────

async function route() {
  if (!validToken()) {
    if (session) return signInNeeded();
    return showSignIn();
  }
  show(ui.signin, false);
  show(ui.upload, true);
  renderChosen();
  const jobId = new URLSearchParams(location.search).get("job");
  if (jobId) await openJob(jobId);
  else {
    leaveJob();
    show(ui.job, false);
  }
  await refreshRecent();
}

window.addEventListener("popstate", () => void route());

async function boot() {
  try {
    config = await loadConfig();
  } catch (error) {
    showPageMessage(`페이지 설정(config.json)을 읽지 못했습니다: ${error instanceof Error ? error.message : error}`);
    return;
  }
  api = new Api(config.apiUrl, validToken);
  if (config.auth.mode === "oidc") {
    try {
      const completed = await completeOidcSignIn(config.auth);
      if (completed) {
        history.replaceState(null, "", `${location.pathname}${completed.returnTo}`);
        saveSession(completed.session);
      }
    } catch (error) {
      showPageMessage(`로그인을 끝내지 못했습니다: ${error instanceof Error ? error.message : error}`);
    }
  }
  session = loadSession();
  const query = new URLSearchParams(location.search);
  const as = query.get("as");
  if (config.auth.mode === "local" && as) {
    // `?as=NAME` (the demo's link) signs in locally as NAME.
    query.delete("as");
    history.replaceState(null, "", `${location.pathname}${query.size ? `?${query}` : ""}`);
    try {
      session = await signInLocal(config.auth, as);
      saveSession(session);
    } catch {
      session = null;
    }
  }
  if (session && validToken()) {
    ui.accountName.textContent = `${session.user} 님`;
    show(ui.account, true);
  }
  await route();
}

void boot();
