package main

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/smtpload/smtptest"
)

// TestLoadRcptsNeedR: with --rcpts over 1, a --to without {r} is refused
// (exit 2, naming {r} and giving the pattern with it), instead of sending
// each message to one address several times over; the default --to gains
// {r}, so each recipient of a message is an address of its own.
func TestLoadRcptsNeedR(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t, smtptest.Options{Keep: true})
	code, out, errOut := runIn(t, context.Background(), "load", "--target", srv.Addr, "--messages", "1", "--rcpts", "3", "--to", "a{n}@x.test", "--quiet")
	if code != 2 || !strings.Contains(errOut, `--to "a{n}@x.test" with --rcpts 3: every recipient of a message would be that one address, as --to has no {r}`) ||
		!strings.Contains(errOut, `such as "a{n}.{r}@x.test"`) || srv.Accepted() != 0 {
		t.Errorf("--rcpts 3, --to without {r}: exit %d, %d sent; want exit 2 and none sent\nstdout:\n%s\nstderr:\n%s", code, srv.Accepted(), out, errOut)
	}
	code, out, errOut = runIn(t, context.Background(), "load", "--target", srv.Addr, "--messages", "1", "--rcpts", "3", "--quiet")
	msgs := srv.Messages()
	want := []string{"user1.1@sink.test", "user1.2@sink.test", "user1.3@sink.test"}
	if code != 0 || len(msgs) != 1 || !slices.Equal(msgs[0].To, want) {
		t.Errorf("--rcpts 3 with the default --to: exit %d, messages %+v; want one to %v\nstdout:\n%s\nstderr:\n%s", code, msgs, want, out, errOut)
	}
}

// TestLoadJSONExitLinePointsToStdout: with --json, the line on stderr
// that says why the exit status is not 0 points to the JSON on stdout,
// not to "the summary above", which stderr does not hold.
func TestLoadJSONExitLinePointsToStdout(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t, smtptest.Options{})
	args := []string{"load", "--target", srv.Addr, "--messages", "1", "--to", "reject{n}@x.test", "--quiet"}
	code, out, errOut := runIn(t, context.Background(), append(args, "--json")...)
	if code != exitPermFail || !strings.HasPrefix(out, "{") || !strings.Contains(errOut, "(see the JSON summary on stdout)") || strings.Contains(errOut, "summary above") {
		t.Errorf("--json: exit %d; want %d and stderr pointing to the JSON on stdout\nstdout:\n%s\nstderr:\n%s", code, exitPermFail, out, errOut)
	}
	code, out, errOut = runIn(t, context.Background(), args...)
	if code != exitPermFail || !strings.Contains(errOut, "(see the summary above)") {
		t.Errorf("text: exit %d; want %d and stderr pointing to the summary above\nstdout:\n%s\nstderr:\n%s", code, exitPermFail, out, errOut)
	}
}
