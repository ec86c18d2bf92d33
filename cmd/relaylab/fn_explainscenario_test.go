package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFnSinkExplainScenario: sink explain --config takes a scenario file
// too, and explains what the replay's sink would answer: the scenario's
// sink rules, listeners and profile files (a file name taken from the
// scenario's directory, as replay takes it), the relay's EHLO name as the
// sink sees it in a replay, and the replay's checks of the file.
func TestFnSinkExplainScenario(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "corp.yaml"), []byte(`profiles:
  - name: corp
    domains: [corp.test]
    rules:
      - {stage: rcpt, recipient: "/^gone@/", reply: "550 5.1.1 gone from corp"}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	scen := filepath.Join(dir, "scen.yaml")
	if err := os.WriteFile(scen, []byte(`name: vip refused
relay:
  hostname: out.shop.test
sink:
  listeners:
    - {name: mx1}
  profile_files: [corp.yaml]
  rules:
    - {name: vip, stage: rcpt, recipient: "vip@example.test", reply: "550 5.7.1 not for you"}
    - {name: relay-helo, stage: mail, helo: "out.shop.test", delay: 2s}
messages:
  - {from: news@shop.test, to: ["vip@example.test", "gone@corp.test", "ok@example.test"]}
expect:
  recipients:
    - {match: "vip@example.test", status: bounced}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	// From another directory: the profile file is the scenario's.
	code, out, errOut := runIn(t, ctx, "sink", "explain", "--config", scen, "--from", "news@shop.test",
		"--to", "vip@example.test", "--to", "gone@corp.test", "--to", "ok@example.test")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		`what the replay's sink of scenario "vip refused" answers on listener mx1, from 127.0.0.1 (EHLO out.shop.test, the replay's relay), attempt 1 (nothing is sent; no probability is drawn)`,
		"EHLO out.shop.test\n",
		"MAIL FROM:<news@shop.test>\n  * delay 2s (rule \"relay-helo\")\n",
		"RCPT TO:<vip@example.test>\n  * reply by rule \"vip\"\n  550 5.7.1 not for you\n",
		"RCPT TO:<gone@corp.test>\n  (profile corp (" + filepath.Join(dir, "corp.yaml") + ") answers for corp.test",
		"550 5.1.1 gone from corp",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	// --helo still says who the client is; --json names the scenario.
	code, out, _ = runIn(t, ctx, "sink", "explain", "--config", scen, "--helo", "other.test", "--to", "ok@example.test", "--json")
	var got struct {
		Scenario string `json:"scenario"`
		HELO     string `json:"helo"`
		Listener string `json:"listener"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil || got.Scenario != "vip refused" || got.HELO != "other.test" || got.Listener != "mx1" {
		t.Errorf("--json: exit %d\n%s", code, out)
	}

	// A scenario that replay would refuse is refused with its line.
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("name: bad\nsink:\n  rules:\n    - {stage: rcpt, recipient: \"*@example.test\", reply: \"250 ok\", drop: true}\nmessages:\n  - {to: [\"a@example.test\"]}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = runIn(t, ctx, "sink", "explain", "--config", bad, "--to", "a@example.test")
	if code != 2 || !strings.Contains(errOut, "bad.yaml:4:") || !strings.Contains(errOut, "sink.rules[0]") {
		t.Errorf("bad scenario: exit %d, want 2 and the file's line\n%s", code, errOut)
	}
}
