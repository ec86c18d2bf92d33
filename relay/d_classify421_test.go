package relay

import "testing"

// TestClassify421WithoutRateWords: a 421 whose text names no rate or
// volume ("Deferred on request: try again later", as the sink's defer
// directives say) is service-unavailable, not rate-limited: "try again
// later" is what any 4xx means. Rate words still make it rate-limited, and
// "rate" inside another word does not.
func TestClassify421WithoutRateWords(t *testing.T) {
	t.Parallel()
	c, err := NewClassifier(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		r    Reply
		want string
	}{
		{Reply{Stage: "rcpt", Code: 421, Enhanced: "4.7.0", Text: "Deferred on request: try again later"}, "service-unavailable"},
		{Reply{Stage: "mail", Code: 421, Enhanced: "4.7.0", Text: "Deferred on request"}, "service-unavailable"},
		{Reply{Stage: "greeting", Code: 421, Enhanced: "4.3.2", Text: "cannot generate a session now, try again later"}, "service-unavailable"},
		{Reply{Stage: "rcpt", Code: 421, Enhanced: "4.7.0", Text: "[TSS04] Messages temporarily deferred due to unexpected volume"}, "rate-limited"},
		{Reply{Stage: "rcpt", Code: 421, Enhanced: "4.7.0", Text: "Rate limit exceeded, try again later"}, "rate-limited"},
		{Reply{Stage: "rcpt", Code: 421, Enhanced: "4.7.0", Text: "too many connections"}, "rate-limited"},
		{Reply{Stage: "rcpt", Code: 451, Enhanced: "4.7.500", Text: "Server busy. Please try again later"}, "rate-limited"},
		{Reply{Stage: "rcpt", Code: 451, Enhanced: "4.3.0", Text: "could not separate the parts, try again later"}, "service-unavailable"},
	} {
		v := c.Classify(tc.r)
		if v.Category != tc.want || v.Disposition != Retry {
			t.Errorf("%d %s %q: %s %s (%s), want %s, retried", tc.r.Code, tc.r.Enhanced, tc.r.Text, v.Disposition, v.Category, v.Reason, tc.want)
		}
	}
}
