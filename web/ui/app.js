// The relaylab UI: one page, routed on the URL's fragment.
import { h, clear } from "./dom.js";
import { feedView } from "./feed.js";
import { messageView, messagesView, recipientView, sinkMessageView } from "./message.js";
import { queueView } from "./queue.js";
import { sinkView, sessionView, rulesView } from "./sink.js";
import { inboxView } from "./inbox.js";
import { probesView } from "./probes.js";
import { chartsView } from "./charts.js";
import { notLive } from "./status.js";

const routes = [
  [/^feed$/, feedView],
  [/^messages$/, messagesView],
  [/^messages\/([^/]+)$/, messageView],
  [/^recipients\/([^/]+)$/, recipientView],
  [/^queue$/, queueView],
  [/^inbox$/, inboxView],
  [/^inbox\/search\/([^/]+)$/, inboxView],
  [/^sink$/, sinkView],
  [/^sink\/sessions\/([^/]+)$/, sessionView],
  [/^sink\/messages\/([^/]+)$/, sinkMessageView],
  [/^rules$/, rulesView],
  [/^probes$/, probesView],
  [/^charts$/, chartsView],
];

const main = document.getElementById("main");
let cleanup = null;

function route() {
  if (cleanup) { try { cleanup(); } catch (e) { /* a view's teardown must not block the next */ } }
  cleanup = null;
  clear(main);
  notLive(); // until a view that follows the stream or polls says otherwise
  const frag = location.hash.replace(/^#\/?/, "");
  for (const a of document.querySelectorAll("#nav a")) {
    const target = a.getAttribute("href").slice(2);
    a.classList.toggle("active", frag === target || frag.startsWith(target + "/"));
  }
  for (const [re, view] of routes) {
    const m = frag.match(re);
    if (m) {
      const args = m.slice(1).map((x) => { try { return decodeURIComponent(x); } catch (e) { return x; } });
      cleanup = view(main, ...args) || null;
      return;
    }
  }
  if (frag === "") { location.replace("#/feed"); return; }
  main.appendChild(h("p", { class: "error" }, "No such page: ", frag));
}

window.addEventListener("hashchange", route);
route();
