package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// With relay.dsn.verp the relay sends every message from its bounce
// address tagged with the queue id, which does not hold the original
// sender: sink explain says of a rule with sender: app@shop.test that it
// never matches the relay's mail, and says nothing of a rule that matches
// the VERP address, nor of any rule without VERP.
func TestFS22bSinkExplainVERPSender(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	write := func(name string, verp bool) string {
		t.Helper()
		v := "false"
		if verp {
			v = "true"
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(`relay:
  hostname: out.shop.test
  dsn: {verp: `+v+`}
sink:
  rules:
    - {name: app, stage: mail, sender: app@shop.test, reply: "550 5.7.1 not from app"}
    - {stage: rcpt, sender: "bounces+*@out.shop.test", recipient: "x@example.test", reply: "550 5.1.1 no"}
`), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	code, out, errOut := runIn(t, ctx, "sink", "explain", "--config", write("verp.yaml", true), "--from", "app@shop.test", "--to", "bob@example.test")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	want := `note: sink.rules[0].sender "app@shop.test" (rule "app") never matches mail from the relay: with relay.dsn.verp: true the relay sends each message from bounces+QUEUEID.MAC@out.shop.test`
	if !strings.Contains(out, want) || !strings.Contains(out, `sender: "bounces+*@out.shop.test" for all of it`) {
		t.Errorf("sink explain with VERP on says:\n%s\nwant a note: %s ... and the pattern that matches the relay's mail", out, want)
	}
	if strings.Count(out, "note: ") != 1 {
		t.Errorf("sink explain with VERP on has %d notes, want 1 (rule 1 matches the VERP address):\n%s", strings.Count(out, "note: "), out)
	}
	code, out, errOut = runIn(t, ctx, "sink", "explain", "--config", write("verp.yaml", true), "--to", "bob@example.test", "--json")
	var j explainJSON
	if code != 0 || json.Unmarshal([]byte(out), &j) != nil || len(j.Notes) != 1 || !strings.Contains(j.Notes[0], "never matches mail from the relay") {
		t.Errorf("sink explain --json with VERP on: exit %d, notes %q, want the one note\n%s%s", code, j.Notes, out, errOut)
	}
	code, out, errOut = runIn(t, ctx, "sink", "explain", "--config", write("plain.yaml", false), "--from", "app@shop.test", "--to", "bob@example.test")
	if code != 0 || strings.Contains(out, "note: ") {
		t.Errorf("sink explain without VERP: exit %d, want no note:\n%s%s", code, out, errOut)
	}
}
