package probe

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/relaylab/relaylab/internal/clock"
)

// changesMonitor watches chg.test and its subdomain sub.chg.test, served
// by a zone the test can change, and confirms changes over two runs.
func changesMonitor(t *testing.T) (run func() []Change, set func(rr ...string), remove func(name string, qtype uint16), m *Monitor) {
	t.Helper()
	r, srv := testResolver(t)
	if err := srv.AddString(
		"chg.test. 60 IN SOA ns.chg.test. h.chg.test. 1 3600 600 86400 60",
		`chg.test. 60 IN TXT "v=spf1 ip4:192.0.2.1 -all"`,
		`_dmarc.chg.test. 60 IN TXT "v=DMARC1; p=quarantine"`,
		`sub.chg.test. 60 IN TXT "v=spf1 -all"`,
		`_dmarc.sub.chg.test. 60 IN TXT "v=DMARC1; p=reject"`,
	); err != nil {
		t.Fatal(err)
	}
	vc := clock.NewVirtual(epoch)
	cfg := DefaultConfig()
	cfg.Domains = Domains("chg.test", "sub.chg.test")
	m, err := NewMonitor(cfg, Options{Store: openStore(t, vc), Clock: vc, Logger: discard(), Resolver: r, HTTPClient: &http.Client{Transport: policyOnly{}}})
	if err != nil {
		t.Fatal(err)
	}
	run = func() []Change {
		t.Helper()
		var all []Change
		for i := 0; i < 2; i++ {
			ch, err := m.RunOnce(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, ch...)
			vc.Advance(time.Hour)
		}
		return all
	}
	set = func(rr ...string) {
		t.Helper()
		if err := srv.AddString(rr...); err != nil {
			t.Fatal(err)
		}
	}
	return run, set, srv.Remove, m
}

func changeOf(cs []Change, key string) *Change {
	for i := range cs {
		if cs[i].Key == key {
			return &cs[i]
		}
	}
	return nil
}

// TestChangeKindsRemovedAndAdded: a record that goes is record-removed
// (new ""), one that comes where there was none record-added (old ""),
// not record-changed.
func TestChangeKindsRemovedAndAdded(t *testing.T) {
	t.Parallel()
	run, set, remove, _ := changesMonitor(t)
	run()
	remove("chg.test.", dns.TypeTXT)
	c := changeOf(run(), "domain chg.test spf")
	if c == nil || c.Kind != ChangeRecordRemoved || c.Old != "v=spf1 ip4:192.0.2.1 -all" || c.New != "" {
		t.Fatalf("SPF removed: %+v, want kind %s with the old record", c, ChangeRecordRemoved)
	}
	set(`chg.test. 60 IN TXT "v=spf1 ip4:192.0.2.2 -all"`)
	c = changeOf(run(), "domain chg.test spf")
	if c == nil || c.Kind != ChangeRecordAdded || c.Old != "" || c.New != "v=spf1 ip4:192.0.2.2 -all" {
		t.Fatalf("SPF published again: %+v, want kind %s", c, ChangeRecordAdded)
	}
}

// TestChangeInheritedDMARCIsMarked: when a subdomain's own DMARC record
// goes, the organisational domain's applies: the change says so, and the
// API's history (ChangeHistory) says it too.
func TestChangeInheritedDMARCIsMarked(t *testing.T) {
	t.Parallel()
	run, _, remove, m := changesMonitor(t)
	run()
	remove("_dmarc.sub.chg.test.", dns.TypeTXT)
	c := changeOf(run(), "domain sub.chg.test dmarc")
	if c == nil || c.Kind != ChangeRecordChanged || c.New != "v=DMARC1; p=quarantine" || c.InheritedFrom != "chg.test" ||
		!strings.Contains(c.Note, "record of its organisational domain at _dmarc.chg.test applies") {
		t.Fatalf("own DMARC record removed: %+v, want the organisational domain's record marked as inherited from chg.test", c)
	}
	hist, err := ChangeHistory(context.Background(), m.st.DB(), "sub.chg.test", 0)
	if err != nil || len(hist) == 0 || hist[0].InheritedFrom != "chg.test" {
		t.Errorf("history %+v (%v): the newest change is not marked as inherited", hist, err)
	}
}

// TestListingChangeTellsWhy: a listing change carries what the code
// means, the list's TXT record and where to ask for delisting, in the
// change and in the webhook's body; the body is signed with the
// configured secret over its exact bytes, with the time it was sent.
func TestListingChangeTellsWhy(t *testing.T) {
	t.Parallel()
	type post struct {
		body      []byte
		sig, when string
	}
	posts := make(chan post, 16)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		posts <- post{b, r.Header.Get(SignatureHeader), r.Header.Get(TimestampHeader)}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(ts.Close)
	vc := clock.NewVirtual(epoch)
	cfg := DefaultConfig()
	cfg.Webhook.URL = ts.URL + "/hook"
	cfg.Webhook.Secret = "0123456789abcdef0123"
	m, srv := listedMonitor(t, openStore(t, vc), vc, cfg, Options{HTTPClient: &http.Client{Transport: policyOnly{}}})
	if err := srv.AddString(`20.2.0.127.good.bl.test. 60 IN TXT "Listed: see https://bl.test/lookup?ip=127.0.2.20."`); err != nil {
		t.Fatal(err)
	}
	m.cfg.Zones[0].Codes = map[string]string{"127.0.0.2": "spam source"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := m.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	vc.Advance(time.Hour)
	ch, err := m.RunOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := changeOf(ch, "listing 127.0.2.20 good.bl.test")
	if c == nil || strings.Join(c.Meaning, "") != "spam source" || !strings.Contains(c.Reason, "Listed: see") || c.DelistURL != "https://bl.test/lookup?ip=127.0.2.20" {
		t.Fatalf("listing change %+v, want its meaning, TXT record and delisting URL", c)
	}
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	var p post
	select {
	case p = <-posts:
	case <-time.After(20 * time.Second):
		t.Fatal("the webhook never posted the change")
	}
	cancel()
	<-done
	var body struct {
		Sent   time.Time
		Change Change
	}
	if err := json.Unmarshal(p.body, &body); err != nil {
		t.Fatal(err)
	}
	if body.Change.DelistURL != c.DelistURL || body.Change.Reason != c.Reason || len(body.Change.Meaning) != 1 {
		t.Errorf("webhook body %s lacks the listing's details", p.body)
	}
	if want := WebhookSignature(cfg.Webhook.Secret, p.body); !hmac.Equal([]byte(p.sig), []byte(want)) || !strings.HasPrefix(p.sig, "sha256=") {
		t.Errorf("%s: %q, want %q, the HMAC-SHA256 of the body", SignatureHeader, p.sig, want)
	}
	if body.Sent.IsZero() || p.when != strconv.FormatInt(body.Sent.Unix(), 10) {
		t.Errorf("%s: %q, body sent %s: want the same instant", TimestampHeader, p.when, body.Sent)
	}
}

// TestHistoryTargetIgnoresCase: the history of a domain is found whatever
// the case of its name, with or without a final dot (RFC 4343), and an IP
// address in any of its forms.
func TestHistoryTargetIgnoresCase(t *testing.T) {
	t.Parallel()
	run, _, remove, m := changesMonitor(t)
	run()
	remove("chg.test.", dns.TypeTXT)
	run()
	for _, target := range []string{"chg.test", "CHG.Test", "chg.test."} {
		cs, err := ChangeHistory(context.Background(), m.st.DB(), target, 0)
		if err != nil || len(cs) != 1 {
			t.Errorf("changes of %q: %d (%v), want 1", target, len(cs), err)
		}
		rs, err := ResultHistory(context.Background(), m.st.DB(), target, 0)
		if err != nil || len(rs) != 4 {
			t.Errorf("results of %q: %d (%v), want 4", target, len(rs), err)
		}
	}
	if got := NormalizeTarget("::ffff:192.0.2.1"); got != "192.0.2.1" {
		t.Errorf("NormalizeTarget(::ffff:192.0.2.1) = %q", got)
	}
}
