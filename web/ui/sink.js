// The sink: sessions with transcripts, and the rules editor.
import { h, path, fmtTime, shortTime, clear, iso, addr, marked, few, prose, replyLines } from "./dom.js";
import { get, api, listening } from "./api.js";
import { transcript } from "./message.js";
import { sinkReplyLine, RELOAD_FAILED } from "./events.js";
import { Stream } from "./stream.js";
import { setStatus, final, announce } from "./status.js";
import { frameBatcher } from "./batch.js";
import { askDialog, question } from "./dialog.js";

const MAX_SESSIONS = 500;

// why explains a refused reply ({category, reason, advice} from the API,
// the relay classifier's reading of it) as the feed explains a relay
// failure: the category, the reason, then "What to do: ...". Nothing for a
// reply the API does not explain (a 250, no reply).
function why(x) {
  if (!x || !x.category) return [];
  return [" ", h("span", { class: "badge category" }, x.category),
    x.reason ? h("div", { class: "muted reason" }, prose(x.reason)) : "",
    x.advice ? h("div", { class: "advice" }, "What to do: ", prose(x.advice)) : ""];
}

export function sinkView(main) {
  const tbody = h("tbody", { id: "session-rows" });
  const note = h("p", { class: "muted", id: "session-note" });
  const older = h("button", { type: "button", id: "sessions-older" }, "Older sessions");
  older.hidden = true;
  // Nothing recorded yet: what the list would show, and how to fill it.
  // The API does not say where the sink listens: the example names the
  // default listener, and where the real one is said.
  const sinkTry = h("code", { id: "sink-try" }, "swaks --server 127.0.0.1:2525 --to someone@example.test");
  const empty = h("p", { class: "muted", id: "sink-empty" }, "No session yet: each SMTP session a client opens with the sink shows here, newest first, ",
    "with its HELO, the messages it left and the sink's last reply, and its transcript on its page. To see one, send the sink a message: ",
    sinkTry, " (or ", h("code", {}, "relaylab send"), " with the same flags). ",
    // Which address the line names: the default until /api/v1/listeners
    // says this serve's (listening rewrites the line), then this serve's.
    h("span", { id: "sink-try-default" }, "127.0.0.1:2525 is the default: relaylab serve and relaylab sink print the sink's addresses as they start (",
      h("code", {}, "sink mx smtp://..."), "), which ", h("code", {}, "sink.listeners"), " in the configuration file sets."),
    h("span", { id: "sink-try-own" }, "The line names the address of this sink's first listener by name (", h("code", {}, "sink.listeners"),
      "); relaylab serve and relaylab sink print each listener's as they start (", h("code", {}, "sink mx smtp://..."), ")."));
  empty.hidden = true;
  const [tryDefault, tryOwn] = [empty.querySelector("#sink-try-default"), empty.querySelector("#sink-try-own")];
  tryOwn.hidden = true;
  new MutationObserver(() => { tryDefault.hidden = true; tryOwn.hidden = false; }).observe(sinkTry, { childList: true, characterData: true, subtree: true });
  listening("sink", [sinkTry]);
  main.append(h("h1", {}, "Sink sessions"),
    h("p", { class: "muted", id: "sink-inbox" }, "Each SMTP session the sink served. The messages they left, with sender, recipients and subject, and a search: ",
      h("a", { href: "#/inbox" }, "Inbox"), "."), note,
    h("div", { class: "scroll" }, h("table", { class: "cards", id: "session-table" },
      h("thead", {}, h("tr", {}, h("th", {}, "start"), h("th", {}, "listener"), h("th", {}, "client"), h("th", {}, "HELO"), h("th", {}, "TLS"),
        h("th", {}, "MAIL FROM"), h("th", {}, "RCPT TO"), h("th", {}, "messages"), h("th", {}, "last reply"))),
      tbody)), empty, h("div", { class: "bar" }, older));
  const shown = new Set();
  // Sessions listed before they ended (a message of theirs was stored):
  // their row is replaced when their sink.session event comes.
  const open = new Set();
  // total is the sessions the sink recorded, from the API (null from a
  // sink that does not count them): the note says how many are not shown.
  let total = null;
  const count = () => {
    note.className = "muted";
    const n = tbody.children.length;
    empty.hidden = n > 0 || !older.hidden;
    if (!empty.hidden) { note.textContent = ""; return; }
    note.textContent = total !== null && total > n
      ? n + " shown of " + total + " sessions recorded, newest first" + (older.hidden ? "" : ": Older sessions shows more")
      : n + " session(s)" + (older.hidden ? "" : ", the newest: Older sessions shows more");
  };
  const PAGE = 200;
  // olderPage reads the page before the oldest session shown.
  let loadingOlder = false;
  function olderPage() {
    const last = tbody.lastChild;
    if (loadingOlder || !last) return;
    loadingOlder = true;
    get("/api/v1/sink/sessions?limit=" + PAGE + "&before=" + encodeURIComponent(last.dataset.id)).then((d) => {
      for (const ss of d.sessions) if (!shown.has(ss.id)) tbody.append(row(ss));
      if (typeof d.total === "number") total = d.total;
      older.hidden = !d.next;
      count();
    }).catch((e) => { note.textContent = e.message; note.className = "error"; }).finally(() => { loadingOlder = false; });
  }
  older.addEventListener("click", olderPage);
  function row(ss) {
    shown.add(ss.id);
    if (ss.end) open.delete(ss.id); else open.add(ss.id);
    return h("tr", { "data-id": ss.id, class: ss.end ? "" : "open" },
      h("td", { class: "nowrap" }, h("a", { href: path("sink", "sessions", ss.id) }, fmtTime(ss.start))),
      h("td", { "data-label": "listener" }, ss.listener),
      h("td", { class: "mono nowrap", "data-label": "client" }, ss.client),
      h("td", { class: "mono helo", "data-label": "HELO" }, marked(ss.helo || "")),
      h("td", { class: "nowrap", "data-label": "TLS" }, ss.tls ? "yes" : "no"),
      ...envelopeCells(ss.envelope),
      h("td", { "data-label": "messages" }, few((ss.messages || []).map((m) => h("div", {}, h("a", { href: path("sink", "messages", m), class: "mono" }, m))), "messages"),
        // The list carries the first 100 of a session's messages.
        ss.messages_total > (ss.messages || []).length ? h("div", { class: "muted" }, h("a", { href: path("sink", "sessions", ss.id) }, "all " + ss.messages_total + " on the session's page")) : ""),
      h("td", { class: "wide", "data-label": "last reply" }, replyLines(sinkReplyLine(ss.last_reply)), ...why(ss)));
  }
  // place puts a new session's row among the others, newest (highest id)
  // first: a long session ends after shorter ones that began later.
  function place(tr) {
    const id = Number(tr.dataset.id);
    for (const other of tbody.children) {
      if (!(Number(other.dataset.id) > id)) { tbody.insertBefore(tr, other); return; }
    }
    tbody.append(tr);
  }

  // Live: a sink.session event says a session ended (and was recorded).
  // The ids of a batch of them are read in one request, one at a time: a
  // burst of sessions costs a request per round trip, not one per session.
  const wanted = new Set();
  let busy = false;
  function fetchNew() {
    if (busy || !wanted.size) return;
    busy = true;
    const ids = [...wanted].map(Number).filter((n) => Number.isInteger(n));
    wanted.clear();
    const hi = Math.max(...ids), lo = Math.min(...ids);
    const want = new Set(ids.map(String));
    get("/api/v1/sink/sessions?before=" + (hi + 1) + "&limit=" + Math.min(MAX_SESSIONS, hi - lo + 1)).then((d) => {
      for (const ss of d.sessions) {
        if (!want.has(ss.id)) continue;
        if (!shown.has(ss.id)) { place(row(ss)); continue; }
        const old = [...tbody.children].find((tr) => tr.dataset.id === ss.id);
        if (old) old.replaceWith(row(ss));
      }
      if (typeof d.total === "number") total = d.total;
      while (tbody.children.length > MAX_SESSIONS) { shown.delete(tbody.lastChild.dataset.id); tbody.removeChild(tbody.lastChild); older.hidden = false; }
      count();
    }).catch((e) => { note.textContent = e.message; note.className = "error"; })
      .finally(() => { busy = false; if (!stopped) fetchNew(); });
  }
  const batch = frameBatcher((evs) => {
    for (const e of evs) {
      const id = e.payload && e.payload.id;
      if (id !== undefined && (!shown.has(String(id)) || open.has(String(id)))) wanted.add(String(id));
    }
    fetchNew();
  }, MAX_SESSIONS);
  let stream = null;
  let stopped = false;
  // The stream starts where the log stood before the list was read.
  get("/api/v1/events?tail=1&limit=1").then((cur) => get("/api/v1/sink/sessions?limit=" + PAGE).then((d) => {
    for (const ss of d.sessions) tbody.append(row(ss));
    if (typeof d.total === "number") total = d.total;
    older.hidden = !d.next;
    count();
    if (!stopped) stream = new Stream({ after: cur.next, kind: "sink.session" }, (evs) => batch.push(evs), setStatus);
  })).catch((e) => { note.textContent = e.message; note.className = "error"; });
  return () => { stopped = true; batch.cancel(); if (stream) stream.close(); };
}

// envelopeCells are a listed session's MAIL FROM and RCPT TO cells: its
// sender (<> the null sender) and its first recipient with how many more
// it gave, accepted or refused, so that a refused session says whose it
// was before it is opened. A session that gave no MAIL FROM (refused
// before it) has empty cells, without the label a phone's card shows.
function envelopeCells(e) {
  if (!e || typeof e !== "object") return [h("td", {}), h("td", {})];
  const n = Number(e.recipients) || 0;
  const more = n > 1 ? h("span", { class: "muted small" }, " +" + (n - 1) + (e.recipients_more ? " and more" : " more")) : "";
  return [h("td", { class: "mono", "data-label": "MAIL FROM" }, e.sender ? addr(e.sender) : "<>"),
    e.recipient ? h("td", { class: "mono", "data-label": "RCPT TO" }, addr(e.recipient), more) : h("td", {})];
}

export function sessionView(main, id) {
  // PAGE is the attempts, and the messages, a "More" button reads: as
  // many as the API's first page (web.DefaultSessionPage).
  const PAGE = 500;
  const card = h("section", { class: "card" }, h("p", { class: "muted" }, "Loading…"));
  main.append(h("h1", {}, "Session ", h("span", { class: "mono" }, id)), card);
  let stream = null;
  let stopped = false;
  // An ended session does not change. One still open is shown again when
  // its sink.session event says it ended; the stream starts where the log
  // stood before the session was read, so that the end is not missed.
  const show = () => get("/api/v1/events?tail=1&limit=1").then((cur) => get("/api/v1/sink/sessions/" + encodeURIComponent(id)).then((ss) => {
    if (stopped) return;
    render(ss);
    if (ss.end) {
      if (stream) { stream.close(); stream = null; }
      final("this session has ended");
    } else if (!stream) {
      stream = new Stream({ after: cur.next, kind: "sink.session" }, (evs) => {
        if (evs.some((e) => e.payload && String(e.payload.id) === id)) show();
      }, setStatus);
    }
  })).catch((e) => clear(card).append(h("p", { class: "error" }, e.message)));
  function render(ss) {
    // An explanation many attempts share (1,800 deferrals of one greylisting
    // rule) is said once above the list, as the Queue page does; each of
    // those attempts says "explained above".
    const explained = h("section", { id: "session-explained", class: "explained" });
    explained.hidden = true;
    const whys = [];
    const attempts = paged(ss, "attempts", h("ul", {}), (at) => {
      const slot = h("span", { class: "why" });
      whys.push({ slot, at, mode: "" });
      return h("li", {}, h("span", { class: "mono" }, addr(at.recipient)), ": ", h("span", { class: "mono" }, replyLines(sinkReplyLine(at.reply))),
        at.by ? h("span", { class: "muted by" }, " (chosen by ", h("span", { class: "mono" }, iso(at.by)), ")") : "", slot);
    }, () => explainShared(explained, whys));
    const messages = paged(ss, "messages", h("span", {}), (m) => h("a", { href: path("sink", "messages", m), class: "mono" }, m + " "));
    clear(card).append(
      h("dl", { class: "kv" },
        h("dt", {}, "Listener"), h("dd", {}, ss.listener),
        h("dt", {}, "Client"), h("dd", { class: "mono" }, ss.client),
        h("dt", {}, "HELO"), h("dd", { class: "mono", id: "session-helo" }, ss.helo ? marked(ss.helo) : refusedGreetings(ss.transcript || [])),
        h("dt", {}, "TLS"), h("dd", {}, ss.tls ? "yes" : "no"),
        h("dt", {}, "AUTH"), h("dd", {}, ss.auth ? iso(ss.auth) : "none"),
        h("dt", {}, "Start"), h("dd", {}, fmtTime(ss.start)),
        h("dt", {}, "End"), h("dd", { id: "session-end" }, ss.end ? fmtTime(ss.end) : "not ended: still open, or the sink stopped before it ended"),
        h("dt", {}, "Last reply"), h("dd", { id: "session-last" }, ss.last_reply ? [h("span", { class: "mono" }, replyLines(sinkReplyLine(ss.last_reply))), ...why(ss)] : "none")),
      attempts.list.children.length ? h("section", { id: "session-attempts" }, h("h2", {}, "Attempts"),
        attempts.note, explained, attempts.list, h("div", { class: "bar" }, attempts.more)) : "",
      messages.list.children.length ? h("section", { id: "session-messages" }, h("p", {}, "Messages: ", messages.list, messages.note, " ", messages.more)) : "",
      h("h2", {}, "Transcript"),
      transcript(ss.transcript || []));
  }
  // paged is the list of a session's attempts or messages (key), which
  // the API gives a page at a time (the first 500; a client looping
  // RCPT can leave tens of thousands): {list} with the items of the
  // first page, each made by item, {note}, "N of M attempts shown" while
  // some are not, and {more}, a button that appends the next page, as
  // Older sessions does on the list of sessions.
  function paged(ss, key, list, item, added) {
    const note = h("span", { class: "muted", id: "session-" + key + "-note" });
    const more = h("button", { type: "button", id: "session-" + key + "-more" }, "More " + key);
    let next = ss[key + "_next"] || "";
    let total = ss[key + "_total"];
    let shown = 0;
    // add appends items and returns the first new element, or null.
    const add = (items) => {
      let first = null;
      for (const x of items || []) { const el = item(x); list.append(el); first = first || el; shown++; }
      if (added) added();
      return first;
    };
    const count = () => {
      more.hidden = !next;
      note.className = "muted";
      note.textContent = typeof total === "number" && total > shown
        ? shown + " of " + total + " " + key + " shown, oldest first" + (next ? ": More " + key + " shows the next " + Math.min(total - shown, PAGE) : "")
        : "";
      note.hidden = !note.textContent;
    };
    // The button stays enabled while it loads (a disabled one loses the
    // keyboard's focus, to <body>); the focus then goes to the first item
    // it showed, where reading goes on.
    let loading = false;
    more.addEventListener("click", () => {
      if (loading || !next) return;
      loading = true;
      more.setAttribute("aria-busy", "true");
      get("/api/v1/sink/sessions/" + encodeURIComponent(id) + "?limit=" + PAGE + "&" + key + "_after=" + encodeURIComponent(next)).then((d) => {
        const first = add(d[key]);
        next = d[key + "_next"] || "";
        if (typeof d[key + "_total"] === "number") total = d[key + "_total"];
        count();
        if (first) {
          if (first.tabIndex < 0) first.tabIndex = -1;
          first.focus();
        }
      }).catch((e) => { note.textContent = e.message; note.className = "error"; note.hidden = false; })
        .finally(() => { loading = false; more.removeAttribute("aria-busy"); });
    });
    add(ss[key]);
    count();
    return { list, note, more };
  }
  show();
  return () => { stopped = true; if (stream) stream.close(); };
}

// REPEAT is how many attempts must share an explanation (a category's
// reason and advice) for it to be said once above the list.
const REPEAT = 3;

// explainShared says once, in el, each explanation that REPEAT or more of
// whys' attempts share, with how many do, and leaves those attempts a
// short "explained above"; every other attempt explains itself (why).
// whys is [{slot, at, mode}], slot being where the attempt's explanation
// goes; a slot is redrawn only when its mode changes.
function explainShared(el, whys) {
  const key = (at) => (at.category && (at.reason || at.advice) ? JSON.stringify([at.category, at.reason || "", at.advice || ""]) : "");
  const n = new Map();
  for (const w of whys) {
    const k = key(w.at);
    if (k) n.set(k, (n.get(k) || 0) + 1);
  }
  for (const [k, c] of n) if (c < REPEAT) n.delete(k);
  for (const w of whys) {
    const mode = n.has(key(w.at)) ? "ref" : "full";
    if (mode === w.mode) continue;
    w.mode = mode;
    clear(w.slot).append(...(mode === "full" ? why(w.at) :
      [" ", h("span", { class: "badge category" }, w.at.category), " ", h("span", { class: "muted small explained-ref" }, "explained above")]));
  }
  clear(el);
  el.hidden = n.size === 0;
  if (el.hidden) return;
  el.append(h("p", { class: "small" }, "Said once here for the attempts that share it; each of those says \"explained above\":"),
    h("div", { class: "explained-list" }, [...n].map(([k, c]) => {
      const [category, reason, advice] = JSON.parse(k);
      return h("div", { class: "explained-category" }, h("span", { class: "badge category" }, category), h("span", { class: "muted small" }, " (" + c + " attempts)"),
        reason && h("div", { class: "muted reason" }, prose(reason)),
        advice && h("div", { class: "advice" }, "What to do: ", prose(advice)));
    })));
}

// refusedGreetings is what a session's HELO shows when the sink accepted
// no EHLO or HELO (the API's helo is the name of the last one accepted):
// each name the client gave and the reply that refused it, from the
// transcript, as in "evil<script>.test (refused: 501 5.5.2 ...)"; else
// that none was accepted.
function refusedGreetings(lines) {
  const refused = greetings(lines).filter((g) => !/^2/.test(g.reply));
  if (!refused.length) return h("span", { class: "muted" }, "none accepted (see the transcript)");
  const one = (g) => [g.name ? marked(g.name) : h("span", { class: "muted" }, "(no name)"), " ",
    h("span", { class: "error" }, g.reply ? ["(refused: ", iso(g.reply), ")"] : "(no reply: the session ended first)")];
  return refused.length === 1 ? one(refused[0]) : refused.map((g) => h("div", {}, one(g)));
}

// greetings are the EHLO and HELO commands of a transcript, each with the
// name the client gave and the last line of the reply to it: [{name,
// reply}]. Replies come in the order of the commands (RFC 5321 4.1;
// RFC 2920 for a pipelined group), so each final reply line ("501 ...",
// not a "250-" continuation) answers the oldest command without one; the
// first is the greeting, which answers none. The sink's notes of a
// message's or a chunk's bytes are no commands.
function greetings(lines) {
  const out = [], waiting = [];
  let greeted = false;
  for (const l of lines) {
    if (!l || typeof l !== "object") continue;
    const text = String(l.text || "");
    if (l.dir === "c") {
      if (/^\[\d+ bytes of (?:message|a BDAT chunk)\]$/.test(text)) continue;
      const m = /^(?:EHLO|HELO)(?:[ \t]+(.*))?$/i.exec(text);
      const cmd = m ? { name: (m[1] || "").trim(), reply: "" } : {};
      if (m) out.push(cmd);
      waiting.push(cmd);
    } else if (l.dir === "s" && /^\d{3}(?: |$)/.test(text)) {
      if (!greeted) { greeted = true; continue; }
      const cmd = waiting.shift();
      if (cmd && "reply" in cmd) cmd.reply = text;
    }
  }
  return out;
}

// selectLine selects line n (from 1) of a textarea and scrolls to it; false
// when the text has no such line.
function selectLine(area, n) {
  const lines = area.value.split("\n");
  if (n < 1 || n > lines.length) return false;
  const start = lines.slice(0, n - 1).reduce((sum, l) => sum + l.length + 1, 0);
  area.focus();
  area.setSelectionRange(start, start + lines[n - 1].length);
  const lh = parseFloat(getComputedStyle(area).lineHeight) || 18;
  area.scrollTop = Math.max(0, (n - 3) * lh);
  return true;
}

// ruleKey says which rule an error's key names. The editor's errors name
// the place in its own text ("rules:2:28") and the rule from its own
// list ("rules[1].dmarc"), where the configuration file's name the file's
// line and "sink.rules[1].dmarc": the index counts from 0, so rules[1] is
// the second rule here. "" when the error names no rule.
function ruleKey(detail) {
  const m = /^(?:rules:\d+:\d+: )?rules\[(\d+)\]/.exec(detail || "");
  if (!m) return "";
  const n = Number(m[1]);
  return "rules[" + n + "] is the editor's rule number " + (n + 1) + " (an index counts from 0); in the configuration file, the rule in that place is sink.rules[" + n + "].";
}

export function rulesView(main) {
  const area = h("textarea", { rows: 24, spellcheck: "false", "aria-label": "sink rules (YAML)", id: "rules-text" });
  const save = h("button", { type: "button" }, "Save rules");
  const reload = h("button", { type: "button" }, "Reload");
  const out = h("div", { id: "rules-result", role: "status" });
  // The rules that run but never apply (the answer's warnings), under
  // the editor after a load or a save: a notice, not a refusal. A live
  // region (role status: aria-live polite), as the result's, that stays
  // in the page so that what comes into it is read out.
  const warned = h("div", { id: "rules-warnings", role: "status" });
  // The rules were replaced by someone else while this page had them,
  // and edited here: what happened, and the two ways on.
  const changedText = h("span", { id: "rules-changed-text" });
  const loadTheirs = h("button", { type: "button", id: "rules-load-current" }, "Load the current rules (drops your edits)");
  const saveOver = h("button", { type: "button", id: "rules-save-over" }, "Save mine over them");
  const changed = h("div", { id: "rules-changed", class: "note bad" }, changedText, " ", h("div", { class: "choices" }, loadTheirs, " ", saveOver));
  changed.hidden = true;
  // The last SIGHUP reload that failed, while no change of the rules has
  // come since: the sink runs the rules it had.
  const refused = h("div", { id: "rules-reload-failed", class: "note bad" });
  refused.hidden = true;
  main.append(h("h1", {}, "Sink rules"),
    h("p", { class: "muted", id: "rules-scope" }, "The YAML the sink reads. Saving replaces the rules of the running sink; a rule that does not validate is refused and nothing changes. " +
      "Saving does not write the configuration file: the next SIGHUP or restart replaces these rules with the file's sink.rules again, so copy what you keep into the file."),
    h("p", { class: "muted", id: "rules-form" }, "Write the list itself, one rule per item, as under sink.rules in the configuration file but without that line; for example ",
      h("code", {}, "- {name: flaky, stage: rcpt, probability: 0.2, reply: \"451 4.4.2 try again\"}"), ". [] (or nothing, or only comments) is no rules; a second YAML document (after ---) is refused."),
    refused, changed, area, h("div", { class: "bar" }, save, " ", reload), out, warned);
  // Reload over edits asks first, in the page's dialog.
  const ask = askDialog();
  main.append(ask.el);
  // loaded is the text as read (or saved), so that a change by someone
  // else (a SIGHUP, another editor) replaces it only when it has not been
  // edited here; otherwise the page says so and leaves the edit alone.
  // version is the version of the rules that text came from: a save
  // replaces the rules only while they are still those (If-Match), so
  // that of two editors the second does not silently undo the first's.
  let loaded = "";
  let version = "";
  // theirs is the rules that replaced those, {yaml, version}, when known.
  let theirs = null;
  // warn shows the warnings of the text in the editor (none: clears
  // them); saved says they come with a save that worked.
  const warn = (list, saved) => {
    clear(warned);
    if (!Array.isArray(list) || !list.length) return;
    const n = list.length === 1 ? "A rule" : list.length + " rules";
    const items = list.map((w) => {
      const li = h("li", {}, h("pre", {}, String(w)));
      // "rules:5:3: ..." is at line 5 of the editor's text.
      const at = /^rules:(\d+):\d+:/.exec(String(w));
      if (at) {
        const go = h("button", { type: "button", class: "linkish" }, "Select line " + at[1]);
        go.addEventListener("click", () => selectLine(area, Number(at[1])));
        li.append(go);
      }
      return li;
    });
    warned.append(h("div", { class: "note warn" },
      h("strong", {}, n + (list.length === 1 ? " never applies" : " never apply") + (saved ? " (saved all the same)" : "") + ":"),
      " an earlier rule answers everything " + (list.length === 1 ? "it matches" : "they match") +
      ", and the first rule that matches decides, so a test that relies on " + (list.length === 1 ? "it" : "them") + " would pass unseen. " +
      "The sink runs the rules as written; move the more specific rule first, or narrow the earlier one.",
      h("ul", {}, ...items)));
  };
  const show = (r) => {
    area.value = r.yaml; loaded = r.yaml; version = r.version || ""; theirs = null;
    changed.hidden = true;
    warn(r.warnings, false);
  };
  const load = () => get("/api/v1/sink/rules").then((r) => { show(r); out.textContent = ""; })
    .catch((e) => { out.className = "error"; out.textContent = e.message; });
  // replaced says that the rules are not the ones the editor's text came
  // from any more: the text stays, and the page says how to go on.
  const replaced = (cur, how) => {
    theirs = cur;
    changed.hidden = false;
    changedText.textContent = how + " since this page read them: the sink now runs other rules than the ones your text started from. " +
      "Your text stays here. Load the current rules to start again from them (your edits are dropped: copy what you keep first), " +
      "or save yours over them, which undoes that change.";
    announce(how + " since this page read them; your text stays in the editor.");
  };
  // saving is the save on its way, if any: an event that comes meanwhile
  // is judged once its answer is in, as it may be the save's own; ours
  // counts the saves of this page whose event is still to come.
  let saving = null;
  let ours = 0;
  const put = (ifMatch) => {
    const text = area.value;
    const headers = ifMatch ? { "If-Match": "\"" + ifMatch + "\"" } : {};
    const p = api("PUT", "/api/v1/sink/rules", { yaml: text }, headers).then((r) => {
      loaded = text; version = r.version || ""; theirs = null; ours++;
      changed.hidden = true;
      out.className = "ok"; out.textContent = "Saved: the running sink now uses these rules (the configuration file is unchanged).";
      // At their lines in the text sent, which the editor keeps.
      warn(r.warnings, true);
    }).catch((e) => {
      out.className = "error";
      // Those of the text before: its lines may not be this text's.
      warn(null, false);
      if ((e.status === 412 || e.status === 409) && e.body && typeof e.body.yaml === "string") {
        // Replaced since this page read them: nothing saved, the text
        // stays, and the banner offers the rules that run now.
        replaced({ yaml: e.body.yaml, version: e.body.version || "" }, "The rules were replaced (by a SIGHUP, another editor or a script)");
        clear(out).append(h("strong", {}, "Not saved: the rules were replaced since this page read them, and the sink keeps those."),
          " Your text is still in the editor: see above.");
        return;
      }
      // A 400 is the sink's refusal of the text: nothing changed. The
      // detail is the API's, word for word, to copy.
      clear(out).append(h("strong", {}, e.status === 400 ? "Not saved: the sink refused these rules and keeps the ones it had." : e.error), h("pre", {}, e.detail));
      // An error at a place in the text ("rules:3:7: ...") selects that
      // line, so that the caret is where the mistake is.
      const at = /^rules:(\d+):\d+:/.exec(e.detail || "");
      if (at && selectLine(area, Number(at[1]))) out.append(h("p", { id: "rules-at" }, "Line " + at[1] + " is selected in the editor."));
      const key = ruleKey(e.detail);
      if (key) out.append(h("p", { id: "rules-key", class: "muted" }, key));
    });
    const done = p.finally(() => { if (saving === done) saving = null; });
    saving = done;
    return p;
  };
  save.addEventListener("click", () => put(version));
  saveOver.addEventListener("click", () => put(theirs ? theirs.version : ""));
  loadTheirs.addEventListener("click", () => { if (theirs) { show(theirs); out.textContent = ""; } else load(); });
  // Reload reads the running rules into the editor: with edits not
  // saved, only once asked, since it drops them; declined, the edits stay
  // and the page says so.
  reload.addEventListener("click", () => {
    if (area.value === loaded) { load(); return; }
    ask.confirm(question(RELOAD_QUESTION, { yes: "Reload, dropping my edits", danger: true })).then((yes) => {
      if (stopped) return;
      if (yes) { load(); return; }
      out.className = "muted";
      out.textContent = "Not reloaded: your edits stay in the editor, not saved.";
    });
  });
  // A change of the rules (sink.rules) is this page's own only when this
  // page's save made one that has not come yet, the event says it came by
  // SetRules (the API), and the rules it left are those the save
  // installed: whoever else saves, even in a moment, is told apart by the
  // version. Anyone else's change replaces the text when it was not
  // edited here, and is said above it when it was. One event after the
  // other, each once the save on its way (if any) has its answer: the
  // event can come before it.
  let judged = Promise.resolve();
  const judge = (by) => (saving || Promise.resolve()).then(() => get("/api/v1/sink/rules")).then((r) => {
    if (stopped) return;
    if (ours > 0 && by === "SetRules" && r.version === version) { ours--; return; }
    // Rules other than this page's run now: no event to come can be told
    // for its save's any more.
    if (r.version !== version) ours = 0;
    if (area.value === loaded) {
      show(r);
      out.className = "muted";
      out.textContent = (by === "Reload" ? "A SIGHUP reloaded the rules from the configuration file" : "The rules were replaced elsewhere (another editor or a script)") +
        " at " + shortTime(Date.now()) + ": the editor shows the rules that run now.";
      return;
    }
    replaced(r, by === "Reload" ? "A SIGHUP reloaded the rules from the configuration file" : "The rules were replaced elsewhere (another editor or a script)");
  }).catch(() => {});
  const showRefused = (e) => {
    const p = e && e.payload && typeof e.payload === "object" ? e.payload : null;
    refused.hidden = !p;
    if (!p) return;
    clear(refused).append(h("strong", {}, "The last reload of the rules (" + (p.by || "SIGHUP") + ", at " + fmtTime(e.time) + ") was refused: the sink still runs the rules it had."),
      " The configuration file's error:", h("pre", { class: "mono" }, String(p.error || "(no error given)")),
      "Fix the file where the error says, then send SIGHUP again (or restart); until then, these are the rules that run.");
  };
  let stream = null;
  let stopped = false;
  get("/api/v1/events?tail=1&limit=1").then((cur) => lastRulesEvent(cur.next).then((last) => {
    if (stopped) return;
    showRefused(last && last.kind === RELOAD_FAILED ? last : null);
    stream = new Stream({ after: cur.next, kind: "sink.rules," + RELOAD_FAILED }, (evs) => {
      for (const e of evs) {
        if (e.kind === RELOAD_FAILED) { showRefused(e); announce("A reload of the rules was refused: the sink still runs the rules it had."); continue; }
        showRefused(null);
        const by = e.payload && e.payload.by;
        judged = judged.then(() => judge(by));
      }
    }, setStatus);
  })).catch((e) => { out.className = "error"; out.textContent = e.message; });
  load();
  return () => { stopped = true; if (stream) stream.close(); };
}

// RELOAD_QUESTION is what Reload asks when the editor holds edits.
const RELOAD_QUESTION = "Reload the rules the sink runs now?\n\n" +
  "Your edits in the editor are not saved, and reloading drops them. Cancel keeps them (Save rules sends them to the sink).";

// lastRulesEvent is the last change of the rules or failed reload up to
// event id upTo (null when there is none): the log's events of those two
// kinds, read a page at a time, are few.
async function lastRulesEvent(upTo) {
  let after = 0, last = null;
  for (;;) {
    const page = await get("/api/v1/events?kind=sink.rules," + RELOAD_FAILED + "&after=" + after + "&limit=1000");
    for (const e of page.events) if (e.id <= upTo) last = e;
    if (page.events.length < 1000 || !page.next || page.next >= upTo) return last;
    after = page.next;
  }
}
