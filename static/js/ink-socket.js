// WebSocket client for the live recognition protocol (CONTRACTS §5).
//
// Every client message carries a seq that grows by one per message for the life of the
// page (across reconnects). After a reconnect the server starts with an empty drawing,
// so the client sends `clear` and then every stroke again with fresh seqs. A submit made
// while offline is held and sent once the drawing has been re-sent.
//
// Events (CustomEvent): "state" {state, code, reason}, "frame" {frame}.
// state is "connecting" | "open" | "closed"; closed with a code 4401/4403 is final.

export const CLOSE_NOT_LOGGED_IN = 4401;
export const CLOSE_FORBIDDEN = 4403;

export function socketUrl(path, loc = window.location) {
  if (/^wss?:\/\//i.test(path)) return path;
  const scheme = loc.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${loc.host}${path.startsWith("/") ? "" : "/"}${path}`;
}

export class InkSocket extends EventTarget {
  /**
   * @param {string} url absolute ws(s):// URL or a path such as "/ws/recognize/"
   * @param {{getStrokes: () => Array, getGuides?: () => object|null, minDelay?: number,
   *   maxDelay?: number}} options getGuides: the canvas's guide lines in ink coordinates
   *   (CONTRACTS §8), sent with every drawing message so they follow a resize
   */
  constructor(url, { getStrokes, getGuides, minDelay = 500, maxDelay = 8000 } = {}) {
    super();
    this.url = socketUrl(url);
    this.getStrokes = getStrokes || (() => []);
    this.getGuides = getGuides || (() => null);
    this.minDelay = minDelay;
    this.maxDelay = maxDelay;
    this.seq = 0;
    // Predictions for a seq below this describe a drawing that no longer exists
    // (before the last clear or undo).
    this.floorSeq = 0;
    this.state = "closed";
    this.closeCode = null;
    this.final = false;
    this.pendingSubmit = false;
    this.awaitingSubmitSeq = null;
    this._sentTypes = new Map();
    this._ws = null;
    this._attempt = 0;
    this._timer = 0;
    this._everOpened = false;
    this._onOnline = () => {
      if (this.state !== "open" && !this.final) this._connectNow();
    };
    window.addEventListener("online", this._onOnline);
  }

  get everOpened() {
    return this._everOpened;
  }

  get isOpen() {
    return this.state === "open";
  }

  connect() {
    this.final = false;
    this._connectNow();
  }

  /** Stops for good (page teardown). */
  close() {
    this.final = true;
    clearTimeout(this._timer);
    window.removeEventListener("online", this._onOnline);
    if (this._ws) this._ws.close(1000);
  }

  sendStroke(points) {
    return this._send({ type: "stroke", points });
  }

  sendUndo() {
    return this._raiseFloor(this._send({ type: "undo" }));
  }

  sendClear() {
    return this._raiseFloor(this._send({ type: "clear" }));
  }

  /** Sends submit now, or holds it until the socket is open and the drawing re-sent. */
  submit(extra = {}) {
    if (this.final) return null;
    // Kept for re-sends after a reconnect: the same id lets the server store one attempt.
    this._submitExtra = extra;
    if (!this.isOpen) {
      this.pendingSubmit = true;
      return null;
    }
    this.pendingSubmit = false;
    const seq = this._send({ type: "submit", ...extra });
    this.awaitingSubmitSeq = seq;
    return seq;
  }

  /** The submit is answered (or given up): stop re-sending it after reconnects. */
  submitSettled() {
    this.pendingSubmit = false;
    this.awaitingSubmitSeq = null;
  }

  /** Type of the message we sent with this seq, if we still remember it. */
  sentType(seq) {
    return this._sentTypes.get(seq);
  }

  /** Makes the server's drawing match the canvas: clear, then every stroke again. */
  resync() {
    if (!this.isOpen) return;
    this.sendClear();
    for (const stroke of this.getStrokes()) this.sendStroke(stroke.map((p) => p.slice()));
  }

  // ---- internals -------------------------------------------------------------

  _send(body) {
    if (!this.isOpen) return null;
    const msg = { type: body.type, seq: ++this.seq, ...body };
    const guides = this.getGuides();
    if (guides) msg.guides = guides;
    this._ws.send(JSON.stringify(msg));
    this._sentTypes.set(msg.seq, msg.type);
    if (this._sentTypes.size > 200) this._sentTypes.delete(this._sentTypes.keys().next().value);
    return msg.seq;
  }

  _raiseFloor(seq) {
    if (seq !== null) this.floorSeq = Math.max(this.floorSeq, seq);
    return seq;
  }

  _setState(state, extra = {}) {
    this.state = state;
    this.dispatchEvent(new CustomEvent("state", { detail: { state, ...extra } }));
  }

  _connectNow() {
    clearTimeout(this._timer);
    if (this._ws && this._ws.readyState <= 1) return;
    this._setState("connecting", { attempt: this._attempt });
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch {
      this._scheduleReconnect();
      return;
    }
    this._ws = ws;
    ws.addEventListener("open", () => {
      if (ws !== this._ws) return;
      const reconnect = this._everOpened;
      this._everOpened = true;
      this._attempt = 0;
      this._setState("open", { reconnect });
      const strokes = this.getStrokes();
      if (reconnect || strokes.length) this.resync();
      if (this.pendingSubmit || this.awaitingSubmitSeq !== null) {
        // Offline submit, or one whose answer was lost with the old socket.
        this.pendingSubmit = false;
        this.awaitingSubmitSeq = this._send({ type: "submit", ...(this._submitExtra || {}) });
      }
    });
    ws.addEventListener("message", (e) => {
      if (ws !== this._ws) return;
      let frame;
      try {
        frame = JSON.parse(e.data);
      } catch {
        return;
      }
      if (!frame || typeof frame !== "object") return;
      this.dispatchEvent(new CustomEvent("frame", { detail: { frame } }));
    });
    ws.addEventListener("close", (e) => {
      if (ws !== this._ws) return;
      this._ws = null;
      this.closeCode = e.code;
      if (e.code === CLOSE_NOT_LOGGED_IN || e.code === CLOSE_FORBIDDEN || this.final) {
        this.final = true;
        this._setState("closed", { code: e.code, reason: e.reason, final: true });
        return;
      }
      this._scheduleReconnect(e.code);
    });
    // An "error" event is always followed by "close"; nothing to do here.
  }

  _scheduleReconnect(code = null) {
    const base = Math.min(this.maxDelay, this.minDelay * 2 ** this._attempt);
    // A little jitter so a classroom of tablets does not reconnect in lockstep.
    const delay = Math.min(this.maxDelay, Math.max(this.minDelay, base * (0.8 + Math.random() * 0.4)));
    this._attempt += 1;
    this._setState("connecting", { code, retryIn: delay, attempt: this._attempt });
    this._timer = setTimeout(() => this._connectNow(), delay);
  }
}
