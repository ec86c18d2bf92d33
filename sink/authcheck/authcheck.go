// Package authcheck gives the sink probe's SPF, DKIM and DMARC checks of
// a received message (sink.verify). sink and probe stay independent of
// each other; this package is the seam between them, shared by every
// program that starts a sink: relaylab serve and sink, and a scenario's
// replay.
package authcheck

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"github.com/emersion/go-msgauth/authres"
	"github.com/miekg/dns"

	"github.com/relaylab/relaylab/internal/repeatlog"
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
	return &verifier{r: watch(r, log)}
}

// watchedResolver is the resolver of sink.verify, which logs when it
// does not answer: every message then gets temperror for SPF, DKIM and
// DMARC, and nothing said why. The first failure is logged at once, then
// at most a line a minute with a count (repeatlog), and a line when it
// answers again.
type watchedResolver struct {
	resolver.Resolver
	log  *slog.Logger
	down *repeatlog.Limiter
	now  func() time.Time // the Limiter's times: time.Now, or a test's
}

var _ interface{ Flush() } = (*watchedResolver)(nil)

// watch is r, logging on log when it does not answer.
func watch(r *resolver.Client, log *slog.Logger) *watchedResolver {
	return &watchedResolver{Resolver: r, log: log, now: time.Now, down: &repeatlog.Limiter{
		What:   "sink.verify: asking its DNS resolver (" + strings.Join(r.Servers(), ", ") + ")",
		Advice: "while it does not answer, every message gets temperror for SPF, DKIM and DMARC (the sink takes the mail, and its rules on dkim or dmarc results never see a pass or a fail); check sink.verify.resolvers (is a DNS server running at that address and port?) or, without it, /etc/resolv.conf",
		// Answers for some names between timeouts for others end a run
		// only a minute after its last failure.
		Quiet: time.Minute,
	}}
}

// note judges an answer: a server that could not be reached, or did not
// answer within its query timeout while the message's checks still had
// time (a message past sink.verify.timeout is no fault of the server's),
// is a failure; an answer from it (NXDOMAIN and SERVFAIL included), one
// that worked. An answer from the cache says nothing of the server.
func (w *watchedResolver) note(ctx context.Context, src resolver.Source, err error) {
	switch {
	case errors.Is(err, resolver.ErrUnreachable), errors.Is(err, resolver.ErrTimeout) && ctx.Err() == nil:
		w.down.Failed(w.log, w.now(), err)
	case err == nil && src.Cached:
	case err == nil, errors.Is(err, resolver.ErrNXDomain), errors.Is(err, resolver.ErrServFail), errors.Is(err, resolver.ErrRefused):
		w.down.Worked(w.log, w.now())
	}
}

func (w *watchedResolver) LookupTXT(ctx context.Context, name string) (resolver.TXT, error) {
	a, err := w.Resolver.LookupTXT(ctx, name)
	w.note(ctx, a.Source, err)
	return a, err
}

func (w *watchedResolver) LookupMX(ctx context.Context, name string) (resolver.MXs, error) {
	a, err := w.Resolver.LookupMX(ctx, name)
	w.note(ctx, a.Source, err)
	return a, err
}

func (w *watchedResolver) LookupIP(ctx context.Context, name string, qtype uint16) (resolver.IPs, error) {
	a, err := w.Resolver.LookupIP(ctx, name, qtype)
	w.note(ctx, a.Source, err)
	return a, err
}

func (w *watchedResolver) LookupPTR(ctx context.Context, addr netip.Addr) (resolver.Names, error) {
	a, err := w.Resolver.LookupPTR(ctx, addr)
	w.note(ctx, a.Source, err)
	return a, err
}

func (w *watchedResolver) LookupCNAME(ctx context.Context, name string) (resolver.CNAME, error) {
	a, err := w.Resolver.LookupCNAME(ctx, name)
	w.note(ctx, a.Source, err)
	return a, err
}

func (w *watchedResolver) Exchange(ctx context.Context, q *dns.Msg) (resolver.Reply, error) {
	a, err := w.Resolver.Exchange(ctx, q)
	w.note(ctx, a.Source, err)
	return a, err
}

// Flush is the resolver's (ForgetDNS).
func (w *watchedResolver) Flush() {
	if f, ok := w.Resolver.(interface{ Flush() }); ok {
		f.Flush()
	}
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
