// The results as a person takes them away: character counts as Korean application forms count
// them, the whole result as plain text (copy) and the job document as JSON (download).

import { categoryLabel, explainError, FILE_STATUS_LABELS } from "./messages.js";

/** @typedef {import("./model.js").JobView} JobView */

const graphemes =
  typeof Intl !== "undefined" && "Segmenter" in Intl
    ? new Intl.Segmenter("ko", { granularity: "grapheme" })
    : null;

/**
 * Characters as a reader counts them (grapheme clusters: a Hangul syllable or an emoji is one),
 * with and without whitespace, as application forms state their limits both ways.
 * @param {string} text
 * @returns {{ withSpaces: number, withoutSpaces: number }}
 */
export function countCharacters(text) {
  const count = (/** @type {string} */ value) =>
    graphemes ? [...graphemes.segment(value)].length : [...value].length;
  return { withSpaces: count(text), withoutSpaces: count(text.replace(/\s+/g, "")) };
}

/** @param {string} text */
export function characterCountLabel(text) {
  const { withSpaces, withoutSpaces } = countCharacters(text);
  return `공백 포함 ${withSpaces.toLocaleString("ko-KR")}자 · 공백 제외 ${withoutSpaces.toLocaleString("ko-KR")}자`;
}

/**
 * The whole result as plain text, file by file.
 * @param {JobView} view
 */
export function resultAsText(view) {
  const blocks = [];
  for (const file of view.files) {
    const lines = [`■ ${file.name} — ${FILE_STATUS_LABELS[file.status]}`];
    if (file.status === "FAILED") {
      lines.push(`  ${explainError(file.error)}${file.error ? ` (${file.error})` : ""}`);
    }
    (file.pairs ?? []).forEach((pair, index) => {
      lines.push(
        "",
        `${index + 1}. [${categoryLabel(pair.category)}] ${pair.question}`,
        pair.answer,
        `(${characterCountLabel(pair.answer)})`,
      );
    });
    blocks.push(lines.join("\n"));
  }
  return `${blocks.join("\n\n")}\n`;
}

/**
 * The job as GET /jobs/{id} answers it (the contract's shape), pretty-printed.
 * @param {JobView} view
 */
export function resultAsJson(view) {
  return `${JSON.stringify(view.document, null, 2)}\n`;
}
