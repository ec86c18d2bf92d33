package relay

import (
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/config"
)

// TestConfigWarmupStartAlone: warmup_start is checked with or without a
// warmup list, and without one it is refused at its line: a date that
// starts nothing would be taken silently.
func TestConfigWarmupStartAlone(t *testing.T) {
	t.Parallel()
	const path = "relay:\n  paths:\n    - name: p\n      host: 127.0.0.1:25\n"
	for _, tt := range []struct{ name, yaml, want string }{
		{"bad date without warmup", path + "      warmup_start: yesterday\n", `relaylab.yaml:5:21: relay.paths[0].warmup_start: warmup_start "yesterday": want a date such as 2026-03-01`},
		{"good date without warmup", path + "      warmup_start: 2026-03-01\n", `relaylab.yaml:5:21: relay.paths[0].warmup_start: "2026-03-01" is the first day of a warmup, but the path has no warmup`},
		{"bad date with warmup", path + "      warmup: [10, 20]\n      warmup_start: yesterday\n", `relay.paths[0].warmup_start: warmup_start "yesterday": want a date`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &fileWithRelay{Relay: DefaultConfig()}
			err := config.Decode("relaylab.yaml", []byte(tt.yaml), f)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
	f := &fileWithRelay{Relay: DefaultConfig()}
	if err := config.Decode("ok.yaml", []byte(path+"      warmup: [10, 20]\n      warmup_start: 2026-03-01\n"), f); err != nil {
		t.Errorf("a warmup with its start: %v", err)
	}
}
