package probe

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/resolver"
	"github.com/relaylab/relaylab/internal/store"
)

// Change kinds. A consumer should read a kind it does not know as
// record-changed: kinds may be added.
const (
	ChangeListed        = "listed"
	ChangeDelisted      = "delisted"
	ChangeRecordChanged = "record-changed"
	ChangeRecordAdded   = "record-added"   // Old "": a record where there was none
	ChangeRecordRemoved = "record-removed" // New "": the record is gone
	ChangeKeyRotated    = "key-rotated"
	// A DKIM key replaced by a revoked one (empty p=, RFC 6376 3.6.1):
	// every signature with the selector fails from then on.
	ChangeKeyRevoked = "key-revoked"
	// A watched domain's name servers stopped answering lookups of its
	// names (SERVFAIL, REFUSED) on two runs in a row, or answer again.
	ChangeDNSFailing   = "dns-failing"
	ChangeDNSAnswering = "dns-answering"
	// The outcome of a check changed (key "domain D spf-result"): what
	// receivers get from the policy, which changes with the records it
	// includes as well as with the domain's own.
	ChangeResultChanged = "result-changed"
)

// Change is a confirmed difference between runs: seen on two runs in a
// row, never inferred from a temporary error.
type Change struct {
	ID     int64     `json:"id"`
	Time   time.Time `json:"time"`
	Target string    `json:"target"` // the domain or IP
	Key    string    `json:"key"`    // what changed: "listing 192.0.2.1 zen.spamhaus.org", "domain example.com spf", "ip 192.0.2.1 ptr"
	Kind   string    `json:"kind"`   // listed, delisted, record-changed, record-added, record-removed, key-rotated, key-revoked, dns-failing, dns-answering, result-changed
	// Old is the confirmed value before, "" with First set: nothing had
	// been observed before the target's first checks.
	Old string `json:"old"`
	New string `json:"new"`
	// First marks a blocklist listing found at a target's first checks
	// (confirmed by two runs like any change): there was no earlier
	// state, so it is not a change from "not-listed".
	First bool `json:"first,omitempty"`
	// Meaning, Reason and DelistURL, for a listing (kind listed): what
	// the list's return codes mean (from its zones entry), its TXT
	// record for the address, and where to ask for delisting (the
	// zone's delist, or the first URL of its TXT record); each when
	// known.
	Meaning   []string `json:"meaning,omitempty"`
	Reason    string   `json:"reason,omitempty"`
	DelistURL string   `json:"delist_url,omitempty"`
	// InheritedFrom, for a DMARC record, is the organisational domain
	// whose record New is: the domain has no record of its own that
	// receivers read, so that one applies to it (RFC 7489 6.6.3).
	InheritedFrom string `json:"inherited_from,omitempty"`
	// Note says in words what the change means, when kind, old and new
	// do not say it all.
	Note string `json:"note,omitempty"`
	// Check is the check the change is about (spf, dkim, dmarc, mx,
	// mta-sts, tls-rpt, bimi, ptr, blocklist; "" for a domain's DNS
	// health), and Status that check's status at the run that confirmed
	// the change: a receiver can page on "error" and close on "ok"
	// without knowing every key and kind.
	Check  string `json:"check,omitempty"`
	Status Status `json:"status,omitempty"`
}

// Options are the dependencies of a Monitor.
type Options struct {
	Store      *store.Store
	Clock      clock.Clock       // default: the store's clock
	Logger     *slog.Logger      // default: discard
	Resolver   resolver.Resolver // default: a Client on cfg.Resolvers
	HTTPClient *http.Client      // MTA-STS policies; default NewHTTPClientWith on Resolver and cfg.HTTPOptions()
	// WebhookClient posts to the webhook; default: a client that finds
	// the receiver as any HTTP client does (the system's resolver,
	// proxies from the environment), not through Resolver.
	WebhookClient *http.Client
	// SigningKeys are the keys the relay signs with: each run says
	// whether the watched DKIM record of each is its public key
	// (NoteSigningKeys), and a change of one whether it still matches.
	SigningKeys []SigningKey
}

// watchedIP is an IP of the watchlist and the HELO name it says.
type watchedIP struct {
	ip   netip.Addr
	helo string
}

// Monitor checks a watchlist on a schedule, stores results with history and
// reports changes as probe.changed events and to a webhook.
type Monitor struct {
	cfg      Config
	st       *store.Store
	clock    clock.Clock
	log      *slog.Logger
	r        resolver.Resolver
	http     *http.Client
	ips      []watchedIP
	hook     *webhook
	signing  []SigningKey
	mu       sync.Mutex
	mtaSeen  map[string]*MTASTSSeen
	restored bool // mtaSeen read back from the store
	// queryTimeout is r's time for one query, when the monitor made r
	// (probe.timeout); 0 for a resolver given in Options.
	queryTimeout time.Duration
}

// NewMonitor validates cfg and returns a monitor; Run starts it.
func NewMonitor(cfg Config, opts Options) (*Monitor, error) {
	if opts.Store == nil {
		return nil, errors.New("probe: NewMonitor needs a store")
	}
	if err := cfg.Validate("probe"); err != nil {
		return nil, err
	}
	m := &Monitor{cfg: cfg, st: opts.Store, clock: opts.Clock, log: opts.Logger, r: opts.Resolver, http: opts.HTTPClient, mtaSeen: map[string]*MTASTSSeen{},
		signing: opts.SigningKeys}
	if m.clock == nil {
		m.clock = opts.Store.Clock()
	}
	if m.log == nil {
		m.log = discardLogger()
	}
	if m.r == nil {
		c, err := resolver.New(resolver.Options{Servers: cfg.Resolvers, Timeout: cfg.Timeout.D(), Clock: m.clock, Logger: m.log})
		if err != nil {
			return nil, err
		}
		m.r, m.queryTimeout = c, cfg.Timeout.D()
	}
	if m.http == nil {
		hc, err := NewHTTPClientWith(m.r, cfg.HTTPOptions())
		if err != nil {
			return nil, fmt.Errorf("probe: MTA-STS policy client: %w", err)
		}
		m.http = hc
	}
	for _, w := range cfg.IPs {
		m.ips = append(m.ips, watchedIP{netip.MustParseAddr(w.IP), cfg.heloOf(w)})
	}
	if cfg.Webhook.URL != "" {
		hc := opts.WebhookClient
		if hc == nil {
			hc = newWebhookClient()
		}
		m.hook = newWebhook(cfg.Webhook, hc, m.st, m.clock, m.log)
	}
	return m, nil
}

// Run checks the watchlist now and then on its intervals until ctx ends;
// it returns nil when ctx is cancelled. Failures of one cycle are logged
// and retried on the next.
func (m *Monitor) Run(ctx context.Context) error {
	if m.hook == nil {
		if n, err := pendingChanges(ctx, m.st); err == nil && n > 0 {
			m.log.Info("changes recorded for a webhook are not posted: probe.webhook.url is not set (they are posted when it is)", "count", n)
		}
	}
	if len(m.cfg.Domains) == 0 && len(m.ips) == 0 {
		// An empty watchlist asks nothing of anyone's DNS servers.
		m.log.Info("probe watchlist is empty; the monitor is idle")
		<-ctx.Done()
		return nil
	}
	var wg sync.WaitGroup
	if m.hook != nil {
		wg.Add(1)
		go func() { defer wg.Done(); m.hook.run(ctx) }()
	}
	defer wg.Wait()
	nextRecords, nextBL := m.clock.Now(), m.clock.Now()
	for {
		now := m.clock.Now()
		records, bl := !now.Before(nextRecords), !now.Before(nextBL)
		if records || bl {
			if _, err := m.cycle(ctx, records, bl); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				m.log.Error("probe cycle failed; trying again at the next interval", "err", err)
			}
			if records {
				nextRecords = now.Add(m.cfg.Interval.D())
			}
			if bl {
				nextBL = now.Add(m.cfg.BlocklistInterval.D())
			}
		}
		next := nextRecords
		if nextBL.Before(next) {
			next = nextBL
		}
		if err := clock.Sleep(ctx, m.clock, next.Sub(m.clock.Now())); err != nil {
			return nil
		}
	}
}

// RunOnce checks everything once and returns the changes it confirmed.
func (m *Monitor) RunOnce(ctx context.Context) ([]Change, error) { return m.cycle(ctx, true, true) }

func (m *Monitor) cycle(ctx context.Context, records, blocklists bool) ([]Change, error) {
	// Each run reads DNS afresh: a change is confirmed by two runs in a
	// row, which must be two answers from the servers, not one answer
	// and its cached copy (the cache still spares repeated queries within
	// the run).
	if f, ok := m.r.(interface{ Flush() }); ok {
		f.Flush()
	}
	if err := m.restoreSeen(ctx); err != nil {
		return nil, fmt.Errorf("probe: reading the MTA-STS policies of the last runs: %w", err)
	}
	zones := m.cfg.Zones
	if len(zones) == 0 {
		zones = DefaultZones()
	}
	var health Health
	if blocklists {
		// RFC 5782 5: test each zone once per cycle, not once per
		// target, and only the zones some target is asked about.
		var ips []netip.Addr
		for _, w := range m.ips {
			ips = append(ips, w.ip)
		}
		health = CheckHealth(ctx, m.r, m.log, zonesFor(zones, ips, len(m.cfg.Domains) > 0))
	}
	deps := Deps{Resolver: m.r, HTTPClient: m.http, Clock: m.clock, Logger: m.log, QueryTimeout: m.queryTimeout, BIMILogo: m.cfg.BIMILogo,
		MXTLS: m.cfg.MXTLSOptions()}
	type job struct {
		target string
		req    Request
		tally  *dnsTally // a domain's: whether its own DNS answers
	}
	var jobs []job
	for _, d := range m.cfg.Domains {
		m.mu.Lock()
		prev := m.mtaSeen[d.Name]
		m.mu.Unlock()
		tied, shared := m.cfg.selectorsOf(d)
		var tally *dnsTally
		if records {
			tally = newDNSTally(m.r, d.Name)
		}
		jobs = append(jobs, job{d.Name, Request{Domain: d.Name, Selectors: tied, SharedSelectors: shared, Zones: zones, Health: health,
			NoBlocklists: !blocklists, NoRecords: !records, PrevMTASTS: prev, Watched: true}, tally})
	}
	for _, w := range m.ips {
		jobs = append(jobs, job{w.ip.String(), Request{IPs: []netip.Addr{w.ip}, Helo: w.helo, Zones: zones, Health: health, NoBlocklists: !blocklists}, nil})
	}
	// A few targets at a time; the resolver bounds the queries in flight.
	reps := make([]*Report, len(jobs))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				j := jobs[i]
				d := deps
				if j.tally != nil {
					d.Resolver = j.tally
				}
				rep := Run(ctx, d, j.req)
				if !m.cfg.BIMILogo {
					rep.logoOffBy(logoOffWatch)
				}
				if j.tally != nil {
					rep.dnsHealth = j.tally.health()
				}
				if j.req.Domain != "" && rep.MTASTS != nil && rep.MTASTS.Seen != nil {
					m.mu.Lock()
					m.mtaSeen[j.req.Domain] = rep.MTASTS.Seen
					m.mu.Unlock()
				}
				reps[i] = rep
			}
		}()
	}
	for i := range jobs {
		next <- i
	}
	close(next)
	wg.Wait()
	// A selector of every domain that one lacks is judged by the others.
	NoteSharedSelectors(reps)
	// Watched IPs that say one HELO name share its SPF record.
	NoteSharedHelos(reps)
	// Whether the keys published are those the relay signs with.
	NoteSigningKeys(reps, m.signing)
	var all []Change
	var errs []error
	for i, j := range jobs {
		ch, err := m.record(ctx, j.target, reps[i])
		all = append(all, ch...)
		errs = append(errs, err)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	errs = append(errs, m.pruneResults(ctx))
	if m.hook != nil && len(all) > 0 {
		m.hook.notify()
	}
	return all, errors.Join(errs...)
}

// pruneResults deletes what probe.keep lets go: the results older than
// it, but for those the probe still reads (keptResults), and the
// probe.result events older than it, a few hundred rows a transaction.
// Changes stay until relaylab prune or store.keep.
func (m *Monitor) pruneResults(ctx context.Context) error {
	before := m.clock.Now().Add(-m.cfg.Keep.D())
	keep, err := keptResults(ctx, m.st.DB(), before)
	if err != nil {
		return fmt.Errorf("probe: reading which results probe.keep keeps: %w", err)
	}
	res, err := m.st.PruneProbe(ctx, before, keep, store.PruneOptions{})
	if err != nil {
		return fmt.Errorf("probe: deleting what is older than probe.keep (the rest goes after the next cycle): %w", err)
	}
	if res.Total() > 0 {
		m.log.Debug("probe: deleted what is older than probe.keep", "keep", m.cfg.Keep.D(), "rows", res.Total(), "kept", len(keep))
	}
	return nil
}

// observation is one fact a report states, compared between runs.
type observation struct {
	key, value string
	listing    bool // a blocklist listing: a first sight that is listed is no baseline
	dkim       bool
	// Not compared, told with a change: the listing itself, and for a
	// DMARC record that is the organisational domain's, that domain.
	detail    *Listing
	inherited string
	// what and records, for an SPF or DMARC record: its name in words
	// and how many records the name has, so that a change to or from
	// several (value holds them all, joined by " | ") says what it means.
	what    string
	records int
	// dnsHealth: whether the domain's own DNS answers (dnsTally).
	dnsHealth bool
	// ptr: the reverse DNS of a watched IP (ptrValue).
	ptr bool
	// selector, for a DKIM key: its selector; signers, the relay's
	// keys for it (record fills them in).
	selector string
	signers  []SigningKey
	// result, for the outcome of a check (key "domain D spf-result"):
	// the check; findings are the check's, for its notes. outcomeKey,
	// for an SPF record, is the key of its outcome; prior is the
	// outcome confirmed before this run, and ownSame, for an outcome,
	// that the domain's own record did not change with it (record
	// fills both in).
	result     string
	findings   []Finding
	outcomeKey string
	outcome    string
	prior      string
	ownSame    bool
	// mtaSTS marks a domain's MTA-STS record and policy; policy is the
	// policy fetched now, and was the one before the change (record
	// reads it from the stored results), for the note.
	mtaSTS      bool
	policy, was *MTASTSPolicy
}

// describe adds to a change what its observation knows beyond the value:
// a listing's meaning, TXT record and delisting URL, a DMARC record's
// organisational domain, a DMARC policy or DKIM key made weaker or
// stronger.
func (o observation) describe(c *Change, target string) {
	if l := o.detail; l != nil && c.Kind == ChangeListed {
		c.Meaning, c.Reason, c.DelistURL = l.Meaning, l.Reason, l.DelistURL
	}
	if o.dnsHealth {
		c.Note = dnsHealthNote(target, c.Old, c.New)
	}
	if o.ptr {
		c.Note = ptrNote(target, c.Old, c.New)
	}
	if o.mtaSTS {
		c.Note = mtaSTSChangeNote(target, c.Old, c.New, o.was, o.policy)
	}
	if o.dkim {
		notes := []string{dkimChangeNote(o.selector, c.Old, c.New)}
		for _, k := range o.signers {
			notes = append(notes, signerNote(k, c.Old, c.New))
		}
		notes = append(notes, fingerprintNote(c.Old, c.New))
		c.Note = strings.Join(slices.DeleteFunc(notes, func(n string) bool { return n == "" }), "; ")
	}
	if o.result != "" {
		c.Note = resultNote(o.result, target, c.Old, c.New, o.findings, o.ownSame)
		return
	}
	if o.inherited != "" && c.New != "" {
		c.InheritedFrom = o.inherited
		c.Note = fmt.Sprintf("%s has no DMARC record of its own that receivers read, so the record of its organisational domain at _dmarc.%s applies to it: new is that record", target, o.inherited)
		if o.records > 1 {
			c.Note = fmt.Sprintf("%s has no DMARC record of its own, and its organisational domain publishes %d at _dmarc.%s (new holds them all, separated by \" | \"): receivers then apply no DMARC policy; keep one record", target, o.records, o.inherited)
		}
		if n := dmarcChangeNote(c.Old, c.New); n != "" {
			c.Note += "; " + n
		}
		return
	}
	switch {
	case o.records > 1:
		c.Note = fmt.Sprintf("%s now publishes %d %s records (new holds them all, separated by \" | \"), and with more than one receivers use none: %s; keep one record", target, o.records, o.what, multipleEffect(o.what))
	case o.what != "" && strings.Contains(c.Old, " | ") && c.New != "":
		c.Note = fmt.Sprintf("%s publishes one %s record again, where it had several (old holds them all, separated by \" | \")", target, o.what)
	case o.what == "DMARC":
		c.Note = dmarcChangeNote(c.Old, c.New)
		if n := dmarcDiscardedNote(c.Old, c.New, o.findings); n != "" {
			c.Note = n
		}
	case o.what == "SPF":
		c.Note = spfRecordNote(o.prior, o.outcome, c.Old, o.findings)
	}
}

// multipleEffect is what receivers do with several records of kind (RFC
// 7208 4.5, RFC 7489 6.6.3).
func multipleEffect(kind string) string {
	if kind == "SPF" {
		return "SPF gives permerror for all mail"
	}
	return "no DMARC policy applies"
}

// recordsValue is the value observed for a name that holds records (SPF
// or DMARC): the one record, or all of them joined by " | " when there
// are several (as the multiple finding shows them), so that a second
// record published beside the first is a change of the value, never the
// record's removal.
func recordsValue(one string, all []string) string {
	if len(all) > 1 {
		return strings.Join(all, " | ")
	}
	return one
}

// observe extracts the facts of a report. Facts that could not be
// established (unknown) are left out, so a temporary error is never a change.
func observe(rep *Report) []observation {
	var obs []observation
	for i, l := range rep.Listings {
		if l.Status == Unknown {
			continue
		}
		v := string(NotListed)
		if l.Status == Listed {
			v = "listed " + strings.Join(l.Codes, ",")
		}
		obs = append(obs, observation{key: "listing " + l.Subject + " " + l.Zone, value: v, listing: true, detail: &rep.Listings[i]})
	}
	d := "domain " + rep.Domain + " "
	var results []observation // after the records, whose notes read their state
	if rep.SPF != nil && rep.SPF.Status != StatusUnknown {
		o := observation{key: d + "spf", value: recordsValue(rep.SPF.Record, rep.SPF.Records),
			what: "SPF", records: len(rep.SPF.Records), findings: rep.SPF.Findings}
		if v, ok := spfOutcome(rep.SPF); ok {
			o.outcomeKey, o.outcome = d+"spf-result", v
			results = append(results, observation{key: o.outcomeKey, value: v, result: "spf", findings: rep.SPF.Findings})
		}
		obs = append(obs, o)
	}
	if rep.DMARC != nil {
		if v, ok := checkOutcome(rep.DMARC.Status, rep.DMARC.Findings); ok {
			results = append(results, observation{key: d + "dmarc-result", value: v, result: "dmarc", findings: rep.DMARC.Findings})
		}
	}
	if rep.MTASTS != nil {
		if v, ok := checkOutcome(rep.MTASTS.Status, rep.MTASTS.Findings); ok {
			results = append(results, observation{key: d + "mta-sts-result", value: v, result: "mta-sts", findings: rep.MTASTS.Findings})
		}
	}
	if rep.DMARC != nil && rep.DMARC.Status != StatusUnknown {
		o := observation{key: d + "dmarc", value: recordsValue(rep.DMARC.Record, rep.DMARC.Records),
			what: "DMARC", records: len(rep.DMARC.Records), findings: rep.DMARC.Findings}
		if pd := rep.DMARC.PolicyDomain; pd != "" && pd != strings.TrimSuffix(strings.ToLower(rep.Domain), ".") {
			o.inherited = pd
		}
		obs = append(obs, o)
	}
	if rep.DKIM != nil && rep.DKIM.Status != StatusUnknown {
		for _, s := range rep.DKIM.Selectors {
			obs = append(obs, observation{key: d + "dkim " + s.Selector, value: s.Record, dkim: true, selector: s.Selector})
		}
		for _, s := range rep.DKIM.Missing {
			obs = append(obs, observation{key: d + "dkim " + s, value: "", dkim: true, selector: s})
		}
	}
	if rep.MX != nil && rep.MX.Status != StatusUnknown {
		var hosts []string
		for _, h := range rep.MX.Hosts {
			hosts = append(hosts, fmt.Sprintf("%d %s", h.Pref, h.Host))
		}
		if rep.MX.NullMX {
			hosts = append(hosts, "0 .")
		}
		sort.Strings(hosts)
		obs = append(obs, observation{key: d + "mx", value: strings.Join(hosts, ", ")})
	}
	if rep.MTASTS != nil && rep.MTASTS.Status != StatusUnknown {
		v := rep.MTASTS.Record
		if rep.MTASTS.Seen != nil {
			v += mtaSTSPolicyMark + rep.MTASTS.Seen.Hash
		}
		obs = append(obs, observation{key: d + "mta-sts", value: v, mtaSTS: true, policy: rep.MTASTS.Policy})
	}
	if rep.TLSRPT != nil && rep.TLSRPT.Status != StatusUnknown {
		obs = append(obs, observation{key: d + "tls-rpt", value: rep.TLSRPT.Record})
	}
	if rep.BIMI != nil && rep.BIMI.Status != StatusUnknown {
		obs = append(obs, observation{key: d + "bimi", value: rep.BIMI.Record})
	}
	if rep.dnsHealth != "" {
		obs = append(obs, observation{key: d + "dns", value: rep.dnsHealth, dnsHealth: true})
	}
	for _, p := range rep.PTR {
		if p.Status != StatusUnknown {
			obs = append(obs, observation{key: "ip " + p.IP + " ptr", value: ptrValue(p), ptr: true})
		}
	}
	return append(obs, results...)
}

// ptrConfirmed and ptrUnconfirmed mark each name of a PTR value.
const (
	ptrConfirmed   = " (forward-confirmed)"
	ptrUnconfirmed = " (not forward-confirmed)"
)

// ptrValue is the value observed for an IP's reverse DNS: its PTR names
// in order, each said forward-confirmed or not (RFC 8601 3), "" for none:
// "mail.example.com (forward-confirmed)".
func ptrValue(p PTRReport) string {
	names := slices.Clone(p.Names)
	sort.Strings(names)
	for i, n := range names {
		if slices.Contains(p.Confirmed, n) {
			names[i] += ptrConfirmed
		} else {
			names[i] += ptrUnconfirmed
		}
	}
	return strings.Join(names, ", ")
}

// ptrNote says what a change of ip's reverse DNS means for its mail.
func ptrNote(ip, old, cur string) string {
	was, is := strings.Contains(old, ptrConfirmed), strings.Contains(cur, ptrConfirmed)
	switch {
	case cur == "":
		return fmt.Sprintf("%s has no PTR record any more: Gmail, Yahoo and many others reject or junk mail from IPs without reverse DNS; ask the IP's owner to set one", ip)
	case old == "" && is:
		return fmt.Sprintf("%s now has a PTR record, and its name resolves back to it: forward-confirmed reverse DNS passes", ip)
	case old == "":
		return fmt.Sprintf("%s now has a PTR record, but no name of it resolves back to %s, so forward-confirmed reverse DNS still fails (RFC 8601 3): publish an address record of %s for the PTR name", ip, ip, ip)
	case was && !is:
		return fmt.Sprintf("the PTR name of %s no longer resolves back to it, so forward-confirmed reverse DNS fails (RFC 8601 3) and receivers that require it (Gmail, Yahoo) reject or junk the mail: publish an address record of %s for the PTR name, or point the PTR at a name that has one", ip, ip)
	case !was && is:
		return fmt.Sprintf("the PTR name of %s resolves back to it again: forward-confirmed reverse DNS passes", ip)
	}
	return ""
}

// record stores a report, updates the state of each fact and confirms
// changes, all in one transaction.
// restoreSeen reads back, once, the MTA-STS policy each watched domain
// served on its last recorded run, so that a policy changed under an
// unchanged id is caught across a restart too.
func (m *Monitor) restoreSeen(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.restored {
		return nil
	}
	for _, wd := range m.cfg.Domains {
		d := wd.Name
		if m.mtaSeen[d] != nil {
			continue
		}
		var body string
		err := m.st.DB().QueryRowContext(ctx, `SELECT report FROM probe_results WHERE target = ? AND report LIKE '%'||?||'%' ORDER BY id DESC LIMIT 1`, d, seenMark).Scan(&body)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return err
		}
		var last struct {
			MTASTS *MTASTSReport `json:"mta_sts"`
		}
		if err := json.Unmarshal([]byte(body), &last); err == nil && last.MTASTS != nil && last.MTASTS.Seen != nil {
			m.mtaSeen[d] = last.MTASTS.Seen
		}
	}
	m.restored = true
	return nil
}

func (m *Monitor) record(ctx context.Context, target string, rep *Report) ([]Change, error) {
	body, err := json.Marshal(rep)
	if err != nil {
		return nil, err
	}
	nerr, nwarn := 0, 0
	for _, f := range rep.Findings() {
		switch f.Severity {
		case SevError:
			nerr++
		case SevWarning:
			nwarn++
		}
	}
	now := m.clock.Now()
	hook := hookNone
	if m.hook != nil {
		hook = hookPending
	}
	var changes []Change
	err = m.st.Write(ctx, func(tx *store.Tx) error {
		changes = changes[:0]
		if _, err := tx.Exec(`INSERT INTO probe_results (time_ns, target, status, errors, warnings, report) VALUES (?, ?, ?, ?, ?, ?)`,
			now.UnixNano(), target, string(rep.Status), nerr, nwarn, string(body)); err != nil {
			return err
		}
		if _, err := tx.Append(events.Event{Kind: events.ProbeResult, Target: target}.WithPayload(resultPayload(rep, nerr, nwarn))); err != nil {
			return err
		}
		var found []*Change
		byKey := map[string]*Change{}
		for _, o := range observe(rep) {
			c, err := advance(tx, now, target, o)
			if err != nil {
				return err
			}
			if c == nil {
				continue
			}
			if o.outcomeKey != "" {
				// Not advanced yet: its outcomes come after the records.
				if o.prior, err = confirmedOf(tx, o.outcomeKey); err != nil {
					return err
				}
			}
			if o.dkim {
				o.signers = signersOf(m.signing, target, o.selector)
			}
			if o.mtaSTS {
				_, hash := mtaSTSValue(c.Old)
				if o.was, err = storedPolicy(tx, target, hash); err != nil {
					return err
				}
			}
			rec := byKey[strings.TrimSuffix(o.key, "-result")]
			o.ownSame = o.result != "" && rec == nil
			o.describe(c, target)
			c.Check = checkOfKey(o.key)
			c.Status = rep.checkStatus(c.Check)
			if o.result != "" && rec != nil {
				// The record changed with it, which is the change to
				// tell: its note says what the outcome became.
				if rec.Note == "" {
					rec.Note = c.Note
				}
				continue
			}
			byKey[c.Key] = c
			found = append(found, c)
		}
		for _, c := range found {
			// The row first, so that the event carries the change's id;
			// then the row gets the event's.
			res, err := tx.Exec(`INSERT INTO probe_changes (time_ns, target, key, kind, old, new, webhook) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				now.UnixNano(), target, c.Key, c.Kind, c.Old, c.New, hook)
			if err != nil {
				return err
			}
			if c.ID, err = res.LastInsertId(); err != nil {
				return err
			}
			ev, err := tx.Append(events.Event{Kind: events.ProbeChanged, Target: target}.WithPayload(c))
			if err != nil {
				return err
			}
			if _, err := tx.Exec(`UPDATE probe_changes SET event_id = ? WHERE id = ?`, ev.ID, c.ID); err != nil {
				return err
			}
			changes = append(changes, *c)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("storing the probe result of %s: %w", target, err)
	}
	for _, c := range changes {
		m.log.Info("probe change", "target", c.Target, "key", c.Key, "kind", c.Kind, "new", c.New)
	}
	return changes, nil
}

// ResultListing is one blocklist's answer in the payload of a
// probe.result event: the web's relaylab_probe_listed metric reads it.
type ResultListing struct {
	Zone    string        `json:"zone"`
	Subject string        `json:"subject"` // the IP or domain asked about
	Status  ListingStatus `json:"status"`  // listed, not-listed or unknown
}

// ResultCheck is the status of one check of a run in the payload of a
// probe.result event: the web's relaylab_probe_status metric reads it.
type ResultCheck struct {
	Check  string `json:"check"`  // spf, dkim, dmarc, mx, ptr, mta-sts, tls-rpt, bimi, dnssec, blocklist
	Status Status `json:"status"` // ok, warning, error or unknown
}

// ResultPayload is the payload of a probe.result event: the report's
// status, its counts of errors and warnings, the status of each check the
// run made (checks; a run makes only some: the blocklists and the records
// have intervals of their own), and, when the run asked the blocklists,
// each one's answer (listings).
type ResultPayload struct {
	Status   Status          `json:"status"`
	Errors   int             `json:"errors"`
	Warnings int             `json:"warnings"`
	Checks   []ResultCheck   `json:"checks,omitempty"`
	Listings []ResultListing `json:"listings,omitempty"`
}

func resultPayload(rep *Report, nerr, nwarn int) ResultPayload {
	p := ResultPayload{Status: rep.Status, Errors: nerr, Warnings: nwarn}
	for _, c := range rep.Checks {
		p.Checks = append(p.Checks, ResultCheck{Check: c.Check, Status: c.Status})
	}
	for _, l := range rep.Listings {
		p.Listings = append(p.Listings, ResultListing{Zone: l.Zone, Subject: l.Subject, Status: l.Status})
	}
	return p
}

// advance moves one fact's state: a new value must be seen on two runs in
// a row to be confirmed; a confirmation is a Change.
func advance(tx *store.Tx, now time.Time, target string, o observation) (*Change, error) {
	var confirmed, candidate string
	var streak int
	err := tx.QueryRow(`SELECT confirmed, candidate, streak FROM probe_state WHERE key = ?`, o.key).Scan(&confirmed, &candidate, &streak)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		confirmed = o.value // the first sight of a record is its baseline
		if o.listing && o.value != string(NotListed) {
			// A listing at the first sight is reported once confirmed,
			// with no earlier state: Old "" and First.
			confirmed = ""
		}
		if _, err := tx.Exec(`INSERT INTO probe_state (key, target, confirmed, updated_ns) VALUES (?, ?, ?, ?)`, o.key, target, confirmed, now.UnixNano()); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	}
	var change *Change
	switch {
	case o.listing && confirmed == "" && o.value == string(NotListed):
		// A first-sight listing gone before it was confirmed: nothing
		// was ever reported, so there is nothing to delist.
		confirmed, candidate, streak = o.value, "", 0
	case o.value == confirmed:
		candidate, streak = "", 0
	case o.value == candidate:
		streak++
	default:
		candidate, streak = o.value, 1
	}
	if streak >= 2 {
		change = &Change{Time: now, Target: target, Key: o.key, Old: confirmed, New: o.value, Kind: changeKind(o, confirmed),
			First: o.listing && confirmed == ""}
		confirmed, candidate, streak = o.value, "", 0
	}
	_, err = tx.Exec(`UPDATE probe_state SET confirmed = ?, candidate = ?, streak = ?, updated_ns = ? WHERE key = ?`,
		confirmed, candidate, streak, now.UnixNano(), o.key)
	return change, err
}

// confirmedOf is the confirmed value of a fact, "" when it has none.
func confirmedOf(tx *store.Tx, key string) (string, error) {
	var v string
	err := tx.QueryRow(`SELECT confirmed FROM probe_state WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

// checkOfKey is the check a change's key is about: "listing ..." the
// blocklist, "ip IP ptr" the PTR, "domain D CHECK[-result] ..." that
// check; "" for "domain D dns", which no check reports.
func checkOfKey(key string) string {
	f := strings.Fields(key)
	switch {
	case len(f) > 0 && f[0] == "listing":
		return "blocklist"
	case len(f) == 3 && f[0] == "ip":
		return f[2]
	case len(f) >= 3 && f[0] == "domain" && f[2] != "dns":
		return strings.TrimSuffix(f[2], "-result")
	}
	return ""
}

// checkStatus is the status of the report's check named check, "" when
// the report has none.
func (rep *Report) checkStatus(check string) Status {
	for _, c := range rep.Checks {
		if c.Check == check {
			return c.Status
		}
	}
	return ""
}

func changeKind(o observation, old string) string {
	switch {
	case o.result != "":
		return ChangeResultChanged
	case o.dnsHealth && o.value == dnsAnswers:
		return ChangeDNSAnswering
	case o.dnsHealth:
		return ChangeDNSFailing
	case o.listing && strings.HasPrefix(o.value, "listed"):
		return ChangeListed
	case o.listing:
		return ChangeDelisted
	case o.dkim && old != "" && o.value != "" && revokedKey(o.value) && !revokedKey(old):
		return ChangeKeyRevoked
	case o.dkim && old != "" && o.value != "":
		return ChangeKeyRotated
	case old != "" && o.value == "":
		return ChangeRecordRemoved
	case old == "" && o.value != "":
		return ChangeRecordAdded
	}
	return ChangeRecordChanged
}

// revokedKey reports whether rec is a DKIM key record that parses and is
// revoked (empty p=).
func revokedKey(rec string) bool {
	k, err := ParseDKIMKey(rec)
	return err == nil && k.Revoked
}
