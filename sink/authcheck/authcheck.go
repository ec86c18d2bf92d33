// Package authcheck gives the sink probe's SPF, DKIM and DMARC checks of
// a received message (sink.verify). sink and probe stay independent of
// each other; this package is the seam between them, shared by every
// program that starts a sink: relaylab serve and sink, and a scenario's
// replay.
package authcheck

import (
	"context"
	"log/slog"
	"net/netip"
	"time"

	"github.com/emersion/go-msgauth/authres"

	"github.com/relaylab/relaylab/internal/resolver"
	"github.com/relaylab/relaylab/probe"
	"github.com/relaylab/relaylab/sink"
)

// verifier checks messages through probe.VerifyMessage.
type verifier struct {
	r   resolver.Resolver
	err error // the resolver could not be made: every message gets temperror
}

var _ sink.Verifier = (*verifier)(nil)

// The sink asks a Verifier for ForgetDNS on a reload; ForgetDNS asks the
// resolver for Flush. Both are found by type assertion, so these keep a
// renamed method from silently ending the flush.
var (
	_ interface{ ForgetDNS() } = (*verifier)(nil)
	_ interface{ Flush() }     = (*resolver.Client)(nil)
)

// New is the Verifier for sink.Options when cfg.Enabled, asking the DNS
// servers cfg.Resolvers names (the system's when there are none), and nil
// when sink.verify is off. A resolver that cannot be made is logged, and
// every message then gets temperror results.
func New(cfg sink.VerifyConfig, log *slog.Logger) sink.Verifier {
	if !cfg.Enabled {
		return nil
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	timeout := 2 * time.Second // one attempt at one server; the sink bounds the whole
	if t := cfg.Timeout.D(); t > 0 && t < timeout {
		timeout = t
	}
	r, err := resolver.New(resolver.Options{Servers: cfg.Resolvers, Timeout: timeout, Logger: log})
	if err != nil {
		log.Error("sink.verify: no DNS resolver: every message will get temperror results; set sink.verify.resolvers", "err", err)
		return &verifier{err: err}
	}
	return &verifier{r: r}
}

// ForgetDNS drops the answers the resolver cached for their TTL (as a
// receiver's resolver keeps them), so that the next checks read the zones
// as they are now: the sink calls it on a reload (SIGHUP).
func (v *verifier) ForgetDNS() {
	if f, ok := v.r.(interface{ Flush() }); ok {
		f.Flush()
	}
}

// WithResolver is the Verifier that asks r.
func WithResolver(r resolver.Resolver) sink.Verifier { return &verifier{r: r} }

// Verify runs probe.VerifyMessage and keeps what the sink records.
func (v *verifier) Verify(ctx context.Context, ip netip.Addr, helo, mailFrom string, raw []byte) (sink.AuthResult, error) {
	if v.err != nil {
		// RFC 8601 2.7: temperror when a check could not be completed.
		return sink.AuthResult{SPF: "temperror", DKIM: "temperror", DMARC: "temperror",
			Header: probe.UncheckedHeader("relaylab", authres.ResultTempError, v.err.Error())}, nil
	}
	ar, err := probe.VerifyMessage(ctx, v.r, ip, helo, mailFrom, raw)
	if err != nil {
		return sink.AuthResult{}, err
	}
	out := sink.AuthResult{SPF: string(ar.SPF.Result), DKIM: "none", DMARC: ar.DMARC.Result,
		DMARCPolicy: ar.DMARC.Policy, Header: ar.Header}
	for i, d := range ar.DKIM {
		if i == 0 || d.Result == "pass" {
			out.DKIM = d.Result
		}
		if d.Result == "pass" {
			break
		}
	}
	return out, nil
}
