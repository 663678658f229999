// "Live now": the class's attempts arrive over /ws/classes/<id>/live/ as they are checked.
(function () {
  "use strict";
  var panel = document.getElementById("live-now");
  if (!panel || !window.WebSocket) return;
  var list = document.getElementById("live-list");
  var status = document.getElementById("live-status");
  var attemptUrl = panel.dataset.attemptUrl; // ".../attempts/0/": 0 is replaced by the id
  var PER_STUDENT = 5;
  var QUIET_MS = 5 * 60 * 1000; // after 5 minutes without an attempt, a student is not "now"
  var delay = 1000;

  function dropQuiet() {
    var now = Date.now();
    list.querySelectorAll(".live-student").forEach(function (row) {
      if (now - Date.parse(row.dataset.last) > QUIET_MS) row.remove();
    });
    if (!list.querySelector(".live-student") && !list.querySelector(".live-empty")) {
      var empty = document.createElement("li");
      empty.className = "live-empty muted";
      empty.textContent = "Nobody is practising right now.";
      list.appendChild(empty);
    }
  }
  setInterval(dropQuiet, 30000);

  function setStatus(state, text) {
    status.dataset.state = state;
    status.textContent = text;
  }

  function attemptLink(event) {
    var link = document.createElement("a");
    var state = event.correct === true ? "is-correct" : event.correct === false ? "is-wrong" : "is-pending";
    link.className = "live-attempt " + state + " is-new";
    link.href = attemptUrl.replace("/0/", "/" + event.attempt_id + "/");
    link.textContent = event.target;
    link.title = event.target + ": " + (event.label ? "read as " + event.label : "not recognised");
    link.dataset.attempt = event.attempt_id;
    return link;
  }

  function show(event) {
    var empty = list.querySelector(".live-empty");
    if (empty) empty.remove();
    var row = list.querySelector('.live-student[data-student="' + event.student_id + '"]');
    if (!row) {
      row = document.createElement("li");
      row.className = "live-student";
      row.dataset.student = event.student_id;
      var name = document.createElement("span");
      name.className = "live-name";
      name.textContent = event.student_name;
      var attempts = document.createElement("span");
      attempts.className = "live-attempts";
      row.appendChild(name);
      row.appendChild(attempts);
    }
    row.dataset.last = new Date().toISOString();
    var box = row.querySelector(".live-attempts");
    if (box.querySelector('[data-attempt="' + event.attempt_id + '"]')) return;
    box.insertBefore(attemptLink(event), box.firstChild);
    while (box.children.length > PER_STUDENT) box.removeChild(box.lastChild);
    list.insertBefore(row, list.firstChild); // the latest writer goes to the top
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + panel.dataset.wsUrl);
    socket.addEventListener("open", function () {
      delay = 1000;
      setStatus("open", "Live: new attempts appear here.");
    });
    socket.addEventListener("message", function (message) {
      var event = JSON.parse(message.data);
      if (event.type === "attempt") show(event);
    });
    socket.addEventListener("close", function (closed) {
      if (closed.code === 4401 || closed.code === 4403) {
        setStatus("closed", "Live updates are not available to you.");
        return;
      }
      setStatus("reconnecting", "Reconnecting…");
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    });
  }
  connect();
})();
