// The page in a real browser (Debian's Chromium, playwright-core) against one real local stack:
// the real HTTP and WebSocket APIs, the presigned PUT into moto's S3 with the bucket's CORS from
// template.yaml, the state machine and the function binaries. The page is opened from another
// origin than the APIs, as deployed. Each scenario checks what the user sees against what the
// API holds, and that nothing is announced twice.

import assert from "node:assert/strict";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { CATEGORY_LABELS, PIPELINE_ERRORS } from "../../app/src/messages.js";
import { fixture, launchBrowser, openPage, samplePdfs, screenshot, Stack } from "./harness.mjs";

const ENCRYPTED = fixture("hostile/encrypted-user-aes-128.pdf");
const FINAL_TEXT = /분석이 끝났습니다|분석하지 못했습니다|작업이 실패했습니다/g;

/** How often `needle` occurs in `texts`. @param {string[]} texts @param {string | RegExp} needle */
function occurrences(texts, needle) {
  const count = (/** @type {string} */ text) =>
    typeof needle === "string" ? text.split(needle).length - 1 : (text.match(needle)?.length ?? 0);
  return texts.reduce((sum, text) => sum + count(text), 0);
}

/** The activity log's lines, without their times. @param {import("playwright-core").Page} page */
function logLines(page) {
  return page.locator("#activity-log li > span").allTextContents();
}

/** @type {Stack} */
let stack;
/** @type {import("playwright-core").Browser} */
let browser;
/** @type {string} */
let scratch;

before(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), "narratix-web-"));
  [stack, browser] = await Promise.all([Stack.start(), launchBrowser()]);
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

/**
 * A new tab that records every text the page announces through its aria-live region.
 * @param {{ width?: number, height?: number }} [viewport]
 */
async function newTab(viewport) {
  const tab = await openPage(browser, viewport);
  await tab.context.addInitScript(() => {
    /** @type {any} */ (window).__announcements = [];
    document.addEventListener("DOMContentLoaded", () => {
      const live = document.getElementById("live");
      if (!live) return;
      new MutationObserver(() => {
        if (live.textContent) /** @type {any} */ (window).__announcements.push(live.textContent);
      }).observe(live, { childList: true, characterData: true, subtree: true });
    });
  });
  return tab;
}

/**
 * Signs in with the "sign in as" box, by keyboard. With a job in the address the page opens that
 * job (the upload form shows only until it does), so only the account is waited for.
 * @param {import("playwright-core").Page} page
 */
async function signIn(page, user, url = stack.pageUrl) {
  await page.goto(url);
  await page.locator("#signin-user").fill(user);
  await page.locator("#signin-user").press("Enter");
  await page.locator("#account").waitFor({ state: "visible" });
  if (!new URL(url).searchParams.has("job")) await page.locator("#upload").waitFor({ state: "visible" });
}

/** Chooses files and starts with the keyboard; the job id from the address. */
async function uploadAndStart(page, files) {
  await page.locator("#file-input").setInputFiles(files);
  await page.locator("#chosen li").nth(files.length - 1).waitFor();
  await page.locator("#start").focus();
  await page.keyboard.press("Enter");
  await page.waitForURL(/\?job=/);
  return new URL(page.url()).searchParams.get("job") ?? "";
}

/** Waits for the page's final state; its status. A job the page gave up on fails at once. */
async function finalStatus(page, timeout = 60_000) {
  const final = page.locator("#job-final");
  const error = page.locator("#job-error");
  await page.locator("#job-final:visible, #job-error:visible").first().waitFor({ timeout });
  if (await error.isVisible()) {
    assert.fail(`the page stopped the job: ${await error.textContent()}\n${await logLines(page).then((lines) => lines.join("\n"))}`);
  }
  await page.locator("#job-actions").waitFor({ state: "visible", timeout });
  return final.getAttribute("data-status");
}

/** What the page shows for each file. @param {import("playwright-core").Page} page */
function shownFiles(page) {
  return page.$$eval("#files > li.file", (cards) =>
    cards.map((card) => ({
      fileId: card.getAttribute("data-file-id"),
      status: card.getAttribute("data-status"),
      name: card.querySelector(".file-name")?.textContent,
      error: card.querySelector(".error-text")?.textContent ?? null,
      errorName: card.querySelector(".error-name")?.textContent ?? null,
      pairs: [...card.querySelectorAll(".pair")].map((pair) => ({
        question: pair.querySelector(".question")?.textContent,
        answer: pair.querySelector(".answer")?.textContent,
        category: pair.querySelector(".chip")?.getAttribute("data-category"),
        label: pair.querySelector(".chip")?.textContent,
        count: pair.querySelector(".char-count")?.textContent,
      })),
    })),
  );
}

/** Holds the page to the API's job: every file, status, error and pair, in order. */
async function assertShowsJob(page, job) {
  const shown = await shownFiles(page);
  assert.equal(shown.length, job.files.length, "one card per file");
  for (const [index, file] of job.files.entries()) {
    const card = shown[index];
    assert.equal(card.fileId, file.fileId);
    assert.equal(card.name, file.name);
    assert.equal(card.status, file.status, `${file.name}: status`);
    if (file.status === "FAILED") {
      assert.equal(card.error, PIPELINE_ERRORS[file.error], `${file.name}: the error explained`);
      assert.equal(card.errorName, `오류 이름: ${file.error}`);
      assert.equal(card.pairs.length, 0);
      continue;
    }
    assert.ok(file.pairs.length > 0, `${file.name} has pairs`);
    assert.equal(card.pairs.length, file.pairs.length, `${file.name}: every pair shown`);
    file.pairs.forEach((pair, at) => {
      const seen = card.pairs[at];
      assert.equal(seen.question, pair.question);
      assert.equal(seen.answer, pair.answer, "the answer exactly as extracted");
      assert.equal(seen.category, pair.category);
      assert.equal(seen.label, CATEGORY_LABELS[pair.category]);
      const characters = [...new Intl.Segmenter("ko", { granularity: "grapheme" }).segment(pair.answer)].length;
      assert.ok(seen.count?.startsWith(`공백 포함 ${characters.toLocaleString("ko-KR")}자`), seen.count);
    });
  }
}

/** Checks that nothing was announced or logged twice, and exactly one final state. */
async function assertAnnouncedOnce(page, job) {
  /** @type {string[]} */
  const announced = await page.evaluate(() => /** @type {any} */ (window).__announcements);
  const log = await logLines(page);
  for (const [what, texts] of [["announced", announced], ["logged", log]]) {
    assert.equal(occurrences(texts, FINAL_TEXT), 1, `exactly one final state ${what}: ${JSON.stringify(texts)}`);
    for (const file of job.files) {
      const done = `${file.name}: ${file.status === "SUCCEEDED" ? "완료" : "실패"}`;
      assert.equal(occurrences(texts, done), 1, `${done} ${what} once: ${JSON.stringify(texts)}`);
    }
  }
  assert.equal(await page.locator("#job-final").count(), 1);
}

describe("the web page on the local stack", () => {
  test("the stack serves the page, its config and nothing of the repository outside web/app", async () => {
    const index = await fetch(`${stack.endpoint}/`);
    assert.equal(index.status, 200);
    assert.match(index.headers.get("content-type") ?? "", /text\/html/);
    assert.match(await index.text(), /<html lang="ko">/);
    const config = await (await fetch(`${stack.endpoint}/config.json`)).json();
    assert.equal(config.apiUrl, stack.manifest.httpApiUrl);
    assert.equal(config.webSocketUrl, stack.manifest.webSocketUrl);
    assert.equal((await fetch(`${stack.endpoint}/..%2FCargo.toml`)).status >= 400, true);
    assert.equal((await fetch(`${stack.endpoint}/_identity/token`, { method: "POST", body: "user=x" })).status, 415);
  });

  test("the upload bucket's CORS allows exactly the headers the presigned PUT carries", async () => {
    const created = await stack.api("web-cors", "POST", "/jobs", { files: [{ name: "a.pdf", sizeBytes: 10 }] });
    assert.equal(created.status, 201);
    const [target] = created.body.files;
    // What a page must send itself: every signed header but those the browser sets from the body.
    const sent = Object.keys(target.headers).map((name) => name.toLowerCase()).filter((name) => name !== "content-length").sort();
    assert.ok(sent.includes("x-amzn-trace-id"), `the API signs the trace header: ${sent}`);
    const preflight = await fetch(target.uploadUrl, {
      method: "OPTIONS",
      headers: { origin: new URL(stack.pageUrl).origin, "access-control-request-method": "PUT", "access-control-request-headers": sent.join(",") },
    });
    assert.equal(preflight.status, 200);
    const allowed = (preflight.headers.get("access-control-allow-headers") ?? "").split(",").map((name) => name.trim().toLowerCase()).filter(Boolean).sort();
    assert.deepEqual(allowed, sent, "template.yaml's UploadBucket CorsRules AllowedHeaders, no more and no less");
  });

  test("three good PDFs: every file's results, copy as text, download JSON, reopen from the list", async () => {
    const { context, page, problems } = await newTab();
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: new URL(stack.pageUrl).origin });
    const user = "web-good";
    await signIn(page, user);
    const jobId = await uploadAndStart(page, await samplePdfs());
    assert.equal(await finalStatus(page), "SUCCEEDED");
    const job = await stack.waitForFinal(user, jobId);
    assert.equal(job.status, "SUCCEEDED");
    await assertShowsJob(page, job);
    await assertAnnouncedOnce(page, job);
    assert.deepEqual(problems, [], "no console error or failed request (CORS included)");
    await screenshot(page, "three-good-pdfs");
    // The README's picture (docs/web-page.png is a copy): the top of the final state.
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, "three-good-pdfs-window", { fullPage: false });

    await page.locator("#copy-text").click();
    await page.locator("#action-status").filter({ hasText: "복사했습니다" }).waitFor();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    for (const file of job.files) {
      assert.ok(copied.includes(`■ ${file.name} — 완료`), "each file heads its block");
      for (const pair of file.pairs) {
        assert.ok(copied.includes(`[${CATEGORY_LABELS[pair.category]}] ${pair.question}`));
        assert.ok(copied.includes(pair.answer));
      }
    }

    const [download] = await Promise.all([page.waitForEvent("download"), page.locator("#download-json").click()]);
    assert.equal(download.suggestedFilename(), `narratix-${jobId}.json`);
    const saved = JSON.parse(await readFile(/** @type {string} */ (await download.path()), "utf8"));
    assert.deepEqual(saved, job, "the download is the job as the API answers it");

    // The recent list names the job; opening it (keyboard) shows the same results, read again.
    await page.locator("#new-job").click();
    const link = page.locator(`#recent-list a[data-job-id="${jobId}"]`);
    await link.waitFor();
    await link.focus();
    await page.keyboard.press("Enter");
    await page.waitForURL(new RegExp(`job=${jobId}`));
    assert.equal(await finalStatus(page), "SUCCEEDED");
    await assertShowsJob(page, job);
    await context.close();
  });

  test("one encrypted PDF among three, at 360 px: that file's message, the others' results", async () => {
    const { context, page } = await newTab({ width: 360, height: 780 });
    const user = "web-encrypted";
    await signIn(page, user);
    const [first, second] = await samplePdfs();
    const jobId = await uploadAndStart(page, [first, ENCRYPTED, second]);
    assert.equal(await finalStatus(page), "PARTIAL");
    const job = await stack.waitForFinal(user, jobId);
    assert.equal(job.files[1].error, "Extract.Encrypted");
    await assertShowsJob(page, job);
    const card = page.locator('#files > li[data-file-id="f2"]');
    assert.equal(await card.locator(".error-text").textContent(), "비밀번호가 걸린 PDF입니다. 비밀번호를 해제한 뒤 다시 올려 주세요.");
    assert.match((await page.locator("#job-final").textContent()) ?? "", /3개 중 2개 성공, 1개 실패/);
    await assertAnnouncedOnce(page, job);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `readable at 360 px without sideways scrolling (${overflow}px too wide)`);
    await card.scrollIntoViewIfNeeded();
    await screenshot(page, "encrypted-among-three-360px");
    await context.close();
  });

  test("the socket cut mid-job: the page reconnects, catches up, and shows everything once", async () => {
    const { context, page } = await newTab();
    const user = "web-drop";
    await stack.control("PUT", "/ai", { latencyMs: 1500, requestsPerMinute: null, errorRate: 0, garbageRate: 0 });
    try {
      await signIn(page, user);
      const jobId = await uploadAndStart(page, await samplePdfs());
      await page.locator('#files > li[data-status="LABELING"]').first().waitFor({ timeout: 30_000 });
      const [connection] = await stack.connectionsOf(user);
      assert.ok(connection, "the page is connected");
      // Cut without a close frame or $disconnect: the page's socket ends as on a lost network.
      await stack.control("POST", `/websocket/connections/${connection.connectionId}/drop`);
      assert.equal(await finalStatus(page), "SUCCEEDED");
      const job = await stack.waitForFinal(user, jobId);
      await assertShowsJob(page, job);
      await assertAnnouncedOnce(page, job);
      const log = await logLines(page);
      assert.ok(log.some((line) => line.includes("실시간 연결이 끊겼습니다")), log.join("\n"));
      assert.ok(log.some((line) => line.includes("실시간 연결을 되찾았습니다")), log.join("\n"));
      assert.notEqual((await stack.connectionsOf(user))[0]?.connectionId, connection.connectionId);
      await screenshot(page, "socket-dropped-mid-job");
    } finally {
      await stack.control("PUT", "/ai", { latencyMs: 0, requestsPerMinute: null, errorRate: 0, garbageRate: 0 });
      await context.close();
    }
  });

  test("the socket cut and refused until the job ended: re-reads show the whole result once", async () => {
    const { context, page } = await newTab();
    const user = "web-offline";
    await stack.control("PUT", "/ai", { latencyMs: 1500, requestsPerMinute: null, errorRate: 0, garbageRate: 0 });
    try {
      await signIn(page, user);
      const jobId = await uploadAndStart(page, await samplePdfs());
      await page.locator('#files > li[data-status="LABELING"]').first().waitFor({ timeout: 30_000 });
      const [connection] = await stack.connectionsOf(user);
      assert.ok(connection, "the page is connected");
      // Every reconnect fails at the authorizer until the job is over: all its later messages
      // go to a dead connection, and only GET /jobs/{id} can tell the page.
      await stack.control("POST", "/functions/ws-authorizer/fail-next", { count: 1000, errorType: "Internal.Panic" });
      await stack.control("POST", `/websocket/connections/${connection.connectionId}/drop`);
      const job = await stack.waitForFinal(user, jobId);
      assert.equal(await finalStatus(page), "SUCCEEDED");
      await assertShowsJob(page, job);
      await assertAnnouncedOnce(page, job);
      assert.deepEqual(await stack.connectionsOf(user), [], "no socket got through");
    } finally {
      await stack.control("DELETE", "/functions/ws-authorizer/fail-next");
      await stack.control("PUT", "/ai", { latencyMs: 0, requestsPerMinute: null, errorRate: 0, garbageRate: 0 });
      await context.close();
    }
  });

  test("another user's job id in the address: 찾을 수 없음", async () => {
    const created = await stack.api("web-owner", "POST", "/jobs", { files: [{ name: "mine.pdf", sizeBytes: 1000 }] });
    assert.equal(created.status, 201);
    const address = `${stack.pageUrl}?job=${created.body.jobId}`;

    const intruder = await newTab();
    await signIn(intruder.page, "web-intruder", address);
    await intruder.page.locator("#job-title").filter({ hasText: "찾을 수 없음" }).waitFor();
    assert.match((await intruder.page.locator("#job-error").textContent()) ?? "", /다른 사용자의 작업/);
    assert.equal(await intruder.page.locator("#files li").count(), 0, "nothing of the job is shown");
    assert.deepEqual(await stack.connectionsOf("web-intruder"), [], "no subscription was tried");
    await screenshot(intruder.page, "another-users-job");
    await intruder.context.close();

    // The owner, at the same address, sees the job.
    const owner = await newTab();
    await signIn(owner.page, "web-owner", address);
    await owner.page.locator("#files li.file").first().waitFor();
    assert.equal(await owner.page.locator("#files .file-name").first().textContent(), "mine.pdf");
    assert.notEqual(await owner.page.locator("#job-title").textContent(), "찾을 수 없음");
    await owner.context.close();
  });

  test("a 6 MB PDF, a .docx, a renamed file and a fourth file are refused before any upload", async () => {
    const big = path.join(scratch, "큰파일.pdf");
    await writeFile(big, Buffer.concat([Buffer.from("%PDF-1.7\n"), Buffer.alloc(6 * 1024 * 1024)]));
    const docx = path.join(scratch, "자기소개서.docx");
    await writeFile(docx, Buffer.concat([Buffer.from("PK\u0003\u0004"), Buffer.alloc(2048)]));
    const { context, page } = await newTab();
    /** @type {string[]} */
    const sent = [];
    page.on("request", (request) => {
      if (request.method() === "PUT" || (request.method() === "POST" && request.url().includes("/jobs"))) {
        sent.push(`${request.method()} ${request.url()}`);
      }
    });
    await signIn(page, "web-refused");
    await page.locator("#file-input").setInputFiles([big, docx, fixture("hostile/docx-renamed.pdf")]);
    const problems = page.locator("#choose-problems li");
    await problems.nth(2).waitFor();
    const texts = await problems.allTextContents();
    assert.match(texts[0], /^5MB보다 큰 파일은 올릴 수 없습니다: 큰파일\.pdf \(6\.0MB\)/);
    assert.match(texts[1], /^PDF 파일만 올릴 수 있습니다: 자기소개서\.docx\. 문서 파일은 PDF로 저장해/);
    assert.match(texts[2], /^PDF가 아닌 파일입니다/);
    assert.equal(await page.locator("#chosen li").count(), 0);
    assert.equal(await page.locator("#start").isDisabled(), true);
    await screenshot(page, "refused-before-upload");

    const [a, b, c] = await samplePdfs();
    await page.locator("#file-input").setInputFiles([a, b, c, ENCRYPTED]);
    await page.locator("#choose-problems li").filter({ hasText: "3개까지" }).waitFor();
    assert.equal(await page.locator("#chosen li").count(), 3);
    assert.deepEqual(sent, [], "nothing reached the API or the bucket");
    await context.close();
  });

  test("an expired token asks to sign in again, and signing in goes on where the user was", async () => {
    const user = "web-expiring";
    // Valid for the API for 20 s; the page treats the last 15 s as expired.
    const token = await stack.token(user, 20);
    const { context, page } = await newTab();
    await context.addInitScript((value) => sessionStorage.setItem("narratix.session", value), token);
    await page.goto(stack.pageUrl);
    await page.locator("#upload").waitFor({ state: "visible" });
    await page.waitForTimeout(5_500);
    await page.locator("#recent-refresh").click();
    await page.locator("#signin").waitFor({ state: "visible" });
    assert.equal(await page.locator("#signin-reason").textContent(), "로그인이 만료되었습니다. 다시 로그인해 주세요.");
    assert.equal(await page.locator("#upload").isVisible(), false);
    await page.locator("#signin-user").fill(user);
    await page.locator("#signin-user").press("Enter");
    await page.locator("#recent").waitFor({ state: "visible" });
    await context.close();
  });
});
