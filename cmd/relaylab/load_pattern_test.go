package main

import (
	"context"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/smtpload/smtptest"
)

// load refuses a --to or --from that is no address once its placeholders
// are filled in ("nobrackets" went out as is), and a placeholder it does
// not fill ("{x}" went out literally), before it connects; the patterns
// it fills are taken.
func TestLoadRefusesPatternsThatAreNoAddress(t *testing.T) {
	t.Parallel()
	target, conns, _ := countingListener(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--to", "nobrackets"}, `--to "nobrackets": not an address: give user@domain`},
		{[]string{"--to", "user{n}@"}, `--to "user{n}@": not an address`},
		{[]string{"--to", "@sink.test"}, `--to "@sink.test": not an address`},
		{[]string{"--to", "u{x}@sink.test"}, `--to "u{x}@sink.test": unknown placeholder {x}; the placeholders are {n}`},
		{[]string{"--to", "u{N}@sink.test"}, `unknown placeholder {N}`},
		{[]string{"--from", "s{r}@x.test"}, `--from "s{r}@x.test": unknown placeholder {r}; {n} is the only placeholder here`},
		{[]string{"--from", "sender"}, `--from "sender": not an address`},
		{[]string{"--to", "u@[300.1.1.1]"}, `--to "u@[300.1.1.1]": [300.1.1.1] is not an IPv4 address literal`},
	} {
		args := append([]string{"load", "--target", target, "--messages", "1", "--quiet"}, tc.args...)
		code, _, errOut := runIn(t, context.Background(), args...)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d (want 2), stderr %q (want %q)", tc.args, code, errOut, tc.want)
		}
	}
	if n := len(conns); n != 0 {
		t.Errorf("%d connections were made; bad patterns must be refused before connecting", n)
	}
	for _, ok := range [][]string{{"--to", "u{n}.{r}@sink.test"}, {"--to", "Postmaster"}, {"--from", ""}, {"--from", "s{n}@x.test"}} {
		if err := checkLoadPattern(strings.TrimPrefix(ok[0], "--"), ok[1], map[string][]string{"--to": {"{n}", "{r}"}, "--from": {"{n}"}}[ok[0]]...); err != nil {
			t.Errorf("%q: %v, want it taken", ok, err)
		}
	}
}

// load says at its start where it sends, and that the target is the
// default when no --target was given.
func TestLoadSaysItsTarget(t *testing.T) {
	t.Parallel()
	if got, want := loadTargetLine("127.0.0.1:2525", false, 1000, 10, 0), "load: 1000 messages to 127.0.0.1:2525 over 10 sessions (no --target: the default, relaylab sink's own address)"; got != want {
		t.Errorf("without --target:\n got %q\nwant %q", got, want)
	}
	srv := smtptest.Start(t, smtptest.Options{}).Addr
	code, out, errOut := runIn(t, context.Background(), "load", "--target", srv, "--messages", "1", "--quiet")
	if want := "load: 1 message to " + srv + " over 1 session\n"; code != 0 || !strings.HasPrefix(out, want) {
		t.Errorf("exit %d, stdout %q, want it to begin %q (stderr %q)", code, out, want, errOut)
	}
}
