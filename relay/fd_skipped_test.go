package relay

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/testutil"
)

// TestFailoverSaysWhyThePrimaryWasSkipped: route [primary, backup], the
// primary resting after its 421. The next message goes to the backup;
// its relay.attempt there names the primary it passed over and why (the
// rest's end, how many failures rested it, the last reply), as does the
// log's outcome line and queue show's hops. Before, nothing said that
// the primary was passed over, nor why. With the backup resting too the
// recipient is deferred by the backup's hold, and its relay.deferred
// carries the skipped primary, since no attempt followed.
func TestFailoverSaysWhyThePrimaryWasSkipped(t *testing.T) {
	t.Parallel()
	primary := greeter5xx(t, "421 4.3.2 System not accepting network messages")
	t.Run("backup delivers", func(t *testing.T) {
		t.Parallel()
		backup := startMTA(t, nil)
		cfg := testConfig(primary.addr)
		cfg.Paths = append(cfg.Paths, PathConfig{Name: "backup", Host: backup.addr, TLS: "none"})
		cfg.Routes[0].Paths = []string{"primary", "backup"}
		var logs testutil.SyncBuffer
		h := newHarness(t, cfg, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		id1 := h.enqueue("a@s.test", "one@r.test")
		h.runUntil("the first delivery", h.done(id1, 1))
		if a := h.firstAttempt(t, id1); len(a) != 2 || a[0]["skipped"] != nil || a[1]["skipped"] != nil {
			t.Fatalf("first message's attempts %v: want the primary's 421, then the backup, neither skipping", a)
		}
		h.v.Advance(time.Second) // a rest that began at this instant holds only later jobs
		id2 := h.enqueue("a@s.test", "two@r.test")
		h.runUntil("the second delivery", h.done(id2, 1))
		att := h.events(events.Filter{Message: id2, Kinds: []string{events.RelayAttempt}})
		if len(att) != 1 || att[0].Path != "backup" {
			t.Fatalf("second message's attempts %v, want the backup's alone", att)
		}
		sk, _ := payload(t, att[0])["skipped"].([]any)
		if len(sk) != 1 {
			t.Fatalf("backup's attempt payload %s: want one skipped path", att[0].Payload)
		}
		s := sk[0].(map[string]any)
		text, _ := s["text"].(string)
		for _, want := range []string{"path primary not tried", "destination path:primary rests until", "after 1 failure: 421 4.3.2 System not accepting network messages"} {
			if !strings.Contains(text, want) {
				t.Errorf("skipped text %q, want %q in it", text, want)
			}
		}
		if s["path"] != "primary" || s["until"] == nil || s["category"] != "destination-backoff" {
			t.Errorf("skipped %v, want path primary, its rest's end and category destination-backoff", s)
		}
		if !strings.Contains(logs.String(), `skipped="path primary not tried`) {
			t.Errorf("the log's outcome line does not name the skipped primary:\n%s", logs.String())
		}
		m, err := h.r.Message(t.Context(), id2)
		if err != nil {
			t.Fatal(err)
		}
		if hops := m.Recipients[0].Hops; len(hops) != 1 || len(hops[0].Skipped) != 1 || hops[0].Skipped[0].Text != text {
			t.Errorf("queue show's hops %+v, want the backup's with the skipped primary", hops)
		}
	})
	t.Run("backup resting too", func(t *testing.T) {
		t.Parallel()
		backup := greeter5xx(t, "421 4.3.2 backup closing too")
		cfg := testConfig(primary.addr)
		cfg.Paths = append(cfg.Paths, PathConfig{Name: "backup", Host: backup.addr, TLS: "none"})
		cfg.Routes[0].Paths = []string{"primary", "backup"}
		h := newHarness(t, cfg, Options{})
		id1 := h.enqueue("a@s.test", "one@r.test")
		h.runUntil("the first deferral", h.deferrals(id1, 1))
		h.v.Advance(time.Second)
		id2 := h.enqueue("a@s.test", "two@r.test")
		h.runUntil("the second deferral", h.deferrals(id2, 1))
		if att := h.events(events.Filter{Message: id2, Kinds: []string{events.RelayAttempt}}); len(att) != 0 {
			t.Fatalf("second message's attempts %v, want none: both paths rest", att)
		}
		def := h.firstOutcome(t, id2, events.RelayDeferred)
		sk, _ := def["skipped"].([]any)
		if len(sk) != 1 || sk[0].(map[string]any)["path"] != "primary" {
			t.Fatalf("deferral %v: want the skipped primary on it", def)
		}
		if rep := def["reply"].(map[string]any); !strings.Contains(rep["text"].(string), "destination path:backup rests") {
			t.Errorf("deferral's reply %v, want the backup's hold", rep)
		}
	})
}

// TestRestSkipTextCounts: the skip's text says how many replies rested
// the destination, with the last; a rest restored from the store does
// not know the count, nor (from older stores) the reply.
func TestRestSkipTextCounts(t *testing.T) {
	t.Parallel()
	until := time.Date(2026, 1, 5, 9, 5, 0, 0, time.UTC)
	for _, tt := range []struct {
		failures int
		cause    string
		want     string
	}{
		{1, "421 4.3.2 busy", "rests until 2026-01-05T09:05:00Z after 1 failure: 421 4.3.2 busy"},
		{3, "421 4.7.0 slow down", "after 3 failures, the last: 421 4.7.0 slow down"},
		{0, "421 4.3.2 busy", "rests until 2026-01-05T09:05:00Z after 421 4.3.2 busy"},
		{0, "", "after a 421 or rate limit"},
	} {
		got := restSkipText("primary", "path:primary", until, tt.failures, tt.cause)
		if !strings.HasPrefix(got, "path primary not tried: its destination path:primary ") || !strings.Contains(got, tt.want) {
			t.Errorf("restSkipText(%d, %q) = %q, want %q in it", tt.failures, tt.cause, got, tt.want)
		}
	}
	got := heldSkipText("warm", "path warm reached its warm-up cap for the day; it opens again at 2026-01-06T00:00:00Z")
	if want := "path warm not tried: path warm reached its warm-up cap"; !strings.HasPrefix(got, want) {
		t.Errorf("heldSkipText = %q, want it to begin %q", got, want)
	}
}
