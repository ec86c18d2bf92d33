package reports

import (
	"strings"
	"testing"
)

// TestWC26MoreRecipientsPlural: a failed expectation over six
// recipients shows five and counts the sixth as "1 more recipient";
// it said "1 more recipients".
func TestWC26MoreRecipientsPlural(t *testing.T) {
	t.Parallel()
	d := &Data{}
	for _, a := range []string{"a", "b", "c", "d", "e", "f"} {
		d.Recipients = append(d.Recipients, &Recipient{Address: a + "@x.test", Domain: "x.test", Status: "bounced", Queued: t0})
	}
	res := Evaluate(d, Expectations{Recipients: []RecipientExpectation{{Match: "*@x.test", Status: "delivered"}}})
	if len(res) != 1 || !strings.HasSuffix(res[0].Message, "... and 1 more recipient") {
		t.Errorf("results %+v, want the message to end with %q", res, "... and 1 more recipient")
	}
}
