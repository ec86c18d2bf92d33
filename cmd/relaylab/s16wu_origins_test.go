package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigAllowedOriginsNeverMatch: relaylab's configuration refuses an
// entry of web.allowed_origins that can never equal a browser's Origin,
// naming the file, the line, the key and what to write instead.
func TestConfigAllowedOriginsNeverMatch(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for i, tc := range []struct{ value, want string }{
		{"'*'", `r.yaml:2:46: web.allowed_origins[1]: "*" is a wildcard, which matches nothing here`},
		{"evil.test", `r.yaml:2:46: web.allowed_origins[1]: "evil.test" has no scheme: an origin is written whole, as scheme://host[:port]`},
		{"'http://evil.test/path'", `r.yaml:2:46: web.allowed_origins[1]: "http://evil.test/path" is more than an origin`},
		{"'https://*.corp.test'", `r.yaml:2:46: web.allowed_origins[1]: "https://*.corp.test" is a wildcard`},
	} {
		sub := filepath.Join(dir, string(rune('a'+i)))
		if err := os.MkdirAll(sub, 0o700); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(sub, "r.yaml")
		y := "web:\n  allowed_origins: ['http://127.0.0.1:3000', " + tc.value + "]\n"
		if err := os.WriteFile(path, []byte(y), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := loadConfig(path)
		got := ""
		if err != nil {
			got = strings.TrimPrefix(err.Error(), sub+string(filepath.Separator))
		}
		if !strings.HasPrefix(got, tc.want) {
			t.Errorf("allowed origin %s:\n got %s\nwant %s", tc.value, got, tc.want)
		}
	}
}
