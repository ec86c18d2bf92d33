package smtpload

import (
	"context"
	"crypto/tls"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/smtpload/smtptest"
)

// TestRunCountsNotOffered: --starttls or --auth-user against a server
// whose EHLO offers neither is its own kind of failure, not "tls" (which
// sends the reader after certificates and ports): nothing was sent.
func TestRunCountsNotOffered(t *testing.T) {
	t.Parallel()
	for _, cfg := range []Config{{StartTLS: true, TLS: &tls.Config{}}, {AuthUser: "u", AuthPass: "p"}} {
		srv := smtptest.Start(t, smtptest.Options{})
		cfg.Target, cfg.Sessions, cfg.Messages, cfg.Rcpts, cfg.Reuse, cfg.From, cfg.To = srv.Addr, 1, 3, 1, 1, "a@x.test", "b@y.test"
		cfg.Clock = &stepClock{now: time.Now()}
		res := runWithin(t, context.Background(), cfg)
		if res.ConnErrors["not-offered"] == 0 || res.ConnErrors["tls"] != 0 {
			t.Errorf("starttls %v, auth %q: connection errors %v, want not-offered and no tls", cfg.StartTLS, cfg.AuthUser, res.ConnErrors)
		}
	}
}
