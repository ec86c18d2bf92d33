package reports

import (
	"strings"
	"testing"
)

// TestS18CategoryDidYouMean: a category the relay does not give is told
// the one it is most likely a slip for, by spelling or by its words
// ("dns-error" for dns-failure), and none when nothing is near.
func TestS18CategoryDidYouMean(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ category, want string }{
		{"dns-error", `"dns-error" is not a category the relay gives (did you mean "dns-failure"?): want one of `},
		{"invalid-recipent", `(did you mean "invalid-recipient"?)`},
		{"tls-error", `(did you mean "tls-failure"?)`},
		{"auth-failure", `(did you mean "authentication-failure"?)`},
		{"greylisting", `(did you mean "greylisted"?)`},
		{"rate-limit", `(did you mean "rate-limited"?)`},
		{"nonsense", `"nonsense" is not a category the relay gives: want one of `},
	} {
		_, err := decodeExp(t, "recipients:\n  - {match: x, category: "+tc.category+"}\n")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v\nwant %q", tc.category, err, tc.want)
		}
	}
}
