package main

import (
	"context"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/smtpload/smtptest"
)

// TestSendHeaderEncoded: a --header that is not ASCII is written as RFC
// 2047 encoded-words where the field can hold them (text, display names),
// as --subject is, so that a server without SMTPUTF8 takes the message; a
// field that cannot (Keywords, Date, Content-Type) goes in UTF-8 as
// written, with SMTPUTF8 (RFC 6532), and a server without SMTPUTF8 is not
// sent it. send wrote every --header raw: `--header "Subject: héllo"` went
// out as 8-bit with SMTPUTF8, or was not sent at all (exit 1) to a server
// without SMTPUTF8, where --subject héllo was delivered.
func TestSendHeaderEncoded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	plain := smtptest.Start(t, smtptest.Options{Keep: true}) // no SMTPUTF8
	for _, tc := range []struct {
		name     string
		header   []string
		received []string
		notIn    string // in no line of the received message
	}{
		{"subject", []string{"Subject: héllo wörld"}, []string{"\r\nSubject: =?utf-8?q?h=C3=A9llo_w=C3=B6rld?=\r\n"}, "héllo"},
		{"x- field", []string{"X-Note: über"}, []string{"\r\nX-Note: =?utf-8?q?=C3=BCber?=\r\n"}, "über"},
		{"display name", []string{"Cc: José Díaz <jd@y.test>, plain@y.test"}, []string{"\r\nCc: =?utf-8?q?Jos=C3=A9_D=C3=ADaz?= <jd@y.test>, <plain@y.test>\r\n"}, "José"},
		{"ascii as written", []string{"X-Pre: =?utf-8?q?d=C3=A9j=C3=A0?="}, []string{"\r\nX-Pre: =?utf-8?q?d=C3=A9j=C3=A0?=\r\n"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := []string{"send", "--server", plain.Addr, "--helo", "client.test", "--timeout", "20s", "--to", "b@y.test", "--from", "a@x.test"}
			for _, h := range tc.header {
				args = append(args, "--header", h)
			}
			code, out, errOut := runIn(t, ctx, args...)
			if code != 0 {
				t.Fatalf("exit %d, want 0: the field can be encoded, and needs no SMTPUTF8\nstdout %s\nstderr %s", code, out, errOut)
			}
			var got string
			for _, m := range plain.Messages() {
				if strings.Contains(string(m.Data), tc.received[0]) {
					got = string(m.Data)
				}
			}
			for _, want := range tc.received {
				if !strings.Contains(got, want) {
					t.Errorf("no message with %q; sent:\n%s", want, out)
				}
			}
			if tc.notIn != "" && strings.Contains(got, tc.notIn) {
				t.Errorf("message holds %q as written:\n%s", tc.notIn, got)
			}
		})
	}

	// Fields that cannot hold an encoded-word go as written, with SMTPUTF8.
	utf8 := "250-script.test\r\n250-8BITMIME\r\n250 SMTPUTF8"
	for _, h := range []string{"Keywords: café", "Content-Language: ü"} {
		t.Run(h, func(t *testing.T) {
			t.Parallel()
			addr, cmds := scriptServer(t, utf8, okAnswer)
			code, out, errOut := runIn(t, ctx, "send", "--server", addr, "--helo", "client.test", "--timeout", "20s", "--to", "b@y.test", "--header", h)
			if code != 0 || !strings.Contains(out, " -> "+h+"\n") {
				t.Errorf("exit %d, want 0 and %q as written\nstdout %s\nstderr %s", code, h, out, errOut)
			}
			for _, c := range cmds() {
				if strings.HasPrefix(c, "MAIL") && !strings.Contains(c, " SMTPUTF8") {
					t.Errorf("%s: want SMTPUTF8 for a header in UTF-8 (RFC 6532)", c)
				}
			}
			// A server without SMTPUTF8 is not sent it, and is told why.
			code, _, errOut = runIn(t, ctx, "send", "--server", plain.Addr, "--helo", "client.test", "--timeout", "20s", "--to", "b@y.test", "--header", h)
			if code != 1 || !strings.Contains(errOut, "does not offer SMTPUTF8") || !strings.Contains(errOut, "--header text and display names, are encoded for you") {
				t.Errorf("to a server without SMTPUTF8: exit %d, want 1\nstderr %s", code, errOut)
			}
		})
	}

	// A field name is ASCII whatever the value (RFC 5322 2.2).
	code, _, errOut := runIn(t, ctx, "send", "--server", plain.Addr, "--to", "b@y.test", "--header", "Sübject: x")
	if code != 2 || !strings.Contains(errOut, `the field name "Sübject" is not ASCII`) {
		t.Errorf("non-ASCII field name: exit %d, want 2\nstderr %s", code, errOut)
	}
}
