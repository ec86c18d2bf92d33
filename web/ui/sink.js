// The sink: sessions with transcripts, and the rules editor.
import { h, path, fmtTime, clear } from "./dom.js";
import { get, api } from "./api.js";
import { transcript } from "./message.js";

export function sinkView(main) {
  const tbody = h("tbody");
  const note = h("p", { class: "muted" });
  main.append(h("h1", {}, "Sink sessions"), note,
    h("div", { class: "scroll" }, h("table", {},
      h("thead", {}, h("tr", {}, h("th", {}, "start"), h("th", {}, "listener"), h("th", {}, "client"), h("th", {}, "HELO"), h("th", {}, "TLS"), h("th", {}, "messages"), h("th", {}, "last reply"))),
      tbody)));
  get("/api/v1/sink/sessions?limit=200").then((d) => {
    note.textContent = d.sessions.length + " recent session(s)";
    for (const ss of d.sessions) {
      tbody.append(h("tr", {},
        h("td", {}, h("a", { href: path("sink", "sessions", ss.id) }, fmtTime(ss.start))),
        h("td", {}, ss.listener),
        h("td", { class: "mono" }, ss.client),
        h("td", { class: "mono" }, ss.helo || ""),
        h("td", {}, ss.tls ? "yes" : "no"),
        h("td", {}, (ss.messages || []).map((m) => h("div", {}, h("a", { href: path("sink", "messages", m), class: "mono" }, m)))),
        h("td", {}, ss.last_reply || "")));
    }
  }).catch((e) => { note.textContent = e.message; note.className = "error"; });
}

export function sessionView(main, id) {
  const card = h("section", { class: "card" }, h("p", { class: "muted" }, "Loading…"));
  main.append(h("h1", {}, "Session ", h("span", { class: "mono" }, id)), card);
  get("/api/v1/sink/sessions/" + encodeURIComponent(id)).then((ss) => {
    clear(card).append(
      h("dl", { class: "kv" },
        h("dt", {}, "Listener"), h("dd", {}, ss.listener),
        h("dt", {}, "Client"), h("dd", { class: "mono" }, ss.client),
        h("dt", {}, "HELO"), h("dd", { class: "mono" }, ss.helo || ""),
        h("dt", {}, "TLS"), h("dd", {}, ss.tls ? "yes" : "no"),
        h("dt", {}, "AUTH"), h("dd", {}, ss.auth || "none"),
        h("dt", {}, "Start"), h("dd", {}, fmtTime(ss.start)),
        h("dt", {}, "End"), h("dd", {}, fmtTime(ss.end))),
      (ss.messages || []).length ? h("p", {}, "Messages: ", ss.messages.map((m) => h("a", { href: path("sink", "messages", m), class: "mono" }, m + " "))) : "",
      h("h2", {}, "Transcript"),
      transcript(ss.transcript || []));
  }).catch((e) => clear(card).append(h("p", { class: "error" }, e.message)));
}

export function rulesView(main) {
  const area = h("textarea", { rows: 24, spellcheck: "false", "aria-label": "sink rules (YAML)", id: "rules-text" });
  const save = h("button", { type: "button" }, "Save rules");
  const reload = h("button", { type: "button" }, "Reload");
  const out = h("div", { id: "rules-result", role: "status" });
  main.append(h("h1", {}, "Sink rules"),
    h("p", { class: "muted" }, "The YAML the sink reads. Saving replaces the rules of the running sink; a rule that does not validate is refused and nothing changes."),
    area, h("div", { class: "bar" }, save, " ", reload), out);
  const load = () => get("/api/v1/sink/rules").then((r) => { area.value = r.yaml; out.textContent = ""; })
    .catch((e) => { out.className = "error"; out.textContent = e.message; });
  save.addEventListener("click", () => {
    api("PUT", "/api/v1/sink/rules", { yaml: area.value }).then(() => {
      out.className = "ok"; out.textContent = "Saved: the sink now uses these rules.";
    }).catch((e) => {
      out.className = "error";
      clear(out).append(h("strong", {}, e.error), h("pre", {}, e.detail));
    });
  });
  reload.addEventListener("click", load);
  load();
}
