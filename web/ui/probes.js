// Probe results with their findings, their history, and what changed. The
// page follows the event stream: a new result or change redraws it.
import { h, fmtTime, clear, prose } from "./dom.js";
import { get } from "./api.js";
import { Stream } from "./stream.js";
import { setStatus } from "./status.js";
import { frameBatcher } from "./batch.js";

const badge = (status) => h("span", { class: "badge p-" + String(status).replace(/[^a-z]/g, "") }, status);

// finding is one finding: its severity, what it says (with what to do),
// and where it comes from.
function finding(f) {
  const where = [f.code, f.name, f.rfc].filter(Boolean).join(" · ");
  return h("li", { class: "finding", "data-kind": f.severity },
    badge(f.severity), " ", prose(f.message || ""),
    f.record ? h("div", { class: "mono where" }, f.record) : "",
    where ? h("div", { class: "where" }, where) : "");
}

// findings shows the errors and warnings, and folds the facts away.
function findings(list) {
  const fs = Array.isArray(list) ? list : [];
  const serious = fs.filter((f) => f.severity === "error" || f.severity === "warning");
  const facts = fs.filter((f) => !(f.severity === "error" || f.severity === "warning"));
  return [
    serious.length ? h("ul", { class: "findings" }, serious.map(finding)) : "",
    facts.length ? h("details", {}, h("summary", {}, facts.length + (facts.length === 1 ? " fact" : " facts")),
      h("ul", { class: "findings" }, facts.map(finding))) : "",
  ];
}

export function probesView(main) {
  const tbody = h("tbody", { id: "probe-rows" });
  const note = h("p", { class: "muted" });
  const hist = h("section", { class: "card", id: "probe-history" }, h("h2", {}, "History"), h("p", { class: "muted" }, "Pick a result to see its history."));
  const changes = h("section", { class: "card", id: "probe-changes" }, h("h2", {}, "Recent changes"));
  main.append(h("h1", {}, "Probes"), note,
    h("div", { class: "scroll" }, h("table", {},
      h("thead", {}, h("tr", {}, h("th", {}, "target"), h("th", {}, "check"), h("th", {}, "status"), h("th", {}, "findings"), h("th", {}, "checked"))),
      tbody)), hist, changes);
  let shown = null; // the target whose history is open

  const loadResults = () => get("/api/v1/probe/results").then((d) => {
    clear(tbody);
    note.className = "muted";
    note.textContent = d.results.length + " check(s)";
    note.id = "";
    // Nothing checked yet: say where the targets come from, instead of an
    // empty table.
    if (!d.results.length) {
      note.id = "probes-empty";
      clear(note).append("No checks yet. The probes check the domains and IP addresses listed under ",
        h("code", {}, "probe.domains"), " and ", h("code", {}, "probe.ips"), " in the configuration file, every ",
        h("code", {}, "probe.interval"), " (blocklists every ", h("code", {}, "probe.blocklist_interval"), "); ",
        h("code", {}, "relaylab probe DOMAIN"), " checks one once from the command line.");
    }
    for (const r of d.results) {
      const tr = h("tr", { class: "clickable", "data-id": r.target },
        h("td", { class: "mono" }, r.target), h("td", {}, r.check),
        h("td", {}, badge(r.status), r.changed ? " changed" : ""),
        h("td", {}, r.detail || "", findings(r.findings)), h("td", {}, fmtTime(r.time)));
      tr.addEventListener("click", (ev) => {
        if (ev.target.closest("details")) return; // unfolding the facts is not picking the row
        history(r.target, r.check);
      });
      tbody.append(tr);
    }
  }).catch((e) => { note.textContent = e.message; note.className = "error"; });

  const loadChanges = () => get("/api/v1/events?kind=probe.changed&tail=5000&limit=50").then((p) => {
    clear(changes).append(h("h2", {}, "Recent changes"));
    if (!p.events.length) changes.append(h("p", { class: "muted" }, "No changes recorded."));
    else changes.append(h("ul", {}, p.events.reverse().map((e) =>
      h("li", {}, fmtTime(e.time), " ", h("span", { class: "mono" }, e.target), " ", JSON.stringify(e.payload)))));
  }).catch(() => {});

  function history(target, check) {
    shown = { target, check };
    const q = new URLSearchParams({ target, check, limit: "100" });
    get("/api/v1/probe/history?" + q.toString()).then((d) => {
      if (!shown || shown.target !== target) return; // another was picked meanwhile
      clear(hist).append(h("h2", {}, "History of ", h("span", { class: "mono" }, target), " ", check),
        h("ol", { class: "steps" }, d.history.map((r) => h("li", {},
          h("span", { class: "when" }, fmtTime(r.time)), " ", badge(r.status), " ",
          r.changed ? h("strong", {}, "changed ") : "", r.detail || "",
          (r.findings || []).length ? h("details", {}, h("summary", {}, "findings"), findings(r.findings)) : ""))));
    }).catch((e) => clear(hist).append(h("p", { class: "error" }, e.message)));
  }

  // Live: a probe.result or probe.changed redraws the list, the changes,
  // and the open history when it is about its target.
  const batch = frameBatcher((evs) => {
    loadResults();
    if (evs.some((e) => e.kind === "probe.changed")) loadChanges();
    if (shown && evs.some((e) => e.target === shown.target)) history(shown.target, shown.check);
  }, 100);
  let stream = null;
  let stopped = false;
  // The stream starts where the log stood before the lists were read.
  get("/api/v1/events?tail=1&limit=1").then((cur) => {
    if (stopped) return;
    stream = new Stream({ after: cur.next, kind: "probe.result,probe.changed" }, (evs) => batch.push(evs), setStatus);
    loadResults();
    loadChanges();
  }).catch((e) => { note.textContent = e.message; note.className = "error"; setStatus("not live", "the event log could not be read"); });
  return () => { stopped = true; batch.cancel(); if (stream) stream.close(); };
}
