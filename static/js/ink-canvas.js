// Drawing canvas for handwriting practice.
//
// Ink is kept as CONTRACTS §1 strokes: [[x, y, t], ...] with x, y in CSS pixels of the
// canvas and t in ms since the drawing started. The backing store is scaled by
// devicePixelRatio and everything is redrawn from the strokes, so a resize or a zoom
// never loses or blurs the drawing.
//
// Events (CustomEvent, on the instance): "strokestart", "stroke" {points}, "undo",
// "clear", "change", "limit" {reason}, "rescale" {factor}.

export const LIMITS = Object.freeze({ maxStrokes: 64, maxPoints: 4000, minDistance: 1 });

// Guide geometry as fractions of the canvas height; the x-line comes from the font
// so the faded model glyph sits exactly on the guides.
const CAP_LINE = 0.22;
const BASELINE = 0.7;
const DESCENDER = 0.9;
const DEFAULT_X_RATIO = 0.68;

export const ROUNDED_FONT =
  'ui-rounded, "SF Pro Rounded", "Arial Rounded MT Bold", "Nunito", "Varela Round", ' +
  '"Quicksand", "Comic Neue", system-ui, sans-serif';

const round1 = (v) => Math.round(v * 10) / 10;

export class InkCanvas extends EventTarget {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {{target?: string, showTracing?: boolean, limits?: object}} options
   */
  constructor(canvas, { target = "", showTracing = false, limits = LIMITS } = {}) {
    super();
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.limits = { ...LIMITS, ...limits };
    this.strokes = [];
    this.target = target;
    this.showTracing = showTracing;
    this.locked = false;

    this._current = null; // points of the stroke being drawn
    this._pointerId = null; // only the first active pointer draws
    this._t0 = null;
    this._cssWidth = 0;
    this._cssHeight = 0;
    this._dpr = 1;
    this._rafId = 0;
    this._fontMetrics = null;

    canvas.style.touchAction = "none";
    this._bindPointer();
    this._observeSize();
    this.resize();
  }

  // ---- public API ----------------------------------------------------------

  get pointCount() {
    let n = this._current ? this._current.length : 0;
    for (const s of this.strokes) n += s.length;
    return n;
  }

  get isDrawing() {
    return this._current !== null;
  }

  /** The drawing as the contract's ink object. */
  toInk() {
    return { strokes: this.strokes.map((s) => s.map((p) => p.slice())) };
  }

  setTarget(target, { showTracing = this.showTracing } = {}) {
    this.target = target || "";
    this.showTracing = showTracing;
    this.endDemo();
    this.requestRedraw();
  }

  setLocked(locked) {
    this.locked = Boolean(locked);
    if (this.locked) this._abortStroke();
    this.canvas.toggleAttribute("data-locked", this.locked);
  }

  undo() {
    this._abortStroke();
    if (!this.strokes.length) return false;
    this.strokes.pop();
    this._emit("undo");
    this._changed();
    return true;
  }

  clear() {
    this._abortStroke();
    const hadInk = this.strokes.length > 0;
    this.strokes = [];
    this._t0 = null;
    this._emit("clear", { hadInk });
    this._changed();
    return hadInk;
  }

  /** Re-measure the element and rebuild the backing store (also called on resize). */
  resize() {
    const rect = this.canvas.getBoundingClientRect();
    const width = rect.width;
    const height = rect.height;
    const dpr = window.devicePixelRatio || 1;
    if (width <= 0 || height <= 0) return;
    const oldWidth = this._cssWidth;
    if (oldWidth > 0 && Math.abs(width - oldWidth) > 0.5) {
      // Keep the drawing on the guides: scale it with the canvas.
      this._scaleInk(width / oldWidth);
    }
    this._cssWidth = width;
    this._cssHeight = height;
    if (this._rect) this._rect = rect;
    this._dpr = dpr;
    this.canvas.width = Math.round(width * dpr);
    this.canvas.height = Math.round(height * dpr);
    this._fontMetrics = null;
    this.redraw();
  }

  requestRedraw() {
    if (this._rafId) return;
    this._rafId = requestAnimationFrame(() => {
      this._rafId = 0;
      this.redraw();
    });
  }

  redraw() {
    const { ctx } = this;
    const w = this._cssWidth;
    const h = this._cssHeight;
    if (!w || !h) return;
    ctx.setTransform(this._dpr, 0, 0, this._dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const colors = this._colors();
    ctx.fillStyle = colors.paper;
    ctx.fillRect(0, 0, w, h);
    const guides = this.guides();
    // Where the lines are, in ink coordinates, for tests and tools that place ink on them.
    this.canvas.dataset.guides = JSON.stringify(this.inkGuides());
    this._drawGuides(guides, colors);
    if (this.showTracing && this.target) this._drawTracing(guides, colors);
    ctx.strokeStyle = colors.ink;
    ctx.fillStyle = colors.ink;
    ctx.lineWidth = Math.max(4, Math.min(10, w / 80));
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    for (const s of this.strokes) this._drawStroke(s);
    if (this._current) this._drawStroke(this._current);
    if (this._demo) this._drawDemo(this._demo, colors);
  }

  /**
   * Animates a stroke plan (strokes in the character's box: centred, longer side 1, y
   * down) over the faded model letter, stroke by stroke in order; `mark` (a stroke index)
   * gets a start dot and a direction arrow. The canvas shows data-demo="running", then
   * "done"; the plan stays drawn until the next stroke of ink, clear or target.
   */
  demonstrate(plan, { mark = null, stepMs = 700 } = {}) {
    const strokes = this._fitPlan(plan);
    if (!strokes.length) return Promise.resolve();
    cancelAnimationFrame(this._demoRaf);
    this.canvas.dataset.demo = "running";
    const started = performance.now();
    return new Promise((resolve) => {
      const frame = (now) => {
        const progress = (now - started) / stepMs; // strokes drawn so far, fractional
        this._demo = { strokes, progress, mark };
        this.redraw();
        if (progress < strokes.length + 0.5) {
          this._demoRaf = requestAnimationFrame(frame);
        } else {
          this.canvas.dataset.demo = "done";
          resolve();
        }
      };
      this._demoRaf = requestAnimationFrame(frame);
    });
  }

  /** Takes the demonstration off the canvas. */
  endDemo() {
    cancelAnimationFrame(this._demoRaf);
    if (!this._demo && !this.canvas.dataset.demo) return;
    this._demo = null;
    delete this.canvas.dataset.demo;
    this.requestRedraw();
  }

  /** Y positions (CSS px) of the handwriting guides. */
  guides() {
    const h = this._cssHeight;
    const baseline = h * BASELINE;
    const cap = h * CAP_LINE;
    const ratio = this._metrics().xRatio;
    return {
      cap,
      x: baseline - (baseline - cap) * ratio,
      baseline,
      descender: h * DESCENDER,
    };
  }

  /** The guides as CONTRACTS §8 sends them: ink coordinates (CSS px, y down). */
  inkGuides() {
    const g = this.guides();
    if (!(g.cap < g.x && g.x < g.baseline)) return null; // not laid out yet
    return { baseline: round1(g.baseline), x_height: round1(g.x), cap_height: round1(g.cap) };
  }

  destroy() {
    this._resizeObserver?.disconnect();
    this._dprQuery?.removeEventListener?.("change", this._onDprChange);
    window.removeEventListener("resize", this._onWindowResize);
    cancelAnimationFrame(this._rafId);
  }

  // ---- pointer input ---------------------------------------------------------

  _bindPointer() {
    const c = this.canvas;
    c.addEventListener("pointerdown", (e) => this._onDown(e));
    c.addEventListener("pointermove", (e) => this._onMove(e));
    c.addEventListener("pointerup", (e) => this._onUp(e));
    c.addEventListener("pointercancel", (e) => this._onUp(e));
    c.addEventListener("lostpointercapture", (e) => this._onUp(e));
    // Older iOS Safari ignores touch-action for some gestures; stop them here too.
    const block = (e) => {
      if (e.cancelable) e.preventDefault();
    };
    c.addEventListener("touchstart", block, { passive: false });
    c.addEventListener("touchmove", block, { passive: false });
    c.addEventListener("contextmenu", block);
    c.addEventListener("dblclick", block);
  }

  _onDown(e) {
    if (this._pointerId !== null) {
      // A second finger or a resting palm: never draws, never scrolls.
      if (e.cancelable) e.preventDefault();
      return;
    }
    if (e.pointerType === "mouse" && e.button !== 0) return;
    if (e.cancelable) e.preventDefault();
    if (this.locked) return;
    if (this.strokes.length >= this.limits.maxStrokes) {
      this._emit("limit", { reason: "strokes" });
      return;
    }
    if (this.pointCount >= this.limits.maxPoints) {
      this._emit("limit", { reason: "points" });
      return;
    }
    // Take focus from a button so Enter submits instead of pressing that button again;
    // focusVisible:false keeps the keyboard focus ring off for pen and touch.
    this.canvas.focus({ preventScroll: true, focusVisible: false });
    try {
      this.canvas.setPointerCapture(e.pointerId);
    } catch {
      // Synthetic events have no active pointer to capture; drawing still works.
    }
    this._pointerId = e.pointerId;
    // Scrolling is blocked while drawing, so one measurement serves the whole stroke.
    this._rect = this.canvas.getBoundingClientRect();
    if (this.strokes.length === 0 || this._t0 === null) this._t0 = this._timeOf(e);
    this._current = [];
    this._addPoint(e, true);
    this.endDemo(); // the child writes over the lines, not over the demonstration
    this._emit("strokestart");
    this.requestRedraw();
  }

  _onMove(e) {
    if (e.pointerId !== this._pointerId || !this._current) return;
    if (e.cancelable) e.preventDefault();
    const events = typeof e.getCoalescedEvents === "function" ? e.getCoalescedEvents() : [];
    for (const ev of events.length ? events : [e]) {
      if (!this._addPoint(ev)) {
        this._emit("limit", { reason: "points" });
        this._finishStroke();
        return;
      }
    }
    this.requestRedraw();
  }

  _onUp(e) {
    if (e.pointerId !== this._pointerId) return;
    if (this._current && e.type === "pointerup") this._addPoint(e);
    this._finishStroke();
  }

  /** Adds a point unless it is within minDistance of the last one; false at the limit. */
  _addPoint(e, force = false) {
    const pts = this._current;
    if (this.pointCount >= this.limits.maxPoints) return false;
    const rect = this._rect || this.canvas.getBoundingClientRect();
    const x = round1(e.clientX - rect.left);
    const y = round1(e.clientY - rect.top);
    const last = pts[pts.length - 1];
    if (!force && last && Math.hypot(x - last[0], y - last[1]) < this.limits.minDistance) {
      return true;
    }
    const t = Math.max(0, Math.round(this._timeOf(e) - this._t0));
    pts.push([x, y, last ? Math.max(t, last[2]) : t]);
    return true;
  }

  _timeOf(e) {
    // Event timestamps share performance.now()'s clock and keep coalesced points exact.
    return e && e.timeStamp > 0 ? e.timeStamp : performance.now();
  }

  _finishStroke() {
    const pts = this._current;
    const id = this._pointerId;
    this._current = null;
    this._pointerId = null;
    this._rect = null;
    if (id !== null && this.canvas.hasPointerCapture?.(id)) {
      try {
        this.canvas.releasePointerCapture(id);
      } catch {
        // Already released by the browser.
      }
    }
    if (!pts || pts.length === 0) return;
    this.strokes.push(pts);
    this._emit("stroke", { points: pts.map((p) => p.slice()) });
    this._changed();
  }

  _abortStroke() {
    if (!this._current) return;
    const id = this._pointerId;
    this._current = null;
    this._pointerId = null;
    this._rect = null;
    if (id !== null && this.canvas.hasPointerCapture?.(id)) {
      try {
        this.canvas.releasePointerCapture(id);
      } catch {
        // Already released.
      }
    }
    this.requestRedraw();
  }

  // ---- drawing ---------------------------------------------------------------

  _drawStroke(pts) {
    const { ctx } = this;
    if (pts.length === 1) {
      ctx.beginPath();
      ctx.arc(pts[0][0], pts[0][1], ctx.lineWidth / 2, 0, Math.PI * 2);
      ctx.fill();
      return;
    }
    // Quadratic curves through the midpoints: smooth, and still passes the ends.
    ctx.beginPath();
    ctx.moveTo(pts[0][0], pts[0][1]);
    for (let i = 1; i < pts.length - 1; i++) {
      const mx = (pts[i][0] + pts[i + 1][0]) / 2;
      const my = (pts[i][1] + pts[i + 1][1]) / 2;
      ctx.quadraticCurveTo(pts[i][0], pts[i][1], mx, my);
    }
    const end = pts[pts.length - 1];
    ctx.lineTo(end[0], end[1]);
    ctx.stroke();
  }

  _drawGuides(g, colors) {
    const { ctx } = this;
    const w = this._cssWidth;
    const line = (y, color, width, dash = []) => {
      ctx.beginPath();
      ctx.setLineDash(dash);
      ctx.lineCap = "butt"; // the ink's round caps would lengthen every dash after a redraw
      ctx.strokeStyle = color;
      ctx.lineWidth = width;
      const yy = Math.round(y) + (width % 2 ? 0.5 : 0);
      ctx.moveTo(0, yy);
      ctx.lineTo(w, yy);
      ctx.stroke();
    };
    line(g.descender, colors.guideFaint, 1, [2, 6]);
    line(g.cap, colors.guide, 2);
    line(g.x, colors.guide, 2, [10, 8]);
    line(g.baseline, colors.baseline, 3);
    ctx.setLineDash([]);
  }

  _drawTracing(g, colors) {
    const { ctx } = this;
    const m = this._metrics();
    const capPx = g.baseline - g.cap;
    const size = capPx / m.capPerEm;
    ctx.save();
    ctx.font = `600 ${size}px ${ROUNDED_FONT}`;
    ctx.textAlign = "center";
    ctx.textBaseline = "alphabetic";
    ctx.globalAlpha = colors.traceAlpha;
    ctx.fillStyle = colors.trace;
    ctx.fillText(this.target, this._cssWidth / 2, g.baseline);
    ctx.restore();
  }

  /** The plan fitted into the box of the model letter as the tracing draws it. */
  _fitPlan(plan) {
    const pts = (plan || []).flat();
    if (!pts.length || !this.target) return [];
    const g = this.guides();
    const { ctx } = this;
    ctx.save();
    ctx.font = `600 ${(g.baseline - g.cap) / this._metrics().capPerEm}px ${ROUNDED_FONT}`;
    const m = ctx.measureText(this.target);
    ctx.restore();
    const cx = this._cssWidth / 2;
    let top = g.baseline - m.actualBoundingBoxAscent;
    let bottom = g.baseline + m.actualBoundingBoxDescent;
    let left = cx - m.actualBoundingBoxLeft;
    let right = cx + m.actualBoundingBoxRight;
    if (!(bottom > top && right > left)) [top, bottom, left, right] = [g.cap, g.baseline, cx - 40, cx + 40];
    const xs = pts.map((p) => p[0]);
    const ys = pts.map((p) => p[1]);
    const pw = Math.max(...xs) - Math.min(...xs) || 1e-3;
    const ph = Math.max(...ys) - Math.min(...ys) || 1e-3;
    const scale = Math.min((right - left) / pw, (bottom - top) / ph);
    const ox = (left + right) / 2 - ((Math.max(...xs) + Math.min(...xs)) / 2) * scale;
    const oy = (top + bottom) / 2 - ((Math.max(...ys) + Math.min(...ys)) / 2) * scale;
    return plan.map((s) => s.map((p) => [ox + p[0] * scale, oy + p[1] * scale]));
  }

  _drawDemo({ strokes, progress, mark }, colors) {
    const { ctx } = this;
    ctx.save();
    ctx.strokeStyle = colors.demo;
    ctx.fillStyle = colors.demo;
    ctx.lineWidth = Math.max(5, Math.min(12, this._cssWidth / 70));
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    strokes.forEach((s, i) => {
      const share = Math.max(0, Math.min(1, progress - i));
      if (share <= 0) return;
      this._drawStroke(s.slice(0, Math.max(1, Math.ceil(s.length * share))));
    });
    if (mark !== null && strokes[mark] && progress >= mark) {
      const s = strokes[mark];
      const a = s[0];
      const b = s[Math.min(3, s.length - 1)]; // the arrow's tip, on the stroke
      const c = s[Math.min(2, s.length - 1)];
      ctx.fillStyle = colors.start;
      ctx.beginPath();
      ctx.arc(a[0], a[1], ctx.lineWidth * 1.3, 0, Math.PI * 2);
      ctx.fill();
      // An arrow head a little way along the stroke, pointing the way the pen goes.
      const angle = Math.atan2(b[1] - c[1], b[0] - c[0]) || Math.atan2(b[1] - a[1], b[0] - a[0]);
      const size = ctx.lineWidth * 2.4;
      const [tx, ty] = b;
      ctx.beginPath();
      ctx.moveTo(tx, ty);
      ctx.lineTo(tx - size * Math.cos(angle - 0.5), ty - size * Math.sin(angle - 0.5));
      ctx.lineTo(tx - size * Math.cos(angle + 0.5), ty - size * Math.sin(angle + 0.5));
      ctx.closePath();
      ctx.fill();
    }
    ctx.restore();
  }

  /** Cap height per em and x-height/cap-height of the tracing font, measured once. */
  _metrics() {
    if (this._fontMetrics) return this._fontMetrics;
    const { ctx } = this;
    let capPerEm = 0.7;
    let xRatio = DEFAULT_X_RATIO;
    ctx.save();
    ctx.font = `600 100px ${ROUNDED_FONT}`;
    const cap = ctx.measureText("H").actualBoundingBoxAscent;
    const xh = ctx.measureText("x").actualBoundingBoxAscent;
    ctx.restore();
    if (cap > 20 && cap < 100) capPerEm = cap / 100;
    if (cap > 0 && xh > 0) xRatio = Math.min(0.75, Math.max(0.5, xh / cap));
    this._fontMetrics = { capPerEm, xRatio };
    return this._fontMetrics;
  }

  _colors() {
    const css = getComputedStyle(this.canvas);
    const v = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
    return {
      paper: v("--ink-paper", "#fffdf7"),
      ink: v("--ink-color", "#1e3a8a"),
      baseline: v("--ink-guide-baseline", "#4b5a78"),
      guide: v("--ink-guide", "#7d8aa6"),
      guideFaint: v("--ink-guide-faint", "#b9c1d3"),
      trace: v("--ink-trace", "#475569"),
      traceAlpha: Number.parseFloat(v("--ink-trace-alpha", "0.18")) || 0.18,
      demo: v("--ink-demo", "rgba(234, 88, 12, 0.75)"),
      start: v("--ink-start", "#15803d"),
    };
  }

  // ---- sizing ----------------------------------------------------------------

  _observeSize() {
    if (typeof ResizeObserver === "function") {
      this._resizeObserver = new ResizeObserver(() => this.resize());
      this._resizeObserver.observe(this.canvas);
    }
    this._onWindowResize = () => this.resize();
    window.addEventListener("resize", this._onWindowResize);
    this._watchDpr();
  }

  _watchDpr() {
    // Browser zoom or moving to another screen changes the ratio without a resize.
    this._dprQuery?.removeEventListener?.("change", this._onDprChange);
    this._onDprChange = () => {
      this.resize();
      this._watchDpr();
    };
    this._dprQuery = window.matchMedia?.(`(resolution: ${window.devicePixelRatio || 1}dppx)`);
    this._dprQuery?.addEventListener?.("change", this._onDprChange);
  }

  _scaleInk(factor) {
    const scale = (s) => {
      for (const p of s) {
        p[0] = round1(p[0] * factor);
        p[1] = round1(p[1] * factor);
      }
    };
    this.strokes.forEach(scale);
    if (this._current) scale(this._current);
    if (this.strokes.length) this._emit("rescale", { factor });
  }

  _changed() {
    this._emit("change", { strokes: this.strokes.length, points: this.pointCount });
    this.requestRedraw();
  }

  _emit(type, detail = {}) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
