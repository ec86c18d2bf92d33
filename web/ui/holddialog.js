// The question a Hold asks, in the page: a modal <dialog> named by its
// heading, a labelled box for the optional note, and Hold and Cancel.
// window.prompt() stopped every script of the page while it was open
// (the Queue's poll with them), was read by a screen reader as a bare
// text box, and put its question and its note's label in one run of text.
import { h, clear } from "./dom.js";

// holdDialog builds the page's one Hold dialog. ask(parts) shows it with
// the heading parts (strings and elements, as h takes them) and resolves
// to the note typed, trimmed ("" for none), on Hold; to null on Cancel,
// Escape or any other close. The caller puts the focus back where it
// belongs: the button that opened it may have been redrawn meanwhile.
export function holdDialog() {
  const title = h("h2", { id: "hold-dialog-title" });
  const note = h("input", { type: "text", id: "hold-note", name: "note", autocomplete: "off", spellcheck: "true" });
  const yes = h("button", { type: "submit", id: "hold-dialog-hold" }, "Hold");
  const no = h("button", { type: "button", id: "hold-dialog-cancel" }, "Cancel");
  // Enter in the box holds, as the prompt's OK did.
  const form = h("form", {}, title,
    h("p", { id: "hold-dialog-about", class: "muted" }, "The relay sends it nothing until it is released, and it does not expire while held."),
    h("label", { for: "hold-note" }, "Note (optional, shown with the hold)"), note,
    h("div", { class: "choices" }, yes, " ", no));
  const el = h("dialog", { id: "hold-dialog", "aria-labelledby": "hold-dialog-title", "aria-describedby": "hold-dialog-about" }, form);
  let answer = null;
  // end closes the dialog, which puts the focus back where it was, and
  // then answers: the caller's focus, put after, has the last word. The
  // answer does not wait for the close event, which comes later, in a
  // task of its own: a Hold pressed again before it came found the
  // message's actions still busy with this question, and did nothing.
  const end = (v) => {
    el.close();
    const f = answer;
    answer = null;
    if (f) f(v);
  };
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    end(note.value.trim());
  });
  no.addEventListener("click", () => end(null));
  // Escape is a Cancel (the browser would close the dialog itself).
  el.addEventListener("cancel", (ev) => {
    ev.preventDefault();
    end(null);
  });
  // A close by other means (dialog.close() from elsewhere) is one too;
  // the late close event of a question answered, after the next one has
  // opened the dialog again, is not.
  el.addEventListener("close", () => { if (!el.open) end(null); });
  return {
    el,
    ask(parts) {
      if (answer) end(null); // a question still open (it cannot be, being modal) is cancelled
      clear(title).append(h("span", {}, parts));
      note.value = "";
      if (!el.open) el.showModal();
      note.focus();
      return new Promise((resolve) => { answer = resolve; });
    },
  };
}
