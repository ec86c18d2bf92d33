// Package resolver is relaylab's DNS seam: a small interface over
// github.com/miekg/dns with configured servers, timeouts, a retry over TCP on
// truncation, EDNS0, a TTL cache on a clock.Clock and a concurrency limit.
//
// Every answer records which server gave it, and every failure is a typed
// *Error that matches one of the sentinels ErrNXDomain, ErrServFail,
// ErrTimeout, ErrMalformed or ErrRefused, so that callers can tell "the name
// does not exist" from "we could not find out".
package resolver

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Resolver is what checks need from DNS. Names are absolute or relative
// domain names; a trailing dot is optional.
type Resolver interface {
	LookupTXT(ctx context.Context, name string) (TXT, error)
	LookupMX(ctx context.Context, name string) (MXs, error)
	// LookupIP returns the A (qtype dns.TypeA) or AAAA (dns.TypeAAAA)
	// addresses of name.
	LookupIP(ctx context.Context, name string, qtype uint16) (IPs, error)
	// LookupPTR returns the names in the reverse zone of addr.
	LookupPTR(ctx context.Context, addr netip.Addr) (Names, error)
	// LookupCNAME returns the target of name's CNAME, or "" when it has none.
	LookupCNAME(ctx context.Context, name string) (CNAME, error)
	// Exchange sends q (one question) and returns the reply: the raw seam
	// for anything the typed lookups do not cover.
	Exchange(ctx context.Context, q *dns.Msg) (Reply, error)
}

// Source says where an answer came from.
type Source struct {
	Server string        `json:"server"`           // HOST:PORT of the server that answered
	Cached bool          `json:"cached,omitempty"` // served from the cache
	TTL    time.Duration `json:"ttl"`              // the smallest TTL of the answer
}

// Reply is a raw DNS reply and its source.
type Reply struct {
	Source
	Msg *dns.Msg
}

// TXT is the TXT records of a name. Each record keeps its character-strings
// apart (RFC 1035 3.3.14), because some checks care about the 255-byte
// string limit; Joined concatenates them as RFC 7208 3.3 says.
type TXT struct {
	Source
	Records [][]string
}

// Joined returns one string per record, its character-strings concatenated.
func (t TXT) Joined() []string {
	out := make([]string, len(t.Records))
	for i, r := range t.Records {
		out[i] = strings.Join(r, "")
	}
	return out
}

// MX is one mail exchanger.
type MX struct {
	Host string `json:"host"` // without the trailing dot; "" for a null MX
	Pref uint16 `json:"pref"`
}

// MXs is the MX records of a name.
type MXs struct {
	Source
	MX []MX
}

// IPs is the addresses of a name.
type IPs struct {
	Source
	IPs []netip.Addr
}

// Names is a list of domain names (PTR targets), without trailing dots.
type Names struct {
	Source
	Names []string
}

// CNAME is the target of an alias, without the trailing dot.
type CNAME struct {
	Source
	Target string
}

// Sentinels that *Error matches with errors.Is.
var (
	// ErrNXDomain: the name does not exist (RCODE 3). A definite answer.
	ErrNXDomain = errors.New("no such domain (NXDOMAIN)")
	// ErrServFail: the server could not answer (RCODE 2). Temporary.
	ErrServFail = errors.New("server failure (SERVFAIL)")
	// ErrTimeout: no server answered in time. Temporary.
	ErrTimeout = errors.New("timed out")
	// ErrMalformed: the reply could not be parsed, did not match the
	// question, or held records of the wrong type or name.
	ErrMalformed = errors.New("malformed reply")
	// ErrRefused: the server answered with the RCODE REFUSED, or another
	// RCODE that is not an answer. Not to be confused with ErrUnreachable.
	ErrRefused = errors.New("refused")
	// ErrUnreachable: nothing answers at the server's address: the
	// connection was refused (for UDP, an ICMP port unreachable), or the
	// host or network cannot be reached. No DNS server was heard from.
	// Temporary.
	ErrUnreachable = errors.New("nothing answers")
)

// Error is a failed lookup.
type Error struct {
	Name   string // the name asked for, with the trailing dot
	Qtype  uint16
	Server string // the last server tried, "" if none
	Kind   error  // one of the sentinels
	Detail string // what happened, for people
}

func (e *Error) Error() string {
	s := fmt.Sprintf("dns %s %s", dns.TypeToString[e.Qtype], e.Name)
	if e.Kind == ErrUnreachable {
		// Not "at SERVER: refused: read udp ...": that reads like a DNS
		// server that answered REFUSED, where none answered at all.
		at := "the DNS server"
		if e.Server != "" {
			at = e.Server
		}
		s += ": nothing answers at " + at
		if e.Detail != "" {
			s += " (" + e.Detail + ")"
		}
		return s + ": is the resolver running?"
	}
	if e.Server != "" {
		s += " at " + e.Server
	}
	s += ": " + e.Kind.Error()
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Is makes errors.Is(err, ErrTimeout) and friends work.
func (e *Error) Is(target error) bool { return target == e.Kind }

// Temporary reports whether asking again later might give another answer:
// true for everything but NXDOMAIN.
func (e *Error) Temporary() bool { return e.Kind != ErrNXDomain }

// IsNotFound reports whether err says that the name does not exist.
func IsNotFound(err error) bool { return errors.Is(err, ErrNXDomain) }

// IsTemporary reports whether err is a failure to get an answer, rather than
// an answer (NXDOMAIN is an answer).
func IsTemporary(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.Temporary()
	}
	return err != nil
}

// ReverseName returns the in-addr.arpa or ip6.arpa name of addr
// (RFC 1035 3.5, RFC 3596 2.5).
func ReverseName(addr netip.Addr) string {
	name, _ := dns.ReverseAddr(addr.Unmap().String())
	return name
}

// trimDot removes one trailing dot.
func trimDot(s string) string { return strings.TrimSuffix(s, ".") }
