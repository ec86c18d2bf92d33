// How events read in the UI: a one-line summary from the payload.
import { h, path, iso, replyLines } from "./dom.js";

// RELOAD_FAILED is the event of a SIGHUP reload of the sink's rules that
// failed: {by, error}, the error naming the file, line and key; the sink
// keeps the rules it had.
export const RELOAD_FAILED = "sink.reload_failed";

export const OUTCOMES = ["relay.delivered", "relay.deferred", "relay.bounced", "relay.expired", "relay.suppressed"];

export function badgeClass(kind) {
  return "badge k-" + kind.replace(/[^a-z]/g, "-");
}

// atStage is when a reply came, in the UI's words: the reply to a
// message's end is the relay's stage "dot" and the sink's "data-end", one
// moment said one way; an asynchronous bounce came as a DSN after the
// server took the message, with no SMTP stage to be "at".
export function atStage(stage) {
  if (stage === "async") return "in a bounce after delivery";
  if (stage === "dot" || stage === "data-end") return "after the message's final dot";
  return "at " + stage;
}

export function replyText(r) {
  if (!r || typeof r !== "object") return "";
  const t = [r.code || "", r.enhanced || "", r.text || ""].filter(Boolean).join(" ");
  if (!t || typeof r.stage !== "string" || !r.stage) return t;
  return t + " (" + atStage(r.stage) + ")";
}

// sinkReplyLine is a reply line the sink's store wrote ("250 2.0.0 ok (at
// data-end)", "no reply (dropped or hung) at data-end") with its stage
// said in the UI's words (atStage); the line itself is unchanged.
export function sinkReplyLine(line) {
  const s = String(line || "");
  const m = /^(.*?)( \(at ([a-z-]+)\)| at ([a-z-]+))$/s.exec(s);
  if (!m) return s;
  const stage = m[3] || m[4];
  const said = atStage(stage);
  return m[3] ? m[1] + " (" + said + ")" : m[1] + " " + said;
}

// explain is what an outcome means and what to do about it, from the
// payload the relay wrote (or, for the sink's reply, the API's reading of
// it, as the Sink page shows it): {reason, advice, suppressed}, each ""
// when not said. Plain text, like summary.
export function explain(e) {
  const p = e.payload && typeof e.payload === "object" ? e.payload : {};
  const str = (v) => (typeof v === "string" ? v : "");
  return {
    // Without a reply the summary has shown the reason already.
    reason: p.reply || e.kind === "sink.reply" ? str(p.reason) : "",
    advice: e.kind === RELOAD_FAILED ? "fix the configuration file where the error says (file:line: key), then send SIGHUP again or restart; until then the sink runs the rules it had, and the Rules page says so" : str(p.advice),
    suppressed: str(p.suppression_reason),
  };
}

// link is where an event's message column goes: the relay's message page,
// or the sink's copy (the sink's events carry the Message-ID there, which
// is no relay message id). null when there is nowhere to go.
export function link(e) {
  const p = e.payload && typeof e.payload === "object" ? e.payload : {};
  if (e.kind.startsWith("sink.")) {
    if (e.kind === RELOAD_FAILED) return ["rules"];
    if (e.kind === "sink.message" && p.id) return ["sink", "messages", p.id];
    // A bounce the sink sent names the sink's copy of the message it
    // bounces.
    if (e.kind === "sink.bounce" && p.message) return ["sink", "messages", p.message];
    if (e.kind === "sink.session" && p.id) return ["sink", "sessions", p.id];
    if (p.session) return ["sink", "sessions", p.session];
    return null;
  }
  return e.message ? ["messages", e.message] : null;
}

// dsnFor is, for an event about a DSN the relay wrote (its queued,
// attempt, deferred, delivered, bounced, expired), the id of the message
// the DSN reports on; "" for any other event.
export function dsnFor(e) {
  const p = e.payload && typeof e.payload === "object" ? e.payload : {};
  return e.kind.startsWith("relay.") && typeof p.dsn_for === "string" ? p.dsn_for : "";
}

// sinkBounce says an event is the relay's queueing of a bounce that
// relaylab's own sink sent: relaylab serve hands the sink's late bounces
// to its relay in process, with the null sender and the client "sink".
export function sinkBounce(e) {
  const p = e.payload && typeof e.payload === "object" ? e.payload : {};
  return e.kind === "relay.queued" && p.client === "sink" && p.sender === "";
}

// bounceFor is, for the relay's queueing of a DSN another server (or
// relaylab's sink) wrote about a message of the relay's, that message's
// id; "" for any other event.
export function bounceFor(e) {
  const p = e.payload && typeof e.payload === "object" ? e.payload : {};
  return e.kind === "relay.queued" && typeof p.bounce_for === "string" ? p.bounce_for : "";
}

// dsnAbout says which message a DSN's event is about, with a link to it;
// null for any other event. The id goes in as text and as an escaped path.
export function dsnAbout(e) {
  const id = dsnFor(e);
  if (id) return h("div", { class: "small dsn-about" }, "DSN about ", h("a", { href: path("messages", id), class: "mono" }, id));
  const of = bounceFor(e);
  if (of) return h("div", { class: "small dsn-about" }, "Bounce of ", h("a", { href: path("messages", of), class: "mono" }, of), ", relayed on to its sender");
  return null;
}

// replyShown is replyText with the reply itself isolated (iso): a
// server's text keeps its own direction, apart from the stage after it.
export function replyShown(r) {
  const t = replyText(r);
  if (!t || typeof r.stage !== "string" || !r.stage) return t ? replyLines(t) : "";
  const said = " (" + atStage(r.stage) + ")";
  return [replyLines(t.slice(0, t.length - said.length)), said];
}

// summary is one line of text and bdi elements, for h() to put in: each
// value from a message or a peer (a reply, a host, an address, a HELO, a
// subject) isolated (iso), the words around them the UI's own.
export function summary(e) {
  const p = e.payload && typeof e.payload === "object" ? e.payload : {};
  const parts = [];
  if (p.reply && typeof p.reply === "object") parts.push(replyShown(p.reply));
  else if (p.code) parts.push(replyLines([p.code, p.enhanced || "", p.text || ""].filter(Boolean).join(" ")));
  if (p.category) parts.push("[" + p.category + "]");
  // A host only where an attempt reached it: the relay's deferral of a
  // recipient its shaping held names the path's host, though nothing went
  // there, and a reply the relay made up itself (local) came from none.
  // An attempt that got no reply says it tried the host.
  const rep = p.reply && typeof p.reply === "object" ? p.reply : {};
  if (p.host && rep.code > 0 && rep.stage !== "shaping" && !rep.local) parts.push(["via ", iso(p.host)]);
  else if (p.host && e.kind === "relay.attempt" && rep.stage === "dns") parts.push(["not reached: the DNS lookup for ", iso(p.host), " failed"]);
  else if (p.host && e.kind === "relay.attempt") parts.push(["tried ", iso(p.host), ", no SMTP reply"]);
  // A hold by hand: who held it and why; a release: by whom. The next
  // attempt a hold names is the one it put off, not one to come.
  const who = typeof p.by === "string" && p.by ? p.by : "an operator";
  if (e.kind === "relay.held") parts.push(["held by ", iso(who), typeof p.note === "string" && p.note ? [": ", iso(p.note)] : ""]);
  if (e.kind === "relay.released") parts.push(["released by ", iso(who)]);
  if (p.next_attempt && e.kind !== "relay.held") parts.push("next " + String(p.next_attempt).replace("T", " ").slice(0, 19));
  if (e.kind === "relay.dsn" || e.kind === "sink.bounce") parts.push(["DSN" + (typeof p.action === "string" && p.action ? " (" + p.action + ")" : "") + " sent to <", iso(p.to || ""), ">"]);
  if (e.kind === "relay.dsn_received") {
    // A DSN from the receiving side that reports no failure: what it
    // says, who sent it, and its plain reading (the recipient keeps its
    // state).
    parts.push([(typeof p.action === "string" ? p.action + " " : "") + "DSN from ", iso(p.reporting_mta || p.remote_mta || "the receiving side")]);
    if (p.reason) parts.push(iso(p.reason));
    if (p.advice) parts.push(["What to do: ", iso(p.advice)]);
  }
  if (e.kind === "sink.bounce") {
    // The sink's bounce: its reply is text, and where it went.
    if (typeof p.reply === "string" && p.reply) parts.push(["for ", replyLines(p.reply)]);
    if (p.skipped) parts.push(["not sent: ", iso(p.skipped)]);
    else if (p.error) parts.push(["not sent: ", iso(p.error)]);
    else if (p.relay) parts.push(["via ", iso(p.relay)]);
  }
  if (e.kind === RELOAD_FAILED) {
    // A SIGHUP whose configuration file does not load: nothing changed.
    parts.push("the " + (typeof p.by === "string" && p.by ? p.by : "SIGHUP") + " reload of the sink's rules was refused, and the old rules still run:",
      h("span", { class: "mono reload-error" }, iso(typeof p.error === "string" && p.error ? p.error : "(no error given)")));
  }
  if (p.status) parts.push(p.status);
  if (p.check) parts.push(p.check);
  if (p.reason && !p.reply && e.kind !== "sink.reply" && e.kind !== "relay.held" && e.kind !== "relay.released") parts.push(iso(p.reason));
  if (p.sender !== undefined && e.kind === "relay.queued") parts.push(["from <", iso(p.sender), ">"]);
  if (sinkBounce(e)) parts.push("(a late bounce from relaylab's sink, queued in process)");
  if (typeof p.from === "string" && e.kind === "sink.message") parts.push(["from <", iso(p.from), ">"]);
  if (typeof p.helo === "string" && e.kind === "sink.session") parts.push(["HELO ", iso(p.helo), p.codes ? " · " + p.codes : ""]);
  if (p.subject) parts.push(iso(p.subject));
  if (typeof p.stage === "string" && p.stage) parts.push(atStage(p.stage));
  if (e.kind === "sink.reply" && Number.isInteger(p.count) && p.count > 1) parts.push("× " + p.count + " (past the session's first 2,000 replies, counted together)");
  return parts.flatMap((x, i) => (i ? [" ", x] : [x]));
}
