package scenario

import "testing"

// TestS27RateSlotsOnOneInstant: two destinations shaped by rate whose
// slots fall on the same virtual instant (5 and 10 a second) both go on.
// The replay hung at +0s: a job sleeping until its slot counted as woken
// as soon as its time came, before its timer had fired, so the relay
// never looked quiet and the driver never fired the timer (it fires one
// at a time).
func TestS27RateSlotsOnOneInstant(t *testing.T) {
	t.Parallel()
	out := replayYAML(t, `name: two rates
seed: 7
clock:
  start: "2026-03-02T09:00:00Z"
relay:
  paths:
    - {name: gmail-ip, host: sink, tls: none, destination: domain, rate: 5, max_connections: 2}
    - {name: bulk, host: sink, tls: none, destination: domain, rate: 10, max_connections: 4}
  routes:
    - {name: gmail, recipients: [gmail.test], paths: [gmail-ip]}
    - {name: default, paths: [bulk]}
  retry: {kind: list, schedule: [5m], max_age: 5d}
messages:
  - {from: news@shop.test, to: ["u{n}@gmail.test"], count: 3}
  - {from: news@shop.test, to: ["u{n}@other.test"], count: 3}
expect:
  recipients:
    - {match: "*@gmail.test", count: 3, status: delivered, attempts: 1}
    - {match: "*@other.test", count: 3, status: delivered, attempts: 1}
  aggregate:
    delivered_share: 1
`)
	if n := len(out.Data.Recipients); n != 6 {
		t.Errorf("%d recipients, want 6", n)
	}
}
