// Charts in plain SVG: outcomes over time, the replies the relay got and
// the replies the sink gave (apart: delivering to our own sink, a refusal
// is both, a success only the first), bounce categories.
import { h, s, clear, shortTime } from "./dom.js";
import { notLive } from "./status.js";
import { get } from "./api.js";

// Each series: its field in the stats, its class, its name in the legend.
// Holds are a series of their own: the relay's shaping held the recipient
// back and sent nothing, which is no deferral by any server.
const SERIES = [["delivered", "c-delivered", "delivered"], ["deferred", "c-deferred", "deferred"], ["held", "c-held", "held by shaping"], ["bounced", "c-bounced", "bounced"]];

export function chartsView(main) {
  notLive("updates every 10 s");
  const sel = h("select", { "aria-label": "window" });
  for (const [v, label] of [["15m", "last 15 minutes"], ["1h", "last hour"], ["24h", "last day"], ["168h", "last week"]]) {
    const o = h("option", { value: v }, label);
    if (v === "1h") o.selected = true;
    sel.append(o);
  }
  const overTime = h("section", { class: "card chart", id: "chart-time" });
  const relayCodes = h("section", { class: "card chart", id: "chart-relay-codes" });
  const sinkCodes = h("section", { class: "card chart", id: "chart-sink-codes" });
  const cats = h("section", { class: "card chart", id: "chart-categories" });
  const reportLinks = h("p", { class: "muted" }, "Report of the whole log: ",
    [["html", "HTML"], ["json", "JSON"], ["csv", "CSV"], ["junit", "JUnit"], ["markdown", "Markdown"], ["text", "text"]].map(([f, label], i) =>
      [i ? " · " : "", h("a", { href: "/api/v1/reports?format=" + f }, label)]));
  main.append(h("h1", {}, "Charts"), h("div", { class: "filters" }, sel), h("div", { class: "charts" }, overTime, relayCodes, sinkCodes, cats), reportLinks);
  const load = () => get("/api/v1/stats?buckets=60&window=" + encodeURIComponent(sel.value)).then((st) => {
    const width = Math.max(300, overTime.clientWidth - 34);
    clear(overTime).append(h("h2", {}, "Deliveries, deferrals and bounces"),
      h("p", { class: "muted small", id: "chart-time-note" }, "Delivered and bounced: each recipient once, by its latest outcome (a delivery that the server bounced later, in a DSN, counts as bounced, when the bounce came). " +
        "Deferred: each deferral, where a server answered an attempt with a 4xx, or did not answer. " +
        "Held by shaping, drawn apart: the relay's own shaping held the recipient back and sent nothing (a destination resting after a 421, a sending window, a warm-up cap); no server replied, so these are not in \"Replies the relay got\"."),
      stacked(st, width), legend());
    clear(relayCodes).append(h("h2", {}, "Relay: replies the relay got"),
      h("p", { class: "muted small" }, "One per delivery attempt, per recipient and host tried; none: no reply (the connection failed or timed out)."),
      bars(st.relay_reply_codes, codeClass));
    clear(sinkCodes).append(h("h2", {}, "Sink: replies the sink gave"),
      h("p", { class: "muted small" }, "Each refusal, at any stage, and the reply that took each message (one per message, whatever its recipients)."),
      bars(st.sink_reply_codes, codeClass));
    clear(cats).append(h("h2", {}, "Bounce categories"), bars(st.bounce_categories, () => "c-bounced"));
  }).catch((e) => clear(overTime).append(h("p", { class: "error" }, e.message)));
  sel.addEventListener("change", load);
  load();
  const timer = setInterval(load, 10000);
  return () => clearInterval(timer);
}

// codeClass colours a reply code by its class (2xx, 4xx, 5xx); "none" is grey.
function codeClass(k) {
  return /^[2-5]/.test(k) ? "c-code" + k[0] : "c-none";
}

function legend() {
  return h("div", { class: "legend" }, SERIES.map(([, cls, label]) => h("span", {}, h("i", { class: "sw " + cls }), label)));
}

// stacked draws one stacked bar per bucket.
function stacked(st, W) {
  const n = st.delivered.length;
  const H = 200, L = 36, B = 20;
  let max = 1;
  // A server without "held" counts holds as deferrals: draw none.
  const at = (name, i) => (Array.isArray(st[name]) && st[name][i]) || 0;
  for (let i = 0; i < n; i++) max = Math.max(max, SERIES.reduce((sum, [name]) => sum + at(name, i), 0));
  const bw = (W - L) / n;
  const svg = s("svg", { viewBox: `0 0 ${W} ${H + B}`, width: W, height: H + B, class: "svg", role: "img", "aria-label": "outcomes over time" });
  svg.append(s("line", { x1: L, y1: H, x2: W, y2: H, class: "axis" }));
  svg.append(s("text", { x: L - 4, y: 10, class: "tick", "text-anchor": "end" }, String(max)));
  svg.append(s("text", { x: L - 4, y: H, class: "tick", "text-anchor": "end" }, "0"));
  const from = new Date(st.from).getTime();
  for (let i = 0; i < n; i++) {
    let y = H;
    for (const [name, cls, label] of SERIES) {
      const v = at(name, i);
      if (!v) continue;
      const bh = (v / max) * (H - 10);
      y -= bh;
      const r = s("rect", { x: L + i * bw + 0.5, y, width: Math.max(bw - 1, 0.5), height: bh, class: cls });
      r.append(s("title", {}, `${label}: ${v} at ${shortTime(from + i * st.bucket_seconds * 1000)}`));
      svg.append(r);
    }
  }
  for (const [i, anchor] of [[0, "start"], [Math.floor(n / 2), "middle"], [n, "end"]]) {
    svg.append(s("text", { x: L + i * bw, y: H + 14, class: "tick", "text-anchor": anchor }, shortTime(from + i * st.bucket_seconds * 1000)));
  }
  return svg;
}

// bars draws a horizontal bar per key, largest first.
function bars(counts, clsOf) {
  const entries = Object.entries(counts || {}).sort((a, b) => b[1] - a[1]).slice(0, 12);
  if (!entries.length) return h("p", { class: "muted" }, "Nothing in this window.");
  const W = 400, row = 22, L = 110;
  const max = Math.max(...entries.map((e) => e[1]));
  const svg = s("svg", { viewBox: `0 0 ${W} ${entries.length * row + 4}`, class: "svg", role: "img" });
  entries.forEach(([k, v], i) => {
    const y = i * row + 2;
    const w = Math.max(((W - L - 50) * v) / max, 1);
    svg.append(s("text", { x: L - 6, y: y + 15, class: "tick", "text-anchor": "end" }, k.length > 18 ? k.slice(0, 17) + "…" : k));
    svg.append(s("rect", { x: L, y: y + 3, width: w, height: row - 6, class: clsOf(k) }));
    svg.append(s("text", { x: L + w + 4, y: y + 15, class: "tick" }, String(v)));
  });
  return svg;
}
