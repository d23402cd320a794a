import assert from "node:assert/strict";
import { test } from "node:test";

import { addFiles, fileProblem } from "../../app/src/checks.js";
import { characterCountLabel, countCharacters, resultAsText } from "../../app/src/format.js";
import { newJobView } from "../../app/src/model.js";

/** A File-like object of `size` bytes whose content starts with `head`. */
function file(name, size, head = "%PDF-1.7\n") {
  const bytes = new Uint8Array(Math.min(size, 2048));
  bytes.set(new TextEncoder().encode(head).slice(0, bytes.length));
  return { name, size, type: "", slice: (start = 0, end = size) => new Blob([bytes.slice(start, end)]) };
}

test("type, size, content and count are checked before upload, in Korean", async () => {
  assert.equal(await fileProblem(file("자기소개서.pdf", 1000)), null);
  assert.equal(await fileProblem(file("UPPER.PDF", 1000)), null);
  assert.match(await fileProblem(file("a.docx", 1000)) ?? "", /^PDF 파일만 올릴 수 있습니다: a\.docx\. 문서 파일은/);
  assert.match(await fileProblem(file("big.pdf", 6 * 1024 * 1024)) ?? "", /^5MB보다 큰 파일은 올릴 수 없습니다: big\.pdf \(6\.0MB\)/);
  assert.equal(await fileProblem(file("edge.pdf", 5 * 1024 * 1024)), null, "exactly 5 MiB is allowed");
  assert.match(await fileProblem(file("empty.pdf", 0)) ?? "", /^빈 파일입니다/);
  assert.match(await fileProblem(file("fake.pdf", 100, "PK\u0003\u0004")) ?? "", /^PDF가 아닌 파일입니다/);
  assert.equal(await fileProblem(file("junk-first.pdf", 2000, `${" ".repeat(500)}%PDF-1.4`)), null);

  const four = ["1.pdf", "2.pdf", "3.pdf", "4.pdf"].map((name) => file(name, 10));
  const { files, problems } = await addFiles([], four);
  assert.deepEqual(files.map((chosen) => chosen.name), ["1.pdf", "2.pdf", "3.pdf"]);
  assert.match(problems[0], /3개까지/);
  const again = await addFiles(files.slice(0, 1), [files[0]]);
  assert.match(again.problems[0], /^이미 고른 파일입니다/);
});

test("answers are counted as application forms count them", () => {
  assert.deepEqual(countCharacters("저는 성장했습니다."), { withSpaces: 10, withoutSpaces: 9 });
  assert.deepEqual(countCharacters("한\n둘 👍🏽"), { withSpaces: 5, withoutSpaces: 3 });
  assert.equal(characterCountLabel("가 나"), "공백 포함 3자 · 공백 제외 2자");
});

test("the text copy has every file, its status, and each pair with its Korean category", () => {
  const view = newJobView("job-1", [
    { fileId: "f1", name: "a.pdf", sizeBytes: 1 },
    { fileId: "f2", name: "b.pdf", sizeBytes: 1 },
  ]);
  view.files[0].status = "SUCCEEDED";
  view.files[0].pairs = [{ question: "1. 지원동기", answer: "답변입니다", category: "MOTIVATION" }];
  view.files[1].status = "FAILED";
  view.files[1].error = "Extract.Encrypted";
  assert.equal(
    resultAsText(view),
    "■ a.pdf — 완료\n\n1. [지원동기] 1. 지원동기\n답변입니다\n(공백 포함 5자 · 공백 제외 5자)\n\n" +
      "■ b.pdf — 실패\n  비밀번호가 걸린 PDF입니다. 비밀번호를 해제한 뒤 다시 올려 주세요. (Extract.Encrypted)\n",
  );
});
