package relay

import (
	"testing"

	"github.com/emersion/go-smtp"
	"github.com/relaylab/relaylab/internal/events"
)

// TestCapFixJoinsAdviceAsOneSentence: after a walk down the MX hosts
// stopped at a cap, the deferral's advice names the cap to raise, then
// the last host's advice; one that said there was nothing to do loses
// its "nothing". Before, it read "raise the path's max_mx_sessions (2)
// so that one attempt tries more of the domain's MX hosts; nothing; it is
// retried".
func TestCapFixJoinsAdviceAsOneSentence(t *testing.T) {
	t.Parallel()
	const fix = "raise the path's max_mx_sessions (2) so that one attempt tries more of the domain's MX hosts"
	for _, tt := range []struct{ advice, want string }{
		{"nothing; it is retried", fix + "; meanwhile it is retried"},
		{"nothing for this message, it is tried when the rest ends", fix + "; meanwhile it is tried when the rest ends"},
		{"nothing now; the recipient must make room", fix + "; meanwhile the recipient must make room"},
		{"nothing", fix},
		{"check the host and port, the firewall, and that the server runs", fix + "; check the host and port, the firewall, and that the server runs"},
		{"nothingness is no advice", fix + "; nothingness is no advice"},
	} {
		if got := withCapFix(fix, tt.advice); got != tt.want {
			t.Errorf("withCapFix(%q) = %q, want %q", tt.advice, got, tt.want)
		}
	}

	// As a deferral says it, after two MX hosts answered 451.
	deferring := func(f *fakeMTA) {
		f.onRcpt = func(string) error { return smtpErr(451, smtp.EnhancedCode{4, 3, 0}, "try later") }
	}
	h, _ := mxHarness(t, map[string]*fakeMTA{"192.0.2.1": startMTA(t, deferring), "192.0.2.2": startMTA(t, deferring), "192.0.2.3": startMTA(t, nil)})
	id := h.enqueue("", "u@multi.mx.test")
	h.runUntil("a deferral", h.deferrals(id, 1))
	want := fix + "; meanwhile it is retried. If it lasts for hours, tell the receiver's postmaster"
	if got := h.firstOutcome(t, id, events.RelayDeferred)["advice"]; got != want {
		t.Errorf("deferral's advice %q, want %q", got, want)
	}
}
