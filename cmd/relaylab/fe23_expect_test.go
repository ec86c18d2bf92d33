package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/reports"
)

// earlySink is a sink's record with no recipient at all and one session
// refused at MAIL FROM with code.
type earlySink struct{ code int }

func (earlySink) AllAttempts(context.Context) ([]reports.SinkAttempt, error) { return nil, nil }

func (s earlySink) EarlyRefusals(context.Context) ([]reports.SinkEarlyRefusal, error) {
	return []reports.SinkEarlyRefusal{{Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Session: 1, Listener: "mx", Stage: "mail", Code: s.code,
		Enhanced: "5.7.1", Text: "sender refused", By: `rule "no bad sender"`, Sender: "bad@shop.test"}}, nil
}

var _ reports.SinkEarlyRefusalSource = earlySink{}

// TestFE23WaitEndsOnARefusalForGood: expect --wait does not wait for a
// record that a 5xx at MAIL FROM kept from being made (no sender sends
// that message again); a 421 there is waited for, and the wait refers to
// the verdict's note on early refusals in a few words instead of
// repeating all of it (it was said three times: the note, the wait's
// note and standard error).
func TestFE23WaitEndsOnARefusalForGood(t *testing.T) {
	t.Parallel()
	x := &expectFile{Name: "app"}
	x.Expect.Recipients = []reports.RecipientExpectation{{Match: "u1@example.test", Status: "delivered"}}
	for _, c := range []struct {
		code int
		want string
	}{
		{550, ""},
		{421, `no record matches "u1@example.test" yet (1 session the sink refused before any RCPT TO is in no record: see the note on early refusals)`},
	} {
		d, err := reports.FromSink(context.Background(), earlySink{c.code})
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := unsettled([]*expectFile{x}, d, nil); got != c.want {
			t.Errorf("%d at MAIL FROM: waits for %q\nwant %q", c.code, got, c.want)
		}
	}
}

// TestFE23StoppedSaysSoOnStdout: an expect that stops before judging
// (nothing listens at --url) says on standard output, as for a file that
// does not load, that each file was not judged, in a short line that
// points at standard error, which has the reason once; standard output
// was empty.
func TestFE23StoppedSaysSoOnStdout(t *testing.T) {
	t.Parallel()
	file := writeExpect(t, "  recipients:\n    - {match: \"a@example.test\"}\n")
	code, out, errOut := runIn(t, context.Background(), "expect", "--url", "http://"+closedAddr(t, "tcp"), file)
	if code != 3 || !strings.Contains(errOut, "nothing listens at") {
		t.Fatalf("exit %d (want 3), stderr %q", code, errOut)
	}
	want := "ERROR app: not judged\n        relaylab expect stopped before judging any file: the reason, and what to do, is on standard error\n0 passed, 0 failed, 1 file not judged\n"
	if out != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", out, want)
	}
}

// TestFE23SinkOnlyNoteOverAServe: expect --url on a serve whose relay has
// mail does not say in its HTML that the store holds only what the sink
// received.
func TestFE23SinkOnlyNoteOverAServe(t *testing.T) {
	t.Parallel()
	const relayEvents = `{"events":[{"id":1,"time":"2026-01-02T03:04:05Z","kind":"relay.queued","message":"m1","recipient":"ok@example.test"}],"next":1}`
	const attempts = `{"attempts":[{"time":"2026-01-02T03:04:05Z","listener":"mx","client":"127.0.0.1","sender":"app@shop.test","recipient":"ok@example.test","stage":"data","code":250,"enhanced":"2.0.0","text":"queued","message":1,"session":1}]}`
	file := writeExpect(t, "  recipients:\n    - {match: \"ok@example.test\", status: delivered}\n")
	for _, relay := range []string{"", relayEvents} {
		html := filepath.Join(t.TempDir(), "v.html")
		code, out, errOut := runIn(t, context.Background(), "expect", "--url", fakeServeAPI(t, attempts, relay).URL, "--html", html, file)
		b, err := os.ReadFile(html)
		if code != 0 || err != nil {
			t.Fatalf("exit %d, %v\n%s\n%s", code, err, out, errOut)
		}
		if only := strings.Contains(string(b), "holds only what the sink received"); only != (relay == "") {
			t.Errorf("relay mail %v: the page says the store holds only what the sink received: %v", relay != "", only)
		}
	}
}

// TestFE23ReplayOnlyKeyBesideABadValue: an expectation with a key only
// a replay judges and a value that does not decode has both named in
// one run; the value was hidden behind the replay-only key.
func TestFE23ReplayOnlyKeyBesideABadValue(t *testing.T) {
	t.Parallel()
	file := writeExpect(t, "  recipients:\n    - {match: \"a@example.test\", category: policy, attempts: many}\n")
	_, err := loadExpectFile(file)
	for _, want := range []string{"expect.recipients[0].category: applies to replays only", `expect.recipients[0].attempts: bad range "many"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v\nlacks %q", err, want)
		}
	}
}
