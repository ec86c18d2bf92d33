package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeSinkPagesUseTheRelaysClassifier: serve's sink pages explain a
// refusal with the relay's classifier as configured, so a classify rule
// of the configuration names the sink's 550 5.1.1 as it names the same
// reply in the relay's queue, instead of the built-in table's
// invalid-recipient.
func TestServeSinkPagesUseTheRelaysClassifier(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ready := filepath.Join(dir, "ready.json")
	cfg := filepath.Join(dir, "relaylab.yaml")
	if err := os.WriteFile(cfg, []byte(`relay:
  classify:
    - stage: rcpt
      enhanced: "5.1.1"
      disposition: suppress
      category: gone-mailbox
      reason: our own words for a mailbox that is gone
      advice: take it off the list
`), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, errb, done := startServeArgs(t, ctx, "--config", cfg, "--db", filepath.Join(dir, "s.db"), "--sink-listen", "127.0.0.1:0",
		"--relay-listen", "127.0.0.1:0", "--web-listen", "127.0.0.1:0", "--ready-file", ready)
	b, err := os.ReadFile(ready)
	if err != nil {
		t.Fatalf("no ready file: %v\n%s", err, errb.String())
	}
	var info readyInfo
	if err := json.Unmarshal(b, &info); err != nil {
		t.Fatalf("ready file %s: %v", b, err)
	}
	if err := sendPlain(info.Sink["mx"], "a@shop.test", "rcpt550+alice@example.test", "Subject: x\r\n\r\nx\r\n"); err == nil || !strings.Contains(err.Error(), "550") {
		t.Fatalf("rcpt550+alice@: %v, want the directive's 550", err)
	}
	var ss []struct{ LastReply, Category, Reason, Advice string }
	for deadline := time.Now().Add(20 * time.Second); len(ss) == 0; time.Sleep(20 * time.Millisecond) { // recorded when the session ends
		if time.Now().After(deadline) {
			t.Fatalf("no sink session in the API")
		}
		resp, err := http.Get(info.Web + "/api/v1/sink/sessions")
		if err != nil {
			t.Fatal(err)
		}
		var body struct{ Sessions []map[string]any }
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("sessions: %v", err)
		}
		for _, s := range body.Sessions {
			str := func(k string) string { v, _ := s[k].(string); return v }
			ss = append(ss, struct{ LastReply, Category, Reason, Advice string }{str("last_reply"), str("category"), str("reason"), str("advice")})
		}
	}
	if s := ss[0]; !strings.HasPrefix(s.LastReply, "550 5.1.1") || s.Category != "gone-mailbox" || s.Reason != "our own words for a mailbox that is gone" || s.Advice != "take it off the list" {
		t.Errorf("sink session %+v: want the configuration's classify rule (gone-mailbox)", s)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("serve exited %d:\n%s", code, errb.String())
	}
}
