package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/relaylab/relaylab/reports/scenario"
)

var keyFileRE = regexp.MustCompile(`key_file:\s*["']?([^"'\s,}/]+)`)

// TestReadmeExamples checks that every YAML example in README.md is read
// without error: configuration sections by the configuration loader, and
// scenarios by the scenario reader.
func TestReadmeExamples(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(string(data), -1)
	if len(blocks) < 3 {
		t.Fatalf("found %d YAML examples in README.md, expected at least 3", len(blocks))
	}
	for i, b := range blocks {
		y := b[1]
		if strings.HasPrefix(y, "groups:") {
			checkAlertRules(t, i+1, y)
			continue
		}
		if strings.HasPrefix(y, "name:") {
			if _, err := scenario.Parse("README scenario", []byte(y)); err != nil {
				t.Errorf("README YAML example %d: %v", i+1, err)
			}
			continue
		}
		// Key files named in an example are read from beside it: put
		// keys there.
		dir := t.TempDir()
		for _, m := range keyFileRE.FindAllStringSubmatch(y, -1) {
			os.WriteFile(filepath.Join(dir, m[1]), keyPEM(t), 0o600)
		}
		path := filepath.Join(dir, "example.yaml")
		os.WriteFile(path, []byte(y), 0o644)
		if _, err := loadConfig(path); err != nil {
			t.Errorf("README YAML example %d: %v", i+1, err)
		}
	}
}

// checkAlertRules checks a Prometheus rules file of the README: YAML
// whose rules each have an alert and an expr, every relaylab_ series of
// which the web server exports (named in web/metrics.go).
func checkAlertRules(t *testing.T, n int, y string) {
	t.Helper()
	var f struct {
		Groups []struct {
			Rules []struct {
				Alert string `yaml:"alert"`
				Expr  string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal([]byte(y), &f); err != nil || len(f.Groups) == 0 {
		t.Errorf("README YAML example %d (alert rules): %v, %d groups", n, err, len(f.Groups))
		return
	}
	src, err := os.ReadFile("../../web/metrics.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" || r.Expr == "" {
				t.Errorf("README YAML example %d: a rule without alert or expr: %+v", n, r)
			}
			for _, m := range regexp.MustCompile(`relaylab_[a-z_]+`).FindAllString(r.Expr, -1) {
				if !strings.Contains(string(src), `"`+m+`"`) {
					t.Errorf("README YAML example %d: alert %s reads %s, which /metrics does not export", n, r.Alert, m)
				}
			}
		}
	}
}
