package web

import (
	"strings"
	"testing"
)

// submissionRefusingRelay is a relay whose submission port refused mail to
// clients that may not submit.
type submissionRefusingRelay struct{ *fakeRelay }

func (submissionRefusingRelay) SubmissionRefusals() (relayingDenied, authFailed uint64) { return 3, 1 }

// TestSubmissionRefusalsMetric: /metrics says what the relay's
// submission port refused, by reason, read from the relay on scrape.
func TestSubmissionRefusalsMetric(t *testing.T) {
	t.Parallel()
	text := scrape(t, startServer(t, Options{Relay: submissionRefusingRelay{newFakeRelay()}}), nil)
	for _, want := range []string{`relaylab_submission_refusals_total{reason="relaying-denied"} 3`, `relaylab_submission_refusals_total{reason="auth-failed"} 1`} {
		if !strings.Contains(text, "\n"+want+"\n") {
			t.Errorf("metrics lack %q; have:\n%s", want, grepLines(text, "relaylab_submission"))
		}
	}
}
