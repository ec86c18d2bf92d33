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
