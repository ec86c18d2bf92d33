package dsn

import (
	"strings"
	"testing"
)

// TestExplainStatusesNamed: statuses whose meaning the plain words used to
// leave to "a permanent problem" or to "send the message again later":
// a null MX (X.1.10, RFC 7505), which no later attempt can get past,
// whether the reporting MTA found it or a server said so; 8-bit data for
// a server without 8BITMIME (X.6.3); a non-ASCII address (X.6.7); a
// syntax error (X.5.2).
func TestExplainStatusesNamed(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		rc      Recipient
		want    []string
		notWant []string
	}{
		{"null MX, found here", Recipient{Action: ActionFailed, Status: "5.1.10", DiagnosticCode: "X-Relaylab; n.test publishes a null MX: it accepts no mail (RFC 7505)"},
			[]string{"publishes that it accepts no mail (a null MX, RFC 7505)", "nothing was sent",
				"what to do: the address cannot receive mail: remove it from your list, or ask the recipient for another address"},
			[]string{"send the message again later", "check the address"}},
		{"null MX, said by a server", Recipient{Action: ActionFailed, Status: "5.1.10", RemoteMTA: "smart.test", DiagnosticCode: "smtp; 556 5.1.10 recipient domain has null MX"},
			[]string{"the receiving server refused the message: the recipient's domain publishes that it accepts no mail", "remove it from your list"},
			[]string{"a permanent problem"}},
		{"8-bit data, no 8BITMIME", Recipient{Action: ActionFailed, Status: "5.6.3", DiagnosticCode: "X-Relaylab; the message has 8-bit data and the server does not offer 8BITMIME"},
			[]string{"8-bit data", "RFC 6152", "what to do: send the message again in 7-bit form"}, []string{"check the address"}},
		{"non-ASCII address refused", Recipient{Action: ActionFailed, Status: "5.6.7", RemoteMTA: "mx.test", DiagnosticCode: "smtp; 553 5.6.7 non-ASCII address"},
			[]string{"SMTPUTF8 (RFC 6531)", "what to do: use an ASCII address"}, []string{"a permanent problem"}},
		{"syntax error", Recipient{Action: ActionFailed, Status: "5.5.2", RemoteMTA: "mx.test", DiagnosticCode: "smtp; 501 5.5.2 bad syntax"},
			[]string{"a syntax error", "what to do: check the address for forms"}, []string{"a permanent problem"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.rc.FinalRecipient = "a@n.test"
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
