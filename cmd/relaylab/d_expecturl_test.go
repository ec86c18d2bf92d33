package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExpectURLSaysABounceMayBeDue: over --url, where the API has only the
// bounces the sink sent, a failed dsn: sent says that a bounce may still
// be due and to give --wait (or --db), instead of only "expected a DSN to
// be sent, none was"; a file that expects no DSN gets no such note.
func TestExpectURLSaysABounceMayBeDue(t *testing.T) {
	t.Parallel()
	srv := fakeServeAPI(t, `{"attempts":[{"time":"2026-01-02T03:04:05Z","listener":"mx","client":"127.0.0.1","sender":"app@shop.test","recipient":"bounce1m@example.test","stage":"data","code":250,"enhanced":"2.0.0","text":"queued","message":1,"session":1}]}`, "")
	dir := t.TempDir()
	for _, tc := range []struct {
		name, body string
		code       int
		note       bool
	}{
		{"dsn sent", "name: late\nexpect:\n  recipients:\n    - {match: \"bounce1m@example.test\", dsn: sent}\n", 1, true},
		{"no dsn asked", "name: plain\nexpect:\n  recipients:\n    - {match: \"bounce1m@example.test\", status: bounced}\n", 1, false},
	} {
		file := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".yaml")
		if err := os.WriteFile(file, []byte(tc.body), 0o644); err != nil {
			t.Fatal(err)
		}
		code, out, errOut := runIn(t, context.Background(), "expect", "--url", srv.URL, file)
		has := strings.Contains(out, "over --url, expect sees only the bounces the sink has sent") && strings.Contains(out, "give --wait")
		if code != tc.code || has != tc.note {
			t.Errorf("%s: exit %d (want %d), note %v (want %v)\nstdout:\n%s\nstderr %s", tc.name, code, tc.code, has, tc.note, out, errOut)
		}
	}
}
