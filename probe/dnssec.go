package probe

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/miekg/dns"

	"github.com/relaylab/relaylab/internal/resolver"
)

// DNSSECReport is the result of CheckDNSSEC: whether the zone that holds
// the domain is signed and its parent points at the key (a DS record).
// It checks what is published, not signatures: a validating resolver does
// that, and one that finds the chain broken fails every lookup. For a zone
// that looks signed it reports whether the resolver says it validated it
// (the AD bit of a query asked with DO), which only a trusted resolver's
// answer makes worth anything.
type DNSSECReport struct {
	Zone     string `json:"zone"`        // the zone apex that holds the domain
	DNSKEY   int    `json:"dnskey"`      // DNSKEY records at the apex
	DS       int    `json:"ds"`          // DS records for the apex
	Matching int    `json:"matching_ds"` // DS records that match a DNSKEY
	Signed   bool   `json:"signed"`      // DNSKEY and a matching DS
	// ResolverValidated is the AD bit of the resolver's answer to the
	// DNSKEY query, asked with DO and AD (RFC 6840 5.7): the resolver's
	// claim that it validated the zone's keys. It is only as trustworthy as
	// the path to that resolver (RFC 4035 4.9.3). Resolver names it.
	ResolverValidated bool      `json:"resolver_validated"`
	Resolver          string    `json:"resolver,omitempty"`
	Status            Status    `json:"status"`
	Findings          []Finding `json:"findings"`
}

// CheckDNSSEC finds the zone of domain (the owner of its SOA, RFC 2308 3)
// and compares the zone's DNSKEY records with the DS records for it (RFC
// 4035 5, RFC 4509).
func CheckDNSSEC(ctx context.Context, r resolver.Resolver, log *slog.Logger, domain string) (rep DNSSECReport) {
	f := &findings{check: "dnssec"}
	defer func() { rep.Findings, rep.Status = f.list, f.status() }()
	soa, err := exchange(ctx, r, domain, dns.TypeSOA)
	if err != nil {
		if !resolver.IsNotFound(err) {
			f.dnsFailed(domain, err)
		}
		return rep
	}
	for _, rr := range append(soa.Answer, soa.Ns...) {
		if s, ok := rr.(*dns.SOA); ok {
			rep.Zone = strings.TrimSuffix(strings.ToLower(s.Hdr.Name), ".")
			break
		}
	}
	if rep.Zone == "" {
		return rep
	}
	var keys []*dns.DNSKEY
	var dss []*dns.DS
	for _, qt := range []uint16{dns.TypeDNSKEY, dns.TypeDS} {
		q := new(dns.Msg)
		q.SetQuestion(dns.Fqdn(rep.Zone), qt)
		if qt == dns.TypeDNSKEY {
			// Opt in to DNSSEC for this one query: DO and AD ask the
			// resolver to say whether it validated (RFC 3225, RFC 6840 5.7).
			q.SetEdns0(1232, true)
			q.AuthenticatedData = true
		}
		reply, err := r.Exchange(ctx, q)
		if err != nil {
			f.dnsFailed(rep.Zone, err)
			return rep
		}
		m := reply.Msg
		if qt == dns.TypeDNSKEY {
			rep.ResolverValidated, rep.Resolver = m.AuthenticatedData, reply.Server
		}
		for _, rr := range m.Answer {
			switch x := rr.(type) {
			case *dns.DNSKEY:
				keys = append(keys, x)
			case *dns.DS:
				dss = append(dss, x)
			}
		}
	}
	rep.DNSKEY, rep.DS = len(keys), len(dss)
	for _, ds := range dss {
		for _, k := range keys {
			if kd := k.ToDS(ds.DigestType); kd != nil && kd.KeyTag == ds.KeyTag && strings.EqualFold(kd.Digest, ds.Digest) {
				rep.Matching++
				break
			}
		}
	}
	z := rep.Zone
	switch {
	case len(keys) == 0 && len(dss) == 0:
		f.add(SevInfo, "unsigned", z, "", "RFC 4033 2", "the zone %s is not signed with DNSSEC: SPF, DKIM and DMARC work without it, but answers about it cannot be authenticated, and DANE for SMTP (RFC 7672) needs it", z)
	case len(dss) > 0 && rep.Matching == 0:
		what := "publishes no DNSKEY"
		if len(keys) > 0 {
			what = "publishes " + counted(len(keys), "DNSKEY record") + ", none of which matches them"
			if len(keys) == 1 {
				what = "publishes 1 DNSKEY record, which matches none of them"
			}
		}
		f.add(SevError, "broken", z, dsList(dss), "RFC 4035 5",
			"the parent zone has %s for %s, but %s %s, so validating resolvers (used by many receivers) find the zone bogus and fail every lookup in it: MX, SPF, DKIM and DMARC all become temporary errors; publish the DNSKEY that matches the DS, or replace the DS at the registrar with one for the current key (or remove it)", counted(len(dss), "DS record"), z, z, what)
	case len(dss) == 0:
		f.add(SevWarning, "no-ds", z, "", "RFC 4035 5",
			"the zone %s publishes %s but its parent has no DS record for it, so no resolver validates it and the signatures protect nothing: add the DS record at your registrar", z, counted(len(keys), "DNSKEY record"))
	default:
		rep.Signed = true
		f.add(SevInfo, "signed", z, "", "RFC 4035 5", "the zone %s is signed: %s, and %s", z, counted(len(keys), "DNSKEY record"), matchingDS(rep.Matching, len(dss), len(keys)))
		validation(f, rep)
	}
	log.Debug("dnssec checked", "zone", z, "signed", rep.Signed)
	return rep
}

// validation reports what the resolver said of a zone that looks signed:
// the AD bit of its answer. relaylab verifies no signature itself, so this
// is the resolver's word, and the finding says whose.
func validation(f *findings, rep DNSSECReport) {
	z, srv := rep.Zone, rep.Resolver
	if srv == "" {
		srv = "the resolver"
	}
	// RFC 4035 4.9.3: trust AD only from a resolver reached over a secure
	// channel; RFC 6840 5.7: AD in the query asks for it.
	if rep.ResolverValidated {
		f.add(SevInfo, "validated", z, "", "RFC 4035 4.9.3",
			"the resolver %s set AD (authenticated data) on its answer for the DNSKEY records of %s: it says it validated them from the root down. That is its claim, not a check by relaylab, and it is only as trustworthy as the path to %s: believe it for a resolver on this host or reached over a trusted network, not across the internet in the clear", srv, z, srv)
		return
	}
	f.add(SevInfo, "not-validated", z, "", "RFC 4035 4.9.3",
		"the resolver %s did not set AD on its answer for the DNSKEY records of %s, though asked with DO and AD: either it does not validate DNSSEC, or the chain of trust from the root does not reach %s (an unsigned parent, for example); relaylab verifies no signatures itself, so this run cannot tell whether validating receivers accept the zone: run again with --resolver naming a validating resolver you trust (one on this host)", srv, z, z)
}

// matchingDS says how many of the parent's DS records match a DNSKEY.
func matchingDS(matching, ds, keys int) string {
	switch {
	case ds == 1 && keys == 1:
		return "the DS record at the parent matches it"
	case ds == 1:
		return "the DS record at the parent matches one of them"
	case matching == 1:
		return fmt.Sprintf("1 of the %d DS records at the parent matches one", ds)
	}
	return fmt.Sprintf("%d of the %d DS records at the parent match one", matching, ds)
}

func dsList(dss []*dns.DS) string {
	var s []string
	for _, ds := range dss {
		s = append(s, fmt.Sprintf("DS %d %d %d %s", ds.KeyTag, ds.Algorithm, ds.DigestType, ds.Digest))
	}
	return strings.Join(s, " | ")
}

// exchange asks one question through r's raw seam. An NXDOMAIN is an
// error that resolver.IsNotFound recognises.
func exchange(ctx context.Context, r resolver.Resolver, name string, qtype uint16) (*dns.Msg, error) {
	q := new(dns.Msg)
	q.SetQuestion(dns.Fqdn(name), qtype)
	rep, err := r.Exchange(ctx, q)
	if err != nil {
		return nil, err
	}
	return rep.Msg, nil
}
