package sink

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// TestRFCReplies checks the whole reply, enhanced code included, where the
// sink corrects go-smtp: each line is a command and the reply it must get.
func TestRFCReplies(t *testing.T) {
	t.Parallel()
	s, _ := testSink(t, nil, nil)
	addr := addrOf(t, s, "mx")
	type step struct {
		cmd  string
		code int
		text string // the reply contains it
	}
	cases := []struct {
		name  string
		ehlo  bool
		steps []step
	}{
		{"MAIL before EHLO", false, []step{{"MAIL FROM:<a@x.test>", 503, "5.5.1 Bad sequence of commands: send EHLO"}}},
		{"AUTH before EHLO", false, []step{{"AUTH PLAIN", 503, "5.5.1"}}},
		{"RCPT before MAIL", true, []step{{"RCPT TO:<u@sink.test>", 503, "5.5.1 Bad sequence of commands: send MAIL FROM first"}}},
		{"DATA before MAIL", true, []step{{"DATA", 503, "5.5.1 Bad sequence of commands: send MAIL FROM and RCPT TO first"}}},
		{"DATA before RCPT", true, []step{{"MAIL FROM:<a@x.test>", 250, ""}, {"DATA", 503, "5.5.1 Bad sequence of commands: send RCPT TO first"}}},
		{"DATA after every RCPT refused", true, []step{
			{"MAIL FROM:<a@x.test>", 250, ""}, {"RCPT TO:<rcpt550@sink.test>", 550, "5.1.1"},
			{"DATA", 554, "5.5.1 No valid recipients"},
			// A new transaction starts the count again.
			{"RSET", 250, ""}, {"MAIL FROM:<a@x.test>", 250, ""}, {"DATA", 503, "5.5.1"},
		}},
		// A rule's own 502 is the tester's wish, not go-smtp's.
		{"502 from a directive stays", true, []step{{"MAIL FROM:<a@x.test>", 250, ""}, {"RCPT TO:<rcpt502-5.5.1@sink.test>", 502, "5.5.1"}}},
		{"unknown verb of five letters", true, []step{{"XYZZY", 500, "5.5.2 Command unrecognized"}}},
		{"unknown verb with an argument", true, []step{{"FOOBAR baz", 500, "5.5.2"}}},
		{"unknown verb of four letters", true, []step{{"FOOB", 500, "5.5.2"}}},
		{"known verb, bad syntax", true, []step{{"QUIT ", 501, "5.5.2"}}},
		{"AUTH without a mechanism", true, []step{{"AUTH", 501, "5.5.4"}}},
		{"AUTH with an initial response that is not BASE64", true, []step{{"AUTH PLAIN !!!", 501, "5.5.2"}}},
		{"overlong command line", true, []step{{"NOOP " + strings.Repeat("y", 2100), 500, "5.4.0 Line too long: the limit is 2000 octets"}}},
		{"NUL in the EHLO domain", false, []step{{"EHLO a\x00b.test", 501, "5.5.2 Syntax error in the EHLO argument"}, {"EHLO ok.test", 250, ""}}},
		{"not implemented stays 502", true, []step{{"EXPN list", 502, "5.5.1"}}},
		{"NUL in the sender", true, []step{{"MAIL FROM:<a\x00b@x.test>", 553, "5.1.7 Bad sender address syntax: control character 0x00"}}},
		{"DEL in the recipient", true, []step{{"MAIL FROM:<a@x.test>", 250, ""}, {"RCPT TO:<u\x7f@sink.test>", 553, "5.1.3 Bad recipient address syntax"}}},
		{"tab in a quoted sender", true, []step{{"MAIL FROM:<\"a\tb\"@x.test>", 553, "5.1.7"}}},
		{"address literal that is no IPv4 address", true, []step{{"MAIL FROM:<a@x.test>", 250, ""}, {"RCPT TO:<u@[300.1.1.1]>", 553, "5.1.3 Bad recipient address syntax: [300.1.1.1] is not an IPv4 address literal"}}},
		{"IPv6 address literal", true, []step{{"MAIL FROM:<a@[IPv6:2001:db8::1]>", 250, ""}, {"RCPT TO:<u@[192.0.2.1]>", 250, ""}}},
		{"UTF-8 sender is fine", true, []step{{"MAIL FROM:<ü@x.test> SMTPUTF8", 250, ""}}},
		// RFC 1870 6: a SIZE too large for go-smtp's 32 bits is still a size.
		{"SIZE of 14 digits", true, []step{{"MAIL FROM:<a@x.test> SIZE=99999999999999", 552, "5.3.4 Message size exceeds the limit of 26214400 octets"}}},
		{"SIZE that is no number", true, []step{{"MAIL FROM:<a@x.test> SIZE=12x", 501, "5.5.4"}}},
		{"SIZE within the limit", true, []step{{"MAIL FROM:<a@x.test> SIZE=40", 250, ""}, {"RCPT TO:<u@sink.test>", 250, ""}, {"DATA", 354, ""}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := dial(t, addr)
			if tc.ehlo {
				c.greet()
			} else if code, msg := c.read(); code != 220 {
				t.Fatalf("greeting: %d %q", code, msg)
			}
			for _, st := range tc.steps {
				c.expect(st.code, st.text, "%s", st.cmd)
			}
		})
	}
}

// A SASL response that is not BASE64 gets 501 (RFC 4954 4), and the text
// says which response it was.
func TestAuthResponseNotBase64(t *testing.T) {
	t.Parallel()
	s, _ := testSink(t, nil, func(c *Config) {
		c.Listeners[0].Auth = AuthConfig{Mode: "optional", Users: map[string]string{"u": "p"}}
	})
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	c.expect(334, "", "AUTH LOGIN")
	c.expect(501, "5.5.2 Syntax error: the response is not valid BASE64", "%%%%%%")
	c.expect(501, "5.5.2 Syntax error: the initial response is not valid BASE64", "AUTH PLAIN %%%%")
	c.expect(235, "", "AUTH PLAIN AHUAcA==")
}

// TestTooManyErrorsCloses421 checks that the session ends with one 421 and
// a closed connection, after a reply to each of the commands before it.
func TestTooManyErrorsCloses421(t *testing.T) {
	t.Parallel()
	s, _ := testSink(t, nil, nil)
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	// maxSyntaxErrors (20, as Postfix's smtpd_hard_error_limit) are
	// answered; the next gets its 500, then the 421.
	io.WriteString(c.nc, strings.Repeat("XYZZY\r\n", 30))
	for i := range 21 {
		if code, msg := c.read(); code != 500 {
			t.Fatalf("error %d: got %d %q, want 500", i+1, code, msg)
		}
	}
	if code, msg := c.read(); code != 421 || !strings.HasPrefix(msg, "4.7.0 ") {
		t.Fatalf("after 21 errors: got %d %q, want 421 4.7.0", code, msg)
	}
	if code, msg := c.read(); code != 0 {
		t.Fatalf("a reply %d %q after the 421; want the connection closed", code, msg)
	}
}

// TestPipelinedBeforeOverlongLine sends a whole transaction and an overlong
// message line in one write, with a small line limit.
func TestPipelinedBeforeOverlongLine(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, func(c *Config) { c.Listeners[0].Limits.MaxLineLength = 600 })
	c := dial(t, addrOf(t, s, "mx"))
	if code, msg := c.read(); code != 220 {
		t.Fatalf("greeting: %d %q", code, msg)
	}
	io.WriteString(c.nc, "EHLO x.test\r\nMAIL FROM:<p@x.test>\r\nRCPT TO:<u@sink.test>\r\nDATA\r\nSubject: x\r\n\r\n"+
		strings.Repeat("z", 700)+"\r\n.\r\nNOOP\r\n")
	for i, want := range []int{250, 250, 250, 354, 500} {
		if code, msg := c.read(); code != want {
			t.Fatalf("reply %d: got %d %q, want %d", i+1, code, msg, want)
		}
	}
	if code, msg := c.read(); code != 0 {
		t.Fatalf("a reply %d %q after the 500; want the connection closed", code, msg)
	}
	waitSessions(t, st, 1)
	if n := itCount(t, st.DB(), `SELECT COUNT(*) FROM sink_messages WHERE code = 250`); n != 0 {
		t.Errorf("%d messages accepted; the one with the overlong line must not be", n)
	}
}

func TestLineGuardCut(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		limit   int
		cur     int
		in      string
		want    int
		wantCur int
	}{
		{"no limit", 0, 0, strings.Repeat("a", 50) + "\n", 51, 0},
		{"short lines", 10, 0, "abc\r\ndef\r\n", 10, 1},
		{"partial line carries on", 10, 0, "abcdef", 6, 6},
		{"overlong after two lines", 10, 0, "ab\r\ncd\r\n" + strings.Repeat("x", 20), 8, 1},
		{"overlong from the start", 10, 0, strings.Repeat("x", 20) + "\r\nok\r\n", 26, 1},
		{"overlong line begun in an earlier read", 10, 8, "xxxx\r\nok\r\n", 10, 1},
		{"line that fits exactly", 5, 0, "abcd\n", 5, 1},
		{"overlong line ends, next one too long", 1, 4, "\n0", 1, 1},
		{"the newline counts toward the next line", 5, 0, "a\nabcde\n", 2, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := lineGuard{limit: tc.limit, cur: tc.cur}
			if got := g.cut([]byte(tc.in)); got != tc.want || g.cur != tc.wantCur {
				t.Errorf("cut(%q) = %d with cur %d, want %d with cur %d", tc.in, got, g.cur, tc.want, tc.wantCur)
			}
		})
	}
}

// cutByOctet is lineGuard.cut written the slow way, octet by octet as
// go-smtp's lineLimitReader counts, for FuzzLineGuard to compare with.
func cutByOctet(g *lineGuard, b []byte) int {
	if g.limit <= 0 {
		return len(b)
	}
	cur, start, over := g.cur, 0, -1
	for i, ch := range b {
		if ch == '\n' {
			cur, start = 0, i+1
		}
		cur++
		if cur > g.limit && over < 0 {
			over = start
		}
	}
	if over > 0 {
		g.cur = 1
		return over
	}
	g.cur = cur
	return len(b)
}

// FuzzLineGuard checks cut against the octet-by-octet count, that it
// always passes something on, and that it cuts only after a line.
func FuzzLineGuard(f *testing.F) {
	f.Add([]byte("EHLO x\r\nNOOP\r\n"+strings.Repeat("y", 40)), uint8(16), uint8(7))
	f.Add([]byte("\n\n\n"), uint8(1), uint8(1))
	f.Add([]byte("abcd\nabcde\n"), uint8(5), uint8(3))
	f.Fuzz(func(t *testing.T, b []byte, limit, piece uint8) {
		g, ref := lineGuard{limit: int(limit)}, lineGuard{limit: int(limit)}
		for len(b) > 0 {
			chunk := b[:min(len(b), int(piece)+1)]
			n, want := g.cut(chunk), cutByOctet(&ref, chunk)
			if n != want || g.cur != ref.cur {
				t.Fatalf("cut(%q) = %d with cur %d; octet by octet %d with cur %d", chunk, n, g.cur, want, ref.cur)
			}
			if n <= 0 || n > len(chunk) {
				t.Fatalf("cut returned %d of %d", n, len(chunk))
			}
			if n < len(chunk) && chunk[n-1] != '\n' {
				t.Fatalf("cut at %d, not after a line", n)
			}
			b = b[n:]
		}
	})
}

func TestParseWireReply(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in             string
		code           int
		enhanced, text string
	}{
		{"502 5.5.1 Missing RCPT TO command.\r\n", 502, "5.5.1", "Missing RCPT TO command."},
		{"250-x\r\n250 SIZE 10\r\n", 250, "", "SIZE 10"},
		{"354 Go ahead\r\n", 354, "", "Go ahead"},
		{"500\r\n", 500, "", ""},
		{"5\r\n", 0, "", ""},
	} {
		code, enh, text := parseWireReply([]byte(tc.in))
		if code != tc.code || enh != tc.enhanced || text != tc.text {
			t.Errorf("parseWireReply(%q) = %d %q %q, want %d %q %q", tc.in, code, enh, text, tc.code, tc.enhanced, tc.text)
		}
	}
	if !isTooManyErrors([]byte("500 5.5.1 Too many errors. Quiting now\r\n")) || isTooManyErrors([]byte("500 5.5.2 Bad\r\n")) {
		t.Error("isTooManyErrors does not tell go-smtp's reply from others")
	}
}

func TestReadMessage(t *testing.T) {
	t.Parallel()
	msg := bytes.Repeat([]byte("0123456789abcdef"), 300_000) // 4.8 MB
	boom := errors.New("boom")
	cases := []struct {
		name         string
		r            io.Reader
		hint, limit  int64
		want         []byte
		err          error
		wantExactCap bool
	}{
		{"empty", bytes.NewReader(nil), 0, 0, []byte{}, nil, false},
		{"small, no limit", bytes.NewReader(msg[:100]), 0, 0, msg[:100], nil, false},
		{"large in pieces", iotest.HalfReader(bytes.NewReader(msg)), 0, 10 << 20, msg, nil, false},
		{"one byte at a time", iotest.OneByteReader(bytes.NewReader(msg[:70_000])), 0, 0, msg[:70_000], nil, false},
		{"SIZE right: one buffer", bytes.NewReader(msg), int64(len(msg)), 10 << 20, msg, nil, true},
		{"SIZE too small", bytes.NewReader(msg), 1000, 10 << 20, msg, nil, false},
		{"SIZE beyond the limit", bytes.NewReader(msg[:5000]), 1 << 40, 10 << 20, msg[:5000], nil, false},
		{"error", io.MultiReader(bytes.NewReader(msg[:1000]), iotest.ErrReader(boom)), 0, 0, nil, boom, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := readMessage(tc.r, tc.hint, tc.limit)
			if !errors.Is(err, tc.err) {
				t.Fatalf("error %v, want %v", err, tc.err)
			}
			if tc.err == nil && !bytes.Equal(got, tc.want) {
				t.Fatalf("read %d bytes, not the %d sent", len(got), len(tc.want))
			}
			if tc.wantExactCap && cap(got) != len(tc.want)+1 {
				t.Errorf("cap %d for a message of %d with a right SIZE, want %d", cap(got), len(tc.want), len(tc.want)+1)
			}
		})
	}
}

// BenchmarkReadMessage reads a 10 MB message, the shape of a client at the
// limit: compare B/op with and without a SIZE hint.
func BenchmarkReadMessage(b *testing.B) {
	msg := bytes.Repeat([]byte("x"), 10<<20)
	for _, hint := range []int64{0, int64(len(msg))} {
		name := "no SIZE"
		if hint > 0 {
			name = "SIZE"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(msg)))
			for b.Loop() {
				if _, err := readMessage(bytes.NewReader(msg), hint, 25<<20); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestValidEnhanced(t *testing.T) {
	t.Parallel()
	cases := map[string]bool{
		"2.0.0": true, "4.7.1": true, "5.1.1": true, "5.999.999": true, "4.10.0": true,
		"": false, "3.0.0": false, "1.0.0": false, "5.1": false, "5.1.1.1": false, "5..1": false,
		"5.1.": false, ".1.1": false, "5.1000.1": false, "5.1.1000": false, "5.a.1": false,
		"5.1.x": false, "55.1.1": false, "5.1.1 ": false, "5.-1.1": false,
	}
	for in, want := range cases {
		if got := validEnhanced(in); got != want {
			t.Errorf("validEnhanced(%q) = %v, want %v", in, got, want)
		}
	}
}
