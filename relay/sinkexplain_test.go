package relay

import (
	"strings"
	"testing"
)

// TestExplainSinkReply: a sink's 4xx or 5xx is read with the sink's
// stage named as the relay names it (data-end is the relay's dot,
// connect its greeting), with the built-in table when no classifier is
// given and with the one given otherwise; a 2xx and no reply at all are
// not explained.
func TestExplainSinkReply(t *testing.T) {
	t.Parallel()
	own, err := NewClassifier([]Rule{{Code: "550", Disposition: Bounce, Category: "own", Reason: "its own", Advice: "its own advice"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name                string
		c                   *Classifier
		stage               string
		code                int
		enhanced            string
		ok                  bool
		category, reasonHas string
	}{
		{"5.1.1 at rcpt", nil, "rcpt", 550, "5.1.1", true, "invalid-recipient", "does not exist"},
		{"data-end is the relay's dot", nil, "data-end", 501, "5.5.2", true, "syntax-error", "after the final dot"},
		{"connect is the relay's greeting", nil, "connect", 501, "5.5.2", true, "syntax-error", "at the greeting (the server's first reply)"},
		{"the classifier given", own, "rcpt", 550, "5.1.1", true, "own", "its own"},
		{"a 2xx", nil, "data-end", 250, "2.0.0", false, "", ""},
		{"no reply", nil, "data", 0, "", false, "", ""},
	} {
		v, ok := ExplainSinkReply(c.c, c.stage, c.code, c.enhanced, "text")
		if ok != c.ok || v.Category != c.category || !strings.Contains(v.Reason, c.reasonHas) {
			t.Errorf("%s: %+v, %v; want category %q, a reason with %q, %v", c.name, v, ok, c.category, c.reasonHas, c.ok)
		}
	}
}
