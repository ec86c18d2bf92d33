package relay

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/emersion/go-smtp"
	"github.com/relaylab/relaylab/internal/events"
)

func TestSubjectOf(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 300)
	tests := []struct {
		name string
		msg  string
		want string
	}{
		{"plain", "From: a@x\r\nSubject: Hello there\r\n\r\nbody\r\n", "Hello there"},
		{"none", "From: a@x\r\n\r\nSubject: not a header\r\n", ""},
		{"no header at all", "", ""},
		{"folded", "Subject: one\r\n two\r\n\r\n", "one two"},
		{"base64 utf-8", "Subject: =?UTF-8?B?w6ljaMOpYW5jZQ==?=\r\n\r\n", "échéance"},
		{"q iso-8859-1", "Subject: =?ISO-8859-1?Q?Caf=E9_cr=E8me?=\r\n\r\n", "Café crème"},
		{"mixed words", "Subject: Re: =?utf-8?q?caf=C3=A9?= now\r\n\r\n", "Re: café now"},
		{"unknown charset kept encoded", "Subject: =?x-nope?Q?abc?=\r\n\r\n", "=?x-nope?Q?abc?="},
		{"control characters shown as U+FFFD", "Subject: a\x00b\x1bc\r\n\r\n", "a\ufffdb\ufffdc"},
		{"encoded newline flattened", "Subject: =?UTF-8?Q?a=0D=0Ab?=\r\n\r\n", "a  b"},
		{"header never ends", "Subject: cut", "cut"},
		{"capped", "Subject: " + long + "\r\n\r\n", strings.Repeat("é", maxSubject-1) + "…"},
		{"bare LF", "Subject: lf only\n\nbody\n", "lf only"},
		// As the web UI's message page reads them (internal/mailtext).
		{"windows-1252", "Subject: =?windows-1252?Q?=93quoted=94_=80_5?=\r\n\r\n", "“quoted” € 5"},
		{"iso-8859-1 read as windows-1252", "Subject: =?iso-8859-1?q?caf=E9_=80?=\r\n\r\n", "café €"},
		{"raw 8-bit byte", "Subject: caf\xe9\r\n\r\n", "caf\ufffd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := subjectOf([]byte(tt.msg)); got != tt.want {
				t.Errorf("subjectOf = %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzSubjectOf(f *testing.F) {
	for _, s := range []string{"Subject: hi\r\n\r\n", "Subject: =?UTF-8?B?w6k=?=\r\n\r\n", "Subject:\r\n\r\n", "x", "Subject: =?utf-8?q?=FF?=\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := subjectOf(data)
		if n := utf8.RuneCountInString(s); n > maxSubject {
			t.Fatalf("subject of %d characters", n)
		}
		if strings.ContainsAny(s, "\r\n") {
			t.Fatalf("subject on several lines: %q", s)
		}
	})
}

// TestQueuedEventCarriesSubject: the relay.queued event of each recipient
// holds the decoded subject.
func TestQueuedEventCarriesSubject(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	h := newHarness(t, testConfig(mta.addr), Options{})
	id, err := h.r.Enqueue(context.Background(), Submission{From: "a@s.test",
		Data:       []byte("From: a@s.test\r\nSubject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= <script>\r\n\r\nx\r\n"),
		Recipients: []Recipient{{Address: "b@r.test"}, {Address: "c@r.test"}}})
	if err != nil {
		t.Fatal(err)
	}
	q := h.events(events.Filter{Message: id, Kinds: []string{events.RelayQueued}})
	if len(q) != 2 {
		t.Fatalf("%d relay.queued events, want 2", len(q))
	}
	for _, e := range q {
		if got := payload(t, e)["subject"]; got != "Grüße <script>" {
			t.Errorf("%s: subject %q", e.Recipient, got)
		}
	}
}

// TestTerminalEventsSaySuppressed: a hard bounce that suppresses, and the
// expiry that reaches the soft-bounce count, say so in their events; other
// bounces and expiries do not.
func TestTerminalEventsSaySuppressed(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, func(f *fakeMTA) {
		f.onRcpt = func(to string) error {
			switch {
			case strings.HasPrefix(to, "gone"):
				return smtpErr(550, smtp.EnhancedCode{5, 1, 1}, "no such user")
			case strings.HasPrefix(to, "policy"):
				return smtpErr(550, smtp.EnhancedCode{5, 7, 1}, "not for you")
			case strings.HasPrefix(to, "full"):
				return smtpErr(452, smtp.EnhancedCode{4, 2, 2}, "full")
			}
			return nil
		}
	})
	cfg := testConfig(mta.addr)
	cfg.Retry.MaxAttempts = 1
	cfg.Suppression.SoftBounces = 2
	h := newHarness(t, cfg, Options{})
	id := h.enqueue("", "gone@r.test", "policy@r.test")
	h.runUntil("bounces", h.done(id, 2))
	var full []string
	for i := 0; i < 2; i++ {
		full = append(full, h.enqueue("", "full@r.test"))
		h.runUntil("expiry", h.done(full[i], 1))
	}
	tests := []struct {
		id, rcpt, kind string
		suppressed     bool
		reason         string
	}{
		{id, "gone@r.test", events.RelayBounced, true, "550 5.1.1 no such user"},
		{id, "policy@r.test", events.RelayBounced, false, ""},
		{full[0], "full@r.test", events.RelayExpired, false, ""},
		{full[1], "full@r.test", events.RelayExpired, true, "2 deliveries expired in a row"},
	}
	for _, tt := range tests {
		evs := h.events(events.Filter{Message: tt.id, Recipient: tt.rcpt, Kinds: []string{tt.kind}})
		if len(evs) != 1 {
			t.Errorf("%s %s: %d %s events", tt.id, tt.rcpt, len(evs), tt.kind)
			continue
		}
		p := payload(t, evs[0])
		got, _ := p["suppressed"].(bool)
		why, _ := p["suppression_reason"].(string)
		if got != tt.suppressed || !strings.Contains(why, tt.reason) || (tt.suppressed && !strings.Contains(why, "suppression list")) {
			t.Errorf("%s %s: suppressed %v (%q), want %v with %q", tt.kind, tt.rcpt, got, why, tt.suppressed, tt.reason)
		}
	}
}
