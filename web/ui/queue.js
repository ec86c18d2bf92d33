// The relay's queue, with retry-now and delete.
import { h, path, fmtTime, clear, prose, iso } from "./dom.js";
import { replyText, replyShown } from "./events.js";
import { notLive } from "./status.js";
import { get, api } from "./api.js";

export function queueView(main) {
  notLive("updates every 5 s");
  const note = h("p", { class: "muted", id: "queue-note" });
  const tbody = h("tbody");
  main.append(h("h1", {}, "Queue"), note,
    h("div", { class: "scroll" }, h("table", { class: "cards", id: "queue-table" },
      h("thead", {}, h("tr", {}, h("th", {}, "message"), h("th", {}, "from"), h("th", {}, "recipient"), h("th", {}, "state"), h("th", {}, "attempts"), h("th", {}, "next attempt"), h("th", {}, "last reply, what it means, what to do"), h("th", {}, ""))),
      tbody)));
  const load = () => get("/api/v1/queue?limit=500").then((d) => {
    clear(tbody);
    note.className = "muted"; // an error shown before has passed
    note.textContent = queueNote(d);
    for (const q of d.queue) {
      const retry = h("button", { type: "button" }, "Retry now");
      const del = h("button", { type: "button", class: "danger" }, "Delete");
      retry.addEventListener("click", () => act("POST", "/api/v1/queue/" + encodeURIComponent(q.id) + "/retry"));
      del.addEventListener("click", () => {
        if (confirm("Delete this message from the queue?")) act("DELETE", "/api/v1/queue/" + encodeURIComponent(q.id));
      });
      // One row per waiting recipient, each with its own last reply and
      // what it means: a message to a full mailbox (452) and a greylisting
      // server (451) shows both. The message's cells span its rows.
      // data-label names a cell where a phone shows no header row.
      const rows = recipientRows(q);
      const span = rows.length > 1 ? rows.length : undefined;
      rows[0].prepend(
        h("td", { class: "mono nowrap", rowspan: span }, h("a", { href: path("messages", q.id) }, q.id)),
        h("td", { class: "mono", "data-label": "from", rowspan: span }, q.from ? iso(q.from) : "<>"));
      rows[0].append(h("td", { class: "actions wide", rowspan: span }, retry, " ", del));
      rows[0].dataset.id = q.id;
      for (const tr of rows.slice(1)) tr.classList.add("more");
      tbody.append(...rows);
    }
  }).catch((e) => { note.textContent = e.message; note.className = "error"; });
  const act = (method, url) => api(method, url).then(load).catch((e) => { note.textContent = e.message; note.className = "error"; });
  const supBody = h("tbody", { id: "suppression-rows" });
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
      supBody.append(h("tr", {}, h("td", { class: "mono wide" }, iso(x.address)), h("td", { class: "wide" }, iso(x.reason)),
        h("td", { "data-label": "since" }, fmtTime(x.since)), h("td", { "data-label": "until" }, x.until ? fmtTime(x.until) : "never"), h("td", {}, rm)));
    }
  }).catch((e) => { supNote.textContent = e.message; supNote.className = "error"; });
  load();
  loadSup();
  const timer = setInterval(() => { load(); loadSup(); }, 5000);
  return () => clearInterval(timer);
}

// queueNote says how many messages wait and, when the list is cut at its
// limit, how many of them it shows, so that the 500 shown do not pass for
// the 900 waiting. From a relay that cannot count its messages it says
// "more than", with the recipients waiting in all; from a server before
// the total, the count shown.
export function queueNote(d) {
  const shown = d.queue.length;
  if (!shown && !d.truncated) return "The queue is empty: every message is delivered, bounced or expired.";
  const msgs = (n) => n + (n === 1 ? " message" : " messages");
  if (!d.truncated) return msgs(shown) + " waiting";
  const cut = " (the first " + shown + " shown)";
  if (typeof d.total === "number") return msgs(d.total) + " waiting" + cut;
  const rcpts = typeof d.recipients_waiting === "number" ? ", to " + d.recipients_waiting + " recipient" + (d.recipients_waiting === 1 ? "" : "s") + " in all" : "";
  return "More than " + msgs(shown) + " waiting" + rcpts + cut;
}

// recipientRows is a queue entry's rows without the message's own cells:
// one per waiting recipient, or, from a relay that lists no recipient's
// reply, one for the whole message.
function recipientRows(q) {
  const w = Array.isArray(q.waiting) ? q.waiting : [];
  if (!w.length) {
    return [h("tr", {},
      h("td", { class: "mono wide", "data-label": "to" }, (q.recipients || []).flatMap((v, i) => (i ? [", ", iso(v)] : [iso(v)]))),
      h("td", {}),
      h("td", { "data-label": "attempts" }, String(q.attempts)),
      h("td", { "data-label": "next" }, fmtTime(q.next_attempt)),
      h("td", { class: "wide reply" }, iso(q.last_reply || "")))];
  }
  return w.map((r) => {
    const rep = r.last_reply && typeof r.last_reply === "object" ? r.last_reply : {};
    const hold = holdText(r);
    // A reply at stage shaping is the relay's own hold, which no server
    // gave: it is shown once, as the hold, not as a reply too.
    const reply = rep.stage === "shaping" ? "" : replyText(rep);
    const via = [r.path && "path " + r.path, reached(r)].filter(Boolean).join(" · ");
    const tried = Array.isArray(r.tried) && r.tried.length > 1 ? r.tried : [];
    return h("tr", { class: "rcpt" },
      h("td", { class: "mono wide", "data-label": "to" }, iso(r.address)),
      h("td", {}, stateBadges(r, hold)),
      h("td", { "data-label": "attempts" }, String(r.attempts)),
      h("td", { "data-label": hold ? "held until" : "next" }, r.next_attempt ? fmtTime(r.next_attempt) : r.state === "inflight" ? "sending now" : ""),
      h("td", { class: "wide reply" },
        reply && h("span", { class: "mono" }, replyShown(rep)),
        r.category && [" ", h("span", { class: "badge category" }, r.category)],
        r.reason && h("div", { class: "muted reason" }, prose(r.reason)),
        r.advice && h("div", { class: "advice" }, "What to do: ", prose(r.advice)),
        hold && holdLine(hold, reply),
        tried.length > 0 && h("div", { class: "small tried" }, "Tried in its last attempt, in order:",
          h("ol", {}, tried.map((t) => h("li", {}, "path " + t.path, t.host ? [" host ", iso(t.host)] : "", ": ",
            h("span", { class: "mono" }, replyShown(t.reply) || "no reply"))))),
        via && h("div", { class: "small muted via" }, via)));
  });
}

// restRE reads the hold of a destination's rest as the relay writes it:
// the destination, the rest's end and what rested it.
const restRE = /^not tried: destination (\S+) rests until (\S+) after (.+)$/s;
// causeRE splits what rested a destination: a reply, to whom, in which
// message of the relay's.
const causeRE = /^(.*) to (\S+) \(message ([^\s()]+)\)$/s;

// holdLine explains, once and on its own line, what of the relay's
// shaping holds a recipient: a destination's rest with its end as the
// page writes times and the message that met the reply which began it,
// linked; the reply itself only when it is not the one shown above.
// Any other hold is the relay's text.
export function holdLine(hold, replyShown) {
  const line = (...parts) => h("div", { class: "small muted hold" }, ...parts);
  const m = restRE.exec(hold);
  if (!m) return line("Held by the relay's shaping: ", prose(hold));
  const [, dest, until, cause] = m;
  const c = causeRE.exec(cause);
  const head = ["Held by the relay's shaping: destination ", h("span", { class: "mono" }, iso(dest)), " rests until ", fmtTime(until)];
  if (!c) return line(...head, ", after ", iso(cause), ".");
  const [, rep, to, msg] = c;
  const same = replyShown && replyShown.startsWith(rep.trim());
  return line(...head, ", after ", same ? "that reply" : h("span", { class: "mono" }, iso(rep)), " to ", h("span", { class: "mono" }, iso(to)),
    " in message ", h("a", { href: path("messages", msg) }, msg), ".");
}

// holdText is what of the relay's shaping holds a waiting recipient back
// now: its hold, or, from a relay that names none apart, a last reply at
// stage shaping; "" when nothing holds it.
function holdText(r) {
  if (r.hold) return String(r.hold);
  const rep = r.last_reply && typeof r.last_reply === "object" ? r.last_reply : {};
  return rep.stage === "shaping" ? String(rep.text || "held") : "";
}

// stateBadges is a waiting recipient's state: "held" while the relay's
// shaping holds it (after a server's deferral, "deferred" and "held"),
// else the relay's state.
function stateBadges(r, hold) {
  const badge = (s) => h("span", { class: "badge s-" + String(s).replace(/[^a-z]/g, "") }, s);
  if (!hold || r.state === "inflight") return badge(r.state);
  if (r.state === "deferred" && Number(r.attempts) > 0) return [badge("deferred"), " ", badge("held")];
  return badge("held");
}

// reached says which host a waiting recipient's last attempt reached: a
// host only when an attempt went out and a server replied there. A
// recipient the relay's shaping held (a reply at stage "shaping") or that
// no attempt has reached yet names no host, however the relay filled it
// in: nothing was sent there.
export function reached(r) {
  const rep = r.last_reply && typeof r.last_reply === "object" ? r.last_reply : {};
  const held = rep.stage === "shaping" || Boolean(r.hold);
  const n = Number(r.attempts) || 0;
  if (held) return n ? "held by shaping after " + n + " attempt(s), not tried since" : "held by shaping, not tried yet";
  if (!n) return "not tried yet";
  if (!r.host) return "";
  return rep.code > 0 ? "host " + r.host : "host " + r.host + " gave no SMTP reply";
}
