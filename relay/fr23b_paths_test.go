package relay

import (
	"bufio"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/testutil"
)

// twoPaths is a route over prova, then provb, with prova set up by
// primary.
func twoPaths(provb string, primary PathConfig) Config {
	cfg := testConfig(primary.Host)
	primary.Name = "prova"
	cfg.Paths = []PathConfig{primary, {Name: "provb", Host: provb, TLS: "none"}}
	cfg.Routes[0].Paths = []string{"prova", "provb"}
	return cfg
}

// TestFailedPrimaryIsLoggedWhenTheBackupDelivers: route [prova, provb],
// prova with verify: true and a certificate no CA here signed, provb
// taking the mail. The log warns of prova's failure, with the server,
// the TLS error, its category, reason and advice (how to trust the CA),
// and the outcome line names it (failed_paths); prova's relay.attempt
// carries the category, reason and advice too, for queue show's hops.
// Before, the only line was "relay: delivered ... path=provb": a broken
// primary stayed hidden behind its backup.
func TestFailedPrimaryIsLoggedWhenTheBackupDelivers(t *testing.T) {
	t.Parallel()
	tlsMTA := startMTA(t, func(f *fakeMTA) { f.tls = true })
	backup := startMTA(t, nil)
	cfg := twoPaths(backup.addr, PathConfig{Host: tlsMTA.addr, TLS: "required", Verify: true})
	var logs testutil.SyncBuffer
	h := newHarness(t, cfg, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	id := h.enqueue("a@s.test", "one@r.test")
	h.runUntil("the delivery", h.done(id, 1))
	if got := h.terminal(id)["one@r.test"]; len(got) != 1 || got[0] != events.RelayDelivered {
		t.Fatalf("terminal events %v, want delivered by provb", got)
	}
	var warn, outcome string
	for line := range strings.SplitSeq(logs.String(), "\n") {
		switch {
		case strings.Contains(line, `msg="relay: path prova failed`):
			warn = line
		case strings.Contains(line, `msg="relay: delivered"`):
			outcome = line
		}
	}
	for _, want := range []string{"level=WARN", "to=one@r.test", "id=" + id, "path=prova", "host=127.0.0.1[127.0.0.1]:",
		"unknown authority", "category=tls-failure", "not signed by an authority", "SSL_CERT_FILE"} {
		if !strings.Contains(warn, want) {
			t.Errorf("the failed path's log line lacks %q:\n%s", want, warn)
		}
	}
	if !strings.Contains(outcome, `failed_paths="path prova: starttls: `) || !strings.Contains(outcome, "(tls-failure)") || !strings.Contains(outcome, "path=provb") {
		t.Errorf("the outcome line does not name the failed prova:\n%s", outcome)
	}
	att := h.events(events.Filter{Message: id, Kinds: []string{events.RelayAttempt}})
	if len(att) != 2 || att[0].Path != "prova" {
		t.Fatalf("attempts %v, want prova's then provb's", att)
	}
	p := payload(t, att[0])
	if p["category"] != "tls-failure" || !strings.Contains(p["reason"].(string), "not signed by an authority") || !strings.Contains(p["advice"].(string), "SSL_CERT_FILE") {
		t.Errorf("prova's attempt %v: want category tls-failure, its reason and the advice to trust the CA", p)
	}
	if q := payload(t, att[1]); q["category"] != nil || q["advice"] != nil {
		t.Errorf("provb's delivery %v: want no category or advice on a success", q)
	}
	// queue show's hops carry the same explanation of prova's failure.
	m, err := h.r.Message(context.Background(), id)
	if err != nil || len(m.Recipients) != 1 || len(m.Recipients[0].Hops) != 2 {
		t.Fatalf("the message's hops: %v %+v", err, m.Recipients)
	}
	if hop := m.Recipients[0].Hops[0]; hop.Path != "prova" || hop.Category != "tls-failure" || !strings.Contains(hop.Advice, "SSL_CERT_FILE") {
		t.Errorf("prova's hop %+v: want its category and the advice to trust the CA", hop)
	}
}

// TestAllPathsFailedNamesEachPath: prova refuses the path's password
// (535 5.7.8), provb is down. The deferral's reason and advice name
// prova's failure and what to fix there, after provb's; the JSON log has
// a warning for prova with its own fields, and the outcome line's
// failed_paths. Before, the deferral said only "connect: ... refused"
// with advice about the backup.
func TestAllPathsFailedNamesEachPath(t *testing.T) {
	t.Parallel()
	authMTA := startMTA(t, func(f *fakeMTA) { f.tls, f.users = true, map[string]string{"u": "right"} })
	cfg := twoPaths(closedAddr(t), PathConfig{Host: authMTA.addr, TLS: "required", Username: "u", Password: "wrong"})
	var logs testutil.SyncBuffer
	h := newHarness(t, cfg, Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	id := h.enqueue("a@s.test", "one@r.test")
	h.runUntil("the deferral", h.deferrals(id, 1))
	def := h.firstOutcome(t, id, events.RelayDeferred)
	reason, _ := def["reason"].(string)
	advice, _ := def["advice"].(string)
	if def["category"] != "connection" {
		t.Errorf("deferral %v: want provb's refused connection as its category", def)
	}
	for _, want := range []string{"could not be reached", "before it, the route's earlier path failed too: path prova answered 535 5.7.8 bad credentials (credentials-refused: "} {
		if !strings.Contains(reason, want) {
			t.Errorf("the deferral's reason %q lacks %q", reason, want)
		}
	}
	for _, want := range []string{"check the host and port", "for path prova: check the path's username and password"} {
		if !strings.Contains(advice, want) {
			t.Errorf("the deferral's advice %q lacks %q", advice, want)
		}
	}
	var warn, outcome map[string]any
	sc := bufio.NewScanner(strings.NewReader(logs.String()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) != nil {
			continue
		}
		switch msg, _ := m["msg"].(string); {
		case strings.HasPrefix(msg, "relay: path prova failed"):
			warn = m
		case msg == "relay: deferred":
			outcome = m
		}
	}
	if warn == nil || warn["level"] != "WARN" || warn["path"] != "prova" || warn["reply"] != "535 5.7.8 bad credentials" ||
		warn["category"] != "credentials-refused" || warn["enhanced"] != "5.7.8" || !strings.Contains(warn["advice"].(string), "username and password") {
		t.Errorf("the failed path's JSON log line %v: want a warning with prova's path, reply, category, enhanced code and advice", warn)
	}
	if fp, _ := outcome["failed_paths"].(string); fp != "path prova: 535 5.7.8 bad credentials (credentials-refused)" {
		t.Errorf("the outcome's failed_paths %q, want prova's reply and category", fp)
	}
	if r, _ := outcome["reason"].(string); !strings.Contains(r, "path prova answered 535") {
		t.Errorf("the outcome line's reason %q does not name prova", r)
	}
}

// TestFixClausesKeepsConditions: the advice for a path the next one
// covered keeps "if it recurs" (it failed once) and drops what speaks of
// retrying; fixOf, for a recipient whose every attempt failed, drops the
// condition.
func TestFixClausesKeepsConditions(t *testing.T) {
	t.Parallel()
	adv := "nothing; it is retried later. If it recurs, read the reply text and the server's log"
	if got, want := fixClauses(adv, false), "if it recurs, read the reply text and the server's log"; got != want {
		t.Errorf("fixClauses(once) = %q, want %q", got, want)
	}
	if got, want := fixOf(adv), "read the reply text and the server's log"; got != want {
		t.Errorf("fixOf = %q, want %q", got, want)
	}
}
