// The new-exercise form: only the fields of the kind chosen (characters, words or own name)
// are shown. Without this script every field shows, and the server ignores the others.
(function () {
  const form = document.querySelector("form[data-exercise-form]");
  if (!form) return;
  const rows = (name) => form.querySelectorAll(`.field-name-${name}`);
  const show = (name, visible) => rows(name).forEach((row) => { row.hidden = !visible; });
  function update() {
    const checked = form.querySelector("input[name=kind]:checked");
    if (!checked) return;
    const kind = checked.value;
    show("words", kind === "words");
    show("preset", kind === "characters");
    show("characters", kind === "characters");
  }
  form.addEventListener("change", (event) => {
    if (event.target && event.target.name === "kind") update();
  });
  update();
})();
