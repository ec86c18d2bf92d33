// The relaylab UI: one page, routed on the URL's fragment.
import { h, clear, shownText, focusPlace } from "./dom.js";
import { feedView } from "./feed.js";
import { messageView, messagesView, recipientView, sinkMessageView } from "./message.js";
import { queueView } from "./queue.js";
import { sinkView, sessionView, rulesView } from "./sink.js";
import { inboxView } from "./inbox.js";
import { probesView } from "./probes.js";
import { chartsView } from "./charts.js";
import { notLive, hush, explainStatus } from "./status.js";

// Each route: its fragment, its view, and the page's title (the tab's,
// the history's, and what a screen reader says as the page opens).
const routes = [
  [/^feed$/, feedView, () => "Live feed"],
  [/^messages$/, messagesView, () => "Messages"],
  [/^messages\/find\/([^/]+)$/, messagesView, (q) => "Messages: " + q],
  [/^messages\/([^/]+)$/, messageView, (id) => "Message " + id],
  [/^recipients\/([^/]+)$/, recipientView, (a) => "Recipient " + a],
  [/^queue$/, queueView, () => "Queue"],
  [/^inbox$/, inboxView, () => "Inbox"],
  [/^inbox\/search\/([^/]+)$/, inboxView, (q) => "Inbox: " + q],
  [/^sink$/, sinkView, () => "Sink sessions"],
  [/^sink\/sessions\/([^/]+)$/, sessionView, (id) => "Session " + id],
  [/^sink\/messages\/([^/]+)$/, sinkMessageView, (id) => "Received message " + id],
  [/^rules$/, rulesView, () => "Sink rules"],
  [/^probes$/, probesView, () => "Probes"],
  [/^charts$/, chartsView, () => "Charts"],
];

const main = document.getElementById("main");
let cleanup = null;
let watch = null; // waits for the page's h1, when its view draws it later

// route shows the page the fragment names. After a navigation (moved,
// not opened) the focus goes to the new page's h1: the link that had it
// is gone with the old page, and without this the focus would fall to
// the document's start, saying nothing of where the reader is. A search
// submitted from a page's form (the Inbox's) keeps the focus in its box,
// as a mail client's does: the reader types the next search there.
function route(moved) {
  const keep = moved ? formControl() : null;
  if (cleanup) { try { cleanup(); } catch (e) { /* a view's teardown must not block the next */ } }
  cleanup = null;
  if (watch) { watch.disconnect(); watch = null; }
  hush();
  clear(main);
  notLive(); // until a view that follows the stream or polls says otherwise
  const frag = location.hash.replace(/^#\/?/, "");
  // A received message's page belongs to the Inbox, which lists it, not
  // to the Sink's sessions.
  const section = /^sink\/messages(\/|$)/.test(frag) ? "inbox" : frag;
  for (const a of document.querySelectorAll("#nav a")) {
    const target = a.getAttribute("href").slice(2);
    const on = section === target || section.startsWith(target + "/");
    a.classList.toggle("active", on);
    if (on) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  for (const [re, view, title] of routes) {
    const m = frag.match(re);
    if (m) {
      const args = m.slice(1).map((x) => { try { return decodeURIComponent(x); } catch (e) { return x; } });
      document.title = shownText(title(...args)) + " · relaylab";
      cleanup = view(main, ...args) || null;
      if (moved) focusHeading(keep);
      return;
    }
  }
  if (frag === "") { location.replace("#/feed"); return; }
  document.title = "No such page · relaylab";
  main.append(h("h1", {}, "No such page"), h("p", { class: "error", id: "no-page" }, "No such page: ", frag, ". ", ...nearPages(frag)));
  if (moved) focusHeading();
}

// nearPages offers, for a fragment that names no page, the page of the
// header whose name is one or two edits from its first part (a typo:
// mesages, inbx), or else every page, as links.
function nearPages(frag) {
  const pages = [...document.querySelectorAll("#nav a")].map((a) => [a.getAttribute("href").slice(2), a.textContent]);
  const typed = frag.split("/")[0].toLowerCase();
  let best = null, least = 3;
  for (const p of pages) {
    const d = edits(typed, p[0]);
    if (d < least) { best = p; least = d; }
  }
  const link = ([name, text]) => h("a", { href: "#/" + name }, text);
  if (best) return ["Did you mean ", link(best), "?"];
  return ["The pages are ", ...pages.flatMap((p, i) => (i ? [", ", link(p)] : [link(p)])), "."];
}

// edits is the Levenshtein distance between a and b: the letters to
// add, remove or change to turn one into the other.
function edits(a, b) {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length];
}

// formControl is the id of the search box of the form in the page that
// has the focus (on the box or on the form's button), when one has it.
function formControl() {
  const at = document.activeElement;
  const form = at && main.contains(at) && at.matches("input, button") ? at.closest("form") : null;
  const box = form && form.querySelector("input[type=search][id]");
  return box ? box.id : null;
}

// focusHeading puts the focus on the page's h1 as soon as there is one,
// unless the reader has put it in the page meanwhile; or, when keep is
// the id of a search box the new page has, in that box, its caret after
// its text.
function focusHeading(keep) {
  const go = () => {
    const h1 = main.querySelector("h1");
    if (!h1) return false;
    const at = document.activeElement;
    if (at && at !== document.body && main.contains(at)) return true;
    const box = keep && document.getElementById(keep);
    if (box && main.contains(box)) {
      box.focus();
      box.setSelectionRange(box.value.length, box.value.length);
    } else {
      focusPlace(h1);
    }
    return true;
  };
  if (go()) return;
  watch = new MutationObserver(() => {
    if (go()) { watch.disconnect(); watch = null; }
  });
  watch.observe(main, { childList: true, subtree: true });
}

// The skip link goes to the page's h1 (or the page) without changing the
// fragment, which names the page.
document.querySelector("a.skip").addEventListener("click", (e) => {
  e.preventDefault();
  focusPlace(main.querySelector("h1") || main);
});
explainStatus();

// "Sign out" shows when this browser signed in with web.token: the server
// sets relaylab_signed_in beside the session cookie, which the page
// cannot read. It posts by fetch: under the page's Referrer-Policy
// (no-referrer) a form's POST says "Origin: null", which the server
// refuses as it refuses every opaque origin.
const signout = document.getElementById("signout");
signout.hidden = !document.cookie.split("; ").includes("relaylab_signed_in=1");
signout.addEventListener("submit", (e) => {
  e.preventDefault();
  fetch("/signout", { method: "POST", credentials: "same-origin", redirect: "manual" })
    .then((r) => location.assign(r.type === "opaqueredirect" ? "/?signed-out" : "/signout"), () => location.assign("/signout"));
});
window.addEventListener("hashchange", () => route(true));
route(false);
