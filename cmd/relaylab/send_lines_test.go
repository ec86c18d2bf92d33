package main

import (
	"context"
	"mime"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// longestLine is the length of the longest line of msg, without its CRLF.
func longestLine(msg string) (n int, line string) {
	for l := range strings.SplitSeq(msg, "\r\n") {
		if len(l) > n {
			n, line = len(l), l
		}
	}
	return n, line
}

// TestSendMessageLines: send's built message keeps every line within 998
// characters and its header lines within 78 where they fold: a Subject of
// 60 non-ASCII words (1,176 characters of encoded-words on one line
// before), a --header of 300 words (1,508), a --body line of 5,000
// characters (sent 7bit, and refused 500 5.4.0 by a receiver) and an
// --attach file of a 200-character name (a Content-Disposition line of
// 255, now RFC 2231 continuations); each reads back whole.
func TestSendMessageLines(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	name := strings.Repeat("n", 196) + ".txt"
	file := filepath.Join(dir, name)
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	subject := strings.TrimSpace(strings.Repeat("Grüße ", 60))
	long := strings.TrimSpace(strings.Repeat("word ", 300))
	body := strings.Repeat("b", 5000) + "\n"
	for _, attach := range []bool{false, true} {
		o := &sendOptions{from: "a@x.test", to: multiFlag{"b@y.test"}, subject: subject, headers: multiFlag{"X-Long: " + long}}
		if attach {
			o.attached = []attachment{{name: name, data: []byte("x")}}
		}
		b, err := buildMessage(o, body, time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		msg := string(b)
		head, _, _ := strings.Cut(msg, "\r\n\r\n")
		if n, l := longestLine(head + "\r\n"); n > foldAt {
			t.Errorf("attach %v: a header line of %d characters: %.100q", attach, n, l)
		}
		if n, l := longestLine(msg); n > maxLine {
			t.Errorf("attach %v: a line of %d characters: %.100q", attach, n, l)
		}
		m, err := mail.ReadMessage(strings.NewReader(msg))
		if err != nil {
			t.Fatal(err)
		}
		dec := new(mime.WordDecoder)
		if got, _ := dec.DecodeHeader(m.Header.Get("Subject")); got != subject {
			t.Errorf("attach %v: Subject reads back %q", attach, got)
		}
		if got := m.Header.Get("X-Long"); got != long {
			t.Errorf("attach %v: X-Long reads back %.80q...", attach, got)
		}
		if !strings.Contains(msg, "Content-Transfer-Encoding: quoted-printable") {
			t.Errorf("attach %v: a body line of 5,000 characters is not quoted-printable", attach)
		}
		if attach {
			i := strings.Index(msg, "Content-Disposition: ")
			field, _, _ := strings.Cut(strings.ReplaceAll(msg[i:], "\r\n ", " "), "\r\n") // unfolded
			_, params, err := mime.ParseMediaType(strings.TrimPrefix(field, "Content-Disposition: "))
			if err != nil || params["filename"] != name {
				t.Errorf("Content-Disposition %q reads back %q (%v), want %q", field, params["filename"], err, name)
			}
		}
	}
	o := &sendOptions{from: "a@x.test", to: multiFlag{"b@y.test"}, headers: multiFlag{"X-Run: " + strings.Repeat("r", 1200)}}
	if _, err := buildMessage(o, "hi\n", time.Now()); err == nil || !strings.Contains(err.Error(), "--header \"X-Run: rrr") || !strings.Contains(err.Error(), "at most 998") {
		t.Errorf("a --header with a run of 1,200 characters: %v; want it refused, naming it", err)
	}
}

// TestSendRefusesWhatBreaksTheMessage: --attach with a --header
// Content-Type or Content-Transfer-Encoding is bad input (exit 2, naming
// both), where the header field replaced the multipart's Content-Type
// and the receiver saw text/html with the boundary lines in it; an
// address with a trailing dot is called that, not "two dots in a row, or
// a dot at the start".
func TestSendRefusesWhatBreaksTheMessage(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "a.txt")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"Content-Type: text/html", "content-transfer-encoding: 8bit"} {
		code, _, errOut := runIn(t, context.Background(), "send", "--to", "b@y.test", "--attach", file, "--header", h)
		name, _, _ := strings.Cut(h, ":")
		if code != 2 || !strings.Contains(errOut, "--attach and --header") || !strings.Contains(strings.ToLower(errOut), strings.ToLower(name)) {
			t.Errorf("--attach with --header %q: exit %d, stderr %q", h, code, errOut)
		}
	}
	for _, args := range [][]string{{"send", "--to", "a@x.test."}, {"send", "--to", "b@y.test", "--from", "a@x.test."}, {"load", "--to", "u{n}@x.test."}} {
		code, _, errOut := runIn(t, context.Background(), args...)
		if code != 2 || !strings.Contains(errOut, "has a trailing dot") || strings.Contains(errOut, "two dots") {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
}

// TestSendQuitAfterRcptMixed: --quit-after rcpt with one recipient
// accepted and one refused tries both, sends QUIT, and says which was
// accepted (exit 5 for the 550), where it stopped at the refusal without
// QUIT and never named the accepted one.
func TestSendQuitAfterRcptMixed(t *testing.T) {
	t.Parallel()
	addr, cmds := scriptServer(t, "250 script.test", func(cmd string) (string, bool) {
		if cmd == "RCPT TO:<b@y.test>" {
			return "550 5.1.1 no such user", false
		}
		return okAnswer(cmd)
	})
	code, out, errOut := runIn(t, context.Background(), "send", "--server", addr, "--to", "b@y.test", "--to", "c@y.test", "--quit-after", "rcpt")
	if got := strings.Join(cmds(), ", "); !strings.HasSuffix(got, "RCPT TO:<b@y.test>, RCPT TO:<c@y.test>, QUIT") {
		t.Errorf("commands %q; want both RCPTs, then QUIT", got)
	}
	if code != exitPermFail || !strings.Contains(errOut, "accepted at RCPT: <c@y.test>") || !strings.Contains(errOut, "<b@y.test>: server rejected the recipient at RCPT TO: 550 5.1.1") ||
		!strings.Contains(errOut, "category ") {
		t.Errorf("exit %d (want 5)\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}
