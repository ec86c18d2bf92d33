// Calls to the REST API; errors carry the API's {error, detail}, and the
// answer's body (body) when it had one. What no view can do anything
// about is said the same way on every page (conn.js): no answer (serve
// is stopped or restarting: status 0) and a 401 (this browser is signed
// out), each with words for a person rather than the API's text for a
// script.
import { heard } from "./conn.js";

export class APIError extends Error {
  constructor(status, error, detail, body) {
    super(error + (detail ? ": " + detail : ""));
    this.status = status;
    this.error = error;
    this.detail = detail || "";
    this.body = body || null;
  }
}

// api sends a request; headers are extra header fields (If-Match).
export async function api(method, url, body, headers) {
  const init = { method, credentials: "same-origin", headers: { ...(headers || {}) } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let resp;
  try {
    resp = await fetch(url, init);
  } catch (e) {
    heard(0);
    throw new APIError(0, "relaylab serve is not answering",
      "it is stopped or restarting (or the way to it is down), so this request may not have reached it; the page asks again every few seconds and says when serve is back");
  }
  heard(resp.status);
  if (resp.status === 401) {
    throw new APIError(401, "you are signed out",
      "this browser's session with relaylab serve has ended (a restart of serve ends every sign-in), so nothing was done: sign in again with the link at the top of the page, which brings you back here");
  }
  if (resp.status === 204) return null;
  let data = null;
  try {
    data = await resp.json();
  } catch (e) {
    throw new APIError(resp.status, "the server answered " + resp.status + " without JSON", "");
  }
  if (!resp.ok) throw new APIError(resp.status, data.error || "HTTP " + resp.status, data.detail, data);
  return data;
}

export const get = (url) => api("GET", url);

// listening fills each of codes (code elements holding a swaks line for
// the default address) with the address this serve really takes mail at,
// from /api/v1/listeners: which is "sink" (its first listener by name) or
// "relay" (the submission). The default line stays when the API cannot
// say (an older serve, a component not running).
export function listening(which, codes) {
  get("/api/v1/listeners").then((l) => {
    let url = "";
    if (which === "relay") url = l.relay || "";
    else {
      const names = Object.keys(l.sink || {}).sort();
      if (names.length) url = l.sink[names[0]];
    }
    const m = /^(smtps?):\/\/(.+)$/.exec(url);
    if (!m) return;
    const server = "--server " + m[2] + (m[1] === "smtps" ? " --tls-on-connect" : "");
    for (const c of codes) c.textContent = c.textContent.replace(/--server \S+/, server);
  }).catch(() => {});
}
