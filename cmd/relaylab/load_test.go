package main

import (
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/smtpload/smtptest"
)

func TestLoad(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t, smtptest.Options{StartTLS: true})
	cases := []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr []string
	}{
		{
			name:   "all accepted",
			args:   []string{"--sessions", "4", "--messages", "50", "--size", "1KB", "--reuse", "5"},
			stdout: []string{"tried 50 messages", "50 accepted", "accepted msgs/s", "replies by stage:", "data-end 250:", "50"},
			stderr: []string{"load: 50/50 messages tried"},
		},
		{
			name:   "starttls two recipients",
			args:   []string{"--sessions", "2", "--messages", "6", "--rcpts", "2", "--starttls", "--insecure", "--to", "u{n}-{r}@sink.test"},
			stdout: []string{"rcpt 250:", "12"},
		},
		{
			name:   "rejections",
			args:   []string{"--sessions", "2", "--messages", "10", "--to", "reject{n}@sink.test", "--quiet"},
			code:   5,
			stdout: []string{"rcpt 550 5.1.1:", "0 accepted, 10 refused", "category invalid-recipient"},
			stderr: []string{"10 of 10 messages tried were not accepted; the server refused with permanent (5xx) replies"},
		},
		{
			// Fewer messages than --sessions (10 by default): as many
			// sessions as messages, and the summary says so.
			name:   "fewer messages than sessions",
			args:   []string{"--messages", "3"},
			stdout: []string{"tried 3 messages on " + srv.Addr + " over 3 sessions in ", ": 3 accepted, 0 refused, 0 failed"},
		},
		{
			name: "bad flags",
			args: []string{"--sessions", "0"},
			code: 2,
		},
	}
	t.Cleanup(func() {
		// After the parallel subtests.
		if got := srv.Accepted(); got != 59 {
			t.Errorf("server accepted %d messages, want 59 (50 + 6 + 3)", got)
		}
	})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runCmd(t, "", append([]string{"load", "--target", srv.Addr}, tc.args...)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout, stderr)
			}
			for _, s := range tc.stdout {
				if !strings.Contains(stdout, s) {
					t.Errorf("stdout lacks %q:\n%s", s, stdout)
				}
			}
			for _, s := range tc.stderr {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, stderr)
				}
			}
		})
	}
}
