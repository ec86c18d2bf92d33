package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/reports/scenario"
)

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
		if strings.HasPrefix(y, "name:") {
			if _, err := scenario.Parse("README scenario", []byte(y)); err != nil {
				t.Errorf("README YAML example %d: %v", i+1, err)
			}
			continue
		}
		// Key files named in examples need not exist for the file to parse.
		path := filepath.Join(t.TempDir(), "example.yaml")
		os.WriteFile(path, []byte(y), 0o644)
		if _, err := loadConfig(path); err != nil {
			t.Errorf("README YAML example %d: %v", i+1, err)
		}
	}
}
