// The relay's queue, a page at a time, with retry-now, delete, and hold
// and release by hand.
import { h, path, fmtTime, shortTime, clear, prose, iso, marked, addr, replyLines, dialogText, deleteDialog, focusPlace, keepPlace } from "./dom.js";
import { askDialog, question } from "./dialog.js";
import { replyText, replyShown } from "./events.js";
import { notLive, setStatus } from "./status.js";
import { get, api, listening } from "./api.js";
import { Stream } from "./stream.js";
import { frameBatcher } from "./batch.js";

export function queueView(main) {
  notLive("updates every 5 s");
  const note = h("p", { class: "muted", id: "queue-note" });
  // What came of a delete, whose message's rows are gone.
  const said = h("p", { class: "muted", id: "queue-said", role: "status" });
  const tbody = h("tbody");
  // What many rows share (a destination's rest holding hundreds of
  // recipients, its category's reason and advice), said once here.
  const explained = h("section", { id: "queue-explained", class: "explained" });
  explained.hidden = true;
  // Nothing waiting: what the table would show, and what puts mail in it.
  // The note above says that it is empty.
  const empty = h("p", { class: "muted", id: "queue-empty" }, "Mail submitted to the relay waits here until it is delivered, bounced or expires, ",
    "each recipient with its last reply, what it means and its next attempt: most of it after a server deferred it (a 4xx, a connection that failed), ",
    "or while the relay's shaping holds it (a destination's rest, a sending window, the warm-up cap). Retry now and Delete act on it here. ",
    "With relaylab serve's defaults, whose relay sends to its sink, ", h("code", { id: "queue-try" }, "swaks --server 127.0.0.1:2587 --to 'defer2+you@example.test'"),
    " waits here through two deferrals",
    // Which address the line names: the default until /api/v1/listeners
    // says this serve's (listening rewrites the line), then this serve's.
    h("span", { id: "queue-try-default" }, " (127.0.0.1:2587 is the relay's default submission address: yours is ", h("code", {}, "relay.listen"),
      ", which relaylab serve prints as it starts)"),
    h("span", { id: "queue-try-own" }, " (the line names this serve's submission address, ", h("code", {}, "relay.listen"), ")"), ".");
  empty.hidden = true;
  const [tryDefault, tryOwn] = [empty.querySelector("#queue-try-default"), empty.querySelector("#queue-try-own")];
  tryOwn.hidden = true;
  new MutationObserver(() => { tryDefault.hidden = true; tryOwn.hidden = false; }).observe(empty.querySelector("#queue-try"), { childList: true, characterData: true, subtree: true });
  // Which page of the queue: its state, a recipient or domain, the
  // order, and the cursor (after or before an id). A poll asks for the
  // same page again, so Older/Newer stay where they took the reader.
  const view = { state: "waiting", find: "", oldest: false, after: "", before: "" };
  const stateSel = h("select", { id: "queue-state", "aria-label": "recipient state" },
    QUEUE_STATES.map(([v, label]) => h("option", { value: v }, label)));
  // The box finds a part of a recipient's address, in any case, as a
  // Mailpit search would (retryme finds rcpt451x3+retryme@example.test);
  // a text that starts with @ is a whole domain.
  const findBox = h("input", { type: "search", id: "queue-find", placeholder: "part of a recipient's address, or @domain",
    "aria-label": "recipient: any part of the address, or @domain for a whole domain" });
  const orderBtn = h("button", { type: "button", id: "queue-order" });
  const newer = h("button", { type: "button", id: "queue-newer" }, "Newer");
  const older = h("button", { type: "button", id: "queue-older" }, "Older");
  const form = h("form", { class: "filters", id: "queue-filters" }, stateSel, findBox, h("button", { type: "submit" }, "Filter"), orderBtn);
  const pager = h("div", { class: "bar", id: "queue-pager" }, newer, " ", older);
  const showOrder = () => { orderBtn.textContent = view.oldest ? "Oldest first (show newest first)" : "Newest first (show oldest first)"; };
  showOrder();
  const restart = () => { view.after = view.before = ""; load(); };
  form.addEventListener("submit", (ev) => { ev.preventDefault(); view.find = findBox.value.trim(); restart(); });
  stateSel.addEventListener("change", () => { view.state = stateSel.value; restart(); });
  orderBtn.addEventListener("click", () => { view.oldest = !view.oldest; showOrder(); restart(); });
  let page = { first: "", last: "" };
  // Newer and Older go to the page beside this one: in the newest-first
  // order older mail follows (more), in the oldest-first order it comes
  // before (earlier).
  const go = (toOlder) => {
    const forward = toOlder !== view.oldest;
    view.after = forward ? page.last : "";
    view.before = forward ? "" : page.first;
    // A button hidden at the last page would leave the focus on <body>:
    // it goes to the other one, or to the first message.
    load().then(() => {
      if (document.activeElement && document.activeElement !== document.body) return;
      const to = [toOlder ? older : newer, toOlder ? newer : older].find((b) => !b.hidden);
      (to || tbody.querySelector("a"))?.focus();
    });
  };
  newer.addEventListener("click", () => go(false));
  older.addEventListener("click", () => go(true));
  // The page's questions (a Hold's note, a Release, a Delete, a Remove,
  // an end of a rest): a dialog of the page's, outside the tables, so
  // that the poll, which redraws rows, leaves it open and its focus in it.
  const ask = askDialog();
  const rests = restsSection(ask);
  // The table, header and all, shows only with rows in it: under "The
  // queue is empty" a bare header reads as a page that failed to load.
  const box = h("div", { class: "scroll", id: "queue-box" }, h("table", { class: "cards", id: "queue-table" },
    h("thead", {}, h("tr", {}, h("th", {}, "message"), h("th", {}, "from"), h("th", {}, "recipient"), h("th", {}, "state"), h("th", {}, "attempts"), h("th", {}, "next attempt"), h("th", {}, "last reply, what it means, what to do"), h("th", {}, actionsHeader()))),
    tbody));
  box.hidden = true;
  // A time stays on one line; but a table with a long address on both
  // sides has no room for that at 1,280 px, and then, rather than run
  // off its box, its times break between the date and the hour (never
  // inside either, as "2026-11-" / "30" / "16:21:41Z" did).
  const table = box.firstChild;
  const fitTimes = () => {
    table.classList.remove("tight");
    if (box.scrollWidth > box.clientWidth + 1) table.classList.add("tight");
  };
  window.addEventListener("resize", fitTimes);
  main.append(h("h1", {}, "Queue"), rests.section, rests.said, form, note, said, explained, box, pager, empty, ask.el);
  // Each message shown, by id. A poll updates its rows in place and adds
  // or removes only the messages that came or went: the button that has
  // the keyboard's focus stays, and so does the row under the pointer.
  const shown = new Map();
  // asked counts the loads begun: a poll and a new filter (or page) may
  // be under way at once, and their answers may come in either order;
  // only the last one asked is shown, so that an earlier filter's rows or
  // count never replace the one chosen since.
  let asked = 0;
  const load = () => { const mine = ++asked; return get("/api/v1/queue?" + queueQuery(view)).then((d) => {
    if (mine !== asked) return;
    // A page emptied by messages that left (delivered, deleted): back to
    // the first page rather than an empty one between others.
    if (!d.queue.length && (view.after || view.before)) { view.after = view.before = ""; return load(); }
    note.className = "muted"; // an error shown before has passed
    const filtered = view.state !== "waiting" || view.find !== "";
    note.textContent = queueNote(d, view.oldest, filtered && view);
    empty.hidden = d.queue.length > 0 || Boolean(d.truncated) || filtered;
    box.hidden = !d.queue.length;
    page = { first: d.queue.length ? d.queue[0].id : "", last: d.queue.length ? d.queue[d.queue.length - 1].id : "" };
    const toNewer = view.oldest ? d.more : d.earlier, toOlder = view.oldest ? d.earlier : d.more;
    newer.hidden = !toNewer;
    older.hidden = !toOlder;
    pager.hidden = newer.hidden && older.hidden;
    const anchor = anchorRow(tbody);
    const top = anchor && anchor.getBoundingClientRect().top;
    const shared = sharedOf(d.queue);
    showExplained(explained, shared);
    const ids = new Set(d.queue.map((q) => q.id));
    // The focus on a message that left goes to the next one's buttons,
    // or, after the page's last, the one before's; with none left, to the
    // line that says what happened (a delete's).
    let refocus = null, lost = false;
    for (const [id, x] of shown) {
      if (ids.has(id)) continue;
      // A message gone with an error on its row: the error stays above.
      if (x.failed) { said.className = "error"; said.textContent = "Message " + id + ": " + x.failed; }
      if (x.rows.some((tr) => tr.contains(document.activeElement))) {
        lost = true;
        refocus = x.rows[x.rows.length - 1].nextElementSibling;
        for (let tr = x.rows[0].previousElementSibling; !refocus && tr; tr = tr.previousElementSibling) if (tr.dataset.id) refocus = tr;
      }
      x.rows.forEach((tr) => tr.remove());
      shown.delete(id);
    }
    // In the server's order; a message already in its place is not
    // moved (a moved button would lose the focus).
    let at = tbody.firstChild;
    for (const q of d.queue) {
      let x = shown.get(q.id);
      if (!x) { x = queueEntry(q, act, holdAct, ask); shown.set(q.id, x); }
      x.update(q, shared);
      for (const tr of x.rows) {
        if (tr === at) at = at.nextSibling;
        else tbody.insertBefore(tr, at);
      }
    }
    fitTimes();
    // Rows added or grown above the one under the pointer (or with the
    // focus) would push it down: scroll by as much, so it stays put.
    if (anchor && anchor.isConnected) {
      const dy = anchor.getBoundingClientRect().top - top;
      if (dy) window.scrollBy(0, dy);
    }
    const to = refocus && refocus.isConnected && refocus.querySelector("button:not([hidden])");
    if (to) to.focus();
    else if (lost) focusPlace(said.textContent ? said : note);
  }).catch((e) => {
    if (mine !== asked) return;
    // A page that cannot be found again (its message gone from the
    // relay's record): the first page, rather than the error at each poll.
    if (e.status === 400 && (view.after || view.before)) { view.after = view.before = ""; return load(); }
    note.textContent = e.message; note.className = "error";
  }); };
  // act asks the API for a retry ("POST") or a delete of a message: its
  // row says at once that it was asked for, then what came of it. A
  // delete's message leaves the table, and the line above it says so; an
  // error shows on the row and in the note above the table until the next
  // poll, which leaves the table as the server has it.
  const act = (x, method) => {
    const at = shortTime(Date.now());
    const was = stateKey(x.q);
    x.say(method === "POST" ? "Retry asked for at " + at + "…" : "Deleting…");
    return api(method, "/api/v1/queue/" + encodeURIComponent(x.id) + (method === "POST" ? "/retry" : "")).then((d) => {
      if (method === "POST") {
        x.say(retryText(d, at), false, was);
      } else {
        said.className = "muted";
        said.textContent = "Message " + x.id + " deleted from the queue at " + at + ": its waiting recipients count as expired (category deleted), " +
          "and its history stays on its page.";
      }
      return load();
    }, (e) => {
      x.say(actionError(method, e), true);
      note.textContent = "Message " + x.id + ": " + actionError(method, e);
      note.className = "error";
    });
  };
  // holdAct holds a waiting recipient by hand (with an optional note)
  // or releases a held one, each asked in the page's dialog.
  // Its row says what came of it; the focus goes to the button that took
  // the place of the one pressed (Release after a Hold, and back), and
  // after a Cancel back to the recipient's Hold.
  const holdAct = (x, r, release) => {
    const asked = (release ? ask.ask(question(releaseQuestion(x.q, r), { yes: "Release" }))
      : ask.ask({ title: ["Hold ", marked(r.address), " of message ", x.q.id, "?"], yes: "Hold", note: "Note (optional, shown with the hold)",
        text: "The relay sends it nothing until it is released, and it does not expire while held." })).then((v) => {
      if (v === null) focusPlace(rcptPlace(x, r.address, false) || note);
      return v;
    });
    return asked.then((why) => why === null ? undefined : hold(x, r, release, why));
  };
  const hold = (x, r, release, why) => {
    const at = shortTime(Date.now());
    x.say(release ? "Releasing " + plain(r.address) + "…" : "Holding " + plain(r.address) + "…");
    const body = { recipient: r.address };
    if (why) body.note = why;
    return api("POST", "/api/v1/queue/" + encodeURIComponent(x.id) + (release ? "/release" : "/hold"), body).then(() => {
      x.say(release ? plain(r.address) + " released at " + at + ": the relay tries it within seconds." :
        plain(r.address) + " held at " + at + ": nothing is sent to it until it is released, and it does not expire while held.");
      return load();
    }, (e) => {
      x.say(holdError(release, r.address, e), true);
      note.textContent = "Message " + x.id + ": " + holdError(release, r.address, e);
      note.className = "error";
    }).then(() => {
      // Where the dialog's close and the redraw left the focus: on
      // <body> (the button pressed was drawn again while the dialog was
      // open) or in the message's row, it goes to the recipient's new
      // button; a reader who moved on meanwhile keeps their place.
      const f = document.activeElement;
      if (f && f !== document.body && f.isConnected && !x.rows[0].contains(f)) return;
      const to = rcptPlace(x, r.address, true);
      if (to) focusPlace(to);
      else if (!f || f === document.body || !f.isConnected) focusPlace(said.textContent ? said : note);
    });
  };
  const supBody = h("tbody", { id: "suppression-rows" });
  const supNote = h("p", { class: "muted", id: "suppression-note" });
  // No address on the list: what puts one there (the API does not say
  // whether relay.suppression is on, so the empty state says when it is
  // not), and how to take one off.
  const supEmpty = h("p", { class: "muted", id: "suppression-empty" }, "No address is suppressed. ",
    "The relay adds a recipient here when a server says it does not exist (550 5.1.1: invalid-recipient) or its domain takes no mail (no-such-domain), ",
    "and, with ", h("code", {}, "relay.suppression.soft_bounces: N"), ", after N of its deliveries in a row expired while the receiving side kept refusing the recipient (a full mailbox, say; never for the relay's own problems, such as a smarthost that is down); it then sends it no more mail, and the sender gets a 5.7.1 DSN. ",
    h("code", {}, "relay.suppression.disabled: true"), " turns this off. ", h("code", {}, "relaylab suppress add ADDRESS"),
    " adds one by hand; Remove takes one off. With relaylab serve's defaults, ",
    h("code", { id: "suppression-try" }, "swaks --server 127.0.0.1:2587 --to 'rcpt550+gone@example.test'"), " bounces at once and is suppressed.");
  supEmpty.hidden = true;
  listening("relay", [empty.querySelector("#queue-try"), supEmpty.querySelector("#suppression-try")]);
  // What came of a Remove, whose row is gone.
  const supSaid = h("p", { class: "muted", id: "suppression-said", role: "status" });
  // Remove all empties the list at once (DELETE /api/v1/suppressions):
  // a test run's clean slate, after which repeated directive tests
  // (rcpt550+x@) reach the sink again.
  const rmAll = h("button", { type: "button", class: "danger", id: "suppression-clear" }, "Remove all");
  rmAll.hidden = true;
  let listed = 0;
  rmAll.addEventListener("click", () => ask.confirm(question(removeAllQuestion(listed), { yes: "Remove all", danger: true })).then((yes) => {
    if (!yes) return;
    const at = shortTime(Date.now());
    supSaid.className = "muted";
    supSaid.textContent = "Removing every address…";
    api("DELETE", "/api/v1/suppressions").then((d) => {
      const n = d && typeof d.removed === "number" ? d.removed : listed;
      supSaid.textContent = n + " address(es) removed from the suppression list at " + at + ": the relay sends mail to them again, " +
        "from the next message that names them (what it refused while they were listed is not sent again).";
      return loadSup();
    }, (e) => {
      supSaid.className = "error";
      supSaid.textContent = "The Remove all was not done: " + (e.detail || e.message) + ".";
      return loadSup();
    });
  }));
  const supHeading = h("h2", { id: "suppression-heading" }, "Suppression list");
  main.append(supHeading, h("div", { class: "bar" }, supNote, " ", rmAll), supSaid,
    h("div", { class: "scroll" }, h("table", { class: "cards", id: "suppression-table" },
      h("thead", {}, h("tr", {}, h("th", {}, "address"), h("th", {}, "reason"), h("th", {}, "since"), h("th", {}, "until"), h("th", {}, actionsHeader()))),
      supBody)), supEmpty);
  const loadSup = () => get("/api/v1/suppressions").then((d) => {
    // The list is drawn anew at each poll: the focus on a Remove stays on
    // its address's, or, that address removed, goes to the next one's;
    // on Remove all, or on the last Remove, to the list's heading.
    const back = keepPlace(supBody, (b) => b.dataset.rcpt);
    const allHad = document.activeElement === rmAll;
    clear(supBody);
    supNote.className = "muted";
    supEmpty.hidden = d.suppressions.length > 0;
    supNote.textContent = d.suppressions.length ? d.suppressions.length + " suppressed address(es)" : "";
    listed = d.suppressions.length;
    rmAll.hidden = listed === 0;
    for (const x of d.suppressions) {
      // Its label names the address: a screen reader's list of buttons
      // is not twenty "Remove".
      const rm = h("button", { type: "button", "data-rcpt": x.address, "aria-label": "Remove " + plain(x.address) }, "Remove");
      // As a message's Delete: asked first, then what came of it, said
      // above the list (the row is gone).
      rm.addEventListener("click", () => ask.confirm(question(removeQuestion(x), { yes: "Remove", danger: true })).then((yes) => {
        if (!yes) return;
        const at = shortTime(Date.now());
        supSaid.className = "muted";
        supSaid.textContent = "Removing " + plain(x.address) + "…";
        api("DELETE", "/api/v1/suppressions/" + encodeURIComponent(x.address)).then(() => {
          supSaid.textContent = plain(x.address) + " removed from the suppression list at " + at + ": the relay sends mail to it again, " +
            "from the next message that names it (what it refused while the address was listed is not sent again).";
          return loadSup();
        }, (e) => {
          supSaid.className = "error";
          supSaid.textContent = removeError(x.address, e);
          return loadSup();
        });
      }));
      supBody.append(h("tr", {}, h("td", { class: "mono wide", "data-label": "address" }, addr(x.address)), h("td", { class: "wide", "data-label": "reason" }, replyLines(x.reason)),
        h("td", { class: "nowrap", "data-label": "since" }, fmtTime(x.since)), h("td", { class: "nowrap", "data-label": "until" }, x.until ? fmtTime(x.until) : "never"), h("td", {}, rm)));
    }
    back(() => supHeading);
    if (allHad && rmAll.hidden) focusPlace(supHeading);
  }).catch((e) => { supNote.textContent = e.message; supNote.className = "error"; });
  // An end of a rest makes its mail due: the queue shows it going.
  rests.onEnded = () => load();
  load();
  loadSup();
  rests.load();
  const timer = setInterval(() => { load(); loadSup(); rests.load(); }, 5000);
  // The relay's events (a message queued, deferred, delivered, bounced,
  // held or released, a rest ended, an address suppressed) read the
  // page again at once: one read at a time, at most one a second (a
  // relay under load commits hundreds of events a second), and one more
  // after it for what came meanwhile. The poll stays: the fallback while
  // the stream is down, and for what no event says (a recipient going in
  // flight, an address taken off the list by another hand).
  let reading = null, more = false;
  const again = () => {
    if (reading) { more = true; return; }
    const began = Date.now();
    reading = Promise.all([load(), loadSup(), rests.load()])
      .then(() => new Promise((done) => setTimeout(done, Math.max(0, 1000 - (Date.now() - began)))))
      .finally(() => {
        reading = null;
        if (more && !stopped) { more = false; again(); }
      });
  };
  const batch = frameBatcher(again, 1);
  let stream = null, stopped = false;
  const pill = (state, why) => (state === "live" ? setStatus("live", LIVE_WHY) : state === "signed out" ? setStatus(state, why) : notLive("updates every 5 s"));
  get("/api/v1/events?tail=1&limit=1").then((cur) => {
    if (!stopped) stream = new Stream({ after: cur.next, kind: "relay." }, (evs) => batch.push(evs), pill);
  }).catch(() => {}); // the poll goes on
  return () => { stopped = true; clearInterval(timer); batch.cancel(); if (stream) stream.close(); window.removeEventListener("resize", fitTimes); };
}

// LIVE_WHY is what the pill says of the Queue while the stream is live.
const LIVE_WHY = "this page follows the relay's events and reads the queue again as they commit, and every 5 s for what no event says (a recipient going in flight)";

// restsSection lists the destinations the relay rests after a 421 or a
// rate limit (GET /api/v1/rests), each with an "End the rest now" button
// (DELETE /api/v1/rests/{destination}): a rest holds all the
// destination's mail whatever Retry now asks, and nothing else ends it
// before its time. It is hidden while nothing rests, and from a server
// without the API. said tells what came of an end, after the row is gone.
function restsSection(ask) {
  const body = h("tbody", { id: "rest-rows" });
  const said = h("p", { class: "muted", id: "rest-said", role: "status" });
  const section = h("section", { id: "queue-rests" }, h("h2", {}, "Resting destinations"),
    h("p", { class: "muted" }, "After a 421 or a rate limit the relay rests the destination: it holds all the destination's mail until the rest ends, and Retry now cannot lift that. ",
      "End the rest now sends the held mail at once (as ", h("code", {}, "relaylab queue unrest DESTINATION"), " does); the next 421 or rate limit rests the destination again."),
    h("div", { class: "scroll" }, h("table", { class: "cards", id: "rest-table" },
      h("thead", {}, h("tr", {}, h("th", {}, "destination"), h("th", {}, "until"), h("th", {}, "holds"), h("th", {}, "after"), h("th", {}, actionsHeader()))), body)));
  section.hidden = true;
  const out = { section, said, onEnded: () => {} };
  let asked = 0;
  out.load = () => { const mine = ++asked; return get("/api/v1/rests").then((d) => {
    if (mine !== asked) return;
    const list = d && Array.isArray(d.rests) ? d.rests : [];
    // The focus on an End stays on its destination's, or goes to the
    // next one's; the last rest ended, to the line that says so.
    const back = keepPlace(body, (b) => b.dataset.dest);
    clear(body);
    section.hidden = list.length === 0;
    for (const x of list) {
      const end = h("button", { type: "button", class: "rest-end", "aria-label": "End the rest now: " + plain(x.destination) }, "End the rest now");
      end.dataset.dest = x.destination;
      end.addEventListener("click", () => ask.confirm(question(endRestQuestion(x), { yes: "End the rest now" })).then((yes) => {
        if (!yes) return;
        const at = shortTime(Date.now());
        said.className = "muted";
        said.textContent = "Ending the rest of " + plain(x.destination) + "…";
        api("DELETE", "/api/v1/rests/" + encodeURIComponent(x.destination)).then((a) => {
          const n = a && typeof a.released === "number" ? a.released : x.held;
          said.textContent = "The rest of " + plain(x.destination) + " ended at " + at + ": " + n + " waiting recipient(s) it held are tried within seconds. " +
            "If the destination answers with another 421 or rate limit, it rests again.";
          out.onEnded();
          return out.load();
        }, (e) => {
          said.className = "error";
          said.textContent = e.status === 404 ? "The rest of " + plain(x.destination) + " had ended already (" + (e.detail || e.message) + ")."
            : "The end of the rest of " + plain(x.destination) + " was not done: " + (e.detail || e.message) + ".";
          return out.load();
        });
      }));
      body.append(h("tr", {}, h("td", { class: "mono wide", "data-label": "destination" }, x.destination), h("td", { class: "nowrap", "data-label": "until" }, fmtTime(x.until)),
        h("td", { "data-label": "holds" }, x.held + " recipient(s)"),
        h("td", { class: "wide", "data-label": "after" }, x.cause ? replyLines(x.cause) : "a 421 or rate limit", x.throttling ? " (throttling: lower the path's rate or max_connections)" : ""),
        h("td", {}, end)));
    }
    back(() => said);
  }).catch((e) => {
    if (mine !== asked) return;
    // A server without the rests API (an older relaylab) has none to show.
    section.hidden = true;
    if (e.status !== 404 && e.status !== 501) { said.className = "error"; said.textContent = "The destinations' rests could not be read: " + e.message; }
  }); };
  return out;
}

// actionsHeader is the header of a table's column of buttons: read by a
// screen reader (an empty header is read as nothing), not shown, as the
// buttons say what they do.
function actionsHeader() {
  return h("span", { class: "visually-hidden" }, "actions");
}

// endRestQuestion is the confirmation an end of a rest asks for: which
// destination, until when it rests and why, and what ending it does.
export function endRestQuestion(x) {
  let cause = x.cause ? plain(x.cause) : "";
  if (cause.length > 200) cause = cause.slice(0, 199) + "…";
  return "End the rest of " + plain(x.destination) + " now?\n\n" +
    "It rests until " + fmtTime(x.until) + (cause ? ", after: " + cause : "") + ".\n\n" +
    "The " + x.held + " waiting recipient(s) it holds are tried at once. If the destination answers with another 421 or rate limit, it rests again; " +
    "a message that keeps meeting the 421 rests it again at each retry: Hold or Delete that one.";
}

// removeAllQuestion is the confirmation Remove all asks for.
export function removeAllQuestion(n) {
  return "Remove all " + n + " address(es) from the suppression list?\n\n" +
    "The relay then sends mail to every one of them again (a test run's clean slate: repeated tests to the same address reach the sink again), " +
    "and forgets the soft bounces it counted toward the list. A server that refused an address before may refuse it again, and the relay list it again.";
}

// rcptPlace is the button of a message's row (x, a queueEntry) to put
// the focus on for recipient address: its Hold or Release as the row has
// it now (a poll may have drawn it again since it was pressed); unless
// exact, when that one is gone or disabled (in flight), the message's
// first working button. null when the message has left the page.
function rcptPlace(x, address, exact) {
  const row = x.rows[0];
  if (!row.isConnected) return null;
  const usable = (b) => b && !b.hidden && !b.disabled;
  const b = row.querySelector('button.hold-act[data-rcpt="' + CSS.escape(address) + '"]');
  if (usable(b) || exact) return usable(b) ? b : null;
  return [...row.querySelectorAll("td.actions button")].find(usable) || null;
}

// anchorRow is the queue's row under the pointer, or else the one that
// holds the focus; null when neither is in the table.
function anchorRow(tbody) {
  const hovered = tbody.querySelector("tr:hover");
  if (hovered) return hovered;
  const f = document.activeElement;
  return f && tbody.contains(f) ? f.closest("tr") : null;
}

// queueEntry is a message's rows in the queue, kept from one poll to the
// next: its id, sender and buttons, which span its recipients' rows, stay
// the same elements, and update(q) redraws the recipients' cells only
// when the message changed. say(text, bad, until) tells, beside its
// buttons, what came of an action on it.
function queueEntry(q, act, holdAct, ask) {
  // Each button names the message it acts on, as Hold names its
  // recipient: a screen reader's list of buttons is not twenty "Delete".
  // The name starts with the words shown, so that a voice command that
  // says them ("click Retry now") finds the button (WCAG 2.5.3).
  const retry = h("button", { type: "button", "aria-label": "Retry now: message " + plain(q.id) }, "Retry now");
  const del = h("button", { type: "button", class: "danger", "aria-label": "Delete message " + plain(q.id) }, "Delete");
  // Hold for each recipient that waits, Release for each held by hand; a
  // Hold that does nothing for one in flight (a hold cannot stop an
  // attempt), which keeps its place so that the row does not jump.
  // Redrawn only when that changes, so that a poll leaves the focus where
  // it is.
  const holds = h("span", { class: "hold-acts" });
  let holdKey = "";
  const holdButtons = (q) => {
    const w = (Array.isArray(q.waiting) ? q.waiting : []).filter((r) => ["held", "queued", "deferred", "inflight"].includes(r.state));
    const key = JSON.stringify(w.map((r) => [r.address, r.state === "held" ? "held" : r.state === "inflight" ? "inflight" : ""]));
    if (key === holdKey) return;
    holdKey = key;
    // The focus on a button redrawn goes to its recipient's new one.
    const had = holds.contains(document.activeElement) ? document.activeElement.dataset.rcpt : undefined;
    clear(holds);
    for (const r of w) {
      const byHand = r.state === "held";
      const verb = byHand ? "Release" : "Hold";
      const label = verb + " " + plain(r.address);
      const busy = r.state === "inflight";
      const why = busy ? label + ": not while the relay is attempting it (a hold cannot stop an attempt); hold it once the attempt ends, if it still waits then" : label;
      const b = h("button", { type: "button", class: "hold-act", "data-rcpt": r.address, "aria-label": why, title: why, disabled: busy }, verb);
      if (!busy) b.addEventListener("click", () => run(() => holdAct(x, r, byHand)));
      // Of several recipients, each button has its own line, with the
      // address cut short beside it (the actions stay narrow; the whole
      // address is the button's label and title).
      if (w.length > 1) holds.append(h("div", { class: "hold-one" }, b, " ", h("span", { class: "small muted hold-who" }, shortAddr(r.address))));
      else holds.append(" ", b);
    }
    if (had === undefined) return;
    const again = [...holds.querySelectorAll("button.hold-act")].find((b) => b.dataset.rcpt === had);
    (again && !again.disabled ? again : retry).focus();
  };
  const status = h("div", { class: "small act-note", role: "status" });
  const idCell = h("td", { class: "mono nowrap", "data-label": "message" }, h("a", { href: path("messages", q.id) }, q.id));
  const fromCell = h("td", { class: "mono", "data-label": "from" });
  const actCell = h("td", { class: "actions wide" }, retry, " ", del, holds, status);
  const first = h("tr", { "data-id": q.id }, idCell, fromCell, actCell);
  const x = {
    id: q.id, q, rows: [first], sig: "",
    update(q, shared) {
      x.q = q;
      // A note said until the row changes (a retry's "within seconds")
      // goes once a recipient's state or attempts differ from when it was
      // asked for: the retry happened, and the row shows what came of it.
      if (x.until !== undefined && stateKey(q) !== x.until) x.say("");
      const sig = JSON.stringify(q) + sharedSig(q, shared);
      if (sig === x.sig) return;
      x.sig = sig;
      clear(fromCell).append(q.from ? addr(q.from) : "<>");
      // One row per waiting recipient, each with its own last reply and
      // what it means: a message to a full mailbox (452) and a
      // greylisting server (451) shows both. The message's cells span
      // its rows. data-label names a cell where a phone shows no header
      // row.
      const rows = recipientRows(q, shared);
      holdButtons(q);
      // A finished message (every recipient listed delivered, bounced,
      // expired or suppressed, as the "all" filter lists them) has
      // nothing to retry or delete: the relay refuses both, so neither is
      // offered. An entry that lists no recipient states keeps both.
      const listed = listedOf(q);
      const finished = listed.length > 0 && !listed.some((r) => ["queued", "deferred", "held", "inflight"].includes(r.state));
      retry.hidden = finished;
      del.hidden = finished;
      for (const td of [idCell, fromCell, actCell]) {
        if (rows.length > 1) td.rowSpan = rows.length;
        else td.removeAttribute("rowspan");
      }
      while (fromCell.nextSibling !== actCell) fromCell.nextSibling.remove();
      first.insertBefore(fragmentOf(rows[0]), actCell);
      first.className = rows[0].className;
      for (const tr of x.rows.slice(1)) tr.remove();
      for (const tr of rows.slice(1)) tr.classList.add("more");
      x.rows = [first, ...rows.slice(1)];
    },
    failed: "", // the error on its row, if any
    // say tells what came of an action; with until (a stateKey), only
    // as long as the row's recipients stay as they were then.
    say(text, bad, until) {
      status.className = "small act-note " + (bad ? "error" : "muted");
      status.textContent = text;
      x.failed = bad ? text : "";
      x.until = until;
    },
  };
  // One action at a time per message. The buttons stay enabled: a
  // disabled button would lose the keyboard's focus.
  let busy = false;
  const run = (f) => {
    if (busy) return;
    busy = true;
    f().finally(() => { busy = false; });
  };
  retry.addEventListener("click", () => run(() => act(x, "POST")));
  // Asked first, in the page's dialog, under run: the row's actions wait
  // for the answer.
  del.addEventListener("click", () => run(() => ask.confirm(question(deleteQuestion(x.q), { yes: "Delete", danger: true }))
    .then((yes) => (yes ? act(x, "DELETE") : undefined))));
  return x;
}

// stateKey is what of a queue entry a retry changes once the relay has
// tried it: its attempts, and each listed recipient's state and
// attempts (not the next attempt, which the retry itself moves).
function stateKey(q) {
  return JSON.stringify([q.attempts, listedOf(q).map((r) => [r.address, r.state, r.attempts])]);
}

// listedOf is every recipient a queue entry lists: those still waiting
// (waiting), then those finished (finished: delivered, bounced, expired
// or suppressed), which a listing of one of those states, or all, adds.
function listedOf(q) {
  return [...(Array.isArray(q.waiting) ? q.waiting : []), ...(Array.isArray(q.finished) ? q.finished : [])];
}

// notBegun says that a recipient in flight waits for its turn at the
// relay's shaping (a rate's slot, a connection), with no connection made
// for it yet: the API's not_begun, which relaylab queue show says as "in
// flight, not begun".
function notBegun(r) {
  return r.state === "inflight" && r.not_begun === true;
}

// fragmentOf moves a row's cells into a fragment.
function fragmentOf(tr) {
  const f = document.createDocumentFragment();
  while (tr.firstChild) f.appendChild(tr.firstChild);
  return f;
}

// deleteQuestion is the confirmation a delete asks for: which message
// (its id, sender, first recipients and subject), and what a delete does,
// as plain text (deleteDialog).
export function deleteQuestion(q) {
  return deleteDialog("Delete message " + plain(q.id) + " from the queue?", q.from, q.recipients, q.subject, "(no recipient waiting)",
    "The relay stops trying it, and no bounce goes to the sender: submit it again if it should still go out.");
}

const plain = dialogText;

// removeQuestion is the confirmation a Remove from the suppression list
// asks for: the address, why and since when it is listed, and what
// taking it off does.
export function removeQuestion(x) {
  let reason = x.reason ? plain(x.reason) : "";
  if (reason.length > 200) reason = reason.slice(0, 199) + "…";
  return "Remove " + plain(x.address) + " from the suppression list?\n\n" +
    (reason ? "Listed for: " + reason + "\n" : "") +
    (x.since ? "Since: " + fmtTime(x.since) + "\n" : "") +
    "\nThe relay then sends it mail again, and a server that refused it before may refuse it again (and the relay list it again).";
}

// removeError says why a Remove failed and what to do.
function removeError(address, e) {
  if (e.status === 404) return plain(address) + " was not on the suppression list any more (" + (e.detail || e.message) + "): it was removed meanwhile, or its listing ended.";
  if (e.status === 400) return "The Remove of " + plain(address) + " was refused: " + (e.detail || e.message) + ".";
  if (e.status === 0 || e.status === 401) return "The Remove of " + plain(address) + " was not done: " + e.message + ".";
  return "The Remove of " + plain(address) + " failed: " + e.message + ". Try again; if it fails again, relaylab's log says why.";
}

// retryText says what came of a retry: the recipients due now, and each
// one the relay's shaping still holds with the hold's end, which a retry
// does not move (the API's held). A server that names none: as before.
export function retryText(d, at) {
  const held = d && Array.isArray(d.held) ? d.held : [];
  if (!held.length) {
    return "Retry asked for at " + at + ": the relay tries the waiting recipients within seconds" +
      (d && typeof d.due === "number" ? "." : ", except those its shaping holds, whose next attempt stays the hold's end.");
  }
  const each = held.map((x) => plain(x.address) + " until " + fmtTime(x.until) +
    (x.expires ? " (after the message expires at " + fmtTime(x.expires) + ": it expires unsent then, unless the shaping changes)" : "")).join(", ");
  const due = typeof d.due === "number" && d.due > 0 ? " The other " + d.due + " recipient(s) are tried within seconds." : "";
  return "Retry asked for at " + at + ", but the relay's own shaping still holds " + (d.status === "held" ? "every waiting recipient" : held.length + " recipient(s)") +
    " (a destination's rest, a sending window or the warm-up cap), which a retry cannot lift: " + each + "." + due +
    (held.some((x) => / rests until /.test(x.hold || "")) ? " End the rest now, under Resting destinations at the top of this page, ends a destination's rest." : "");
}

// actionError says why a retry or a delete failed and what to do.
function actionError(method, e) {
  const what = method === "POST" ? "The retry" : "The delete";
  const why = e.detail || e.message;
  if (e.status === 404) return what + " found no such message in the queue (" + why + "): it left the queue meanwhile, delivered, bounced, expired or deleted; its page has its history.";
  if (e.status === 400) return what + " was refused: " + why + ".";
  if (e.status === 0 || e.status === 401) return what + " was not done: " + e.message + ".";
  return what + " failed: " + e.message + ". Try again; if it fails again, relaylab's log says why.";
}

// queueNote says how many messages wait (or match the filters) and,
// when the page shows part of them, how many it shows and in which
// order, so that the 200 shown do not pass for the 900 waiting. From a
// relay that cannot count its messages it says "more than", with the
// recipients waiting in all; from a server before the total, the count
// shown. filtered is the view when its filters are not the default's
// (false otherwise): none found says what was looked for, and how.
export function queueNote(d, oldest, filtered) {
  const shown = d.queue.length;
  if (!shown && !d.truncated) return filtered ? noMatch(filtered) : "The queue is empty: every message is delivered, bounced or expired.";
  const msgs = (n) => n + (n === 1 ? " message" : " messages");
  const verb = (n) => (filtered ? (n === 1 ? " matches" : " match") : " waiting");
  if (!d.truncated) return msgs(shown) + verb(shown);
  const cut = " (" + shown + " shown, " + (oldest ? "oldest" : "newest") + " first)";
  if (typeof d.total === "number") return msgs(d.total) + verb(d.total) + cut;
  const rcpts = typeof d.recipients_waiting === "number" ? ", to " + d.recipients_waiting + " recipient" + (d.recipients_waiting === 1 ? "" : "s") + " in all" : "";
  return "More than " + msgs(shown) + " waiting" + rcpts + cut;
}

// shortAddr is an address cut to 24 characters for a button's label,
// its bidi controls shown (plain).
function shortAddr(a) {
  const p = [...plain(a)];
  return p.length <= 24 ? p.join("") : p.slice(0, 23).join("") + "…";
}

// QUEUE_STATES are the Queue page's choices of state (the API's state=).
const QUEUE_STATES = [["waiting", "waiting (any)"], ["held", "held by hand"], ["deferred", "deferred"], ["queued", "queued"], ["inflight", "in flight"],
  ["bounced", "bounced"], ["expired", "expired"], ["delivered", "delivered"], ["suppressed", "suppressed"], ["all", "all messages"]];

// PAGE is how many messages a page of the queue shows.
const PAGE = 200;

// findOf reads the filter box: a text that starts with @ is a whole
// domain (the API's domain=, @example.test not sub.example.test); any
// other, a part of a recipient's address (recipient=, in any case:
// retryme, example.test, bob@). null for an empty box.
function findOf(text) {
  const f = text.trim();
  if (!f) return null;
  return f.startsWith("@") && f.length > 1 ? { key: "domain", value: f } : { key: "recipient", value: f };
}

// STATE_WORDS name a recipient in each state of the select, for the
// note of a filter that found nothing.
const STATE_WORDS = { waiting: "a waiting recipient (queued, deferred, in flight or held)", held: "a recipient held by hand", deferred: "a deferred recipient",
  queued: "a queued recipient", inflight: "a recipient in flight", bounced: "a bounced recipient", expired: "an expired recipient",
  delivered: "a delivered recipient", suppressed: "a suppressed recipient", all: "a recipient (in any state)" };

// noMatch says, of filters that found nothing, what was looked for and
// how: the state, and the box's text as a part of an address or as a
// whole domain; the box looks at recipients alone, not at the sender.
export function noMatch(v) {
  const f = findOf(v.find || "");
  const who = STATE_WORDS[v.state] || "a recipient in state " + v.state;
  if (!f) return "No message has " + who + ".";
  const quote = (t) => "\u201c" + plain(t) + "\u201d";
  if (f.key === "domain") {
    return "No message has " + who + " at the domain " + quote(f.value.slice(1)) +
      " (@ looks for a whole domain: without the @, the box finds any part of a recipient's address).";
  }
  return "No message has " + who + " whose address contains " + quote(f.value) + " (in any case; the box looks at recipients, not at the sender).";
}

// queueQuery is the API's query for a page of the queue: the state, the
// filter box's text (findOf), the order and the cursor.
export function queueQuery(v) {
  const p = new URLSearchParams({ limit: String(PAGE) });
  if (v.state !== "waiting") p.set("state", v.state);
  const f = findOf(v.find);
  if (f) p.set(f.key, f.value);
  if (v.oldest) p.set("order", "oldest");
  if (v.after) p.set("after", v.after);
  else if (v.before) p.set("before", v.before);
  return p.toString();
}

// operatorHoldLine says who held a recipient by hand, since when, and
// their note.
function operatorHoldLine(oh) {
  const o = oh && typeof oh === "object" ? oh : {};
  return h("div", { class: "small operator-hold" }, "Held by ", iso(o.by || "an operator"), o.since ? " since " + fmtTime(o.since) : "",
    o.note ? [" (", iso(o.note), ")"] : "", ": nothing is sent to it until it is released; it does not expire while held.");
}

// releaseQuestion is the question a Release asks, as plain text for the
// page's dialog (dialog.js question), as Delete's is.
export function releaseQuestion(q, r) {
  const oh = r.operator_hold || {};
  return "Release " + plain(r.address) + " of message " + plain(q.id) + "?\n\n" +
    (oh.by ? "Held by " + plain(oh.by) + (oh.since ? " since " + fmtTime(oh.since) : "") + (oh.note ? " (" + plain(oh.note) + ")" : "") + ".\n" : "") +
    "The relay tries it within seconds.";
}

// holdError says why a Hold or a Release failed and what to do.
function holdError(release, address, e) {
  const what = (release ? "The release of " : "The hold of ") + plain(address);
  const why = e.detail || e.message;
  if (e.status === 404) return what + " found no such message in the queue (" + why + "): it left the queue meanwhile; its page has its history.";
  if (e.status === 400) return what + " was refused: " + why + ".";
  if (e.status === 409) return what + " was not done now: " + why + ".";
  if (e.status === 0 || e.status === 401) return what + " was not done: " + e.message + ".";
  return what + " failed: " + e.message + ". Try again; if it fails again, relaylab's log says why.";
}

// REPEAT is how many rows must share an explanation (a category's reason
// and advice) or a hold for it to be said once above the table, each row
// keeping a short marker, rather than on each row.
const REPEAT = 3;

// explanationOf is the key of a waiting recipient's explanation: its
// category, reason and advice; "" when it has none.
function explanationOf(r) {
  return r.category && (r.reason || r.advice) ? JSON.stringify([r.category, r.reason || "", r.advice || ""]) : "";
}

// sharedOf finds the explanations and holds that REPEAT rows or more of
// the queue share, each with how many rows do: {exp, hold}, Maps.
function sharedOf(queue) {
  const exp = new Map(), hold = new Map();
  for (const q of queue) {
    // A recipient not begun says its wait on its own row, as its state.
    for (const r of listedOf(q).filter((r) => !notBegun(r))) {
      const e = explanationOf(r), x = holdText(r);
      if (e) exp.set(e, (exp.get(e) || 0) + 1);
      if (x) hold.set(x, (hold.get(x) || 0) + 1);
    }
  }
  for (const m of [exp, hold]) for (const [k, n] of m) if (n < REPEAT) m.delete(k);
  return { exp, hold };
}

// sharedSig says which of q's rows are explained above, so that a row is
// drawn again when that changes.
function sharedSig(q, shared) {
  return listedOf(q).map((r) => notBegun(r) ? "" : (shared.exp.has(explanationOf(r)) ? "e" : "") + (shared.hold.has(holdText(r)) ? "h" : "")).join(",");
}

// showExplained says once, above the table, what many rows share: each
// hold, and each category's reason and advice, with how many recipients
// it is about.
function showExplained(el, shared) {
  clear(el);
  el.hidden = !shared.exp.size && !shared.hold.size;
  if (el.hidden) return;
  const n = (k) => h("span", { class: "muted small" }, " (" + k + " recipients)");
  el.append(h("p", { class: "small" }, "Said once here for the rows that share it; each of those rows says \"explained above\":"),
    h("ul", { class: "explained-list" },
      [...shared.hold].map(([x, k]) => h("li", { class: "explained-hold" }, holdLine(x, ""), n(k))),
      [...shared.exp].map(([e, k]) => {
        const [category, reason, advice] = JSON.parse(e);
        return h("li", { class: "explained-category" }, h("span", { class: "badge category" }, category), n(k),
          reason && h("div", { class: "muted reason" }, prose(reason)),
          advice && h("div", { class: "advice" }, "What to do: ", prose(advice)));
      })));
}

// recipientRows is a queue entry's rows without the message's own cells:
// one per recipient listed, those waiting first, then those finished; or,
// from a relay that lists no recipient's reply, one for the whole message.
// What shared (sharedOf) says above the table is a short marker on the
// row.
function recipientRows(q, shared) {
  shared = shared || { exp: new Map(), hold: new Map() };
  const w = listedOf(q);
  if (!w.length) {
    return [h("tr", {},
      h("td", { class: "mono wide", "data-label": "to" }, (q.recipients || []).flatMap((v, i) => (i ? [", ", addr(v)] : [addr(v)]))),
      h("td", {}),
      h("td", { "data-label": "attempts" }, String(q.attempts)),
      h("td", { class: "nowrap time", "data-label": "next" }, timeParts(q.next_attempt)),
      h("td", { class: "wide reply", "data-label": "last reply" }, replyLines(q.last_reply || "")))];
  }
  return w.map((r) => {
    const rep = r.last_reply && typeof r.last_reply === "object" ? r.last_reply : {};
    const hold = holdText(r);
    // A reply at stage shaping is the relay's own hold, which no server
    // gave: it is shown once, as the hold, not as a reply too.
    const reply = rep.stage === "shaping" ? "" : replyText(rep);
    const via = [r.path && "path " + r.path, reached(r)].filter(Boolean).join(" · ");
    const tried = Array.isArray(r.tried) && r.tried.length > 1 ? r.tried : [];
    const byHand = r.state === "held";
    // Not begun: the wait is its state, said on its own line as queue
    // show says it, and not as a hold, a category or a reason (which
    // repeat the wait).
    const turn = notBegun(r);
    return h("tr", { class: "rcpt", "data-rcpt": r.address },
      h("td", { class: "mono wide", "data-label": "to" }, addr(r.address)),
      h("td", { "data-label": "state" }, stateBadges(r, hold)),
      h("td", { "data-label": "attempts" }, String(r.attempts)),
      h("td", { class: "nowrap time", "data-label": hold && !turn ? "held until" : "next" }, byHand ? "when released" : turn ? "waiting for its turn" :
        r.next_attempt ? timeParts(r.next_attempt) : r.state === "inflight" ? (hold ? "waiting for its turn" : "sending now") : ""),
      h("td", { class: "wide reply", "data-label": "last reply" },
        byHand && operatorHoldLine(r.operator_hold),
        reply && h("span", { class: "mono" }, replyShown(rep)),
        turn && notBegunLine(r, hold),
        !turn && r.category && [" ", h("span", { class: "badge category" }, r.category)],
        ...(!turn && shared.exp.has(explanationOf(r)) ? [" ", h("span", { class: "muted small explained-ref" }, "explained above")] : [
          !turn && r.reason && h("div", { class: "muted reason" }, prose(r.reason)),
          r.advice && h("div", { class: "advice" }, "What to do: ", prose(r.advice))]),
        hold && !turn && (shared.hold.has(hold) ? h("div", { class: "small muted hold-ref" }, "Held by the relay's shaping: explained above") : holdLine(hold, reply)),
        tried.length > 0 && h("div", { class: "small tried" }, "Tried in its last attempt, in order:",
          h("ol", {}, tried.map((t) => h("li", {}, "path " + t.path, t.host ? [" host ", iso(t.host)] : "", ": ",
            h("span", { class: "mono" }, replyShown(t.reply) || "no reply"))))),
        via && h("div", { class: "small muted via" }, via)));
  });
}

// timeParts is a time as fmtTime writes it, its date and its hour each
// kept whole, so that a line may break between them only.
function timeParts(t) {
  const [day, hour] = fmtTime(t).split(" ");
  return hour ? [h("span", { class: "nowrap" }, day), " ", h("span", { class: "nowrap" }, hour)] : day;
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
  if (!c) return line(...head, ", after ", replyLines(cause), ".");
  const [, rep, to, msg] = c;
  const same = replyShown && replyShown.startsWith(rep.trim());
  return line(...head, ", after ", same ? "that reply" : h("span", { class: "mono" }, replyLines(rep)), " to ", h("span", { class: "mono" }, iso(to)),
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

// notBegunLine says what a recipient not begun waits for, as relaylab
// queue show does: "in flight, not begun: waiting for its turn ...;
// attempt N begins then (no connection is made for it yet)".
function notBegunLine(r, hold) {
  const next = (Number(r.attempts) || 0) + 1;
  return h("div", { class: "small not-begun" }, "Not begun: ", prose(hold || "waiting for its turn at the relay's shaping"),
    "; attempt " + next + " begins then (no connection is made for it yet).");
}

// stateBadges is a recipient's state: "held" while the relay's shaping
// holds it (after a server's deferral, "deferred" and "held"), "in
// flight" and "not begun" while it waits for its turn, else the relay's
// state.
function stateBadges(r, hold) {
  const badge = (s) => h("span", { class: "badge s-" + String(s).replace(/[^a-z]/g, "") }, s);
  if (r.state === "held") return badge("held by hand");
  if (notBegun(r)) return [badge("inflight"), " ", badge("not begun")];
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
  if (notBegun(r)) return "not begun: no connection made for it yet";
  const rep = r.last_reply && typeof r.last_reply === "object" ? r.last_reply : {};
  const held = rep.stage === "shaping" || Boolean(r.hold);
  const n = Number(r.attempts) || 0;
  if (held) return n ? "held by shaping after " + n + " attempt(s), not tried since" : "held by shaping, not tried yet";
  if (!n) return "not tried yet";
  if (!r.host) return "";
  if (rep.code > 0) return "host " + r.host;
  // A failed lookup dialled nothing: the host was never reached.
  if (rep.stage === "dns") return "host " + r.host + " not reached: its DNS lookup failed";
  return "host " + r.host + " gave no SMTP reply";
}
