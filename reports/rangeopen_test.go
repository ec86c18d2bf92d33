package reports

import "testing"

// TestParseRangeOpenEnd: "4-" is an open range, as a sink rule's
// attempt: writes one, the same as ">=4"; it was "bad range". "-3" and
// "x-" stay bad.
func TestParseRangeOpenEnd(t *testing.T) {
	t.Parallel()
	r, err := ParseRange("4-")
	if want, _ := ParseRange(">=4"); err != nil || r != want || !r.Contains(400) || r.Contains(3) {
		t.Errorf(`ParseRange("4-") = %+v, %v; want %+v`, r, err, want)
	}
	for _, bad := range []string{"-3", "x-", "-"} {
		if _, err := ParseRange(bad); err == nil {
			t.Errorf("ParseRange(%q) taken", bad)
		}
	}
}
