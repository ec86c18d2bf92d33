package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestReportConfigClassifiesSinkReplies: relaylab report --config
// explains the refusals of a store the sink alone wrote with the
// configuration's relay.classify rules before the built-in table, as
// serve's pages do with its relay's; it used the built-in table alone.
// With --db beside --config, the rules still apply.
func TestReportConfigClassifiesSinkReplies(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	path, _, _ := sendToSink(t, []string{"rcpt550@example.test"})
	cfg := filepath.Join(t.TempDir(), "relaylab.yaml")
	os.WriteFile(cfg, []byte(`store: {path: `+path+`}
relay:
  classify:
    - {code: "550", enhanced: "5.1.1", disposition: bounce, category: our-own, reason: "the list has a dead address", advice: "remove it from the list"}
`), 0o644)
	for _, args := range [][]string{{"--config", cfg}, {"--config", cfg, "--db", path}} {
		code, stdout, errOut := runIn(t, ctx, append([]string{"report", "--format", "json"}, args...)...)
		if code != 0 {
			t.Fatalf("report %v: exit %d, stderr %q", args, code, errOut)
		}
		var js struct {
			Recipients []struct{ Address, Category, Reason, Advice string }
		}
		if err := json.Unmarshal([]byte(stdout), &js); err != nil {
			t.Fatal(err)
		}
		if len(js.Recipients) != 1 || js.Recipients[0].Category != "our-own" || js.Recipients[0].Advice != "remove it from the list" {
			t.Errorf("report %v: %+v, want the configuration's category our-own", args, js.Recipients)
		}
	}
	// Without --config, the built-in table.
	code, stdout, _ := runIn(t, ctx, "report", "--format", "json", "--db", path)
	if code != 0 || !json.Valid([]byte(stdout)) || !strings.Contains(stdout, `"category": "invalid-recipient"`) {
		t.Errorf("report --db: exit %d, %s", code, stdout)
	}
}

// TestReportSinkOnlyOutsideSenderAdvice: relaylab report on a store the
// sink alone wrote advises on a deferral as expect does, for a sender
// that may not retry, not "nothing; it is retried", which is the relay's
// (walk S).
func TestReportSinkOnlyOutsideSenderAdvice(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	path, _, _ := sendToSink(t, []string{"rcpt451@example.test"})
	code, stdout, errOut := runIn(t, ctx, "report", "--format", "json", "--db", path)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	var js struct {
		Recipients []struct{ Address, Status, Advice string }
	}
	if err := json.Unmarshal([]byte(stdout), &js); err != nil {
		t.Fatal(err)
	}
	if len(js.Recipients) != 1 || js.Recipients[0].Status != "deferred" || !strings.HasPrefix(js.Recipients[0].Advice, "nothing if the sender retries") {
		t.Errorf("recipients %+v, want one deferred, advised for a sender that may not retry", js.Recipients)
	}
}
