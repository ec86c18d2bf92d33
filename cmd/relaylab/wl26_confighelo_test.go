package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWL26ConfigHeloComment: relaylab config said of an empty probe.helo
// "none: the IPs' HELO names are not checked" even when every watched IP
// gives its own helo, whose names are checked. The comment says what the
// file makes true: every IP's own, some IPs' own, or none.
func TestWL26ConfigHeloComment(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, ips string
		want      string
	}{
		{"every IP its own", `[{ip: 192.0.2.25, helo: mail.example.com}, {ip: "2001:db8::25", helo: mail6.example.com}]`,
			"none needed: every IP in probe.ips gives its own helo, which is checked"},
		{"some IPs their own", `[192.0.2.26, {ip: 192.0.2.25, helo: mail.example.com}]`,
			"none: only the IPs that give their own helo have their HELO names checked"},
		{"none", `[192.0.2.25]`, "none: the IPs' HELO names are not checked"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(t.TempDir(), "relaylab.yaml")
			if err := os.WriteFile(file, []byte("probe:\n  ips: "+tt.ips+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			out, _ := printed(t, file)
			var line string
			for _, l := range strings.Split(out, "\n") {
				if strings.HasPrefix(strings.TrimSpace(l), "helo: ") {
					line = l
				}
			}
			if !strings.HasSuffix(line, `helo: "" # `+tt.want) {
				t.Errorf("probe.helo printed as %q, want the comment %q", line, tt.want)
			}
		})
	}
}
