// Messages: the list, and one message's envelope, headers, body and the
// attempt timeline of each recipient.
import { h, path, fmtTime, clear } from "./dom.js";
import { get } from "./api.js";
import { Stream } from "./stream.js";
import { badgeClass, summary } from "./events.js";
import { setStatus } from "./status.js";

export function messagesView(main) {
  const tbody = h("tbody");
  main.append(h("h1", {}, "Messages"),
    h("div", { class: "scroll" }, h("table", {},
      h("thead", {}, h("tr", {}, h("th", {}, "queued"), h("th", {}, "message"), h("th", {}, "from"), h("th", {}, "subject"), h("th", {}, "recipients"))),
      tbody)));
  get("/api/v1/messages?limit=200").then((d) => {
    if (d.messages.length === 0) tbody.append(h("tr", {}, h("td", { colspan: 5, class: "muted" }, "No messages yet.")));
    for (const m of d.messages) {
      tbody.append(h("tr", {},
        h("td", {}, fmtTime(m.queued)),
        h("td", { class: "mono" }, h("a", { href: path("messages", m.id) }, m.id)),
        h("td", { class: "mono" }, m.from),
        h("td", {}, m.subject || ""),
        h("td", {}, Object.entries(m.states).map(([r, st]) => h("div", {}, h("span", { class: "badge s-" + st }, st), " ", h("span", { class: "mono" }, r))))));
    }
  }).catch((e) => main.append(h("p", { class: "error" }, e.message)));
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
  load().catch(() => {
    clear(tl).append(h("h2", {}, "Timeline"), h("p", { class: "muted" }, "No events for this message yet."));
    return { events: [] };
  }).then((t) => {
    if (stopped) return;
    // Follow the message: redraw its timeline as events commit.
    const after = t.events && t.events.length ? t.events[t.events.length - 1].id : 0;
    stream = new Stream({ after, message: id }, () => load().catch(() => {}), setStatus);
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
  clear(el);
  el.append(h("h2", {}, "Timeline"));
  for (const r of t.recipients || []) {
    const items = r.events.map((e) => {
      const p = e.payload || {};
      const li = h("li", { class: "step", "data-kind": e.kind },
        h("span", { class: "when" }, fmtTime(e.time)), " ",
        h("span", { class: badgeClass(e.kind) }, e.kind.replace(/^relay\./, "")), " ",
        h("span", { class: "what" }, summary(e)));
      if (p.reason && p.reply) li.append(h("div", { class: "muted" }, p.reason));
      if (p.advice) li.append(h("div", { class: "advice" }, p.advice));
      const tr = p.transcript;
      if (Array.isArray(tr) && tr.length) {
        li.append(h("details", {}, h("summary", {}, "SMTP transcript"), transcript(tr)));
      } else if (typeof tr === "string" && tr) {
        li.append(h("details", {}, h("summary", {}, "SMTP transcript"), h("pre", { class: "transcript" }, tr)));
      }
      if (e.kind === "relay.attempt") {
        const where = [p.path ? "path " + p.path : "", p.address && p.address !== p.host ? "[" + p.address + "]" : "",
          p.tls ? "TLS" + (typeof p.cipher === "string" && p.cipher ? " " + p.cipher : "") : "no TLS",
          typeof p.latency_ms === "number" ? p.latency_ms + " ms" : "", p.attempt ? "attempt " + p.attempt : ""].filter(Boolean).join(" · ");
        li.append(h("div", { class: "mono muted small" }, where));
      }
      return li;
    });
    el.append(h("div", { class: "rcpt" },
      h("h3", {}, h("span", { class: "mono" }, r.recipient), " ", h("span", { class: "badge s-" + r.state }, r.state)),
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
