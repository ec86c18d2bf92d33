// DOM helpers. Every value, and above all every value that comes from mail,
// goes into the page as text (textContent, setAttribute on a short list of
// safe attributes), never as HTML.

const SAFE_ATTRS = new Set(["class", "id", "title", "type", "name", "value", "placeholder",
  "for", "rows", "cols", "spellcheck", "colspan", "rowspan", "role", "aria-label", "aria-labelledby", "aria-describedby", "autocomplete", "checked", "disabled",
  "sandbox", "referrerpolicy", "loading", "data-id", "data-kind", "data-label", "data-rcpt", "min", "max", "dir", "scope"]);

// h builds an element: h("a", {href: "#/x", class: "c"}, "text", child...).
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "href" || k === "src") {
      el.setAttribute(k, safeURL(v));
    } else if (SAFE_ATTRS.has(k)) {
      el.setAttribute(k, v === true ? "" : String(v));
    } else {
      throw new Error("dom: attribute not allowed: " + k);
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else appendText(el, String(c));
  }
}

// The bidirectional controls of UAX #9 (embeddings and overrides
// U+202A-U+202E, isolates U+2066-U+2069, the marks U+200E, U+200F and
// U+061C): the characters internal/textsafe escapes on a terminal, as
// TestBrowserBidi checks. With them a name reads backwards ("gnp.exe" as
// "exe.png") and the text after it with it.
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const BIDI_ALL = new RegExp(BIDI.source, "g");

// isBidiControl says whether ch is one of those controls.
export function isBidiControl(ch) {
  return BIDI.test(String(ch));
}

// dialogText is v for a question of the page's dialog or a line of
// plain text, where a direction control from the mail would turn the
// text around: each is written as its token, ⟨U+202E⟩.
export function dialogText(v) {
  return [...String(v)].map((c) => (isBidiControl(c) ? "⟨U+" + c.codePointAt(0).toString(16).toUpperCase().padStart(4, "0") + "⟩" : c)).join("");
}

// deleteDialog is the question a Delete asks in the page's dialog
// (dialog.js), as plain text: the title (what is deleted, the dialog's
// heading), the message's sender, its first three recipients (noTo when
// it has none) and its subject, and what deleting does.
export function deleteDialog(title, from, to, subject, noTo, after) {
  const rcpts = (to || []).map(dialogText);
  const list = rcpts.length <= 3 ? rcpts.join(", ") : rcpts.slice(0, 3).join(", ") + " and " + (rcpts.length - 3) + " more";
  let subj = subject ? dialogText(subject) : "";
  if (subj.length > 80) subj = subj.slice(0, 79) + "…";
  return title + "\n\n" +
    "From: " + (from ? dialogText(from) : "<> (the null sender)") + "\n" +
    "To: " + (list || noTo) + "\n" +
    (subj ? "Subject: " + subj + "\n" : "") +
    "\n" + after;
}

// bidiControls are the controls text holds, each once, as "U+202E".
export function bidiControls(text) {
  return [...new Set(String(text).match(BIDI_ALL) || [])].map(codePoint);
}

function codePoint(ch) {
  return "U+" + ch.codePointAt(0).toString(16).toUpperCase().padStart(4, "0");
}

// appendText puts text in el. Every text goes in through here, so a
// direction control, from mail or a peer, is nowhere applied: each is
// shown where it stands as a marked token, ⟨U+202E⟩, that says what it is.
function appendText(el, text) {
  if (!BIDI.test(text)) {
    el.appendChild(document.createTextNode(text));
    return;
  }
  let at = 0;
  for (const m of text.matchAll(BIDI_ALL)) {
    if (m.index > at) el.appendChild(document.createTextNode(text.slice(at, m.index)));
    const cp = codePoint(m[0]);
    el.appendChild(h("span", { class: "bidi-ctl", title: cp + ", a direction control, shown instead of applied: it turns the text after it around, which phishing uses to disguise names" }, "⟨" + cp + "⟩"));
    at = m.index + m[0].length;
  }
  if (at < text.length) el.appendChild(document.createTextNode(text.slice(at)));
}

// iso is a value from a message or a peer (a subject, an address, a
// header, a HELO, a reply's text) isolated from what is around it: it
// keeps its own direction, and an Arabic or Hebrew value does not move
// the words beside it. Each invisible character in it is shown where it
// stands as a marked ⟨U+200B⟩, as marked shows one, but for a joiner that
// has its work where it stands (joins): a subject "pay\u200bpal" does not
// read as "paypal", and an emoji sequence (👩‍💻) or a Persian word keeps
// its joiners.
export function iso(v) {
  if (v instanceof Node) return h("bdi", {}, v);
  return h("bdi", {}, invisibles(v === undefined || v === null ? "" : String(v), joins));
}

// marked is a value from mail or a peer (an envelope address, a header
// field, a line of a transcript, a HELO) isolated as iso isolates it,
// with each invisible character in it shown where it stands as a marked
// ⟨U+200B⟩, as addr shows one in the lists: a message's page and a
// session's transcript do not make "pay\u200bpal@shop.test" look like
// paypal@shop.test either. Unlike iso it marks every joiner too: an
// address or a field has no emoji sequence to keep whole.
export function marked(v) {
  return h("bdi", {}, invisibles(v === undefined || v === null ? "" : String(v)));
}

// Where a joiner does its work: a zero width joiner (U+200D) between an
// emoji (with its modifier or variation selector) and the next emoji of
// its sequence (👩‍💻, 🏳️‍🌈, 👨🏽‍🦰), and a zero width non-joiner or
// joiner (U+200C, U+200D) between two letters of a script that writes
// with them (Persian "می‌خواهم", the Indic scripts). Between Latin, Greek
// or Cyrillic letters, which have no use for one, a joiner is what makes
// a name pass for another, and is marked.
const EMOJI_END = /[\p{Extended_Pictographic}\p{Emoji_Modifier}\ufe0f\u20e3]/u;
const EMOJI_START = /\p{Extended_Pictographic}/u;
const LETTER = /[\p{L}\p{M}]/u;
const NO_JOINERS = /[\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}]/u;

// joins says whether the invisible character ch at index i of text is a
// joiner where it has its work.
function joins(text, i, ch) {
  if (ch !== "\u200c" && ch !== "\u200d") return false;
  const before = [...text.slice(Math.max(0, i - 2), i)].pop() || "";
  const at = text.codePointAt(i + ch.length);
  const after = at === undefined ? "" : String.fromCodePoint(at);
  if (ch === "\u200d" && EMOJI_END.test(before) && EMOJI_START.test(after)) return true;
  return LETTER.test(before) && LETTER.test(after) && !NO_JOINERS.test(before) && !NO_JOINERS.test(after);
}

// reply is a server's reply (or a line that holds one, with its stage),
// isolated as iso isolates a value, its lines shown as lines: a reply of
// several lines ("550-5.7.1 ..." then "550 5.7.1 ...") is stored with
// its texts joined by a line break, which the class "reply-lines" keeps
// (white-space: pre-line) where a browser would make it a space and run
// the lines together. The text is unchanged, so copying it keeps the
// breaks.
export function replyLines(v) {
  return h("bdi", { class: "reply-lines" }, v === undefined || v === null ? "" : v);
}

// FEW is how many items of a long list a table row shows before the rest
// folds away behind "and N more".
export const FEW = 3;

// few is items (elements, one a line) for a table cell: all of them when
// there are at most FEW + 1, else the first FEW and the rest in a
// <details> that says "and N more", so that a message to a hundred
// recipients is not a row a hundred lines high. what names the items
// ("recipients").
export function few(items, what) {
  if (items.length <= FEW + 1) return items;
  const rest = items.slice(FEW);
  return [...items.slice(0, FEW), h("details", { class: "more-items" },
    h("summary", {}, "and " + rest.length + " more" + (what ? " " + what : "")), rest)];
}

// ADDR_WHOLE is the longest address, in characters, that addr keeps on
// one line: an ordinary one (most are under 30).
const ADDR_WHOLE = 40;

// addr is an address (or a From field) in a table, isolated as iso
// isolates a value. One of up to ADDR_WHOLE characters stays on one line,
// so that its column is as wide as it is and a long reply beside it wraps
// instead ("olivia.martin-" over "jones@shop.test" reads as two names);
// a longer one may break after an @, a dot or a plus (a <wbr>) or a
// hyphen, and a part of it longer than ADDR_WHOLE anywhere, so that no
// address makes its column wider than an ordinary one does.
//
// An invisible character in it (a zero-width space or joiner, a soft
// hyphen, a byte order mark) is shown where it stands as a marked
// ⟨U+200B⟩, as a direction control is: "pay\u200bpal@shop.test" is not
// paypal@shop.test, and the page must not make it look so.
export function addr(v) {
  const s = v === undefined || v === null ? "" : String(v);
  if (shownLength(s) <= ADDR_WHOLE) return h("bdi", { class: "addr" }, invisibles(s));
  const parts = s.split(/(?<=[@.+])/).map((p) => (shownLength(p) > ADDR_WHOLE ? h("span", { class: "run" }, invisibles(p)) : invisibles(p)));
  return h("bdi", { class: "addr long" }, parts.flatMap((p, i) => (i ? [document.createElement("wbr"), p] : [p])));
}

// The characters that take no room and show nothing: the soft hyphen,
// the combining grapheme joiner, the Mongolian vowel separator, the zero
// width space, non-joiner and joiner, the word joiner and the invisible
// operators, and the byte order mark (zero width no-break space).
const INVISIBLE_ALL = /[\u00ad\u034f\u180e\u200b-\u200d\u2060-\u2064\ufeff]/g;

// shownLength is the characters text takes on the page, each invisible
// character and direction control as its token of 8.
function shownLength(text) {
  const marked = (text.match(INVISIBLE_ALL) || []).length + (text.match(BIDI_ALL) || []).length;
  return [...text].length + 7 * marked;
}

// shownText is text for where only text goes (the document's title):
// each direction control and invisible character in it as its token,
// "⟨U+202E⟩", as the page shows one.
export function shownText(text) {
  return String(text).replace(BIDI_ALL, codePointToken).replace(INVISIBLE_ALL, codePointToken);
}

function codePointToken(ch) {
  return "⟨" + codePoint(ch) + "⟩";
}

// invisibles is text with each invisible character in it as a marked
// token: strings and elements for h. keep(text, index, ch), when given,
// says which to leave as they are.
function invisibles(text, keep) {
  const out = [];
  let at = 0;
  for (const m of text.matchAll(INVISIBLE_ALL)) {
    if (keep && keep(text, m.index, m[0])) continue;
    if (m.index > at) out.push(text.slice(at, m.index));
    const cp = codePoint(m[0]);
    out.push(h("span", { class: "inv-ctl", title: cp + ", an invisible character, shown so that this value does not pass for one without it" }, "⟨" + cp + "⟩"));
    at = m.index + m[0].length;
  }
  if (at < text.length) out.push(text.slice(at));
  return out;
}

// safeURL allows only our own paths and fragments: links are built from ids,
// and a javascript: or remote URL cannot get in.
export function safeURL(u) {
  u = String(u);
  if (u.startsWith("#/") || (u.startsWith("/") && !u.startsWith("//"))) return u;
  return "#/";
}

// path builds "#/a/b" with each part escaped.
export function path(...parts) {
  return "#/" + parts.map((p) => encodeURIComponent(String(p))).join("/");
}

// prose is text whose `backticked` spans are commands or records to type,
// as the relay's advice and the probes' findings write them: those spans
// become <code>, the rest stays text. Every piece is a text node.
export function prose(text) {
  return String(text).split("`").map((part, i) => (i % 2 === 1 && part ? h("code", {}, part) : part));
}

// focusPlace puts the keyboard's focus on el; an element that is no
// control (a heading, a note) is made focusable by script first, without
// becoming a stop for Tab.
export function focusPlace(el) {
  if (el.tabIndex < 0 && !el.hasAttribute("tabindex")) el.setAttribute("tabindex", "-1");
  el.focus();
}

// keepPlace notes which of the buttons in box has the keyboard's focus
// before box is drawn again, and returns what puts it back afterwards: on
// the button with the same key (keyOf), else on the one that took its
// place (the next), else on the last, else on fallback(), the place that
// says what happened. A redraw, a poll's or a removal's, then does not
// drop the focus to the document's start. Nothing is done when no button
// of box had the focus.
export function keepPlace(box, keyOf) {
  const buttons = () => [...box.querySelectorAll("button")].filter((b) => !b.hidden && !b.disabled && b.getClientRects().length);
  const had = document.activeElement;
  const i = buttons().indexOf(had);
  if (i < 0) return () => {};
  const key = keyOf(had);
  return (fallback) => {
    if (had.isConnected && document.activeElement === had) return;
    const now = buttons();
    const to = now.find((b) => keyOf(b) === key) || now[Math.min(i, now.length - 1)] || (fallback && fallback());
    if (to) focusPlace(to);
  };
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

const SVG = "http://www.w3.org/2000/svg";

// s builds an SVG element; attributes are presentation attributes only.
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k.startsWith("on") || k === "href" || k === "style") throw new Error("dom: svg attribute not allowed: " + k);
    el.setAttribute(k, String(v));
  }
  for (const c of children) {
    if (c instanceof Node) el.appendChild(c);
    else if (c !== undefined && c !== null) el.appendChild(document.createTextNode(String(c)));
  }
  return el;
}

export function fmtTime(t) {
  if (!t) return "";
  const d = new Date(t);
  if (isNaN(d)) return String(t);
  return d.toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
}

export function shortTime(t) {
  const d = new Date(t);
  if (isNaN(d)) return "";
  return d.toISOString().slice(11, 19);
}
