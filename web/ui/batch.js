// frameBatcher gathers events that arrive between two animation frames and
// hands them to draw once per frame: a burst of thousands of events, sent
// as many websocket frames, costs one drawing per screen refresh, not one
// per frame. keep bounds what waits: only the newest keep events are kept
// (a view that shows at most that many needs no more).
export function frameBatcher(draw, keep) {
  let pending = [];
  let frame = 0;
  const flush = () => {
    frame = 0;
    const evs = keep && pending.length > keep ? pending.slice(-keep) : pending;
    pending = [];
    draw(evs);
  };
  return {
    push(evs) {
      for (const e of evs) pending.push(e);
      if (keep && pending.length > 2 * keep) pending = pending.slice(-keep);
      if (!frame) frame = requestAnimationFrame(flush);
    },
    cancel() {
      if (frame) cancelAnimationFrame(frame);
      frame = 0;
      pending = [];
    },
  };
}
