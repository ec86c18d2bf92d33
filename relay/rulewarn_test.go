package relay

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/testutil"
)

// TestOverriddenRulesWarned: a relay.classify rule whose disposition the
// relay overrides for every reply it can match (a 451 given bounce, a
// 550 at RCPT TO given retry, a late bounce given retry) is named in a
// warning at its line and key, saying what the relay does instead and
// what to write; the classifier does what the warning says. Rules whose
// disposition holds, for all or some of their replies, get none. Before,
// every such rule was taken without a word.
func TestOverriddenRulesWarned(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		rule string
		// want are parts of the warning ("" for none); reply is one the
		// rule matches, which the classifier gives got.
		want  []string
		reply *Reply
		got   Disposition
	}{
		{`{code: "451", disposition: bounce, category: greylisted}`,
			[]string{`relaylab.yaml:4:34: relay.classify[1].disposition: bounce for a 4xx reply (code: "451"): the relay never bounces a 4xx reply`, "retries these replies instead of bouncing them", "Write disposition: retry to say so", "relay.retry.max_age", `match its 5xx instead`},
			&Reply{Stage: "rcpt", Code: 451, Enhanced: "4.7.1", Text: "try later"}, Retry},
		{`{enhanced: "4.2.2", disposition: suppress, category: mailbox-full}`,
			[]string{`suppress for a 4xx reply (enhanced: "4.2.2", a temporary failure by RFC 3463)`, "instead of bouncing them and suppressing the address"},
			&Reply{Stage: "rcpt", Code: 452, Enhanced: "4.2.2", Text: "mailbox full"}, Retry},
		{`{stage: connect, disposition: bounce, category: refused}`,
			[]string{`bounce for a failure without a reply (stage: connect)`, "Write disposition: retry"},
			&Reply{Stage: "connect", Text: "connection refused"}, Retry},
		{`{stage: rcpt, code: "550", disposition: retry, category: maybe-later}`,
			[]string{`retry for a 5xx reply (code: "550") at stage rcpt: the relay bounces a 5xx whatever a rule says`, "bounces these replies instead of retrying them", "Write disposition: bounce (or suppress)", "stage: auth, starttls or tls"},
			&Reply{Stage: "rcpt", Code: 550, Enhanced: "5.1.1", Text: "no such user"}, Bounce},
		{`{code: "5", disposition: reroute, category: next}`,
			[]string{`reroute for a 5xx reply (code: "5") at any stage but auth, starttls and tls`, "instead of sending them on to the next path"},
			&Reply{Stage: "mail", Code: 554, Text: "no"}, Bounce},
		{`{stage: 'auth | mail', enhanced: "5.7.", disposition: reroute, category: creds}`,
			[]string{`reroute for a 5xx reply (enhanced: "5.7.", a permanent failure by RFC 3463) at stage mail:`},
			&Reply{Stage: "mail", Code: 550, Enhanced: "5.7.1", Text: "not allowed"}, Bounce},
		// A 530 at MAIL, RCPT or DATA refuses the path (AUTH or STARTTLS
		// first): a rule of a shorter code is overridden for the rest, and
		// is told how to match the 530 alone.
		{`{stage: mail, code: "5", disposition: reroute, category: next}`,
			[]string{`reroute for a 5xx reply (code: "5") at stage mail:`, "and a 530 at mail, rcpt or data (AUTH or STARTTLS required first", `if they are a 530 at MAIL, RCPT or DATA, write code: "530"`},
			&Reply{Stage: "mail", Code: 550, Enhanced: "5.7.1", Text: "not allowed"}, Bounce},
		{`{stage: 'mail|dot', code: "530", disposition: retry, category: needs-auth}`,
			[]string{`retry for a 5xx reply (code: "530") at stage dot:`},
			&Reply{Stage: "mail", Code: 530, Enhanced: "5.7.0", Text: "Authentication required"}, Retry},
		{`{stage: rcpt, code: "552", enhanced: "5.5.3", disposition: bounce, category: too-many}`,
			[]string{`bounce for a 552 5.5.3 at RCPT TO`, "sends the refused recipients again at once", "Write disposition: retry"},
			&Reply{Stage: "rcpt", Code: 552, Enhanced: "5.5.3", Text: "too many recipients"}, Retry},
		{`{stage: async, disposition: retry, category: late}`,
			[]string{`retry at stage async: the relay records a late bounce`, "suppresses its address exactly when the DSN's status is 5.x.x. Write", "Write disposition: bounce (or suppress)"},
			nil, ""},
		{`{stage: async, enhanced: "5.1.1", disposition: bounce, category: late}`,
			[]string{`bounce at stage async for a 5xx reply (enhanced: "5.1.1"`, "so it bounces these and suppresses the address", "Write disposition: suppress"},
			nil, ""},
		{`{stage: async, enhanced: "4.", disposition: suppress, category: late}`,
			[]string{`suppress at stage async for a 4xx reply`, "so it bounces these and does not suppress the address", "Write disposition: bounce to say so"},
			nil, ""},
		// Rules whose disposition holds.
		{`{code: "451", disposition: retry, category: greylisted}`, nil, &Reply{Stage: "rcpt", Code: 451, Text: "later"}, Retry},
		{`{enhanced: "5.1.1", disposition: suppress, category: gone}`, nil, &Reply{Stage: "rcpt", Code: 550, Enhanced: "5.1.1", Text: "gone"}, Suppress},
		{`{stage: auth, code: "535", disposition: reroute, category: creds}`, nil, &Reply{Stage: "auth", Code: 535, Enhanced: "5.7.8", Text: "bad credentials"}, Reroute},
		{`{stage: 'starttls|tls', code: "5", disposition: retry, category: tls}`, nil, &Reply{Stage: "starttls", Code: 554, Text: "no TLS"}, Retry},
		{`{stage: 'mail|rcpt|data', code: "530", disposition: reroute, category: needs-auth}`, nil, &Reply{Stage: "rcpt", Code: 530, Enhanced: "5.7.0", Text: "Authentication required"}, Reroute},
		{`{code: "530", disposition: retry, category: needs-auth}`, nil, &Reply{Stage: "data", Code: 530, Enhanced: "5.7.0", Text: "Must issue a STARTTLS command first"}, Retry},
		{`{stage: rcpt, code: "552", disposition: retry, category: maybe-too-many}`, nil, &Reply{Stage: "rcpt", Code: 552, Enhanced: "5.5.3", Text: "too many recipients"}, Retry},
		{`{stage: async, enhanced: "4", disposition: bounce, category: late}`, nil, nil, ""},
		// A rule for replies of both kinds: its disposition holds for some.
		{`{text: "mailbox full", disposition: bounce, category: full}`, nil, &Reply{Stage: "rcpt", Code: 552, Enhanced: "5.2.2", Text: "mailbox full"}, Bounce},
		{`{disposition: retry, category: greylisted}`, nil, &Reply{Stage: "rcpt", Code: 450, Text: "later"}, Retry},
	} {
		t.Run(tt.rule, func(t *testing.T) {
			t.Parallel()
			// classify[0] is a rule that needs no warning, so that the
			// warning's index and line are checked to be its own.
			data := []byte("relay:\n  classify:\n    - {code: \"421\", disposition: retry, category: busy}\n    - " + tt.rule + "\n")
			f := &fileWithRelay{Relay: DefaultConfig()}
			if err := config.Decode("relaylab.yaml", data, f); err != nil {
				t.Fatalf("the rule is refused: %v", err)
			}
			ws := f.Relay.Warnings("relay")
			switch {
			case tt.want == nil && len(ws) > 0:
				t.Errorf("warned about a rule whose disposition holds: %v", ws)
			case tt.want != nil && len(ws) != 1:
				t.Errorf("warnings %v, want one", ws)
			case tt.want != nil:
				got := config.Locate("relaylab.yaml", data, ws[0]).Error()
				if !strings.HasPrefix(got, "relaylab.yaml:4:") || !strings.Contains(got, " relay.classify[1].disposition: ") {
					t.Errorf("the warning is not at the rule's line (4) and key:\n%s", got)
				}
				for _, w := range tt.want {
					if !strings.Contains(got, w) {
						t.Errorf("the warning lacks %q:\n%s", w, got)
					}
				}
			}
			if tt.reply == nil {
				return
			}
			c, err := NewClassifier(f.Relay.Classify)
			if err != nil {
				t.Fatal(err)
			}
			if v := c.Classify(*tt.reply); v.Disposition != tt.got || v.Category != f.Relay.Classify[1].Category {
				t.Errorf("the classifier gives %s a %s (%s); want %s by this rule", tt.reply, v.Disposition, v.Category, tt.got)
			}
		})
	}
}

// TestOverriddenRulesLoggedAtStart: the relay logs the warning at start,
// as it does its other warnings about its configuration.
func TestOverriddenRulesLoggedAtStart(t *testing.T) {
	t.Parallel()
	cfg := testConfig(closedAddr(t))
	cfg.Classify = []Rule{{Code: "451", Disposition: Bounce, Category: "greylisted"}}
	var logs testutil.SyncBuffer
	newHarness(t, cfg, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if got := logs.String(); !strings.Contains(got, `level=WARN msg="relay: relay.classify[0].disposition: bounce for a 4xx reply (code: \"451\"): the relay never bounces`) {
		t.Errorf("no warning about relay.classify[0] at start:\n%s", got)
	}
}

// TestSuppressionKeysWarnedWhenDisabled: under relay.suppression.disabled,
// a classify rule with disposition suppress and a soft_bounces limit add
// no address to the suppression list; each is warned of at its line and
// key, saying what the relay does instead. With suppression on, neither
// is. Before, both were taken without a word.
func TestSuppressionKeysWarnedWhenDisabled(t *testing.T) {
	t.Parallel()
	yaml := func(disabled bool) []byte {
		return fmt.Appendf(nil, "relay:\n  suppression:\n    disabled: %v\n    soft_bounces: 3\n  classify:\n    - {code: \"421\", disposition: retry, category: busy}\n    - {enhanced: \"5.1.1\", disposition: suppress, category: gone}\n", disabled)
	}
	for _, disabled := range []bool{true, false} {
		data := yaml(disabled)
		f := &fileWithRelay{Relay: DefaultConfig()}
		if err := config.Decode("relaylab.yaml", data, f); err != nil {
			t.Fatalf("the config is refused: %v", err)
		}
		var got []string
		for _, w := range f.Relay.Warnings("relay") {
			got = append(got, config.Locate("relaylab.yaml", data, w).Error())
		}
		if !disabled {
			if len(got) > 0 {
				t.Errorf("warned with suppression on: %q", got)
			}
			continue
		}
		if len(got) != 2 {
			t.Fatalf("warnings %q, want two", got)
		}
		for i, want := range [][]string{
			{"relaylab.yaml:7:", "relay.classify[1].disposition: suppress while relay.suppression.disabled is true", "adds no address to the suppression list", "Write disposition: bounce"},
			{"relaylab.yaml:4:", "relay.suppression.soft_bounces: 3 while relay.suppression.disabled is true", "Remove soft_bounces"},
		} {
			for _, w := range want {
				if !strings.Contains(got[i], w) {
					t.Errorf("warning %d lacks %q:\n%s", i, w, got[i])
				}
			}
		}
	}
}
