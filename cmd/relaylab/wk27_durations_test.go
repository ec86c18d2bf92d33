package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/config"
)

// goDuration matches a duration as Go prints it with zero units at its
// end (840h0m0s, 5m0s, 2h0m), which a person does not write.
var goDuration = regexp.MustCompile(`\b\d+h0m(0s)?\b|\b\d+m0s\b`)

// TestConfigPrintsDurationsAsWritten: relaylab config prints every
// duration as the file writes it (keep: 35d, max_age: 5d, idle_timeout:
// 5m), not as Go does (840h0m0s, 120h0m0s, 5m0s), and what it prints
// loads back as the same configuration.
func TestConfigPrintsDurationsAsWritten(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "keep.yaml")
	if err := os.WriteFile(cfg, []byte("store:\n  keep: 35d\nprobe:\n  interval: 90m\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runIn(t, t.Context(), "config", "--config", cfg)
	if code != 0 {
		t.Fatalf("config: exit %d\n%s", code, errOut)
	}
	for _, want := range []string{"  keep: 35d\n", "  interval: 1h30m\n", "    max_age: 5d\n", "      idle_timeout: 5m\n", "    data_timeout: 10m\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("config does not print %q", want)
		}
	}
	if m := goDuration.FindAllString(out, -1); m != nil {
		t.Errorf("config prints durations as Go writes them: %q", m)
	}
	printed := filepath.Join(dir, "printed.yaml")
	if err := os.WriteFile(printed, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	again, err := loadConfig(printed)
	if err != nil {
		t.Fatalf("the printed configuration does not load: %v", err)
	}
	if again.Store.Keep.D() != 35*24*time.Hour {
		t.Errorf("store.keep loads back as %v, want 35 days", again.Store.Keep.D())
	}
}

// TestDurationsInMessages: a store.keep too short, a negative
// --shutdown-grace and load's target line give durations as they were
// written.
func TestDurationsInMessages(t *testing.T) {
	t.Parallel()
	c := &fileConfig{}
	c.Store.Sync, c.Store.Keep = "full", config.Duration(30*time.Minute)
	if err := c.Validate(""); err == nil || !strings.Contains(err.Error(), "30m: at least 1h") {
		t.Errorf("store.keep 30m: %v, want it named as 30m", err)
	}
	if err := flagAtLeast("shutdown-grace", -2*time.Minute, 0, "0 or more"); err == nil || !strings.Contains(err.Error(), "--shutdown-grace -2m: ") {
		t.Errorf("--shutdown-grace -2m: %v", err)
	}
	if got := loadTargetLine("127.0.0.1:2525", true, 0, 1, 10*time.Minute); !strings.Contains(got, "messages for 10m ") || goDuration.MatchString(got) {
		t.Errorf("load's target line: %q, want messages for 10m", got)
	}
}
