package main

import (
	"strings"
	"testing"

	"github.com/relaylab/relaylab/reports"
)

// TestWaitSaysRecords: on a sink's record expect --wait counts records
// (one message's delivery each), and says so while it waits, as the
// verdicts do, not "recipients".
func TestWaitSaysRecords(t *testing.T) {
	t.Parallel()
	one := func() ([]reports.Verdict, *reports.Data, error) {
		return []reports.Verdict{{Name: "app"}}, &reports.Data{Recipients: []*reports.Recipient{{Address: "a@x.test", Status: "delivered"}}}, nil
	}
	none := func() ([]reports.Verdict, *reports.Data, error) {
		return []reports.Verdict{{Name: "app"}}, &reports.Data{}, nil
	}
	three := reports.RecipientExpectation{Match: "*@x.test", Count: reports.Range{Min: 3, Max: 3, Set: true}}
	if _, errOut, _, _ := driveWait(t, one, three); !strings.Contains(errOut, `1 of the 3 records "*@x.test" asks for match so far`) {
		t.Errorf("waiting for a count, stderr:\n%s", errOut)
	}
	if _, errOut, _, _ := driveWait(t, none, reports.RecipientExpectation{Match: "b@x.test", Status: "delivered"}); !strings.Contains(errOut, `no record matches "b@x.test" yet`) {
		t.Errorf("waiting for a first match, stderr:\n%s", errOut)
	}
}
