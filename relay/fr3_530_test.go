package relay

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"
	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/testutil"
)

// TestAuthOrTLSRequiredRefusesThePath: a smarthost that answers MAIL,
// RCPT or DATA with 530 (authentication required, RFC 4954 6; STARTTLS
// first, RFC 3207 4) refuses the path, not the message, as a 535 to AUTH
// does: the route's next path delivers it at once, and with no next path
// the recipient is deferred by the retry policy. Before, the message
// bounced at once, and its DSN, sent over the same path, bounced too.
func TestAuthOrTLSRequiredRefusesThePath(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name     string
		primary  func(t *testing.T) string // its address
		stage    string
		category string
	}{
		{"mail", func(t *testing.T) string {
			return startMTA(t, func(f *fakeMTA) { f.users = map[string]string{"u": "pw"} }).addr // 530 5.7.0 to MAIL before AUTH
		}, "mail", "credentials-refused"},
		{"rcpt", func(t *testing.T) string {
			return startMTA(t, func(f *fakeMTA) {
				f.onRcpt = func(string) error {
					return smtpErr(530, smtp.EnhancedCode{5, 7, 0}, "Must issue a STARTTLS command first")
				}
			}).addr
		}, "rcpt", "tls-failure"},
		{"data", func(t *testing.T) string {
			// go-smtp's server answers DATA itself; a script refuses it.
			addr, _ := scripted(t, func(cmd string) string {
				if strings.EqualFold(cmd, "DATA") {
					return "530 5.7.0 Authentication required"
				}
				return "250 scripted.test"
			})
			return addr
		}, "data", "credentials-refused"},
	} {
		for _, alone := range []bool{false, true} {
			name := tt.name + ", then the next path"
			if alone {
				name = tt.name + ", no next path"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				backup := startMTA(t, nil)
				cfg := testConfig(tt.primary(t))
				if !alone {
					cfg.Paths = append(cfg.Paths, PathConfig{Name: "backup", Host: backup.addr, TLS: "none"})
					cfg.Routes[0].Paths = []string{"primary", "backup"}
				}
				h := newHarness(t, cfg, Options{})
				id := h.enqueue("a@s.test", "b@r.test")
				if alone {
					h.runUntil("a deferral", h.deferrals(id, 1))
				} else {
					h.runUntil("delivery", h.done(id, 1))
				}
				att := h.events(events.Filter{Message: id, Kinds: []string{events.RelayAttempt}})
				if len(att) == 0 || att[0].Path != "primary" {
					t.Fatalf("attempts %v, want primary's first", att)
				}
				if rep, _ := payload(t, att[0])["reply"].(map[string]any); rep["code"] != 530.0 || rep["stage"] != tt.stage {
					t.Errorf("primary's reply %v, want the 530 at %s", rep, tt.stage)
				}
				if b := h.events(events.Filter{Kinds: []string{events.RelayBounced, events.RelayDSN}}); len(b) != 0 {
					t.Errorf("a 530 bounced the message: %s %s", b[0].Kind, b[0].Payload)
				}
				if alone {
					d := h.events(events.Filter{Message: id, Kinds: []string{events.RelayDeferred}})
					if p := payload(t, d[0]); p["category"] != tt.category || !strings.Contains(p["advice"].(string), "the route's next path, or waits for the next attempt") {
						t.Errorf("deferral %s, want category %s and advice that says it waits", d[0].Payload, tt.category)
					}
					return
				}
				if d := h.events(events.Filter{Message: id, Kinds: []string{events.RelayDelivered}}); len(d) != 1 || d[0].Path != "backup" {
					t.Errorf("delivered %v, want once over backup", d)
				}
				if n := len(backup.received()); n != 1 {
					t.Errorf("backup received %d messages, want 1", n)
				}
			})
		}
	}
}

// TestLostDSNIsSaid: a DSN of the relay's own that bounces, expires or
// meets the suppression list cannot be reported on (no DSN about a DSN), so its event says that the
// sender of the message it reports on is not told (dsn_undelivered, and
// the reason's end), and the log warns of it. Before, it read as any
// other bounce, with its dsn_for alone.
func TestLostDSNIsSaid(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, func(f *fakeMTA) {
		f.onRcpt = func(to string) error {
			switch {
			case strings.HasPrefix(to, "gone"), to == "bob@s.test": // bob's DSN bounces
				return smtpErr(550, smtp.EnhancedCode{5, 1, 1}, "no such user")
			case to == "carol@s.test": // hers waits until the policy gives up
				return smtpErr(451, smtp.EnhancedCode{4, 3, 0}, "try later")
			}
			return nil
		}
	})
	var logs testutil.SyncBuffer
	h := newHarness(t, testConfig(mta.addr), Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	for _, tt := range []struct {
		sender, kind string
	}{
		{"bob@s.test", events.RelayBounced},
		{"carol@s.test", events.RelayExpired},
		{"dave@s.test", events.RelaySuppressed}, // on the list: his DSN is not sent
	} {
		if tt.kind == events.RelaySuppressed {
			if err := h.r.Suppress(t.Context(), tt.sender, "complained"); err != nil {
				t.Fatal(err)
			}
		}
		id := h.enqueue(tt.sender, "gone-"+tt.sender)
		h.runUntil("the bounce of "+tt.sender, h.done(id, 1))
		dsns := h.events(events.Filter{Message: id, Kinds: []string{events.RelayDSN}})
		if len(dsns) != 1 {
			t.Fatalf("%s: %d relay.dsn events, want 1", tt.sender, len(dsns))
		}
		dsnID := payload(t, dsns[0])["dsn_message"].(string)
		h.runUntil("the end of the DSN to "+tt.sender, h.done(dsnID, 1))
		end := h.events(events.Filter{Message: dsnID, Kinds: []string{tt.kind}})
		if len(end) != 1 {
			t.Fatalf("%s: the DSN has %d %s events, want 1", tt.sender, len(end), tt.kind)
		}
		p := payload(t, end[0])
		if p["dsn_undelivered"] != true || !strings.Contains(p["reason"].(string), "so that sender is not told what became of "+id) {
			t.Errorf("%s: the DSN's %s event does not say its sender is not told: %s", tt.sender, tt.kind, end[0].Payload)
		}
		if got := logs.String(); !strings.Contains(got, `level=WARN msg="relay: a DSN could not be delivered, so the sender of the message it reports on is not told`) ||
			!strings.Contains(got, "id="+dsnID+" dsn_for="+id+" to="+tt.sender+" state="+strings.TrimPrefix(tt.kind, "relay.")) {
			t.Errorf("%s: no warning in the log about the DSN %s:\n%s", tt.sender, dsnID, got)
		}
		// The original message's own outcome is no lost DSN.
		for _, e := range h.events(events.Filter{Message: id}) {
			if _, ok := payload(t, e)["dsn_undelivered"]; ok {
				t.Errorf("%s: %s event of the original message has dsn_undelivered", tt.sender, e.Kind)
			}
		}
	}
}
