package scenario

import (
	"strings"
	"testing"
)

// TestFromExpandsN: "{n}" in a message's from is its number, as in to, in
// the envelope and in the From header, rather than a literal "{n}".
func TestFromExpandsN(t *testing.T) {
	t.Parallel()
	sc, err := Parse("from.yaml", []byte("name: x\nmessages:\n  - {from: \"a{n}@shop.test\", to: [\"r{n}@example.test\"], count: 2}\n"))
	if err != nil {
		t.Fatal(err)
	}
	subs := sc.submissions(defaultStart)
	if len(subs) != 2 {
		t.Fatalf("%d submissions, want 2", len(subs))
	}
	for i, s := range subs {
		n := string(rune('1' + i))
		if want := "a" + n + "@shop.test"; s.sub.From != want {
			t.Errorf("message %d: envelope sender %q, want %q", i+1, s.sub.From, want)
		}
		if want := "From: <a" + n + "@shop.test>\r\n"; !strings.Contains(string(s.sub.Data), want) {
			t.Errorf("message %d: header has no %q:\n%s", i+1, want, s.sub.Data)
		}
	}
}
