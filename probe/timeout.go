package probe

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/miekg/dns"

	"github.com/relaylab/relaylab/internal/resolver"
)

// TimeoutError is a lookup that no DNS server answered in the time
// allowed for one query. It says that time, where the resolver's own
// error ends in the words of the sockets it closed when time ran out
// ("context deadline exceeded (read udp ...: use of closed network
// connection)"). It wraps the resolver's error: errors.Is(err,
// resolver.ErrTimeout) still holds.
type TimeoutError struct {
	Name   string        // the name asked, with the final dot
	Qtype  uint16        // the type asked
	Server string        // the last server asked, "" if none
	After  time.Duration // the time allowed for one query; 0 when not known
	Err    error         // the resolver's error
}

func (e *TimeoutError) Error() string {
	s := fmt.Sprintf("dns %s %s", dns.TypeToString[e.Qtype], e.Name)
	if e.Server != "" {
		s += " at " + e.Server
	}
	if e.After > 0 {
		return fmt.Sprintf("%s: timed out after %s (no answer in the time allowed for one query)", s, e.After)
	}
	return s + ": timed out (no answer in the time allowed for one query)"
}

func (e *TimeoutError) Unwrap() error { return e.Err }

// timeouts is the resolver of a run, which turns the resolver's timeouts
// into *TimeoutError.
type timeouts struct {
	resolver.Resolver
	after time.Duration
}

var _ resolver.Resolver = (*timeouts)(nil)

// explain turns a timeout into a *TimeoutError; other errors stay as
// they are.
func (t *timeouts) explain(err error) error {
	var re *resolver.Error
	if !errors.Is(err, resolver.ErrTimeout) || !errors.As(err, &re) {
		return err
	}
	return &TimeoutError{Name: re.Name, Qtype: re.Qtype, Server: re.Server, After: t.after, Err: err}
}

func (t *timeouts) LookupTXT(ctx context.Context, name string) (resolver.TXT, error) {
	r, err := t.Resolver.LookupTXT(ctx, name)
	return r, t.explain(err)
}

func (t *timeouts) LookupMX(ctx context.Context, name string) (resolver.MXs, error) {
	r, err := t.Resolver.LookupMX(ctx, name)
	return r, t.explain(err)
}

func (t *timeouts) LookupIP(ctx context.Context, name string, qtype uint16) (resolver.IPs, error) {
	r, err := t.Resolver.LookupIP(ctx, name, qtype)
	return r, t.explain(err)
}

func (t *timeouts) LookupPTR(ctx context.Context, addr netip.Addr) (resolver.Names, error) {
	r, err := t.Resolver.LookupPTR(ctx, addr)
	return r, t.explain(err)
}

func (t *timeouts) LookupCNAME(ctx context.Context, name string) (resolver.CNAME, error) {
	r, err := t.Resolver.LookupCNAME(ctx, name)
	return r, t.explain(err)
}

func (t *timeouts) Exchange(ctx context.Context, q *dns.Msg) (resolver.Reply, error) {
	r, err := t.Resolver.Exchange(ctx, q)
	return r, t.explain(err)
}
