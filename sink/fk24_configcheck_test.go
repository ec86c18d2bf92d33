package sink

import (
	"testing"
)

// A rule that bounces a message it refuses could never send its bounce
// (the sink bounces a message it answered 250): refused at load, at the
// rule's bounce key with the file's line, saying which to keep. A bounce
// with a 250 of the rule's own is what it says.
func TestBounceWithRefusalRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, rules string }{
		{"550", `[{stage: data-end, reply: "550 5.1.1 nope", bounce: {after: 1m}}]`},
		{"451", `[{stage: dot, reply: "451 4.3.0 later", bounce: {}}]`},
		{"421", `[{stage: data-end, bounce: {after: 5m}, reply: "421 4.7.0 bye"}]`},
		{"2xx not 250", `[{stage: data-end, reply: "252 2.0.0 maybe", bounce: {}}]`},
	} {
		_, err := decodeSink(t, sinkDoc(tc.rules))
		wantInOrder(t, tc.name, err, "sink.yaml:5:", "sink.rules[0].bounce:", "the bounce would never be sent", "keep one")
	}
	if _, err := decodeSink(t, sinkDoc(`[{stage: data-end, reply: "250 2.0.0 queued", bounce: {after: 1m}}]`)); err != nil {
		t.Errorf("a bounce after a rule's own 250: %v, want it accepted", err)
	}
	cat := "profiles:\n  - name: p\n    domains: [p.test]\n    rules:\n      - {stage: data-end, reply: \"554 5.7.1 no\", bounce: {}}\n"
	_, err := ParseCatalogue("p.yaml", []byte(cat))
	wantInOrder(t, "a profile's rule", err, "p.yaml:5:", "profiles[0].rules[0].bounce:", "never be sent")
}

// A profile's domain that no recipient can have (the sink refuses such a
// domain at RCPT) is refused at its key; an unknown profile name gets the
// nearest known one.
func TestProfileDomainsThatNeverMatch(t *testing.T) {
	t.Parallel()
	catalogue := func(dom string) string {
		return "profiles:\n  - name: p\n    domains: [\"" + dom + "\"]\n    rules:\n      - {stage: rcpt, reply: \"550 5.1.1 no\"}\n"
	}
	for _, tc := range []struct {
		dom  string
		want []string
	}{
		{"a..test", []string{"p.yaml:3:", "profiles[0].domains[0]", "two dots in a row", "never matches", `write "a.test"`}},
		{"*.mail..test", []string{"profiles[0].domains[0]", "two dots in a row", `"*.mail.test"`}},
		{".x.test", []string{"profiles[0].domains[0]", "starts with a dot", `"x.test"`, `"*.x.test"`}},
		{"my_host.test", []string{"profiles[0].domains[0]", "not a domain name", "never matches"}},
		{"-x.test", []string{"profiles[0].domains[0]", "hyphen"}},
	} {
		_, err := ParseCatalogue("p.yaml", []byte(catalogue(tc.dom)))
		wantInOrder(t, tc.dom, err, tc.want...)
	}
	for _, dom := range []string{"x.test", "*.x.test", "x.test.", "bücher.test", "[192.0.2.1]", "/^a[.][.]b$/", "mx?.test"} {
		if _, err := ParseCatalogue("p.yaml", []byte(catalogue(dom))); err != nil {
			t.Errorf("domain %q: %v, want it taken", dom, err)
		}
	}

	_, err := decodeSink(t, "sink:\n  profiles:\n    \"mail..test\": gmail\n")
	wantInOrder(t, "sink.profiles key", err, "sink.yaml:3:", "sink.profiles.'mail..test'", "two dots in a row")
	_, err = decodeSink(t, "sink:\n  profiles:\n    \"x.test\": gmial\n")
	wantInOrder(t, "unknown profile", err, "sink.profiles.'x.test'", `no profile is named "gmial"`, `did you mean "gmail"?`, "known:")
}
