// The results as a person takes them away: character counts as Korean application forms count
// them, the whole result as plain text (copy) and the job document as JSON (download).

import { characterCountLabel } from "./count.js";
import { limitLabel, measuredLength, pairLimit, prefillItems } from "./extras.js";
import { categoryLabel, explainError, FILE_STATUS_LABELS } from "./messages.js";

export { characterCountLabel, countCharacters } from "./count.js";

/** @typedef {import("./model.js").JobView} JobView */

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
    const prefill = prefillItems(file.prefill);
    if (prefill.length > 0) lines.push(`  ${prefill.map((item) => `${item.label}: ${item.value}`).join(" · ")}`);
    (file.pairs ?? []).forEach((pair, index) => {
      const limit = pairLimit(pair);
      const counts = [characterCountLabel(pair.answer, measuredLength(pair)), ...(limit ? [limitLabel(limit)] : [])];
      lines.push("", `${index + 1}. [${categoryLabel(pair.category)}] ${pair.question}`, pair.answer, `(${counts.join(" · ")})`);
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
