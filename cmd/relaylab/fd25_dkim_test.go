package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/dnstest"
	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/probe"
	"github.com/relaylab/relaylab/relay"
	"github.com/relaylab/relaylab/web"
)

// fd25SigningRelay opens a store at db with a relay, not started, that
// signs shop.test's mail with a fresh Ed25519 key.
func fd25SigningRelay(t *testing.T, db string) (*store.Store, *relay.Relay) {
	t.Helper()
	_, file, _ := s17f2Key(t, filepath.Dir(db), "shop.pem", 0)
	st, _ := openTestRelay(t, db)
	cfg := relay.DefaultConfig()
	cfg.DKIM = []relay.DKIMConfig{{Domain: "shop.test", Selector: "s1", KeyFile: file}}
	rl, err := relay.New(cfg, relay.Options{Store: st, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	return st, rl
}

// TestFD25QueueShowNotes: queue show prints the relay's notes on a
// message, from its relay.queued event (a line over 998 octets in a
// message it signs, which a next hop may wrap and so break the
// signature), and --json has them as notes; a message without notes
// shows none.
func TestFD25QueueShowNotes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "q.db")
	st, rl := fd25SigningRelay(t, db)
	long := "From: <news@shop.test>\r\nSubject: hi\r\n\r\n" + strings.Repeat("x", 1500) + "\r\n"
	var ids []string
	for _, data := range []string{long, "From: <news@shop.test>\r\nSubject: hi\r\n\r\nshort\r\n"} {
		id, err := rl.Enqueue(ctx, relay.Submission{From: "bounce@shop.test", Data: []byte(data), Recipients: []relay.Recipient{{Address: "b@r.test"}}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	st.Close()
	const note = "  note     the relay signs this message with DKIM, and its longest line (line 1 of the body) is 1500 octets"
	code, out, errOut := runIn(t, ctx, "queue", "show", ids[0], "--db", db)
	if code != 0 || !strings.Contains(out, note) || !strings.Contains(out, "quoted-printable or base64") {
		t.Errorf("queue show: exit %d, want the note %q\nstdout %s\nstderr %s", code, note, out, errOut)
	}
	code, out, errOut = runIn(t, ctx, "queue", "show", ids[0], "--db", db, "--json")
	var m struct {
		ID         string   `json:"id"`
		Notes      []string `json:"notes"`
		Recipients []relay.RecipientInfo
	}
	if err := json.Unmarshal([]byte(out), &m); code != 0 || err != nil || m.ID != ids[0] || len(m.Recipients) != 1 || len(m.Notes) != 1 ||
		!strings.HasPrefix("  note     "+m.Notes[0], note) {
		t.Errorf("queue show --json: exit %d, %v: %+v\nstdout %s\nstderr %s", code, err, m, out, errOut)
	}
	code, out, errOut = runIn(t, ctx, "queue", "show", ids[1], "--db", db)
	if code != 0 || strings.Contains(out, "note") {
		t.Errorf("queue show of a message without notes: exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	if _, out, _ = runIn(t, ctx, "queue", "show", ids[1], "--db", db, "--json"); strings.Contains(out, `"notes"`) {
		t.Errorf("queue show --json of a message without notes: %s", out)
	}
}

// TestFD25APIRefusesFromFields: the HTTP API queued a message with two
// From fields that the relay signs for, which SMTP submission refuses
// with 554 5.6.0; the relay's refusal now reaches the API as
// web.ErrInvalid (400), in the same words.
func TestFD25APIRefusesFromFields(t *testing.T) {
	t.Parallel()
	st, rl := fd25SigningRelay(t, filepath.Join(t.TempDir(), "q.db"))
	defer st.Close()
	_, err := relayAdapter{rl: rl}.Enqueue(context.Background(), web.EnqueueRequest{From: "bounce@esp.test", To: []string{"b@r.test"},
		Raw: "From: <news@shop.test>\nFrom: <ceo@bank.test>\nSubject: hi\n\nbody\n", Client: "127.0.0.1:5000"})
	if !errors.Is(err, web.ErrInvalid) {
		t.Fatalf("Enqueue: %v, want web.ErrInvalid (400) with the relay's refusal", err)
	}
	for _, w := range []string{"has 2 From fields", "RFC 5322 3.6 allows one", "signs shop.test's mail with DKIM", "write one From field"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%q lacks %q", err, w)
		}
	}
}

// TestFD25ServeWatchlistSaysKeyMismatch: serve's watchlist, with the
// relay's key file and another key published under its selector, says
// so in the stored report (dkim.key-mismatch), with the record of the
// relay's key to publish, as relaylab dkim check prints it.
func TestFD25ServeWatchlistSaysKeyMismatch(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, file, ours := s17f2Key(t, dir, "k1.pem", 0)
	_, _, other := s17f2Key(t, dir, "other.pem", 0)
	srv := dnstest.Start(t)
	if err := srv.AddString("shop.test. 300 IN SOA ns.shop.test. h.shop.test. 1 7200 3600 1209600 300",
		`rl2026._domainkey.shop.test. 300 IN TXT "`+other+`"`); err != nil {
		t.Fatal(err)
	}
	st, _ := openTestRelay(t, filepath.Join(dir, "s.db"))
	defer st.Close()
	cfg := defaultConfig()
	cfg.Probe.Domains, cfg.Probe.Resolvers, cfg.Probe.BIMILogo = probe.Domains("shop.test"), []string{srv.Addr}, false
	cfg.Relay.DKIM = []relay.DKIMConfig{{Domain: "shop.test", Selector: "rl2026", KeyFile: file}}
	// The monitor as startMonitor makes it for serve.
	m, err := probe.NewMonitor(withSigningSelectors(cfg.Probe, cfg.Relay), probe.Options{Store: st, SigningKeys: signingKeys(cfg.Relay)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	res, err := probe.ResultHistory(context.Background(), st.DB(), "shop.test", 1)
	if err != nil || len(res) != 1 {
		t.Fatalf("results %v, %v", res, err)
	}
	var rep probe.Report
	if err := json.Unmarshal(res[0].Report, &rep); err != nil || rep.DKIM == nil {
		t.Fatalf("report: %v\n%s", err, res[0].Report)
	}
	var f *probe.Finding
	for i := range rep.DKIM.Findings {
		if rep.DKIM.Findings[i].Code == "dkim.key-mismatch" {
			f = &rep.DKIM.Findings[i]
		}
	}
	if f == nil || rep.DKIM.Status != probe.StatusError {
		t.Fatalf("no dkim.key-mismatch, or the check is %s: %+v", rep.DKIM.Status, rep.DKIM.Findings)
	}
	for _, w := range []string{"another public key than that of " + file, "relay.dkim[0]", "publish " + jsonQuote(ours)} {
		if !strings.Contains(f.Message, w) {
			t.Errorf("the finding lacks %q:\n%s", w, f.Message)
		}
	}
	if f.Publish == nil || f.Publish.Value != ours || f.Publish.Name != "rl2026._domainkey.shop.test" {
		t.Errorf("publish %+v, want the relay's key's record %q", f.Publish, ours)
	}
}

// jsonQuote is s as %q writes it.
func jsonQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
