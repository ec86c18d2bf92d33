package probe

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"blitiri.com.ar/go/spf"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/resolver"
	"github.com/relaylab/relaylab/internal/textsafe"
)

// SchemaVersion names the JSON layout of Report (see SCHEMA.md).
const SchemaVersion = "relaylab.probe/v1"

// Request says what Run checks.
type Request struct {
	Domain    string       // checked for SPF, DMARC, DKIM, MX, MTA-STS, TLS-RPT, BIMI and domain blocklists; may be empty
	IPs       []netip.Addr // sending IPs: blocklists, PTR, and SPF evaluation for Domain and for Helo
	Selectors []string     // DKIM selectors, besides the common ones
	// SharedSelectors are DKIM selectors listed for every domain of a
	// watchlist: one with no key at Domain is a warning, not an error,
	// since it may be another domain's (see NoteSharedSelectors).
	SharedSelectors []string
	Helo            string // the HELO name the IPs use, checked with SPF; for PTR, default the IP's PTR name
	// IPHelos are the HELO names of IPs that say their own, in place of
	// Helo.
	IPHelos map[netip.Addr]string
	Zones   []Zone // blocklists; nil means DefaultZones()
	// NoBlocklists skips blocklist queries.
	NoBlocklists bool
	// NoRecords skips every check but blocklists (and PTR of the IPs).
	NoRecords bool
	// Health is the zones' health from this cycle; nil: Run tests them.
	Health Health
	// PrevMTASTS is the policy seen on the last run, to catch a policy
	// that changed while its id did not.
	PrevMTASTS *MTASTSSeen
	// Watched marks a check of the watchlist (the monitor): advice names
	// its configuration keys instead of relaylab probe's flags.
	Watched bool
}

// CheckSummary is the status and findings of one check in a report.
type CheckSummary struct {
	Check    string    `json:"check"`
	Status   Status    `json:"status"`
	Findings []Finding `json:"findings"`
}

// Report is everything Run found. Its JSON form is documented in SCHEMA.md.
type Report struct {
	Schema    string         `json:"schema"`
	Domain    string         `json:"domain,omitempty"`
	IPs       []string       `json:"ips"`
	Time      time.Time      `json:"time"`
	Resolvers []string       `json:"resolvers,omitempty"`
	Status    Status         `json:"status"`
	Checks    []CheckSummary `json:"checks"`

	SPF        *SPFReport    `json:"spf,omitempty"`
	SPFResults []SPFResult   `json:"spf_results,omitempty"`
	DMARC      *DMARCReport  `json:"dmarc,omitempty"`
	DKIM       *DKIMReport   `json:"dkim,omitempty"`
	MX         *MXReport     `json:"mx,omitempty"`
	MTASTS     *MTASTSReport `json:"mta_sts,omitempty"`
	MXTLS      *MXTLSReport  `json:"mx_tls,omitempty"`
	TLSRPT     *RecordReport `json:"tls_rpt,omitempty"`
	BIMI       *RecordReport `json:"bimi,omitempty"`
	DNSSEC     *DNSSECReport `json:"dnssec,omitempty"`
	PTR        []PTRReport   `json:"ptr,omitempty"`
	Listings   []Listing     `json:"listings,omitempty"`
	Health     []ZoneHealth  `json:"zone_health,omitempty"`

	// notAsked counts, by IP, the IP lists that were not asked about it
	// because they take no address of its family (an IPv6 address and a
	// list without ipv6: true, an IPv4 address and one with ipv4: false):
	// the text report shows them as not applicable, not as not listed.
	notAsked map[string]int
	// dnsHealth is, for a watched domain's run, whether its own names
	// got answers (dnsTally.health); the monitor compares it.
	dnsHealth string
}

// Findings returns every finding of every check.
func (r *Report) Findings() []Finding {
	var out []Finding
	for _, c := range r.Checks {
		out = append(out, c.Findings...)
	}
	return out
}

// HasErrors reports whether any finding is at error level.
func (r *Report) HasErrors() bool {
	for _, f := range r.Findings() {
		if f.Severity == SevError {
			return true
		}
	}
	return false
}

// Deps are what Run needs besides the request.
type Deps struct {
	Resolver   resolver.Resolver
	HTTPClient *http.Client // for MTA-STS policies and the BIMI logo; nil: NewHTTPClient(Resolver, 30s)
	// BIMILogo fetches the BIMI logo (l=) with HTTPClient, within 10s
	// and 32 KiB, and checks it as SVG Tiny PS; false checks the record
	// alone.
	BIMILogo bool
	// QueryTimeout is the time Resolver allows one query, which a lookup
	// that timed out is said to have waited; 0: not said.
	QueryTimeout time.Duration
	Clock        clock.Clock // stamps the report; nil: clock.Real
	Logger       *slog.Logger
	// MXTLS, when not nil, connects to each MX host to check STARTTLS
	// and its certificate (the mx-tls check); nil leaves it out.
	MXTLS *MXTLSOptions
}

// Run performs every check the request asks for.
func Run(ctx context.Context, d Deps, req Request) *Report {
	if d.Clock == nil {
		d.Clock = clock.Real{}
	}
	if d.Logger == nil {
		d.Logger = discardLogger()
	}
	if d.HTTPClient == nil {
		d.HTTPClient = NewHTTPClient(d.Resolver, 30*time.Second)
	}
	r, log := d.Resolver, d.Logger
	rep := &Report{Schema: SchemaVersion, Domain: req.Domain, Time: d.Clock.Now()}
	if c, ok := r.(interface{ Servers() []string }); ok {
		rep.Resolvers = c.Servers()
	}
	// A name outside the zone files of relaylab probe --zone is refused:
	// say so, rather than blame the resolver.
	r = newServedZones(r)
	r = &timeouts{Resolver: r, after: d.QueryTimeout}
	for _, ip := range req.IPs {
		rep.IPs = append(rep.IPs, ip.String())
	}
	var wg sync.WaitGroup
	do := func(f func()) { wg.Add(1); go func() { defer wg.Done(); f() }() }

	if !req.NoBlocklists {
		do(func() { runBlocklists(ctx, r, log, req, rep) })
	}
	ptr := make([]PTRReport, len(req.IPs))
	for i, ip := range req.IPs {
		do(func() { ptr[i] = CheckPTR(ctx, r, log, ip, req.heloOf(ip)) })
	}
	if req.Domain != "" && !req.NoRecords {
		do(func() { s := CheckSPF(ctx, r, log, req.Domain); rep.SPF = &s })
		do(func() {
			s := checkDKIM(ctx, r, log, req.Domain, req.Selectors, req.SharedSelectors, req.Watched)
			rep.DKIM = &s
		})
		do(func() { s := CheckTLSRPT(ctx, r, log, req.Domain); rep.TLSRPT = &s })
		do(func() { s := CheckDNSSEC(ctx, r, log, req.Domain); rep.DNSSEC = &s })
		do(func() {
			s := CheckDMARC(ctx, r, log, req.Domain)
			rep.DMARC = &s
			var logo *http.Client
			if d.BIMILogo {
				logo = d.HTTPClient
			}
			b := CheckBIMIWith(ctx, r, log, logo, req.Domain, &s)
			rep.BIMI = &b
		})
		do(func() {
			m := CheckMX(ctx, r, log, req.Domain)
			rep.MX = &m
			var hosts []string
			for _, h := range m.Hosts {
				hosts = append(hosts, h.Host)
			}
			mxTLS := startMXTLS(ctx, d, log, req, m)
			s := CheckMTASTS(ctx, r, log, d.HTTPClient, req.Domain, hosts, req.PrevMTASTS)
			rep.MTASTS = &s
			rep.MXTLS = mxTLS(s.Policy)
		})
	}
	if !req.NoRecords && (req.Domain != "" || req.Helo != "" || len(req.IPHelos) > 0) {
		do(func() { rep.SPFResults = evalIPs(ctx, r, req) })
	}
	wg.Wait()
	rep.PTR = ptr
	rep.crossCheck()
	rep.summarise(req)
	rep.review(req) // spf.none from --ip, no-mail domains, IPs no blocklist takes (review.go)
	rep.noNulls()
	return rep
}

// noNulls makes the lists of the report that SCHEMA.md declares, but
// that a check left nil, empty: [] in JSON, not null.
func (rep *Report) noNulls() {
	empty := func(fs *[]Finding) {
		if *fs == nil {
			*fs = []Finding{}
		}
	}
	if rep.IPs == nil {
		rep.IPs = []string{}
	}
	if s := rep.SPF; s != nil {
		empty(&s.Findings)
		if s.Records == nil {
			s.Records = []string{}
		}
	}
	if d := rep.DKIM; d != nil {
		empty(&d.Findings)
		if d.Selectors == nil {
			d.Selectors = []DKIMSelector{}
		}
		if d.Missing == nil {
			d.Missing = []string{}
		}
	}
	if d := rep.DMARC; d != nil {
		empty(&d.Findings)
		if d.Records == nil {
			d.Records = []string{}
		}
	}
	if m := rep.MX; m != nil {
		empty(&m.Findings)
		if m.Hosts == nil {
			m.Hosts = []MXHost{}
		}
	}
	if m := rep.MTASTS; m != nil {
		empty(&m.Findings)
		if m.Policy != nil && m.Policy.MX == nil {
			m.Policy.MX = []string{}
		}
	}
	for _, r := range []*RecordReport{rep.TLSRPT, rep.BIMI} {
		if r != nil {
			empty(&r.Findings)
		}
	}
	if d := rep.DNSSEC; d != nil {
		empty(&d.Findings)
	}
	for i := range rep.PTR {
		p := &rep.PTR[i]
		empty(&p.Findings)
		if p.Names == nil {
			p.Names = []string{}
		}
		if p.Confirmed == nil {
			p.Confirmed = []string{}
		}
	}
	for i := range rep.Listings {
		l := &rep.Listings[i]
		if l.Codes == nil {
			l.Codes = []string{}
		}
		if l.Meaning == nil {
			l.Meaning = []string{}
		}
	}
}

// evalIPs runs check_host for each IP: for the domain as MAIL FROM when
// there is one, and for the HELO name when there is one (RFC 7208 2.3:
// the HELO identity is checked on its own, domain or not), so that a
// watched IP with a HELO name and no domain is checked too.
func evalIPs(ctx context.Context, r resolver.Resolver, req Request) []SPFResult {
	var out []SPFResult
	named := map[string][]netip.Addr{} // the addresses of each HELO name, asked once
	for _, ip := range req.IPs {
		h := req.heloOf(ip)
		if req.Domain != "" {
			helo := h
			if helo == "" {
				helo = req.Domain
			}
			out = append(out, EvalSPF(ctx, r, ip, helo, "postmaster@"+req.Domain))
		}
		if h != "" {
			e := EvalSPF(ctx, r, ip, h, "")
			if _, ok := named[h]; !ok {
				if a, err := addrs(ctx, r, h); err == nil {
					named[h] = a
				} else {
					named[h] = nil
				}
			}
			e.heloAddrs = named[h]
			out = append(out, e)
		}
	}
	return out
}

// heloOf is the HELO name ip says: its own (IPHelos), else Helo.
func (req Request) heloOf(ip netip.Addr) string {
	if h, ok := req.IPHelos[ip]; ok {
		return h
	}
	return req.Helo
}

func runBlocklists(ctx context.Context, r resolver.Resolver, log *slog.Logger, req Request, rep *Report) {
	zones := req.Zones
	if zones == nil {
		zones = DefaultZones()
	}
	h := req.Health
	if h == nil {
		h = CheckHealth(ctx, r, log, zonesFor(zones, req.IPs, req.Domain != ""))
	}
	for _, z := range zones {
		if zh, ok := h[z.Zone]; ok {
			rep.Health = append(rep.Health, zh)
		}
	}
	for _, ip := range req.IPs {
		rep.Listings = append(rep.Listings, CheckIP(ctx, r, log, zones, h, ip)...)
		for i := range zones {
			if zones[i].Kind == ZoneIP && !zones[i].asksAbout(ip) {
				if rep.notAsked == nil {
					rep.notAsked = map[string]int{}
				}
				rep.notAsked[ip.Unmap().String()]++
			}
		}
	}
	if req.Domain != "" {
		rep.Listings = append(rep.Listings, CheckDomain(ctx, r, log, zones, h, req.Domain)...)
	}
}

// crossCheck adds what only two checks together show: MTA-STS in testing
// or enforce mode without a TLS-RPT record, so that its failures are never
// reported (RFC 8461 5: testing mode exists to receive those reports).
func (rep *Report) crossCheck() {
	rep.nullMXSender()
	t, m := rep.TLSRPT, rep.MTASTS
	if t == nil || m == nil || m.Policy == nil || m.Policy.Mode == "none" || t.Status == StatusUnknown {
		return
	}
	for _, f := range t.Findings {
		if f.Code != "tls-rpt.none" {
			continue
		}
		why := "in testing mode, which exists to report TLS failures before you enforce, but without a TLS-RPT record no report reaches you"
		if m.Policy.Mode == "enforce" {
			why = "enforced, so senders hold mail for you whenever TLS to your MX fails, and without a TLS-RPT record you are not told"
		}
		rec := tlsrptFor(rep.Domain)
		t.Findings = append(t.Findings, Finding{Check: "tls-rpt", Severity: SevWarning, Code: "tls-rpt.missing-for-mta-sts",
			Name: t.Name, RFC: "RFC 8461 5", Publish: &Publish{Name: t.Name, Type: "TXT", Value: rec},
			Message: fmt.Sprintf("MTA-STS for %s is %s: publish %q at %s", rep.Domain, why, rec, t.Name)})
		t.Status = statusOf(t.Findings, false)
		return
	}
}

// nullMXSender reports a domain that publishes a null MX while its SPF
// record authorises senders or it publishes DKIM keys: RFC 7505 4.2 says
// not to use a null MX domain in MAIL FROM or From, since bounces to it
// cannot be delivered, and lets receivers refuse such mail (550 5.7.27).
func (rep *Report) nullMXSender() {
	m := rep.MX
	if m == nil || !m.NullMX || m.Status == StatusUnknown {
		return
	}
	var signs []string
	if s := rep.SPF; s != nil && s.Record != "" {
		if rec, err := ParseSPF(s.Record); err == nil {
			for _, t := range rec.Terms {
				if (!t.Modifier && t.Name != "all") || (t.Modifier && t.Name == "redirect") {
					signs = append(signs, fmt.Sprintf("its SPF record authorises senders (%q)", s.Record))
					break
				}
			}
		}
	}
	if d := rep.DKIM; d != nil {
		for _, sel := range d.Selectors {
			if sel.Key != nil && !sel.Key.Revoked {
				signs = append(signs, fmt.Sprintf("it publishes a DKIM key (%s)", sel.Name))
				break
			}
		}
	}
	if len(signs) == 0 {
		return
	}
	m.Findings = append(m.Findings, Finding{Check: "mx", Severity: SevWarning, Code: "mx.null-sender", Name: m.Domain, RFC: "RFC 7505 4.2",
		Message: fmt.Sprintf("%s publishes a null MX, so it receives no mail, but %s, so it seems to send mail: receivers may refuse mail that has a null MX domain in MAIL FROM or From (550 5.7.27, sender address has null MX), and bounces and replies to it cannot be delivered; if %s sends mail, replace the null MX with MX records of a server that takes its bounces; if it sends none, publish \"v=spf1 -all\" and remove its DKIM keys",
			m.Domain, strings.Join(signs, " and "), m.Domain)})
	m.Status = statusOf(m.Findings, false)
}

// summarise fills Checks and Status, in a fixed order.
func (rep *Report) summarise(req Request) {
	add := func(name string, st Status, fs []Finding) {
		rep.Checks = append(rep.Checks, CheckSummary{Check: name, Status: st, Findings: fs})
	}
	if !req.NoBlocklists {
		fs, st := ListingFindings(rep.Listings)
		add("blocklist", st, fs)
	}
	if rep.SPF != nil || len(rep.SPFResults) > 0 {
		fs, st := rep.spfCheck(rep.SPFResults)
		add("spf", st, fs)
	}
	if rep.DKIM != nil {
		add("dkim", rep.DKIM.Status, rep.DKIM.Findings)
	}
	if rep.DMARC != nil {
		add("dmarc", rep.DMARC.Status, rep.DMARC.Findings)
	}
	if rep.MX != nil {
		add("mx", rep.MX.Status, rep.MX.Findings)
	}
	if len(rep.PTR) > 0 {
		var fs []Finding
		unknown := false
		for _, p := range rep.PTR {
			fs = append(fs, p.Findings...)
			unknown = unknown || p.Status == StatusUnknown
		}
		add("ptr", statusOf(fs, unknown), fs)
	}
	if rep.MTASTS != nil {
		add("mta-sts", rep.MTASTS.Status, rep.MTASTS.Findings)
	}
	if rep.MXTLS != nil {
		add("mx-tls", rep.MXTLS.Status, rep.MXTLS.Findings)
	}
	if rep.TLSRPT != nil {
		add("tls-rpt", rep.TLSRPT.Status, rep.TLSRPT.Findings)
	}
	if rep.BIMI != nil {
		add("bimi", rep.BIMI.Status, rep.BIMI.Findings)
	}
	if rep.DNSSEC != nil {
		add("dnssec", rep.DNSSEC.Status, rep.DNSSEC.Findings)
	}
	rep.grade()
	for i := range rep.Checks {
		if rep.Checks[i].Findings == nil {
			rep.Checks[i].Findings = []Finding{}
		}
	}
}

// spfCheck is the findings and status of the spf check: those of the
// policy, and one for each evaluation of an IP; all are the evaluations
// that IPs which say the same HELO name share a record with.
func (rep *Report) spfCheck(all []SPFResult) ([]Finding, Status) {
	var fs []Finding
	unknown := false
	if rep.SPF != nil {
		fs, unknown = slices.Clone(rep.SPF.Findings), rep.SPF.Status == StatusUnknown
	}
	for _, e := range rep.SPFResults {
		fs = append(fs, spfResultFinding(rep.Domain, e, all))
		if e.Result == "temperror" {
			unknown = true
		}
	}
	return fs, statusOf(fs, unknown)
}

// NoteSharedHelos gives the HELO advice of each report (the watchlist's
// IPs, one report each) the IPs of the others that say the same HELO
// name: they share one SPF record, which lists them all.
func NoteSharedHelos(reps []*Report) {
	var all []SPFResult
	for _, rep := range reps {
		if rep != nil {
			all = append(all, rep.SPFResults...)
		}
	}
	for _, rep := range reps {
		if rep == nil || len(rep.SPFResults) == 0 {
			continue
		}
		for i := range rep.Checks {
			if rep.Checks[i].Check == "spf" {
				rep.Checks[i].Findings, rep.Checks[i].Status = rep.spfCheck(all)
			}
		}
		rep.grade()
	}
}

// grade sets Status to that of the worst check.
func (rep *Report) grade() {
	rep.Status = StatusOK
	rank := map[Status]int{StatusOK: 0, StatusWarning: 1, StatusUnknown: 2, StatusError: 3}
	for _, c := range rep.Checks {
		if rank[c.Status] > rank[rep.Status] {
			rep.Status = c.Status
		}
	}
}

func spfResultFinding(domain string, e SPFResult, all []SPFResult) Finding {
	f := Finding{Check: "spf", Code: "spf.result", Name: domain, RFC: "RFC 7208 2.6", Severity: SevInfo}
	if e.Identity == "helo" {
		// RFC 7208 2.3: a HELO check failing is a risk, not a reason to refuse.
		domain = e.Helo
		f.Name, f.Code = e.Helo, "spf.helo-result"
		f.Message = fmt.Sprintf("check_host for the HELO name %s from %s: %s", e.Helo, e.IP, e.Result)
		if e.Result != "pass" {
			f.Severity = SevWarning
			advice, pub := heloAdvice(e, all)
			f.Message += detail(e.Error) + ": " + advice
			f.Publish = pub
		}
		return f
	}
	switch e.Result {
	case "pass":
		f.Message = fmt.Sprintf("check_host for %s: pass", e.IP)
	case "fail":
		f.Severity = SevError
		f.Message = fmt.Sprintf("check_host for %s: fail%s: the record says this IP may not send as %s, so receivers may reject its mail; if it sends for %s, add it to the SPF record", e.IP, detail(e.Error), domain, domain)
	case "permerror":
		// RFC 7208 2.6.7: the record is broken. A limit (4.6.4) is
		// reached only by the IPs that no term before it matched.
		f.Severity = SevError
		why := fmt.Sprintf("the SPF record of %s cannot be evaluated for this IP", domain)
		switch {
		case strings.Contains(e.Error, spf.ErrVoidLookupLimitReached.Error()):
			why = fmt.Sprintf("the evaluation of the SPF record of %s came to more than %d lookups that find nothing before a term matched this IP, as it does for every IP that no earlier term matches", domain, spfVoidLimit)
		case strings.Contains(e.Error, spf.ErrLookupLimitReached.Error()):
			why = fmt.Sprintf("the evaluation of the SPF record of %s needed more than %d DNS lookups before a term matched this IP, as it does for every IP that the terms within the first %d lookups do not match", domain, spfLookupLimit, spfLookupLimit)
		}
		f.Message = fmt.Sprintf("check_host for %s: permerror%s: %s, so receivers may treat its mail as failing SPF; fix the record (the SPF findings above say what is wrong)", e.IP, detail(e.Error), why)
	case "temperror":
		f.Severity = SevWarning
		f.Message = fmt.Sprintf("check_host for %s: temperror%s: a DNS lookup failed for now, so receivers defer or skip the check; if it persists, check the name servers of %s", e.IP, detail(e.Error), domain)
	case "none":
		f.Severity = SevWarning
		f.Message = fmt.Sprintf("check_host for %s: none: %s publishes no SPF record, so no IP is authorised or refused and its mail gets no SPF credit; publish one (the spf.none finding says how)", e.IP, domain)
	case "softfail":
		f.Severity = SevWarning
		f.Message = fmt.Sprintf("check_host for %s: softfail%s: the SPF record of %s does not authorise this IP but asks receivers not to refuse its mail for that alone (usually through ~all), so they may treat it as suspicious; if it sends for %s, add it to the SPF record", e.IP, detail(e.Error), domain, domain)
	default: // neutral
		f.Severity = SevWarning
		f.Message = fmt.Sprintf("check_host for %s: %s%s: the SPF record of %s neither authorises nor refuses this IP, so its mail gets no SPF credit; if it sends for %s, add it to the SPF record", e.IP, e.Result, detail(e.Error), domain, domain)
	}
	return f
}

// usesOwnA reports whether an SPF record has an "a" term for its own name.
func usesOwnA(rec *SPFRecord, name string) bool {
	for _, t := range rec.Terms {
		if !t.Modifier && t.Name == "a" && (t.Value == "" || strings.EqualFold(strings.TrimSuffix(t.Value, "."), name)) {
			return true
		}
	}
	return false
}

// detail is an evaluation error as " (error)", or nothing.
func detail(err string) string {
	if err == "" {
		return ""
	}
	return " (" + err + ")"
}

// WriteText writes the report for people, grouped by check.
func (rep *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	subject := rep.Domain
	if len(rep.IPs) > 0 {
		subject = strings.TrimSpace(subject + " " + strings.Join(rep.IPs, " "))
	}
	fmt.Fprintf(&b, "relaylab probe %s: %s\n", subject, strings.ToUpper(string(rep.Status)))
	fmt.Fprintf(&b, "  at %s", rep.Time.UTC().Format(time.RFC3339))
	if len(rep.Resolvers) > 0 {
		fmt.Fprintf(&b, " via %s", strings.Join(rep.Resolvers, ", "))
	}
	b.WriteString("\n")
	for _, c := range rep.Checks {
		fmt.Fprintf(&b, "\n%-10s %s\n", strings.ToUpper(c.Check), c.Status)
		if c.Check == "blocklist" {
			rep.writeListingSummary(&b)
		}
		fs := append([]Finding(nil), c.Findings...)
		order := map[Severity]int{SevError: 0, SevWarning: 1, SevInfo: 2}
		sort.SliceStable(fs, func(i, j int) bool { return order[fs[i].Severity] < order[fs[j].Severity] })
		for _, f := range fs {
			// Records, names and the messages that quote them come
			// from the DNS, which anyone can fill: each is written on
			// one line, its line breaks and tabs shown as \n and \t,
			// so that a record cannot lay out lines that read as
			// findings of their own.
			fmt.Fprintf(&b, "  %-7s %s\n", f.Severity, oneLine(f.Message))
			var src []string
			if f.Name != "" {
				src = append(src, "at "+oneLine(f.Name))
			}
			if f.RFC != "" {
				src = append(src, f.RFC)
			}
			src = append(src, f.Code)
			fmt.Fprintf(&b, "          (%s)\n", strings.Join(src, "; "))
			if f.Record != "" {
				writeRecord(&b, f)
			}
		}
	}
	// Control characters left (in text that is not a finding's) are
	// shown, not obeyed.
	_, err := io.WriteString(w, textsafe.Escape(b.String()))
	return err
}

// maxRecordShown bounds a record in the text report, in bytes.
const maxRecordShown = 300

// writeRecord writes a finding's record under it: on one line, as
// oneLine writes it, but for an MTA-STS policy, a file of lines, whose
// lines are indented under the first.
func writeRecord(b *strings.Builder, f Finding) {
	if multiLineRecords[f.Code] {
		lines := strings.Split(strings.TrimRight(strings.ReplaceAll(f.Record, "\r\n", "\n"), "\n"), "\n")
		for i, l := range lines {
			prefix := "          record: "
			if i > 0 {
				prefix = "                  "
			}
			fmt.Fprintf(b, "%s%s\n", prefix, cutShown(oneLine(l)))
		}
		return
	}
	fmt.Fprintf(b, "          record: %s\n", cutShown(oneLine(f.Record)))
}

// multiLineRecords are the codes of findings whose record is a file of
// lines (an MTA-STS policy, fetched over HTTPS), not a DNS record.
var multiLineRecords = map[string]bool{"mta-sts.policy-syntax": true}

// cutShown cuts s to maxRecordShown bytes, at a character boundary.
func cutShown(s string) string {
	if len(s) <= maxRecordShown {
		return s
	}
	n := maxRecordShown
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

// oneLine is text from the DNS made one line of the text report: line
// breaks and tabs are shown as \n and \t, and every other control
// character as textsafe.Escape shows it (\x1b).
func oneLine(s string) string {
	if strings.ContainsAny(s, "\n\t") {
		s = strings.NewReplacer("\n", `\n`, "\t", `\t`).Replace(s)
	}
	return textsafe.Escape(s)
}

// writeListingSummary says, for each IP and domain asked about, on how
// many lists it is listed, not listed, unknown, and not applicable (lists
// that take no address of its family).
func (rep *Report) writeListingSummary(b *strings.Builder) {
	type count struct{ listed, clean, unknown int }
	per := map[string]*count{}
	var subjects []string
	subject := func(s string) *count {
		c := per[s]
		if c == nil {
			c = &count{}
			per[s] = c
			subjects = append(subjects, s)
		}
		return c
	}
	asked := map[string]bool{}
	for _, l := range rep.Listings {
		asked[l.Subject] = true
	}
	for _, ip := range rep.IPs {
		// In the order given, whether or not a list was asked about it.
		if a, err := netip.ParseAddr(ip); err == nil && (asked[a.Unmap().String()] || rep.notAsked[a.Unmap().String()] > 0) {
			subject(a.Unmap().String())
		}
	}
	for _, l := range rep.Listings {
		c := subject(l.Subject)
		switch l.Status {
		case Listed:
			c.listed++
		case NotListed:
			c.clean++
		default:
			c.unknown++
		}
	}
	for _, s := range subjects {
		c := per[s]
		fmt.Fprintf(b, "  %s: listed on %d, not listed on %d, unknown on %d", oneLine(s), c.listed, c.clean, c.unknown)
		if n := rep.notAsked[s]; n > 0 {
			why := "lists of IPv6 addresses only"
			if a, err := netip.ParseAddr(s); err == nil && !a.Is4() {
				why = "lists that take no IPv6 addresses"
			}
			fmt.Fprintf(b, ", not applicable on %d (%s)", n, why)
		}
		b.WriteString("\n")
	}
}
