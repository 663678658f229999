// Buttons that need a line of script, kept in a file (the CSP allows no inline script):
// [data-copy="ID"] copies the text of the input ID; [data-print] prints the page.
(function () {
  "use strict";

  function copied(button, text) {
    var label = button.textContent;
    button.textContent = text;
    window.setTimeout(function () { button.textContent = label; }, 2000);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy], [data-print]");
    if (!button) return;
    if (button.hasAttribute("data-print")) {
      window.print();
      return;
    }
    var input = document.getElementById(button.getAttribute("data-copy"));
    if (!input) return;
    input.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(
        function () { copied(button, "Copied ✓"); },
        function () { copied(button, "Press Ctrl+C"); }
      );
    } else {
      // Plain HTTP (a school's own server): the selection is made, the browser copies it.
      copied(button, document.execCommand("copy") ? "Copied ✓" : "Press Ctrl+C");
    }
  });
})();
