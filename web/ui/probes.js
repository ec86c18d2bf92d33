// Probe results with their findings, their history, and what changed. The
// page follows the event stream: a new result or change redraws it.
import { h, fmtTime, clear, prose, iso, focusPlace } from "./dom.js";
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

// Names of what a change's key ("domain D spf", "domain D dkim SEL",
// "listing SUBJECT ZONE", "ip IP ptr") is about.
const RECORDS = { spf: "SPF record", dmarc: "DMARC record", mx: "MX records", "mta-sts": "MTA-STS record and policy",
  "tls-rpt": "TLS-RPT record", bimi: "BIMI record", dkim: "DKIM key" };

// mtaSTSParts splits an MTA-STS change's value, "RECORD policy SHA256"
// (the policy's hash when it was fetched), into its record, the record
// with its id left out (rest) and the hash.
function mtaSTSParts(v) {
  const s = String(v || "");
  const i = s.lastIndexOf(" policy ");
  const record = i < 0 ? s : s.slice(0, i);
  const rest = record.replace(/(^|;)(\s*id\s*=)[^;]*/i, "$1$2");
  return { record, rest, policy: i < 0 ? "" : s.slice(i + 8) };
}

// mtaSTSWhat names what changed of a domain's MTA-STS, both before and
// after being there: its record's id, the rest of the record, its policy.
function mtaSTSWhat(c) {
  const o = mtaSTSParts(c.old), n = mtaSTSParts(c.new);
  const rec = o.record === n.record ? "" : o.rest === n.rest ? "id" : "record";
  if (o.policy && n.policy) {
    const pol = o.policy !== n.policy;
    if (rec && pol) return "MTA-STS " + rec + " and policy changed";
    if (rec) return "MTA-STS " + rec + " changed, policy unchanged";
    // RFC 8461 3.3: a sender refetches a policy it cached only when the
    // id changes. The server's note, shown under the headline, says
    // that and what changed; without one, the headline says it.
    if (pol) return "MTA-STS policy changed under the same id" + (c.note ? "" : " (senders that cached the old one keep it)");
  }
  if (!rec && o.policy) return "MTA-STS policy no longer fetched";
  if (!rec && n.policy) return "MTA-STS policy fetched";
  return "MTA-STS " + (rec || "record") + " changed";
}

// changeWhat says in words what a change is: "SPF record changed",
// "DKIM key rotated (selector s1)", "listed on zen.example".
function changeWhat(c) {
  const parts = String(c.key || "").split(" ");
  if (parts[0] === "listing") {
    const zone = parts.slice(2).join(" ");
    if (c.kind === "delisted") return ["delisted from ", iso(zone)];
    return [c.first ? "found listed at its first checks on " : "listed on ", iso(zone)];
  }
  if (parts[0] === "domain" && parts[2] === "dns") {
    return [c.kind === "dns-answering" ? "DNS answers again" : "DNS stopped answering"];
  }
  if (parts[0] === "ip" && parts[2] === "ptr") {
    // A watched IP's reverse DNS: its PTR names, each said
    // forward-confirmed or not (the note says what a change of that means).
    const verb = !c.old ? "published" : !c.new ? "removed" : "changed";
    return ["reverse DNS (PTR) of ", iso(parts[1]), " " + verb];
  }
  if (parts[0] === "domain" && parts[2] && parts[2].endsWith("-result")) {
    // A check's outcome changed while its own record did not (an
    // included SPF record grew past 10 lookups).
    const check = { "spf-result": "SPF", "dmarc-result": "DMARC", "mta-sts-result": "MTA-STS" }[parts[2]] || parts[2].slice(0, -7);
    return [check + " result changed"];
  }
  if (parts[0] === "domain" && parts[2] === "mta-sts" && c.old && c.new) return [mtaSTSWhat(c)];
  if (parts[0] === "domain" && RECORDS[parts[2]]) {
    const name = RECORDS[parts[2]];
    const sel = parts[2] === "dkim" && parts[3] ? [" (selector ", iso(parts.slice(3).join(" ")), ")"] : [];
    let verb = "changed";
    if (c.kind === "key-revoked") verb = "revoked";
    else if (c.kind === "key-rotated") verb = "rotated";
    else if (!c.old) verb = "published";
    else if (!c.new) verb = "removed";
    return [name + " " + verb, sel];
  }
  return [String(c.kind || "changed"), " ", iso(c.key || "")];
}

// A value longer than this shows shortened, whole in its title and in
// the change's "full values".
const SHORT = 60;

function value(v) {
  if (!v) return h("em", { class: "value" }, "none");
  const s = String(v);
  if (s.length <= SHORT) return h("span", { class: "mono value" }, iso(s));
  return h("span", { class: "mono value", title: s }, iso(s.slice(0, SHORT) + "…"));
}

// change is one confirmed change in words: when, which target (when
// asked), what changed, and its old and new values.
function change(c, withTarget) {
  const long = String(c.old || "").length > SHORT || String(c.new || "").length > SHORT;
  return h("li", { class: "change", "data-kind": c.kind },
    withTarget ? [h("span", { class: "when nowrap" }, fmtTime(c.time)), " ", h("span", { class: "mono" }, iso(c.target)), ": "] : "",
    h("strong", {}, changeWhat(c)), ": ",
    c.first ? "" : [value(c.old), " → "], value(c.new),
    c.note ? h("div", { class: "muted" }, iso(c.note)) : "",
    long ? h("details", { class: "full" }, h("summary", {}, "full values"),
      c.first ? "" : h("div", { class: "mono value-full" }, "old: ", iso(c.old || "none")),
      h("div", { class: "mono value-full" }, "new: ", iso(c.new || "none"))) : "");
}

function changesOf(r) {
  const cs = Array.isArray(r.changes) ? r.changes : [];
  return cs.length ? h("ul", { class: "changes" }, cs.map((c) => change(c, false))) : "";
}

function changeCount(r) {
  const n = Array.isArray(r.changes) ? r.changes.length : 0;
  if (!n && !r.changed) return "";
  return h("strong", { class: "changed", title: "this run confirmed a change: a new value seen on two runs in a row" },
    n === 1 ? "1 change" : n ? n + " changes" : "changed");
}

// blocklists says which lists a run asked about each subject and what
// they answered, the clean ones too, as `relaylab probe` prints it:
// only a listing or an unknown answer is a finding.
function blocklists(list) {
  const ls = Array.isArray(list) ? list : [];
  if (!ls.length) return "";
  const subjects = [...new Set(ls.map((l) => l.subject))];
  return subjects.map((subj) => {
    const mine = ls.filter((l) => l.subject === subj);
    const part = (status, words) => {
      const zs = mine.filter((l) => l.status === status).map((l) => l.zone);
      return zs.length ? [words + " " + zs.length + " (", zs.map((z, i) => [i ? ", " : "", iso(z)]), ")"] : words + " 0";
    };
    const unknown = mine.some((l) => l.status === "unknown");
    return h("div", { class: "blocklists" },
      subjects.length > 1 ? [h("span", { class: "mono" }, iso(subj)), ": "] : "Blocklists: ",
      part("listed", "listed on"), ", ", part("not-listed", "not listed on"),
      unknown ? [", ", part("unknown", "unknown on")] : "");
  });
}

export function probesView(main) {
  const tbody = h("tbody", { id: "probe-rows" });
  const note = h("p", { class: "muted" });
  // How to open a history, said where it shows: a mouse clicks a row; the
  // keyboard reaches each row's target, a button.
  const hist = h("section", { class: "card", id: "probe-history" }, h("h2", {}, "History"),
    h("p", { class: "muted", id: "probe-history-hint" }, "Pick a result to see its history here: click its row, or its target (a button: Tab to it, then Enter or Space)."));
  const changes = h("section", { class: "card", id: "probe-changes" }, h("h2", {}, "Recent changes"));
  main.append(h("h1", {}, "Probes"), note,
    h("div", { class: "scroll" }, h("table", { class: "cards", id: "probe-table" },
      h("thead", {}, h("tr", {}, h("th", {}, "target"), h("th", {}, "checks"), h("th", {}, "status"), h("th", {}, "findings"), h("th", {}, "checked"))),
      tbody)), hist, changes);
  let shown = null; // the target whose history is open, and the check it keeps ("" every one)
  let checksOf = new Map(); // target -> the checks its latest results made

  const loadResults = () => get("/api/v1/probe/results").then((d) => {
    // A redraw keeps the keyboard's focus on the target that had it.
    const at = document.activeElement;
    const focused = at && tbody.contains(at) && at.matches("button.linkish") ? at.closest("tr").dataset.id : null;
    clear(tbody);
    checksOf = new Map();
    for (const r of d.results) {
      const cs = checksOf.get(r.target) || new Set();
      for (const c of String(r.check || "").split(", ")) if (c) cs.add(c);
      checksOf.set(r.target, cs);
    }
    note.className = "muted";
    // One row per target (a domain or an IP), whatever checks it made.
    const targets = new Set(d.results.map((r) => r.target)).size;
    note.textContent = targets === 1 ? "1 target" : targets + " targets";
    note.id = "";
    // No results: no domain or IP is watched (or the first run has not
    // ended): say how to watch some, instead of an empty table.
    if (!d.results.length) {
      note.id = "probes-empty";
      clear(note).append("No domains or IP addresses are watched yet (or their first checks are still running). To watch some, list them under ",
        h("code", {}, "probe.domains"), " and ", h("code", {}, "probe.ips"), " in the configuration file (see “Probes” in the README) and restart relaylab serve; they are checked every ",
        h("code", {}, "probe.interval"), " (blocklists every ", h("code", {}, "probe.blocklist_interval"), "). ",
        h("code", {}, "relaylab probe DOMAIN"), " checks one once from the command line.");
    }
    for (const r of d.results) {
      // The target is the row's control for the keyboard and a screen
      // reader, named for what it does: its own text first, as shown.
      const open = h("button", { type: "button", class: "linkish", title: "show the history of this target's checks",
        "aria-label": r.target + ": show its history" }, iso(r.target));
      open.addEventListener("click", () => history(r.target, "", true));
      const tr = h("tr", { class: "clickable", "data-id": r.target },
        h("td", { class: "mono target", "data-label": "target" }, open),
        h("td", { "data-label": "checks" }, r.check || ""),
        h("td", { "data-label": "status" }, badge(r.status), " ", changeCount(r)),
        h("td", { class: "wide", "data-label": "findings" }, r.detail || "", blocklists(r.blocklists), changesOf(r), findings(r.findings)),
        h("td", { class: "checked", "data-label": "checked" }, fmtTime(r.time)));
      tr.addEventListener("click", (ev) => {
        if (ev.target.closest("details")) return; // unfolding the facts is not picking the row
        if (ev.target.closest("button")) return; // the target's button picks it itself
        history(r.target, "");
      });
      tbody.append(tr);
      if (focused === r.target) open.focus();
    }
  }).catch((e) => { note.textContent = e.message; note.className = "error"; });

  const loadChanges = () => get("/api/v1/events?kind=probe.changed&tail=5000&limit=50").then((p) => {
    clear(changes).append(h("h2", {}, "Recent changes"));
    if (!p.events.length) changes.append(h("p", { class: "muted" }, "No changes recorded."));
    else changes.append(h("ul", { class: "changes" }, p.events.reverse().map((e) =>
      change(Object.assign({}, e.payload || {}, { time: e.time, target: e.target }), true))));
  }).catch(() => {});

  // history shows the runs of target, newest first, each with the changes
  // it confirmed: every run, or those that made check (a domain's records
  // and its blocklists may run on different intervals). focus, when a
  // target's button asked, takes the focus to the history's heading once
  // it shows, so that the keyboard and a screen reader land there (the
  // section is below the table, often out of sight).
  function history(target, check, focus) {
    shown = { target, check };
    const q = new URLSearchParams({ target, limit: "100" });
    if (check) q.set("check", check);
    get("/api/v1/probe/history?" + q.toString()).then((d) => {
      if (!shown || shown.target !== target || shown.check !== check) return; // another was picked meanwhile
      const pick = h("select", { id: "probe-history-check", "aria-label": "check" }, h("option", { value: "" }, "every check"));
      for (const c of checksOf.get(target) || []) {
        const o = h("option", { value: c }, c);
        if (c === check) o.selected = true;
        pick.append(o);
      }
      pick.addEventListener("change", () => history(target, pick.value));
      const heading = h("h2", {}, "History of ", h("span", { class: "mono" }, iso(target)));
      clear(hist).append(heading,
        h("div", { class: "filters" }, h("label", { for: "probe-history-check" }, "runs that made "), pick),
        d.history.length ? "" : h("p", { class: "muted", id: "probe-history-none" },
          check ? "No recorded run of this target made the " + check + " check." : "No runs recorded."),
        h("ol", { class: "steps" }, d.history.map((r) => h("li", { class: "run" },
          h("span", { class: "when nowrap" }, fmtTime(r.time)), " ", badge(r.status), " ", changeCount(r), " ",
          r.detail || "", r.check ? h("span", { class: "muted" }, " · " + r.check) : "",
          blocklists(r.blocklists), changesOf(r),
          (r.findings || []).length ? h("details", {}, h("summary", {}, "findings"), findings(r.findings)) : ""))));
      if (focus) focusPlace(heading);
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
