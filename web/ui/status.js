// The header's pill says what is true of the page shown: on a page that
// follows the event stream, the stream's state (connecting, live,
// reconnecting); on one that does not, how it updates instead. What the
// word means is said beside it (#status-why): the pill's description for
// a screen reader, shown under the header when the pill is pressed.
//
// The page's one polite live region (#announce) says, without moving the
// focus, what changed that a screen reader would otherwise miss: the
// stream lost and back, and, at most every QUIET_MS, how many new rows a
// live list got (announceNew). Nothing else speaks: a live page that
// announced each event would talk over everything.
import { h, clear } from "./dom.js";

// STREAMED are the pill's words of a page that follows the stream: the
// stream says itself when serve does not answer, or signed it out.
const STREAMED = new Set(["connecting", "live", "reconnecting", "signed out"]);

// shown is what the page's view last put in the pill; over is what the
// link to serve (conn.js) puts over it meanwhile, on a page that does not
// follow the stream ("updates every 5 s" is not true while serve is down).
let shown = null;
let over = null;

export function setStatus(state, title) {
  shown = { state, title };
  if (!over || STREAMED.has(state)) draw(state, title);
}

// overStatus puts state over the view's own word in the pill, unless the
// view follows the stream; overStatus(null) gives the pill back. True
// when the pill is (or was) the one put over, not the stream's.
export function overStatus(state, title) {
  over = state === null ? null : { state, title };
  if (shown && STREAMED.has(shown.state)) return false;
  if (over) draw(over.state, over.title);
  else if (shown) draw(shown.state, shown.title);
  return true;
}

function draw(state, title) {
  const el = document.getElementById("status");
  const was = el.textContent;
  const why = title || (state === "live" ? "this page follows the event stream and updates as events commit"
    : state === "reconnecting" ? "the event stream dropped: reconnecting, and nothing committed meanwhile is lost"
      : state === "connecting" ? "opening the event stream"
        : state === "signed out" ? "this browser is signed out: its session with relaylab serve ended; the link at the top of the page signs in again" : "");
  el.textContent = state;
  el.title = why;
  const about = document.getElementById("status-why");
  if (about) about.textContent = why ? state + ": " + why : state;
  el.className = "status " + (state === "live" ? "on" : state === "connecting" || state === "reconnecting" ? "wait" : "off");
  if (state === "reconnecting" && was === "live") announce("The event stream dropped: reconnecting. Nothing committed meanwhile is lost.");
  if (state === "live" && was === "reconnecting") announce("The event stream is live again.");
}

// notLive is the pill of a page without a stream: how it updates, if it
// does.
export function notLive(how) {
  setStatus(how || "not live", how ? "this page polls the server: " + how + "; the feed, the messages and the sink sessions are live"
    : "this page shows what was there when it opened; the feed, the messages and the sink sessions are live");
}

// final is the pill of a page whose subject does not change any more (an
// ended session, a stored message): there is nothing for it to follow.
export function final(why) {
  setStatus("final", why + ": nothing on this page changes, so it does not follow the event stream");
}

// explainStatus makes the pill a button that shows, or hides, what its
// word means under the header (the pill's title says it to a mouse).
export function explainStatus() {
  const el = document.getElementById("status");
  const about = document.getElementById("status-why");
  if (!el || !about) return;
  const show = (open) => {
    about.hidden = !open;
    el.setAttribute("aria-expanded", String(open));
  };
  el.addEventListener("click", () => show(about.hidden));
  // Escape closes it again, the focus staying on the pill.
  el.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && !about.hidden) {
      e.preventDefault();
      show(false);
    }
  });
}

// announce says text in the live region, once, politely: after what the
// screen reader is saying, without moving the focus. A new node each
// time, so that the same words said again are said again.
export function announce(text) {
  const el = document.getElementById("announce");
  if (!el) return;
  clear(el).append(h("span", {}, text));
}

// QUIET_MS is the least time between two counts of new rows: a burst of
// mail is one sentence, not one per message.
const QUIET_MS = 10000;
// GATHER_MS is how long the first new rows wait for others of the same
// burst before they are counted.
const GATHER_MS = 1500;

let pending = null; // {n, one, many}: what is counted and not said yet
let timer = 0;
let saidAt = -Infinity;

// announceNew counts n new rows of a live list for the live region: "1
// new message" (one) or "3 new messages" (many), said once the burst has
// settled and at most every QUIET_MS. A row that a live page adds as it
// follows the stream is counted; what a page shows as it opens is not.
export function announceNew(n, one, many) {
  if (!n) return;
  if (pending && pending.one !== one) flush();
  if (!pending) pending = { n: 0, one, many };
  pending.n += n;
  if (timer) return;
  timer = setTimeout(flush, Math.max(GATHER_MS, saidAt + QUIET_MS - Date.now()));
}

function flush() {
  clearTimeout(timer);
  timer = 0;
  if (!pending) return;
  announce(pending.n + " " + (pending.n === 1 ? pending.one : pending.many));
  pending = null;
  saidAt = Date.now();
}

// hush drops what is counted and not said, and what was said: the page
// it was about is gone.
export function hush() {
  clearTimeout(timer);
  timer = 0;
  pending = null;
  const el = document.getElementById("announce");
  if (el) clear(el);
}
