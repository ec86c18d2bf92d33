package probe

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// mxTLSAdvice names the settings that the findings of the mx-tls check
// point to: relaylab probe's flags, or the watchlist's keys.
type mxTLSAdvice struct{ skip, port, ca string }

func adviceFor(watched bool) mxTLSAdvice {
	if watched {
		return mxTLSAdvice{skip: "set probe.mx_tls: false", port: "probe.mx_tls_port", ca: "probe.mx_tls_ca"}
	}
	return mxTLSAdvice{skip: "give --no-mx-tls", port: "--mx-port PORT", ca: "--mx-ca CA.pem"}
}

// judgeMXTLS turns what the probe saw of each host into findings, at
// now, with the domain's MTA-STS policy (nil: none).
func judgeMXTLS(domain string, o MXTLSOptions, hosts []MXTLSHost, p *MTASTSPolicy, watched bool, now time.Time) *MXTLSReport {
	f := &findings{check: "mx-tls"}
	adv := adviceFor(watched)
	rep := &MXTLSReport{Domain: domain, Port: mxTLSPort, Hosts: hosts}
	if o.Port != 0 {
		rep.Port = o.Port
	}
	if rep.Hosts == nil {
		rep.Hosts = []MXTLSHost{}
	}
	if o.LoopbackOnly && o.Port == 0 {
		var names []string
		for _, h := range hosts {
			names = append(names, h.Host)
		}
		f.add(SevInfo, "skipped", domain, "", "RFC 8461 4",
			"the probe did not connect to the MX hosts of %s (%s), so their STARTTLS and certificates are not checked: with zones served on this machine it connects only to a server of yours on a loopback port, since port 25 here is this machine's own mail server, if any; to check them offline, point the MX hosts at 127.0.0.1 in the zone, run an SMTP server with STARTTLS and a certificate for each host on a loopback port, and give %s (and %s for a test CA); or %s to leave the check out",
			domain, strings.Join(names, ", "), adv.port, adv.ca, adv.skip)
	} else {
		for i := range rep.Hosts {
			h := &rep.Hosts[i]
			from := len(f.list)
			judgeMXHost(f, h, o, p, domain, adv, now)
			h.Status = statusOf(f.list[from:], false)
		}
	}
	for i := range rep.Hosts {
		if rep.Hosts[i].Status == "" {
			rep.Hosts[i].Status = StatusOK
		}
	}
	rep.Findings, rep.Status = f.list, f.status()
	if rep.Findings == nil {
		rep.Findings = []Finding{}
	}
	return rep
}

// judgeMXHost adds the findings of one host.
func judgeMXHost(f *findings, h *MXTLSHost, o MXTLSOptions, p *MTASTSPolicy, domain string, adv mxTLSAdvice, now time.Time) {
	at := "MX " + h.Host
	if h.Address != "" {
		at += " (" + h.Address + ")"
	}
	sts := stsFor(p, domain, h.Host)
	switch {
	case h.Skipped != "":
		if h.quiet {
			return // the mx check reports it
		}
		fix := "the probe connects only to addresses that senders on the internet can reach"
		if o.LoopbackOnly {
			fix = fmt.Sprintf("with zones served on this machine the probe connects only to loopback addresses; point %s at 127.0.0.1 in the zone to check it", h.Host)
		}
		f.add(SevInfo, "skipped", h.Host, "", "RFC 8461 4", "the probe did not connect to MX %s: %s, so its STARTTLS and certificate are not checked; %s", h.Host, h.Skipped, fix)
	case h.Stage == "connect" && o.LoopbackOnly && o.Port != mxTLSPort:
		// A test server of the user's own on a loopback port other
		// than 25, not an MX on the internet behind a blocked port 25.
		f.add(SevWarning, "unreachable", h.Host, "", "RFC 5321 5.1",
			"the probe could not connect to %s on port %d: %s, so its STARTTLS and certificate are not checked; with zones served on this machine that is a test server of yours: start an SMTP server with STARTTLS on that loopback port (%s), or %s to leave the check out",
			at, portOf(o), h.Error, adv.port, adv.skip)
	case h.Stage == "connect":
		f.add(SevWarning, "unreachable", h.Host, "", "RFC 5321 5.1",
			"the probe could not connect to %s on port %d: %s, so its STARTTLS and certificate are not checked; port 25 may be blocked from where the probe runs rather than at the MX (many ISPs, home networks and cloud providers such as AWS, Google Cloud and Azure block outgoing port 25): run the probe from a host that can send mail, such as a mail server, or %s to leave the check out; if port 25 is open here, check that %s runs a mail server that takes connections from the internet",
			at, portOf(o), h.Error, adv.skip, h.Host)
	case h.timedOut:
		f.add(SevWarning, "unreachable", h.Host, "", "RFC 5321 4.5.3.2",
			"the probe connected to %s, but %s (at the %s), so its STARTTLS and certificate are not checked; a network that filters port 25 may let the connection through and drop what follows, and a busy or tarpitting server answers late: run the probe again, from a host that can send mail, or %s to leave the check out",
			at, h.Error, h.Stage, adv.skip)
	case h.Stage == "greeting" || h.Stage == "ehlo":
		f.add(SevWarning, "smtp-error", h.Host, "", "RFC 5321 3.1",
			"%s did not take the probe's SMTP session: %s, so its STARTTLS and certificate are not checked; servers refuse clients they take for spammers (a dynamic or listed address, such as a home connection's), so run the probe from a host that can send mail; if senders get the same, check the server's logs",
			at, h.Error)
	case !h.STARTTLS:
		sev, why, rfc := sts.failure("senders deliver its mail unencrypted, readable and alterable on the way, and the domain cannot enforce MTA-STS (RFC 8461) or use DANE (RFC 7672) until it offers STARTTLS", "RFC 3207 4")
		f.add(sev, "no-starttls", h.Host, "", rfc,
			"%s does not offer STARTTLS in its reply to EHLO: %s; enable STARTTLS on the server, with a certificate from a public CA valid for %s", at, why, h.Host)
	case h.Stage != "":
		sev, why, rfc := sts.failure("senders that try TLS fail, and most then deliver in plaintext or retry later", "RFC 3207 4")
		what := "the TLS handshake failed"
		if h.Stage == "starttls" {
			what = "STARTTLS failed"
		}
		f.add(sev, "starttls-failed", h.Host, "", rfc,
			"%s offers STARTTLS, but %s: %s: %s; check the server's TLS settings (certificate and key files, protocols and ciphers)", at, what, h.Error, why)
	default:
		judgeSession(f, h, o, sts, at, now)
	}
}

// judgeSession adds the findings of a host that completed the handshake:
// its certificate (RFC 8461 4.1, 4.2) and TLS version.
func judgeSession(f *findings, h *MXTLSHost, o MXTLSOptions, sts stsView, at string, now time.Time) {
	from := len(f.list)
	if len(h.chain) == 0 {
		sev, why, rfc := sts.failure("senders that check certificates refuse it", "RFC 8461 4.2")
		f.add(sev, "cert-untrusted", h.Host, "", rfc, "%s completed the TLS handshake without a certificate: %s; install a certificate from a public CA valid for %s", at, why, h.Host)
		return
	}
	c, verr := judgeCert(h.chain, h.Host, o.Roots, now)
	h.Certificate = c
	day := func(t time.Time) string { return t.UTC().Format("2006-01-02") }
	if c.Expired {
		_, why, _ := sts.failure("senders that check certificates (MTA-STS, DANE) refuse to deliver to it, and others see a server that is not looked after", "")
		if now.Before(c.NotBefore) {
			f.add(SevError, "cert-expired", h.Host, "", "RFC 8461 4.2", "the certificate of %s is not valid until %s: %s; install one that is valid now", at, day(c.NotBefore), why)
		} else {
			f.add(SevError, "cert-expired", h.Host, "", "RFC 8461 4.2", "the certificate of %s expired on %s (%s ago): %s; renew it, and check that its renewal runs by itself", at, day(c.NotAfter), counted(-c.DaysLeft, "day"), why)
		}
	}
	if !c.Trusted {
		sev, why, rfc := sts.failure("senders that deliver opportunistically still take it, but those that apply MTA-STS refuse it, so the domain cannot enforce MTA-STS until it is fixed", "RFC 8461 4.2")
		f.add(sev, "cert-untrusted", h.Host, "", rfc, "%s presents a certificate (%s) that does not lead to a trusted CA, since %s: %s; install a certificate from a public CA, such as Let's Encrypt, and have the server send its intermediate certificates with it",
			at, certWho(c), untrustedWhy(h.chain, verr), why)
	}
	if !c.NameMatch {
		sev, why, rfc := sts.failure("senders that deliver opportunistically still take it, but those that apply MTA-STS or DANE refuse it, so the domain cannot enforce MTA-STS until it is fixed", "RFC 8461 4.1")
		names := "no host name (its subjectAltName has no DNS names)"
		if len(c.Names) > 0 {
			names = strings.Join(c.Names, ", ")
		}
		parent := h.Host
		if i := strings.IndexByte(h.Host, '.'); i > 0 {
			parent = h.Host[i+1:]
		}
		f.add(sev, "cert-name", h.Host, "", rfc, "the certificate of %s covers %s, not %s: %s; get a certificate whose subjectAltName names %s (a name \"*.%s\" covers it too, RFC 6125 6.4.3)",
			at, names, h.Host, why, h.Host, parent)
	}
	if !c.Expired && c.NotAfter.Sub(now) < mxTLSExpiring {
		f.add(SevWarning, "cert-expiring", h.Host, "", "RFC 8461 4.2", "the certificate of %s expires on %s, in %s: renew it now (automatic renewals run weeks ahead, so one this close may have failed); once it expires, senders that check certificates (MTA-STS, DANE) refuse to deliver to it",
			at, day(c.NotAfter), counted(max(c.DaysLeft, 0), "day"))
	}
	if h.version != 0 && h.version < tls.VersionTLS12 {
		f.add(SevWarning, "old-tls", h.Host, "", "RFC 8996 1", "%s speaks at most %s, which RFC 8996 deprecates: senders that follow it refuse TLS 1.0 and 1.1, and then deliver in plaintext, or, under MTA-STS, not at all; enable TLS 1.2 and 1.3 on the server", at, h.TLSVersion)
	}
	if len(f.list) > from {
		return
	}
	f.add(SevInfo, "ok", h.Host, "", "RFC 8461 4", "%s: STARTTLS with %s (%s); certificate for %s issued by %s, valid until %s (%s)",
		at, h.TLSVersion, h.CipherSuite, strings.Join(c.Names, ", "), c.Issuer, day(c.NotAfter), counted(c.DaysLeft, "day")+" left")
}

// judgeCert judges the certificate chain an MX host sent, at now: whether
// it leads to a CA of roots (nil: the system's) apart from its dates,
// whether it covers host, and its dates.
func judgeCert(chain []*x509.Certificate, host string, roots *x509.CertPool, now time.Time) (*MXCertificate, error) {
	leaf := chain[0]
	c := &MXCertificate{Subject: leaf.Subject.String(), Issuer: leaf.Issuer.String(), Names: append([]string{}, leaf.DNSNames...),
		NotBefore: leaf.NotBefore.UTC(), NotAfter: leaf.NotAfter.UTC()}
	// The chain is checked at a time the leaf is valid, so that an
	// expired certificate is cert-expired, not also untrusted.
	at := now
	switch {
	case now.Before(leaf.NotBefore):
		c.Expired, at = true, leaf.NotBefore
	case now.After(leaf.NotAfter):
		c.Expired, at = true, leaf.NotAfter
	}
	inter := x509.NewCertPool()
	for _, ic := range chain[1:] {
		inter.AddCert(ic)
	}
	_, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	c.Trusted = err == nil
	if err != nil {
		c.TrustError = err.Error()
	}
	c.NameMatch = leaf.VerifyHostname(strings.TrimSuffix(host, ".")) == nil
	c.DaysLeft = int(math.Floor(leaf.NotAfter.Sub(now).Hours() / 24))
	return c, err
}

// certWho names a certificate by its subject and issuer.
func certWho(c *MXCertificate) string {
	if c.Subject == c.Issuer {
		return c.Subject + ", self-signed"
	}
	return c.Subject + ", issued by " + c.Issuer
}

// untrustedWhy says why a chain is not trusted, in words.
func untrustedWhy(chain []*x509.Certificate, verr error) string {
	leaf := chain[0]
	var ua x509.UnknownAuthorityError
	switch {
	case leaf.Subject.String() == leaf.Issuer.String() && leaf.CheckSignature(leaf.SignatureAlgorithm, leaf.RawTBSCertificate, leaf.Signature) == nil:
		return "it is self-signed"
	case errors.As(verr, &ua):
		return fmt.Sprintf("it is issued by %s, a CA that this machine does not trust, or the server does not send the intermediate certificates that lead to one", leaf.Issuer)
	}
	return fmt.Sprintf("the check of its chain failed (%v)", verr)
}

func portOf(o MXTLSOptions) int {
	if o.Port != 0 {
		return o.Port
	}
	return mxTLSPort
}

// stsView is the MTA-STS policy of the domain as it bears on one host.
type stsView struct {
	p       *MTASTSPolicy
	domain  string
	host    string
	pattern string // the policy's mx pattern that covers host, or ""
}

func stsFor(p *MTASTSPolicy, domain, host string) stsView {
	v := stsView{p: p, domain: domain, host: host}
	if p != nil {
		for _, pat := range p.MX {
			if MatchMX(pat, host) {
				v.pattern = pat
				break
			}
		}
	}
	return v
}

// failure grades a TLS failure of the host: an error, saying what the
// policy's mode means, when the domain publishes an MTA-STS policy in
// mode enforce or testing (RFC 8461 5); else a warning, with why and the
// RFC given for that case.
func (v stsView) failure(why, rfc string) (Severity, string, string) {
	if v.p == nil || (v.p.Mode != "enforce" && v.p.Mode != "testing") {
		return SevWarning, why, rfc
	}
	covers := fmt.Sprintf("covers %s (mx: %s)", v.host, v.pattern)
	if v.pattern == "" {
		covers = fmt.Sprintf("none of its mx patterns covers %s (mta-sts.mx-mismatch)", v.host)
	}
	if v.p.Mode == "enforce" {
		return SevError, fmt.Sprintf("the MTA-STS policy of %s is in mode enforce and %s, so senders that apply it refuse to deliver to %s: mail routed there waits in their queues and bounces once their retries run out", v.domain, covers, v.host), "RFC 8461 5"
	}
	return SevError, fmt.Sprintf("the MTA-STS policy of %s is in mode testing and %s: senders still deliver, but report every delivery to %s as a failure (TLS-RPT), and once the mode is enforce they will refuse to deliver to it", v.domain, covers, v.host), "RFC 8461 5"
}
