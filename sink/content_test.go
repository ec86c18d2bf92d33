package sink

import (
	"context"
	"strings"
	"testing"
)

func TestParseSizeCond(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in  string
		op  string
		n   int64
		err string // in the error; "" for none
	}{
		{">1MB", ">", 1000000, ""},
		{"<=10KB", "<=", 10000, ""},
		{">= 500000", ">=", 500000, ""},
		{"=0", "=", 0, ""},
		{"==2kib", "=", 2048, ""},
		{"< 25 MiB", "<", 25 << 20, ""},
		{">1gb", ">", 1000000000, ""},
		{">1GiB", ">", 1 << 30, ""},
		{"<100b", "<", 100, ""},
		{"1MB", "", 0, `did you mean ">1MB"`},
		{"=>1MB", "", 0, `did you mean ">=1MB"`},
		{"=<1MB", "", 0, `did you mean "<=1MB"`},
		{">1.5MB", "", 0, "1500KB for 1.5MB"},
		{">1M", "", 0, "did you mean >1MB (1000s) or >1MiB (1024s)?"},
		{">1 bytes", "", 0, "write B, KB, MB or GB"},
		{">lots", "", 0, "no number after >"},
		{"big", "", 0, "want a comparison"},
		{"<0", "", 0, "never matches"},
		{">99999999999GB", "", 0, "too large"},
		{"", "", 0, "want a comparison"},
	}
	for _, tc := range tests {
		sc, err := parseSizeCond(tc.in)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%q: %v", tc.in, err)
		case tc.err == "" && (sc.op != tc.op || sc.n != tc.n):
			t.Errorf("%q: %s %d, want %s %d", tc.in, sc.op, sc.n, tc.op, tc.n)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%q: error %v, want one with %q", tc.in, err, tc.err)
		}
	}
}

// The header is split into fields once, unfolded; the body is read line by
// line, numbered from its first; a message without an empty line is all
// header.
func TestContentScan(t *testing.T) {
	t.Parallel()
	raw := "From: a@x.test\r\nSubject: You may\r\n\thave won the\r\n lottery\r\nX-Empty:\r\n\r\nHello,\r\nclaim your prize\nnow.\r\n"
	m := contentScan{raw: []byte(raw), size: int64(len(raw))}
	m.splitHeader()
	want := []string{"From: a@x.test", "Subject: You may\thave won the lottery", "X-Empty:"}
	if strings.Join(m.fields, "|") != strings.Join(want, "|") {
		t.Errorf("fields %q, want %q", m.fields, want)
	}
	for pat, n := range map[string]int{"hello,": 1, "/prize$/": 2, "now.": 3, "/lottery/": 0} {
		p, err := compilePattern(pat)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := m.bodyLine(p); got != n {
			t.Errorf("body %s: line %d, want %d", pat, got, n)
		}
	}
	noBody := contentScan{raw: []byte("Subject: hi\r\nX: y")}
	noBody.splitHeader()
	if len(noBody.fields) != 2 || noBody.bodyAt != len(noBody.raw) {
		t.Errorf("a message without an empty line: fields %q, body at %d of %d", noBody.fields, noBody.bodyAt, len(noBody.raw))
	}
}

// Content conditions are only known at data-end, and a size no listener
// takes never matches: both refused at their key.
func TestContentRuleRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, rules string
		want        []string
	}{
		{"header at rcpt", `[{stage: rcpt, header: "Subject:*", reply: "550 no"}]`,
			[]string{"sink.yaml:5:", "sink.rules[0].header:", "never matches", "known only after its final dot", "not at rcpt: use stage data-end"}},
		{"body at data", `[{stage: data, body: "*viagra*", reply: "550 no"}]`,
			[]string{"sink.rules[0].body:", "never matches", "not at data"}},
		{"size at mail", `[{stage: mail, size: ">1MB", reply: "552 no"}]`,
			[]string{"sink.rules[0].size:", "never matches", "SIZE="}},
		{"bad regexp", `[{stage: data-end, header: "/^Subject:(/", reply: "550 no"}]`,
			[]string{"sink.rules[0].header:", "bad regexp"}},
		{"unclosed regexp", `[{stage: data-end, body: "/x", reply: "550 no"}]`,
			[]string{"sink.rules[0].body:", "between slashes"}},
		{"size without comparison", `[{stage: data-end, size: "1MB", reply: "552 no"}]`,
			[]string{"sink.rules[0].size:", `did you mean ">1MB"`}},
		{"size over the listener's limit", `[{stage: data-end, size: ">30MB", reply: "552 no"}]`,
			[]string{"sink.rules[0].size:", "never matches", "mx at most 26214400"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := decodeSink(t, sinkDoc(tc.rules))
			if err == nil {
				t.Fatalf("rules %s: accepted, want an error with %q", tc.rules, tc.want)
			}
			msg, at := err.Error(), 0
			for _, w := range tc.want {
				i := strings.Index(msg[at:], w)
				if i < 0 {
					t.Fatalf("rules %s:\n got %v\nwant %q in order", tc.rules, err, tc.want)
				}
				at += i + len(w)
			}
		})
	}
	for _, rules := range []string{
		`[{stage: data-end, header: "/^Subject:.*lottery/", reply: "550 5.7.1 Message content rejected"}]`,
		`[{stage: dot, body: "*unsubscribe*", recipient: "*@x.test", size: "<=10KB", reply: "250 fine"}]`,
		`[{stage: data-end, size: ">20MB", drop: true}]`,
	} {
		if _, err := decodeSink(t, sinkDoc(rules)); err != nil {
			t.Errorf("rules %s: %v, want it accepted", rules, err)
		}
	}
	// A listener without a size limit takes any size; the web UI's
	// editor (SetRules) refuses what the file does.
	doc := "sink:\n  listeners:\n    - {name: mx, listen: 127.0.0.1:0, limits: {max_message_bytes: 0}}\n  rules: [{stage: data-end, size: \">30MB\", reply: \"552 no\"}]\n"
	if _, err := decodeSink(t, doc); err != nil {
		t.Errorf("no size limit: %v, want it accepted", err)
	}
	s, _ := testSink(t, nil, nil)
	if err := s.SetRules([]Rule{{Stage: "data-end", Size: ">1GB", Reply: "552 no"}}); err == nil || !strings.Contains(err.Error(), "sink.rules[0].size: never matches") {
		t.Errorf("SetRules: %v, want the size refused", err)
	}
}

// Content rules answer after the final dot on the message itself, with
// the other conditions; the transcript says what matched, quoted and
// cut; a message that meets none is accepted.
func TestContentRules(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, func(c *Config) {
		c.Rules = []Rule{
			{Name: "lottery", Stage: "data-end", Header: "/^Subject:.*lottery/", Reply: "550 5.7.1 Message content rejected"},
			{Name: "prize", Stage: "data-end", Recipient: "strict@*", Body: "*claim your prize*", Reply: "554 5.7.1 Spam"},
			{Name: "big", Stage: "data-end", Size: ">2KB", Reply: "552 5.3.4 Too big for this mailbox"},
			{Name: "bad header", Stage: "data-end", Header: "X-Bad:*", Reply: "550 5.7.1 bad"},
		}
	})
	addr := addrOf(t, s, "mx")
	msg := func(subject, body string) string {
		return "From: a@x.test\r\nSubject: " + subject + "\r\nMessage-ID: <" + subject + "@x.test>\r\n\r\n" + body
	}
	tests := []struct {
		name, to, msg string
		code          int
		note          string // the transcript's reply-by line
	}{
		{"header", "a@sink.test", msg("Win the\r\n lottery now", "hi\r\n"), 550, `* reply by rule "lottery" (matched header "Subject: Win the lottery now")`},
		{"body, recipient matches", "strict@sink.test", msg("hello", "Dear winner,\r\nplease claim your prize today\r\n"), 554, `* reply by rule "prize" (matched body line 2 "please claim your prize today")`},
		{"body, recipient does not", "other@sink.test", msg("hello", "Dear winner,\r\nplease claim your prize today\r\n"), 250, ""},
		{"size", "a@sink.test", msg("big", strings.Repeat(strings.Repeat("x", 70)+"\r\n", 30)), 552, `* reply by rule "big" (matched size 2`},
		{"control characters shown escaped, long lines cut", "a@sink.test", msg("x", "y\r\n") + "", 250, ""},
		{"plain", "a@sink.test", msg("hello", "hi\r\n"), 250, ""},
	}
	// A header with an escape sequence and a very long value.
	tests[4].msg = "From: a@x.test\r\nX-Bad: \x1b[2J" + strings.Repeat("z", 300) + "\r\n\r\nhi\r\n"
	tests[4].code, tests[4].note = 550, `* reply by rule "bad header" (matched header "X-Bad: \x1b[2Jzzz`
	for i, tc := range tests {
		c := dial(t, addr)
		c.greet()
		if code, text := c.send("a@x.test", tc.to, tc.msg); code != tc.code {
			t.Errorf("%s: got %d %q, want %d", tc.name, code, text, tc.code)
		}
		c.expect(221, "", "QUIT")
		waitSessions(t, st, i+1)
		ss, err := SessionByID(context.Background(), st.DB(), int64(i+1))
		if err != nil {
			t.Fatal(err)
		}
		line := ""
		for _, l := range strings.Split(ss.Transcript, "\n") {
			if _, rest, ok := strings.Cut(l, " * reply by "); ok {
				line = "* reply by " + rest
			}
		}
		switch {
		case tc.note == "" && line != "":
			t.Errorf("%s: transcript has %q, want no reply by a rule", tc.name, line)
		case !strings.HasPrefix(line, tc.note):
			t.Errorf("%s: transcript line %q, want it to start with %q", tc.name, line, tc.note)
		case strings.ContainsAny(line, "\x1b\r") || len(line) > 200:
			t.Errorf("%s: transcript line %q has a control character or is over 200 octets", tc.name, line)
		}
	}
	// The attempt names the rule alone, as for any rule.
	all, err := AllAttempts(context.Background(), st.DB())
	if err != nil {
		t.Fatal(err)
	}
	if all[0].By != `rule "lottery"` {
		t.Errorf("attempt by %q, want the rule's name alone", all[0].By)
	}
}

// With no content rule the message is not read; with some, each rule's
// verdict is reached once per message, however many recipients it has
// and however often a rule is tried.
func TestContentRulesReadOnce(t *testing.T) {
	t.Parallel()
	plain := []Rule{{Stage: "data-end", Recipient: "nobody@*", Reply: "550 no"}, {Stage: "data-end", Size: ">1MB", Reply: "552 no"}}
	content := []Rule{{Stage: "data-end", Header: "X-Nope:*", Reply: "550 no"}, {Stage: "data-end", Body: "*nope*", Reply: "550 no"}}
	for _, tc := range []struct {
		name   string
		rules  []Rule
		split  bool
		judged int
	}{{"no content rules", plain[:1], false, 0}, {"size only", plain, false, 1}, {"header and body", content, true, 2}} {
		s, _ := testSink(t, nil, func(c *Config) { c.Rules = tc.rules })
		raw := []byte("Subject: hi\r\n\r\nbody\r\n")
		scan := contentScan{raw: raw, size: int64(len(raw))}
		for _, rcpt := range []string{"a@x.test", "b@x.test", "c@x.test"} {
			for range 2 {
				if b := s.decide(&input{stage: StageDataEnd, rcpt: rcpt, attempt: 1, msg: &scan}, nil); !b.isZero() {
					t.Fatalf("%s: %+v, want no rule to apply", tc.name, b)
				}
			}
		}
		if scan.split != tc.split || scan.judged != tc.judged {
			t.Errorf("%s: header split %v, %d verdicts reached; want %v, %d", tc.name, scan.split, scan.judged, tc.split, tc.judged)
		}
	}
}
