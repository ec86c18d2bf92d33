package mailaddr

import "testing"

func TestDotStringFault(t *testing.T) {
	t.Parallel()
	for local, want := range map[string]string{
		"a.b+c":       "",
		"j\xc3\xb6rg": "",
		"":            "is empty",
		".x":          "starts with a dot",
		"x.":          "ends with a dot",
		"x..y":        "has two dots in a row",
		"a@":          `has '@'`,
		"a,b":         `has ','`,
		"a b":         `has ' '`,
	} {
		if got := DotStringFault(local); got != want {
			t.Errorf("DotStringFault(%q) = %q, want %q", local, got, want)
		}
	}
}
