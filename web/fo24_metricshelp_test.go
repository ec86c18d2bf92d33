package web

import (
	"strings"
	"testing"
)

// TestFO24WriteFailuresHelp: walk item (a). The HELP of
// relaylab_store_write_failures_total said the clients were "answered
// 451", but the sink answers 452 4.3.1 for a full disk at the end of data
// (451 4.3.0 for another failure) and the relay's submission 451 4.3.0.
func TestFO24WriteFailuresHelp(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Options{Relay: newFakeRelay()})
	code, _, body := do(t, "GET", ts.url+"/metrics", "")
	if code != 200 {
		t.Fatalf("metrics: %d", code)
	}
	var help string
	for _, l := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(l, "# HELP relaylab_store_write_failures_total ") {
			help = l
		}
	}
	for _, want := range []string{"by the sink 452 4.3.1 (a full disk) or 451 4.3.0", "by the relay's submission 451 4.3.0"} {
		if !strings.Contains(help, want) {
			t.Errorf("the HELP lacks %q:\n%s", want, help)
		}
	}
}
