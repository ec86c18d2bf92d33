// Stream follows /api/v1/events/stream, resuming from the last id seen
// whenever the connection drops (the server drops slow clients, too). A
// connection that fails before it opens does not say why (a websocket
// upgrade refused with 401 is a failure like any other): the stream asks
// the API (conn.js check) whether serve answers and whether this browser
// is still signed in, says which in the pill, and, signed out, stops
// trying until the page hears that it is signed in again.
import { check, onLink, heard, DOWN_WHY, OUT_WHY } from "./conn.js";

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
    this.out = false; // signed out: waiting for a sign-in
    // Serve answers again, or this browser is signed in again: at once,
    // not after the wait that grew while it was away.
    this.unwatch = onLink((state) => {
      if (this.closed || state !== "up") return;
      if (this.out || this.timer) {
        this.out = false;
        clearTimeout(this.timer);
        this.timer = null;
        this.delay = 500;
        this.onStatus("reconnecting");
        this.connect();
      }
    });
    this.onStatus("connecting");
    this.connect();
  }

  connect() {
    if (this.closed) return;
    this.timer = null;
    const q = new URLSearchParams();
    q.set("after", String(this.last));
    for (const k of ["kind", "message", "recipient"]) if (this.params[k]) q.set(k, this.params[k]);
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(proto + "//" + location.host + "/api/v1/events/stream?" + q.toString());
    this.ws = ws;
    let opened = false;
    ws.onopen = () => { opened = true; this.delay = 500; heard(101); this.onStatus("live"); };
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
      if (opened) {
        // A connection that was up dropped: straight back.
        this.onStatus("reconnecting");
        this.later();
        return;
      }
      check().then((state) => {
        if (this.ws !== ws || this.closed || this.timer) return;
        if (state === "out") {
          this.out = true;
          this.onStatus("signed out", OUT_WHY);
          return;
        }
        this.onStatus("reconnecting", state === "down" ? DOWN_WHY + "; the stream reconnects then, and nothing committed meanwhile is lost" : undefined);
        this.later();
      });
    };
  }

  later() {
    this.timer = setTimeout(() => this.connect(), this.delay);
    this.delay = Math.min(this.delay * 2, 10000);
  }

  close() {
    this.closed = true;
    this.unwatch();
    clearTimeout(this.timer);
    if (this.ws) this.ws.close();
  }
}
