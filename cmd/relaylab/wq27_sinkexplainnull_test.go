package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// relaylab sink explain --from '<>' is the null sender, as in relaylab
// send: the same answer as --from ”, not a 501 for an address without a
// domain.
func TestWQ27SinkExplainFromAngleNull(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg := filepath.Join(t.TempDir(), "sink.yaml")
	if err := os.WriteFile(cfg, []byte(`sink:
  listeners:
    - {name: mx, listen: "127.0.0.1:0"}
  rules:
    - {stage: mail, sender: "<>", reply: "550 5.7.1 no bounces here"}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, asJSON := range []bool{false, true} {
		args := func(from string) []string {
			a := []string{"sink", "explain", "--config", cfg, "--from", from, "--to", "bob@x.test"}
			if asJSON {
				a = append(a, "--json")
			}
			return a
		}
		code, want, errOut := runIn(t, ctx, args("")...)
		if code != 0 {
			t.Fatalf("--from '': exit %d\n%s%s", code, want, errOut)
		}
		code, got, errOut := runIn(t, ctx, args("<>")...)
		if code != 0 {
			t.Fatalf("--from '<>' (json %v): exit %d\n%s%s", asJSON, code, got, errOut)
		}
		if got != want {
			t.Errorf("--from '<>' (json %v): got\n%s\nwant what --from '' says\n%s", asJSON, got, want)
		}
		if !asJSON && !strings.Contains(got, "MAIL FROM:<>\n  * reply by sink.rules[0]\n  550 5.7.1 no bounces here") {
			t.Errorf("--from '<>': the MAIL step is not the null sender's rule's:\n%s", got)
		}
		if asJSON {
			var j struct {
				From *string `json:"from"`
			}
			if err := json.Unmarshal([]byte(got), &j); err != nil || j.From == nil || *j.From != "" {
				t.Errorf("--json from: got %s (%v), want \"\"", got, err)
			}
		}
	}
}
