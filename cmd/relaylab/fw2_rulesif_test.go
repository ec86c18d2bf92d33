package main

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/web"
)

// TestSinkAdapterSetRulesIf: the adapter hands the web's test to the
// sink, which runs it on the rules running (as the editor shows them)
// and installs the new ones in the same step, or leaves them.
func TestSinkAdapterSetRulesIf(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a := testSinkAdapter(t)
	before, err := a.Rules(ctx)
	if err != nil {
		t.Fatal(err)
	}
	next := web.SinkRules{YAML: "- stage: rcpt\n  recipient: \"*@x.test\"\n  reply: 550 5.1.1 no\n"}
	cur, ok, err := a.SetRulesIf(ctx, next, func(c web.SinkRules) bool { return false })
	if ok || err != nil || cur != before {
		t.Errorf("a refused SetRulesIf = %q, %v, %v; want the rules running (%q), false", cur.YAML, ok, err, before.YAML)
	}
	if now, _ := a.Rules(ctx); now != before {
		t.Errorf("a refused SetRulesIf changed the rules to %q", now.YAML)
	}
	var shown web.SinkRules
	if _, ok, err := a.SetRulesIf(ctx, next, func(c web.SinkRules) bool { shown = c; return true }); !ok || err != nil || shown != before {
		t.Errorf("SetRulesIf = %v, %v, shown %q; want installed over %q", ok, err, shown.YAML, before.YAML)
	}
	if now, _ := a.Rules(ctx); !strings.Contains(now.YAML, "550 5.1.1 no") {
		t.Errorf("after SetRulesIf the rules are %q", now.YAML)
	}
	if _, _, err := a.SetRulesIf(ctx, web.SinkRules{YAML: "- stage: nowhere\n"}, func(web.SinkRules) bool { return true }); !errors.Is(err, web.ErrInvalid) || !strings.Contains(err.Error(), "rules[0]") {
		t.Errorf("SetRulesIf of a bad rule: %v; want ErrInvalid at rules[0]", err)
	}
}
