package scenario

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/reports"
)

// The relay's random message ids are replaced wherever the report
// carries text, so that two runs give the same JSON.
func TestNormalizeRewritesIDsInEveryText(t *testing.T) {
	t.Parallel()
	const id = "c2kkhljooyhqd4nm"
	t0 := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	held := "not tried: destination path:sink rests until 2026-01-05T09:05:00Z after 421 4.7.0 busy to x@yahoo.test (message " + id + ")"
	d := &reports.Data{Recipients: []*reports.Recipient{
		{Message: id, Address: "x@yahoo.test", Queued: t0},
		{Message: "otherotherother1", Address: "y@yahoo.test", Queued: t0, Status: "delivered",
			Reason: "the relay's own shaping held it back before it was sent (" + held + ")", Advice: "wait for message " + id,
			Attempts:   []reports.Attempt{{Text: "queued as " + id, Error: "after message " + id, WalkStopped: id}},
			Holds:      []reports.Hold{{Text: held}},
			LateBounce: &reports.LateBounce{Text: "bounce of " + id}},
	}}
	normalize(d, []*submission{{seq: 1, id: id}, {seq: 2, id: "otherotherother1"}})
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), id) {
		t.Errorf("the relay's id %s is left in the report:\n%s", id, b)
	}
	if !strings.Contains(d.Recipients[1].Reason, "(message msg-1))") {
		t.Errorf("reason %q does not name msg-1", d.Recipients[1].Reason)
	}
}
