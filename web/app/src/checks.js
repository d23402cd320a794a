// What the page checks before anything is uploaded: how many files, their type and size (the
// limits of POST /jobs in contracts/http-api.openapi.yaml; test/unit/checks.test.mjs holds them
// to the contract). The server checks again; these only spare the user a useless upload.

export const MAX_FILES = 3;
export const MAX_FILE_BYTES = 5 * 1024 * 1024;
export const MAX_NAME_LENGTH = 255;
const PDF_NAME = /\.pdf$/i;
const PDF_MAGIC = "%PDF-";
/** How far into a file the `%PDF-` header may start (as the extractor allows). */
const MAGIC_WINDOW = 1024;

/**
 * The part of a browser `File` the checks read (a test passes plain objects).
 * @typedef {{ name: string, size: number, type: string, slice(start?: number, end?: number): Blob }} FileLike
 */

/** @param {number} bytes */
export function formatSize(bytes) {
  if (bytes < 1024) return `${bytes}B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)}KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)}MB`;
}

/**
 * Why this one file cannot be uploaded, or null. Reads at most its first kilobyte.
 * @param {FileLike} file
 * @returns {Promise<string | null>}
 */
export async function fileProblem(file) {
  if (!PDF_NAME.test(file.name)) {
    const word = /\.(docx?|hwpx?|odt|rtf)$/i.test(file.name)
      ? " 문서 파일은 PDF로 저장해 올려 주세요."
      : "";
    return `PDF 파일만 올릴 수 있습니다: ${file.name}.${word}`;
  }
  if (file.name.length > MAX_NAME_LENGTH) {
    return `파일 이름이 너무 깁니다(${MAX_NAME_LENGTH}자까지): ${file.name.slice(0, 40)}…`;
  }
  if (file.size === 0) return `빈 파일입니다: ${file.name}`;
  if (file.size > MAX_FILE_BYTES) {
    return `5MB보다 큰 파일은 올릴 수 없습니다: ${file.name} (${formatSize(file.size)})`;
  }
  const head = await readHead(file);
  if (head !== null && !head.includes(PDF_MAGIC)) {
    return `PDF가 아닌 파일입니다(이름만 .pdf): ${file.name}`;
  }
  return null;
}

/**
 * The file's first bytes as Latin-1 text, or null when the browser cannot read it.
 * @param {FileLike} file
 */
async function readHead(file) {
  try {
    const bytes = new Uint8Array(await file.slice(0, MAGIC_WINDOW).arrayBuffer());
    return String.fromCharCode(...bytes);
  } catch {
    return null;
  }
}

/**
 * Adds newly chosen files to those already chosen: the ones that fit, and a message for each
 * that does not (count, type, size, duplicate).
 * @template {FileLike} F
 * @param {F[]} chosen files already accepted
 * @param {F[]} added files the user just dropped or picked
 * @returns {Promise<{ files: F[], problems: string[] }>}
 */
export async function addFiles(chosen, added) {
  const files = [...chosen];
  const problems = [];
  for (const file of added) {
    if (files.some((other) => other.name === file.name && other.size === file.size)) {
      problems.push(`이미 고른 파일입니다: ${file.name}`);
      continue;
    }
    const problem = await fileProblem(file);
    if (problem) {
      problems.push(problem);
      continue;
    }
    if (files.length >= MAX_FILES) {
      problems.push(`한 번에 ${MAX_FILES}개까지 올릴 수 있습니다: ${file.name}은(는) 빼 두었습니다.`);
      continue;
    }
    files.push(file);
  }
  return { files, problems };
}
