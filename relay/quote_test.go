package relay

import (
	"bufio"
	"context"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"

	"github.com/relaylab/relaylab/internal/events"
)

func TestSMTPPathQuotesLocalPart(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", ""},
		{"a@x.test", "a@x.test"},
		{"first.last@x.test", "first.last@x.test"},
		{"!#$%&'*+-/=?^_`{|}~@x.test", "!#$%&'*+-/=?^_`{|}~@x.test"},
		{"quoted local@x.test", `"quoted local"@x.test`},
		{`a"b@x.test`, `"a\"b"@x.test`},
		{`a\b@x.test`, `"a\\b"@x.test`},
		{"a@b@x.test", `"a@b"@x.test`},
		{".a@x.test", `".a"@x.test`},
		{"a.@x.test", `"a."@x.test`},
		{"a..b@x.test", `"a..b"@x.test`},
		{"a(b)@x.test", `"a(b)"@x.test`},
		{"@x.test", `""@x.test`},
		{"postmaster", "postmaster"},
		{"jörg@x.test", "jörg@x.test"}, // RFC 6531: UTF-8 is atext
	}
	for _, tt := range tests {
		if got := smtpPath(tt.in); got != tt.want {
			t.Errorf("smtpPath(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// recorder is a receiving server that keeps every command line as sent,
// which a go-smtp server (it unquotes addresses) cannot show.
type recorder struct {
	addr  string
	mu    sync.Mutex
	lines []string
}

func startRecorder(t *testing.T) *recorder {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	rec := &recorder{addr: l.Addr().String()}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go rec.serve(c)
		}
	}()
	return rec
}

func (rec *recorder) serve(c net.Conn) {
	defer c.Close()
	tp := textproto.NewConn(c)
	tp.PrintfLine("220 rec.test")
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		rec.mu.Lock()
		rec.lines = append(rec.lines, line)
		rec.mu.Unlock()
		switch verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0]); verb {
		case "EHLO", "HELO", "MAIL", "RCPT", "RSET", "NOOP":
			tp.PrintfLine("250 ok")
		case "DATA":
			tp.PrintfLine("354 go on")
			if _, err := tp.ReadDotBytes(); err != nil {
				return
			}
			tp.PrintfLine("250 2.0.0 ok")
		case "QUIT":
			tp.PrintfLine("221 bye")
			return
		default:
			tp.PrintfLine("502 5.5.1 not here")
		}
	}
}

func (rec *recorder) commands(prefix string) []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var out []string
	for _, l := range rec.lines {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return out
}

// submitRaw speaks to the submission listener line by line, so that the
// addresses reach it exactly as written.
func submitRaw(t *testing.T, addr string, lines ...string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tp := textproto.NewConn(c)
	expect := func(what string, code int) {
		t.Helper()
		if _, _, err := tp.ReadResponse(code); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	expect("greeting", 220)
	for _, l := range lines {
		tp.PrintfLine("%s", l)
		want := 250
		if l == "DATA" {
			want = 354
		}
		expect(l, want)
		if l == "DATA" {
			w := bufio.NewWriter(c)
			w.WriteString("Subject: quoted\r\n\r\nHello.\r\n.\r\n")
			w.Flush()
			expect("end of data", 250)
		}
	}
}

// A quoted local part goes on quoted, as it came in: sent bare, the next
// hop refuses it as a syntax error and the message bounces.
func TestQuotedLocalPartGoesOnQuoted(t *testing.T) {
	t.Parallel()
	for _, upstream := range []string{"recorder", "go-smtp"} {
		t.Run(upstream, func(t *testing.T) {
			t.Parallel()
			var rec *recorder
			var mta *fakeMTA
			addr := ""
			if upstream == "recorder" {
				rec = startRecorder(t)
				addr = rec.addr
			} else {
				mta = startMTA(t, nil)
				addr = mta.addr
			}
			cfg := submitConfig(addr)
			cfg.AllowedNetworks = []string{"127.0.0.0/8"}
			h := newHarness(t, cfg, Options{})
			submitRaw(t, h.r.Addr().String(), "EHLO c.test", `MAIL FROM:<"odd sender"@s.test>`,
				`RCPT TO:<"quoted local"@x.test>`, `RCPT TO:<"a\"b\\c"@x.test>`, "DATA")
			list, err := h.r.List(context.Background(), QueueFilter{})
			if err != nil || len(list) != 1 {
				t.Fatalf("queue: %d messages (%v), want 1", len(list), err)
			}
			id := list[0].ID
			h.runUntil("delivery", h.done(id, 2))
			for rcpt, kinds := range h.terminal(id) {
				if len(kinds) != 1 || kinds[0] != events.RelayDelivered {
					t.Errorf("%s: %v, want delivered", rcpt, kinds)
				}
			}
			if rec != nil {
				got := append(rec.commands("MAIL "), rec.commands("RCPT ")...)
				want := []string{`MAIL FROM:<"odd sender"@s.test>`, `RCPT TO:<"quoted local"@x.test>`, `RCPT TO:<"a\"b\\c"@x.test>`}
				if strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Errorf("sent\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
				}
			}
		})
	}
}

// A local part with a control character cannot be written in SMTP even
// quoted (RFC 5321 4.1.2: qtextSMTP and quoted-pairSMTP are %d32-126), so
// it is refused at once rather than accepted and bounced at the next hop.
func TestControlCharacterInLocalPartRefused(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	cfg := submitConfig(mta.addr)
	cfg.AllowedNetworks = []string{"127.0.0.0/8"}
	h := newHarness(t, cfg, Options{})
	tests := []struct {
		lines []string
		code  int
		enh   string
	}{
		{[]string{"MAIL FROM:<a@s.test>", "RCPT TO:<\"tab\there\"@x.test>"}, 501, "5.1.3"},
		{[]string{"MAIL FROM:<a@s.test>", "RCPT TO:<\"del\x7f\"@x.test>"}, 501, "5.1.3"},
		{[]string{"MAIL FROM:<\"bell\x07\"@s.test>"}, 501, "5.1.7"},
	}
	for _, tt := range tests {
		c, err := net.Dial("tcp", h.r.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		tp := textproto.NewConn(c)
		tp.ReadResponse(220)
		tp.PrintfLine("EHLO c.test")
		tp.ReadResponse(250)
		var code int
		var msg string
		for _, l := range tt.lines {
			tp.PrintfLine("%s", l)
			code, msg, err = tp.ReadResponse(250)
		}
		c.Close()
		if code != tt.code || !strings.HasPrefix(msg, tt.enh) {
			t.Errorf("%q: %d %s (%v), want %d %s", tt.lines, code, msg, err, tt.code, tt.enh)
		}
	}
}
