package main

import (
	"testing"

	"github.com/relaylab/relaylab/reports"
)

// TestS24WaitMatchesEitherIDNSpelling: --wait finds the record a match
// meets in the other spelling of an internationalised domain, as the
// verdict does (reports.MatchAddress), instead of waiting its whole time
// for a record the verdict then finds.
func TestS24WaitMatchesEitherIDNSpelling(t *testing.T) {
	t.Parallel()
	x := &expectFile{Name: "idn"}
	x.Expect.Recipients = []reports.RecipientExpectation{{Match: "x@bücher.test", Status: "delivered"}}
	d := &reports.Data{FromSink: true, Recipients: []*reports.Recipient{{Address: "x@xn--bcher-kva.test", Status: "delivered"}}}
	if got, _ := unsettled([]*expectFile{x}, d, nil); got != "" {
		t.Errorf("waits for %q, want nothing: the record matches", got)
	}
}
