package relay

import (
	"encoding/base64"
	"net"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/smtpload/smtptest"
)

func TestTranscriptLines(t *testing.T) {
	t.Parallel()
	v := clock.NewVirtual(epoch)
	tr := newTranscript(v)
	tr.received("220 mx.test")
	v.Advance(12 * time.Millisecond)
	tr.sent("EHLO relay.test")
	tr.received("250-mx.test\r\n250 injected")
	tr.note("a %s", "note")
	want := "+0ms S: 220 mx.test\n+12ms C: EHLO relay.test\n+12ms S: 250-mx.test  250 injected\n+12ms -- a note"
	if got := tr.take(); got != want {
		t.Errorf("transcript\n%s\nwant\n%s", got, want)
	}
	if got := tr.take(); got != "" {
		t.Errorf("second take = %q, want empty", got)
	}
	var off *transcript
	off.sent("x") // a nil transcript records nothing and does not crash
	if off.take() != "" || (&transcript{}).take() != "" {
		t.Error("a transcript without a clock recorded something")
	}
}

func TestTranscriptCap(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		lines int
		cut   bool
	}{
		{"small", 10, false},
		{"just over", maxTranscript / 40, true},
		{"far over", 10 * maxTranscript, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tr := newTranscript(clock.NewVirtual(epoch))
			for i := 0; i < tt.lines; i++ {
				tr.received("250-" + strings.Repeat("x", 40))
			}
			got := tr.take()
			if len(got) > maxTranscript {
				t.Errorf("transcript of %d bytes, cap %d", len(got), maxTranscript)
			}
			if cut := strings.HasSuffix(got, truncatedMark); cut != tt.cut {
				t.Errorf("truncated %v, want %v (ends %q)", cut, tt.cut, got[max(0, len(got)-60):])
			}
			if strings.Count(got, truncatedMark) > 1 {
				t.Error("truncation marker written more than once")
			}
		})
	}
}

// TestAttemptTranscript: the attempt event holds the conversation, over
// STARTTLS and AUTH, without the password and without the message.
func TestAttemptTranscript(t *testing.T) {
	t.Parallel()
	const password = "s3cret-Passw0rd"
	mta := startMTA(t, func(f *fakeMTA) {
		f.tls = true
		f.users = map[string]string{"relay": password}
		f.onRcpt = func(to string) error {
			if strings.HasPrefix(to, "gone") {
				return smtpErr(550, smtp.EnhancedCode{5, 1, 1}, "no such user")
			}
			return nil
		}
	})
	cfg := testConfig(mta.addr)
	cfg.Paths[0] = PathConfig{Name: "primary", Host: mta.addr, TLS: "required", Username: "relay", Password: password, Helo: "out.relay.test"}
	h := newHarness(t, cfg, Options{})
	id := h.enqueue("alice@s.test", "bob@r.test", "carol@r.test", "gone@r.test")
	h.runUntil("done", h.done(id, 3))
	att := h.events(events.Filter{Message: id, Kinds: []string{events.RelayAttempt}})
	if len(att) != 3 {
		t.Fatalf("%d attempt events, want 3", len(att))
	}
	first, _ := payload(t, att[0])["transcript"].(string)
	secrets := []string{
		password,
		base64.StdEncoding.EncodeToString([]byte("\x00relay\x00" + password)),
		base64.StdEncoding.EncodeToString([]byte(password)),
		"Hello.", // the body
		"Subject: test",
	}
	for _, e := range att {
		ts, _ := payload(t, e)["transcript"].(string)
		if ts != first {
			t.Errorf("%s: a transcript different from the one of the shared transaction:\n%s", e.Recipient, ts)
		}
		for _, want := range []string{
			"S: 220 ", "C: EHLO out.relay.test", "C: STARTTLS", "-- TLS handshake done: TLS 1.3",
			"C: AUTH PLAIN [credentials hidden]", "S: 235 ",
			"C: MAIL FROM:<alice@s.test>", "C: RCPT TO:<bob@r.test>", "C: RCPT TO:<gone@r.test>",
			"S: 550 5.1.1 no such user", "C: DATA", "S: 354 ", "bytes of message data]", "C: .", "S: 250 ",
		} {
			if !strings.Contains(ts, want) {
				t.Errorf("%s: transcript lacks %q:\n%s", e.Recipient, want, ts)
			}
		}
		for _, s := range secrets {
			if strings.Contains(ts, s) {
				t.Errorf("%s: transcript holds %q:\n%s", e.Recipient, s, ts)
			}
		}
		for _, l := range strings.Split(ts, "\n") {
			if !strings.HasPrefix(l, "+") || !strings.Contains(l, "ms ") {
				t.Errorf("line without its time: %q", l)
			}
		}
	}
	// The EHLO after STARTTLS is recorded too (RFC 3207 4.2).
	if n := strings.Count(first, "C: EHLO out.relay.test"); n != 2 {
		t.Errorf("%d EHLOs in the transcript, want 2:\n%s", n, first)
	}
}

// TestAuthLoginHidden: both AUTH LOGIN lines are hidden.
func TestAuthLoginHidden(t *testing.T) {
	t.Parallel()
	addr := scriptedServer(t, func(tc *textproto.Conn) {
		tc.PrintfLine("220 s.test")
		for {
			l, err := tc.ReadLine()
			if err != nil {
				return
			}
			switch {
			case strings.HasPrefix(l, "EHLO"):
				tc.PrintfLine("250-s.test")
				tc.PrintfLine("250 AUTH LOGIN")
			case l == "AUTH LOGIN":
				tc.PrintfLine("334 VXNlcm5hbWU6")
			case strings.HasPrefix(l, "cmVsYXk"): // "relay"
				tc.PrintfLine("334 UGFzc3dvcmQ6")
			default:
				tc.PrintfLine("235 2.7.0 ok")
			}
		}
	})
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := newClient(conn, 5*time.Second, 5*time.Second, newTranscript(clock.NewVirtual(epoch)))
	if err := c.greet("me.test"); err != nil {
		t.Fatal(err)
	}
	if err := c.auth("LOGIN", "relay", "hunter2"); err != nil {
		t.Fatal(err)
	}
	ts := c.rec.take()
	if n := strings.Count(ts, "C: "+hiddenCredentials); n != 2 {
		t.Errorf("%d hidden lines, want 2:\n%s", n, ts)
	}
	for _, s := range []string{"hunter2", base64.StdEncoding.EncodeToString([]byte("hunter2")), base64.StdEncoding.EncodeToString([]byte("relay"))} {
		if strings.Contains(ts, s) {
			t.Errorf("transcript holds %q:\n%s", s, ts)
		}
	}
}

// scriptedServer serves each connection on 127.0.0.1 with fn, closing it
// when fn returns.
func scriptedServer(t *testing.T, fn func(*textproto.Conn)) string {
	t.Helper()
	return serveLoopback(t, func(c net.Conn) { fn(textproto.NewConn(c)) })
}

// commandLoop greets with greeting, then hands the upper-case verb of
// each command line to on, until on says it is done or the client leaves.
func commandLoop(tc *textproto.Conn, greeting string, on func(verb string) (done bool)) {
	tc.PrintfLine("%s", greeting)
	for {
		l, err := tc.ReadLine()
		if err != nil || on(strings.ToUpper(strings.Fields(l + " x")[0])) {
			return
		}
	}
}

// serveLoopback serves each connection on 127.0.0.1 with fn in its own
// goroutine, closing it when fn returns, until the test ends; it returns
// the address.
func serveLoopback(t *testing.T, fn func(net.Conn)) string {
	t.Helper()
	return smtptest.Listen(t, fn)
}

// dropServer speaks SMTP without PIPELINING and closes the connection
// when the command at stage arrives (at "greeting": before greeting; at
// "dot": after the final dot, without a reply). With silent, it stops
// answering instead, until done is closed.
func dropServer(t *testing.T, stage string, silent bool) string {
	t.Helper()
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	drop := func() {
		if silent {
			<-done
		}
	}
	return scriptedServer(t, func(tc *textproto.Conn) {
		if stage == "greeting" {
			drop()
			return
		}
		commandLoop(tc, "220 drop.test ESMTP", func(cmd string) bool {
			switch {
			case cmd == "EHLO" && stage == "ehlo", cmd == "MAIL" && stage == "mail", cmd == "RCPT" && stage == "rcpt", cmd == "DATA" && stage == "data":
				drop()
				return true
			case cmd == "EHLO":
				tc.PrintfLine("250-drop.test")
				tc.PrintfLine("250 8BITMIME")
			case cmd == "DATA":
				tc.PrintfLine("354 go on")
				if _, err := tc.ReadDotBytes(); err != nil {
					return true
				}
				if stage == "dot" {
					drop()
					return true
				}
				tc.PrintfLine("250 2.0.0 queued")
			case cmd == "QUIT":
				tc.PrintfLine("221 bye")
				return true
			default:
				tc.PrintfLine("250 2.1.0 ok")
			}
			return false
		})
	})
}

// TestConnectionLostByStage: a server that drops the connection, or stops
// answering, at each stage gives a deferral whose category and reason
// name the stage; after the final dot it warns of a duplicate.
func TestConnectionLostByStage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		stage    string
		silent   bool
		category string
		reason   string
	}{
		{"greeting", false, "connection", "at the greeting (the server's first reply)"},
		{"greeting", true, "connection", "did not answer in time at the greeting (the server's first reply)"},
		{"ehlo", false, "connection", "closed or reset at EHLO"},
		{"mail", false, "connection", "closed or reset at MAIL FROM"},
		{"rcpt", false, "connection", "closed or reset at RCPT TO"},
		{"rcpt", true, "connection", "did not answer in time at RCPT TO"},
		{"data", false, "connection", "closed or reset at DATA"},
		{"dot", false, "connection-lost-after-data", "duplicate"},
		{"dot", true, "connection-lost-after-data", "duplicate"},
	}
	for _, tt := range tests {
		name := tt.stage
		if tt.silent {
			name += " silent"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			addr := dropServer(t, tt.stage, tt.silent)
			cfg := testConfig(addr)
			cfg.Paths[0].CommandTimeout = dur(300 * time.Millisecond)
			cfg.Paths[0].DataTimeout = dur(300 * time.Millisecond)
			h := newHarness(t, cfg, Options{})
			id := h.enqueue("a@s.test", "x@r.test")
			h.runUntil("deferral", func() bool {
				return len(h.events(events.Filter{Message: id, Kinds: []string{events.RelayDeferred}})) == 1
			})
			p := payload(t, h.events(events.Filter{Message: id, Kinds: []string{events.RelayDeferred}})[0])
			rep, _ := p["reply"].(map[string]any)
			reason, _ := p["reason"].(string)
			if p["category"] != tt.category || !strings.Contains(reason, tt.reason) || p["advice"] == "" {
				t.Errorf("deferral: category %v, reason %q, reply %v; want %s with %q", p["category"], reason, rep, tt.category, tt.reason)
			}
			if rep["stage"] != tt.stage {
				t.Errorf("reply stage %v, want %s", rep["stage"], tt.stage)
			}
			ts, _ := payload(t, h.events(events.Filter{Message: id, Kinds: []string{events.RelayAttempt}})[0])["transcript"].(string)
			if !strings.Contains(ts, "-- reading the reply failed") {
				t.Errorf("the transcript does not show the failure:\n%s", ts)
			}
		})
	}
}

// TestDestinationBackoffCategory: a recipient held back because its
// destination rests gets its own category, which says nothing was sent.
func TestDestinationBackoffCategory(t *testing.T) {
	t.Parallel()
	h, _, _ := restingHarness(t)
	h.v.Advance(2 * time.Minute)
	id2 := h.enqueue("a@s.test", "two@r.test")
	h.runUntil("held back", func() bool {
		return len(h.events(events.Filter{Message: id2, Kinds: []string{events.RelayDeferred}})) == 1
	})
	e := h.events(events.Filter{Message: id2, Kinds: []string{events.RelayDeferred}})[0]
	p := payload(t, e)
	reason, _ := p["reason"].(string)
	if p["category"] != "destination-backoff" || !strings.Contains(reason, "nothing was sent") || p["advice"] == "" {
		t.Errorf("held-back deferral %s: want destination-backoff saying nothing was sent", e.Payload)
	}
	if p["attempts"] != float64(0) {
		t.Errorf("held back counted as %v attempts, want 0", p["attempts"])
	}
}

// TestTranscriptOfRefusedConnection: an attempt that never connected still
// says why in its transcript.
func TestTranscriptOfRefusedConnection(t *testing.T) {
	t.Parallel()
	addr := closedAddr(t)
	h := newHarness(t, testConfig(addr), Options{})
	id := h.enqueue("a@s.test", "x@r.test")
	h.runUntil("deferral", func() bool {
		return len(h.events(events.Filter{Message: id, Kinds: []string{events.RelayDeferred}})) == 1
	})
	att := h.events(events.Filter{Message: id, Kinds: []string{events.RelayAttempt}})
	if len(att) != 1 {
		t.Fatalf("%d attempts", len(att))
	}
	ts, _ := payload(t, att[0])["transcript"].(string)
	if !strings.Contains(ts, "-- connecting to "+addr+" failed") {
		t.Errorf("transcript %q: want the failed connection", ts)
	}
}

func BenchmarkTranscript(b *testing.B) {
	tr := newTranscript(clock.Real{})
	b.ReportAllocs()
	for b.Loop() {
		tr.note("connected to 127.0.0.1:25")
		tr.received("220 mx.test ESMTP")
		tr.sent("EHLO relay.test")
		for _, l := range []string{"250-mx.test", "250-PIPELINING", "250-8BITMIME", "250-SIZE 10240000", "250 DSN"} {
			tr.received(l)
		}
		tr.sent("MAIL FROM:<alice@s.test> SIZE=2048")
		tr.sent("RCPT TO:<bob@r.test>")
		tr.received("250 2.1.0 ok")
		tr.received("250 2.1.5 ok")
		tr.sent("DATA")
		tr.received("354 go on")
		tr.sent("[2048 bytes of message data]")
		tr.sent(".")
		tr.received("250 2.0.0 queued as 1234")
		_ = tr.take()
	}
}

// TestKeptConnectionTranscript: on a kept connection the transcript says
// so, and a kept connection the server has closed meanwhile is in the
// transcript with the new connection that replaced it.
func TestKeptConnectionTranscript(t *testing.T) {
	t.Parallel()
	// One transaction per connection, then a silent close.
	addr := scriptedServer(t, func(tc *textproto.Conn) {
		commandLoop(tc, "220 once.test ESMTP", func(verb string) bool {
			switch verb {
			case "EHLO":
				tc.PrintfLine("250 once.test")
			case "DATA":
				tc.PrintfLine("354 go on")
				if _, err := tc.ReadDotBytes(); err == nil {
					tc.PrintfLine("250 2.0.0 queued")
				}
				return true
			default:
				tc.PrintfLine("250 2.1.0 ok")
			}
			return false
		})
	})
	cfg := testConfig(addr)
	cfg.Paths[0].MaxConnections = 1
	h := newHarness(t, cfg, Options{})
	var ids []string
	for i := 0; i < 7; i++ {
		ids = append(ids, h.enqueue("a@s.test", "b@r.test"))
	}
	h.runUntil("delivery", h.allDone(ids))
	gone := 0
	for _, e := range h.events(events.Filter{Kinds: []string{events.RelayAttempt}}) {
		ts, _ := payload(t, e)["transcript"].(string)
		for _, l := range strings.Split(ts, "\n") {
			if !strings.HasPrefix(l, "+") || !strings.Contains(l, "ms ") {
				t.Errorf("line without its time: %q in\n%s", l, ts)
			}
		}
		if strings.Contains(ts, "the kept connection is gone") {
			gone++
			if !strings.HasPrefix(ts, "+0ms -- a kept connection, used for 1 messages") || !strings.Contains(ts, "-- connected to") ||
				!strings.HasSuffix(ts, "S: 250 2.0.0 queued") {
				t.Errorf("transcript of a kept connection replaced by a new one:\n%s", ts)
			}
		}
	}
	if gone == 0 {
		t.Error("no attempt met a kept connection the server had closed; the test proves nothing")
	}
}

// TestTranscriptsOff: with transcripts: false the attempts carry no
// conversation, and still their reply and category.
func TestTranscriptsOff(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, func(f *fakeMTA) {
		f.onRcpt = func(string) error { return smtpErr(550, smtp.EnhancedCode{5, 1, 1}, "no such user") }
	})
	cfg := testConfig(mta.addr)
	off := false
	cfg.Transcripts = &off
	h := newHarness(t, cfg, Options{})
	id := h.enqueue("alice@s.test", "gone@r.test")
	h.runUntil("done", h.done(id, 1))
	att := h.events(events.Filter{Message: id, Kinds: []string{events.RelayAttempt}})
	if len(att) != 1 {
		t.Fatalf("%d attempt events, want 1", len(att))
	}
	p := payload(t, att[0])
	if _, ok := p["transcript"]; ok {
		t.Errorf("a transcript with transcripts: false: %v", p["transcript"])
	}
	if rep, _ := p["reply"].(map[string]any); rep["code"] != 550.0 {
		t.Errorf("reply %v, want the 550", p["reply"])
	}
}
