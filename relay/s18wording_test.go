package relay

import (
	"strings"
	"testing"
)

// TestShapingFixNoParentheses: what to change about shaping is quoted
// inside parentheses in the delay DSN; a fix with parentheses of its own
// made "(raise the path's warmup cap (or give the route another path))".
func TestShapingFixNoParentheses(t *testing.T) {
	t.Parallel()
	for _, h := range shapingHolds {
		if fix := shapingFix(Reply{Stage: "shaping", Text: h.phrase}); strings.ContainsAny(fix, "()") {
			t.Errorf("fix for %q: %q has parentheses", h.phrase, fix)
		}
	}
}

// TestGreetingTimeoutWording: a greeting that never came reads "did not
// answer in time at the greeting", not "in time before the server's
// greeting".
func TestGreetingTimeoutWording(t *testing.T) {
	t.Parallel()
	v := builtinVerdict(t, Reply{Stage: "greeting", Text: "reading the reply: read tcp: i/o timeout"})
	if strings.Contains(v.Reason, "in time before") || !strings.Contains(v.Reason, "did not answer in time at the greeting") {
		t.Errorf("reason %q", v.Reason)
	}
}
