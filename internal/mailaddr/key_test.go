package mailaddr

import "testing"

func TestKey(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Defer2+X@Bücher.Test":        "defer2+x@xn--bcher-kva.test",
		"defer2+x@XN--BCHER-KVA.test": "defer2+x@xn--bcher-kva.test",
		"A@Example.TEST":              "a@example.test",
		"postmaster":                  "postmaster",
	} {
		if got := Key(in); got != want {
			t.Errorf("Key(%q) = %q, want %q", in, got, want)
		}
	}
}
