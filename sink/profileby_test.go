package sink

import (
	"context"
	"testing"
)

// The record of a reply chosen by a profile of sink.profile_files names
// the file, so that a reader finds the rule (built-in ones name none).
func TestProfileRuleByNamesItsFile(t *testing.T) {
	t.Parallel()
	file := writeProfiles(t, "profiles:\n  - name: acme\n    domains: [acme.test]\n    rules: [{stage: rcpt, reply: \"550 5.1.1 not here\"}]\n")
	s, st := testSink(t, nil, func(c *Config) { c.ProfileFiles = []string{file} })
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	c.expect(250, "", "MAIL FROM:<a@x.test>")
	c.expect(550, "not here", "RCPT TO:<bob@acme.test>")
	c.expect(550, "", "RCPT TO:<nosuchuser@gmail.test>")
	c.expect(221, "", "QUIT")
	waitSessions(t, st, 1)
	atts, err := AllAttempts(context.Background(), st.DB())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"bob@acme.test":         "profile acme (in " + file + ", domain acme.test), rules[0]",
		"nosuchuser@gmail.test": "profile gmail (domain gmail.test), rules[0]",
	}
	for _, a := range atts {
		if a.By != want[a.Recipient] {
			t.Errorf("%s: by %q, want %q", a.Recipient, a.By, want[a.Recipient])
		}
	}
	if len(atts) != len(want) {
		t.Errorf("got %d attempts, want %d", len(atts), len(want))
	}
}
