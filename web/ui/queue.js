// The relay's queue, with retry-now and delete.
import { h, path, fmtTime, clear } from "./dom.js";
import { notLive } from "./status.js";
import { get, api } from "./api.js";

export function queueView(main) {
  notLive("updates every 5 s");
  const note = h("p", { class: "muted", id: "queue-note" });
  const tbody = h("tbody");
  main.append(h("h1", {}, "Queue"), note,
    h("div", { class: "scroll" }, h("table", { class: "cards", id: "queue-table" },
      h("thead", {}, h("tr", {}, h("th", {}, "message"), h("th", {}, "from"), h("th", {}, "waiting"), h("th", {}, "attempts"), h("th", {}, "next attempt"), h("th", {}, "last reply"), h("th", {}, ""))),
      tbody)));
  const load = () => get("/api/v1/queue?limit=500").then((d) => {
    clear(tbody);
    note.className = "muted"; // an error shown before has passed
    note.textContent = d.queue.length ? d.queue.length + " message(s) waiting" : "The queue is empty: every message is delivered, bounced or expired.";
    for (const q of d.queue) {
      const retry = h("button", { type: "button" }, "Retry now");
      const del = h("button", { type: "button", class: "danger" }, "Delete");
      retry.addEventListener("click", () => act("POST", "/api/v1/queue/" + encodeURIComponent(q.id) + "/retry"));
      del.addEventListener("click", () => {
        if (confirm("Delete this message from the queue?")) act("DELETE", "/api/v1/queue/" + encodeURIComponent(q.id));
      });
      // data-label names a cell where a phone shows no header row.
      tbody.append(h("tr", {},
        h("td", { class: "mono" }, h("a", { href: path("messages", q.id) }, q.id)),
        h("td", { class: "mono", "data-label": "from" }, q.from || "<>"),
        h("td", { class: "mono wide", "data-label": "to" }, (q.recipients || []).join(", ")),
        h("td", { "data-label": "attempts" }, String(q.attempts)),
        h("td", { "data-label": "next" }, fmtTime(q.next_attempt)),
        h("td", { class: "wide reply" }, q.last_reply || ""),
        h("td", { class: "actions wide" }, retry, " ", del)));
    }
  }).catch((e) => { note.textContent = e.message; note.className = "error"; });
  const act = (method, url) => api(method, url).then(load).catch((e) => { note.textContent = e.message; note.className = "error"; });
  const supBody = h("tbody");
  const supNote = h("p", { class: "muted" });
  main.append(h("h2", {}, "Suppression list"), supNote,
    h("div", { class: "scroll" }, h("table", { class: "cards" },
      h("thead", {}, h("tr", {}, h("th", {}, "address"), h("th", {}, "reason"), h("th", {}, "since"), h("th", {}, "until"), h("th", {}, ""))),
      supBody)));
  const loadSup = () => get("/api/v1/suppressions").then((d) => {
    clear(supBody);
    supNote.className = "muted";
    supNote.textContent = d.suppressions.length + " suppressed address(es)";
    for (const x of d.suppressions) {
      const rm = h("button", { type: "button" }, "Remove");
      rm.addEventListener("click", () => api("DELETE", "/api/v1/suppressions/" + encodeURIComponent(x.address)).then(loadSup)
        .catch((e) => { supNote.textContent = e.message; supNote.className = "error"; }));
      supBody.append(h("tr", {}, h("td", { class: "mono wide" }, x.address), h("td", { class: "wide" }, x.reason),
        h("td", { "data-label": "since" }, fmtTime(x.since)), h("td", { "data-label": "until" }, fmtTime(x.until)), h("td", {}, rm)));
    }
  }).catch((e) => { supNote.textContent = e.message; supNote.className = "error"; });
  load();
  loadSup();
  const timer = setInterval(() => { load(); loadSup(); }, 5000);
  return () => clearInterval(timer);
}
