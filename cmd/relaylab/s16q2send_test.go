package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSendNotesBytesNoMailMayHold: a --data file whose header has a
// Latin-1 octet, or that holds a NUL, is sent as it is (send is for
// testing receivers too) with a note saying what is wrong and why, where
// it went out with SMTPUTF8 on MAIL FROM, or with the NUL, without a word.
func TestSendNotesBytesNoMailMayHold(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	latin1 := filepath.Join(dir, "latin1.eml")
	os.WriteFile(latin1, []byte("From: a@shop.test\nSubject: caf\xe9\n\nhi\n"), 0o644)
	nul := filepath.Join(dir, "nul.eml")
	os.WriteFile(nul, []byte("Subject: x\n\nline one\nbad \x00 here\n"), 0o644)
	utf8 := filepath.Join(dir, "utf8.eml")
	os.WriteFile(utf8, []byte("Subject: caf\xc3\xa9\n\nhi\n"), 0o644)
	full := "250-script.test\r\n250-8BITMIME\r\n250 SMTPUTF8"
	for _, tt := range []struct {
		name, ehlo, file string
		code             int
		want, notWant    []string
	}{
		{"latin-1 header", full, latin1, 0, []string{
			"=== note: the header has octet 0xE9 on line 2, which is not UTF-8 (Latin-1, say): a header may hold 8-bit text only as UTF-8, with SMTPUTF8 (RFC 6532 3.2), so no server has to take it; sent as it is, with SMTPUTF8 on MAIL FROM",
			"RFC 2047 encoded-word"}, []string{"NUL"}},
		{"latin-1 header, no SMTPUTF8", "250-script.test\r\n250 8BITMIME", latin1, 1, []string{"=== note: the header has octet 0xE9 on line 2"}, []string{"sent as it is"}},
		{"NUL", full, nul, 0, []string{"=== note: the message has a NUL octet (0x00) on line 4: no mail may hold one (RFC 5322 2.3", "sent as it is"}, []string{"not UTF-8"}},
		{"UTF-8 header", full, utf8, 0, nil, []string{"=== note"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr, _ := scriptServer(t, tt.ehlo, okAnswer)
			code, out, errOut := runIn(t, context.Background(), "send", "--server", addr, "--helo", "client.test", "--timeout", "20s",
				"--to", "b@y.test", "--data", tt.file)
			if code != tt.code {
				t.Fatalf("exit %d (want %d)\nstdout:\n%s\nstderr:\n%s", code, tt.code, out, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(out, w) {
					t.Errorf("stdout has %q:\n%s", w, out)
				}
			}
		})
	}
}
