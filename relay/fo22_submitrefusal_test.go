package relay

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/testutil"
)

// TestFO22SubmitRelayingDeniedLoggedAndCounted: walk M1. A client outside
// relay.allowed_networks that tries to relay without AUTH (530 at MAIL,
// or 550 at RCPT after a null sender) was neither logged nor counted,
// while a failed AUTH was logged. Now each is counted
// (SubmissionRefusals) and logged at WARN with the client, sender,
// recipient and reason, at most once per client address a minute (the
// relay's clock), the next line counting those left out; failed AUTHs
// are counted too.
func TestFO22SubmitRelayingDeniedLoggedAndCounted(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	var logs testutil.SyncBuffer
	h := newHarness(t, submitConfig(mta.addr), Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	addr := h.r.Addr().String()
	lines := func() []string {
		var out []string
		for _, l := range strings.Split(logs.String(), "\n") {
			if strings.Contains(l, "relaying denied") {
				out = append(out, l)
			}
		}
		return out
	}

	c := dialSubmission(t, addr, false)
	for i := range 3 {
		if err := c.Mail("spammer@x.test", nil); smtpCode(err) != 530 {
			t.Fatalf("MAIL %d from outside allowed_networks: %v, want 530", i+1, err)
		}
	}
	got := lines()
	if len(got) != 1 {
		t.Fatalf("three refusals in a minute logged %d lines, want 1:\n%s", len(got), logs.String())
	}
	for _, want := range []string{"level=WARN", "client=127.0.0.1:", "from=<spammer@x.test>", "reason=", "allowed_networks", "refused_unlogged=0"} {
		if !strings.Contains(got[0], want) {
			t.Errorf("the line does not say %q:\n%s", want, got[0])
		}
	}
	if strings.Contains(got[0], " to=") {
		t.Errorf("a refusal at MAIL names a recipient:\n%s", got[0])
	}

	h.v.Advance(refusalLogEvery)
	if err := c.Mail("", nil); err != nil {
		t.Fatalf("MAIL FROM:<> (a DSN may come in): %v", err)
	}
	if err := c.Rcpt("victim@y.test", nil); smtpCode(err) != 550 {
		t.Fatalf("RCPT after a null sender, not to the bounce address: %v, want 550", err)
	}
	got = lines()
	if len(got) != 2 || !strings.Contains(got[1], "from=<>") || !strings.Contains(got[1], "to=victim@y.test") || !strings.Contains(got[1], "refused_unlogged=2") {
		t.Errorf("a minute later, the refused RCPT: lines\n%s\nwant a second naming from=<>, to=victim@y.test and refused_unlogged=2", strings.Join(got, "\n"))
	}

	tc := dialSubmission(t, addr, true)
	if err, _ := authOnClock(t, h, tc, "alice", "wrong"); smtpCode(err) != 535 {
		t.Fatalf("AUTH with a wrong password: %v, want 535", err)
	}
	if denied, auth := h.r.SubmissionRefusals(); denied != 4 || auth != 1 {
		t.Errorf("SubmissionRefusals() = %d relaying denied, %d failed AUTH; want 4 and 1", denied, auth)
	}
}

// TestFO22SubmitRefusalLogBounded: the addresses remembered for the log
// are bounded; beyond maxRefusalAddrs within a minute a new address is
// counted but not logged, and once the others are a minute old it is.
func TestFO22SubmitRefusalLogBounded(t *testing.T) {
	t.Parallel()
	vc := clock.NewVirtual(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	f := newRefusals(vc)
	for i := range maxRefusalAddrs {
		if log, _ := f.relayingDenied(fmt.Sprintf("10.0.%d.%d:2525", i>>8, i&255)); !log {
			t.Fatalf("address %d's first refusal was not logged", i)
		}
	}
	if log, _ := f.relayingDenied("192.0.2.1:25"); log {
		t.Error("a new address beyond the bound was logged within the minute")
	}
	vc.Advance(refusalLogEvery)
	if log, _ := f.relayingDenied("192.0.2.1:25"); !log {
		t.Error("a new address was not logged once the others were a minute old")
	}
	if n := f.relaying.Load(); n != maxRefusalAddrs+2 {
		t.Errorf("counted %d, want every refusal: %d", n, maxRefusalAddrs+2)
	}
}
