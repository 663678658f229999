// The practice and free-drawing flow: the ink canvas, the live socket and the view, tied
// together. Strokes go out as they are drawn; predictions, results and errors come back
// (CONTRACTS section 5); a practice moves through its targets one submit at a time.

import { InkCanvas } from "./ink-canvas.js";
import { CLOSE_FORBIDDEN, CLOSE_NOT_LOGGED_IN, InkSocket } from "./ink-socket.js";
import { bindKeys, hideKeysOnTouch } from "./practice-keys.js";
import { FRIENDLY_ERRORS, NOT_A_TRY, describeChar, limitMessage, scoreOf } from "./practice-text.js";
import { PracticeView } from "./practice-view.js";

const ADVANCE_DELAY_MS = 1800;
const SUBMIT_TIMEOUT_MS = 15000;
const SHOWN_CANDIDATES = 3;

function newSubmissionId() {
  if (window.crypto && typeof window.crypto.randomUUID === "function") {
    return window.crypto.randomUUID();
  }
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}

/** A word being written letter by letter ({text, index}), or null. */
export function validWord(word) {
  if (!word || typeof word.text !== "string" || !word.text) return null;
  const index = Number(word.index);
  if (!Number.isInteger(index) || index < 0 || index >= word.text.length) return null;
  return { text: word.text, index };
}

export class PracticePage {
  constructor(root, config) {
    this.config = config;
    this.mode = config.mode;
    this.targets = config.targets;
    this.index = 0;
    this.target = this.mode === "practice" ? this.targets[0] || "" : "";
    // A words exercise: the word and the place of the letter being written.
    this.word = config.word || null;
    if (this.word) this.target = this.word.text[this.word.index];
    this.shownSeq = 0;
    this._slowSeq = 0; // a prediction at or after this seq means recognition is back
    this.done = false;
    this.submitting = false;
    this._advanceTimer = 0;
    this._submitTimer = 0;

    this.view = new PracticeView(root);
    this.ink = new InkCanvas(this.view.canvas, {
      target: this.target,
      showTracing: config.showTracing,
    });
    this.socket = new InkSocket(config.wsUrl, {
      getStrokes: () => this.ink.strokes,
      getGuides: () => this.ink.inkGuides(),
    });

    this._bindCanvas();
    this._bindSocket();
    const actions = { undo: () => this.undo(), clear: () => this.clear(), submit: () => this.submit() };
    this.view.onButtons({ ...actions, show: () => this.showHow() });
    bindKeys(document, actions);
    hideKeysOnTouch(root);
    this.view.mode(this.mode);
    this._renderTarget();
    if (config.progress) this.view.progress(config.progress);
    this._renderCandidates([]);
    this._updateButtons();
    this.socket.connect();
    this._prompt();
  }

  /** "Show me how": the model of the character drawn stroke by stroke, start dot first. */
  showHow() {
    const plan = (this.config.models || {})[this.target];
    if (!plan || this.done) return;
    this.ink.demonstrate(plan, { mark: 0, stepMs: 900 });
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
      this.view.notice(`Draw ${describeChar(this.target)} first, then press Submit.`);
      return;
    }
    this.submitting = true;
    this.ink.setLocked(true);
    this.view.clearNotice();
    this.view.pending("Checking…");
    // The target on screen and an id for this drawing travel with it: the server stores the
    // attempt against what the student saw, once, however often a reconnect re-sends it.
    const seq = this.socket.submit({ target: this.target, submission_id: newSubmissionId() });
    if (seq === null && !this.socket.final) {
      this.view.pending("Waiting for the connection… your answer will be sent.");
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
    });
    ink.addEventListener("rescale", () => socket.resync());
    ink.addEventListener("change", () => this._updateButtons());
    ink.addEventListener("strokestart", () => this.view.clearNotice("limit"));
    ink.addEventListener("limit", (e) => this.view.notice(limitMessage(e.detail.reason), "limit"));
  }

  _bindSocket() {
    this.socket.addEventListener("state", (e) => this._onState(e.detail));
    this.socket.addEventListener("frame", (e) => this._onFrame(e.detail.frame));
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
    if (seq >= this._slowSeq) this.view.clearNotice("recognizer_unavailable");
    if (!this.ink.strokes.length) {
      this._renderCandidates([]);
      return;
    }
    const candidates = Array.isArray(frame.candidates) ? frame.candidates : [];
    this._renderCandidates(candidates.slice(0, SHOWN_CANDIDATES), Boolean(frame.rejected));
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
    const { next, done, word } = this._nextTarget(frame);
    this._nextWord = word;
    if (frame.progress) this.view.progress(frame.progress);
    clearTimeout(this._advanceTimer);
    if (frame.status === "saved" || typeof frame.correct !== "boolean") {
      // Stored, but the recogniser answers later (it was away): say so, move on.
      this.view.saved(next, done);
    } else {
      const tryAgain = frame.try_again === true;
      const { passed, failed } = this.view.result(frame, { next, done, tryAgain });
      this._speak(passed ? "Well done!" : failed ? failed.message : "Let's try again.");
      if (tryAgain) {
        this._tryAgain(frame);
        return;
      }
    }
    this._advanceTimer = setTimeout(() => this._advance(next, done), ADVANCE_DELAY_MS);
  }

  /** Same character again: the child's drawing goes, the plan is shown, then they write. */
  _tryAgain(frame) {
    this.ink.clear();
    this._renderCandidates([]);
    this.ink.setLocked(false);
    this._updateButtons();
    const demo = frame.demonstration;
    if (demo && Array.isArray(demo.strokes)) {
      this.ink.demonstrate(demo.strokes, { mark: Number(demo.stroke) || 0 });
    }
  }

  _speak(text) {
    if (!this.config.speak || !text || !window.speechSynthesis) return;
    window.speechSynthesis.cancel();
    window.speechSynthesis.speak(new SpeechSynthesisUtterance(text));
  }

  _prompt() {
    if (this.mode === "practice" && !this.done && this.target) {
      const inWord = this.word ? `, in ${this.word.text}` : "";
      this._speak(`Write ${describeChar(this.target)}${inWord}.`);
    }
  }

  /** An earlier drawing, saved while the recogniser was away, has now been checked. */
  _onLateResult(frame) {
    if (typeof frame.correct !== "boolean" || typeof frame.target !== "string") return;
    const score = scoreOf(frame);
    const verdict = frame.correct ? "right" : "not quite right";
    this.view.notice(
      `Your saved drawing of ${describeChar(frame.target)} has been checked: ${verdict}, score ${score} / 100.`,
      "late",
    );
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
    if (code === "target_changed" && typeof frame.next_target === "string" && frame.next_target) {
      // The server decides what a drawing is scored against: show its character.
      this.target = frame.next_target;
      if ("word" in frame) this.word = validWord(frame.word);
      this.ink.setTarget(frame.next_target);
      this._renderTarget();
    }
    const friendly = FRIENDLY_ERRORS[code] || frame.message || "Something went wrong.";
    if (this.submitting && (sent === "submit" || seq === this.socket.awaitingSubmitSeq)) {
      if (NOT_A_TRY.has(code)) {
        this._settleFailedSubmit(friendly); // not counted: nothing was stored
        this.view.notice(friendly, code);
        return;
      }
      this._settleFailedSubmit(`${friendly} Press Submit to try again.`);
    }
    this.view.notice(friendly, code, code === "recognizer_unavailable" ? null : code);
  }

  _onState({ state, code, final, retryIn }) {
    this.view.connection(state, { reconnecting: Boolean(this.socket.everOpened || retryIn) });
    if (final && code === CLOSE_NOT_LOGGED_IN) {
      this.view.loginNotice(this.config.loginUrl);
    } else if (final && code === CLOSE_FORBIDDEN) {
      this.view.notice("You are not allowed to practise this exercise.", "forbidden");
    }
    if (final) {
      this.ink.setLocked(true);
      this.submitting = false;
    }
    this._updateButtons();
  }

  // ---- practice flow ---------------------------------------------------------

  _nextTarget(frame) {
    if (frame.done === true) return { next: "", done: true };
    if (typeof frame.next_target === "string" && frame.next_target) {
      const word = "word" in frame ? validWord(frame.word) : undefined;
      return { next: frame.next_target, done: false, word };
    }
    const i = this.index + 1;
    return i < this.targets.length ? { next: this.targets[i], done: false } : { next: "", done: true };
  }

  _advance(next, done) {
    this.index += 1;
    this.view.clearFeedback(); // the last verdict goes with the character it was about
    if (done) {
      this.done = true;
      this.ink.clear();
      this._renderCandidates([]);
      this.ink.setTarget("", { showTracing: false });
    } else {
      this.target = next;
      if (this._nextWord !== undefined) this.word = this._nextWord;
      this.ink.setLocked(false);
      this.ink.clear();
      this.ink.setTarget(next);
    }
    this._renderTarget();
    this._updateButtons();
    this._prompt();
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
    this.view.pending(message);
    this._updateButtons();
  }

  // ---- rendering -------------------------------------------------------------

  _renderTarget() {
    if (this.mode !== "practice") return;
    this.view.target({
      target: this.target,
      done: this.done,
      index: this.config.progress ? null : this.index, // the exercise's own count when known
      total: this.targets.length,
    });
    this.view.word(this.done ? null : this.word);
  }

  _renderCandidates(candidates, rejected = false) {
    this.view.candidates(candidates, { rejected, done: this.done });
  }

  _say(text) {
    if (!this.ink.strokes.length) this.view.say(text);
  }

  _updateButtons() {
    this.view.buttons({
      blocked: this.ink.locked || this.socket.final,
      empty: this.ink.strokes.length === 0,
      canSubmit: !(this.done || this.submitting || this.socket.final),
      submitting: this.submitting,
    });
  }
}
