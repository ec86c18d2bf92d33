// Stream follows /api/v1/events/stream, resuming from the last id seen
// whenever the connection drops (the server drops slow clients, too).

export class Stream {
  constructor(params, onEvents, onStatus) {
    this.params = params; // {after, kind, message, recipient}
    this.last = params.after || 0;
    this.onEvents = onEvents;
    this.onStatus = onStatus || (() => {});
    this.closed = false;
    this.delay = 500;
    this.ws = null;
    this.timer = null;
    this.onStatus("connecting");
    this.connect();
  }

  connect() {
    if (this.closed) return;
    const q = new URLSearchParams();
    q.set("after", String(this.last));
    for (const k of ["kind", "message", "recipient"]) if (this.params[k]) q.set(k, this.params[k]);
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(proto + "//" + location.host + "/api/v1/events/stream?" + q.toString());
    this.ws = ws;
    ws.onopen = () => { this.delay = 500; this.onStatus("live"); };
    ws.onmessage = (m) => {
      let evs;
      try { evs = JSON.parse(m.data); } catch (e) { return; }
      const fresh = evs.filter((e) => e.id > this.last);
      if (fresh.length === 0) return;
      this.last = fresh[fresh.length - 1].id;
      this.onEvents(fresh);
    };
    ws.onclose = () => {
      if (this.ws !== ws || this.closed) return;
      this.onStatus("reconnecting");
      this.timer = setTimeout(() => this.connect(), this.delay);
      this.delay = Math.min(this.delay * 2, 10000);
    };
  }

  close() {
    this.closed = true;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close();
  }
}
