// Charts in plain SVG: outcomes over time, the replies the relay got and
// the replies the sink gave (apart: delivering to our own sink, a refusal
// is both, a success only the first), bounce categories. Each chart is an
// image with a name of its own for a screen reader, and its figures are
// under it as a table ("as a table"), for a screen reader and for anyone
// who wants the numbers.
import { h, s, clear, shortTime } from "./dom.js";
import { notLive } from "./status.js";
import { get } from "./api.js";

// Each series: its field in the stats, its class, its name in the legend.
// Holds are a series of their own: the relay's shaping held the recipient
// back and sent nothing, which is no deferral by any server.
const SERIES = [["delivered", "c-delivered", "delivered"], ["deferred", "c-deferred", "deferred"], ["held", "c-held", "held by shaping"], ["bounced", "c-bounced", "bounced"], ["expired", "c-expired", "expired"]];

const WINDOWS = [["15m", "last 15 minutes"], ["1h", "last hour"], ["24h", "last day"], ["168h", "last week"]];

export function chartsView(main) {
  notLive("updates every 10 s");
  const sel = h("select", { id: "chart-window" });
  for (const [v, label] of WINDOWS) {
    const o = h("option", { value: v }, label);
    if (v === "1h") o.selected = true;
    sel.append(o);
  }
  const overTime = card("chart-time", "Deliveries, deferrals and bounces",
    h("p", { class: "muted small", id: "chart-time-note" }, "Delivered, bounced and expired: each recipient once, by its latest outcome (a delivery that the server bounced later, in a DSN, counts as bounced, when the bounce came; expired: its retry policy gave up). " +
      "Deferred: each deferral, where a server answered an attempt with a 4xx, or did not answer. " +
      "Held by shaping, drawn apart: the relay's own shaping held the recipient back and sent nothing (a destination resting after a 421, a sending window, a warm-up cap); no server replied, so these are not in \"Replies the relay got\"."));
  const relayCodes = card("chart-relay-codes", "Relay: replies the relay got",
    h("p", { class: "muted small" }, "One per delivery attempt, per recipient and host tried; none: no reply (the connection failed or timed out)."));
  const sinkCodes = card("chart-sink-codes", "Sink: replies the sink gave",
    h("p", { class: "muted small" }, "Each refusal, at any stage, and the reply that took each message (one per message, whatever its recipients)."));
  const cats = card("chart-categories", "Bounce categories");
  const failed = h("p", { class: "error", id: "chart-error" });
  failed.hidden = true;
  const reportLinks = h("p", { class: "muted" }, "Report of the whole log: ",
    [["html", "HTML"], ["json", "JSON"], ["csv", "CSV"], ["junit", "JUnit"], ["markdown", "Markdown"], ["text", "text"]].map(([f, label], i) =>
      [i ? " · " : "", h("a", { href: "/api/v1/reports?format=" + f }, label)]));
  main.append(h("h1", {}, "Charts"), h("div", { class: "filters" }, h("label", { for: "chart-window" }, "Window: "), sel), failed,
    h("div", { class: "charts" }, overTime.el, relayCodes.el, sinkCodes.el, cats.el), reportLinks);
  const load = () => get("/api/v1/stats?buckets=60&window=" + encodeURIComponent(sel.value)).then((st) => {
    failed.hidden = true;
    const span = WINDOWS.find(([v]) => v === sel.value)?.[1] || sel.value;
    const width = Math.max(300, overTime.el.clientWidth - 34);
    overTime.show([stacked(st, width, "Deliveries, deferrals, holds, bounces and expiries over the " + span + ", " + bucketName(st.bucket_seconds)), legend()], stackedTable(st));
    relayCodes.show(...bars(st.relay_reply_codes, codeClass, "Replies the relay got, by reply code, " + span, "reply code"));
    sinkCodes.show(...bars(st.sink_reply_codes, codeClass, "Replies the sink gave, by reply code, " + span, "reply code"));
    cats.show(...bars(st.bounce_categories, () => "c-bounced", "Bounces by category, " + span, "category"));
  }).catch((e) => { failed.textContent = e.message; failed.hidden = false; });
  sel.addEventListener("change", load);
  load();
  const timer = setInterval(load, 10000);
  return () => clearInterval(timer);
}

// card is a chart's section: its heading and note stay, the chart and
// its table are redrawn on each load, and the table's <details> stays as
// it is (open or not, and the focus on its summary) across loads. Its
// summary names the chart to a screen reader, which lists four of them.
function card(id, title, note) {
  const figure = h("div", { class: "figure" });
  const table = h("div", { class: "scroll chart-table" });
  const more = h("details", { class: "as-table" }, h("summary", {}, "As a table", h("span", { class: "visually-hidden" }, ": " + title)), table);
  more.hidden = true;
  const el = h("section", { class: "card chart", id }, h("h2", {}, title), note, figure, more);
  return {
    el,
    show(chart, tbl) {
      clear(figure).append(...[chart].flat());
      more.hidden = !tbl;
      clear(table);
      if (tbl) table.append(tbl);
    },
  };
}

// bucketName says how long a bar of the chart over time stands for.
function bucketName(secs) {
  if (!secs) return "one bar per bucket";
  if (secs % 3600 === 0) return "one bar per " + (secs === 3600 ? "hour" : secs / 3600 + " hours");
  if (secs % 60 === 0) return "one bar per " + (secs === 60 ? "minute" : secs / 60 + " minutes");
  return "one bar per " + secs + " seconds";
}

// codeClass colours a reply code by its class (2xx, 4xx, 5xx); "none" is grey.
function codeClass(k) {
  return /^[2-5]/.test(k) ? "c-code" + k[0] : "c-none";
}

function legend() {
  return h("div", { class: "legend" }, SERIES.map(([, cls, label]) => h("span", {}, h("i", { class: "sw " + cls }), label)));
}

// at is series name's count in bucket i; a server without "held" counts
// holds as deferrals: none.
function at(st, name, i) {
  return (Array.isArray(st[name]) && st[name][i]) || 0;
}

// stacked draws one stacked bar per bucket.
function stacked(st, W, label) {
  const n = st.delivered.length;
  const H = 200, L = 36, B = 20;
  let max = 1;
  for (let i = 0; i < n; i++) max = Math.max(max, SERIES.reduce((sum, [name]) => sum + at(st, name, i), 0));
  const bw = (W - L) / n;
  const svg = s("svg", { viewBox: `0 0 ${W} ${H + B}`, width: W, height: H + B, class: "svg", role: "img", "aria-label": label });
  svg.append(s("line", { x1: L, y1: H, x2: W, y2: H, class: "axis" }));
  svg.append(s("text", { x: L - 4, y: 10, class: "tick", "text-anchor": "end" }, String(max)));
  svg.append(s("text", { x: L - 4, y: H, class: "tick", "text-anchor": "end" }, "0"));
  const from = new Date(st.from).getTime();
  for (let i = 0; i < n; i++) {
    let y = H;
    for (const [name, cls, label] of SERIES) {
      const v = at(st, name, i);
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

// stackedTable is the chart over time's figures: a row per bucket that
// holds any (UTC, as the chart's times), and the totals.
function stackedTable(st) {
  const n = st.delivered.length;
  const from = new Date(st.from).getTime();
  const rows = [];
  const total = SERIES.map(() => 0);
  for (let i = 0; i < n; i++) {
    const vs = SERIES.map(([name]) => at(st, name, i));
    if (!vs.some((v) => v)) continue;
    vs.forEach((v, j) => { total[j] += v; });
    const start = from + i * st.bucket_seconds * 1000;
    rows.push(h("tr", {}, h("th", { scope: "row", class: "nowrap" }, shortTime(start) + "–" + shortTime(start + st.bucket_seconds * 1000)), vs.map((v) => h("td", { class: "num" }, String(v)))));
  }
  return h("table", { class: "figures" },
    h("caption", { class: "muted small" }, "Deliveries, deferrals, holds and bounces: " + (rows.length ? "each bar of the chart that holds any, from the time it starts to the time it ends (UTC)" : "nothing in this window")),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "time (UTC)"), SERIES.map(([, , label]) => h("th", { scope: "col" }, label)))),
    h("tbody", {}, rows),
    h("tfoot", {}, h("tr", {}, h("th", { scope: "row" }, "total"), total.map((v) => h("td", { class: "num" }, String(v))))));
}

// bars draws a horizontal bar per key, largest first (the first 12), and
// returns it with its table of every key.
function bars(counts, clsOf, label, what) {
  const all = Object.entries(counts || {}).sort((a, b) => b[1] - a[1]);
  if (!all.length) return [h("p", { class: "muted" }, "Nothing in this window."), null];
  const entries = all.slice(0, 12);
  const W = 400, row = 22, L = 110;
  const max = Math.max(...entries.map((e) => e[1]));
  const svg = s("svg", { viewBox: `0 0 ${W} ${entries.length * row + 4}`, class: "svg", role: "img",
    "aria-label": label + (all.length > entries.length ? " (the " + entries.length + " largest of " + all.length + ")" : "") });
  entries.forEach(([k, v], i) => {
    const y = i * row + 2;
    const w = Math.max(((W - L - 50) * v) / max, 1);
    svg.append(s("text", { x: L - 6, y: y + 15, class: "tick", "text-anchor": "end" }, k.length > 18 ? k.slice(0, 17) + "…" : k));
    svg.append(s("rect", { x: L, y: y + 3, width: w, height: row - 6, class: clsOf(k) }));
    svg.append(s("text", { x: L + w + 4, y: y + 15, class: "tick" }, String(v)));
  });
  const table = h("table", { class: "figures" },
    h("caption", { class: "muted small" }, label + ": every " + what + ", the largest count first"),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, what), h("th", { scope: "col" }, "count"))),
    h("tbody", {}, all.map(([k, v]) => h("tr", {}, h("th", { scope: "row", class: "mono" }, k), h("td", { class: "num" }, String(v))))));
  return [svg, table];
}
