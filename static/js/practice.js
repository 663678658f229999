// Practice / free-drawing page, entry point: reads the page's config and starts the page.
// Markup: templates/recognition/_canvas.html. The parts: practice-page.js (the flow),
// practice-view.js (the markup kept up to date), practice-keys.js, practice-text.js,
// ink-canvas.js (drawing), ink-socket.js (the live protocol).
//
// Config comes from <script type="application/json" id="practice-config">:
//   {"mode": "practice"|"free", "ws_url": "/ws/practice/12/", "targets": ["a", ...],
//    "show_tracing": true, "models": {"a": [[[x, y], ...], ...]}, "speak": false,
//    "progress": {"done": 3, "total": 10}, "word": {"text": "cat", "index": 0} (words only)}

import { PracticePage, validWord } from "./practice-page.js";

const LOGIN_URL = "/accounts/login/";

export function readConfig(doc = document) {
  const blob = doc.getElementById("practice-config");
  const config = blob ? JSON.parse(blob.textContent) || {} : {};
  // No socket path means free drawing on /ws/recognize/.
  const mode = !config.ws_url || config.mode === "free" ? "free" : "practice";
  return {
    mode,
    wsUrl: config.ws_url || "/ws/recognize/",
    targets: (Array.isArray(config.targets) ? config.targets : []).map(String),
    showTracing: mode === "practice" && config.show_tracing === true,
    models: config.models && typeof config.models === "object" ? config.models : {},
    speak: config.speak === true,
    progress: config.progress && Number(config.progress.total) ? config.progress : null,
    word: validWord(config.word),
    loginUrl: LOGIN_URL,
  };
}

const root = document.getElementById("practice");
if (root) new PracticePage(root, readConfig());
