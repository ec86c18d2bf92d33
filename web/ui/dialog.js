// The page's questions, asked in the page: a modal <dialog> named by its
// heading and described by its text, with a button that does what it
// asks and Cancel, and, for a question that takes one, a labelled box
// for a note (a Hold's). window.confirm() and window.prompt() stopped
// every script of the page while they were open (the Queue's poll with
// them), were read by a screen reader as bare text, could not say which
// button deletes, and put their question, their text and a note's label
// in one run of plain text.
import { h, clear, focusPlace } from "./dom.js";

// askDialog builds a page's one dialog, to append to the page outside
// whatever a poll redraws: a redraw then leaves it open, its focus and
// what was typed in it. ask(q) shows it with
//   title  the heading: strings and elements, as h takes them;
//   text   what it does, plain text: paragraphs between blank lines, and
//          lines kept (a message's From, To and Subject);
//   yes    the button that does it ("Delete"), danger for one that
//          deletes (the focus then starts on Cancel, as it does on a
//          destructive question, so that a stray Enter deletes nothing);
//   note   the label of a note's box, when it takes one;
// and resolves to the note typed, trimmed ("" without a box), on yes; to
// null on Cancel, Escape or any other close.
//
// The focus goes back to the control that had it when the dialog opened
// (the browser does that), or, when a redraw replaced that control
// meanwhile, to its twin, the button of the same id or name (twinOf); a
// caller may put it elsewhere once answered, and has the last word.
export function askDialog() {
  const title = h("h2", { id: "ask-dialog-title" });
  const about = h("div", { id: "ask-dialog-about", class: "ask-text" });
  const label = h("label", { for: "ask-note" });
  const note = h("input", { type: "text", id: "ask-note", name: "note", autocomplete: "off", spellcheck: "true" });
  const noteBox = h("div", { class: "ask-note" }, label, note);
  const yes = h("button", { type: "submit", id: "ask-dialog-yes" });
  const no = h("button", { type: "button", id: "ask-dialog-cancel" }, "Cancel");
  // Enter in the box says yes, as a prompt's OK did.
  const form = h("form", {}, title, about, noteBox, h("div", { class: "choices" }, yes, " ", no));
  const el = h("dialog", { id: "ask-dialog", "aria-labelledby": "ask-dialog-title", "aria-describedby": "ask-dialog-about" }, form);
  let answer = null;
  let opener = null;
  // end closes the dialog, which puts the focus back where it was, and
  // then answers: the caller's focus, put after, has the last word. The
  // answer does not wait for the close event, which comes later, in a
  // task of its own: a button pressed again before it came found its
  // row's actions still busy with this question, and did nothing.
  const end = (v) => {
    el.close();
    const was = opener;
    opener = null;
    if (was && !was.isConnected) {
      const twin = twinOf(was);
      if (twin) focusPlace(twin);
    }
    const f = answer;
    answer = null;
    if (f) f(v);
  };
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    end(noteBox.hidden ? "" : note.value.trim());
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
    ask(q) {
      if (answer) end(null); // a question still open (it cannot be, being modal) is cancelled
      clear(title).append(h("span", {}, q.title));
      clear(about).append(...paragraphs(q.text || ""));
      about.hidden = !q.text;
      yes.textContent = q.yes || "OK";
      yes.className = q.danger ? "danger" : "";
      noteBox.hidden = !q.note;
      label.textContent = q.note || "";
      note.value = "";
      const at = document.activeElement;
      if (!el.open) el.showModal();
      opener = at && at !== document.body ? at : null;
      (q.note ? note : q.danger ? no : yes).focus();
      return new Promise((resolve) => { answer = resolve; });
    },
    // confirm is ask for a yes or no: true on yes.
    confirm(q) {
      return this.ask(q).then((v) => v !== null);
    },
  };
}

// question is a question written as plain text, its first paragraph the
// heading (what is asked), the rest its text, as {title, text} for ask;
// more (yes, danger) goes with them.
export function question(plain, more) {
  const s = String(plain);
  const cut = s.indexOf("\n\n");
  return { title: cut < 0 ? s : s.slice(0, cut), text: cut < 0 ? "" : s.slice(cut + 2), ...more };
}

// paragraphs is text as <p>s, one per run of lines between blank lines;
// the lines of each stay lines (the class ask-text keeps its breaks).
function paragraphs(text) {
  return String(text).split(/\n{2,}/).filter((p) => p.trim()).map((p) => h("p", {}, p));
}

// twinOf is the button a redraw put in place of b, which it removed: the
// one with b's id, else with its accessible name (aria-label, which each
// row's button has: "Remove bob@example.test"), else with its text and
// data-rcpt or data-dest; null when there is none.
export function twinOf(b) {
  if (b.id) return document.getElementById(b.id);
  const same = (x) => x !== b && x.isConnected && !x.hidden && !x.disabled;
  const all = [...document.querySelectorAll("main button")].filter(same);
  const name = b.getAttribute("aria-label");
  if (name) return all.find((x) => x.getAttribute("aria-label") === name) || null;
  const key = (x) => [x.textContent, x.dataset.rcpt || "", x.dataset.dest || ""].join("\u0000");
  return all.find((x) => key(x) === key(b)) || null;
}
