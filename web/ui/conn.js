// The page's link to relaylab serve, said the same way on every page, in
// a banner under the header (#conn): serve does not answer (it is
// stopped, or restarting), or this browser is not signed in any more (a
// restart of serve ends every session of web.token). api.js reports each
// answer here, and the stream each connection it opens. While the link is
// not up, a cheap call asks again every few seconds, and the banner goes
// when serve answers; signed out, the page's buttons do nothing until
// this browser signs in again, and the banner's link signs in and comes
// back to the same view.
import { h, clear } from "./dom.js";
import { overStatus, announce } from "./status.js";

// PROBE is what the page asks to learn how serve answers: cheap, behind
// the same sign-in as the rest of the API.
const PROBE = "/api/v1/listeners";
const MAX_DELAY = 10000;

let state = "up"; // "up", "down" (no answer) or "out" (401)
let timer = 0;
let delay = 1000;
const watchers = new Set();

export const DOWN_WHY = "relaylab serve is not answering: it is stopped or restarting (or the way to it is down). " +
  "This page asks again every few seconds and says when it is back";
export const OUT_WHY = "this browser is signed out: its session with relaylab serve ended (a restart of serve ends every sign-in, " +
  "and so do Sign out and 12 hours). Sign in again with the link at the top of the page, which brings you back here";

// linkState is what the page last heard: "up", "down" or "out".
export function linkState() {
  return state;
}

// onLink calls fn with the new state whenever it changes; it returns
// what stops that.
export function onLink(fn) {
  watchers.add(fn);
  return () => watchers.delete(fn);
}

// heard says how serve answered a request: its HTTP status, or 0 when no
// answer came (the fetch failed).
export function heard(status) {
  set(status === 0 ? "down" : status === 401 ? "out" : "up");
}

// check asks serve once how it answers, and resolves to the state that
// follows: what a stream whose connection failed asks before it tries
// again, since a refused websocket upgrade does not say why.
export function check() {
  return fetch(PROBE, { credentials: "same-origin", cache: "no-store" })
    .then((r) => heard(r.status), () => heard(0))
    .then(() => state);
}

function set(next) {
  if (next === state) return;
  const was = state;
  state = next;
  clearTimeout(timer);
  timer = 0;
  draw(was);
  if (state !== "up") {
    delay = 1000;
    timer = setTimeout(retry, delay);
  }
  for (const fn of [...watchers]) fn(state);
}

function retry() {
  timer = 0;
  check().then((s) => {
    if (s === "up" || timer) return;
    delay = Math.min(delay * 2, MAX_DELAY);
    timer = setTimeout(retry, delay);
  });
}

// signInHref is where "Sign in again" goes: the sign-in page, which keeps
// the part after '#' (/signin.js), so that this view opens again. A
// navigation, not a jump within the page: the page is loaded again.
function signInHref() {
  return "/?signed-out" + location.hash;
}

function draw(was) {
  const el = document.getElementById("conn");
  const main = document.getElementById("main");
  const signout = document.getElementById("signout");
  if (!el || !main) return;
  document.body.classList.toggle("signed-out", state === "out");
  for (const b of main.querySelectorAll("button")) mark(b);
  // "Sign out" shows while this browser holds a session (app.js).
  if (signout) signout.hidden = state === "out" || !document.cookie.split("; ").includes("relaylab_signed_in=1");
  // What changed is said in the page's one live region (status.js), once;
  // on a page that follows the stream, the stream says that it dropped
  // and that it is live again.
  if (state === "up") {
    el.hidden = true;
    clear(el);
    if (overStatus(null) && was === "down") announce("relaylab serve answers again.");
    return;
  }
  el.hidden = false;
  if (state === "down") {
    clear(el).append(h("strong", {}, "relaylab serve is not answering."),
      " It is stopped or restarting (or the way to it is down): what this page shows is from before, and what you do here does not reach it. ",
      "The page asks again every few seconds and says when serve is back (after a restart, with web.token set, you sign in again).");
    if (overStatus("not answering", DOWN_WHY)) announce("relaylab serve is not answering: it is stopped or restarting. This page asks again every few seconds.");
    return;
  }
  const link = h("a", { href: signInHref(), id: "conn-signin" }, "Sign in again");
  // The view may change before the click: the link takes the one shown then.
  link.addEventListener("click", () => { link.href = signInHref(); });
  clear(el).append(h("strong", {}, "You are signed out."),
    " This browser's session with relaylab serve has ended: a restart of serve ends every sign-in (and so do Sign out, from any page, and 12 hours). ",
    "What this page shows is from before, and its buttons do nothing until you sign in again. ", link, " (you come back to this page).");
  overStatus("signed out", OUT_WHY);
  announce("You are signed out: this browser's session with relaylab serve has ended. The link Sign in again, at the top of the page, signs in and comes back here.");
}

// mark says on a button of the page whether it does anything now.
function mark(b) {
  if (state === "out") b.setAttribute("aria-disabled", "true");
  else if (b.getAttribute("aria-disabled") === "true") b.removeAttribute("aria-disabled");
}

// Signed out, a button of the page does nothing and a form is not sent:
// every request would be refused. The buttons stay focusable (a disabled
// one would lose the keyboard's focus) and say that they are off.
function guard() {
  const main = document.getElementById("main");
  if (!main) return;
  const stop = (e) => {
    if (state !== "out") return;
    // A question open when the session ended can still be cancelled.
    if (e.target instanceof Element && e.target.closest("dialog button[type=button]")) return;
    if (e.type === "submit" || (e.target instanceof Element && e.target.closest("button"))) {
      e.preventDefault();
      e.stopImmediatePropagation();
    }
  };
  main.addEventListener("click", stop, true);
  main.addEventListener("submit", stop, true);
  // A button a view draws while signed out is off too.
  new MutationObserver((records) => {
    if (state !== "out") return;
    for (const r of records) {
      for (const n of r.addedNodes) {
        if (!(n instanceof Element)) continue;
        if (n.matches("button")) mark(n);
        for (const b of n.querySelectorAll("button")) mark(b);
      }
    }
  }).observe(main, { childList: true, subtree: true });
}
guard();
