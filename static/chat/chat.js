/* The class room: one socket, messages rendered as text (never HTML), reconnects that ask
   for what was missed (after=<last id>), "load earlier", presence and the teacher's tools. */
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("chat-config").textContent);
  const list = document.getElementById("chat-messages");
  const scroller = document.getElementById("chat-scroll");
  const status = document.getElementById("chat-status");
  const earlier = document.getElementById("load-earlier");
  const empty = document.getElementById("chat-empty");
  const form = document.getElementById("chat-form");
  const input = document.getElementById("chat-input");
  const send = document.getElementById("chat-send");
  const count = document.getElementById("chat-count");
  const errorBox = document.getElementById("chat-error");
  const presence = document.getElementById("chat-presence");
  const closedBanner = document.getElementById("room-closed");
  const mutedBanner = document.getElementById("muted-banner");
  const toggle = document.getElementById("room-toggle");
  const seen = new Map();  // id -> <li>
  let lastId = 0;
  let oldestId = null;
  let socket = null;
  let retry = 500;
  let canPost = !!send && !send.disabled;

  const URL_RE = /\bhttps?:\/\/[^\s<>"']+/g;

  function textWithLinks(parent, text) {
    // Links are shown as links (never fetched or previewed); everything else is text.
    let at = 0;
    for (const match of text.matchAll(URL_RE)) {
      parent.append(document.createTextNode(text.slice(at, match.index)));
      const a = document.createElement("a");
      a.href = match[0];
      a.textContent = match[0];
      a.rel = "nofollow noopener noreferrer";
      a.target = "_blank";
      parent.append(a);
      at = match.index + match[0].length;
    }
    parent.append(document.createTextNode(text.slice(at)));
  }

  const STICKERS = {star: "⭐", thumbs_up: "👍", rocket: "🚀", pencil: "✏️"};

  function render(m) {
    const li = document.createElement("li");
    li.className = `chat-message role-${m.role} kind-${m.kind || "text"}`;
    li.dataset.id = m.id;
    if (m.private) li.classList.add("is-private");
    const head = document.createElement("div");
    head.className = "chat-meta";
    const who = document.createElement("strong");
    who.textContent = m.author;
    head.append(who);
    if (m.role !== "student") {
      const badge = document.createElement("span");
      badge.className = "role-badge";
      badge.textContent = m.role;
      head.append(badge);
    }
    const when = document.createElement("time");
    when.dateTime = m.created_at;
    when.textContent = new Date(m.created_at).toLocaleTimeString([], {hour: "2-digit", minute: "2-digit"});
    head.append(when);
    if (m.private) {
      const only = document.createElement("span");
      only.className = "muted";
      // The teacher sees whom a comment was for; the student that it is theirs alone.
      if (m.kind === "feedback") only.textContent = config.canModerate ? `to ${m.to}` : "just for you";
      else only.textContent = "only you";
      head.append(only);
    }
    li.append(head);
    const body = document.createElement("p");
    body.className = "chat-body";
    if (m.removed) {
      li.classList.add("is-removed");
      body.textContent = "Message removed by the teacher.";
    } else {
      if (m.sticker && STICKERS[m.sticker]) {
        const s = document.createElement("span");
        s.className = "chat-sticker";
        s.textContent = STICKERS[m.sticker] + " ";
        body.append(s);
      }
      textWithLinks(body, m.body);
    }
    li.append(body);
    if (m.attempt && !m.removed) {
      const a = document.createElement("a");
      a.className = "chat-attempt";
      a.href = m.attempt.url;
      a.textContent = `Your “${m.attempt.target}”` + (m.attempt.score != null ? ` · score ${m.attempt.score}` : "") + " →";
      li.append(a);
    }
    if (config.canModerate && !m.removed && m.role !== "bot") {
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "button button-quiet chat-remove";
      remove.textContent = "Remove";
      remove.setAttribute("aria-label", `Remove the message from ${m.author}`);
      remove.addEventListener("click", () => sendFrame({type: "remove", id: m.id}));
      li.append(remove);
    }
    return li;
  }

  function nearBottom() {
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
  }

  function add(m) {
    if (seen.has(m.id)) return;
    const stick = nearBottom();
    const li = render(m);
    seen.set(m.id, li);
    list.append(li);
    lastId = Math.max(lastId, m.id);
    if (oldestId === null || m.id < oldestId) oldestId = m.id;
    empty.hidden = true;
    if (stick) scroller.scrollTop = scroller.scrollHeight;
  }

  function prepend(messages) {
    const before = scroller.scrollHeight;
    for (const m of messages.slice().reverse()) {
      if (seen.has(m.id)) continue;
      const li = render(m);
      seen.set(m.id, li);
      list.prepend(li);
      oldestId = oldestId === null ? m.id : Math.min(oldestId, m.id);
    }
    scroller.scrollTop += scroller.scrollHeight - before;
  }

  function removed(id) {
    const li = seen.get(id);
    if (!li) return;
    li.classList.add("is-removed");
    li.querySelector(".chat-body").textContent = "Message removed by the teacher.";
    li.querySelectorAll(".chat-attempt, .chat-remove").forEach((el) => el.remove());
  }

  function setState(frame) {
    closedBanner.hidden = !frame.closed;
    if (toggle) {
      toggle.dataset.closed = String(frame.closed);
      toggle.textContent = frame.closed ? "Open the room" : "Close the room";
    }
    if (frame.muted_until) {
      const until = new Date(frame.muted_until).toLocaleTimeString([], {hour: "2-digit", minute: "2-digit"});
      mutedBanner.textContent = `Your teacher has paused your messages until ${until}.`;
      mutedBanner.hidden = false;
    } else {
      mutedBanner.hidden = true;
    }
    canPost = frame.can_post;
    if (input) input.disabled = !canPost;
    if (send) send.disabled = !canPost;
    if (earlier && "earlier" in frame) earlier.hidden = !frame.earlier;
  }

  function showPresence(here) {
    presence.replaceChildren();
    for (const person of here) {
      const li = document.createElement("li");
      li.textContent = person.name;
      if (person.role === "teacher") {
        const badge = document.createElement("span");
        badge.className = "role-badge";
        badge.textContent = "teacher";
        li.append(badge);
      }
      presence.append(li);
    }
    if (!here.length) presence.innerHTML = '<li class="muted">Nobody yet</li>';
  }

  function showError(message) {
    if (!errorBox) return;
    errorBox.textContent = message;
    errorBox.hidden = false;
    setTimeout(() => { errorBox.hidden = true; }, 6000);
  }

  function sendFrame(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
  }

  function setStatus(state, text) {
    status.dataset.state = state;
    status.textContent = text;
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const query = lastId ? `?after=${lastId}` : "";
    socket = new WebSocket(`${scheme}://${location.host}${config.socketPath}${query}`);
    setStatus("connecting", "Connecting…");
    socket.addEventListener("open", () => { retry = 500; setStatus("open", "Connected"); });
    socket.addEventListener("message", (event) => {
      const frame = JSON.parse(event.data);
      if (frame.type === "message") add(frame);
      else if (frame.type === "removed") removed(frame.id);
      else if (frame.type === "history") { prepend(frame.messages); earlier.hidden = !frame.earlier; }
      else if (frame.type === "room") { setState(frame); if (!seen.size) empty.hidden = false; }
      else if (frame.type === "presence") showPresence(frame.here);
      else if (frame.type === "error") showError(frame.message);
    });
    socket.addEventListener("close", (event) => {
      if (event.code === 4401 || event.code === 4403) {
        setStatus("closed", event.code === 4401 ? "Log in again to chat" : "Not allowed");
        return;
      }
      setStatus("closed", "Reconnecting…");
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 10000);
    });
  }

  if (form) {
    input.addEventListener("input", () => { count.textContent = `${input.value.length}/${config.maxChars}`; });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); form.requestSubmit(); }
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const body = input.value.trim();
      if (!body || !canPost) return;
      const clientId = (crypto.randomUUID ? crypto.randomUUID() : String(Date.now() + Math.random()));
      sendFrame({type: "message", body, client_id: clientId});
      input.value = "";
      count.textContent = `0/${config.maxChars}`;
    });
  }
  if (earlier) earlier.addEventListener("click", () => { if (oldestId) sendFrame({type: "history", before: oldestId}); });
  if (toggle) toggle.addEventListener("click", () => sendFrame({type: toggle.dataset.closed === "true" ? "open" : "close"}));
  const muteForm = document.getElementById("mute-form");
  if (muteForm) {
    const who = () => Number(document.getElementById("mute-student").value);
    muteForm.addEventListener("submit", (event) => {
      event.preventDefault();
      sendFrame({type: "mute", student_id: who(), minutes: Number(document.getElementById("mute-minutes").value)});
    });
    document.getElementById("unmute").addEventListener("click", () => sendFrame({type: "unmute", student_id: who()}));
  }
  connect();
})();
