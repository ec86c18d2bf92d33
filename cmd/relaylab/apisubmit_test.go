package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAPISubmitFollowsRelayPolicy: with relay.allowed_networks: [] no
// one may submit without AUTH, so the web API, whose callers without
// web.token are unauthenticated loopback clients, answers 403 saying why
// and what to set (it queued the message before); with web.token set, a
// caller that gives the token counts as authenticated and may queue.
func TestAPISubmitFollowsRelayPolicy(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, config, token string
		status              int
		detail              string
	}{
		{"no token, no one may submit", "relay: {allowed_networks: []}\n", "", http.StatusForbidden,
			"only after AUTH (relay.allowed_networks does not cover it)"},
		{"token, no one may submit without AUTH", "relay: {allowed_networks: []}\nweb: {token: 0123456789abcdef0123}\n", "0123456789abcdef0123", http.StatusAccepted, ""},
		{"no token, loopback may submit", "relay: {allowed_networks: [127.0.0.0/8]}\n", "", http.StatusAccepted, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			cfg := filepath.Join(dir, "c.yaml")
			if err := os.WriteFile(cfg, []byte(tc.config), 0o600); err != nil {
				t.Fatal(err)
			}
			ready := filepath.Join(dir, "ready.json")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			_, errb, done := startServeArgs(t, ctx, "--db", filepath.Join(dir, "s.db"), "--config", cfg, "--sink-listen", "127.0.0.1:0",
				"--relay-listen", "127.0.0.1:0", "--web-listen", "127.0.0.1:0", "--ready-file", ready)
			b, err := os.ReadFile(ready)
			if err != nil {
				t.Fatal(err)
			}
			var info readyInfo
			if err := json.Unmarshal(b, &info); err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequest("POST", strings.TrimSuffix(info.Web, "/")+"/api/v1/messages",
				strings.NewReader(`{"from": "a@sender.test", "to": ["b@far-away.test"], "subject": "hi", "text": "hi"}`))
			req.Header.Set("Content-Type", "application/json")
			if tc.token != "" {
				req.Header.Set("Authorization", "Bearer "+tc.token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status || !strings.Contains(string(body), tc.detail) {
				t.Errorf("POST /api/v1/messages: %d %s; want %d with %q", resp.StatusCode, body, tc.status, tc.detail)
			}
			if tc.status == http.StatusForbidden && !strings.Contains(string(body), "set web.token") {
				t.Errorf("the 403 does not say what to do: %s", body)
			}
			cancel()
			if code := <-done; code != 0 {
				t.Fatalf("serve exited %d:\n%s", code, errb.String())
			}
		})
	}
}
