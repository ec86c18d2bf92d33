package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fkRules has rules whose greylist: and bounce: leave every key out, and
// ones that write 0 where 0 means 0.
const fkRules = `sink:
  rules:
    - {name: grey, stage: rcpt, recipient: "g@*", greylist: {}}
    - {name: bounce, stage: data-end, recipient: "b@*", bounce: {}}
    - {name: grey0, stage: rcpt, recipient: "g0@*", greylist: {delay: 0s, keep_passed: 0s}}
    - {name: bounce0, stage: data-end, recipient: "b0@*", bounce: {after: 0s, reply: "550 5.2.1 gone"}}
`

// relaylab config prints a rule's greylist: and bounce: with the values
// the sink runs them with (they were printed as {}), a 0 written in them
// as 0 with what it does, and the printout loads back the same.
func TestFKConfigRuleDefaults(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "rules.yaml")
	os.WriteFile(file, []byte(fkRules), 0o644)
	out, c := printed(t, file)
	r := c.Sink.Rules
	if len(r) != 4 {
		t.Fatalf("printed %d rules, want 4:\n%s", len(r), out)
	}
	g, b, g0, b0 := r[0].Greylist, r[1].Bounce, r[2].Greylist, r[3].Bounce
	for _, x := range []struct {
		what      string
		got, want any
	}{
		{"greylist.delay", g.Delay != nil && g.Delay.D() == 5*time.Minute, true},
		{"greylist.expiry", g.Expiry != nil && g.Expiry.D() == 4*time.Hour, true},
		{"greylist.keep_passed", g.KeepPassed != nil && g.KeepPassed.D() == 35*24*time.Hour, true},
		{"greylist.reply", g.Reply, "451 4.7.1 Greylisted: this sender is new here, please try again later"},
		{"bounce.after", b.After != nil && b.After.D() == time.Minute, true},
		{"bounce.reply", b.Reply, "550 5.1.1 The mailbox does not exist (asynchronous bounce from the relaylab sink)"},
		{"greylist.delay: 0s", g0.Delay != nil && *g0.Delay == 0, true},
		{"greylist.keep_passed: 0s", g0.KeepPassed != nil && *g0.KeepPassed == 0, true},
		{"bounce.after: 0s", b0.After != nil && *b0.After == 0, true},
	} {
		if x.got != x.want {
			t.Errorf("%s: printed %v, want %v\n%s", x.what, x.got, x.want, out)
		}
	}
	again := filepath.Join(t.TempDir(), "printed.yaml")
	os.WriteFile(again, []byte(out), 0o644)
	if out2, _ := printed(t, again); body(out2) != body(out) {
		t.Errorf("the printout does not load back the same:\nfirst:\n%s\nagain:\n%s", body(out), body(out2))
	}
}

// Each zero of a rule that means 0 (ruleZeroMeanings) is printed with its
// meaning beside it, and each entry is met, so that the list says no more
// than is true.
func TestFKConfigRuleZeros(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "rules.yaml")
	os.WriteFile(file, []byte(fkRules), 0o644)
	out, _ := printed(t, file)
	found, err := zeroKeys([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(out, "\n")
	met := map[string]bool{}
	for _, z := range found {
		g := genericKey(z.key)
		if !strings.HasPrefix(g, "sink.rules[]") {
			continue
		}
		m, ok := ruleZeroMeanings[g]
		switch {
		case !ok:
			t.Errorf("%s is printed as %q, a zero ruleZeroMeanings does not explain", z.key, strings.TrimSpace(lines[z.line-1]))
		case !strings.Contains(lines[z.line-1], "# "+m):
			t.Errorf("%s: line %q lacks its meaning %q", z.key, lines[z.line-1], m)
		}
		met[g] = true
	}
	for k := range ruleZeroMeanings {
		if !met[k] {
			t.Errorf("ruleZeroMeanings has %s, which the printout does not show as a zero", k)
		}
	}
}
