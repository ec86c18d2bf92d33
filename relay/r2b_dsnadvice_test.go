package relay

import (
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/dsn"
)

// ownSideCategories are the categories of failures on the relay's own
// side: its path's set-up and its shaping. A DSN about them has the
// relay's operator fix the path, and never the sender check the address.
var ownSideCategories = []string{"credentials-refused", "auth-not-offered", "tls-failure", "shaping", "destination-backoff"}

// TestR2BDSNAdviceEveryCategory: for a recipient of every category of the
// built-in table, delayed, given up on or bounced as the category can be,
// the DSN says what it means and what to do; and for the categories of
// the relay's own making (its path's credentials, AUTH or TLS set-up, its
// shaping, a smarthost path's server it cannot reach) it does not have the
// sender check the address, which no server judged, but names the relay's
// operator and what to fix, from the category's advice. A category added
// to the table needs a case here.
func TestR2BDSNAdviceEveryCategory(t *testing.T) {
	t.Parallel()
	cfg := testConfig("127.0.0.1:2525")
	cfg.Hostname = "relay.s.test"
	cfg.Paths = append(cfg.Paths, PathConfig{Name: "direct", Type: "mx"})
	r, err := New(cfg, Options{Store: openStore(t, clock.NewVirtual(epoch)), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	tested := map[string]bool{}
	// What the DSN says where the status alone would say too little.
	wants := map[string]string{
		"r.test publishes a null MX: it accepts no mail (RFC 7505)":                      "remove it from your list, or ask the recipient for another address",
		"every MX host of r.test does not accept mail: mx.r.test 521 5.3.2 no mail here": "no later attempt could deliver it",
		"line too long": "wrap its lines",
		"the message has 8-bit data and the server does not offer 8BITMIME": "7-bit",
		"non-ASCII address not permitted":                                   "use an ASCII address",
		"bad address syntax":                                                "a syntax error",
		"dial tcp 192.0.2.1:25: connect: connection refused":                "connect to mx.r.test[192.0.2.1]:25: connection refused",
	}
	const (
		delayed = 1 << iota
		expired
		bounced
	)
	for _, tt := range []struct {
		category string
		path     string
		reply    Reply
		actions  int
		ownSide  bool
	}{
		{"destination-backoff", "primary", Reply{Stage: "shaping", Text: "not tried: destination path:primary rests until 2026-03-01T12:10:00Z after 421 4.7.0 too many to a@r.test (message x)"}, delayed | expired, true},
		{"shaping", "primary", Reply{Stage: "shaping", Text: "path primary reached its warm-up cap for the day; it opens again at 2026-03-02T00:00:00Z"}, delayed | expired, true},
		{"shaping", "primary", Reply{Stage: "shaping", Text: "outside the sending windows of route all; the next opens at 2026-03-02T03:00:00Z"}, delayed | expired, true},
		{"dns-failure", "direct", Reply{Stage: "dns", Enhanced: "4.4.3", Text: "MX lookup for r.test: server failure (SERVFAIL)"}, delayed | expired, false},
		{"no-such-domain", "direct", noSuchDomain("r.test"), bounced, false},
		{"no-such-domain", "direct", Reply{Stage: "dns", Code: 556, Enhanced: "5.1.10", Local: true, Text: "r.test publishes a null MX: it accepts no mail (RFC 7505)"}, bounced, false},
		{"greeting-refused", "direct", Reply{Stage: "greeting", Enhanced: "4.7.1", Local: true, Text: "every MX host greeted with 5xx: mx.r.test 554 5.7.1 go away"}, delayed | expired, false},
		{"greeting-refused", "direct", Reply{Stage: "greeting", Code: 521, Enhanced: "5.3.2", Local: true, Text: "every MX host of r.test does not accept mail: mx.r.test 521 5.3.2 no mail here"}, bounced, false},
		{"greeting-refused", "primary", Reply{Stage: "greeting", Enhanced: "4.7.1", Local: true, Text: "the server greeted with 5xx: 554 5.7.1 not you"}, delayed | expired, true},
		{"connection", "direct", Reply{Stage: "connect", Text: "dial tcp 192.0.2.1:25: connect: connection refused"}, delayed | expired, false},
		{"connection", "primary", Reply{Stage: "connect", Text: "dial tcp 127.0.0.1:2525: connect: connection refused"}, delayed | expired, true},
		{"connection-lost-after-data", "direct", Reply{Stage: "dot", Text: "reading the reply: EOF"}, delayed | expired, false},
		{"tls-failure", "primary", Reply{Stage: "starttls", Text: "TLS handshake: tls: failed to verify certificate: x509: certificate signed by unknown authority"}, delayed | expired, true},
		{"tls-failure", "primary", Reply{Stage: "starttls", Text: "the path has a password, and the relay sends it only over TLS (RFC 4954 14): the server does not offer STARTTLS"}, delayed | expired, true},
		{"protocol-error", "direct", Reply{Stage: "ehlo", Text: `malformed reply "HTTP/1.1 400"`}, delayed | expired, false},
		{"rate-limited", "direct", Reply{Stage: "rcpt", Code: 421, Enhanced: "4.7.28", Text: "unusual rate of mail"}, delayed | expired, false},
		{"service-unavailable", "direct", Reply{Stage: "mail", Code: 421, Enhanced: "4.3.2", Text: "shutting down"}, delayed | expired, false},
		{"greylisted", "direct", Reply{Stage: "rcpt", Code: 451, Enhanced: "4.7.1", Text: "greylisted, try again in 300s"}, delayed | expired, false},
		{"message-too-big", "direct", Reply{Stage: "dot", Code: 552, Enhanced: "5.3.4", Text: "message too big"}, bounced, false},
		{"auth-not-offered", "primary", Reply{Stage: "auth", Text: "the path has a username and password, but the server does not offer AUTH"}, delayed | expired, true},
		{"credentials-refused", "primary", Reply{Stage: "auth", Code: 535, Enhanced: "5.7.8", Text: "Authentication credentials invalid"}, delayed | expired, true},
		{"credentials-refused", "primary", Reply{Stage: "mail", Code: 530, Enhanced: "5.7.8", Text: "authentication required"}, delayed | expired, true},
		{"authentication-failure", "direct", Reply{Stage: "dot", Code: 550, Enhanced: "5.7.26", Text: "unauthenticated mail is prohibited"}, bounced, false},
		{"invalid-recipient", "direct", Reply{Stage: "rcpt", Code: 550, Enhanced: "5.1.1", Text: "no such user"}, bounced, false},
		{"mailbox-full", "direct", Reply{Stage: "rcpt", Code: 452, Enhanced: "4.2.2", Text: "mailbox full"}, delayed | expired, false},
		{"mailbox-disabled", "direct", Reply{Stage: "rcpt", Code: 550, Enhanced: "5.2.1", Text: "mailbox disabled"}, bounced, false},
		{"spam-block", "direct", Reply{Stage: "dot", Code: 554, Enhanced: "5.7.1", Text: "message blocked as spam"}, bounced, false},
		{"policy", "direct", Reply{Stage: "rcpt", Code: 550, Enhanced: "5.7.1", Text: "relaying denied"}, bounced, false},
		{"line-too-long", "direct", Reply{Stage: "dot", Code: 500, Enhanced: "5.4.0", Text: "line too long"}, bounced, false},
		{"routing", "direct", Reply{Stage: "rcpt", Code: 451, Enhanced: "4.4.0", Text: "routing failed"}, delayed | expired, false},
		{"smtputf8-required", "direct", Reply{Stage: "mail", Code: 553, Enhanced: "5.6.7", Local: true, Text: "the server does not offer SMTPUTF8"}, bounced, false},
		{"smtputf8-required", "direct", Reply{Stage: "rcpt", Code: 553, Enhanced: "5.6.7", Text: "non-ASCII address not permitted"}, bounced, false},
		{"syntax-error", "direct", Reply{Stage: "rcpt", Code: 501, Enhanced: "5.5.2", Text: "bad address syntax"}, bounced, false},
		{"unclassified", "direct", Reply{Stage: "mail", Code: 554, Enhanced: "5.6.3", Local: true, Text: "the message has 8-bit data and the server does not offer 8BITMIME"}, bounced, false},
		{"unclassified", "direct", Reply{Stage: "dot", Code: 450, Text: "later"}, delayed | expired, false},
	} {
		tested[tt.category] = true
		v := r.classify.Classify(tt.reply)
		if v.Category != tt.category {
			t.Errorf("%v: category %q, want %q", tt.reply, v.Category, tt.category)
			continue
		}
		if slices.Contains(ownSideCategories, tt.category) != tt.ownSide && tt.path != "primary" {
			t.Errorf("%s: own side %v on an mx path", tt.category, tt.ownSide)
		}
		for _, action := range []int{delayed, expired, bounced} {
			if tt.actions&action == 0 {
				continue
			}
			e := dsnEntry{c: claimed{address: "b@r.test"}, o: outcome{path: tt.path, host: "mx.r.test", reply: tt.reply, verdict: v, attempts: 1},
				expired: action == expired, until: epoch.Add(time.Hour)}
			act := map[int]string{delayed: dsn.ActionDelayed, expired: dsn.ActionFailed, bounced: dsn.ActionFailed}[action]
			rc := r.dsnRecipient(e, act, epoch)
			rep := dsn.Report{ReportingMTA: "relay.s.test", Recipients: []dsn.Recipient{rc}}
			what := tt.category + " " + act + " after " + tt.reply.String()
			if _, err := dsn.Build(dsn.BuildOptions{To: "a@s.test", MessageID: "<x@relay.s.test>", Date: epoch}, rep); err != nil {
				t.Errorf("%s: the DSN cannot be built: %v", what, err)
				continue
			}
			text := dsn.Explain(rep)
			t.Logf("%s: Status %s\n%s", what, rc.Status, text)
			if w := wants[tt.reply.Text]; w != "" && !strings.Contains(text, w) {
				t.Errorf("%s: the DSN does not say %q:\n%s", what, w, text)
			}
			if !strings.Contains(text, "what it means: ") || !strings.Contains(text, "what to do: ") {
				t.Errorf("%s: no meaning or advice:\n%s", what, text)
			}
			if tt.ownSide && (strings.Contains(text, "check the address") || action != delayed && !strings.Contains(text, "operator of relay.s.test")) {
				t.Errorf("%s: the relay's own failure, but the DSN has the sender check the address, or does not name the relay's operator:\n%s", what, text)
			}
			if tt.ownSide && tt.category != "shaping" && tt.category != "destination-backoff" && action != delayed && !strings.Contains(text, fixOf(v.Advice)) {
				t.Errorf("%s: the DSN does not say what to fix (%q):\n%s", what, fixOf(v.Advice), text)
			}
		}
	}
	// Every category of the built-in table has a case above.
	var rules []Rule
	if err := yaml.Unmarshal(builtinRules, &rules); err != nil {
		t.Fatal(err)
	}
	for _, rule := range rules {
		if !tested[rule.Category] {
			t.Errorf("category %s of the built-in table has no case in this test", rule.Category)
		}
	}
}
