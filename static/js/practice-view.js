// The practice page's markup (templates/recognition/_canvas.html) brought up to date: target,
// live candidates, feedback, notices, connection status and buttons. No state of its own.

import { PRAISE, describeChar, scoreOf, starsOf } from "./practice-text.js";

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k === "style") node.style.cssText = v; // CSSOM: the CSP refuses style attributes
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

function nextLine(next, done) {
  return el("p", {
    class: "feedback__next",
    text: done ? "All done! Great work." : next ? `Next: ${next}` : "",
  });
}

export class PracticeView {
  constructor(root) {
    this.root = root;
    const $ = (id) => root.querySelector(`#${id}`) || document.getElementById(id);
    this.els = {
      canvas: $("ink-canvas"),
      undo: $("btn-undo"),
      clear: $("btn-clear"),
      submit: $("btn-submit"),
      show: $("btn-show"),
      candidates: $("candidates"),
      candidatesStatus: $("candidates-status"),
      feedback: $("feedback"),
      notice: $("notice"),
      status: $("ws-status"),
      target: $("target-char"),
      word: $("target-word"),
      targetLabel: $("target-label"),
      progress: $("progress"),
    };
  }

  get canvas() {
    return this.els.canvas;
  }

  mode(mode) {
    this.root.dataset.mode = mode;
    if (mode === "free") {
      if (this.els.submit) this.els.submit.hidden = true;
      const target = this.root.querySelector(".ink-target");
      if (target) target.hidden = true;
    }
    this.els.canvas.setAttribute(
      "aria-label",
      mode === "free"
        ? "Drawing area. Draw a letter or a number."
        : "Drawing area. Write the character shown.",
    );
  }

  /** The character to write and how far along the exercise is ("2 of 5"). */
  target({ target: ch, done, index, total }) {
    const { target, targetLabel, progress } = this.els;
    if (target) target.textContent = done ? "★" : ch;
    if (targetLabel) targetLabel.textContent = done ? "All done!" : `Write ${describeChar(ch)}`;
    if (progress && total && index !== null) {
      const n = Math.min(index + 1, total);
      progress.textContent = done ? "Finished" : `${n} of ${total}`;
    }
    this.root.toggleAttribute("data-done", done);
  }

  /** The word being written, letter by letter: the current letter marked (null: none). */
  word(word) {
    const box = this.els.word;
    if (!box) return;
    box.hidden = !word;
    if (!word) {
      box.replaceChildren();
      return;
    }
    box.setAttribute("aria-label", `In the word ${word.text}`);
    const letters = [...word.text].map((ch, i) => {
      const state = i === word.index ? " is-current" : i < word.index ? " is-done" : "";
      const span = el("span", { class: `ink-target__letter glyph${state}`, "data-index": String(i), text: ch });
      if (i === word.index) span.setAttribute("aria-current", "true");
      return span;
    });
    box.replaceChildren(...letters);
  }

  candidates(candidates, { rejected = false, done = false } = {}) {
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
          el("span", { class: "visually-hidden", text: ` ${describeChar(c.label)}` }),
        );
      });
    list.replaceChildren(...items);
    list.toggleAttribute("data-rejected", rejected);
    const status = this.els.candidatesStatus;
    if (status) {
      if (!items.length && done) status.textContent = "All done!";
      else if (!items.length) status.textContent = "Start drawing to see my guesses.";
      else if (rejected) status.textContent = "I'm not sure yet. Keep going!";
      else status.textContent = `My best guess: ${describeChar(candidates[0].label)}.`;
    }
  }

  /** A line of feedback while a submit is on its way or has to be made again. */
  pending(text) {
    this._feedback("pending", [el("p", { text })]);
  }

  /** The drawing is stored and the recogniser answers later. */
  saved(next, done) {
    this._feedback("pending", [
      el("p", { class: "feedback__verdict", text: "Saved! We'll check this one soon." }),
      el("p", { class: "feedback__next", text: done ? "All done! Great work." : `Next: ${next}` }),
    ]);
  }

  /**
   * The verdict on a submitted drawing, in a child's words: praise and stars when it
   * passed; otherwise what to change (the first failed check) and either "Let's try again"
   * or "we'll come back to it". No percentages, no talk of the machine.
   */
  result(frame, { next, done, tryAgain }) {
    const passed = frame.passed === true || (frame.passed === undefined && frame.correct);
    // What to talk about: the most specific failed check ("backwards", "start at the top"),
    // after "that doesn't look like 5 yet" when it was not readable.
    const wrong = (Array.isArray(frame.checks) ? frame.checks : []).filter((c) => c && !c.ok);
    const failed = wrong.find((c) => c.name !== "legible") || wrong[0];
    const unreadable = wrong.find((c) => c.name === "legible");
    const verdict = passed ? "passed" : tryAgain ? "try-again" : "later";
    const parts = [];
    if (passed) {
      const stars = starsOf(scoreOf(frame));
      parts.push(
        el(
          "p",
          { class: "feedback__verdict" },
          el("span", { class: "feedback__icon", "aria-hidden": "true", text: "✓" }),
          el("span", { text: PRAISE[Number(frame.attempt_id || 0) % PRAISE.length] }),
        ),
        el("p", { class: "feedback__stars", role: "img", "aria-label": `${stars} of 3 stars`,
          text: "★".repeat(stars) + "☆".repeat(3 - stars) }),
      );
    } else {
      parts.push(
        el(
          "p",
          { class: "feedback__verdict" },
          el("span", { class: "feedback__icon", "aria-hidden": "true", text: "↻" }),
          el("span", { text: tryAgain ? "Let's try again!" : "Good try! We'll come back to this one." }),
        ),
      );
      if (unreadable && unreadable !== failed) parts.push(el("p", { text: unreadable.message }));
      if (failed && failed.message) {
        parts.push(el("p", { class: "feedback__hint", "data-check": failed.name, text: failed.message }));
      }
    }
    if (!tryAgain) parts.push(nextLine(next, done));
    this._feedback(frame.correct ? "true" : "false", parts);
    const fb = this.els.feedback;
    if (fb) {
      fb.dataset.verdict = verdict;
      fb.dataset.score = String(scoreOf(frame)); // for tools and tests; the child sees stars
      fb.classList.toggle("is-celebrating", passed);
    }
    return { passed, failed, verdict };
  }

  /** Takes the last verdict away (a new character is on the canvas). */
  clearFeedback() {
    const fb = this.els.feedback;
    if (!fb) return;
    fb.replaceChildren();
    fb.removeAttribute("data-correct");
    delete fb.dataset.verdict;
    delete fb.dataset.score;
    delete fb.dataset.state;
    fb.classList.remove("is-celebrating");
  }

  /** "3 of 10 done": correct writes of the exercise, as its card counts them. */
  progress({ done, total, unit }) {
    const box = this.els.progress;
    const what = unit === "words" ? (total === 1 ? " word" : " words") : "";
    if (box && total) box.textContent = `${Math.min(done, total)} of ${total}${what} done`;
  }

  notice(text, kind = "info", code = null) {
    const parts = [el("span", { text })];
    if (code) parts.push(el("span", { class: "notice__code", text: ` (${code})` }));
    this._noticeNodes(kind, parts);
  }

  /** The socket refused a visitor who is not logged in: a link to log in and come back. */
  loginNotice(loginUrl) {
    const next = encodeURIComponent(location.pathname + location.search);
    const link = el("a", { href: `${loginUrl}?next=${next}`, text: "Log in" });
    this._noticeNodes("auth", [el("span", { text: "You are not logged in. " }), link, " to keep practising."]);
  }

  /** Hides the notice; with a kind, only a notice of that kind. */
  clearNotice(kind = null) {
    const box = this.els.notice;
    if (!box || (kind && box.dataset.kind !== kind)) return;
    box.replaceChildren();
    box.hidden = true;
    delete box.dataset.kind;
  }

  /** Tells a screen reader what a button did, while the canvas is empty. */
  say(text) {
    const s = this.els.candidatesStatus;
    if (s) s.textContent = `${text} Start drawing to see my guesses.`;
  }

  connection(state, { reconnecting = false } = {}) {
    const box = this.els.status;
    if (!box) return;
    box.dataset.state = state;
    let text;
    if (state === "open") text = "Connected";
    else if (state === "connecting") text = reconnecting ? "Reconnecting…" : "Connecting…";
    else text = "Offline";
    box.replaceChildren(el("span", { class: "ws-status__dot", "aria-hidden": "true" }), text);
  }

  buttons({ blocked, empty, canSubmit, submitting }) {
    const { undo, clear, submit } = this.els;
    if (undo) undo.disabled = blocked || empty;
    if (clear) clear.disabled = blocked || empty;
    if (submit) {
      submit.disabled = !canSubmit;
      submit.setAttribute("aria-busy", String(submitting));
    }
  }

  onButtons({ undo, clear, submit, show }) {
    if (show) this.els.show?.addEventListener("click", show);
    this.els.undo?.addEventListener("click", undo);
    this.els.clear?.addEventListener("click", clear);
    this.els.submit?.addEventListener("click", submit);
  }

  _feedback(correct, children) {
    const fb = this.els.feedback;
    if (!fb) return;
    if (correct === "pending") fb.removeAttribute("data-correct");
    else fb.dataset.correct = correct;
    fb.dataset.state = correct === "pending" ? "pending" : "result";
    fb.replaceChildren(...children);
  }

  _noticeNodes(kind, nodes) {
    const box = this.els.notice;
    if (!box) return;
    box.dataset.kind = kind;
    box.replaceChildren(...nodes);
    box.hidden = false;
  }
}
