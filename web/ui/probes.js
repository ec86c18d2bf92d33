// Probe results, their history, and what changed.
import { h, fmtTime, clear } from "./dom.js";
import { get } from "./api.js";

export function probesView(main) {
  const tbody = h("tbody");
  const note = h("p", { class: "muted" });
  const hist = h("section", { class: "card", id: "probe-history" }, h("h2", {}, "History"), h("p", { class: "muted" }, "Pick a result to see its history."));
  const changes = h("section", { class: "card" }, h("h2", {}, "Recent changes"));
  main.append(h("h1", {}, "Probes"), note,
    h("div", { class: "scroll" }, h("table", {},
      h("thead", {}, h("tr", {}, h("th", {}, "target"), h("th", {}, "check"), h("th", {}, "status"), h("th", {}, "detail"), h("th", {}, "checked"))),
      tbody)), hist, changes);
  get("/api/v1/probe/results").then((d) => {
    note.textContent = d.results.length + " check(s)";
    for (const r of d.results) {
      const tr = h("tr", { class: "clickable" },
        h("td", { class: "mono" }, r.target), h("td", {}, r.check),
        h("td", {}, h("span", { class: "badge p-" + String(r.status).replace(/[^a-z]/g, "") }, r.status), r.changed ? " changed" : ""),
        h("td", {}, r.detail || ""), h("td", {}, fmtTime(r.time)));
      tr.addEventListener("click", () => history(r.target, r.check));
      tbody.append(tr);
    }
  }).catch((e) => { note.textContent = e.message; note.className = "error"; });
  get("/api/v1/events?kind=probe.changed&tail=5000&limit=50").then((p) => {
    if (!p.events.length) changes.append(h("p", { class: "muted" }, "No changes recorded."));
    changes.append(h("ul", {}, p.events.reverse().map((e) =>
      h("li", {}, fmtTime(e.time), " ", h("span", { class: "mono" }, e.target), " ", JSON.stringify(e.payload)))));
  }).catch(() => {});

  function history(target, check) {
    const q = new URLSearchParams({ target, check, limit: "100" });
    get("/api/v1/probe/history?" + q.toString()).then((d) => {
      clear(hist).append(h("h2", {}, "History of ", h("span", { class: "mono" }, target), " ", check),
        h("ol", { class: "steps" }, d.history.map((r) => h("li", {},
          h("span", { class: "when" }, fmtTime(r.time)), " ",
          h("span", { class: "badge p-" + String(r.status).replace(/[^a-z]/g, "") }, r.status), " ",
          r.changed ? h("strong", {}, "changed ") : "", r.detail || ""))));
    }).catch((e) => clear(hist).append(h("p", { class: "error" }, e.message)));
  }
}
