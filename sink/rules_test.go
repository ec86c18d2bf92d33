package sink

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/config"
)

func TestParseReply(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want Reply
		err  bool
	}{
		{in: "550 5.1.1 no such user", want: Reply{550, "5.1.1", "no such user"}},
		{in: "451 try later", want: Reply{451, "", "try later"}},
		{in: "421", want: Reply{421, "", defaultText(421)}},
		{in: "550 4.1.1 mismatch", err: true},
		{in: "55 short", err: true},
		{in: "700 too big", err: true},
		{in: "abc", err: true},
	}
	for _, tc := range tests {
		got, err := ParseReply(tc.in)
		if (err != nil) != tc.err || (!tc.err && got != tc.want) {
			t.Errorf("ParseReply(%q) = %+v, %v; want %+v, error %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestRuleMatching(t *testing.T) {
	t.Parallel()
	lo := netip.MustParseAddr("127.0.0.1")
	tests := []struct {
		name string
		rule Rule
		in   input
		want bool
	}{
		{"stage", Rule{Stage: "rcpt", Reply: "550"}, input{stage: StageMail}, false},
		{"glob", Rule{Stage: "rcpt", Recipient: "*@Example.com", Reply: "550"}, input{stage: StageRcpt, rcpt: "a@example.COM"}, true},
		{"glob miss", Rule{Stage: "rcpt", Recipient: "*@example.com", Reply: "550"}, input{stage: StageRcpt, rcpt: "a@example.org"}, false},
		{"regexp", Rule{Stage: "mail", Sender: "/^b[0-9]+@/", Reply: "550"}, input{stage: StageMail, sender: "b12@x"}, true},
		{"cidr", Rule{Stage: "connect", Client: "127.0.0.0/8", Reply: "554"}, input{stage: StageConnect, client: lo}, true},
		{"cidr miss", Rule{Stage: "connect", Client: "10.0.0.0/8", Reply: "554"}, input{stage: StageConnect, client: lo}, false},
		{"address", Rule{Stage: "connect", Client: "127.0.0.1", Reply: "554"}, input{stage: StageConnect, client: lo}, true},
		{"listener", Rule{Stage: "ehlo", Listener: "mx2", Reply: "554"}, input{stage: StageEHLO, listener: "mx"}, false},
		{"attempt range in", Rule{Stage: "rcpt", Attempt: "1-2", Reply: "451"}, input{stage: StageRcpt, attempt: 2}, true},
		{"attempt range out", Rule{Stage: "rcpt", Attempt: "1-2", Reply: "451"}, input{stage: StageRcpt, attempt: 3}, false},
		{"attempt open", Rule{Stage: "rcpt", Attempt: "3-", Reply: "451"}, input{stage: StageRcpt, attempt: 9}, true},
		{"per message", Rule{Stage: "data-end", Attempt: "1", Per: "message", Reply: "451"}, input{stage: StageDataEnd, attempt: 5, msgAttempt: 1}, true},
		{"helo", Rule{Stage: "mail", HELO: "*.bad", Reply: "550"}, input{stage: StageMail, helo: "x.bad"}, true},
		{"spf one of", Rule{Stage: "data-end", SPF: "fail | SoftFail", Reply: "550"}, input{stage: StageDataEnd, auth: &AuthResult{SPF: "softfail"}}, true},
		{"spf other", Rule{Stage: "data-end", SPF: "fail|softfail", Reply: "550"}, input{stage: StageDataEnd, auth: &AuthResult{SPF: "neutral"}}, false},
		{"spf unverified", Rule{Stage: "data-end", SPF: "none", Reply: "550"}, input{stage: StageDataEnd}, false},
		{"dkim and spf both", Rule{Stage: "data-end", SPF: "pass", DKIM: "none|fail", Reply: "550"}, input{stage: StageDataEnd, auth: &AuthResult{SPF: "pass", DKIM: "fail"}}, true},
		{"dkim passes", Rule{Stage: "data-end", DKIM: "none|fail", Reply: "550"}, input{stage: StageDataEnd, auth: &AuthResult{SPF: "fail", DKIM: "pass"}}, false},
	}
	for _, tc := range tests {
		r, err := tc.rule.compile("r")
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := r.matches(&tc.in); got != tc.want {
			t.Errorf("%s: matches = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestRuleErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		rule Rule
		key  string
	}{
		{Rule{Stage: "nope", Reply: "550"}, "sink.rules[0].stage"},
		{Rule{Stage: "rcpt", Reply: "5"}, "sink.rules[0].reply"},
		{Rule{Stage: "rcpt", Recipient: "/(/", Reply: "550"}, "sink.rules[0].recipient"},
		{Rule{Stage: "rcpt", Client: "300.1.1.1", Reply: "550"}, "sink.rules[0].client"},
		{Rule{Stage: "rcpt", Attempt: "3-1", Reply: "550"}, "sink.rules[0].attempt"},
		{Rule{Stage: "rcpt", Per: "message", Reply: "550"}, "sink.rules[0].per"},
		{Rule{Stage: "rcpt", Probability: ptr(2.0), Reply: "550"}, "sink.rules[0].probability"},
		{Rule{Stage: "rcpt", Probability: ptr(0.0), Reply: "550"}, "sink.rules[0].probability"},
		{Rule{Stage: "rcpt", Probability: ptr(-0.5), Reply: "550"}, "sink.rules[0].probability"},
		{Rule{Stage: "mail", Greylist: &GreylistRule{}}, "sink.rules[0].greylist"},
		{Rule{Stage: "rcpt", Bounce: &BounceRule{}}, "sink.rules[0].bounce"},
		{Rule{Stage: "rcpt"}, "sink.rules[0]"},
		{Rule{Stage: "data-end", SPF: "fail|maybe", Reply: "550"}, "sink.rules[0].spf"},
		{Rule{Stage: "rcpt", SPF: "fail", Reply: "550"}, "sink.rules[0].spf"},
		{Rule{Stage: "data-end", DKIM: "softfail", Reply: "550"}, "sink.rules[0].dkim"},
		{Rule{Stage: "rcpt", Delay: config.Duration(-time.Second)}, "sink.rules[0].delay"},
		{Rule{Stage: "rcpt", Tarpit: config.Duration(-time.Second)}, "sink.rules[0].tarpit"},
		{Rule{Stage: "rcpt", Greylist: &GreylistRule{Delay: ptr(config.Duration(-10 * time.Minute))}}, "sink.rules[0].greylist.delay"},
		{Rule{Stage: "rcpt", Greylist: &GreylistRule{Expiry: ptr(config.Duration(-time.Hour))}}, "sink.rules[0].greylist.expiry"},
		{Rule{Stage: "data-end", Bounce: &BounceRule{After: ptr(config.Duration(-time.Minute))}}, "sink.rules[0].bounce.after"},
	}
	for _, tc := range tests {
		cfg := DefaultConfig()
		cfg.Rules = []Rule{tc.rule}
		err := cfg.Validate("sink")
		var fe *config.FieldError
		if !errors.As(err, &fe) || fe.Key != tc.key {
			t.Errorf("%+v: got %v, want an error at %s", tc.rule, err, tc.key)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// probability: 0 used to mean always, as if it were left out: a tester who
// wrote it to switch a rule off got it on every time. It is refused at its
// line and key; absent still means always.
func TestZeroProbabilityRefused(t *testing.T) {
	t.Parallel()
	doc := "sink:\n  rules:\n    - stage: rcpt\n      reply: \"451 4.4.2 try again\"\n      probability: 0\n"
	var f struct {
		Sink Config `yaml:"sink"`
	}
	f.Sink = DefaultConfig()
	err := config.Decode("sink.yaml", []byte(doc), &f)
	if err == nil {
		err = f.Sink.Validate("sink")
		err = config.Locate("sink.yaml", []byte(doc), err)
	}
	if err == nil || !strings.Contains(err.Error(), "sink.yaml:5") || !strings.Contains(err.Error(), "sink.rules[0].probability") || !strings.Contains(err.Error(), "0 would never apply: remove the rule") {
		t.Fatalf("got %v, want an error at sink.yaml:5, sink.rules[0].probability, saying 0 would never apply", err)
	}
	rs, err := ParseRules([]byte("- {stage: rcpt, reply: \"451 4.4.2 try again\"}\n- {stage: rcpt, reply: \"452 4.2.2 full\", probability: 1}\n"))
	if err != nil {
		t.Fatal(err)
	}
	compiled, err := compileRules("rules", rs)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range compiled {
		if r.prob != 1 {
			t.Errorf("rule %d: probability %v, want 1 (always)", i, r.prob)
		}
	}
}

func TestConfigLocatesLine(t *testing.T) {
	t.Parallel()
	doc := "sink:\n  listeners:\n    - name: mx\n      listen: 127.0.0.1:0\n      hostname: h\n  rules:\n    - stage: rcpt\n      reply: \"999 nope\"\n"
	var f struct {
		Sink Config `yaml:"sink"`
	}
	f.Sink = DefaultConfig()
	err := config.Decode("sink.yaml", []byte(doc), &f)
	if err == nil {
		err = f.Sink.Validate("sink")
		err = config.Locate("sink.yaml", []byte(doc), err)
	}
	if err == nil || !strings.Contains(err.Error(), "sink.yaml:8") || !strings.Contains(err.Error(), "sink.rules[0].reply") {
		t.Fatalf("got %v, want an error at sink.yaml:8 naming sink.rules[0].reply", err)
	}
}

func FuzzRules(f *testing.F) {
	for _, s := range []string{
		"- stage: rcpt\n  recipient: \"*@x\"\n  reply: 550 5.1.1 no\n",
		"- stage: data-end\n  attempt: 1-2\n  per: message\n  reply: \"451 4.7.1 later\"\n  probability: 0.5\n",
		"- {stage: rcpt, attempt: \">=3\", reply: 550 no}\n- {stage: rcpt, attempt: \"<=2\", reply: 451 later}\n",
		"- stage: rcpt\n  greylist: {delay: 5m, expiry: 4h}\n",
		"- stage: data-end\n  bounce: {after: 5d, reply: 550 5.1.1 gone}\n",
		"- stage: connect\n  client: 10.0.0.0/8\n  delay: 30s\n  tarpit: 1s\n",
		"- {stage: quit, drop: true, sender: \"/[/\"}\n",
		"[]", "{}", "- 1", "- stage: [rcpt]\n",
		"- {stage: rcpt, reply: [\"550-5.7.1 a\", \"550 b\"]}\n",
		"- stage: data-end\n  reply: |\n    552 5.3.4 a\n    552 b\n",
		"- {stage: data-end, header: \"/^Subject:.*x/\", body: \"*y*\", size: \">=1KiB\", reply: 550 no}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := ParseRules(data)
		if err != nil {
			return
		}
		compiled, err := compileRules("rules", rs)
		if err != nil {
			t.Fatalf("ParseRules accepted rules that do not compile: %v", err)
		}
		in := &input{stage: StageRcpt, rcpt: "a@b", sender: "c@d", client: netip.MustParseAddr("127.0.0.1"), attempt: 1}
		end := &input{stage: StageDataEnd, rcpt: "a@b", attempt: 1, msg: &contentScan{raw: data, size: int64(len(data))}}
		for _, r := range compiled {
			r.matches(in)
			if r.matches(end) && r.content != nil && strings.ContainsAny(end.msg.what(r), "\r\n\x00") {
				t.Fatalf("what matched, for the transcript, has a control character: %q", end.msg.what(r))
			}
			if r.behavior.isZero() {
				t.Fatalf("a rule that does nothing: %+v", r.src)
			}
		}
	})
}

// A rule without a stage is told that it needs one, not that "" is an
// unknown stage.
func TestRuleWithoutStage(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	cfg.Rules = []Rule{{Recipient: "*@x.test", Reply: "550 5.1.1 no"}}
	err := cfg.Validate("sink")
	if err == nil || !strings.Contains(err.Error(), "sink.rules[0].stage") || !strings.Contains(err.Error(), "a rule needs a stage") || strings.Contains(err.Error(), `unknown stage ""`) {
		t.Errorf("Validate = %v; want the missing stage named", err)
	}
}
