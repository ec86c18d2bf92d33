// A list's place, kept for the way back: a reader who opens a message
// from the Inbox (a search, three pages down) and goes back finds the
// list as they left it, the same search, its pages read, the row they
// opened where it was on the screen and the focus on its link, as a mail
// client's list keeps it. The place is written into the list's own entry
// of the browser's history (history.state) as the reader leaves it, so
// that the browser's Back and the page's "Back to the inbox" both find
// it, and a list opened anew (from the header) starts at its top.
import { h } from "./dom.js";

// opening is the list a row's link is taking the reader from, until the
// page it opens takes note of it (arrived).
let opening = null;

// leave keeps, in the current history entry (the list's), where the
// reader is in it: list names the list ("inbox") and filter its filter
// (the search), rows how many rows it shows, and a the link followed, in
// a row (its data-id and its place on the screen). Called as the link
// is followed, before the fragment changes.
export function leave(list, filter, rows, a) {
  const row = a.closest("tr");
  const place = { list, filter, rows, scrollY: window.scrollY, id: row ? row.dataset.id : "", top: row ? row.getBoundingClientRect().top : 0 };
  history.replaceState({ ...(history.state || {}), place }, "");
  opening = { list, hash: location.hash, to: a.getAttribute("href"), token: String(Date.now()) + Math.random() };
}

// placeOf is the place kept in this history entry for list with
// filter, or null.
export function placeOf(list, filter) {
  const p = history.state && history.state.place;
  return p && p.list === list && p.filter === filter ? p : null;
}

// restore puts the list back where it was left: the row that was
// opened at the same height on the screen and the focus on its link
// (rowOf(id) finds it), else the scroll where it was.
export function restore(p, rowOf) {
  const tr = p.id ? rowOf(p.id) : null;
  if (tr) {
    window.scrollTo(0, p.scrollY);
    window.scrollBy(0, tr.getBoundingClientRect().top - p.top);
    const a = tr.querySelector("a");
    if (a) a.focus({ preventScroll: true });
    return;
  }
  window.scrollTo(0, p.scrollY);
}

// arrived notes, on the page a list's link opened, which list it came
// from, in its own history entry; backLink reads it. A page that the
// link did not open (the link went elsewhere, the reader came by another
// way) notes nothing.
export function arrived() {
  const o = opening;
  opening = null;
  if (o && o.to === location.hash) history.replaceState({ ...(history.state || {}), from: o }, "");
}

// backLink is a link back to a list: to the place the reader left it
// when this page was opened from it (a step back in the history, as the
// browser's Back), else to the list's fragment (fallback) at its top.
export function backLink(list, fallback, text, attrs) {
  const from = history.state && history.state.from;
  const came = from && from.list === list;
  const a = h("a", { href: came ? from.hash : fallback, ...attrs }, text);
  a.addEventListener("click", (ev) => {
    const now = history.state && history.state.from;
    if (!came || !now || now.token !== from.token) return;
    ev.preventDefault();
    history.back();
  });
  return a;
}
