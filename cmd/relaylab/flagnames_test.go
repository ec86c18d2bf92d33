package main

import (
	"context"
	"strings"
	"testing"
)

// TestAddressFlagErrorsNameTheFlag: a bad address given with a flag is
// exit 2 naming the flag, not the configuration key the flag overrides.
func TestAddressFlagErrorsNameTheFlag(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args      []string
		want, not string
	}{
		{[]string{"relay", "--listen", "nowhere"}, `--listen "nowhere" is not host:port`, "relay.listen"},
		{[]string{"relay", "--listen", "127.0.0.1:99999"}, `--listen "127.0.0.1:99999": port 99999 is out of range`, "relay.listen"},
		{[]string{"relay", "--smarthost", "smtp.example.test:99999"}, `--smarthost "smtp.example.test:99999": port 99999 is out of range`, "relay.paths"},
		{[]string{"relay", "--smarthost", ":25"}, `--smarthost ":25" has no host`, "relay.paths"},
		{[]string{"sink", "--listen", "nowhere"}, `--listen "nowhere" is not host:port`, "sink.listeners"},
	} {
		code, _, errOut := runIn(t, context.Background(), tc.args...)
		if code != 2 || !strings.Contains(errOut, tc.want) || strings.Contains(errOut, tc.not) {
			t.Errorf("%v: exit %d (want 2), stderr %q (want %q, not %q)", tc.args, code, errOut, tc.want, tc.not)
		}
	}
}
