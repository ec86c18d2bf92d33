// Calls to the REST API; errors carry the API's {error, detail}.

export class APIError extends Error {
  constructor(status, error, detail) {
    super(error + (detail ? ": " + detail : ""));
    this.status = status;
    this.error = error;
    this.detail = detail || "";
  }
}

export async function api(method, url, body) {
  const init = { method, credentials: "same-origin", headers: {} };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const resp = await fetch(url, init);
  if (resp.status === 204) return null;
  let data = null;
  try {
    data = await resp.json();
  } catch (e) {
    throw new APIError(resp.status, "the server answered " + resp.status + " without JSON", "");
  }
  if (!resp.ok) throw new APIError(resp.status, data.error || "HTTP " + resp.status, data.detail);
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
