package dsn

import (
	"strings"
	"testing"
	"time"
)

// TestExplainEachKind: the human-readable part says what happened to the
// recipient in plain words, and what to do, for every kind of DSN: a
// server's permanent refusal, a failure no server replied to (a domain that
// does not exist, one without a mail server, the reporting MTA's own
// policy), an expiry, a delay, a relay and a delivery. None of them claims
// a server refused what no server saw, nor calls a delay a refusal for good.
func TestExplainEachKind(t *testing.T) {
	t.Parallel()
	until := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name    string
		rc      Recipient
		want    []string
		notWant []string
	}{
		{"server 5xx", Recipient{Action: ActionFailed, Status: "5.7.1", RemoteMTA: "mx.r.test", DiagnosticCode: "smtp; 550 5.7.1 rejected by policy"},
			[]string{"mx.r.test said: 550 5.7.1", "what it means: the receiving server refused the message: by policy", "what to do: ", "This is a permanent error"}, nil},
		{"server 5.1.1", Recipient{Action: ActionFailed, Status: "5.1.1", RemoteMTA: "mx.r.test", DiagnosticCode: "550 5.1.1 no such user"},
			[]string{"what it means: the receiving server refused the message: the address does not exist", "what to do: check the address"}, nil},
		{"reporter's own policy", Recipient{Action: ActionFailed, Status: "5.7.1", DiagnosticCode: "X-Relaylab; not sent: blocked here"},
			[]string{"reason: not sent: blocked here", "own policy stopped the message; no receiving server was asked", "what to do: "},
			[]string{"receiving system refused", "receiving server refused"}},
		{"no such domain", Recipient{Action: ActionFailed, Status: "5.1.2", DiagnosticCode: "X-Relaylab; the recipient's domain n.test does not exist"},
			[]string{"domain does not exist", "nothing was sent", "what to do: check the part of the address after the @"},
			[]string{"receiving server refused"}},
		{"no mail server", Recipient{Action: ActionFailed, Status: "5.4.4", DiagnosticCode: "X-Relaylab; n.test has no MX and no A or AAAA record"},
			[]string{"no server receives mail for the recipient's domain", "nothing was sent", "what to do: "},
			[]string{"could not be reached or did not answer"}},
		{"expired after server 451", Recipient{Action: ActionFailed, Status: "4.4.7", RemoteMTA: "mx.r.test", DiagnosticCode: "smtp; 451 4.7.1 try again later"},
			[]string{"mx.r.test said: 451 4.7.1", "retried for as long as the message may wait, and has given up", "the last attempt's answer is above", "what to do: ",
				"The failures were temporary, but they went on until the mail system\ngave up retrying"},
			[]string{"refused the message", "permanent error"}},
		{"expired without an attempt", Recipient{Action: ActionFailed, Status: "4.4.7", DiagnosticCode: "X-Relaylab; not tried: the path's warm-up cap is reached"},
			[]string{"reason: not tried", "without being able to send it, and has given up", "what to do: "}, []string{"retried for as long", "last attempt"}},
		{"expired without a reply", Recipient{Action: ActionFailed, Status: "4.4.7", DiagnosticCode: "X-Relaylab; connecting: connection refused", LastAttempt: until},
			[]string{"reason: connecting: connection refused", "has given up", "failed for the reason above", "what to do: "}, nil},
		{"delayed after server 451", Recipient{Action: ActionDelayed, Status: "4.7.1", RemoteMTA: "mx.r.test", DiagnosticCode: "smtp; 451 4.7.1 Deferred", WillRetryUntil: until},
			[]string{"mx.r.test said: 451 4.7.1 Deferred", "turned the message away for now (a temporary refusal: by policy for now", "tries again",
				"retrying until: Mon, 30 Nov 2026 08:00:00 +0000", "what to do: nothing; delivery is retried"},
			[]string{"refused the message by policy", "permanent"}},
		{"delayed without a reply", Recipient{Action: ActionDelayed, Status: "4.4.1", DiagnosticCode: "X-Relaylab; connecting: timeout", WillRetryUntil: until},
			[]string{"reason: connecting: timeout", "has not reached a receiving server yet", "what to do: nothing"}, []string{"turned the message away"}},
		{"relayed", Recipient{Action: ActionRelayed, Status: "2.0.0", RemoteMTA: "mx.r.test", DiagnosticCode: "smtp; 250 2.0.0 ok"},
			[]string{"handed on to a system that does not send delivery notices", "what to do: nothing"}, nil},
		{"delivered", Recipient{Action: ActionDelivered, Status: "2.0.0"},
			[]string{"delivered to the recipient's mailbox", "what to do: nothing"}, nil},
		{"the writer's own words", Recipient{Action: ActionFailed, Status: "5.7.1", DiagnosticCode: "X-Relaylab; suppressed", Meaning: "nothing was sent: listed", Advice: "remove it"},
			[]string{"what it means: nothing was sent: listed\n", "what to do: remove it\n"}, []string{"own policy"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.rc.FinalRecipient = "a@r.test"
			got := Explain(Report{ReportingMTA: "relay.test", Recipients: []Recipient{tt.rc}})
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("explanation lacks %q:\n%s", w, got)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(got, w) {
					t.Errorf("explanation holds %q:\n%s", w, got)
				}
			}
		})
	}
}
