// What issue 15 adds to the contracts (length limits per pair, save-form prefill per file) is
// shown when the API sends it and is absent otherwise; the shapes are crates/domain's.
import assert from "node:assert/strict";
import { test } from "node:test";

import { limitLabel, measuredLength, pairLimit, prefillItems } from "../../app/src/extras.js";
import { resultAsText } from "../../app/src/format.js";
import { newJobView } from "../../app/src/model.js";

const answer = "가나다 라마";

test("no limit, no counts: nothing extra", () => {
  assert.equal(pairLimit({ answer }), null);
  assert.equal(measuredLength({ answer }), undefined);
  assert.deepEqual(prefillItems(undefined), []);
  assert.deepEqual(prefillItems({ company: null, position: null, year: null, half: null }), []);
});

test("a limit is measured the way it counts, the API's counts and flag winning", () => {
  const within = pairLimit({ answer, limit: { max: 700, unit: "CHARS", spaces: "UNSTATED", text: "(700자)" } });
  assert.ok(within);
  assert.deepEqual([within.counted, within.over], [6, false]);
  assert.equal(limitLabel(within), "제한 700자 · 6자");

  const without = pairLimit({ answer, limit: { max: 4, unit: "CHARS", spaces: "EXCLUDED", text: "(공백 제외 4자)" } });
  assert.ok(without);
  assert.deepEqual([without.counted, without.over], [5, true]);
  assert.equal(limitLabel(without), "제한 4자(공백 제외) · 5자, 1자 넘음");

  const bytes = pairLimit({ answer: "가a", limit: { max: 2, unit: "BYTES", spaces: "UNSTATED", text: "2 bytes" } });
  assert.ok(bytes);
  assert.deepEqual([bytes.counted, bytes.unit, bytes.over], [3, "바이트", true]);

  const server = {
    answer,
    limit: { max: 5, unit: "CHARS", spaces: "INCLUDED", text: "(5자)" },
    answerLength: { chars: 9, charsWithoutSpaces: 8 },
    overLimit: true,
  };
  assert.deepEqual(measuredLength(server), { withSpaces: 9, withoutSpaces: 8 });
  assert.equal(limitLabel(/** @type {any} */ (pairLimit(server))), "제한 5자(공백 포함) · 9자, 4자 넘음");
});

test("prefill shows what the text says, in the form's order", () => {
  const prefill = {
    company: { value: "한빛테크", line: "지원 회사: 한빛테크", confidence: 90 },
    position: null,
    year: { value: 2025, line: "2025년 하반기 신입사원 채용", confidence: 70 },
    half: { value: "하반기", line: "2025년 하반기 신입사원 채용", confidence: 70 },
  };
  assert.deepEqual(
    prefillItems(prefill).map((item) => `${item.label}=${item.value}`),
    ["회사=한빛테크", "연도=2025년", "반기=하반기"],
  );
  const view = newJobView("job-1", [{ fileId: "f1", name: "a.pdf", sizeBytes: 1 }]);
  view.files[0].status = "SUCCEEDED";
  view.files[0].prefill = prefill;
  view.files[0].pairs = [
    /** @type {any} */ ({ question: "1. 지원동기 (4자)", answer, category: "MOTIVATION", limit: { max: 4, unit: "CHARS", spaces: "UNSTATED", text: "(4자)" } }),
  ];
  assert.equal(
    resultAsText(view),
    "■ a.pdf — 완료\n  회사: 한빛테크 · 연도: 2025년 · 반기: 하반기\n\n1. [지원동기] 1. 지원동기 (4자)\n가나다 라마\n" +
      "(공백 포함 6자 · 공백 제외 5자 · 제한 4자 · 6자, 2자 넘음)\n",
  );
});

test("prefill reaches the view from GET /jobs/{id} and from fileDone", async () => {
  const { applyMessage, mergeJob } = await import("../../app/src/model.js");
  const prefill = { company: { value: "한빛테크", line: "지원 회사: 한빛테크", confidence: 90 }, position: null, year: null, half: null };
  const fromMessage = newJobView("job-1", [{ fileId: "f1", name: "a.pdf", sizeBytes: 1 }]);
  applyMessage(fromMessage, /** @type {any} */ ({ type: "fileDone", jobId: "job-1", fileId: "f1", status: "SUCCEEDED", pairCount: 0, pairs: [], prefill }));
  assert.deepEqual(fromMessage.files[0].prefill, prefill);
  const fromJob = newJobView("job-1", [{ fileId: "f1", name: "a.pdf", sizeBytes: 1 }]);
  const usage = { inputTokens: 0, outputTokens: 0, aiCalls: 0 };
  mergeJob(fromJob, /** @type {any} */ ({
    jobId: "job-1", status: "SUCCEEDED", createdAt: "2026-01-01T00:00:00Z", succeeded: 1, failed: 0, usage,
    files: [{ fileId: "f1", name: "a.pdf", sizeBytes: 1, status: "SUCCEEDED", truncated: false, usage, pairs: [], prefill }],
  }));
  assert.deepEqual(fromJob.files[0].prefill, prefill);
});
