package sink

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestParseDirectives(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr  string
		stage Stage
		code  int
		enh   string
		times int
		prob  float64
		check func(Behavior) bool
	}{
		{addr: "rcpt550+anything@x", stage: StageRcpt, code: 550, enh: "5.1.1"},
		{addr: "550@x", stage: StageRcpt, code: 550, enh: "5.1.1"},
		{addr: "Rcpt550-5.7.1@x", stage: StageRcpt, code: 550, enh: "5.7.1"},
		{addr: "defer2@x", stage: StageRcpt, code: 451, enh: "4.7.1", times: 2},
		{addr: "defer@x", stage: StageRcpt, code: 451, enh: "4.7.1", times: 1},
		{addr: "rcpt451x3@x", stage: StageRcpt, code: 451, enh: "4.7.1", times: 3},
		{addr: "data421@x", stage: StageData, code: 421, enh: "4.7.0"},
		{addr: "dot554-5.7.1@x", stage: StageDataEnd, code: 554, enh: "5.7.1"},
		{addr: "dataend452@x", stage: StageDataEnd, code: 452, enh: "4.3.1"},
		// RFC 3463 has no class 3 (and RFC 2034 4 puts enhanced codes on
		// 2xx, 4xx and 5xx only): a 354 asked for carries none.
		{addr: "rcpt354@x", stage: StageRcpt, code: 354, enh: ""},
		{addr: "data354@x", stage: StageData, code: 354, enh: ""},
		{addr: "rcpt550p30@x", stage: StageRcpt, code: 550, enh: "5.1.1", prob: 0.3},
		{addr: "delay30s@x", stage: StageRcpt, check: func(b Behavior) bool { return b.Delay == 30*time.Second }},
		{addr: "dotdelay2m@x", stage: StageDataEnd, check: func(b Behavior) bool { return b.Delay == 2*time.Minute }},
		{addr: "tarpit@x", stage: StageRcpt, check: func(b Behavior) bool { return b.Tarpit == time.Second }},
		{addr: "dropafterdot@x", stage: StageDataEnd, check: func(b Behavior) bool { return b.Drop }},
		{addr: "rcpthang@x", stage: StageRcpt, check: func(b Behavior) bool { return b.Hang }},
		{addr: "greylist@x", stage: StageRcpt, check: func(b Behavior) bool { return b.Greylist != nil && b.Greylist.MinDelay == 5*time.Minute }},
		{addr: "greylist90s@x", stage: StageRcpt, check: func(b Behavior) bool { return b.Greylist != nil && b.Greylist.MinDelay == 90*time.Second }},
		{addr: "bounce5m@x", stage: StageDataEnd, check: func(b Behavior) bool { return b.Bounce != nil && b.Bounce.After == 5*time.Minute }},
		{addr: "bounce@x", stage: StageDataEnd, check: func(b Behavior) bool { return b.Bounce != nil && b.Bounce.After == time.Minute }},
		// A duration of 0 written out is 0, not the default.
		{addr: "greylist0s@x", stage: StageRcpt, check: func(b Behavior) bool { return b.Greylist != nil && b.Greylist.MinDelay == 0 }},
		{addr: "bounce0s@x", stage: StageDataEnd, check: func(b Behavior) bool { return b.Bounce != nil && b.Bounce.After == 0 }},
	}
	for _, tc := range tests {
		t.Run(tc.addr, func(t *testing.T) {
			t.Parallel()
			ds := ParseDirectives(tc.addr)
			if len(ds) != 1 {
				t.Fatalf("got %d directives: %+v", len(ds), ds)
			}
			d := ds[0]
			if d.Stage != tc.stage || d.Times != tc.times || d.Prob != tc.prob {
				t.Errorf("got stage %s times %d prob %v, want %s %d %v", d.Stage, d.Times, d.Prob, tc.stage, tc.times, tc.prob)
			}
			if tc.code != 0 && (d.Behavior.Reply == nil || d.Behavior.Reply.Code != tc.code || d.Behavior.Reply.Enhanced != tc.enh) {
				t.Errorf("got reply %+v, want %d %s", d.Behavior.Reply, tc.code, tc.enh)
			}
			if tc.check != nil && !tc.check(d.Behavior) {
				t.Errorf("behaviour %+v", d.Behavior)
			}
		})
	}
}

func TestParseDirectivesNone(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{"alice@x", "database@x", "rcpt99@x", "rcpt550-4.1.1@x", "delay99999999d@x", "delay9223372036854775807ms@x", "delay106751991167d@x", "delay31d@x", "delayx@x", "rsetbounce@x", "defer0x0@x", "defer0@x", "delay0s@x", "tarpit0ms@x", "rcpt550p0@x", "rcpt550p101@x", "", "@", "+++@x"} {
		if ds := ParseDirectives(addr); len(ds) != 0 {
			t.Errorf("%q: got %+v, want no directive", addr, ds)
		}
	}
	if ds := ParseDirectives("delay5s+rcpt550+bob@x"); len(ds) != 2 {
		t.Errorf("two directives: got %+v", ds)
	}
}

func FuzzDirectives(f *testing.F) {
	for _, s := range []string{"rcpt550+anything@x", "defer2@x", "data421@x", "delay30s@x", "dropafterdot@x", "greylist@x", "bounce5m@x",
		"rcpt550-5.1.1x2p50@x", "dot421x1@x", "a+b+c@d@e", "rcpt\x00550@x", "tarpit200ms@x", "550-5.999.999@x",
		"greylist5min@x", "rcpt55O@x", "dot5s0@x", "drop-after@x", "mail550@x", "550p30x2@x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, addr string) {
		for _, d := range ParseDirectives(addr) {
			b := d.Behavior
			if b.isZero() {
				t.Fatalf("%q: a directive that does nothing: %+v", addr, d)
			}
			if b.Reply != nil {
				if b.Reply.Code < 200 || b.Reply.Code > 599 {
					t.Fatalf("%q: code %d", addr, b.Reply.Code)
				}
				if _, err := ParseReply(b.Reply.String()); err != nil {
					t.Fatalf("%q: reply %q does not parse back: %v", addr, b.Reply.String(), err)
				}
			}
			if b.Delay < 0 || b.Tarpit < 0 || d.Times < 0 || d.Prob < 0 || d.Prob > 1 {
				t.Fatalf("%q: out of range: %+v", addr, d)
			}
			if _, ok := parseStage(string(d.Stage)); !ok {
				t.Fatalf("%q: stage %q", addr, d.Stage)
			}
		}
		// A note ends at its "; taken as a plain name": reports finds
		// it so in a reply with other notes after it.
		_, not := parseLocalPart(addr)
		for _, n := range not {
			if strings.Contains(n.Why, "; ") {
				t.Fatalf("%q: a note with \"; \" in it: %q", addr, n.Why)
			}
		}
	})
}

func TestNotDirectiveReasons(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ addr, text, why string }{
		{"rcpt550-4.7.1@x.test", "rcpt550-4.7.1", "enhanced code class 4 does not match reply 550"},
		{"rcpt451-5.1.1@x.test", "rcpt451-5.1.1", "enhanced code class 5 does not match reply 451"},
		{"rcpt999@x.test", "rcpt999", "reply code 999 is not between 200 and 599"},
		{"rcpt550p0@x.test", "rcpt550p0", "probability p0 is not between 1 and 100 percent"},
		{"alice+rcpt550p150@x.test", "rcpt550p150", "probability p150 is not between 1 and 100 percent"},
		{"delay99d@x.test", "delay99d", "duration 99d is over the 30-day limit"},
		{"defer0@x.test", "defer0", "defer0 would defer for ever"},
		{"delay0s@x.test", "delay0s", "a delay of 0 does nothing"},
		{"dotgreylist@x.test", "dotgreylist", "greylisting is done at rcpt only"},
		{"rcpt451x0@x.test", "rcpt451x0", "x0 would apply on no attempt"},
		// Misspelled: shaped like a directive, but not one.
		{"greylist5min+a@x.test", "greylist5min", "did you mean greylist5m? "},
		{"delay30sec@x.test", "delay30sec", "did you mean delay30s? "},
		{"bounce5min@x.test", "bounce5min", "did you mean bounce5m? "},
		{"rcpttarpit2hours@x.test", "rcpttarpit2hours", "did you mean rcpttarpit2h? "},
		{"defer2x@x.test", "defer2x", "did you mean defer2? "},
		// The piece as written: lower-cased, the O typed for a 0 was
		// shown as an o and hid the mistake.
		{"rcpt55O@x.test", "rcpt55O", "did you mean rcpt550? "},
		{"a+Greylist5Min@x.test", "Greylist5Min", "did you mean greylist5m? "},
		{"dot45l@x.test", "dot45l", "did you mean dot451? "},
		{"rcpt550p30x2@x.test", "rcpt550p30x2", "did you mean rcpt550x2p30? "},
		{"dropafterdott@x.test", "dropafterdott", "did you mean dropafterdot? "},
		{"drop-after-dot@x.test", "drop-after-dot", "did you mean dropafterdot? "},
		{"rcpt451x@x.test", "rcpt451x", "did you mean rcpt451? "},
		{"delay1.5m@x.test", "delay1.5m", "does not parse as [stage]delay[DURATION][xN][pP]: a duration is a whole number of ms, s, m, h or d"},
		{"rcpt5500@x.test", "rcpt5500", "does not parse as [stage]CODE"},
		{"mail550@x.test", "mail550", "directives have no mail stage"},
	} {
		ds, not := parseLocalPart(tc.addr)
		if len(ds) != 0 || len(not) != 1 || not[0].Text != tc.text || !strings.Contains(not[0].Why, tc.why) {
			t.Errorf("%s: got %+v %+v, want no directive and %q: %q", tc.addr, ds, not, tc.text, tc.why)
			continue
		}
		if n := not[0].Note(); !strings.HasPrefix(n, `"`+tc.text+`" is not a directive: `) || !strings.HasSuffix(n, "; taken as a plain name") {
			t.Errorf("%s: note %q", tc.addr, n)
		}
	}
	// Names that merely start with a directive's word are names.
	for _, addr := range []string{"alice@x", "database@x", "rcpt550+bob@x", "delay30d@x", "rcpt99@x",
		"bounces@x", "deferred@x", "delayed@x", "dropbox@x", "hangout@x", "okay@x", "fullname@x",
		"unknown-user@x", "tarpits@x", "greylisted@x", "newsletter+2024@x", "data-team@x", "dotty@x", "mail2@x", "quitter@x"} {
		if _, not := parseLocalPart(addr); len(not) != 0 {
			t.Errorf("%s: notes %+v, want none", addr, not)
		}
	}
}

// Every action the parser takes has an example in DIRECTIVES.md's table,
// so that no directive works without being documented.
func TestDirectivesDocumented(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("DIRECTIVES.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, verb := range []string{"defer", "delay", "tarpit", "greylist", "bounce", "hang", "drop", "accept", "ok", "unknown", "full"} {
		re := regexp.MustCompile("(?m)^\\|.*`([a-z0-9.+-]*\\+)?(rcpt|data|dot|dataend|rset|quit)?" + verb + "[a-z0-9.]*(\\+[a-z0-9.+-]*)?@x`")
		if !re.Match(doc) {
			t.Errorf("DIRECTIVES.md has no table row for %q", verb)
		}
	}
	for _, seg := range []string{"ok", "accept", "dataok", "dotok", "rcpthang", "dropafterdot"} {
		if _, why := parseDirective(seg); why != "" {
			t.Errorf("%s: %s", seg, why)
		}
	}
}
