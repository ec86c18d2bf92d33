// The live feed: deliveries, deferrals, bounces and the rest, as they commit.
import { h, path, shortTime, fmtTime, prose, iso, addr, clear } from "./dom.js";
import { get } from "./api.js";
import { Stream } from "./stream.js";
import { badgeClass, summary, explain, link, dsnAbout, sinkBounce } from "./events.js";
import { setStatus, announceNew } from "./status.js";
import { frameBatcher } from "./batch.js";

// The kinds the feed shows, a checkbox each, and whether it is ticked at
// first: the outcomes. The sink's refusals (it logs a sink.reply for a
// 4xx or 5xx only) are outcomes too: of mail sent to the sink directly,
// they are all there is to see, and the feed is where the UI opens. Its
// other events (sessions, messages, rules) are off: each message the
// relay delivers to the sink would add two rows. A kind goes to the first
// group that names it.
const GROUPS = [
  ["relay.delivered", "delivered", true],
  ["relay.deferred", "deferred", true],
  ["relay.bounced", "bounced", true],
  ["relay.expired", "expired", true],
  ["relay.suppressed", "suppressed", true],
  ["relay.recovered", "sent again after a stop", true],
  // Mail held by hand, and released: an operator's doing, shown as it
  // happens (a hold forgotten is mail that ages).
  ["relay.held", "held by hand", true],
  ["relay.released", "released", true],
  // A receiver's DSN that reports a delay (or a delivery) after its 250:
  // the recipient keeps its state, and only this row says it came.
  ["relay.dsn_received", "delays reported by receivers", true],
  ["sink.reply", "sink refusals", true],
  // A SIGHUP that did not change the rules: rare, and nothing else says it.
  ["sink.reload_failed", "refused rule reloads", true],
  ["relay.queued", "queued", false],
  ["relay.attempt", "attempts", false],
  ["sink.", "sink sessions & messages", false],
  // A change the webhook could not post: seen here, not only in the log.
  ["probe.webhook_failed", "failed webhook posts", true],
  ["probe.", "probes", false],
];
const MAX_ROWS = 500;

export function feedView(main) {
  const shown = new Map(GROUPS.map(([k, , on]) => [k, on]));
  const text = h("input", { type: "search", placeholder: "filter: message id, address, text", "aria-label": "filter" });
  const boxes = GROUPS.map(([k, label]) => {
    const cb = h("input", { type: "checkbox", checked: shown.get(k), "data-kind": k });
    cb.addEventListener("change", () => { shown.set(k, cb.checked); refilter(); });
    return h("label", { class: "chk" }, cb, " ", label);
  });
  const tbody = h("tbody", { id: "feed-rows" });
  // Messages the relay queued as relaylab's sink's late bounces: their
  // later events (attempt, delivered) carry nothing that says so.
  const lateBounces = new Set();
  const empty = h("p", { class: "muted", id: "feed-empty" }, "Loading…");
  main.append(
    h("h1", {}, "Live feed"),
    // One group, named, so that a screen reader says what the boxes and
    // the filter choose as it enters them.
    h("div", { class: "filters", role: "group", "aria-label": "Events shown" }, boxes, text),
    h("div", { class: "scroll" }, h("table", { class: "feed" },
      h("thead", {}, h("tr", {}, h("th", {}, "time"), h("th", {}, "event"), h("th", {}, "message"), h("th", {}, "recipient / target"), h("th", {}, "detail"))),
      tbody)),
    empty,
  );
  text.addEventListener("input", refilter);

  function groupOf(kind) {
    for (const [k] of GROUPS) if (kind === k || (k.endsWith(".") && kind.startsWith(k))) return k;
    return null;
  }
  function visible(tr) {
    const g = tr.dataset.group;
    if (!g || !shown.get(g)) return false;
    const q = text.value.trim().toLowerCase();
    return !q || tr.textContent.toLowerCase().includes(q);
  }
  // The empty state says why nothing shows: no events yet, or filters.
  // The filters search only the rows the feed holds: the whole log while
  // it is shorter than MAX_ROWS, else its latest MAX_ROWS events, and
  // then it says so and where to look for older mail.
  function showEmpty() {
    let any = false;
    for (const tr of tbody.children) if (!tr.hidden) { any = true; break; }
    empty.hidden = any;
    if (any) return;
    const n = tbody.children.length;
    if (n === 0) {
      empty.textContent = "No events yet. Send mail through the relay (or to the sink) and it shows here as it happens.";
      return;
    }
    // The unticked kinds that hold rows, and how many: what ticking shows.
    const off = new Map();
    for (const tr of tbody.children) {
      const g = tr.dataset.group;
      if (g && !shown.get(g)) off.set(g, (off.get(g) || 0) + 1);
    }
    const label = new Map(GROUPS.map(([k, l]) => [k, l]));
    const unticked = [...off].map(([g, c]) => (label.get(g) || g) + " (" + c + ")").join(", ");
    if (n < MAX_ROWS) {
      if (!text.value.trim() && off.size) {
        empty.textContent = "No event of the ticked kinds yet. The log holds " + n + " event(s) of kinds not ticked: " + unticked + "; tick them to show them.";
        return;
      }
      empty.textContent = off.size
        ? "No event in the log matches the filters: tick more kinds (not ticked: " + unticked + ") or clear the text."
        : "No event in the log matches the text (every kind is ticked): clear it or change it.";
      return;
    }
    const q = text.value.trim();
    const older = q && q.includes("@") && !/\s/.test(q)
      ? ["every message to ", h("a", { href: path("recipients", q), class: "mono" }, iso(q)), " is on its own page"]
      : ["find the message by its id or a recipient's address on the ", h("a", { href: path("messages") }, "Messages"), " page"];
    clear(empty).append("None of the latest " + n + " events matches the filters: the feed holds only those, and its filters search no further. " +
      "Tick more kinds or clear the text; for older mail, ", ...older, ".");
  }
  function refilter() {
    for (const tr of tbody.children) tr.hidden = !visible(tr);
    showEmpty();
  }
  function row(e) {
    const msg = messageCell(e);
    const why = explain(e);
    const tr = h("tr", { class: "ev", "data-id": e.id },
      h("td", { title: fmtTime(e.time) }, shortTime(e.time)),
      h("td", {}, h("span", { class: badgeClass(e.kind) }, e.kind)),
      h("td", { class: "mono" }, msg),
      h("td", { class: "mono" }, e.recipient ? addr(e.recipient) : iso(e.target || e.listener || "")),
      h("td", {}, summary(e), dsnAbout(e),
        e.kind.startsWith("relay.") && !sinkBounce(e) && lateBounces.has(e.message) &&
          h("div", { class: "small dsn-about" }, "The sink's late bounce (a DSN), on its way back to the sender"),
        why.reason && h("div", { class: "muted reason" }, prose(why.reason)),
        why.advice && h("div", { class: "advice" }, "What to do: ", prose(why.advice)),
        why.suppressed && h("div", { class: "muted" }, why.suppressed)));
    tr.dataset.group = groupOf(e.kind) || "";
    tr.hidden = !visible(tr);
    sameEvent.add(e, tr);
    return tr;
  }
  // A refusal of the relay's mail by relaylab's own sink is two rows (or
  // three, with the attempts ticked): the sink's reply (sink.reply) and
  // the relay's attempt and its outcome (relay.attempt, relay.deferred,
  // relay.bounced). Each row says that the other is the same event, and
  // links to what the other is about: the sink's row to the relay's
  // message, the relay's to the sink's session. The sink's row says it
  // once.
  const sameEvent = pairer((r, s) => {
    const p = s.e.payload || {};
    note(r.tr, ["The same refusal as the sink's reply in ", h("a", { href: path("sink", "sessions", p.session) }, "session " + p.session),
      ": relaylab's sink refused this attempt."]);
    if (s.with.size > 1) return;
    note(s.tr, ["The same refusal as the relay's attempt to deliver message ", h("a", { href: path("messages", r.e.message), class: "mono" }, iso(r.e.message)),
      ": the sink's side of it."]);
  });
  function note(tr, parts) {
    tr.lastElementChild.append(h("div", { class: "small muted same-event" }, ...parts));
    tr.hidden = !visible(tr);
  }
  // Events after this id came by the stream, as the feed was open: the
  // live region counts those shown (announceNew); the first page is not
  // news.
  let liveAfter = Infinity;
  // draw puts a batch on top, newest first, in one insertion; of a burst
  // it builds only the rows the feed keeps.
  function draw(evs) {
    // A late bounce's queueing comes before its delivery, and rows are
    // built newest first: note every such message of the batch first.
    for (const e of evs) if (sinkBounce(e)) lateBounces.add(e.message);
    const frag = document.createDocumentFragment();
    let fresh = 0;
    for (let i = evs.length - 1; i >= 0; i--) {
      const tr = frag.appendChild(row(evs[i]));
      if (evs[i].id > liveAfter && !tr.hidden) fresh++;
    }
    tbody.insertBefore(frag, tbody.firstChild);
    while (tbody.children.length > MAX_ROWS) sameEvent.drop(tbody.removeChild(tbody.lastChild));
    showEmpty();
    announceNew(fresh, "new event in the feed", "new events in the feed");
  }
  const batch = frameBatcher(draw, MAX_ROWS);

  let stream = null;
  let stopped = false;
  setStatus("connecting");
  get("/api/v1/events?tail=" + MAX_ROWS + "&limit=" + MAX_ROWS).then((page) => {
    if (stopped) return;
    batch.push(page.events);
    liveAfter = page.next || 0;
    stream = new Stream({ after: page.next }, (evs) => batch.push(evs), setStatus);
  }).catch((err) => {
    setStatus("not live", "the event log could not be read");
    main.appendChild(h("p", { class: "error" }, "Cannot read the event log: ", err.message));
  });
  return () => { stopped = true; batch.cancel(); if (stream) stream.close(); };
}

// PAIR_WINDOW is how far apart, in ms, the sink's reply and the relay's
// event of one attempt may be: the sink logs its replies as the session
// ends, the relay its attempt as its exchange ends, and a retry of the
// same recipient comes 20 s or more later (retries at the demo's pace).
const PAIR_WINDOW = 15000;

// pairer pairs each sink.reply with the relay.attempt and with the
// relay.deferred or relay.bounced of the same attempt: the same
// recipient, the same reply (code, enhanced code, text, stage; the
// relay's "dot" is the sink's "data-end"), the nearest in time within
// PAIR_WINDOW, each row paired once. linked(relayRow, sinkRow) is called
// for each pair, each row {e, tr}. drop(tr) forgets a row gone from the
// feed.
export function pairer(linked) {
  const open = new Map(); // key -> rows not paired yet
  const keyOf = (e) => {
    const p = e.payload && typeof e.payload === "object" ? e.payload : {};
    const sink = e.kind === "sink.reply";
    if (!e.recipient || (sink && p.count > 1)) return "";
    if (!sink && !["relay.attempt", "relay.deferred", "relay.bounced"].includes(e.kind)) return "";
    const r = sink ? p : p.reply && typeof p.reply === "object" ? p.reply : null;
    if (!r || !(r.code > 0)) return "";
    const stage = r.stage === "dot" ? "data-end" : r.stage;
    return JSON.stringify([String(e.recipient).toLowerCase(), r.code, r.enhanced || "", r.text || "", stage || ""]);
  };
  // Which of a sink reply's two partners a relay event is.
  const side = (e) => (e.kind === "sink.reply" ? "sink" : e.kind === "relay.attempt" ? "attempt" : "outcome");
  return {
    add(e, tr) {
      const key = keyOf(e);
      if (!key) return;
      const t = Date.parse(e.time);
      const me = { e, tr, t, side: side(e), with: new Set() };
      tr.dataset.pair = key;
      const rows = open.get(key) || [];
      // The nearest row it can pair with: a sink reply with a relay event
      // of each side it lacks, a relay event with a sink reply that lacks
      // its side.
      const fits = (x) => Math.abs(x.t - t) <= PAIR_WINDOW &&
        (me.side === "sink" ? x.side !== "sink" && !x.with.size : x.side === "sink" && !x.with.has(me.side));
      const pair = (x) => {
        const [r, s] = me.side === "sink" ? [x, me] : [me, x];
        r.with.add("sink");
        s.with.add(r.side);
        linked(r, s);
      };
      const nearest = (ok) => rows.filter((x) => fits(x) && ok(x)).sort((a, b) => Math.abs(a.t - t) - Math.abs(b.t - t))[0];
      for (const want of me.side === "sink" ? ["attempt", "outcome"] : ["sink"]) {
        const x = nearest((y) => y.side === want);
        if (x) pair(x);
      }
      rows.push(me);
      open.set(key, rows.filter((x) => (x.side === "sink" ? x.with.size < 2 : !x.with.size)));
    },
    drop(tr) {
      const key = tr.dataset.pair;
      if (!key || !open.has(key)) return;
      const rows = open.get(key).filter((x) => x.tr !== tr);
      if (rows.length) open.set(key, rows);
      else open.delete(key);
    },
  };
}

// messageCell is a row's message column: a link to what the event is
// about. The relay's events name the relay's message id; the sink's
// name the sink's own number for its message ("message 161"), whichever
// event it is (sink.message, sink.bounce), with a sink.message's
// Message-ID under it, which the filter then finds too: the Message-ID
// in the link of one row and a number in another's read as two messages.
function messageCell(e) {
  const to = link(e);
  if (!to) return iso(e.message || "");
  if (to[0] === "sink") {
    const a = h("a", { href: path(...to) }, (to[1] === "messages" ? "message " : "session ") + to[2]);
    return e.message && to[1] === "messages" ? [a, h("div", { class: "small muted msgid" }, "Message-ID ", iso(e.message))] : a;
  }
  return h("a", { href: path(...to) }, e.message ? iso(e.message) : to.length === 1 ? "the " + to[0] : (to[1] === "messages" ? "message " : "session ") + to[2]);
}
