package sink

import (
	"strings"
	"testing"
)

// sinkDoc is a sink: section with one listener and the rules given as a
// YAML flow list.
func sinkDoc(rules string) string {
	return "sink:\n  listeners:\n    - name: mx\n      listen: 127.0.0.1:0\n  rules: " + rules + "\n"
}

// Rules that would do something other than they say, or nothing at all,
// are refused at their key with the reason; each of these was accepted.
func TestRuleConfigRefusals(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 501) // 513 octets with "550 5.1.1 " and CRLF
	tests := []struct {
		name, rules string
		want        []string // in the error, in order
	}{
		{"greylist 2xx", `[{stage: rcpt, recipient: "grey250@*", greylist: {reply: "250 2.0.0 ok"}}]`,
			[]string{"sink.yaml:5:", "sink.rules[0].greylist.reply:", "want a 4xx"}},
		{"greylist 5xx", `[{stage: rcpt, greylist: {reply: "550 5.7.1 no"}}]`,
			[]string{"sink.rules[0].greylist.reply:", "want a 4xx"}},
		{"354 at rcpt", `[{stage: rcpt, reply: "354 go on"}]`,
			[]string{"sink.rules[0].reply:", "354 does not fit stage rcpt", "intermediate"}},
		{"354 at data-end", `[{stage: data-end, reply: "354 go on"}]`,
			[]string{"sink.rules[0].reply:", "354 does not fit stage data-end", "would get 250"}},
		{"dot alias 354", `[{stage: dot, reply: "354 go on"}]`,
			[]string{"sink.rules[0].reply:", "does not fit stage data-end"}},
		{"250 at data", `[{stage: data, reply: "250 2.0.0 fine"}]`,
			[]string{"sink.rules[0].reply:", "250 does not fit stage data", "354"}},
		{"334 at auth", `[{stage: auth, reply: "334 more"}]`,
			[]string{"sink.rules[0].reply:", "334 does not fit stage auth"}},
		{"250 at connect", `[{stage: connect, reply: "250 hello"}]`,
			[]string{"sink.rules[0].reply:", "greeting is 220"}},
		{"reply too long", `[{stage: rcpt, reply: "550 5.1.1 ` + long + `"}]`,
			[]string{"sink.rules[0].reply:", "is 513 octets", "RFC 5321 4.5.3.1.5", "shorten its text by 1"}},
		{"malformed enhanced", `[{stage: rcpt, reply: "550 5.1 oops"}]`,
			[]string{"sink.rules[0].reply:", "5.1 is not an enhanced status code", "x.y.z"}},
		{"enhanced detail too long", `[{stage: rcpt, reply: "550 5.1.1000 oops"}]`,
			[]string{"sink.rules[0].reply:", "5.1.1000 is not an enhanced status code"}},
		{"malformed enhanced in bounce", `[{stage: data-end, bounce: {reply: "550 5.1 oops"}}]`,
			[]string{"sink.rules[0].bounce.reply:", "x.y.z"}},
		{"malformed enhanced in greylist", `[{stage: rcpt, greylist: {reply: "451 4.7 later"}}]`,
			[]string{"sink.rules[0].greylist.reply:", "x.y.z"}},
		{"delay over 30 days", `[{stage: rcpt, delay: 1000000h}]`,
			[]string{"sink.rules[0].delay:", "30-day limit"}},
		{"tarpit over 30 days", `[{stage: rcpt, tarpit: 31d}]`,
			[]string{"sink.rules[0].tarpit:", "30-day limit"}},
		{"greylist delay over 30 days", `[{stage: rcpt, greylist: {delay: 40d, expiry: 50d}}]`,
			[]string{"sink.rules[0].greylist.delay:", "30-day limit"}},
		{"bounce after over 30 days", `[{stage: data-end, bounce: {after: 800h}}]`,
			[]string{"sink.rules[0].bounce.after:", "30-day limit"}},
		{"hang and drop", `[{stage: rcpt, hang: true, drop: true}]`,
			[]string{"sink.rules[0].drop:", "not defined"}},
		{"drop and reply", `[{stage: rcpt, drop: true, reply: "550 no"}]`,
			[]string{"sink.rules[0].reply:", "never be seen"}},
		{"hang and reply", `[{stage: rcpt, hang: true, reply: "550 no"}]`,
			[]string{"sink.rules[0].reply:", "hang sends no reply"}},
		{"drop and tarpit", `[{stage: rcpt, drop: true, tarpit: 1s}]`,
			[]string{"sink.rules[0].tarpit:", "never be seen"}},
		{"recipient at connect", `[{stage: connect, recipient: "bob@*", reply: "554 no"}]`,
			[]string{"sink.rules[0].recipient:", "never matches", "stage connect"}},
		{"recipient at mail", `[{stage: mail, recipient: "bob@*", reply: "550 no"}]`,
			[]string{"sink.rules[0].recipient:", "never matches", "stage mail"}},
		{"recipient at rset", `[{stage: rset, recipient: "bob@*", reply: "421 bye"}]`,
			[]string{"sink.rules[0].recipient:", "never matches"}},
		{"sender at connect", `[{stage: connect, sender: "bob@*", reply: "554 no"}]`,
			[]string{"sink.rules[0].sender:", "never matches", "MAIL FROM"}},
		{"sender at helo", `[{stage: helo, sender: "bob@*", reply: "550 no"}]`,
			[]string{"sink.rules[0].sender:", "never matches", "stage ehlo"}},
		{"helo at connect", `[{stage: connect, helo: "bad.*", reply: "554 no"}]`,
			[]string{"sink.rules[0].helo:", "never matches"}},
		{"attempt at connect", `[{stage: connect, attempt: "1", reply: "421 later"}]`,
			[]string{"sink.rules[0].attempt:", "never matches", "not at connect"}},
		{"attempt at mail", `[{stage: mail, attempt: "1-2", reply: "451 later"}]`,
			[]string{"sink.rules[0].attempt:", "never matches"}},
		{"unclosed regexp", `[{stage: rcpt, recipient: "/^bob@", reply: "550 no"}]`,
			[]string{"sink.rules[0].recipient:", "a regexp goes between slashes"}},
		{"lone slash", `[{stage: mail, sender: "/", reply: "550 no"}]`,
			[]string{"sink.rules[0].sender:", "a regexp goes between slashes"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := decodeSink(t, sinkDoc(tc.rules))
			if err == nil {
				t.Fatalf("rules %s: accepted, want an error with %q", tc.rules, tc.want)
			}
			msg := err.Error()
			at := 0
			for _, w := range tc.want {
				i := strings.Index(msg[at:], w)
				if i < 0 {
					t.Fatalf("rules %s:\n got %v\nwant %q in order", tc.rules, err, tc.want)
				}
				at += i + len(w)
			}
		})
	}
}

// What the refusals above must not catch: combinations that do match, or
// do what they say.
func TestRuleConfigAccepts(t *testing.T) {
	t.Parallel()
	for _, rules := range []string{
		`[{stage: rcpt, greylist: {reply: "450 4.2.0 greylisted"}}]`,
		`[{stage: rcpt, greylist: {reply: "421 4.7.0 come back later"}}]`,
		`[{stage: data, reply: "354 send it"}]`,
		`[{stage: data-end, reply: "250 2.0.0 custom text"}]`,
		`[{stage: connect, reply: "220 hello"}]`,
		`[{stage: connect, reply: "554 5.7.1 go away"}]`,
		`[{stage: rcpt, reply: "550 5.1.1 ` + strings.Repeat("x", 500) + `"}]`, // 512 with CRLF
		`[{stage: rcpt, reply: "550 user 5 is unknown"}]`,
		`[{stage: rcpt, delay: 30d, reply: "451 later"}]`,
		`[{stage: rcpt, delay: 720h, tarpit: 1s}]`,
		`[{stage: rcpt, delay: 30s, drop: true}]`,
		`[{stage: data-end, delay: 1m, hang: true}]`,
		`[{stage: data, recipient: "bob@*", attempt: "1", reply: "451 later"}]`,
		`[{stage: data-end, recipient: "bob@*", attempt: "2-", reply: "250 ok"}]`,
		`[{stage: connect, sender: "*", helo: "*", reply: "554 no"}]`,
		`[{stage: ehlo, helo: "bad.*", reply: "550 no"}]`,
		`[{stage: mail, sender: "bob@*", helo: "*.test", reply: "550 no"}]`,
		`[{stage: rcpt, recipient: "/^bob@/", reply: "550 no"}]`,
	} {
		if _, err := decodeSink(t, sinkDoc(rules)); err != nil {
			t.Errorf("rules %s: %v, want it accepted", rules, err)
		}
	}
}

// A profile's rule at stage mail is tried at RCPT, with the recipient and
// the attempt known (Sink.decide): its conditions on them do match.
func TestProfileMailRuleKnowsRecipient(t *testing.T) {
	t.Parallel()
	cat := "profiles:\n  - name: p\n    domains: [p.test]\n    rules:\n      - {stage: mail, recipient: \"bob@*\", attempt: \"1\", reply: \"550 5.7.1 no\"}\n"
	if _, err := ParseCatalogue("p.yaml", []byte(cat)); err != nil {
		t.Errorf("a profile's mail rule on the recipient: %v, want it accepted", err)
	}
}
