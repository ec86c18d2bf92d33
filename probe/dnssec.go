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
// that, and one that finds the chain broken fails every lookup.
type DNSSECReport struct {
	Zone     string    `json:"zone"`        // the zone apex that holds the domain
	DNSKEY   int       `json:"dnskey"`      // DNSKEY records at the apex
	DS       int       `json:"ds"`          // DS records for the apex
	Matching int       `json:"matching_ds"` // DS records that match a DNSKEY
	Signed   bool      `json:"signed"`      // DNSKEY and a matching DS
	Status   Status    `json:"status"`
	Findings []Finding `json:"findings"`
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
		m, err := exchange(ctx, r, rep.Zone, qt)
		if err != nil {
			f.dnsFailed(rep.Zone, err)
			return rep
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
			what = fmt.Sprintf("publishes DNSKEY records (%d) that match none of them", len(keys))
		}
		f.add(SevError, "broken", z, dsList(dss), "RFC 4035 5",
			"the parent zone has DS records for %s, but %s %s, so validating resolvers (used by many receivers) find the zone bogus and fail every lookup in it: MX, SPF, DKIM and DMARC all become temporary errors; publish the DNSKEY that matches the DS, or replace the DS at the registrar with one for the current key (or remove it)", z, z, what)
	case len(dss) == 0:
		f.add(SevWarning, "no-ds", z, "", "RFC 4035 5",
			"the zone %s publishes DNSKEY records but its parent has no DS record for it, so no resolver validates it and the signatures protect nothing: add the DS record at your registrar", z)
	default:
		rep.Signed = true
		f.add(SevInfo, "signed", z, "", "RFC 4035 5", "the zone %s is signed: %d DNSKEY records, %d of %d DS records at the parent match one", z, len(keys), rep.Matching, len(dss))
	}
	log.Debug("dnssec checked", "zone", z, "signed", rep.Signed)
	return rep
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
