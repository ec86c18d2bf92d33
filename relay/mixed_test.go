package relay

import (
	"context"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"
	"github.com/relaylab/relaylab/internal/dsn"
	"github.com/relaylab/relaylab/internal/events"
)

// TestMixedRecipientResults: one pipelined transaction where the server
// takes one recipient, defers one (451) and refuses one (550). Each gets
// its own fate: the first is delivered once, the second is retried alone
// and delivered, the third bounces at once with a DSN that carries its
// Status, Diagnostic-Code, Final-Recipient and its ORCPT as
// Original-Recipient, and only the headers (RET=HDRS).
func TestMixedRecipientResults(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	deferred := 0
	mta := startMTA(t, func(f *fakeMTA) {
		f.onRcpt = func(to string) error {
			switch to {
			case "soft@r.test":
				mu.Lock()
				defer mu.Unlock()
				if deferred++; deferred == 1 {
					return smtpErr(451, smtp.EnhancedCode{4, 3, 0}, "temporary local problem")
				}
			case "hard@r.test":
				return smtpErr(550, smtp.EnhancedCode{5, 1, 1}, "no such user here")
			}
			return nil
		}
	})
	h := newHarness(t, testConfig(mta.addr), Options{})
	id, err := h.r.Enqueue(context.Background(), Submission{From: "a@s.test", Ret: "HDRS", EnvID: "mix-1",
		Data:       []byte("From: a@s.test\r\nSubject: mixed\r\n\r\nsecret body\r\n"),
		Recipients: []Recipient{{Address: "ok@r.test"}, {Address: "soft@r.test"}, {Address: "hard@r.test", ORCPT: "rfc822;Hard.Orig@r.test"}}})
	if err != nil {
		t.Fatal(err)
	}
	h.runUntil("every recipient done", h.done(id, 3))
	want := map[string][]string{
		"ok@r.test":   {events.RelayDelivered},
		"soft@r.test": {events.RelayDelivered},
		"hard@r.test": {events.RelayBounced},
	}
	if got := h.terminal(id); !reflect.DeepEqual(got, want) {
		t.Fatalf("terminal events %v, want %v", got, want)
	}
	var toOK, toSoft int
	var dsns []fakeMsg
	for _, m := range mta.received() {
		if m.from == "" {
			dsns = append(dsns, m)
			continue
		}
		for _, to := range m.to {
			toOK += map[bool]int{true: 1}[to == "ok@r.test"]
			toSoft += map[bool]int{true: 1}[to == "soft@r.test"]
		}
	}
	if toOK != 1 || toSoft != 1 {
		t.Errorf("ok@r.test got %d copies and soft@r.test %d, want one each (the retry is for the deferred one only)", toOK, toSoft)
	}
	if len(dsns) != 1 {
		t.Fatalf("%d DSNs, want 1 (for hard@r.test only)", len(dsns))
	}
	p, err := dsn.Parse(dsns[0].data)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Report.Recipients) != 1 {
		t.Fatalf("DSN recipients %+v, want hard@r.test alone", p.Report.Recipients)
	}
	rc := p.Report.Recipients[0]
	if rc.FinalRecipient != "hard@r.test" || rc.OriginalRecipient != "Hard.Orig@r.test" || rc.Action != dsn.ActionFailed ||
		rc.Status != "5.1.1" || !strings.HasPrefix(rc.DiagnosticCode, "550 5.1.1 no such user") {
		t.Errorf("DSN recipient %+v, want hard@r.test (original Hard.Orig@r.test) failed 5.1.1 with the 550", rc)
	}
	if p.EnvelopeID() != "mix-1" || !p.HeadersOnly || strings.Contains(string(dsns[0].data), "secret body") {
		t.Errorf("DSN: envelope id %q, headers only %v; want mix-1 and the headers alone (RET=HDRS)", p.EnvelopeID(), p.HeadersOnly)
	}
}
