// The inbox: the messages the sink received, newest first, with their
// sender, recipients, subject, size and the sink's reply, searchable
// (words, "phrases", -negation and qualifiers, as the API's q= reads
// them: web/search.go), and live.
import { h, path, fmtTime, clear, iso, addr, few, replyLines } from "./dom.js";
import { get, api } from "./api.js";
import { humanBytes, copyNote } from "./message.js";
import { Stream } from "./stream.js";
import { setStatus, announceNew } from "./status.js";
import { frameBatcher } from "./batch.js";
import { askDialog, question } from "./dialog.js";
import { leave, placeOf, restore } from "./place.js";

const PAGE = 50;
const MAX_ROWS = 500;
// A search reads at most 5,000 messages a request (the API's bound); one
// click reads on for up to this many before it asks to go on.
const SEARCH_BUDGET = 20000;
// The search's qualifiers, each with an example that the help links to
// (TestSearchDocumented checks that every qualifier is here).
const QUALIFIERS = [
  ["from:", "from:billing@shop.test", "the envelope sender or the From field; from:<> the null sender (bounces)"],
  ["to:", "to:bob@example.test", "a recipient, or the To or Cc field"],
  ["addressed:", "addressed:@shop.test", "either of those"],
  ["subject:", 'subject:"your invoice"', "the subject"],
  ["body:", 'body:"reset code"', "the text of the body (its text part, and the text of its HTML part)"],
  ["message-id:", "message-id:abc@", "the Message-ID field"],
  ["reply:", "reply:4.7.1", "the text of the sink's reply after the data"],
  ["code:", "code:4xx", "its code: 451, 4xx, 45x"],
  ["is:", "is:refused", "is:accepted (2xx), is:deferred (4xx), is:refused (5xx), is:noreply (dropped or hung)"],
  ["spf:", "spf:fail", "the sink's SPF result (sink.verify): pass, fail, softfail, neutral, none, policy, temperror, permerror"],
  ["dkim:", "dkim:fail", "the sink's DKIM result: pass (a signature passed), fail, neutral, none, policy, temperror, permerror"],
  ["dmarc:", "dmarc:fail", "the sink's DMARC result: pass, fail, none, temperror, permerror"],
  ["listener:", "listener:mx", "the listener's name, whole"],
  ["session:", "session:12", "the session that brought it"],
  ["after:", "after:2026-01-02", "received at or after a date (UTC) or time"],
  ["before:", "before:2026-01-02T15:00:00Z", "received before a date or time"],
  ["larger:", "larger:1m", "more bytes than that (k, m)"],
  ["smaller:", "smaller:10k", "fewer bytes than that"],
  ["has:", "has:attachment", "a part besides the text and HTML bodies (an attachment, an inline image)"],
];

// authLine is the sink's own SPF, DKIM and DMARC results of a message
// (sink.verify), each linked to the search for that result, a result
// other than pass or none marked; nothing when the sink did not check
// it. The message's page says what each means.
function authLine(a) {
  if (!a) return "";
  const one = (name, v) => h("a", { href: path("inbox", "search", name + ":" + v), class: v === "pass" || v === "none" ? "muted" : "error",
    title: "the sink's " + name.toUpperCase() + " result; the search for " + name + ":" + v }, name + "=" + v);
  return h("div", { class: "small auth-results" }, one("spf", a.spf), " ", one("dkim", a.dkim), " ", one("dmarc", a.dmarc));
}

export function inboxView(main, query) {
  const q = (query || "").trim();
  const base = "/api/v1/sink/messages?";
  const args = (more) => new URLSearchParams({ ...(q ? { q } : {}), ...more }).toString();
  const tbody = h("tbody", { id: "inbox-rows" });
  const input = h("input", { type: "search", name: "q", value: q, placeholder: "words, from:, to:, subject:, is:refused…", "aria-label": "search the inbox", id: "inbox-q" });
  input.setAttribute("aria-describedby", "inbox-q-error");
  const form = h("form", { class: "filters", id: "inbox-find" }, input, h("button", { type: "submit" }, "Search"),
    q ? h("a", { href: "#/inbox", id: "inbox-all" }, "All messages") : "");
  // A search the API cannot read (an unknown qualifier, a quote left
  // open) says why beside the box, which is marked invalid.
  const qError = h("p", { class: "error", id: "inbox-q-error", role: "alert" });
  qError.hidden = true;
  const help = h("details", { id: "inbox-help" }, h("summary", { class: "muted small" }, "Search help"),
    h("p", { class: "muted small" }, "Every term must match. A word is looked for in the subject, the From field, the envelope sender, the recipients and the text of the body; ",
      h("code", {}, '"two words"'), " keeps its space; ", h("code", {}, "-word"), " or ", h("code", {}, "-is:accepted"), " leaves out what it matches; ",
      "put a text with a colon in quotes to look for it: ", h("code", {}, '"re:x"'), ". ",
      "A qualifier's value matches a part of the text (", h("code", {}, "to:bob"), " finds jimbob@shop.test too, ", h("code", {}, "to:@shop.test"), " a domain), ",
      "but for listener:, which takes a name whole, and an address: a from:, to: or addressed: value with text on both sides of its @ (",
      h("code", {}, "to:bob@shop.test"), ") matches only that address, in any case."),
    h("ul", { class: "small" }, QUALIFIERS.map(([name, example, about]) =>
      h("li", {}, h("code", {}, name), " ", about, ": ", h("a", { href: path("inbox", "search", example)}, example)))));
  // Clear deletes every message (and the sink's whole record), or, with
  // a search, the messages it finds, after a confirmation. It shows only
  // when it has something to delete: not on an empty inbox, nor for a
  // search that found nothing in all the messages or that the API
  // refused (showWipe).
  const wipe = h("button", { type: "button", class: "danger", id: "inbox-clear" }, q ? "Delete the messages found" : "Clear the inbox");
  wipe.hidden = true;
  let refused = false;
  const wipeNote = h("span", { class: "small", id: "inbox-clear-note", role: "status" });
  const older = h("button", { type: "button", id: "inbox-older" }, q ? "Search older messages" : "Older messages");
  older.hidden = true;
  const note = h("p", { class: "muted", id: "inbox-note" });
  const empty = h("p", { class: "muted", id: "inbox-empty" }, q ? "No message found." : "No message yet: what the sink receives shows here, newest first.");
  empty.hidden = true;
  // Clear asks in the page's dialog first.
  const ask = askDialog();
  main.append(h("h1", {}, "Inbox"),
    h("p", { class: "muted", id: "inbox-about" }, "The messages relaylab's sink received, newest first. ",
      "A search finds the messages with every word in the subject, the From field, the envelope sender, a recipient or the body's text, in any case, ",
      "and takes qualifiers such as from:, to:, subject: and is:refused."),
    form, qError, help, h("div", { class: "bar" }, wipe, " ", wipeNote), h("div", { class: "scroll" }, h("table", { class: "cards", id: "inbox-table" },
      h("thead", {}, h("tr", {}, h("th", {}, "received"), h("th", {}, "from"), h("th", {}, "to"), h("th", {}, "subject"), h("th", {}, "size"), h("th", {}, "reply"))),
      tbody)), empty, note, h("div", { class: "bar" }, older), ask.el);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const v = input.value.trim();
    location.hash = v ? path("inbox", "search", v) : "#/inbox";
  });

  const shown = new Set();
  const copies = new Map(); // each shown row's copy mark, as the API gave it
  let top = 0;       // the newest id read, shown or not
  let before = 0;    // where the next older page starts; 0: from the newest
  let total = 0, searched = 0;
  let stopped = false;

  function row(m) {
    shown.add(m.id);
    copies.set(m.id, JSON.stringify(m.copy || null));
    const msg = path("sink", "messages", m.id);
    const envelope = m.from || "<>";
    // The From field's address (after its name, in angle brackets) is
    // compared, not its whole text: a display name may hold any address.
    const fromAddr = m.header_from ? (/<([^<>]*)>$/.exec(m.header_from) || [, m.header_from])[1] : "";
    const sameSender = fromAddr && m.from && fromAddr.toLowerCase() === m.from.toLowerCase();
    const refused = !(m.code >= 200 && m.code < 300);
    return h("tr", { "data-id": m.id },
      h("td", { class: "nowrap", "data-label": "received" }, h("a", { href: msg }, fmtTime(m.time))),
      h("td", { class: "mono", "data-label": "from" }, m.header_from ? addr(m.header_from) : h("span", { title: "the envelope sender: the message has no From field" }, addr(envelope)),
        m.header_from && !sameSender ? h("div", { class: "muted small", title: "the envelope sender (MAIL FROM), where bounces go" }, "envelope ", addr(envelope)) : ""),
      h("td", { class: "mono", "data-label": "to" }, few((m.to || []).map((r) => h("div", {}, addr(r))), "recipients")),
      h("td", { class: "wide", "data-label": "subject" }, h("a", { href: msg }, m.subject ? iso(m.subject) : h("span", { class: "muted" }, "(no subject)")),
        m.attachments ? h("span", { class: "muted small", title: "attachments and inline parts, as its page lists them" }, " · " + m.attachments + (m.attachments === 1 ? " attachment" : " attachments")) : "",
        copyNote(m.copy), authLine(m.auth)),
      h("td", { class: "nowrap", "data-label": "size", title: m.size + " bytes" }, humanBytes(m.size)),
      h("td", { class: "reply", "data-label": "reply" }, h("span", { class: "mono" + (refused ? " error" : "") }, replyLines(m.reply)),
        h("div", { class: "small" }, h("a", { href: path("sink", "sessions", m.session) }, "session " + m.session), " · ", iso(m.listener))));
  }
  // showWipe shows Clear (or Delete the messages found) when there is
  // something for it to delete; the focus on it when it goes, to the
  // search box.
  const showWipe = () => {
    const none = refused || (q ? shown.size === 0 && older.hidden : total === 0);
    if (none && document.activeElement === wipe) input.focus();
    wipe.hidden = none;
  };
  const count = () => {
    showWipe();
    empty.hidden = shown.size > 0 || !older.hidden;
    if (!q) {
      note.textContent = total ? shown.size + " shown of " + total + " received" : "";
      return;
    }
    note.textContent = shown.size + " found" + (older.hidden ? " among all " + total + " received" : " in the newest " + searched + " of " + total + " received: Search older messages reads on");
  };
  const fail = (e) => {
    if (q && e.status === 400) {
      input.setAttribute("aria-invalid", "true");
      qError.hidden = false;
      qError.textContent = e.message;
      refused = true;
      showWipe();
      return;
    }
    note.className = "error";
    note.textContent = e.message;
  };

  // page reads the next older page; a search reads on by itself until it
  // has a page's worth or has read SEARCH_BUDGET more messages.
  let loading = false;
  function page(budget) {
    if (loading || stopped) return Promise.resolve();
    loading = true;
    older.disabled = true;
    return get(base + args({ limit: String(PAGE), ...(before ? { before: String(before) } : {}) })).then((d) => {
      if (stopped) return;
      total = d.total;
      searched += d.searched || 0;
      for (const m of d.messages) {
        top = Math.max(top, Number(m.id));
        if (!shown.has(m.id)) tbody.append(row(m));
      }
      before = d.next || 0;
      older.hidden = !d.next;
      loading = false;
      count();
      const left = budget - (d.searched || 0);
      if (q && d.next && d.messages.length < PAGE && left > 0) {
        note.textContent = shown.size + " found so far; searching the older messages…";
        return page(left);
      }
    }).catch(fail).finally(() => { loading = false; older.disabled = false; });
  }
  older.addEventListener("click", () => page(SEARCH_BUDGET));

  wipe.addEventListener("click", () => ask.confirm(question(q
    ? "Delete every message that the search " + q + " finds, among all " + total + " received (not only those shown)?\n\nSessions, attempts and the sink's counters stay."
    : "Clear the inbox: delete all " + total + " messages?\n\nThis clears the sink's whole record, as DELETE /api/v1/sink/messages does: its sessions, attempts and bounces go too, and it forgets its attempt counters and greylist. A message a bounce still due quotes is kept until the bounce is sent.",
  { yes: q ? "Delete the messages found" : "Clear the inbox", danger: true })).then((yes) => {
    if (!yes || stopped) return;
    wipeNote.className = "small muted";
    wipeNote.textContent = "Deleting…";
    api("DELETE", "/api/v1/sink/messages", q ? { query: q } : undefined).then((d) => {
      if (stopped) return;
      if (q) dropGone(d.ids);
      else {
        clear(tbody);
        shown.clear();
        copies.clear();
      }
      const n = q ? d.ids.length : d.deleted.messages;
      const kept = q ? (d.kept || []).length : d.kept_messages;
      total = Math.max(0, total - n);
      wipeNote.textContent = "Deleted " + n + (n === 1 ? " message" : " messages") +
        (kept ? "; kept " + kept + " that a bounce still due quotes (the sink reads each when it sends its bounce)" : "") + ".";
      count();
      // What was kept, and what came meanwhile, shows again.
      before = 0;
      page(SEARCH_BUDGET);
    }).catch((e) => {
      if (stopped) return;
      wipeNote.className = "small error";
      wipeNote.textContent = "Nothing deleted: " + e.message;
    });
  }));

  // Live: each sink.message names a new message's id; those newer than
  // the newest read are asked for in one request at a time (with the
  // search, so that only matches come), oldest first, and go on top.
  let wanted = 0, busy = false;
  function fetchNew() {
    if (busy || wanted <= top || stopped) return;
    busy = true;
    const upTo = wanted;
    get(base + args({ after: String(top), before: String(upTo + 1), limit: String(MAX_ROWS) })).then((d) => {
      if (stopped) return;
      if (d.next) {
        // More came than the list holds: it starts again from the newest
        // of them, and Older messages reads on below.
        return get(base + args({ before: String(upTo + 1), limit: String(MAX_ROWS) })).then((n) => {
          if (stopped) return;
          clear(tbody);
          shown.clear();
          copies.clear();
          before = n.next || 0;
          older.hidden = !n.next;
          return n;
        });
      }
      d.messages.reverse(); // newest first, as the list shows them
      return d;
    }).then((d) => {
      if (!d || stopped) return;
      total = d.total;
      const frag = document.createDocumentFragment();
      for (const m of d.messages) if (!shown.has(m.id)) frag.append(row(m));
      const added = frag.childElementCount;
      tbody.insertBefore(frag, tbody.firstChild);
      top = Math.max(top, upTo);
      while (tbody.children.length > MAX_ROWS) {
        shown.delete(tbody.lastChild.dataset.id);
        copies.delete(tbody.lastChild.dataset.id);
        tbody.removeChild(tbody.lastChild);
        before = Number(tbody.lastChild.dataset.id);
        older.hidden = false;
      }
      count();
      announceNew(added, "new message in the inbox", "new messages in the inbox");
      if (d.messages.some((m) => m.copy && m.copy.n > 1)) remark();
    }).catch(fail).finally(() => { busy = false; fetchNew(); });
  }
  // remark reads the shown rows again when a new message is a later copy
  // of one (the sender delivered it again): the earlier copies, shown
  // before it came, are marked "copy 1 of 2" now, in place.
  function remark() {
    get(base + args({ before: String(top + 1), limit: String(Math.min(Math.max(shown.size, 1), MAX_ROWS)) })).then((d) => {
      if (stopped) return;
      for (const m of d.messages) {
        const was = copies.get(m.id);
        const now = JSON.stringify(m.copy || null);
        if (was === undefined || was === now) continue;
        copies.set(m.id, now);
        const cell = tbody.querySelector('tr[data-id="' + CSS.escape(m.id) + '"] td[data-label="subject"]');
        if (!cell) continue;
        for (const old of cell.querySelectorAll(".copy-note")) old.remove();
        const mark = copyNote(m.copy);
        if (mark) cell.append(mark);
      }
    }).catch(() => {}); // the marks wait for the next reload
  }
  // Deleted elsewhere (another tab, the API, relaylab sink clear): a
  // sink.deleted names the messages, whose rows go; a clear's sink.reset
  // (one with "cleared") left only the messages a bounce still due
  // quotes, so the list is read again. Either way the count is read
  // again rather than worked out, as this page's own delete counted
  // what it deleted already.
  function dropGone(ids) {
    let dropped = 0;
    for (const id of ids) {
      if (!shown.has(id)) continue;
      const tr = tbody.querySelector('tr[data-id="' + CSS.escape(id) + '"]');
      if (tr) tr.remove();
      shown.delete(id);
      copies.delete(id);
      dropped++;
    }
    return dropped;
  }
  function recount() {
    get(base + args({ limit: "1" })).then((d) => {
      if (stopped) return;
      total = d.total;
      count();
    }).catch(() => {}); // the count waits for the next change
  }
  function cleared() {
    clear(tbody);
    shown.clear();
    copies.clear();
    before = 0;
    count();
    page(SEARCH_BUDGET);
  }
  const batch = frameBatcher((evs) => {
    let gone = [], wiped = false;
    for (const e of evs) {
      const p = e.payload || {};
      if (e.kind === "sink.deleted") gone = gone.concat((p.ids || []).map(String));
      if (e.kind === "sink.reset" && p.cleared) wiped = true;
      if (e.kind !== "sink.message") continue;
      const id = Number(p.id);
      if (Number.isInteger(id) && id > wanted) wanted = id;
    }
    if (wiped) cleared();
    else if (gone.length) {
      dropGone(gone);
      recount();
    }
    fetchNew();
  }, 0);
  let stream = null;
  // The stream starts where the log stood before the first page was read:
  // a message stored in between is shown once, whichever reads it first.
  // A search's first pages read back from the newest message of all,
  // matched or not: what is newer than that is new.
  // Back from a message opened here: the list as it was left (place.js),
  // its pages read again as far as the reader had read them.
  const back = placeOf("inbox", q);
  tbody.addEventListener("click", (ev) => {
    const a = ev.target instanceof Element ? ev.target.closest("a") : null;
    if (a && ev.button === 0 && !ev.ctrlKey && !ev.metaKey && !ev.shiftKey && !ev.altKey) leave("inbox", q, tbody.children.length, a);
  });
  const readTo = (rows) => {
    if (stopped || loading || older.hidden || shown.size >= Math.min(rows, MAX_ROWS)) return Promise.resolve();
    const had = shown.size;
    return page(SEARCH_BUDGET).then(() => (shown.size > had ? readTo(rows) : undefined));
  };
  Promise.all([get("/api/v1/events?tail=1&limit=1"), get(base + "limit=1")]).then(([cur, newest]) => {
    top = newest.messages.length ? Number(newest.messages[0].id) : 0;
    return page(SEARCH_BUDGET).then(() => cur);
  }).then((cur) => {
    if (stopped) return;
    if (back) readTo(back.rows).then(() => { if (!stopped) restore(back, (id) => tbody.querySelector('tr[data-id="' + CSS.escape(id) + '"]')); });
    // New messages, deletions and clears: what changes the list.
    stream = new Stream({ after: cur.next, kind: "sink.message,sink.deleted,sink.reset" }, (evs) => batch.push(evs), setStatus);
  }).catch(fail);
  return () => { stopped = true; batch.cancel(); if (stream) stream.close(); };
}
