// Sortable tables on the dashboard: a heading button sorts by its column's data-value.
(function () {
  "use strict";

  // A chart too wide to shrink (the confusion map) keeps its cells readable and scrolls:
  // set here through the CSSOM, as the CSP refuses style attributes.
  document.querySelectorAll("svg[data-min-width]").forEach(function (chart) {
    chart.style.minWidth = parseInt(chart.getAttribute("data-min-width"), 10) + "px";
  });

  function sortTable(table, index, kind, direction) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[index].getAttribute("data-value") || "";
      var y = b.cells[index].getAttribute("data-value") || "";
      var order = kind === "number" ? parseFloat(x) - parseFloat(y) : x.localeCompare(y);
      return direction === "ascending" ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  document.querySelectorAll("table.sortable").forEach(function (table) {
    var headings = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(headings, function (th, index) {
      var button = th.querySelector("button[data-sort]");
      if (!button) return;
      button.addEventListener("click", function () {
        // Numbers start high (best first), names start at A.
        var first = button.dataset.sort === "number" ? "descending" : "ascending";
        var current = th.getAttribute("aria-sort");
        var next = current === first ? (first === "ascending" ? "descending" : "ascending") : first;
        Array.prototype.forEach.call(headings, function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", next);
        sortTable(table, index, button.dataset.sort, next);
      });
    });
  });
})();
