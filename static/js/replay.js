// Replays an attempt's strokes with their real timing (points are [x, y, t], t in ms since
// the drawing started); old ink without t is replayed at an even pace.
(function () {
  "use strict";
  var canvas = document.getElementById("replay-canvas");
  var data = document.getElementById("replay-data");
  if (!canvas || !data) return;
  var replay = JSON.parse(data.textContent);
  var strokes = (replay.strokes || []).filter(function (s) { return s.length > 0; });
  var playButton = document.getElementById("replay-play");
  var speedSelect = document.getElementById("replay-speed");
  var position = document.getElementById("replay-position");
  var info = document.getElementById("replay-info");
  if (!strokes.length) {
    document.getElementById("replay-info").textContent = "No strokes stored for this attempt.";
    return;
  }
  var COLOURS = ["#2f4bb3", "#a3222b", "#1d6b3a", "#8a4f00", "#6b2fa3", "#00666e"];
  var EVEN_STEP = 16, EVEN_GAP = 250, LONGEST_PAUSE = 1500;

  // Timings: real ones when every point has t, else an even pace. Long pauses between
  // strokes are shortened so that a replay never sits idle.
  var timed = strokes.every(function (s) {
    return s.every(function (p) { return p.length > 2 && isFinite(p[2]); });
  });
  var times = [];
  var clock = 0, previousEnd = null;
  strokes.forEach(function (stroke) {
    var offset = null, row = [];
    stroke.forEach(function (p, i) {
      var t;
      if (timed) {
        if (offset === null) {
          var gap = previousEnd === null ? 0 : Math.max(0, p[2] - previousEnd);
          offset = clock + Math.min(gap, LONGEST_PAUSE) - p[2];
        }
        t = p[2] + offset;
      } else {
        t = clock + (i === 0 && previousEnd !== null ? EVEN_GAP : 0) + i * EVEN_STEP;
      }
      row.push(Math.max(t, row.length ? row[row.length - 1] : t));
    });
    clock = row[row.length - 1];
    previousEnd = timed ? stroke[stroke.length - 1][2] : clock;
    times.push(row);
  });
  var duration = Math.max(clock, 1);

  // Fit the drawing into the canvas, keeping its proportions.
  var xs = [], ys = [];
  strokes.forEach(function (s) { s.forEach(function (p) { xs.push(p[0]); ys.push(p[1]); }); });
  var minX = Math.min.apply(null, xs), maxX = Math.max.apply(null, xs);
  var minY = Math.min.apply(null, ys), maxY = Math.max.apply(null, ys);
  var ratio = window.devicePixelRatio || 1;
  var cssSize = canvas.clientWidth || 480;
  canvas.width = cssSize * ratio;
  canvas.height = cssSize * ratio;
  var ctx = canvas.getContext("2d");
  ctx.scale(ratio, ratio);
  var pad = 36;
  var span = Math.max(maxX - minX, maxY - minY, 1);
  var scale = (cssSize - 2 * pad) / span;
  var left = (cssSize - (maxX - minX) * scale) / 2, top = (cssSize - (maxY - minY) * scale) / 2;
  function at(p) { return [left + (p[0] - minX) * scale, top + (p[1] - minY) * scale]; }

  function draw(now) {
    ctx.clearRect(0, 0, cssSize, cssSize);
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    strokes.forEach(function (stroke, k) {
      if (times[k][0] > now) return;
      var colour = COLOURS[k % COLOURS.length];
      ctx.strokeStyle = colour;
      ctx.lineWidth = 6;
      ctx.beginPath();
      var start = at(stroke[0]);
      ctx.moveTo(start[0], start[1]);
      var last = start;
      for (var i = 1; i < stroke.length && times[k][i] <= now; i++) {
        last = at(stroke[i]);
        ctx.lineTo(last[0], last[1]);
      }
      ctx.stroke();
      // Where the stroke starts: a badge with its number in the order of writing.
      ctx.fillStyle = colour;
      ctx.beginPath();
      ctx.arc(start[0], start[1], 11, 0, 2 * Math.PI);
      ctx.fill();
      ctx.font = "bold 14px system-ui, sans-serif";
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      ctx.fillStyle = "#fff";
      ctx.fillText(String(k + 1), start[0], start[1] + 1);
      if (now < times[k][stroke.length - 1]) { // the pen, while it moves
        ctx.fillStyle = "#1c2233";
        ctx.beginPath();
        ctx.arc(last[0], last[1], 4, 0, 2 * Math.PI);
        ctx.fill();
      }
    });
  }

  var current = duration, playing = false, lastFrame = null;
  function setState(state) {
    canvas.dataset.state = state;
    playButton.dataset.state = state;
    playButton.textContent = state === "playing" ? "❚❚ Pause" : "▶ Play";
  }
  function frame(stamp) {
    if (!playing) return;
    if (lastFrame !== null) current += (stamp - lastFrame) * parseFloat(speedSelect.value);
    lastFrame = stamp;
    if (current >= duration) {
      current = duration;
      playing = false;
      setState("ended");
    }
    position.value = Math.round(1000 * current / duration);
    draw(current);
    if (playing) requestAnimationFrame(frame);
  }
  function play() {
    if (current >= duration) current = 0;
    playing = true;
    lastFrame = null;
    setState("playing");
    requestAnimationFrame(frame);
  }
  function pause() {
    playing = false;
    setState("paused");
  }
  playButton.addEventListener("click", function () { if (playing) pause(); else play(); });
  position.addEventListener("input", function () {
    current = duration * position.value / 1000;
    draw(current);
  });

  info.textContent = strokes.length + " stroke" + (strokes.length === 1 ? "" : "s") + ", " +
    xs.length + " points, " + (duration / 1000).toFixed(1) + " s" +
    (timed ? " (real timing)" : " (no timings stored: even pace)");
  canvas.dataset.duration = String(Math.round(duration));
  canvas.dataset.strokes = String(strokes.length);
  draw(current);
  setState("paused");
})();
