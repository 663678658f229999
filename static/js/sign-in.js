// A class's sign-in page: the child taps two pictures, which fill the slots in order; the
// second sends them. Nothing is kept once the page is left (no storage, no URL).
(function () {
  "use strict";
  const form = document.querySelector("[data-sign-in-form][data-kind='pictures']");
  if (!form) return;
  const answer = form.querySelector("input[name='answer']");
  const slots = Array.from(form.querySelectorAll("[data-slot]"));
  const again = form.querySelector("[data-again]");
  const buttons = Array.from(form.querySelectorAll("[data-picture]"));
  let picked = [];

  function show() {
    slots.forEach(function (slot, i) {
      const old = slot.querySelector("img");
      if (old) old.remove();
      slot.classList.toggle("filled", Boolean(picked[i]));
      if (picked[i]) {
        const img = document.createElement("img");
        img.src = picked[i].src;
        img.alt = picked[i].name;
        slot.append(img);
      }
    });
    again.hidden = picked.length === 0 || picked.length === slots.length;
  }

  buttons.forEach(function (button) {
    button.addEventListener("click", function () {
      if (picked.length >= slots.length) return;
      picked.push({ name: button.dataset.picture, src: button.querySelector("img").src });
      show();
      if (picked.length === slots.length) {
        answer.value = picked.map(function (p) { return p.name; }).join(",");
        form.classList.add("checking");
        buttons.forEach(function (b) { b.disabled = true; });
        form.submit();
      }
    });
  });
  again.addEventListener("click", function () {
    picked = [];
    show();
  });
  // Back from the next page (bfcache): start afresh, not half-sent.
  window.addEventListener("pageshow", function () {
    picked = [];
    answer.value = "";
    form.classList.remove("checking");
    buttons.forEach(function (b) { b.disabled = false; });
    show();
  });
})();
