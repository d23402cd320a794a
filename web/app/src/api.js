// The typed client of the HTTP API (contracts/http-api.openapi.yaml) and of the presigned upload.
// Every body it returns has the contract's type; a failure is an ApiFailure with the API's error
// name, or `Network.Failed` when no answer came (offline, CORS refusal).

/** @typedef {import("../../types/contracts").CreateJobRequest} CreateJobRequest */
/** @typedef {import("../../types/contracts").CreatedJob} CreatedJob */
/** @typedef {import("../../types/contracts").UploadTarget} UploadTarget */
/** @typedef {import("../../types/contracts").Job} Job */
/** @typedef {import("../../types/contracts").StartedJob} StartedJob */
/** @typedef {import("../../types/contracts").JobList} JobList */
/** @typedef {import("../../types/contracts").ApiError} ApiError */

export class ApiFailure extends Error {
  /**
   * @param {string} name the API's error name (`Job.NotFound`, …) or `Network.Failed`
   * @param {number} status HTTP status, 0 when no answer came
   * @param {string} message
   */
  constructor(name, status, message) {
    super(message);
    this.name = "ApiFailure";
    this.errorName = name;
    this.status = status;
  }

  get unauthorized() {
    return this.status === 401 || this.errorName === "Auth.Unauthorized";
  }

  get notFound() {
    return this.status === 404 || this.errorName === "Job.NotFound";
  }
}

/** Headers the browser sets itself and a page may not (the Fetch standard's forbidden names). */
const BROWSER_SET_HEADERS = new Set(["content-length", "host", "connection", "expect"]);

export class Api {
  /**
   * @param {string} baseUrl the HTTP API's base URL, no trailing slash
   * @param {() => string | null} token the current bearer token
   */
  constructor(baseUrl, token) {
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.token = token;
  }

  /** @param {CreateJobRequest} request @returns {Promise<CreatedJob>} */
  createJob(request) {
    return this.#call("POST", "/jobs", request);
  }

  /** @param {string} jobId @returns {Promise<StartedJob>} */
  startJob(jobId) {
    return this.#call("POST", `/jobs/${encodeURIComponent(jobId)}/start`);
  }

  /** @param {string} jobId @returns {Promise<Job>} */
  getJob(jobId) {
    return this.#call("GET", `/jobs/${encodeURIComponent(jobId)}`);
  }

  /** @param {number} [limit] @returns {Promise<JobList>} */
  listJobs(limit = 10) {
    return this.#call("GET", `/jobs?limit=${limit}`);
  }

  /**
   * @param {string} method
   * @param {string} path
   * @param {unknown} [body]
   */
  async #call(method, path, body) {
    const token = this.token();
    if (!token) throw new ApiFailure("Auth.Unauthorized", 401, "not signed in");
    /** @type {Record<string, string>} */
    const headers = { authorization: `Bearer ${token}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    let response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (error) {
      throw new ApiFailure("Network.Failed", 0, String(error));
    }
    const text = await response.text();
    /** @type {unknown} */
    let parsed = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    if (!response.ok) {
      const failure = /** @type {Partial<ApiError> | null} */ (parsed);
      throw new ApiFailure(
        typeof failure?.error === "string" ? failure.error : statusName(response.status),
        response.status,
        typeof failure?.message === "string" ? failure.message : response.statusText,
      );
    }
    return /** @type {any} */ (parsed);
  }
}

/**
 * The error name an answer without one stands for (API Gateway's own 401 has only a message).
 * @param {number} status
 */
function statusName(status) {
  if (status === 401 || status === 403) return "Auth.Unauthorized";
  if (status === 404) return "Job.NotFound";
  if (status === 429) return "Quota.Exceeded";
  if (status >= 500) return "Service.Unavailable";
  return "Request.Invalid";
}

/**
 * PUTs one file to its presigned URL with the headers the API gave, reporting progress. The
 * headers are signed: every one must be sent, except those the browser sets itself from the
 * body (content-length, which must then equal the file's size).
 * @param {UploadTarget} target
 * @param {Blob} file
 * @param {(loaded: number, total: number) => void} onProgress
 * @returns {Promise<void>}
 */
export function uploadFile(target, file, onProgress) {
  return new Promise((resolve, reject) => {
    const declared = Object.entries(target.headers).find(([name]) => name.toLowerCase() === "content-length");
    if (declared && Number(declared[1]) !== file.size) {
      reject(new ApiFailure("Upload.SizeMismatch", 0, "the file changed after it was chosen"));
      return;
    }
    const request = new XMLHttpRequest();
    request.open("PUT", target.uploadUrl);
    for (const [name, value] of Object.entries(target.headers)) {
      if (!BROWSER_SET_HEADERS.has(name.toLowerCase())) request.setRequestHeader(name, value);
    }
    request.upload.onprogress = (event) => onProgress(event.loaded, event.lengthComputable ? event.total : file.size);
    request.onload = () => {
      if (request.status >= 200 && request.status < 300) {
        onProgress(file.size, file.size);
        resolve();
      } else {
        reject(new ApiFailure(request.status === 403 ? "Upload.Refused" : "Upload.Failed", request.status, request.responseText.slice(0, 200)));
      }
    };
    request.onerror = () => reject(new ApiFailure("Network.Failed", 0, "the upload did not reach the storage"));
    request.send(file);
  });
}
