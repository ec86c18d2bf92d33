// Messages: the list, and one message's envelope, headers, body and the
// attempt timeline of each recipient.
import { h, path, fmtTime, clear } from "./dom.js";
import { get } from "./api.js";
import { Stream } from "./stream.js";
import { badgeClass, summary, explain, link } from "./events.js";
import { setStatus } from "./status.js";

export function messagesView(main) {
  const tbody = h("tbody");
  const q = h("input", { type: "search", name: "q", placeholder: "message id or recipient address", "aria-label": "find a message", id: "find-text" });
  const find = h("form", { class: "filters", id: "find" }, q, h("button", { type: "submit" }, "Find"));
  const more = h("button", { type: "button", id: "older" }, "Older messages");
  more.hidden = true;
  const note = h("p", { class: "muted" });
  main.append(h("h1", {}, "Messages"), find,
    h("div", { class: "scroll" }, h("table", {},
      h("thead", {}, h("tr", {}, h("th", {}, "queued"), h("th", {}, "message"), h("th", {}, "from"), h("th", {}, "subject"), h("th", {}, "recipients"))),
      tbody)), h("div", { class: "bar" }, more), note);
  // An address finds every message to it; anything else is a message id.
  find.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const v = q.value.trim();
    if (v) location.hash = v.includes("@") ? path("recipients", v) : path("messages", v);
  });
  const PAGE = 200;
  let before = 0;
  const page = () => get("/api/v1/messages?limit=" + PAGE + (before ? "&before=" + before : "")).then((d) => {
    if (d.messages.length === 0 && !before) tbody.append(h("tr", {}, h("td", { colspan: 5, class: "muted" }, "No messages yet: mail sent through the relay shows here.")));
    for (const m of d.messages) {
      tbody.append(h("tr", {},
        h("td", {}, fmtTime(m.queued)),
        h("td", { class: "mono" }, h("a", { href: path("messages", m.id) }, m.id)),
        h("td", { class: "mono" }, m.from),
        h("td", {}, m.subject || ""),
        h("td", {}, Object.entries(m.states).map(([r, st]) => h("div", {}, h("span", { class: "badge s-" + st }, st), " ", h("span", { class: "mono" }, r))))));
    }
    if (d.messages.length) before = d.messages[d.messages.length - 1].event_id;
    more.hidden = d.messages.length < PAGE;
  }).catch((e) => { note.textContent = e.message; note.className = "error"; });
  more.addEventListener("click", page);
  page();
}

// recipientView is everything that happened to one address, one timeline
// per message: how a user finds "the mail to bob" among thousands.
export function recipientView(main, address) {
  main.append(h("h1", {}, "Recipient ", h("span", { class: "mono" }, address)));
  const tl = h("section", { class: "card", id: "timeline" }, h("p", { class: "muted" }, "Loading…"));
  main.append(tl);
  get("/api/v1/recipients/" + encodeURIComponent(address) + "/timeline").then((d) => {
    if (!d.timelines.length) {
      clear(tl).append(h("p", { class: "muted" }, "No message to this address in the event log. Addresses are matched exactly, as the relay recorded them."));
      return;
    }
    renderTimeline(tl, { recipients: d.timelines });
  }).catch((e) => clear(tl).append(h("p", { class: "error" }, e.message)));
}

export function messageView(main, id) {
  main.append(h("h1", {}, "Message ", h("span", { class: "mono" }, id)));
  const detail = h("section", { class: "card", id: "msg-detail" }, h("p", { class: "muted" }, "Loading…"));
  const tl = h("section", { class: "card", id: "timeline" }, h("h2", {}, "Timeline"));
  main.append(h("div", { class: "two" }, tl, detail));
  get("/api/v1/messages/" + encodeURIComponent(id)).then((m) => {
    renderMessage(detail, m, "/api/v1/messages/" + encodeURIComponent(id) + "/body.html");
  }).catch((e) => {
    clear(detail).append(h("p", { class: "muted" }, "Content not available: ", e.message));
  });

  let stream = null;
  let stopped = false;
  const load = () => get("/api/v1/messages/" + encodeURIComponent(id) + "/timeline").then((t) => {
    if (stopped) return t;
    renderTimeline(tl, t);
    return t;
  });
  // One reload at a time: events that commit meanwhile ask for one more,
  // so a busy message costs a reload per round trip, not one per event.
  let busy = false, again = false;
  const reload = () => {
    if (busy) { again = true; return; }
    busy = true;
    load().catch(() => {}).finally(() => {
      busy = false;
      if (again && !stopped) { again = false; reload(); }
    });
  };
  load().catch(() => {
    clear(tl).append(h("h2", {}, "Timeline"), h("p", { class: "muted" }, "No events for this message yet."));
    return { events: [] };
  }).then((t) => {
    if (stopped) return;
    // Follow the message: redraw its timeline as events commit.
    const after = t.events && t.events.length ? t.events[t.events.length - 1].id : 0;
    stream = new Stream({ after, message: id }, reload, setStatus);
  });
  return () => { stopped = true; if (stream) stream.close(); setStatus("offline"); };
}

export function sinkMessageView(main, id) {
  main.append(h("h1", {}, "Received message ", h("span", { class: "mono" }, id)));
  const detail = h("section", { class: "card" }, h("p", { class: "muted" }, "Loading…"));
  main.append(detail);
  get("/api/v1/sink/messages/" + encodeURIComponent(id)).then((m) => {
    renderMessage(detail, m, "/api/v1/sink/messages/" + encodeURIComponent(id) + "/body.html");
  }).catch((e) => clear(detail).append(h("p", { class: "error" }, e.message)));
}

// renderMessage shows a message. Its HTML goes only into a sandboxed iframe
// (no scripts, no same-origin, no forms, no popups) whose document the
// server sends under a CSP that blocks every remote load.
function renderMessage(el, m, bodyURL) {
  clear(el);
  el.append(
    h("h2", {}, "Envelope"),
    h("dl", { class: "kv" },
      h("dt", {}, "Subject"), h("dd", { id: "msg-subject" }, m.subject || "(none)"),
      h("dt", {}, "From"), h("dd", { class: "mono" }, m.from || "<>"),
      h("dt", {}, "To"), h("dd", { class: "mono" }, (m.to || []).join(", ")),
      h("dt", {}, "Received"), h("dd", {}, fmtTime(m.received)),
      h("dt", {}, "Size"), h("dd", {}, String(m.size) + " bytes")));
  if (m.headers && m.headers.length) {
    el.append(h("details", {}, h("summary", {}, "Headers (" + m.headers.length + ")"),
      h("div", { class: "scroll" }, h("table", { class: "headers" },
        h("tbody", {}, m.headers.map((x) => h("tr", {}, h("th", {}, x.name), h("td", { class: "mono" }, x.value))))))));
  }
  if (m.html) {
    el.append(h("h2", {}, "HTML body"),
      h("iframe", { class: "body", sandbox: "", referrerpolicy: "no-referrer", src: bodyURL, title: "message body (sandboxed)" }));
  }
  if (m.text) {
    el.append(h("h2", {}, "Text body"), h("pre", { class: "body-text" }, m.text));
  }
}

function renderTimeline(el, t) {
  // A redraw keeps the transcripts the user opened open.
  const open = new Set([...el.querySelectorAll("details[open][data-id]")].map((d) => d.dataset.id));
  clear(el);
  el.append(h("h2", {}, "Timeline"));
  for (const r of t.recipients || []) {
    const items = r.events.map((e) => {
      const p = e.payload || {};
      const li = h("li", { class: "step", "data-kind": e.kind },
        h("span", { class: "when" }, fmtTime(e.time)), " ",
        h("span", { class: badgeClass(e.kind) }, e.kind.replace(/^relay\./, "")), " ",
        h("span", { class: "what" }, summary(e)));
      const why = explain(e);
      if (why.reason) li.append(h("div", { class: "muted reason" }, why.reason));
      if (why.advice) li.append(h("div", { class: "advice" }, "What to do: ", why.advice));
      if (why.suppressed) li.append(h("div", { class: "muted" }, why.suppressed));
      if (e.kind === "relay.dsn" && typeof p.dsn_message === "string" && p.dsn_message) {
        li.append(h("div", { class: "small" }, "The DSN itself: ", h("a", { href: path("messages", p.dsn_message), class: "mono dsn-link" }, p.dsn_message)));
      }
      const tr = p.transcript;
      let body = null;
      if (Array.isArray(tr) && tr.length) body = transcript(tr);
      else if (typeof tr === "string" && tr) body = h("pre", { class: "transcript" }, tr);
      if (body) {
        const d = h("details", { "data-id": e.id }, h("summary", {}, "SMTP transcript"), body);
        d.open = open.has(String(e.id));
        li.append(d);
      }
      const to = link(e);
      if (to && to[0] === "sink") {
        li.append(h("div", { class: "small" }, h("a", { href: path(...to) }, to[1] === "messages" ? "the copy the sink received" : "the sink's session " + to[2])));
      }
      if (e.kind === "relay.attempt") {
        const where = [p.path ? "path " + p.path : "", p.address && p.address !== p.host ? "[" + p.address + "]" : "",
          p.tls ? "TLS" + (typeof p.cipher === "string" && p.cipher ? " " + p.cipher : "") : "no TLS",
          typeof p.latency_ms === "number" ? p.latency_ms + " ms" : "", p.attempt ? "attempt " + p.attempt : ""].filter(Boolean).join(" · ");
        li.append(h("div", { class: "mono muted small" }, where));
      }
      return li;
    });
    // Events of the sink alone (its replies, a message it received under
    // its Message-ID) are the receiving side, with no relay state.
    const relaySide = r.events.some((e) => e.kind.startsWith("relay."));
    const who = r.message ? h("span", { class: "mono" }, r.recipient)
      : h("a", { href: path("recipients", r.recipient), class: "mono", title: "every message to this address" }, r.recipient);
    el.append(h("div", { class: "rcpt" },
      relaySide
        ? h("h3", {}, who, " ", h("span", { class: "badge s-" + r.state }, r.state),
          r.message ? [" in message ", h("a", { href: path("messages", r.message), class: "mono" }, r.message)] : "")
        : h("h3", {}, who, " ", h("span", { class: "muted" }, "as the sink saw it")),
      h("ol", { class: "steps" }, items)));
  }
}

// transcript shows lines [{dir, text}] or strings.
export function transcript(lines) {
  return h("pre", { class: "transcript" }, lines.map((l) => {
    if (typeof l === "string") return h("div", {}, l);
    const dir = l.dir === "c" ? "C: " : l.dir === "s" ? "S: " : "   ";
    return h("div", { class: "t-" + (l.dir === "c" ? "c" : l.dir === "s" ? "s" : "n") }, dir + (l.text || ""));
  }));
}
