// Keyboard shortcuts of the practice page: Ctrl/Cmd+Z undo, Escape or Delete clear,
// Enter submit; never while the student types in a field.

export function bindKeys(doc, { undo, clear, submit }) {
  doc.addEventListener("keydown", (e) => {
    if (e.defaultPrevented || e.isComposing || e.altKey) return;
    const t = e.target;
    const typing =
      t instanceof HTMLElement &&
      (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
    if (typing) return;
    const mod = e.ctrlKey || e.metaKey;
    if (mod && !e.shiftKey && e.key.toLowerCase() === "z") {
      e.preventDefault();
      undo();
    } else if (!mod && (e.key === "Escape" || e.key === "Delete")) {
      e.preventDefault();
      clear();
    } else if (!mod && e.key === "Enter") {
      // Enter on a focused button or link already activates it.
      if (t instanceof HTMLElement && t.closest("button, a, summary")) return;
      e.preventDefault();
      submit();
    }
  });
}

// Keyboard hints are for a keyboard: once the child draws with a finger or a pen, hide them
// (CSS: .ink-practice[data-touch]), where the media queries took the device for a laptop.
export function hideKeysOnTouch(root) {
  root.addEventListener("pointerdown", (e) => {
    if (e.pointerType === "touch" || e.pointerType === "pen") root.dataset.touch = e.pointerType;
  });
}
