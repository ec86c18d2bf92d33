package main

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/web"
)

// TestSinkAdapterRulesDeepNesting: the rules editor's text is checked for
// nesting before any parse: 200 KB of '[' took serve to 24 GB in the
// parser's first look at it (is it a pasted rules: section?), and the
// kernel killed it. It is an ErrInvalid naming the place and the limit,
// reached with a few allocations.
func TestSinkAdapterRulesDeepNesting(t *testing.T) {
	// Not parallel: AllocsPerRun counts the whole program's allocations.
	a := testSinkAdapter(t)
	const depth = 100000
	text := "rules: " + strings.Repeat("[", depth) + strings.Repeat("]", depth)
	var err error
	allocs := testing.AllocsPerRun(1, func() {
		err = a.SetRules(context.Background(), web.SinkRules{YAML: text})
	})
	if !errors.Is(err, web.ErrInvalid) || !strings.Contains(err.Error(), "deeper than 100 levels") {
		t.Fatalf("SetRules(deep) = %v, want ErrInvalid saying the nesting limit", err)
	}
	if allocs > 5000 { // the sink's own goroutines allocate a little meanwhile
		t.Errorf("refusing the deep text took %v allocations: it was parsed before it was checked", allocs)
	}
}
