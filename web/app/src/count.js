// Characters as Korean application forms count them.

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

/**
 * @param {string} text
 * @param {{ withSpaces: number, withoutSpaces: number }} [measured] the API's own counts, when it sends them
 */
export function characterCountLabel(text, measured) {
  const { withSpaces, withoutSpaces } = measured ?? countCharacters(text);
  return `공백 포함 ${withSpaces.toLocaleString("ko-KR")}자 · 공백 제외 ${withoutSpaces.toLocaleString("ko-KR")}자`;
}

