// How events read in the UI: a one-line summary from the payload.

export const OUTCOMES = ["relay.delivered", "relay.deferred", "relay.bounced", "relay.expired", "relay.suppressed"];

export function badgeClass(kind) {
  return "badge k-" + kind.replace(/[^a-z]/g, "-");
}

export function replyText(r) {
  if (!r || typeof r !== "object") return "";
  return [r.code || "", r.enhanced || "", r.text || ""].filter(Boolean).join(" ");
}

// summary is plain text: the caller puts it in with textContent.
export function summary(e) {
  const p = e.payload && typeof e.payload === "object" ? e.payload : {};
  const parts = [];
  if (p.reply) parts.push(replyText(p.reply));
  else if (p.code) parts.push([p.code, p.enhanced || "", p.text || ""].filter(Boolean).join(" "));
  if (p.category) parts.push("[" + p.category + "]");
  if (p.host) parts.push("via " + p.host);
  if (p.next_attempt) parts.push("next " + String(p.next_attempt).replace("T", " ").slice(0, 19));
  if (p.status) parts.push(p.status);
  if (p.check) parts.push(p.check);
  if (p.reason && !p.reply) parts.push(p.reason);
  if (p.sender !== undefined && e.kind === "relay.queued") parts.push("from <" + p.sender + ">");
  if (typeof p.from === "string" && e.kind === "sink.message") parts.push("from <" + p.from + ">");
  if (typeof p.helo === "string" && e.kind === "sink.session") parts.push("HELO " + p.helo + (p.codes ? " · " + p.codes : ""));
  if (p.subject) parts.push(p.subject);
  if (p.stage) parts.push("at " + p.stage);
  return parts.join(" ");
}
