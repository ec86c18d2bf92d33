package scenario

import (
	"bytes"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/reports"
)

// TestFE25DefaultPathShapesEachDomain: a replay's default path to its
// sink shapes each recipient domain apart, as serve's local-sink path
// does (destination: domain): a 421 for one domain rests that domain
// alone. With the whole sink one destination, b@example.test waited out
// ratelimit.test's rest. The held line of the mail the rest holds names
// the recipient and message whose 421 began it, for the operator.
func TestFE25DefaultPathShapesEachDomain(t *testing.T) {
	t.Parallel()
	out := replayYAML(t, `name: one domain's 421
relay:
  retry: {kind: list, schedule: [1m], max_age: 1h}
messages:
  - {from: app@shop.test, to: ["data421x1+a@ratelimit.test"]}
  - {from: app@shop.test, to: ["b@example.test"], at: 30s}
  - {from: app@shop.test, to: ["c@ratelimit.test"], at: 30s}
expect:
  recipients:
    - {match: "b@example.test", status: delivered, attempts: 1, attempt_times: [0s]}
    - {match: "c@ratelimit.test", status: delivered}
`)
	var held *reports.Recipient
	for _, r := range out.Data.Recipients {
		if r.Address == "c@ratelimit.test" {
			held = r
		}
	}
	if held == nil || len(held.Holds) == 0 {
		t.Fatalf("c@ratelimit.test was not held by its domain's rest: %+v", held)
	}
	var b bytes.Buffer
	reports.WriteTimeline(&b, held)
	if !strings.Contains(b.String(), "destination path:sink:ratelimit.test rests until ") || !strings.Contains(b.String(), " to data421x1+a@ratelimit.test (message msg-1)") {
		t.Errorf("the held line does not name the 421's recipient and message:\n%s", b.String())
	}
	t.Logf("%s", b.String())
}
