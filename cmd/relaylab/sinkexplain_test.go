package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/sink"
)

// relaylab sink explain: what the sink would answer an envelope, from a
// configuration's rules, profiles and listeners and the address
// directives, without sending.
func TestSinkExplainCommand(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg := filepath.Join(t.TempDir(), "sink.yaml")
	if err := os.WriteFile(cfg, []byte(`sink:
  listeners:
    - {name: mx1, listen: "127.0.0.1:0"}
    - {name: mx2, listen: "127.0.0.1:0"}
  profiles: {corp.test: microsoft}
  rules:
    - {name: flaky, stage: rcpt, recipient: "*@flaky.test", probability: 0.3, reply: "451 4.4.2 try again"}
    - {stage: rcpt, recipient: "second@*", attempt: "2-", reply: "550 5.7.1 no more"}
    - {stage: connect, listener: mx2, reply: "421 4.3.2 not accepting mail"}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runIn(t, ctx, "sink", "explain", "--config", cfg, "--from", "app@shop.test",
		"--to", "nosuchuser@gmail.test", "--to", "bob@flaky.test", "--to", "defer2+x@x.test", "--to", "blocked@corp.test", "--to", "fine@x.test")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"what the sink answers on listener mx1, from 127.0.0.1, attempt 1 (nothing is sent; no probability is drawn)",
		"RCPT TO:<nosuchuser@gmail.test>\n  (profile gmail (built in) answers for gmail.test: its domains: list \"gmail.test\")\n  * reply by profile gmail (domain gmail.test), rules[0]\n  550-5.1.1 ",
		"RCPT TO:<bob@flaky.test>\n  rule \"flaky\" with probability 0.3:\n    * reply by rule \"flaky\"\n    451 4.4.2 try again\n  otherwise:\n    250 2.1.5 Recipient <bob@flaky.test> OK\n",
		"RCPT TO:<defer2+x@x.test>\n  * reply by directive defer2\n  451 4.7.1 Deferred on request: try again later\n  depends on: directive \"defer2\" acts on attempts 1 to 2",
		"RCPT TO:<blocked@corp.test>\n  (profile microsoft answers for corp.test: sink.profiles maps \"corp.test\" to it)\n  * reply by profile microsoft (domain corp.test), rules[1]\n  550 5.7.1 ",
		"DATA\n  354 Go ahead.",
		"(the message and its final dot)\n  250 2.0.0 Message accepted as N\n  (the sink's own reply: no directive, rule or profile rule answers here)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	// --attempt, --listener, --json.
	code, out, _ = runIn(t, ctx, "sink", "explain", "--config", cfg, "--to", "second@x.test", "--attempt", "2", "--json")
	var got struct {
		Listener string      `json:"listener"`
		Attempt  int         `json:"attempt"`
		Steps    []sink.Step `json:"steps"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil || got.Listener != "mx1" || got.Attempt != 2 || len(got.Steps) != 4 {
		t.Fatalf("--json: exit %d\n%s", code, out)
	}
	if st := got.Steps[3]; st.Stage != sink.StageRcpt || st.Reply == nil || st.Reply.Code != 550 || st.By != "sink.rules[1]" || len(st.History) != 1 {
		t.Errorf("--attempt 2: %+v", st)
	}
	code, out, _ = runIn(t, ctx, "sink", "explain", "--config", cfg, "--listener", "mx2", "--to", "a@x.test")
	if code != 0 || !strings.Contains(out, "* reply by sink.rules[2]\n  421 4.3.2 not accepting mail\n  * the connection closes after this reply\n") || strings.Contains(out, "EHLO") {
		t.Errorf("--listener mx2: exit %d\n%s", code, out)
	}

	// Bad arguments: exit 2, in the sink's words.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--listener", "MX2", "--to", "a@x.test"}, `no listener is named "MX2" (defined: "mx1", "mx2")`},
		{[]string{"--from", "a@x.test"}, "sink explain needs a recipient: --to ADDR"},
		{[]string{"--to", "a@b..test"}, `recipient "a@b..test": the sink would answer 553`},
		{[]string{"--client", "example"}, `--client "example" is not an IP address`},
		{[]string{"--attempt", "0"}, "--attempt 0: attempts count from 1"},
		{[]string{"bob@x.test"}, "a recipient goes after --to"},
	} {
		code, _, errOut := runIn(t, ctx, append([]string{"sink", "explain", "--config", cfg}, tc.args...)...)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%q: exit %d, %q; want 2 and %q", tc.args, code, errOut, tc.want)
		}
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("sink:\n  rules:\n    - {stage: rcpt, listener: MX, reply: \"550 no\"}\n"), 0o600)
	if code, _, errOut := runIn(t, ctx, "sink", "explain", "--config", bad, "--to", "a@x.test"); code != 2 || !strings.Contains(errOut, "bad.yaml:3:") {
		t.Errorf("a bad configuration: exit %d, %q", code, errOut)
	}

	// sink --help names it, and a typo of it gets the name meant.
	if _, out, _ := runIn(t, ctx, "sink", "--help"); !strings.Contains(out, "relaylab sink explain [--config FILE]") {
		t.Errorf("sink --help:\n%s", out)
	}
	if code, _, errOut := runIn(t, ctx, "sink", "explian"); code != 2 || !strings.Contains(errOut, "did you mean relaylab sink explain?") {
		t.Errorf("sink explian: exit %d, %q", code, errOut)
	}
}
