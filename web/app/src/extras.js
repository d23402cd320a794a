// Fields the contracts are about to carry (issue 15: a question's length limit and the answer's
// measured length per pair, save-form suggestions per file), read only when present so the page
// shows them the day the API sends them. Nothing here is typed by contracts/ yet: once the
// OpenAPI document has them, these readers take the generated types instead of `unknown`.

import { countCharacters } from "./count.js";

/**
 * @typedef {object} LimitView
 * @property {string} limitText e.g. "제한 700자(공백 포함)"
 * @property {number} max
 * @property {number} counted the answer's length as the limit counts it
 * @property {"자" | "바이트"} unit
 * @property {boolean} over
 */

/** @param {unknown} value @returns {Record<string, unknown> | null} */
function record(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? /** @type {Record<string, unknown>} */ (value)
    : null;
}

/** @param {unknown} value */
function count(value) {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/**
 * Bytes as Korean job sites count them: 2 per non-ASCII character, 1 per ASCII one.
 * @param {string} text
 */
function siteBytes(text) {
  let bytes = 0;
  for (const char of text) bytes += char.charCodeAt(0) < 0x80 ? 1 : 2;
  return bytes;
}

/**
 * A pair's length limit against its answer: `{limit:{max,unit,spaces,text}, answerLength:
 * {chars, charsWithoutSpaces, bytes?}, overLimit}`; the API's counts win over the page's own.
 * @param {{ answer: string }} pair
 * @returns {LimitView | null}
 */
export function pairLimit(pair) {
  const fields = /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (pair));
  const limit = record(fields.limit);
  const max = count(limit?.max);
  if (!limit || max === undefined || max === 0) return null;
  const measured = record(fields.answerLength);
  const own = countCharacters(pair.answer);
  const bytes = limit.unit === "BYTES";
  const withoutSpaces = limit.spaces === "EXCLUDED";
  const counted = bytes
    ? (count(measured?.bytes) ?? siteBytes(pair.answer))
    : withoutSpaces
      ? (count(measured?.charsWithoutSpaces) ?? own.withoutSpaces)
      : (count(measured?.chars) ?? own.withSpaces);
  const unit = bytes ? "바이트" : "자";
  const spaces = bytes ? "" : withoutSpaces ? "(공백 제외)" : limit.spaces === "INCLUDED" ? "(공백 포함)" : "";
  return {
    limitText: `제한 ${max.toLocaleString("ko-KR")}${unit}${spaces}`,
    max,
    counted,
    unit,
    over: typeof fields.overLimit === "boolean" ? fields.overLimit : counted > max,
  };
}

/**
 * The answer's length as the API measured it (`answerLength: {chars, charsWithoutSpaces}`).
 * @param {{ answer: string }} pair
 * @returns {{ withSpaces: number, withoutSpaces: number } | undefined}
 */
export function measuredLength(pair) {
  const measured = record(/** @type {Record<string, unknown>} */ (/** @type {unknown} */ (pair)).answerLength);
  const withSpaces = count(measured?.chars);
  const withoutSpaces = count(measured?.charsWithoutSpaces);
  return withSpaces !== undefined && withoutSpaces !== undefined ? { withSpaces, withoutSpaces } : undefined;
}

/** @param {LimitView} limit */
export function limitLabel(limit) {
  const used = `${limit.counted.toLocaleString("ko-KR")}${limit.unit}`;
  return limit.over
    ? `${limit.limitText} · ${used}, ${(limit.counted - limit.max).toLocaleString("ko-KR")}${limit.unit} 넘음`
    : `${limit.limitText} · ${used}`;
}

/** @typedef {{ label: string, value: string, line?: string }} PrefillItem */

const PREFILL_FIELDS = /** @type {const} */ ([
  ["company", "회사"],
  ["position", "직무"],
  ["year", "연도"],
  ["half", "반기"],
]);

/**
 * A file's save-form suggestions (`prefill: {company, position, year, half}`, each null or
 * `{value, line, confidence}`), in form order; empty when the file has none.
 * @param {unknown} prefill
 * @returns {PrefillItem[]}
 */
export function prefillItems(prefill) {
  const fields = record(prefill);
  if (!fields) return [];
  /** @type {PrefillItem[]} */
  const items = [];
  for (const [key, label] of PREFILL_FIELDS) {
    const suggestion = record(fields[key]);
    const value = suggestion?.value;
    if (typeof value !== "string" && typeof value !== "number") continue;
    const text = key === "year" ? `${value}년` : String(value);
    items.push({ label, value: text, ...(typeof suggestion?.line === "string" ? { line: suggestion.line } : {}) });
  }
  return items;
}
