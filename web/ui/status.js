// The header's pill says what is true of the page shown: on a page that
// follows the event stream, the stream's state (connecting, live,
// reconnecting); on one that does not, how it updates instead.
export function setStatus(state, title) {
  const el = document.getElementById("status");
  el.textContent = state;
  el.title = title || (state === "live" ? "this page follows the event stream and updates as events commit"
    : state === "reconnecting" ? "the event stream dropped: reconnecting, and nothing committed meanwhile is lost"
      : state === "connecting" ? "opening the event stream" : "");
  el.className = "status " + (state === "live" ? "on" : state === "connecting" || state === "reconnecting" ? "wait" : "off");
}

// notLive is the pill of a page without a stream: how it updates, if it
// does.
export function notLive(how) {
  setStatus(how || "not live", how ? "this page polls the server: " + how + "; the feed, the messages and the sink sessions are live"
    : "this page shows what was there when it opened; the feed, the messages and the sink sessions are live");
}

// final is the pill of a page whose subject does not change any more (an
// ended session, a stored message): there is nothing for it to follow.
export function final(why) {
  setStatus("final", why + ": nothing on this page changes, so it does not follow the event stream");
}
