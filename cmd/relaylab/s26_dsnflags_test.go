package main

import (
	"context"
	"strings"
	"testing"
)

// TestSendAnswersDSNFlagsOfOtherTools: msmtp's and sendmail's names for
// the DSN requests are answered with send's, and msmtp's word for
// headers with the one --ret takes.
func TestSendAnswersDSNFlagsOfOtherTools(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--dsn-notify", "failure"}, "did you mean --notify?"},
		{[]string{"--dsn-return", "headers"}, "did you mean --ret? (msmtp's --dsn-return headers is --ret HDRS here"},
		{[]string{"-N", "failure"}, "did you mean --notify?"},
		{[]string{"-V", "id1"}, "did you mean --envid?"},
	} {
		code, _, errOut := runIn(t, context.Background(), append([]string{"send", "--to", "a@example.test"}, tc.args...)...)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("send %v: exit %d, stderr %q; want 2 and %q", tc.args, code, errOut, tc.want)
		}
	}
}
