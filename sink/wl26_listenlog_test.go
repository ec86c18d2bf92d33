package sink

import (
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
)

// TestWL26ListeningLogSaysHiddenSTARTTLS: a listener with tls: starttls
// and hide: [STARTTLS] offers no TLS, yet its "sink listening" line said
// tls=starttls. It says none, and why; one that offers STARTTLS keeps
// tls=starttls.
func TestWL26ListeningLogSaysHiddenSTARTTLS(t *testing.T) {
	t.Parallel()
	var logs lockedBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	testSinkLogged(t, filepath.Join(t.TempDir(), "sink.db"), nil, log, func(c *Config) {
		plain := c.Listeners[0]
		plain.Name, plain.Hide = "plain", []string{"starttls"}
		c.Listeners = append(c.Listeners, plain)
	})
	lines := map[string]string{}
	for l := range strings.SplitSeq(logs.String(), "\n") {
		if strings.Contains(l, `msg="sink listening"`) {
			for _, f := range strings.Fields(l) {
				if n, ok := strings.CutPrefix(f, "listener="); ok {
					lines[n] = l
				}
			}
		}
	}
	if l := lines["plain"]; !strings.Contains(l, `tls="none (STARTTLS hidden)"`) {
		t.Errorf("the hidden STARTTLS listener logged %q, want tls=\"none (STARTTLS hidden)\"", l)
	}
	if l := lines["mx"]; !strings.Contains(l, "tls=starttls") {
		t.Errorf("the STARTTLS listener logged %q, want tls=starttls", l)
	}
}
