package sink

import (
	"strings"
	"testing"
)

// TestFnParseSize: a size alone, as a scenario's message size: has it,
// in the units of a size: condition, read by the same code.
func TestFnParseSize(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want int64
		err  string
	}{
		{"500000", 500000, ""},
		{"0", 0, ""},
		{" 10 KB ", 10000, ""},
		{"25MiB", 25 << 20, ""},
		{"1gb", 1000000000, ""},
		{"1.5MB", 0, "1500KB for 1.5MB"},
		{"1M", 0, "did you mean 1MB (1000s) or 1MiB (1024s)?"},
		{"10 MBs", 0, `unknown unit "MBs"`},
		{">1MB", 0, "want a whole number of octets"},
		{"", 0, "want a whole number of octets"},
		{"99999999999GB", 0, "too large"},
	} {
		n, err := ParseSize(tc.in)
		switch {
		case tc.err == "" && (err != nil || n != tc.want):
			t.Errorf("%q: %d, %v; want %d", tc.in, n, err, tc.want)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%q: error %v, want one with %q", tc.in, err, tc.err)
		}
	}
}
