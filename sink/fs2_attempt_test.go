package sink

import (
	"strings"
	"testing"
)

// TestFS2ParseAttempt: a rule's attempt takes the expect language's >=N
// and <=N beside N, N-M and N-; a bad one's error lists every form.
func TestFS2ParseAttempt(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in     string
		lo, hi int
	}{
		{"2", 2, 2}, {"1-3", 1, 3}, {"4-", 4, -1},
		{">=4", 4, -1}, {">= 4", 4, -1}, {"<=3", 1, 3}, {" <=1 ", 1, 1},
	} {
		lo, hi, err := parseAttempt(tc.in)
		if err != nil || lo != tc.lo || hi != tc.hi {
			t.Errorf("parseAttempt(%q) = %d, %d, %v; want %d, %d", tc.in, lo, hi, err, tc.lo, tc.hi)
		}
	}
	for _, in := range []string{"0", ">=0", "<=0", ">=", "<=", "=>2", ">2", "<3", ">=2-3", "<=x", "-3", "3-1", ""} {
		_, _, err := parseAttempt(in)
		if err == nil {
			t.Errorf("parseAttempt(%q): no error", in)
			continue
		}
		for _, form := range []string{"(2)", "(1-3)", "4-", ">=4", "<=3"} {
			if !strings.Contains(err.Error(), form) {
				t.Errorf("parseAttempt(%q): error %q does not name the form %s", in, err, form)
			}
		}
	}
	// In a rule, as the sink matches it.
	rs, err := ParseRules([]byte("- {stage: rcpt, attempt: \"<=2\", reply: \"451 4.7.1 later\"}\n- {stage: rcpt, attempt: \">=3\", reply: \"250 2.1.5 ok\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	compiled, err := compileRules("rules", rs)
	if err != nil {
		t.Fatal(err)
	}
	for n, want := range map[int]int{1: 0, 2: 0, 3: 1, 9: 1} {
		in := &input{stage: StageRcpt, rcpt: "a@b.test", attempt: n}
		got := -1
		for i, r := range compiled {
			if r.matches(in) {
				got = i
				break
			}
		}
		if got != want {
			t.Errorf("attempt %d: rule %d matched, want %d", n, got, want)
		}
	}
}
