package web

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// firstDocSink installs the first YAML document of what it is given and
// reads the rules back in its own form, as a sink may.
type firstDocSink struct{ *fakeSink }

func (f firstDocSink) SetRules(ctx context.Context, r SinkRules) error {
	first, _, _ := strings.Cut(r.YAML, "\n---")
	return f.fakeSink.SetRules(ctx, SinkRules{YAML: first + "\n"})
}

// TestPutRulesAnswersWhatWasInstalled: PUT /api/v1/sink/rules answers
// with the rules the sink installed, as GET reads them back, not with the
// text sent (which said "installed" of a second document the sink never
// took).
func TestPutRulesAnswersWhatWasInstalled(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Options{Sink: firstDocSink{newFakeSink()}})
	sent := "rules:\n  - {name: p}\n---\nrules:\n  - {name: q}\n"
	body, _ := json.Marshal(SinkRules{YAML: sent})
	code, _, b := do(t, "PUT", ts.url+"/api/v1/sink/rules", string(body))
	if code != 200 {
		t.Fatalf("PUT: %d %s", code, b)
	}
	var put, get SinkRules
	if err := json.Unmarshal(b, &put); err != nil {
		t.Fatal(err)
	}
	getJSON(t, ts.url+"/api/v1/sink/rules", &get)
	if put != get || put.YAML != "rules:\n  - {name: p}\n" {
		t.Errorf("PUT answered %q, GET reads %q; want both the installed %q", put.YAML, get.YAML, "rules:\n  - {name: p}\n")
	}
}
