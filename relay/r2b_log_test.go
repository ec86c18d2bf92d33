package relay

import (
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/relaylab/relaylab/internal/dnstest"
	"github.com/relaylab/relaylab/internal/testutil"
)

// logLines returns the records logged as JSON into b whose message
// begins with prefix.
func logLines(t *testing.T, b *testutil.SyncBuffer, prefix string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		var m map[string]any
		if l == "" {
			continue
		}
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		if msg, _ := m["msg"].(string); strings.HasPrefix(msg, prefix) {
			out = append(out, m)
		}
	}
	return out
}

// TestR2BOutcomeLog: every recipient outcome has one line in the log at
// info level, as Postfix's maillog has one per delivery, deferral and
// bounce: the recipient, the message, the path, the server as
// name[address]:port, the attempts, the time since the message came and
// the reply; a failure adds its category and enhanced code, a deferral its
// next attempt, a bounce that suppressed the address says so.
func TestR2BOutcomeLog(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, func(f *fakeMTA) {
		f.onRcpt = func(to string) error {
			switch {
			case strings.HasPrefix(to, "later@"):
				return smtpErr(451, smtp.EnhancedCode{4, 3, 0}, "try later")
			case strings.HasPrefix(to, "gone@"):
				return smtpErr(550, smtp.EnhancedCode{5, 1, 1}, "no such user")
			}
			return nil
		}
	})
	var logs testutil.SyncBuffer
	cfg := testConfig(mta.addr)
	cfg.Retry.MaxAttempts = 2
	h := newHarness(t, cfg, Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	id := h.enqueue("", "ok@r.test", "later@r.test", "gone@r.test")
	h.runUntil("every outcome", h.done(id, 3))
	host := "127.0.0.1[" + strings.Replace(mta.addr, ":", "]:", 1)
	byState := map[string][]map[string]any{}
	for _, l := range logLines(t, &logs, "relay: ") {
		if _, ok := l["to"]; ok {
			byState[l["msg"].(string)] = append(byState[l["msg"].(string)], l)
		}
	}
	want := []struct {
		msg   string
		to    string
		attrs map[string]any
	}{
		{"relay: delivered", "ok@r.test", map[string]any{"path": "primary", "host": host, "attempts": 1.0, "reply": "250 2.0.0 Roger, accepting mail from <>"}},
		{"relay: deferred", "later@r.test", map[string]any{"attempts": 1.0, "reply": "451 4.3.0 try later", "category": "service-unavailable", "enhanced": "4.3.0",
			"next_attempt": epoch.Add(time.Minute).Format(time.RFC3339), "advice": "nothing; it is retried. If it lasts for hours, tell the receiver's postmaster"}},
		{"relay: expired", "later@r.test", map[string]any{"attempts": 2.0, "category": "service-unavailable", "reason": "the maximum number of attempts was reached"}},
		{"relay: bounced", "gone@r.test", map[string]any{"host": host, "reply": "550 5.1.1 no such user", "category": "invalid-recipient", "enhanced": "5.1.1", "suppressed": true,
			"reason": "the mailbox does not exist", "advice": "remove the address from your list"}},
	}
	for _, w := range want {
		ls := byState[w.msg]
		var got map[string]any
		for _, l := range ls {
			if l["to"] == w.to {
				if got != nil {
					t.Errorf("%s to %s logged twice: %v and %v", w.msg, w.to, got, l)
				}
				got = l
			}
		}
		if got == nil {
			t.Errorf("no %q line for %s; logged %v", w.msg, w.to, byState)
			continue
		}
		if got["id"] != id || got["level"] != "INFO" || got["delay"] == nil {
			t.Errorf("%s to %s: %v, want id %s, level INFO and a delay", w.msg, w.to, got, id)
		}
		for k, v := range w.attrs {
			if k == "reply" && strings.HasPrefix(w.msg, "relay: delivered") {
				if s, _ := got[k].(string); !strings.HasPrefix(s, "250 ") {
					t.Errorf("%s to %s: reply %v, want the 250", w.msg, w.to, got[k])
				}
				continue
			}
			if got[k] != v {
				t.Errorf("%s to %s: %s = %v, want %v (line %v)", w.msg, w.to, k, got[k], v, got)
			}
		}
	}
	if n := len(byState["relay: delivered"]) + len(byState["relay: deferred"]) + len(byState["relay: expired"]) + len(byState["relay: bounced"]); n != 4 {
		t.Errorf("%d outcome lines, want 4 (one per outcome): %v", n, byState)
	}
}

// TestOutcomeLogNoEmptyHost: a deferral after a DNS failure (SERVFAIL),
// where no host was reached, has no host attribute in its log line, where
// it had host="" (walk V1).
func TestOutcomeLogNoEmptyHost(t *testing.T) {
	t.Parallel()
	dns := dnstest.Start(t, "../testdata/relay/mx.zone")
	res, err := NewDNSResolver(dns.Addr)
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig("unused:25")
	cfg.Paths = []PathConfig{{Name: "direct", Type: "mx", TLS: "opportunistic"}}
	cfg.Routes = []RouteConfig{{Name: "all", Paths: []string{"direct"}}}
	var logs testutil.SyncBuffer
	h := newHarness(t, cfg, Options{Resolver: res, Dialer: &mapDialer{to: map[string]string{}}, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	id := h.enqueue("a@s.test", "u@broken.mx.test")
	h.runUntil("a deferral", h.deferrals(id, 1))
	h.settle()
	lines := logLines(t, &logs, "relay: deferred")
	if len(lines) == 0 {
		t.Fatalf("no relay: deferred line:\n%s", logs.String())
	}
	for _, l := range lines {
		if h, ok := l["host"]; ok {
			t.Errorf("relay: deferred with host=%q after a DNS failure: %v", h, l)
		}
	}
}
