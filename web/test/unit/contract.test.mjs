// The page's own copies of contract facts, held to contracts/ and the Rust sources, so that a
// change there fails here: the upload limits, the category keys, every error name.
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { load as loadYaml } from "js-yaml";

import { MAX_FILE_BYTES, MAX_FILES, MAX_NAME_LENGTH } from "../../app/src/checks.js";
import { API_ERRORS, CATEGORY_LABELS, PIPELINE_ERRORS } from "../../app/src/messages.js";

const repository = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const openapi = /** @type {any} */ (loadYaml(await readFile(path.join(repository, "contracts/http-api.openapi.yaml"), "utf8")));
const schemas = openapi.components.schemas;

test("the client-side checks are the API's limits", () => {
  const files = schemas.CreateJobRequest.properties.files;
  assert.equal(MAX_FILES, files.maxItems);
  assert.equal(MAX_FILE_BYTES, files.items.properties.sizeBytes.maximum);
  assert.equal(MAX_NAME_LENGTH, files.items.properties.name.maxLength);
  assert.equal(files.items.properties.name.pattern, "\\.[Pp][Dd][Ff]$", "names end in .pdf, any case");
});

test("every category has its Korean label (the architecture's table)", () => {
  assert.deepEqual(Object.keys(CATEGORY_LABELS).sort(), [...schemas.Category.enum].sort());
  const architecture = path.join(repository, "../shared/ARCHITECTURE.md");
  return readFile(architecture, "utf8").then(
    (text) => {
      for (const [key, label] of Object.entries(CATEGORY_LABELS)) {
        assert.match(text, new RegExp(`\\| ${key} \\| ${label} \\|`), `${key} → ${label}`);
      }
    },
    () => undefined, // outside this workplace the table is in the README's first paragraph only
  );
});

test("every HTTP API error name has a message", () => {
  for (const name of schemas.Error.properties.error.enum) assert.ok(API_ERRORS[name], name);
});

/** @param {string} dir @returns {AsyncGenerator<string>} */
async function* rustFiles(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== "target") yield* rustFiles(full);
    else if (entry.name.endsWith(".rs")) yield full;
  }
}

test("every error name the Rust code can put on a file or a job has a message in Korean", async () => {
  const found = new Set();
  const name = /"((?:Extract|Label|Storage|Input|Internal|Job|States)\.[A-Z][A-Za-z]+)"/g;
  for (const root of ["crates", "functions", "local-stack"]) {
    for await (const file of rustFiles(path.join(repository, root))) {
      for (const match of (await readFile(file, "utf8")).matchAll(name)) found.add(match[1]);
    }
  }
  assert.ok(found.has("Extract.Encrypted") && found.has("Job.TimedOut"), "the scan finds the wire table");
  const missing = [...found].filter((error) => !PIPELINE_ERRORS[error] && !API_ERRORS[error]);
  assert.deepEqual(missing, [], "names without a Korean explanation");
});
