// Package probe checks what decides whether mail gets through: blocklist
// listings of IPs and domains, and a domain's SPF, DKIM, DMARC, MX, PTR,
// MTA-STS, TLS-RPT and BIMI records. Each check takes its resolver
// explicitly, with a context and a logger, and returns a typed status and
// findings; Run combines them into a Report, and Monitor runs them on a
// schedule, stores history and reports changes.
package probe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/relaylab/relaylab/internal/resolver"
)

// Severity grades a finding.
type Severity string

// Severities, from worst.
const (
	SevError   Severity = "error"   // mail will be rejected, or the record is broken
	SevWarning Severity = "warning" // a risk or a deviation from best practice
	SevInfo    Severity = "info"    // a fact worth seeing
)

// Status is the outcome of one check.
type Status string

// Statuses, from best.
const (
	StatusOK      Status = "ok"
	StatusWarning Status = "warning"
	StatusError   Status = "error"
	// StatusUnknown: the check could not be completed (a DNS failure, an
	// unhealthy blocklist). It is never read as clean.
	StatusUnknown Status = "unknown"
)

// Finding is one observation of a check.
type Finding struct {
	Check    string   `json:"check"`            // "spf", "dkim", "blocklist", ...
	Severity Severity `json:"severity"`         // error, warning or info
	Code     string   `json:"code"`             // stable identifier, such as "spf.lookup-limit"
	Message  string   `json:"message"`          // for people: what, why, what to do
	Name     string   `json:"name,omitempty"`   // the DNS name (or URL) the record came from
	Record   string   `json:"record,omitempty"` // the record itself
	RFC      string   `json:"rfc,omitempty"`    // the section that says so, "RFC 7208 4.6.4"
	// Publish is the record the message says to publish, for programs:
	// the same record, taken from the same value as the message's.
	// Absent when the finding proposes none, or only a pattern to fill
	// in (such as l=https://HOST/logo.svg).
	Publish *Publish `json:"publish,omitempty"`
}

// Publish is a DNS record a finding proposes. For a TXT record of a kind
// a name holds one of (SPF, DKIM, DMARC, TLS-RPT, BIMI), it takes the
// place of the records of that kind at Name; an A, AAAA or MX record is
// added (a null MX, "0 .", is the only MX record).
type Publish struct {
	Name  string `json:"name"`  // the owner name, such as _dmarc.example.com
	Type  string `json:"type"`  // TXT, A, AAAA or MX
	Value string `json:"value"` // a TXT record's text, unquoted; an address; an MX's "PREF HOST"
}

// findings collects the findings of one check.
type findings struct {
	check string
	list  []Finding
	// unknown is set when a lookup failed temporarily.
	unknown bool
}

func (f *findings) add(sev Severity, code, name, record, rfc, format string, args ...any) {
	f.list = append(f.list, Finding{Check: f.check, Severity: sev, Code: f.check + "." + code,
		Message: fmt.Sprintf(format, args...), Name: name, Record: record, RFC: rfc})
}

// proposes gives the finding just added the record its message says to
// publish (Finding.Publish): typ at name, with value, the same value the
// message quotes.
func (f *findings) proposes(name, typ, value string) {
	if len(f.list) == 0 || value == "" {
		return
	}
	f.list[len(f.list)-1].Publish = &Publish{Name: strings.TrimSuffix(name, "."), Type: typ, Value: value}
}

// dnsFailed records a lookup that failed for a reason other than "no such
// name": the check's status becomes unknown.
func (f *findings) dnsFailed(name string, err error) {
	f.unknown = true
	var ns *NotServedError
	if errors.As(err, &ns) {
		what := "it"
		if ns.Name != strings.TrimSuffix(strings.ToLower(name), ".") {
			what = "the lookup of " + name
		}
		f.add(SevWarning, "dns-error", name, "", "",
			"%s is in none of the zone files served (%s), so the server refused %s and this check is incomplete: add a zone file for %s (its SOA record and the records to check) or add the name to one of those zones, or probe a name they hold",
			ns.Name, ns.zoneList(), what, zoneFor(ns.Name))
		return
	}
	if errors.Is(err, resolver.ErrUnreachable) {
		// No DNS server answered at all: the domain's name servers are
		// not to blame.
		f.add(SevWarning, "dns-error", name, "", "",
			"the lookup of %s failed, so this check is incomplete: %v Start the resolver, or name one that runs, then run again", name, err)
		return
	}
	f.add(SevWarning, "dns-error", name, "", "",
		"the lookup of %s failed, so this check is incomplete: %v; check the resolver and the domain's name servers, then run again", name, err)
}

// counted writes n and a noun that takes an s in the plural: "1 DNSKEY
// record", "2 DNSKEY records".
func counted(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// status grades the findings.
func (f *findings) status() Status { return statusOf(f.list, f.unknown) }

func statusOf(list []Finding, unknown bool) Status {
	st := StatusOK
	for _, x := range list {
		switch x.Severity {
		case SevError:
			return StatusError
		case SevWarning:
			st = StatusWarning
		}
	}
	if unknown {
		return StatusUnknown
	}
	return st
}

// lookupTXT fetches TXT records, telling "none" (nil, nil) from a failure.
func lookupTXT(ctx context.Context, r resolver.Resolver, name string) (resolver.TXT, error) {
	t, err := r.LookupTXT(ctx, name)
	if resolver.IsNotFound(err) {
		return resolver.TXT{}, nil
	}
	return t, err
}

// ErrNoRecord is wrapped by checks when a required record does not exist.
var ErrNoRecord = errors.New("no record")

// discardLogger is the logger of callers that pass none.
func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
