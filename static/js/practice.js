// Practice / free-drawing page: wires the ink canvas, the live socket and the page's
// buttons, candidates, feedback and status. Markup: templates/recognition/_canvas.html.
//
// Config comes from <script type="application/json" id="practice-config">:
//   {"mode": "practice"|"free", "ws_url": "/ws/practice/12/", "targets": ["a", ...],
//    "show_tracing": true}
// with the root element's data-* attributes as a fallback.

import { InkCanvas } from "./ink-canvas.js";
import { CLOSE_FORBIDDEN, CLOSE_NOT_LOGGED_IN, InkSocket } from "./ink-socket.js";

const ADVANCE_DELAY_MS = 1800;
const SUBMIT_TIMEOUT_MS = 15000;
const SHOWN_CANDIDATES = 3;

const FRIENDLY_ERRORS = {
  recognizer_unavailable: "Recognition is slow right now, keep drawing",
  too_many_strokes: "That's a lot of strokes! Press Clear to start again.",
  too_many_points: "That's a lot of ink! Press Clear to start again.",
  empty_ink: "Draw something first.",
  rate_limited: "Slow down a little, then try again.",
};

export function readConfig(root, doc = document) {
  let config = {};
  const blob = doc.getElementById("practice-config");
  if (blob) {
    try {
      const parsed = JSON.parse(blob.textContent);
      if (parsed && typeof parsed === "object") config = parsed;
    } catch {
      // Fall back to the data attributes below.
    }
  }
  const data = root.dataset;
  // No socket path at all means a bare include (free drawing page without context).
  const noUrl = !config.ws_url && !data.wsUrl;
  const mode = noUrl || (config.mode || data.mode) === "free" ? "free" : "practice";
  let targets = Array.isArray(config.targets) ? config.targets : [];
  if (!targets.length && data.targets) targets = [...data.targets.replace(/\s+/g, "")];
  const showTracing =
    typeof config.show_tracing === "boolean" ? config.show_tracing : data.showTracing === "true";
  return {
    mode,
    wsUrl: config.ws_url || data.wsUrl || (mode === "free" ? "/ws/recognize/" : ""),
    targets: targets.map(String),
    showTracing: mode === "practice" && showTracing,
    loginUrl: data.loginUrl || "/accounts/login/",
  };
}

/** How a screen reader should say a character: "the letter a", "capital A", "the number 3". */
export function describeChar(ch) {
  if (!ch) return "";
  if (/[0-9]/.test(ch)) return `the number ${ch}`;
  if (/[A-Z]/.test(ch)) return `capital ${ch}`;
  if (/[a-z]/.test(ch)) return `small ${ch}`;
  return `“${ch}”`;
}

/** A result frame's score as shown: a whole number from 0 to 100. */
function scoreOf(frame) {
  return Math.max(0, Math.min(100, Math.round(Number(frame.score) || 0)));
}

function newSubmissionId() {
  if (window.crypto && typeof window.crypto.randomUUID === "function") {
    return window.crypto.randomUUID();
  }
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

export class PracticePage {
  constructor(root, config) {
    this.root = root;
    this.config = config;
    this.mode = config.mode;
    this.targets = config.targets;
    this.index = 0;
    this.target = this.mode === "practice" ? this.targets[0] || "" : "";
    this.shownSeq = 0;
    this._slowSeq = 0; // a prediction at or after this seq means recognition is back
    this.done = false;
    this.submitting = false;
    this._advanceTimer = 0;
    this._submitTimer = 0;

    const $ = (id) => root.querySelector(`#${id}`) || document.getElementById(id);
    this.els = {
      canvas: $("ink-canvas"),
      undo: $("btn-undo"),
      clear: $("btn-clear"),
      submit: $("btn-submit"),
      candidates: $("candidates"),
      candidatesStatus: $("candidates-status"),
      feedback: $("feedback"),
      notice: $("notice"),
      status: $("ws-status"),
      target: $("target-char"),
      targetLabel: $("target-label"),
      progress: $("progress"),
      preview: $("raster-preview"),
    };

    this.ink = new InkCanvas(this.els.canvas, {
      target: this.target,
      showTracing: config.showTracing,
    });
    this.socket = new InkSocket(config.wsUrl, { getStrokes: () => this.ink.strokes });
    // Tests read the socket's recent frames off the component.
    this.ink.lastFrames = this.socket.lastFrames;
    this.ink.sentFrames = this.socket.sentFrames;

    this._bindCanvas();
    this._bindSocket();
    this._bindButtons();
    this._bindKeys();
    this._renderMode();
    this._renderTarget();
    this._renderCandidates([]);
    this._updateButtons();
    this.socket.connect();
  }

  // ---- actions ---------------------------------------------------------------

  undo() {
    if (this.ink.locked) return;
    if (this.ink.undo()) this._say("Undone.");
  }

  clear() {
    if (this.ink.locked) return;
    if (this.ink.clear()) this._say("Cleared.");
  }

  submit() {
    if (this.mode !== "practice" || this.done || this.submitting) return;
    if (!this.ink.strokes.length) {
      this._notice(`Draw ${describeChar(this.target)} first, then press Submit.`);
      return;
    }
    this.submitting = true;
    this.ink.setLocked(true);
    this._clearNotice();
    this._setFeedback("pending", [el("p", { text: "Checking…" })]);
    // The target on screen and an id for this drawing travel with it: the server stores the
    // attempt against what the student saw, once, however often a reconnect re-sends it.
    const seq = this.socket.submit({ target: this.target, submission_id: newSubmissionId() });
    if (seq === null && !this.socket.final) {
      this._setFeedback("pending", [
        el("p", { text: "Waiting for the connection… your answer will be sent." }),
      ]);
    }
    this._armSubmitTimeout();
    this._updateButtons();
  }

  // ---- wiring ----------------------------------------------------------------

  _bindCanvas() {
    const { ink, socket } = this;
    ink.addEventListener("stroke", (e) => socket.sendStroke(e.detail.points));
    ink.addEventListener("undo", () => {
      socket.sendUndo();
      if (!ink.strokes.length) this._renderCandidates([]);
    });
    ink.addEventListener("clear", () => {
      socket.sendClear();
      this._renderCandidates([]);
      this._setPreview(null);
    });
    ink.addEventListener("rescale", () => socket.resync());
    ink.addEventListener("change", () => this._updateButtons());
    ink.addEventListener("strokestart", () => this._clearNotice("limit"));
    ink.addEventListener("limit", (e) => {
      const text =
        e.detail.reason === "strokes"
          ? "That's a lot of strokes! Press Undo or Clear to keep going."
          : "That's a lot of ink! Press Undo or Clear to keep going.";
      this._notice(text, "limit");
    });
  }

  _bindSocket() {
    this.socket.addEventListener("state", (e) => this._renderStatus(e.detail));
    this.socket.addEventListener("frame", (e) => this._onFrame(e.detail.frame));
  }

  _bindButtons() {
    const { undo, clear, submit } = this.els;
    undo?.addEventListener("click", () => this.undo());
    clear?.addEventListener("click", () => this.clear());
    submit?.addEventListener("click", () => this.submit());
  }

  _bindKeys() {
    document.addEventListener("keydown", (e) => {
      if (e.defaultPrevented || e.isComposing || e.altKey) return;
      const t = e.target;
      const typing =
        t instanceof HTMLElement &&
        (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
      if (typing) return;
      const mod = e.ctrlKey || e.metaKey;
      if (mod && !e.shiftKey && e.key.toLowerCase() === "z") {
        e.preventDefault();
        this.undo();
      } else if (!mod && (e.key === "Escape" || e.key === "Delete")) {
        e.preventDefault();
        this.clear();
      } else if (!mod && e.key === "Enter") {
        // Enter on a focused button or link already activates it.
        if (t instanceof HTMLElement && t.closest("button, a, summary")) return;
        e.preventDefault();
        this.submit();
      }
    });
  }

  // ---- frames ----------------------------------------------------------------

  _onFrame(frame) {
    switch (frame.type) {
      case "prediction":
        this._onPrediction(frame);
        break;
      case "result":
        this._onResult(frame);
        break;
      case "error":
        this._onError(frame);
        break;
      default:
        break;
    }
  }

  _onPrediction(frame) {
    const seq = Number(frame.seq);
    if (!Number.isFinite(seq)) return;
    // Never go back in time, and never show a drawing that was cleared or undone.
    if (seq < this.shownSeq || seq < this.socket.floorSeq) return;
    this.shownSeq = seq;
    if (seq >= this._slowSeq) this._clearNotice("recognizer_unavailable");
    if (!this.ink.strokes.length) {
      this._renderCandidates([]);
      return;
    }
    const candidates = Array.isArray(frame.candidates) ? frame.candidates : [];
    this._renderCandidates(candidates.slice(0, SHOWN_CANDIDATES), Boolean(frame.rejected));
    if (typeof frame.raster_png === "string") this._setPreview(frame.raster_png);
  }

  _onResult(frame) {
    if (frame.late) {
      this._onLateResult(frame);
      return;
    }
    if (!this.submitting) return; // a duplicate answer (a re-sent submit)
    if (frame.seq !== undefined && Number(frame.seq) !== this.socket.awaitingSubmitSeq) return;
    this.submitting = false;
    clearTimeout(this._submitTimer);
    this.socket.submitSettled();
    const { next, done } = this._nextTarget(frame);
    if (typeof frame.correct !== "boolean") {
      // Stored, but the recogniser answers later (it was down): say so, move on.
      this._setFeedback("pending", [
        el("p", { class: "feedback__verdict", text: "Saved! We'll check this one soon." }),
        el("p", { class: "feedback__next", text: done ? "All done! Great work." : `Next: ${next}` }),
      ]);
      this._scheduleAdvance(next, done);
      return;
    }
    const correct = frame.correct;
    const score = scoreOf(frame);
    const saw = frame.label ? String(frame.label) : "";

    const parts = [
      el(
        "p",
        { class: "feedback__verdict" },
        el("span", { class: "feedback__icon", "aria-hidden": "true", text: correct ? "✓" : "✗" }),
        el("span", { text: correct ? "Well done!" : "Not quite." }),
      ),
      el(
        "p",
        { class: "feedback__score" },
        el("span", { text: "Score " }),
        el("strong", { text: String(score) }),
        el("span", { text: " / 100" }),
        el(
          "span",
          {
            class: "feedback__meter",
            role: "meter",
            "aria-label": "Score",
            "aria-valuemin": "0",
            "aria-valuemax": "100",
            "aria-valuenow": String(score),
          },
          el("span", { class: "feedback__meter-fill", style: `width:${score}%` }),
        ),
      ),
    ];
    if (saw) {
      parts.push(
        el(
          "p",
          { class: "feedback__saw" },
          el("span", { text: "I saw " }),
          el("span", { class: "glyph", text: saw }),
          el("span", { class: "visually-hidden", text: ` (${describeChar(saw)})` }),
        ),
      );
    }
    parts.push(
      el("p", {
        class: "feedback__next",
        text: done ? "All done! Great work." : next ? `Next: ${next}` : "",
      }),
    );
    this._setFeedback(correct ? "true" : "false", parts);
    this._scheduleAdvance(next, done);
  }

  /** An earlier drawing, saved while the recogniser was away, has now been checked. */
  _onLateResult(frame) {
    if (typeof frame.correct !== "boolean" || typeof frame.target !== "string") return;
    const score = scoreOf(frame);
    const verdict = frame.correct ? "right" : "not quite right";
    this._notice(
      `Your saved drawing of ${describeChar(frame.target)} has been checked: ${verdict}, score ${score} / 100.`,
      "late",
    );
  }

  _scheduleAdvance(next, done) {
    clearTimeout(this._advanceTimer);
    this._advanceTimer = setTimeout(() => this._advance(next, done), ADVANCE_DELAY_MS);
  }

  _onError(frame) {
    const code = String(frame.code || "error");
    const seq = frame.seq === null || frame.seq === undefined ? null : Number(frame.seq);
    const sent = seq === null ? undefined : this.socket.sentType(seq);
    // Clearing or undoing to an empty page may be "empty drawing" to the server: not news.
    if ((sent === "clear" || sent === "undo") && !this.ink.strokes.length) return;
    if (code === "recognizer_unavailable") this._slowSeq = seq ?? this.socket.seq;
    if (code === "rate_limited") {
      // A refused message means the server's drawing may lack a stroke: send it all again.
      clearTimeout(this._resyncTimer);
      this._resyncTimer = setTimeout(() => this.socket.resync(), 1500);
    }
    const friendly = FRIENDLY_ERRORS[code] || frame.message || "Something went wrong.";
    if (this.submitting && (sent === "submit" || seq === this.socket.awaitingSubmitSeq)) {
      this._settleFailedSubmit(`${friendly} Press Submit to try again.`);
    }
    this._notice(friendly, code, code === "recognizer_unavailable" ? null : code);
  }

  // ---- practice flow ---------------------------------------------------------

  _nextTarget(frame) {
    if (frame.done === true) return { next: "", done: true };
    if (typeof frame.next_target === "string" && frame.next_target) {
      return { next: frame.next_target, done: false };
    }
    const i = this.index + 1;
    return i < this.targets.length ? { next: this.targets[i], done: false } : { next: "", done: true };
  }

  _advance(next, done) {
    this.index += 1;
    if (done) {
      this.done = true;
      this.ink.clear();
      this._renderCandidates([]);
      this.ink.setTarget("", { showTracing: false });
    } else {
      this.target = next;
      this.ink.setLocked(false);
      this.ink.clear();
      this.ink.setTarget(next);
    }
    this._renderTarget();
    this._updateButtons();
  }

  _armSubmitTimeout() {
    clearTimeout(this._submitTimer);
    this._submitTimer = setTimeout(() => {
      if (!this.submitting) return;
      if (!this.socket.isOpen) {
        this._armSubmitTimeout(); // still offline: it will go out on reconnect
        return;
      }
      this._settleFailedSubmit("Still checking… press Submit to try again.");
    }, SUBMIT_TIMEOUT_MS);
  }

  _settleFailedSubmit(message) {
    this.submitting = false;
    clearTimeout(this._submitTimer);
    this.socket.submitSettled();
    this.ink.setLocked(false);
    this._setFeedback("pending", [el("p", { text: message })]);
    this._updateButtons();
  }

  // ---- rendering -------------------------------------------------------------

  _renderMode() {
    this.root.dataset.mode = this.mode;
    if (this.mode === "free") {
      if (this.els.submit) this.els.submit.hidden = true;
      const target = this.root.querySelector(".ink-target");
      if (target) target.hidden = true;
    }
    this.els.canvas.setAttribute(
      "aria-label",
      this.mode === "free"
        ? "Drawing area. Draw a letter or a number."
        : "Drawing area. Write the character shown.",
    );
  }

  _renderTarget() {
    const { target, targetLabel, progress } = this.els;
    if (this.mode !== "practice") return;
    if (target) target.textContent = this.done ? "★" : this.target;
    if (targetLabel) {
      targetLabel.textContent = this.done
        ? "All done!"
        : `Write ${describeChar(this.target)}`;
    }
    if (progress && this.targets.length) {
      const n = Math.min(this.index + 1, this.targets.length);
      progress.textContent = this.done ? "Finished" : `${n} of ${this.targets.length}`;
    }
    this.root.toggleAttribute("data-done", this.done);
  }

  _renderCandidates(candidates, rejected = false) {
    const list = this.els.candidates;
    if (!list) return;
    const items = candidates
      .filter((c) => c && typeof c.label === "string")
      .map((c, i) => {
        const p = Math.max(0, Math.min(1, Number(c.p) || 0));
        const pct = Math.round(p * 100);
        return el(
          "li",
          { class: i === 0 ? "candidate is-top" : "candidate", "data-label": c.label },
          el("span", { class: "candidate__label glyph", text: c.label }),
          el(
            "span",
            { class: "candidate__bar", "aria-hidden": "true" },
            el("span", { class: "candidate__fill", style: `width:${pct}%` }),
          ),
          el("span", { class: "candidate__pct", text: `${pct}%` }),
          el("span", { class: "visually-hidden", text: ` ${describeChar(c.label)}` }),
        );
      });
    list.replaceChildren(...items);
    list.toggleAttribute("data-rejected", rejected);
    const status = this.els.candidatesStatus;
    if (status) {
      if (!items.length && this.done) status.textContent = "All done!";
      else if (!items.length) status.textContent = "Start drawing to see my guesses.";
      else if (rejected) status.textContent = "I'm not sure yet. Keep going!";
      else status.textContent = `My best guess: ${describeChar(candidates[0].label)}.`;
    }
  }

  _setPreview(src) {
    const img = this.els.preview;
    if (!img) return;
    if (!src) {
      img.hidden = true;
      img.removeAttribute("src");
      return;
    }
    const url = src.startsWith("data:") ? src : `data:image/png;base64,${src}`;
    if (!url.startsWith("data:image/png;base64,")) return;
    img.src = url;
    img.hidden = false;
  }

  _setFeedback(correct, children) {
    const fb = this.els.feedback;
    if (!fb) return;
    if (correct === "pending") fb.removeAttribute("data-correct");
    else fb.dataset.correct = correct;
    fb.dataset.state = correct === "pending" ? "pending" : "result";
    fb.replaceChildren(...children);
  }

  _notice(text, kind = "info", code = null) {
    const box = this.els.notice;
    if (!box) return;
    box.dataset.kind = kind;
    const parts = [el("span", { text })];
    if (code) parts.push(el("span", { class: "notice__code", text: ` (${code})` }));
    box.replaceChildren(...parts);
    box.hidden = false;
  }

  _clearNotice(kind = null) {
    const box = this.els.notice;
    if (!box || (kind && box.dataset.kind !== kind)) return;
    box.replaceChildren();
    box.hidden = true;
    delete box.dataset.kind;
  }

  _say(text) {
    const s = this.els.candidatesStatus;
    if (s && !this.ink.strokes.length) s.textContent = `${text} Start drawing to see my guesses.`;
  }

  _renderStatus({ state, code, final, retryIn }) {
    const box = this.els.status;
    if (!box) return;
    box.dataset.state = state;
    let text;
    if (state === "open") text = "Connected";
    else if (state === "connecting") {
      text = this.socket.everOpened || retryIn ? "Reconnecting…" : "Connecting…";
    } else text = "Offline";
    box.replaceChildren(el("span", { class: "ws-status__dot", "aria-hidden": "true" }), text);

    if (final && code === CLOSE_NOT_LOGGED_IN) {
      const next = encodeURIComponent(location.pathname + location.search);
      const link = el("a", { href: `${this.config.loginUrl}?next=${next}`, text: "Log in" });
      this._noticeNodes("auth", [el("span", { text: "You are not logged in. " }), link, " to keep practising."]);
    } else if (final && code === CLOSE_FORBIDDEN) {
      this._notice("You are not allowed to practise this exercise.", "forbidden");
    }
    if (final) {
      this.ink.setLocked(true);
      this.submitting = false;
    }
    this._updateButtons();
  }

  _noticeNodes(kind, nodes) {
    const box = this.els.notice;
    if (!box) return;
    box.dataset.kind = kind;
    box.replaceChildren(...nodes);
    box.hidden = false;
  }

  _updateButtons() {
    const { undo, clear, submit } = this.els;
    const blocked = this.ink.locked || this.socket.final;
    const empty = this.ink.strokes.length === 0;
    if (undo) undo.disabled = blocked || empty;
    if (clear) clear.disabled = blocked || empty;
    if (submit) {
      submit.disabled = this.done || this.submitting || this.socket.final;
      submit.setAttribute("aria-busy", String(this.submitting));
    }
  }
}

function boot() {
  const root = document.getElementById("practice") || document.querySelector("[data-ink-practice]");
  if (!root || root.dataset.booted) return;
  root.dataset.booted = "true";
  const page = new PracticePage(root, readConfig(root));
  window.inkPractice = page;
  window.inkCanvas = page.ink;
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
else boot();
