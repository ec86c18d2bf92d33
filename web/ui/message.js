// Messages: the list, and one message's envelope, headers, body and the
// attempt timeline of each recipient.
import { h, path, fmtTime, shortTime, clear, prose, iso, addr, marked, replyLines, bidiControls, shownText, dialogText, deleteDialog, focusPlace } from "./dom.js";
import { get, api } from "./api.js";
import { Stream } from "./stream.js";
import { badgeClass, summary, explain, link, dsnFor, bounceFor, sinkBounce, atStage, replyShown, sinkReplyLine } from "./events.js";
import { setStatus, final } from "./status.js";
import { frameBatcher } from "./batch.js";
import { askDialog, question } from "./dialog.js";
import { arrived, backLink } from "./place.js";

const TERMINAL = new Set(["delivered", "bounced", "expired", "suppressed"]);
const STATE_OF = { "relay.queued": "queued", "relay.deferred": "deferred", "relay.delivered": "delivered",
  "relay.bounced": "bounced", "relay.expired": "expired", "relay.suppressed": "suppressed", "relay.held": "held", "relay.released": "released" };
// STATE_WORDS are the list's states in the Queue's words: "held" is held
// by hand (relay.held), "shaped" a deferral of the relay's own shaping,
// with nothing sent, which the Queue shows as held; each with the
// Queue's badge colour.
const STATE_WORDS = { held: ["held by hand", "s-heldbyhand", "an operator held it: nothing is sent to it until it is released"],
  shaped: ["held", "s-held", "the relay's own shaping holds it (a destination resting, a sending window, a warm-up cap): nothing was sent, no server deferred it"] };
const MAX_MESSAGES = 1000;

// messagesView lists the relay's messages, or, with words (#/messages/
// find/WORDS), those whose subject holds them.
export function messagesView(main, words) {
  const w = (words || "").trim();
  const tbody = h("tbody", { id: "messages-rows" });
  const q = h("input", { type: "search", name: "q", value: w, placeholder: "message id, recipient address, or words of the subject",
    "aria-label": "find a message: its id, a recipient's address, or words of its subject", id: "find-text" });
  const find = h("form", { class: "filters", id: "find" }, q, h("button", { type: "submit" }, "Find"),
    w ? h("a", { href: "#/messages", id: "find-all" }, "All messages") : "");
  const more = h("button", { type: "button", id: "older" }, "Older messages");
  more.hidden = true;
  const note = h("p", { class: "muted" });
  const found = h("p", { class: "muted", id: "find-note" }, w ? ["Messages whose subject contains ", h("q", {}, iso(w)), ", in any case, newest first."] : "");
  found.hidden = !w;
  const empty = h("p", { class: "muted", id: "messages-empty" }, w ? ["No message's subject contains ", h("q", {}, iso(w)), ", and no message has it as its id."]
    : "No messages yet: mail sent through the relay shows here.");
  empty.hidden = true;
  // Not the sink's caught mail, as a Mailpit user may take it for: the
  // relay's outgoing mail, the Inbox being the other side.
  main.append(h("h1", {}, "Messages"),
    h("p", { class: "muted", id: "messages-about" }, "Mail submitted to relaylab's relay, with each recipient's outcome. What the sink received is under ",
      h("a", { href: "#/inbox" }, "Inbox"), "."), find, found,
    h("div", { class: "scroll" }, h("table", { class: "cards", id: "messages-table" },
      h("thead", {}, h("tr", {}, h("th", {}, "queued"), h("th", {}, "message"), h("th", {}, "from"), h("th", {}, "subject"), h("th", {}, "recipients"))),
      tbody)), empty, h("div", { class: "bar" }, more), note);
  // An address finds every message to it; a message's id, its page;
  // anything else, the messages whose subject holds it (subject=).
  find.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const v = q.value.trim();
    if (!v) { location.hash = "#/messages"; return; }
    if (v.includes("@")) { location.hash = path("recipients", v); return; }
    get("/api/v1/events?" + new URLSearchParams({ message: v, limit: "1" })).then((d) => d.events.length > 0, () => false)
      .then((isID) => { if (!stopped) location.hash = isID ? path("messages", v) : path("messages", "find", v); });
  });

  // Each shown message: its row and its recipients' states.
  const rows = new Map();
  function stateCell(m) {
    return Object.entries(m.states).map(([r, st]) => {
      const [word, cls, why] = STATE_WORDS[st] || [st, "s-" + st, undefined];
      return h("div", {}, h("span", { class: "badge " + cls, title: why }, word), " ", h("span", { class: "mono" }, addr(r)));
    });
  }
  function makeRow(m) {
    // Every cell says what it is where a phone shows it as a card, with
    // no header row above it (data-label).
    const cell = h("td", { class: "wide", "data-label": "recipients" }, stateCell(m));
    const tr = h("tr", { "data-id": m.id },
      h("td", { class: "nowrap", "data-label": "queued" }, fmtTime(m.queued)),
      h("td", { class: "mono", "data-label": "message" }, h("a", { href: path("messages", m.id) }, m.id)),
      m.from ? h("td", { class: "mono", "data-label": "from" }, addr(m.from)) : h("td", { class: "mono", "data-label": "from", title: "the null sender: a bounce or another notice, which nobody answers" }, "<>"),
      h("td", { class: "wide", "data-label": "subject" }, m.subject ? iso(m.subject) : h("span", { class: "muted" }, "(no subject)")),
      cell);
    rows.set(m.id, { m, tr, cell });
    return tr;
  }
  const PAGE = 200;
  let before = 0;
  const page = () => get("/api/v1/messages?limit=" + PAGE + (before ? "&before=" + before : "") + (w ? "&subject=" + encodeURIComponent(w) : "")).then((d) => {
    for (const m of d.messages) if (!rows.has(m.id)) tbody.append(makeRow(m));
    if (d.messages.length) before = d.messages[d.messages.length - 1].event_id;
    more.hidden = d.messages.length < PAGE;
    empty.hidden = rows.size > 0;
  }).catch((e) => { note.textContent = e.message; note.className = "error"; });
  more.addEventListener("click", page);

  // Live: a relay.queued adds its message on top (or a recipient to it), a
  // state event changes a recipient's badge. As in the list the server
  // builds, the latest terminal event wins (an asynchronous bounce turns
  // delivered into bounced) and a later deferral changes nothing. At most MAX_MESSAGES rows
  // stay: the oldest go, and "Older messages" reads on from there.
  function apply(evs) {
    const fresh = [];
    const touched = new Set();
    for (const e of evs) {
      const st = STATE_OF[e.kind];
      if (!st || !e.message) continue;
      const p = e.payload && typeof e.payload === "object" ? e.payload : {};
      let x = rows.get(e.message);
      // A message that came, with words to find: listed when its subject
      // holds them, as the server's subject= would list it.
      if (!x && e.kind === "relay.queued" && (!w || String(p.subject || "").toLowerCase().includes(w.toLowerCase()))) {
        const m = { id: e.message, event_id: e.id, queued: e.time, from: String(p.sender ?? p.from ?? ""), subject: typeof p.subject === "string" ? p.subject : "", states: {} };
        fresh.push(makeRow(m));
        x = rows.get(e.message);
      }
      if (!x) continue; // a message older than those shown
      const rcpts = e.recipient ? [e.recipient] : Array.isArray(p.to) ? p.to.map(String) : [];
      for (const r of rcpts) x.m.states[r] = nextListState(x.m, r, st, p);
      touched.add(x);
    }
    for (const x of touched) clear(x.cell).append(...stateCell(x.m));
    if (fresh.length) {
      const frag = document.createDocumentFragment();
      for (let i = fresh.length - 1; i >= 0; i--) frag.appendChild(fresh[i]);
      tbody.insertBefore(frag, tbody.firstChild);
    }
    while (rows.size > MAX_MESSAGES) {
      const tr = tbody.lastChild;
      rows.delete(tr.dataset.id);
      tbody.removeChild(tr);
      more.hidden = false;
    }
    if (tbody.lastChild) before = rows.get(tbody.lastChild.dataset.id).m.event_id;
    empty.hidden = rows.size > 0;
  }
  const batch = frameBatcher(apply, 0);
  let stream = null;
  let stopped = false;
  // The stream starts where the log stood before the list was read: what
  // commits in between comes twice and changes nothing the second time.
  get("/api/v1/events?tail=1&limit=1").then((cur) => page().then(() => {
    if (stopped) return;
    stream = new Stream({ after: cur.next, kind: Object.keys(STATE_OF).join(",") }, (evs) => batch.push(evs), setStatus);
  })).catch((e) => { note.textContent = e.message; note.className = "error"; });
  return () => { stopped = true; batch.cancel(); if (stream) stream.close(); };
}

// nextListState is the state recipient r of list message m is left in by
// an event whose state is st (STATE_OF) and payload p, as the server's
// list reads it (web/messages.go listState): the latest terminal state
// wins, a hold by hand lasts until its release, which gives back the state
// before, and a deferral at the shaping stage is "shaped".
function nextListState(m, r, st, p) {
  const cur = m.states[r];
  m.before = m.before || {};
  if (cur && TERMINAL.has(cur) && !TERMINAL.has(st)) return cur;
  if (st === "held") {
    if (cur !== "held") m.before[r] = cur;
    return "held";
  }
  if (st === "released") {
    if (cur !== "held") return cur;
    const b = m.before[r] || "queued";
    delete m.before[r];
    return b;
  }
  if (cur === "held" && !TERMINAL.has(st)) return cur;
  if (st === "deferred" && p.reply && typeof p.reply === "object" && p.reply.stage === "shaping") return "shaped";
  return st;
}

// recipientView is everything that happened to one address, one timeline
// per message: how a user finds "the mail to bob" among thousands.
export function recipientView(main, address) {
  main.append(h("h1", {}, "Recipient ", h("span", { class: "mono" }, iso(address))));
  const tl = h("section", { class: "card", id: "timeline" }, h("p", { class: "muted" }, "Loading…"));
  main.append(tl);
  get("/api/v1/recipients/" + encodeURIComponent(address) + "/timeline").then((d) => {
    if (!d.timelines.length) {
      clear(tl).append(h("p", { class: "muted" }, "No message to this address in the event log. Addresses are matched whatever the case of their letters, but otherwise exactly: a tag (+...) or a dot counts."));
      return;
    }
    renderTimeline(tl, { recipients: d.timelines, events: d.timelines.flatMap((x) => x.events), truncated: d.truncated, next: d.next, recipient: address });
  }).catch((e) => clear(tl).append(h("p", { class: "error" }, e.message)));
}

export function messageView(main, id) {
  const heading = h("hgroup", {}, h("h1", {}, "Message ", h("span", { class: "mono" }, id)));
  main.append(heading);
  // A DSN the relay wrote says which message it reports on: its events
  // carry that id (dsn_for).
  const about = h("p", { id: "dsn-about" });
  about.hidden = true;
  main.append(about);
  const showAbout = (t) => {
    const of = (t.events || []).map(dsnFor).find(Boolean);
    // A bounce relaylab's sink sent comes into the relay in process: the
    // relay carries it to the sender as it would any server's bounce.
    const fromSink = !of && (t.events || []).some(sinkBounce);
    // A bounce from elsewhere that the relay matched to its message.
    const bounced = (t.events || []).map(bounceFor).find(Boolean);
    const bouncedLink = bounced ? [" It reports on message ", h("a", { href: path("messages", bounced), class: "mono" }, bounced), "."] : [];
    about.hidden = !of && !fromSink && !bounced;
    if (of) clear(about).append("This is a DSN (a bounce or delay notice the relay wrote) about message ",
      h("a", { href: path("messages", of), class: "mono" }, of), ".");
    else if (fromSink) clear(about).append("This is a late bounce (a DSN) that relaylab's sink sent for a message it had accepted, ",
      "handed to this relay in process to go back to the sender: its text below names the recipient it bounced and the reply.", ...bouncedLink);
    else if (bounced) clear(about).append("This is a bounce (a DSN) that another server sent back for a message of this relay's; ",
      "the relay recorded it and relays it on to the sender.", ...bouncedLink);
  };
  // What the relay noted on the message when it queued it (a line a next
  // hop may wrap, breaking the DKIM signature it will carry): the
  // relay.queued events' notes.
  const notes = h("div", { class: "msg-notes", id: "msg-relay-notes", role: "note" });
  notes.hidden = true;
  main.append(notes);
  const showNotes = (t) => {
    const q = (t.events || []).find((e) => e.kind === "relay.queued" && e.payload && Array.isArray(e.payload.notes) && e.payload.notes.length);
    notes.hidden = !q;
    if (q) clear(notes).append(h("p", {}, "The relay noted, when it queued this message:"),
      h("ul", {}, q.payload.notes.map((n) => h("li", {}, iso(String(n))))));
  };
  const detail = h("section", { class: "card", id: "msg-detail" }, h("p", { class: "muted" }, "Loading…"));
  const tl = h("section", { class: "card", id: "timeline" }, h("h2", {}, "Timeline"));
  const rec = h("section", { class: "card", id: "received" });
  rec.hidden = true;
  main.append(h("div", { class: "two" }, tl, h("div", {}, detail, rec)));
  get("/api/v1/messages/" + encodeURIComponent(id)).then((m) => {
    subjectLine(heading, m.subject);
    renderMessage(detail, m, "/api/v1/messages/" + encodeURIComponent(id));
  }).catch((e) => {
    if (e.status !== 404) {
      clear(detail).append(h("p", { class: "muted" }, "Content not available: ", e.message));
      return;
    }
    // Held no more, or never here: the event log tells which.
    get("/api/v1/messages/" + encodeURIComponent(id) + "/timeline").then(() => {
      clear(detail).append(h("p", { class: "muted", id: "msg-gone" }, "The relay no longer holds this message: it was deleted from the queue by hand ",
        "(the timeline says so for each recipient it was waiting for), or it was never queued here. Its events stay in the timeline."));
    }).catch((te) => {
      if (te.status !== 404) return;
      clear(detail).append(h("p", { class: "error", id: "msg-none" }, "No message with id ", h("span", { class: "mono" }, iso(id)),
        ": the relay holds none, and the event log names none. Check the id (the one relay.queued reported), or find the message by a recipient's address on the Messages page."));
      tl.hidden = true;
      rec.hidden = true;
    });
  });

  let stream = null;
  let stopped = false;
  let rechecks = 0, recheck = null;
  const base = "/api/v1/messages/" + encodeURIComponent(id);
  // The receiving side, when this process's sink took the mail: null when
  // there is no sink here.
  const received = () => get(base + "/received").catch(() => null);
  const load = () => Promise.all([get(base + "/timeline"), received()]).then(([t, r]) => {
    if (stopped) return t;
    showAbout(t);
    showNotes(t);
    const queued = (t.events || []).find((e) => e.kind === "relay.queued" && e.payload && typeof e.payload.subject === "string");
    if (queued) subjectLine(heading, queued.payload.subject);
    renderTimeline(tl, t, r);
    renderReceived(rec, r, t);
    // The sink records a session when it ends, which can be just after the
    // relay recorded its attempt: look again a few times for a missing side.
    const unpaired = r && (t.events || []).some((e) => e.kind === "relay.attempt" && !r.attempts.some((a) => a.relay_attempt === e.id));
    if (unpaired && rechecks < 3) {
      clearTimeout(recheck);
      recheck = setTimeout(reload, 1000 << rechecks++);
    }
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
  load().catch((e) => {
    clear(tl).append(h("h2", {}, "Timeline"), e.status === 404 ? h("p", { class: "muted" }, "No events for this message yet.")
      : h("p", { class: "error" }, "Cannot show the timeline: ", e.message));
    return { events: [] };
  }).then((t) => {
    if (stopped) return;
    // Follow the message: redraw its timeline as events commit.
    const after = t.events && t.events.length ? t.events[t.events.length - 1].id : 0;
    stream = new Stream({ after, message: id }, reload, setStatus);
  });
  return () => { stopped = true; clearTimeout(recheck); if (stream) stream.close(); };
}

// renderReceived shows what relaylab's own sink received of the message:
// each copy (a second copy for the same recipient is a duplicate), and
// each attempt as the sink saw it, with the session whose transcript shows
// it. r is null when this process runs no sink: the card stays hidden.
function renderReceived(el, r, t) {
  el.hidden = !r;
  if (!r) return;
  clear(el).append(h("h2", {}, "Received by the sink"));
  const gone = r.gone || [];
  if (!r.message_id) {
    el.append(h("p", { class: "muted", id: "received-no-id" }, "This message has no Message-ID header: its copies are found by the sink's reply to the relay's attempts (\"Message accepted as N\"), and attempts refused before DATA by sender, recipient and time."));
  }
  for (const g of gone) {
    el.append(h("p", { class: "gone", id: "received-gone-" + g.id }, "The sink accepted this message for ", h("span", { class: "mono" }, iso(g.recipient)),
      " (", h("span", { class: "mono" }, replyLines(g.reply)), ") but no longer holds copy " + g.id + ": it was deleted, or the sink's store was reset since."));
  }
  if (!r.copies.length && !r.attempts.length) {
    if (gone.length) return;
    // Say what is known: an attempt that a server accepted went somewhere
    // the sink cannot match, or nothing was accepted yet.
    const accepted = ((t && t.events) || []).filter((e) => e.kind === "relay.attempt" && e.payload && e.payload.reply && Math.floor(e.payload.reply.code / 100) === 2);
    el.append(h("p", { class: "muted", id: "received-none" }, accepted.length
      ? ["The sink holds no copy matched to this message: none under its Message-ID, and no accepted attempt has the sink's reply (\"Message accepted as N\"). The server that accepted it: ",
        list([...new Set(accepted.map((e) => e.payload.address || e.target || "?"))]), "."]
      : "The sink holds nothing of this message yet: no attempt of the relay's was accepted so far."));
    return;
  }
  if (r.copies.length) {
    // A recipient in flight at an unclean stop was sent again: an
    // unpaired copy is then most likely the cut-off attempt's.
    const recovered = ((t && t.events) || []).some((e) => e.kind === "relay.recovered");
    el.append(h("p", { id: "received-summary" }, r.copies.length + (r.copies.length === 1 ? " copy" : " copies"),
      r.message_id ? [" under Message-ID ", h("span", { class: "mono" }, "<", iso(r.message_id), ">")] : " that the sink accepted from the relay's attempts",
      r.duplicates ? [", ", h("strong", { class: "dup" }, r.duplicates + (r.duplicates === 1 ? " duplicate" : " duplicates")),
        ": a recipient holds this message more than once."] : "."));
    el.append(h("div", { class: "scroll" }, h("table", { class: "cards", id: "received-copies" },
      h("thead", {}, h("tr", {}, h("th", {}, "copy"), h("th", {}, "received"), h("th", {}, "recipients"), h("th", {}, "reply after the dot"))),
      h("tbody", {}, r.copies.map((c) => {
        const prev = r.copies[c.copy - 2];
        return h("tr", { class: c.duplicate ? "dup" : "", "data-id": c.id },
          // Its session under it, not in a column of its own: the card
          // is half the page wide, and the recipients keep their room.
          h("td", {}, h("a", { href: path("sink", "messages", c.id) }, "copy " + c.copy),
            c.duplicate ? [" ", h("span", { class: "badge dup" }, "duplicate")] : "",
            h("div", { class: "small nowrap" }, h("a", { href: path("sink", "sessions", c.session) }, "session " + c.session))),
          h("td", { "data-label": "received", title: fmtTime(c.time) }, shortTime(c.time)),
          h("td", { class: "mono", "data-label": "to" }, list(c.to)),
          h("td", { class: "wide" }, replyLines(sinkReplyLine(c.reply)),
            c.duplicate && prev && !prev.code ? h("div", { class: "muted small" }, "The sink gave no reply to copy " + prev.copy + ", so the relay sent the message again: the recipient now has it twice.") : "",
            !c.code ? h("div", { class: "muted small" }, "The sink kept this copy, but the relay heard no reply: it will count this attempt as failed.") : "",
            c.unpaired ? h("div", { class: "muted small unpaired" }, recovered
              ? "No recorded attempt of the relay's left this copy: most likely the attempt that the relay's stop cut off (\"sent again after a stop\" in the timeline), which the sink took before the relay could record it; the recipient then holds the message twice. It is not counted as a duplicate."
              : "No recorded attempt of the relay's left this copy: the same Message-ID reached the sink another way (sent to it directly, say), or an attempt the relay did not get to record left it (a crash). It is not counted as a duplicate.") : ""));
      })))));
  }
  if (r.attempts.length) {
    el.append(h("h3", {}, "Each attempt as the sink saw it"),
      h("ol", { class: "steps", id: "received-attempts" }, r.attempts.map((a) => h("li", {},
        h("span", { class: "when" }, fmtTime(a.time)), " ",
        h("span", { class: "mono" }, addr(a.recipient)), " ",
        sinkReply(a), " ",
        h("a", { href: path("sink", "sessions", a.session), class: "session-link" }, "transcript of session " + a.session),
        a.copy ? [" · ", h("a", { href: path("sink", "messages", a.copy) }, "the copy it left")] : "",
        a.relay_attempt ? "" : h("div", { class: "muted small" }, "No relay attempt of this message matches it in time.")))));
  }
}

// sinkReply is one sink attempt's ending: the reply and its stage, or
// that none was given.
function sinkReply(a) {
  if (!a.code) return ["no reply " + atStage(a.stage), a.text ? [" (", replyLines(a.text), ")"] : ""];
  return replyShown(a);
}

// list is values from mail, each isolated, between commas.
function list(vs) {
  return (vs || []).flatMap((v, i) => (i ? [", ", addr(v)] : [addr(v)]));
}

export function sinkMessageView(main, id) {
  final("a message the sink stored");
  // The way back to the Inbox: to the place the reader left it (its
  // search, its pages, the row), when they came from there (place.js).
  arrived();
  const toInbox = () => backLink("inbox", "#/inbox", "Back to the inbox");
  const session = h("p", { id: "msg-session", class: "muted" }, "Looking for the session that brought it…");
  const heading = h("hgroup", {}, h("h1", {}, "Received message ", h("span", { class: "mono" }, id)));
  // A DSN says which message of the relay's it reports on, when the
  // store has it (dsnReportsOn).
  const about = h("p", { id: "dsn-about" });
  about.hidden = true;
  main.append(h("p", { class: "small", id: "msg-back" }, toInbox()), heading, session, about);
  const del = h("button", { type: "button", class: "danger", id: "msg-delete" }, "Delete message");
  const delNote = h("span", { class: "small", id: "msg-delete-note", role: "status" });
  del.hidden = true;
  const detail = h("section", { class: "card" }, h("p", { class: "muted" }, "Loading…"));
  const ask = askDialog();
  main.append(h("div", { class: "bar" }, del, " ", delNote), detail, ask.el);
  let stopped = false;
  let shownMsg = null;
  // Delete asks first, in the page's dialog, then deletes the message
  // alone (DELETE /api/v1/sink/messages/{id}): its session and attempts
  // stay.
  del.addEventListener("click", () => {
    if (shownMsg) ask.confirm(question(sinkDeleteQuestion(shownMsg), { yes: "Delete", danger: true })).then((yes) => { if (yes && !stopped) remove(); });
  });
  const remove = () => {
    delNote.className = "small muted";
    delNote.textContent = "Deleting…";
    api("DELETE", "/api/v1/sink/messages/" + encodeURIComponent(id)).then(() => {
      if (stopped) return;
      del.hidden = true;
      delNote.textContent = "";
      // The Delete button that had the focus is gone: the focus goes to
      // what says the message was deleted, beside the way back.
      const gone = h("p", { id: "msg-deleted" }, "Message " + id + " was deleted. ", toInbox());
      clear(detail).append(gone);
      focusPlace(gone);
    }).catch((e) => {
      if (stopped) return;
      delNote.className = "small error";
      delNote.textContent = e.status === 409 ? "Not deleted: " + (e.detail || e.message) : "Not deleted: " + e.message;
    });
  };
  // The message names its session; the session's transcript shows the
  // reply the sink gave to this message.
  const showSession = (sid) => {
    if (stopped) return;
    if (!sid) {
      session.textContent = "The store names no session for this message.";
      return;
    }
    const link = h("a", { href: path("sink", "sessions", sid), class: "mono" }, sid);
    get("/api/v1/sink/sessions/" + encodeURIComponent(sid)).then((ss) => {
      if (stopped) return;
      clear(session).append("Received in session ", link,
        " (", iso(ss.listener), ", from ", iso(ss.client), ")", ...(ss.last_reply ? ["; its last reply: ", replyLines(sinkReplyLine(ss.last_reply))] : []),
        ". The session's transcript shows the reply the sink gave to this message.");
    }).catch((e) => {
      if (stopped) return;
      if (e.status !== 404) { session.className = "error"; session.textContent = e.message; return; }
      clear(session).append("Received in session ", link,
        ", which the sink has not recorded yet: it records a session when it ends, so the session is still open, or the sink stopped before it ended.");
    });
  };
  get("/api/v1/sink/messages/" + encodeURIComponent(id)).then((m) => {
    subjectLine(heading, m.subject);
    const texts = renderMessage(detail, m, "/api/v1/sink/messages/" + encodeURIComponent(id), { sink: true });
    shownMsg = m;
    del.hidden = false;
    showSession(m.session);
    lateBounces(id, m.to).then((evs) => {
      const dd = detail.querySelector("#msg-reply");
      if (stopped || !evs.length || !dd) return;
      dd.append(h("ul", { class: "small", id: "msg-late-bounces" }, evs.map((e) => h("li", {}, lateBounce(e, (m.to || []).length > 1)))));
    }).catch(() => {}); // the reply stands without them
    if (!isReport(m)) return;
    texts.then((tx) => dsnReportsOn(m, tx)).then((r) => {
      if (stopped || !r) return;
      const of = h("a", { href: path("messages", r.of), class: "mono" }, r.of);
      const as = r.carrier ? h("a", { href: path("messages", r.carrier), class: "mono" }, r.carrier) : null;
      if (r.how === "dsn") about.append("This is the DSN (a bounce or delay notice) that this relaylab's relay wrote about its message ", of, ", sent as message ", as, ".");
      else if (r.how === "bounce") about.append("This is a bounce (a DSN) about this relaylab's relay's message ", of, ", written by the server that took it and carried on to the sender by the relay as message ", as, ".");
      else about.append("This DSN reports on this relaylab's relay's message ", of, ": the headers it returns hold the relay's Received field, which names it.");
      about.hidden = false;
    }).catch(() => {});
  }).catch((e) => {
    clear(detail).append(h("p", { class: "error" }, e.message));
    session.hidden = true;
  });
  return () => { stopped = true; };
}

// subjectLine puts a message's subject under its page's heading (an
// hgroup), once: isolated and with its controls and invisible characters
// marked, as everywhere else (iso).
function subjectLine(heading, subject) {
  if (heading.querySelector(".h-subject")) return;
  heading.append(h("p", { class: "h-subject", id: "msg-heading-subject" },
    typeof subject === "string" && subject ? iso(subject) : h("span", { class: "muted" }, "(no subject)")));
}

// lateBounces reads the sink's late bounces of its message id (the DSNs
// it sent, or could not send, after it had accepted the message): the
// sink.bounce events of its recipients (to) that name the message,
// oldest first. The log files each under the recipient it bounced.
async function lateBounces(id, to) {
  const want = Number(id);
  const out = [];
  for (const rcpt of [...new Set((to || []).map(String))].slice(0, 20)) {
    let after = 0;
    for (let page = 0; page < 5; page++) { // 5,000 bounces of one address at most
      const d = await get("/api/v1/events?kind=sink.bounce&limit=1000&recipient=" + encodeURIComponent(rcpt) + "&after=" + after);
      out.push(...d.events.filter((e) => e.payload && e.payload.message === want));
      if (d.events.length < 1000) break;
      after = d.next;
    }
  }
  return out.sort((a, b) => a.id - b.id);
}

// lateBounce says what a sink.bounce event did: the DSN it sent, when,
// to whom and for which reply, or why none went. rcpt names the
// recipient bounced, for a message to several.
function lateBounce(e, rcpt) {
  const p = e.payload || {};
  const str = (v) => (typeof v === "string" ? v : "");
  const action = str(p.action) || "failed";
  const forReply = str(p.reply) ? [" for ", replyLines(p.reply)] : "";
  const whose = rcpt && str(p.recipient) ? [" (recipient ", h("span", { class: "mono" }, addr(p.recipient)), ")"] : "";
  const to = h("span", { class: "mono" }, "<", iso(str(p.to)), ">");
  if (p.sent) return ["bounced later: DSN (" + action + ") sent to ", to, " at " + fmtTime(e.time), forReply, whose];
  if (str(p.skipped)) return ["bounced later", forReply, whose, ", but no DSN was sent to ", to, ": ", iso(p.skipped)];
  return ["bounced later", forReply, whose, ", but the DSN to ", to, " could not be sent at " + fmtTime(e.time) + ": ", iso(str(p.error) || "no reason recorded")];
}

// REPORT_TYPES are the parts that make a message a delivery report (RFC
// 3464, RFC 6533).
const REPORT_TYPES = ["message/delivery-status", "message/global-delivery-status"];

function isReport(m) {
  return (m.attachments || []).some((a) => REPORT_TYPES.includes(String(a.content_type).toLowerCase()));
}

// RELAY_TRACE is the Received field relaylab's relay writes on each
// message it queues: "by HOST (relaylab) [with PROTO] id ID".
const RELAY_TRACE = /\bby\s+\S+\s+\(relaylab\)(?:\s+with\s+\S+)?\s+id\s+([A-Za-z0-9]{1,64})/g;

// dsnReportsOn finds the relay message a DSN the sink received (m, its
// inline parts' texts by part number) reports on, as the relay's own DSN
// page knows it (dsn_for, bounce_for in its events): through the relay
// message that carried it to the sink, named by the relay's Received
// field on it or by the Message-ID the relay gives a DSN it writes
// (<ID@HOST>); else the relay's Received field in the headers the DSN
// returns, when the log knows that message. Null when neither does:
// {of, carrier, how} otherwise, how "dsn", "bounce" or "returned".
async function dsnReportsOn(m, texts) {
  const traced = (v) => [...String(v).matchAll(RELAY_TRACE)].map((x) => x[1]);
  const fields = (name) => (m.headers || []).filter((x) => String(x.name).toLowerCase() === name).map((x) => String(x.value));
  const own = fields("received").flatMap(traced);
  for (const v of fields("message-id")) {
    const x = /^\s*<([A-Za-z0-9]{1,64})@[^>]*>\s*$/.exec(v);
    if (x) own.push(x[1]);
  }
  const timeline = (id) => get("/api/v1/messages/" + encodeURIComponent(id) + "/timeline").catch(() => null);
  for (const carrier of [...new Set(own)].slice(0, 3)) {
    const t = await timeline(carrier);
    const evs = (t && t.events) || [];
    const dsn = evs.map(dsnFor).find(Boolean);
    if (dsn) return { of: dsn, carrier, how: "dsn" };
    const bounce = evs.map(bounceFor).find(Boolean);
    if (bounce) return { of: bounce, carrier, how: "bounce" };
  }
  const returned = (m.attachments || []).filter((a) => RETURNED_HEADERS.includes(String(a.content_type).toLowerCase()))
    .flatMap((a) => traced(texts.get(a.part) || ""));
  for (const id of [...new Set(returned)].slice(0, 3)) {
    const t = await timeline(id);
    if (t && (t.events || []).length) return { of: id, carrier: "", how: "returned" };
  }
  return null;
}

// sinkDeleteQuestion is the confirmation the Delete of a received
// message asks for: which message, and what a delete does, as plain text
// (deleteDialog).
export function sinkDeleteQuestion(m) {
  return deleteDialog("Delete received message " + dialogText(m.id) + "?", m.from, m.to, m.subject, "(none)",
    "Its bytes are gone for good; the session that brought it and its attempts stay.");
}

// mailDeclared says what a MAIL command declared, both things always, as
// the API's mail object has both keys: its BODY= or that it gave none
// (body "": 7-bit data), and SMTPUTF8 or not; or that a message stored
// before the sink kept them cannot say.
function mailDeclared(d) {
  if (d.unknown) return h("span", { class: "muted" }, "not recorded (stored before the sink kept it)");
  return [d.body ? "BODY=" + d.body : "no BODY= (7-bit)", d.smtputf8 ? "SMTPUTF8" : "no SMTPUTF8"].join(", ");
}

// renderMessage shows a message; url is its API path. Its HTML goes only
// into a sandboxed iframe (no scripts, no same-origin, no forms, no
// popups) whose document the server sends under a CSP that blocks every
// remote load. Its bytes as stored download as an .eml file: the server
// sends them as an attachment, never as a page; Source shows them as
// text. Each of its parts downloads alone (.../parts/{part}), also as an
// attachment. A message the sink stored (opts.sink) has the sink's reply
// after its data.
function renderMessage(el, m, url, opts) {
  const sink = !!(opts && opts.sink);
  clear(el);
  const source = h("button", { type: "button", id: "msg-source-show", "aria-label": "show the message's source as text" }, "Source");
  el.append(
    h("p", { class: "small" }, h("a", { href: url + "/raw", id: "msg-raw" }, "Download .eml"), " ", source,
      h("span", { class: "muted" }, " (the message's bytes as stored, RFC 5322, for a mail client or a script; Source shows them here as text)")),
    // The header's fields are what the message says of itself, what a
    // mail client shows; the envelope is where the SMTP transaction sent
    // it. Apart, so that a recipient in the envelope alone (a Bcc) is not
    // read as one in To.
    h("h2", {}, "Header"),
    h("dl", { class: "kv", id: "msg-fields" },
      h("dt", {}, "From"), h("dd", { class: "mono", id: "msg-header-from" }, fromField(m)),
      h("dt", {}, "To"), h("dd", { class: "mono", id: "msg-header-to" }, fieldValues(m, "to")),
      h("dt", {}, "Cc"), h("dd", { class: "mono", id: "msg-header-cc" }, fieldValues(m, "cc")),
      h("dt", {}, "Date"), h("dd", { id: "msg-header-date" }, dateField(m)),
      h("dt", {}, "Subject"), h("dd", { id: "msg-subject" }, m.subject ? iso(m.subject) : "(none)")),
    h("h2", {}, "Envelope"),
    h("dl", { class: "kv", id: "msg-envelope" },
      h("dt", { title: "the envelope sender (MAIL FROM): where bounces go, and the domain SPF checks" }, "MAIL FROM"),
      h("dd", { class: "mono", id: "msg-envelope-from" }, m.from ? marked(m.from) : "<>"),
      h("dt", { title: "the envelope recipients (RCPT TO): who the message went to, whatever To and Cc say" }, "Envelope to"),
      h("dd", { class: "mono", id: "msg-envelope-to" }, list(m.to), envelopeOnly(m)),
      h("dt", {}, "Received"), h("dd", {}, fmtTime(m.received)),
      h("dt", {}, "Size"), h("dd", { id: "msg-size" }, sizeText(m)),
      sink && typeof m.code === "number" ? [h("dt", { title: "the reply the sink gave after the message's final dot: what the sender was told" }, "Sink's reply"),
        h("dd", { id: "msg-reply" }, dotReply(m))] : "",
      sink && m.mail && typeof m.mail === "object" ? [h("dt", { title: "what the client's MAIL FROM declared about the content: BODY=8BITMIME (RFC 6152) and SMTPUTF8 (RFC 6531)" }, "MAIL declared"),
        h("dd", { id: "msg-mail", class: "mono" }, mailDeclared(m.mail))] : ""));
  const sourceBox = h("section", { id: "msg-source" });
  sourceBox.hidden = true;
  el.children[0].after(sourceBox);
  source.addEventListener("click", () => showSource(sourceBox, source, url, m));
  // The sink's own notes on the message (8-bit data its MAIL did not
  // declare): what a stricter receiver could refuse.
  if (sink && Array.isArray(m.sink_notes) && m.sink_notes.length) {
    el.append(h("div", { class: "msg-notes", id: "msg-sink-notes", role: "note" }, h("p", {}, "The sink noted:"),
      h("ul", {}, m.sink_notes.map((n) => h("li", {}, iso(n))))));
  }
  if (m.auth) sourceBox.after(authSection(m.auth));
  // Direction controls anywhere in what is shown of the message: say so
  // above it, as each is shown, not applied, where it stands.
  const parts = m.attachments || [];
  const controls = bidiControls([m.subject, m.from, ...(m.to || []), ...(m.headers || []).flatMap((x) => [x.name, x.value]), m.text,
    ...parts.flatMap((a) => [a.filename, ...(a.message ? [a.message.from, a.message.subject, a.message.date] : [])]), ...(m.notes || []),
    htmlControls(m.html)].join("\n"));
  if (controls.length) {
    el.prepend(h("p", { class: "bidi-note", id: "msg-bidi", role: "note" },
      "This message contains direction controls (" + controls.join(", ") + "): invisible characters that turn the text after them around, ",
      "which phishing uses to disguise names (a file \"gnp.exe\" that reads as \"exe.png\"). Each is shown where it stands, as ⟨U+202E⟩ is, and none is applied."));
  }
  if (m.headers && m.headers.length) {
    el.append(h("details", {}, h("summary", {}, "Headers (" + m.headers.length + ")"),
      h("div", { class: "scroll" }, h("table", { class: "headers" },
        h("tbody", {}, m.headers.map((x) => h("tr", {}, h("th", {}, marked(x.name)), h("td", { class: "mono" }, marked(x.value)))))))));
  }
  // What relaylab could not read of the message, and how it shows it.
  if (m.notes && m.notes.length) {
    el.append(h("div", { class: "msg-notes", id: "msg-notes", role: "note" }, h("p", {}, "Read with care:"),
      h("ul", {}, m.notes.map((n) => h("li", {}, iso(n))))));
  }
  // Every part that is not a body shown: named, typed and sized, each
  // linked as a download (.../parts/{part}: an attachment under nosniff
  // and a sandboxing CSP, never a page), the relay's as the sink's.
  if (parts.length) {
    el.append(h("h2", {}, "Attachments and inline parts (" + parts.length + ")"),
      h("div", { class: "scroll" }, h("table", { class: "cards", id: "msg-parts" },
        h("thead", {}, h("tr", {}, h("th", {}, "part"), h("th", {}, "file name"), h("th", {}, "type"), h("th", {}, "size"), h("th", {}, "disposition"))),
        h("tbody", {}, parts.map((a) => h("tr", { "data-id": a.part },
          h("td", { class: "mono" }, !a.filename ? partLink(url, a, a.part) : a.part),
          h("td", { class: "mono wide", "data-label": "file name" },
            a.filename ? partLink(url, a, iso(a.filename)) : a.message ? "" : h("span", { class: "muted" }, "(none)"),
            a.message ? attachedMessage(a.message) : ""),
          h("td", { class: "mono", "data-label": "type" }, iso(a.content_type)),
          h("td", { "data-label": "size", title: a.size + " bytes" }, humanBytes(a.size)),
          h("td", { "data-label": "disposition" }, a.disposition ? iso(a.disposition) : h("span", { class: "muted", title: "the part gives no Content-Disposition" }, "(none)"))))))),
      h("p", { class: "muted small", id: "msg-parts-note" }, PARTS_NOTE));
  }
  // A delivery report's own parts (the status of each recipient, the
  // returned header) are short text made to be read: shown as text.
  const texts = partTexts(parts, url);
  const shown = h("div", { id: "msg-part-texts" }); // after the bodies: the report follows its text, as in the message
  texts.then((got) => {
    for (const a of parts) {
      if (!got.has(a.part)) continue;
      shown.append(h("section", { class: "part-text", "data-id": a.part },
        h("h3", {}, "Part " + a.part + ", ", h("span", { class: "mono" }, iso(a.content_type))),
        h("pre", {}, marked(got.get(a.part)))));
    }
    const note = el.querySelector("#msg-parts-note");
    if (got.size && note) note.textContent = PARTS_NOTE + " The delivery report's parts are shown below as text as well.";
  });
  if (m.html) {
    const links = m.links || [];
    el.append(h("h2", {}, "HTML body"),
      h("p", { class: "muted small", id: "html-blocked" }, "Shown in a sandbox: remote images, scripts and forms are blocked. ",
        "Links do not open here: a click on one does nothing",
        links.length ? "; they are listed under the body, as text." : "."),
      h("iframe", { class: "body", sandbox: "", referrerpolicy: "no-referrer", src: url + "/body.html", title: "message body (sandboxed)" }),
      h("p", { class: "small" }, fullSize(url + "/body.html"),
        h("span", { class: "muted" }, " in a new tab, under the same sandbox: no scripts, no remote loads, no link followed. Or drag the frame's corner to make it taller.")),
      links.length ? bodyLinks(links, m.links_more) : "");
  }
  if (m.text) {
    // Each paragraph of the body takes its own direction from its
    // first strong character (unicode-bidi: plaintext).
    el.append(h("h2", {}, "Text body"),
      m.text_derived ? h("p", { class: "muted small", id: "text-derived" }, "The message has no text part: this is the text of its HTML body, as a client that shows text only would show it.") : "",
      h("pre", { class: "body-text", dir: "auto" }, m.text));
  }
  el.append(shown);
  return texts;
}

// SOURCE_MAX is how much of a message its Source view shows: a page
// with megabytes of base64 in one <pre> helps no one, and the .eml
// download holds the rest.
const SOURCE_MAX = 256 << 10;

// showSource shows (or hides again) the message's bytes as stored, read
// from url's /raw, as text: up to SOURCE_MAX bytes, read as UTF-8 (a
// byte that is not shows as U+FFFD), each character put in as text, with
// its controls and invisible characters marked, as every value from mail
// is. It is read once; button says which way it turns.
async function showSource(box, button, url, m) {
  if (!box.hidden) {
    box.hidden = true;
    button.textContent = "Source";
    return;
  }
  box.hidden = false;
  button.textContent = "Hide source";
  if (box.dataset.id) return; // read already
  box.dataset.id = "loading";
  clear(box).append(h("p", { class: "muted" }, "Reading the source…"));
  try {
    const r = await fetch(url + "/raw", { credentials: "same-origin" });
    if (!r.ok) throw new Error("the server answered " + r.status);
    const reader = r.body.getReader();
    const chunks = [];
    let n = 0, cut = false;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      n += value.length;
      if (n > SOURCE_MAX) { cut = true; reader.cancel().catch(() => {}); break; }
    }
    const bytes = new Uint8Array(Math.min(n, SOURCE_MAX));
    let at = 0;
    for (const c of chunks) {
      const part = c.subarray(0, bytes.length - at);
      bytes.set(part, at);
      at += part.length;
      if (at === bytes.length) break;
    }
    // stream: true keeps a character the cap cut in half out of the text.
    const text = new TextDecoder("utf-8").decode(bytes, { stream: cut });
    const total = Number(m.stored_size || m.size) || n;
    box.dataset.id = "read";
    clear(box).append(h("h2", {}, "Source"),
      cut ? h("p", { class: "advice", id: "msg-source-cut" }, "Only the first " + humanBytes(SOURCE_MAX) + " of " + humanBytes(total) +
        " are shown: the .eml download holds the whole message.") : "",
      h("pre", { class: "source", dir: "ltr" }, marked(text)));
  } catch (e) {
    box.dataset.id = "";
    clear(box).append(h("p", { class: "error" }, "Cannot show the source: ", e.message, ". The .eml download may still work."));
  }
}

// PARTS_NOTE says what a part's link does.
const PARTS_NOTE = "Sizes are of the decoded bytes. A part's file name (its number, when it has none) downloads those bytes as a file, under a safe name; the browser never opens one as a page. The .eml download holds them all.";

// INLINE_TYPES are the parts a page shows as text: a delivery report's
// status (RFC 3464 2.1, RFC 6533 6) and the header it returns (RFC 6522
// 4, RFC 6533 6), each up to INLINE_MAX bytes.
const INLINE_TYPES = ["message/delivery-status", "message/global-delivery-status", "text/rfc822-headers", "message/global-headers"];
const RETURNED_HEADERS = ["text/rfc822-headers", "message/global-headers"];
const INLINE_MAX = 64 << 10;

// partTexts reads the parts of parts that a page shows as text from url's
// .../parts/{part} (their bytes, decoded from their transfer encoding,
// read as UTF-8): a Map of part number to text, without a part that
// could not be read, which the .eml still holds.
function partTexts(parts, url) {
  const want = parts.filter((a) => INLINE_TYPES.includes(String(a.content_type).toLowerCase()) && a.size <= INLINE_MAX).slice(0, 10);
  return Promise.all(want.map((a) => fetch(url + "/parts/" + encodeURIComponent(a.part), { credentials: "same-origin" })
    .then((r) => (r.ok ? r.text() : null)).then((t) => [a.part, t], () => [a.part, null])))
    .then((l) => new Map(l.filter(([, t]) => typeof t === "string").map(([n, t]) => [n, t.length > INLINE_MAX ? t.slice(0, INLINE_MAX) + "\n…" : t])));
}

// replyState names a reply after the data as the Inbox's search does
// (is:accepted, is:deferred, is:refused, is:noreply); the badge's class
// gives it the colour those states have elsewhere.
function replyState(code) {
  if (!code) return "no reply";
  if (code >= 200 && code < 300) return "accepted";
  if (code >= 400 && code < 500) return "deferred";
  return "refused";
}

// dotReply is the sink's reply after a stored message's data: its state,
// the reply itself (code, enhanced code and text, as the sink's store
// has them, a value from a peer's rules shown as text), and what the
// sender made of it.
function dotReply(m) {
  const state = replyState(m.code);
  const meaning = {
    "accepted": "",
    "deferred": "The sender was told to try again later: a retry that the sink accepts leaves another copy.",
    "refused": "The sender was told the message failed for good, and bounces it; the sink keeps it here to show what it refused.",
    "no reply": "The sender heard nothing: it counts the attempt as failed and most likely sends the message again.",
  }[state];
  return [h("span", { class: "badge s-" + state.replace(" ", ""), id: "msg-reply-state" }, state), " ",
    h("span", { class: "mono", id: "msg-reply-text" }, replyLines(m.reply || "")),
    meaning ? h("div", { class: "muted small" }, meaning) : "", copyNote(m.copy)];
}

// copyNote marks a message the sink holds more than once from its
// sender, under one Message-ID, to recipients that overlap (the API's
// copy): a later copy as the sender's delivery again, the first as
// having later copies; "" for a message held once. When the copies'
// recipients differ (a retry to some of them), it names those this copy
// repeats (again).
export function copyNote(c) {
  if (!c || typeof c !== "object" || !(c.of > 1)) return "";
  const which = ["copy " + c.n + " of " + c.of + " of <", h("span", { class: "mono" }, iso(c.message_id)), ">"];
  const again = Array.isArray(c.again) && c.again.length ? [" to ", h("span", { class: "mono" }, list(c.again.map(String)))] : "";
  if (c.n === 1) return h("div", { class: "small muted copy-note" }, ...which, ": the sender delivered it again later", again, " (" + (c.of - 1) + (c.of === 2 ? " more copy" : " more copies") + ")");
  return h("div", { class: "small copy-note" }, h("strong", { class: "dup" }, ...which),
    ": the sender delivered it again", again, ", likely after a dropped connection or lost 250");
}

// partLink is a link that downloads a stored message's part, its text
// label (the part's file name, or its number when it has none), named
// for a screen reader by what it downloads.
function partLink(url, a, label) {
  return h("a", { href: url + "/parts/" + encodeURIComponent(a.part), class: "part-dl",
    "aria-label": "download part " + a.part + (a.filename ? " (" + shownText(a.filename) + ")" : "") + ", " + humanBytes(a.size),
    title: "download part " + a.part + ": " + shownText(a.content_type) + ", " + humanBytes(a.size) + " decoded" }, label);
}

// htmlControls is the HTML body's text with the characters its
// character references name put in (&#x202E;, &#8238;, &rlm;), so that a
// direction control written as one is found as well: the server shows
// each, either way, as ⟨U+202E⟩ in the body's frame (web/bodybidi.go).
function htmlControls(html) {
  if (!html) return "";
  const named = { lrm: 0x200e, rlm: 0x200f };
  const refs = [...html.matchAll(/&#[xX]([0-9a-fA-F]+)|&#([0-9]+)|&(lrm|rlm);/g)].map((x) => {
    const cp = x[1] ? parseInt(x[1], 16) : x[2] ? parseInt(x[2], 10) : named[x[3]];
    return cp <= 0x10ffff ? String.fromCodePoint(cp) : "";
  });
  return html + refs.join("");
}

// fullSize is the link that opens the HTML body alone, in a tab of its
// own. The server sends body.html under bodyCSP, whose sandbox holds
// for a top-level page as for the frame (no script runs, no load leaves,
// the document has an origin of its own), and with its links taken out;
// noopener and noreferrer give the tab no handle on this page and no
// address of it.
function fullSize(href) {
  const a = h("a", { href, id: "html-full" }, "Open the body full size");
  a.target = "_blank";
  a.rel = "noopener noreferrer";
  return a;
}

// bodyLinks lists the HTML body's links as text, not followed: where
// each goes is seen (a javascript: link, a tracker, a name turned around
// by a direction control) without going there, and each has a button
// that copies it, to be opened elsewhere by someone who trusts it. None
// is made a link, not even one to a new tab: a link from hostile mail is
// one click from a tracker that learns the mail was read, a phishing
// page, or a javascript: or data: address, and its text can pass for
// another address; copying it takes a deliberate paste, where the
// address is seen whole. A few are shown open.
function bodyLinks(links, more) {
  const d = h("details", { id: "html-links" },
    h("summary", {}, "Links in the body (" + (more ? "the first " : "") + links.length + "), as text, not followed"),
    h("ul", { class: "small" }, links.map((l) => h("li", { title: "not followed: copy the address to open it elsewhere, if you trust it" },
      copyButton(String(l.href)), " ",
      h("span", { class: "mono link-href" }, iso(l.href)), l.text ? [" ", h("span", { class: "muted" }, "(", iso(l.text), ")")] : ""))));
  d.open = links.length <= 10;
  return d;
}

// copyButton copies text to the clipboard: through navigator.clipboard
// where the page may use it (a secure context: https, or a loopback
// address), else through a hidden text field and the copy command (the
// page reached over plain http by another address). It says what
// happened beside it.
function copyButton(text) {
  const b = h("button", { type: "button", class: "copy", "aria-label": "copy the address " + shownText(text) }, "Copy");
  const said = h("span", { class: "small muted copy-said", role: "status" });
  b.addEventListener("click", () => {
    const done = (ok) => { said.textContent = ok ? " copied" : " not copied: select the address and copy it"; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(() => done(true), () => done(copyByField(text)));
    } else {
      done(copyByField(text));
    }
  });
  return [b, said];
}

// copyByField copies text with the copy command from a hidden field;
// false when the browser refuses.
function copyByField(text) {
  const f = h("textarea", { class: "copy-field" });
  f.value = text;
  f.setAttribute("readonly", "");
  document.body.append(f);
  f.select();
  let ok = false;
  try { ok = document.execCommand("copy"); } catch { ok = false; }
  f.remove();
  return ok;
}

// fromField is the message's From field, display name and address, as
// its header gives it (encoded-words decoded): on a relayed message the
// envelope sender is often another address (a bounce address, an ESP's).
function fromField(m) {
  const f = (m.headers || []).find((x) => String(x.name).toLowerCase() === "from");
  return f ? marked(f.value) : h("span", { class: "muted" }, "(none: the message has no From field)");
}

// fieldValues is each of m's header fields name (lower case) as its
// header gives it, one a line, or that it has none.
function fieldValues(m, name) {
  const vs = (m.headers || []).filter((x) => String(x.name).toLowerCase() === name).map((x) => marked(x.value));
  if (!vs.length) return h("span", { class: "muted" }, "(none)");
  return vs.flatMap((v, i) => (i ? [h("br", {}), v] : [v]));
}

// dateField is the Date field as written and, when it parses, the time
// it names in UTC, as the page gives every other time.
function dateField(m) {
  const f = (m.headers || []).find((x) => String(x.name).toLowerCase() === "date");
  if (!f) return h("span", { class: "muted" }, "(none: the message has no Date field)");
  const at = m.fields && m.fields.date ? fmtTime(m.fields.date) : "";
  return [marked(f.value), at ? h("span", { class: "muted" }, " (" + at + ")") : ""];
}

// envelopeOnly names the envelope recipients that neither To nor Cc
// lists (the API's fields, as addresses): a Bcc, or a list or alias the
// sender expanded. "" when there is none.
function envelopeOnly(m) {
  const f = m.fields || {};
  const named = new Set([...(f.to || []), ...(f.cc || [])].map((a) => String(a.address).toLowerCase()));
  const only = (m.to || []).filter((r) => !named.has(String(r).toLowerCase()));
  if (!only.length) return "";
  return h("div", { class: "small muted", id: "msg-envelope-only" },
    "In neither To nor Cc: ", list(only),
    " (a Bcc, or a list or alias the sender expanded).");
}

// sizeText is the message's size as received and, when the .eml holds
// more (the sink's Authentication-Results field in front), that too.
function sizeText(m) {
  const n = (x) => Number(x).toLocaleString("en-US");
  const size = n(m.size) + " bytes";
  if (!m.stored_size || m.stored_size === m.size) return size;
  return size + " as received; the .eml download is " + n(m.stored_size) + " bytes" +
    (m.auth ? ": the sink put its Authentication-Results field in front" : ": the bytes as stored differ from those received");
}

// authSection is the verdict of the sink's own checks (sink.verify):
// SPF, each DKIM signature (its d=, s= and algorithm, a=) and DMARC
// with its policy, each with what it means, and a caution under a pass
// that has one (a DMARC pass on an ed25519 signature alone, an unsigned
// From above the signed one). Only the sink's own
// Authentication-Results field is read. The reason of a signature that
// failed on its body hash or its signature is left out: the meaning
// says the same, from the same c=, s= and d=.
function authSection(a) {
  const said = (c) => c.cause === "body-hash" || c.cause === "signature";
  const line = (name, c, extra) => h("li", { class: "auth-" + (c.result === "pass" ? "pass" : c.result === "none" ? "none" : "bad") },
    h("strong", {}, name + "=" + c.result), extra.length ? [" (", extra.filter(Boolean).join(", "), ")"] : "",
    ": ", c.meaning, c.reason && !said(c) ? [" ", h("span", { class: "muted" }, "(", iso(c.reason), ")")] : "",
    c.note ? h("div", { class: "advice auth-note" }, "Caution: ", iso(c.note)) : "");
  const dkim = (a.dkim || []).map((d) => line("dkim", d, [d.domain ? "d=" + d.domain : "", d.selector ? "s=" + d.selector : "", d.algorithm ? "a=" + d.algorithm : ""].filter(Boolean)));
  const pol = { reject: "it asks receivers to refuse mail that fails", quarantine: "it asks receivers to put mail that fails in spam", none: "it asks for reports only, nothing done to mail that fails" };
  return h("section", { id: "msg-auth" }, h("h2", {}, "Authentication"),
    h("p", { class: "muted small" }, "As relaylab's sink checked it on arrival (sink.verify), from the Authentication-Results field it put first (authserv-id relaylab)."),
    h("ul", { class: "auth" },
      line("spf", a.spf, a.spf.domain ? ["domain " + a.spf.domain] : []),
      ...dkim,
      line("dmarc", a.dmarc, [a.dmarc.domain ? "header.from=" + a.dmarc.domain : "", a.dmarc.policy ? "policy " + a.dmarc.policy + ": " + (pol[a.dmarc.policy] || "") : ""].filter(Boolean))));
}

// attachedMessage is what a message attached whole says of itself: its
// sender, subject and date, each isolated as the message's own text.
function attachedMessage(x) {
  return h("div", { class: "attached-message" },
    h("span", { class: "muted" }, "a message from "), x.from ? marked(x.from) : h("span", { class: "muted" }, "(no From)"),
    h("span", { class: "muted" }, ", subject "), x.subject ? iso(x.subject) : h("span", { class: "muted" }, "(none)"),
    x.date ? h("span", { class: "muted" }, ", dated ") : "", x.date ? iso(x.date) : "");
}

// humanBytes is n bytes for a person: 512 bytes, 3.4 KiB, 5.0 MiB.
export function humanBytes(n) {
  if (!(n >= 1024)) return String(n) + " bytes";
  const units = ["KiB", "MiB", "GiB"];
  let v = n / 1024, i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return v.toFixed(1) + " " + units[i];
}

// renderTimeline draws each recipient's steps. rec, the sink's side of
// the message (or null), puts under each relay attempt what the sink saw
// of it, with the session whose transcript shows it.
function renderTimeline(el, t, rec) {
  // A redraw keeps the transcripts the user opened open.
  const open = new Set([...el.querySelectorAll("details[open][data-id]")].map((d) => d.dataset.id));
  const sinkSide = new Map();
  for (const a of (rec && rec.attempts) || []) {
    if (a.relay_attempt) sinkSide.set(a.relay_attempt, a);
  }
  clear(el);
  el.append(h("h2", {}, "Timeline"));
  if (t.truncated) {
    const more = (t.message ? "/api/v1/messages/" + encodeURIComponent(t.message) + "/timeline" : "/api/v1/recipients/" + encodeURIComponent(t.recipient) + "/timeline") + "?after=" + t.next;
    el.append(h("p", { class: "error", id: "timeline-truncated" }, "Only the first " + (t.events || []).length + " events are shown: there are more. ",
      h("a", { href: more }, "The following ones"), " are in the API (after=" + t.next + ")."));
  }
  for (const r of t.recipients || []) {
    const items = r.events.flatMap((e, i) => {
      const p = e.payload || {};
      const li = h("li", { class: "step", "data-kind": e.kind },
        h("span", { class: "when" }, fmtTime(e.time)), " ",
        h("span", { class: badgeClass(e.kind) }, e.kind.replace(/^relay\./, "")), " ",
        h("span", { class: "what" }, e.kind === "relay.dsn" ? dsnLine(p.action, p.to, p.status, replyBefore(r.events, i)) : summary(e)));
      const why = explain(e);
      if (why.reason) li.append(h("div", { class: "muted reason" }, prose(why.reason)));
      if (why.advice) li.append(h("div", { class: "advice" }, "What to do: ", prose(why.advice)));
      if (why.suppressed) li.append(h("div", { class: "muted" }, why.suppressed));
      if (e.kind === "relay.dsn" && typeof p.dsn_message === "string" && p.dsn_message) li.append(dsnItself(p.dsn_message));
      const tr = p.transcript;
      let body = null;
      if (Array.isArray(tr) && tr.length) body = transcript(tr);
      else if (typeof tr === "string" && tr) body = h("pre", { class: "transcript" }, marked(tr));
      if (body) {
        const d = h("details", { "data-id": e.id }, h("summary", {}, "SMTP transcript"), body);
        d.open = open.has(String(e.id));
        li.append(d);
      }
      const to = link(e);
      if (to && to[0] === "sink") {
        li.append(h("div", { class: "small" }, h("a", { href: path(...to) }, to[1] === "messages" ? "the copy the sink received" : "the sink's session " + to[2])));
      }
      const theirs = sinkSide.get(e.id);
      if (theirs) {
        li.append(h("div", { class: "small sink-side" }, "The sink's side: ", sinkReply(theirs), " · ",
          h("a", { href: path("sink", "sessions", theirs.session) }, "transcript of session " + theirs.session + " as received"),
          theirs.copy ? [" · ", h("a", { href: path("sink", "messages", theirs.copy) }, "the copy it left")] : ""));
      }
      if (e.kind === "relay.attempt") {
        const where = [p.path ? "path " + p.path : "", p.address && p.address !== p.host ? "[" + p.address + "]" : "",
          p.tls ? "TLS" + (typeof p.cipher === "string" && p.cipher ? " " + p.cipher : "") : "no TLS",
          typeof p.latency_ms === "number" ? p.latency_ms + " ms" : "", p.attempt ? "attempt " + p.attempt : ""].filter(Boolean).join(" · ");
        li.append(h("div", { class: "mono muted small" }, where));
      }
      // A late bounce that came back as a DSN, which the relay carries on
      // to the sender (relayed_as): the step its DSN takes, as the relay's
      // own DSN after a refusal has one.
      if (e.kind === "relay.bounced" && p.async && typeof p.relayed_as === "string" && p.relayed_as) {
        const queued = (t.events || []).find((q) => q.kind === "relay.queued" && q.message === e.message && q.payload && typeof q.payload.sender === "string");
        return [li, carriedDSN(e, queued ? queued.payload.sender : "")];
      }
      return [li];
    });
    // Events of the sink alone (its replies, then the message it received,
    // filed under its Message-ID) are the receiving side, with the sink's
    // state: how it answered last.
    const relaySide = r.side ? r.side === "relay" : r.events.some((e) => e.kind.startsWith("relay."));
    const who = r.message ? h("span", { class: "mono" }, iso(r.recipient))
      : h("a", { href: path("recipients", r.recipient), class: "mono", title: "every message to this address" }, iso(r.recipient));
    const state = h("span", { class: "badge s-" + r.state }, r.state);
    el.append(h("div", { class: "rcpt side-" + (relaySide ? "relay" : "sink") },
      relaySide
        ? h("h3", {}, who, " ", state,
          r.message ? [" in message ", h("a", { href: path("messages", r.message), class: "mono" }, r.message)] : "")
        : h("h3", {}, who, " ", state, " ", h("span", { class: "muted" }, "as the sink saw it"),
          r.message ? [" ", h("span", { class: "muted" }, "(Message-ID "), h("span", { class: "mono" }, iso(r.message)), h("span", { class: "muted" }, ")")] : ""),
      h("ol", { class: "steps" }, items)));
  }
}

// dsnLine is a DSN to the sender in words: "DSN (failed) sent to
// <app@shop.test>: 5.1.1 No such user here". status is the DSN's status;
// reply, when given, the reply the DSN reports, whose text follows the
// status when its enhanced code is that status.
function dsnLine(action, to, status, reply) {
  const st = typeof status === "string" ? status : "";
  const text = reply && typeof reply === "object" && typeof reply.text === "string" && (!st || reply.enhanced === st) ? reply.text : "";
  const said = [st, text].filter(Boolean).join(" ");
  return ["DSN" + (typeof action === "string" && action ? " (" + action + ")" : "") + " sent to <", iso(typeof to === "string" ? to : ""), ">",
    said ? [": ", replyLines(said)] : ""];
}

// replyBefore is the reply of the outcome that a relay.dsn at index i of
// a recipient's events reports: the last bounce, expiry, deferral or
// suppression before it; null when there is none.
function replyBefore(evs, i) {
  for (let j = i - 1; j >= 0; j--) {
    const e = evs[j];
    if (["relay.bounced", "relay.expired", "relay.deferred", "relay.suppressed"].includes(e.kind) && e.payload && e.payload.reply && typeof e.payload.reply === "object") return e.payload.reply;
  }
  return null;
}

// dsnItself links a DSN's own message page.
function dsnItself(id) {
  return h("div", { class: "small" }, "The DSN itself: ", h("a", { href: path("messages", id), class: "mono dsn-link" }, id));
}

// carriedDSN is the step of a late bounce's DSN (relay.bounced e, async,
// with relayed_as): the server that had taken the message wrote it, and
// the relay carries it on to the sender as a message of its own.
function carriedDSN(e, sender) {
  const p = e.payload;
  const rep = p.reply && typeof p.reply === "object" ? p.reply : {};
  return h("li", { class: "step dsn-carried", "data-kind": "dsn-carried" },
    h("span", { class: "when" }, fmtTime(e.time)), " ",
    h("span", { class: badgeClass("relay.dsn") }, "dsn"), " ",
    h("span", { class: "what" }, dsnLine("failed", sender, typeof rep.enhanced === "string" ? rep.enhanced : "", rep)),
    h("div", { class: "muted reason" }, "The bounce after delivery came as a DSN from the server that had taken the message; the relay carries that DSN on to the sender as a message of its own."),
    dsnItself(p.relayed_as));
}

// transcript shows lines [{dir, text}] or strings.
export function transcript(lines) {
  // Each line's time, as seconds since the first timed line.
  const first = lines.find((l) => typeof l !== "string" && l.time);
  const t0 = first ? Date.parse(first.time) : NaN;
  const at = (l) => {
    const t = l.time ? Date.parse(l.time) : NaN;
    if (isNaN(t) || isNaN(t0)) return "";
    return ("+" + ((t - t0) / 1000).toFixed(3) + "s").padEnd(10);
  };
  return h("pre", { class: "transcript" }, lines.map((l) => {
    if (typeof l === "string") return h("div", {}, marked(l));
    const dir = l.dir === "c" ? "C: " : l.dir === "s" ? "S: " : "   ";
    return h("div", { class: "t-" + (l.dir === "c" ? "c" : l.dir === "s" ? "s" : "n") },
      h("span", { class: "t-at" }, at(l)), dir, marked(l.text || ""));
  }));
}
