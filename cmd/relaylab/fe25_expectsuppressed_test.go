package main

import (
	"context"
	"encoding/xml"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// suppressedRelayEvents are a serve's relay events of two runs to one
// address: the first's message bounced with a 550, which put the address
// on the suppression list; the second's was suppressed, never sent.
const suppressedRelayEvents = `{"events":[
{"id":1,"time":"2026-01-02T03:04:05Z","kind":"relay.queued","message":"m1","recipient":"rcpt550+run1@example.test"},
{"id":2,"time":"2026-01-02T03:04:05Z","kind":"relay.attempt","message":"m1","recipient":"rcpt550+run1@example.test","path":"sink","payload":{"attempt":1,"path":"sink","host":"127.0.0.1","reply":{"stage":"rcpt","code":550,"enhanced":"5.1.1","text":"No such user here"}}},
{"id":3,"time":"2026-01-02T03:04:05Z","kind":"relay.bounced","message":"m1","recipient":"rcpt550+run1@example.test","path":"sink","payload":{"category":"invalid-recipient","reason":"the mailbox does not exist","suppressed":true,"reply":{"stage":"rcpt","code":550,"enhanced":"5.1.1","text":"No such user here"}}},
{"id":4,"time":"2026-01-02T04:00:00Z","kind":"relay.queued","message":"m2","recipient":"rcpt550+run1@example.test"},
{"id":5,"time":"2026-01-02T04:00:00Z","kind":"relay.suppressed","message":"m2","recipient":"rcpt550+run1@example.test","payload":{"reason":"the address is on the suppression list: 550 5.1.1 No such user here (invalid-recipient, from a bounce)","advice":"remove it with relaylab suppress remove"}}],"next":5}`

// suppressedServeAPI stands for a serve whose relay suppressed
// rcpt550+run1@example.test (suppressedRelayEvents), with its suppression
// list, and the sink's attempts as attempts gives them.
func suppressedServeAPI(t *testing.T, attempts string) *httptest.Server {
	t.Helper()
	return fakeServeAPIWith(t, attempts, suppressedRelayEvents, map[string]string{
		"/api/v1/suppressions": `{"suppressions":[{"address":"rcpt550+run1@example.test","reason":"550 5.1.1 No such user here","since":"2026-01-02T03:04:05Z"}]}`,
	})
}

const run1Refusal = `{"attempts":[{"time":"2026-01-02T03:04:05Z","listener":"mx","client":"127.0.0.1","sender":"app@shop.test","recipient":"rcpt550+run1@example.test","stage":"rcpt","code":550,"enhanced":"5.1.1","text":"No such user here","session":1}]}`

// TestFE25ExpectNotesTheRelaysSuppression: against a reused serve, an
// expectation of an address the relay has since suppressed passed on the
// earlier run's sink record with no word that this run's message was
// never sent; its verdict now says so (how many, since when, why, what
// to do), in the text and the JUnit output.
func TestFE25ExpectNotesTheRelaysSuppression(t *testing.T) {
	t.Parallel()
	srv := suppressedServeAPI(t, run1Refusal)
	dir := t.TempDir()
	file, junit := filepath.Join(dir, "x.yaml"), filepath.Join(dir, "v.xml")
	writeScenario(t, file, "name: hard bounce\nexpect:\n  recipients:\n    - {match: \"rcpt550+run1@example.test\", status: bounced, last_code: \"550\"}\n")
	code, out, errOut := runIn(t, context.Background(), "expect", "--url", srv.URL, "--junit", junit, file)
	if code != 0 {
		t.Errorf("exit %d, want 0 (the earlier record passes)\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{"note  relay: 1 message to rcpt550+run1@example.test was not sent (at 2026-01-02T04:00:00Z): the address is on the relay's suppression list since 2026-01-02T03:04:05Z: 550 5.1.1 No such user here",
		"judges the sink's records of earlier sends", "relaylab suppress remove rcpt550+run1@example.test", "DELETE /api/v1/suppressions/rcpt550+run1@example.test", "relaylab suppress clear", "a tag of their own"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q\nstdout:\n%s", want, out)
		}
	}
	doc := readJUnit(t, junit)
	if len(doc.Suites) != 1 || len(doc.Suites[0].Cases) != 1 || !strings.Contains(doc.Suites[0].Cases[0].SystemOut, "relay: 1 message to rcpt550+run1@example.test was not sent") {
		t.Errorf("JUnit %+v: want the note in the case's system-out", doc.Suites)
	}
}

// TestFE25ExpectWaitEndsOnSuppression: after the sink's record is
// cleared (the README's clean slate), a record of a suppressed address
// can never come: --wait does not wait for it, and the failure says why
// ("found 0" alone, after the whole wait, said nothing).
func TestFE25ExpectWaitEndsOnSuppression(t *testing.T) {
	t.Parallel()
	srv := suppressedServeAPI(t, `{"attempts":[]}`)
	file := filepath.Join(t.TempDir(), "x.yaml")
	writeScenario(t, file, "name: hard bounce\nexpect:\n  recipients:\n    - {match: \"rcpt550+run1@example.test\", status: bounced}\n")
	code, out, errOut := runIn(t, context.Background(), "expect", "--url", srv.URL, "--wait", "1m", file)
	if code != 1 || strings.Contains(errOut, "waited") {
		t.Errorf("exit %d (want 1), and no wait to its end\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{"found 0", "the relay did not send 1 message to rcpt550+run1@example.test: the address is on its suppression list, so the sink has no record of it (see the note)",
		"note  relay: 1 message to rcpt550+run1@example.test was not sent"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q\nstdout:\n%s", want, out)
		}
	}
	if strings.Contains(out, "did you mean") {
		t.Errorf("the failure suggests another address, where the suppression is why:\n%s", out)
	}
}

// TestFE25SuppressClear: relaylab suppress clear empties the list (and
// says how many it removed), for a clean slate; a second clear says it
// was empty; clear takes no address.
func TestFE25SuppressClear(t *testing.T) {
	t.Parallel()
	db := emptyStore(t)
	for _, a := range []string{"a@example.test", "b@example.test"} {
		if code, out, errOut := runIn(t, context.Background(), "suppress", "add", a, "--db", db); code != 0 {
			t.Fatalf("suppress add %s: exit %d\n%s%s", a, code, out, errOut)
		}
	}
	code, out, errOut := runIn(t, context.Background(), "suppress", "clear", "--db", db)
	if code != 0 || !strings.Contains(out, "cleared the suppression list: removed 2 addresses") {
		t.Errorf("suppress clear: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if _, out, _ := runIn(t, context.Background(), "suppress", "list", "--db", db); !strings.Contains(out, "the suppression list is empty") {
		t.Errorf("suppress list after clear:\n%s", out)
	}
	if code, out, _ := runIn(t, context.Background(), "suppress", "clear", "--db", db, "--json"); code != 0 || strings.TrimSpace(out) != `{
  "removed": 0
}` {
		t.Errorf("suppress clear --json on an empty list: exit %d, %q", code, out)
	}
	if code, _, errOut := runIn(t, context.Background(), "suppress", "clear", "a@example.test", "--db", db); code != 2 || !strings.Contains(errOut, "relaylab suppress remove ADDR") {
		t.Errorf("suppress clear ADDR: exit %d, stderr %q", code, errOut)
	}
}

// TestFE25WaitRanOutSaysSoInTheFailure: when expect --wait runs out, the
// failure of a record still deferred says that the wait ran out while it
// was deferred, when the relay tries it again and what to do, where it
// said "what to do: nothing; it is retried"; the wait's note names every
// expectation still waiting (it named the first with no record alone),
// and is in each JUnit failure's text, not only in system-out.
func TestFE25WaitRanOutSaysSoInTheFailure(t *testing.T) {
	t.Parallel()
	const relayEvents = `{"events":[
{"id":1,"time":"2026-01-02T03:04:05Z","kind":"relay.queued","message":"m1","recipient":"defer9@example.test"},
{"id":2,"time":"2026-01-02T03:04:05Z","kind":"relay.attempt","message":"m1","recipient":"defer9@example.test","path":"sink","payload":{"attempt":1,"path":"sink","host":"127.0.0.1","reply":{"stage":"rcpt","code":451,"enhanced":"4.7.1","text":"Deferred on request"}}},
{"id":3,"time":"2026-01-02T03:04:05Z","kind":"relay.deferred","message":"m1","recipient":"defer9@example.test","path":"sink","payload":{"category":"policy","reason":"the receiver's policy defers the message for now","advice":"nothing; it is retried","next_attempt":"2099-01-02T03:04:05Z","reply":{"stage":"rcpt","code":451,"enhanced":"4.7.1","text":"Deferred on request"}}}],"next":3}`
	srv := fakeServeAPI(t, `{"attempts":[{"time":"2026-01-02T03:04:05Z","listener":"mx","client":"127.0.0.1","sender":"app@shop.test","recipient":"defer9@example.test","stage":"rcpt","code":451,"enhanced":"4.7.1","text":"Deferred on request","session":1}]}`, relayEvents)
	dir := t.TempDir()
	file, junit := filepath.Join(dir, "x.yaml"), filepath.Join(dir, "v.xml")
	writeScenario(t, file, "name: slow\nexpect:\n  recipients:\n    - {name: deferred one, match: \"defer9@example.test\", status: delivered}\n    - {name: never sent, match: \"missing1@example.test\"}\n    - {name: nor this, match: \"missing2@example.test\"}\n")
	code, out, errOut := runIn(t, context.Background(), "expect", "--url", srv.URL, "--wait", "1s", "--junit", junit, file)
	if code != 1 || !strings.Contains(errOut, "waited 1s (--wait)") {
		t.Fatalf("exit %d (want 1), stderr %q\nstdout:\n%s", code, errOut, out)
	}
	pending := `--wait 1s ran out while no record matches "missing1@example.test" yet, no record matches "missing2@example.test" yet, defer9@example.test is deferred (not final)`
	doc := readJUnitFailures(t, junit)
	if len(doc.Suites) != 1 || len(doc.Suites[0].Cases) != 3 {
		t.Fatalf("JUnit %+v: want one suite of 3 cases", doc.Suites)
	}
	for _, c := range doc.Suites[0].Cases {
		if c.Failure == nil || !strings.Contains(c.Failure.Text, "note: "+pending) {
			t.Errorf("case %q: its failure's text lacks the wait's note %q: %+v", c.Name, pending, c.Failure)
		}
	}
	deferred := doc.Suites[0].Cases[0].Failure.Text
	for _, want := range []string{"what to do: --wait 1s ran out while it was deferred", "the relay tries it again at 2099-01-02T03:04:05Z", "raise --wait past it, or shorten the retry schedule"} {
		if !strings.Contains(deferred, want) {
			t.Errorf("the deferred record's failure lacks %q:\n%s", want, deferred)
		}
	}
	if strings.Contains(deferred+out, "nothing; it is retried") {
		t.Errorf("the failure still says the retry needs nothing done:\n%s", deferred)
	}
}

// junitFailures is a JUnit file with its cases' failures.
type junitFailures struct {
	Suites []struct {
		Cases []struct {
			Name    string `xml:"name,attr"`
			Failure *struct {
				Message string `xml:"message,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func readJUnitFailures(t *testing.T, path string) junitFailures {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc junitFailures
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return doc
}
