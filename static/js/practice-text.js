// What the practice page says: characters read aloud and the server's error codes in words.

export const FRIENDLY_ERRORS = {
  recognizer_unavailable: "Recognition is slow right now, keep drawing",
  too_many_strokes: "That's a lot of strokes! Press Clear to start again.",
  too_many_points: "That's a lot of ink! Press Clear to start again.",
  empty_ink: "Draw something first.",
  rate_limited: "Slow down a little, then try again.",
  just_a_dot: "That's just a dot! Write the whole character.",
  scribble: "That looks like a scribble. Clear it and try again.",
};

/** Refusals that are not a try: the drawing stays for the child to clear or finish. */
export const NOT_A_TRY = new Set(["just_a_dot", "scribble", "empty_ink"]);

export const PRAISE = ["Well done!", "Great writing!", "Brilliant!", "You did it!"];

/** Stars for a passed attempt: 3 for a tidy one, fewer when it only just passed. */
export function starsOf(score) {
  return score >= 90 ? 3 : score >= 75 ? 2 : 1;
}

/** What to say when the canvas refuses more ink ("strokes" or "points"). */
export function limitMessage(reason) {
  return reason === "strokes"
    ? "That's a lot of strokes! Press Undo or Clear to keep going."
    : "That's a lot of ink! Press Undo or Clear to keep going.";
}

/** How a screen reader should say a character: "the letter a", "capital A", "the number 3". */
export function describeChar(ch) {
  if (!ch) return "";
  if (/[0-9]/.test(ch)) return `the number ${ch}`;
  if (/[A-Z]/.test(ch)) return `capital ${ch}`;
  if (/[a-z]/.test(ch)) return `small ${ch}`;
  return `“${ch}”`;
}

/** A result frame's score as shown: a whole number from 0 to 100. */
export function scoreOf(frame) {
  return Math.max(0, Math.min(100, Math.round(Number(frame.score) || 0)));
}
