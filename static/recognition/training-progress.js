// Live training progress on a model version's admin page: polls the progress endpoint.
// Admin media load in the page's head, before the box exists: start once the page is parsed.
document.addEventListener("DOMContentLoaded", function () {
  const box = document.getElementById("training-progress");
  if (!box) return;
  const done = new Set(["ready", "failed", "active", "retired"]);
  async function poll() {
    try {
      const response = await fetch(box.dataset.url, { credentials: "same-origin" });
      if (response.ok) {
        const data = await response.json();
        box.textContent = data.text;
        if (done.has(data.status)) {
          if (box.dataset.status && box.dataset.status !== data.status) window.location.reload();
          return;
        }
        box.dataset.status = data.status;
      }
    } catch (err) {
      /* the next poll tries again */
    }
    window.setTimeout(poll, 2000);
  }
  poll();
});
