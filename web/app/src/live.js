// Follows one job over the WebSocket API until the page stops it. A socket ends for many reasons
// a browser meets (network change, API Gateway's 10-minute idle close and 2-hour limit, a cut
// connection): whenever it ends before the job does, the follower re-reads GET /jobs/{id}
// (what happened meanwhile) and connects again with exponential backoff and jitter. Each new
// socket subscribes, and the server replays the job's messages so far; the model merges replays
// and re-reads without showing anything twice. A socket lives no longer than the token it was
// opened with: the server says `sessionExpired` and closes it. The follower then re-opens at
// once with a fresh token if the page has one, else stops and asks the user to sign in again
// (signing in re-opens the job, whose replay covers what was missed).

/** @typedef {import("../../types/contracts").ServerMessage} ServerMessage */
/** @typedef {import("../../types/contracts").ClientMessage} ClientMessage */
/** @typedef {import("../../types/contracts").Job} Job */
/** @typedef {import("./api.js").Api} Api */
/** @typedef {"connecting" | "live" | "reconnecting" | "stopped"} ConnectionState */

/**
 * @typedef {object} FollowerHooks
 * @property {(message: ServerMessage) => void} onMessage a message about this job
 * @property {(job: Job) => void} onJob a fresh GET /jobs/{id} answer
 * @property {(state: ConnectionState, attempt: number) => void} onConnection
 * @property {(reason?: "sessionExpired") => void} onSignInNeeded the token expired or was
 *   refused (`sessionExpired`: the server closed the live connection for it)
 * @property {() => void} onNotFound the job is not (or not the user's)
 */

/**
 * @typedef {object} FollowerOptions
 * @property {string} jobId
 * @property {Pick<Api, "getJob">} api
 * @property {string} socketUrl the WebSocket API URL, without the query
 * @property {() => string | null} token a valid token, or null when the user must sign in
 * @property {FollowerHooks} hooks
 * @property {number} [baseDelayMs]
 * @property {number} [maxDelayMs]
 * @property {typeof WebSocket} [WebSocketImpl]
 * @property {() => number} [random]
 */

export class JobFollower {
  /** @param {FollowerOptions} options */
  constructor(options) {
    this.options = options;
    this.baseDelayMs = options.baseDelayMs ?? 500;
    this.maxDelayMs = options.maxDelayMs ?? 8000;
    this.WebSocketImpl = options.WebSocketImpl ?? WebSocket;
    this.random = options.random ?? Math.random;
    /** Failed connections in a row (reset when a subscription is confirmed). */
    this.attempt = 0;
    /** @type {WebSocket | null} */
    this.socket = null;
    /** @type {string | null} */
    this.socketToken = null;
    /** @type {ReturnType<typeof setTimeout> | null} */
    this.timer = null;
    this.stopped = true;
    this.onOnline = () => this.reconnectNow();
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    globalThis.addEventListener?.("online", this.onOnline);
    this.#connect();
  }

  /** Stops for good (the job is final, or the page shows another one). */
  stop() {
    this.stopped = true;
    globalThis.removeEventListener?.("online", this.onOnline);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const socket = this.socket;
    this.socket = null;
    if (socket && socket.readyState <= 1) socket.close(1000, "done");
    this.options.hooks.onConnection("stopped", this.attempt);
  }

  /** Skips the wait before the next attempt (the browser came back online). */
  reconnectNow() {
    if (this.stopped || this.socket || !this.timer) return;
    clearTimeout(this.timer);
    this.timer = null;
    void this.#rereadThenConnect();
  }

  /** The wait before attempt `attempt` (1-based): base·2^(attempt−1), capped, with jitter. */
  delayFor(/** @type {number} */ attempt) {
    const ceiling = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** Math.max(0, attempt - 1));
    return Math.round(ceiling / 2 + (ceiling / 2) * this.random());
  }

  #connect() {
    if (this.stopped) return;
    const token = this.options.token();
    if (!token) {
      this.stop();
      this.options.hooks.onSignInNeeded();
      return;
    }
    this.options.hooks.onConnection(this.attempt === 0 ? "connecting" : "reconnecting", this.attempt);
    const socket = new this.WebSocketImpl(`${this.options.socketUrl}?token=${encodeURIComponent(token)}`);
    this.socket = socket;
    /** The token this socket was opened with (a `sessionExpired` is about it). */
    this.socketToken = token;
    socket.onopen = () => {
      /** @type {ClientMessage} */
      const subscribe = { action: "subscribe", jobId: this.options.jobId };
      socket.send(JSON.stringify(subscribe));
    };
    socket.onmessage = (event) => {
      if (this.socket !== socket) return;
      this.#receive(event.data);
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (this.stopped) return;
      this.#scheduleReconnect();
    };
  }

  /** @param {unknown} data */
  #receive(data) {
    if (typeof data !== "string") return;
    /** @type {ServerMessage} */
    let message;
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    const { hooks, jobId } = this.options;
    if (message.type === "sessionExpired") {
      this.#sessionExpired();
      return;
    }
    if (message.type === "error") {
      if (message.error === "Job.NotFound") {
        this.stop();
        hooks.onNotFound();
      } else if (message.error === "Auth.Unauthorized") {
        this.stop();
        hooks.onSignInNeeded();
      }
      return;
    }
    if (message.jobId !== jobId) return;
    if (message.type === "subscribed") {
      this.attempt = 0;
      hooks.onConnection("live", 0);
      // The replay that follows covers the messages; the re-read covers what messages do not
      // carry (pairs too large to send, the files' pages and counts).
      void this.#reread();
    }
    hooks.onMessage(message);
  }

  /** The server is closing this socket because its token expired. */
  #sessionExpired() {
    const expiredSocket = this.socket;
    this.socket = null;
    if (expiredSocket && expiredSocket.readyState <= 1) expiredSocket.close(1000, "session expired");
    const fresh = this.options.token();
    if (fresh && fresh !== this.socketToken) {
      // The page already holds a newer token: re-open with it (re-read, then subscribe).
      this.options.hooks.onConnection("reconnecting", this.attempt);
      void this.#rereadThenConnect();
      return;
    }
    this.stop();
    this.options.hooks.onSignInNeeded("sessionExpired");
  }

  #scheduleReconnect() {
    this.attempt += 1;
    this.options.hooks.onConnection("reconnecting", this.attempt);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.#rereadThenConnect();
    }, this.delayFor(this.attempt));
  }

  async #rereadThenConnect() {
    await this.#reread();
    if (!this.stopped && !this.socket) this.#connect();
  }

  async #reread() {
    const { api, jobId, hooks } = this.options;
    try {
      const job = await api.getJob(jobId);
      if (!this.stopped) hooks.onJob(job);
    } catch (error) {
      const failure = /** @type {{ unauthorized?: boolean, notFound?: boolean }} */ (error);
      if (failure.unauthorized) {
        this.stop();
        hooks.onSignInNeeded();
      } else if (failure.notFound) {
        this.stop();
        hooks.onNotFound();
      }
      // Anything else (offline, 5xx): the next attempt reads again.
    }
  }
}
