package sink

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/relaylab/relaylab/internal/events"
)

// A rule's reply may have several lines, as a YAML list or a block
// scalar; each line has the reply's code, and an enhanced code on the
// first is the reply's.
func TestMultilineRuleReplyParse(t *testing.T) {
	t.Parallel()
	gmail := Reply{Code: 550, Enhanced: "5.7.1", Text: "The IP you're using to send mail is not authorized\nto send email directly to our servers.\nPlease use the SMTP relay at your service provider."}
	tests := []struct {
		name, doc string
		want      Reply
	}{
		{"flow list, enhanced code on the first line", `[{stage: rcpt, reply: ["550 5.7.1 The IP you're using to send mail is not authorized", "550 to send email directly to our servers.", "550 Please use the SMTP relay at your service provider."]}]`, gmail},
		{"as a log shows it", `[{stage: rcpt, reply: ["550-5.7.1 The IP you're using to send mail is not authorized", "550-5.7.1 to send email directly to our servers.", "550 5.7.1 Please use the SMTP relay at your service provider."]}]`, gmail},
		{"block scalar", "\n    - stage: rcpt\n      reply: |\n        550-5.7.1 The IP you're using to send mail is not authorized\n        550 5.7.1 to send email directly to our servers.\n        550 Please use the SMTP relay at your service provider.\n", gmail},
		{"block list", "\n    - stage: rcpt\n      reply:\n        - 550 5.7.1 The IP you're using to send mail is not authorized\n        - 550 to send email directly to our servers.\n        - 550 Please use the SMTP relay at your service provider.\n", gmail},
		{"no enhanced code", `[{stage: data-end, reply: ["250 first", "250 second"]}]`, Reply{Code: 250, Text: "first\nsecond"}},
		{"one line in a list", `[{stage: rcpt, reply: ["451 4.7.1 later"]}]`, Reply{Code: 451, Enhanced: "4.7.1", Text: "later"}},
		{"a number", `[{stage: rcpt, reply: 550}]`, Reply{Code: 550, Text: defaultText(550)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := decodeSink(t, sinkDoc(tc.doc))
			if err != nil {
				t.Fatalf("rules %s: %v", tc.doc, err)
			}
			rs, err := compileRules("sink.rules", cfg.Rules)
			if err != nil {
				t.Fatal(err)
			}
			if got := rs[0].behavior.Reply; got == nil || *got != tc.want {
				t.Fatalf("reply %+v, want %+v", got, tc.want)
			}
		})
	}
	// The web UI's rules editor sends rules through ParseRules, and shows
	// them as the YAML of Sink.Rules: both forms round-trip.
	rs, err := ParseRules([]byte(`[{stage: rcpt, reply: ["550-5.7.1 a", "550 5.7.1 b"]}]`))
	if err != nil {
		t.Fatal(err)
	}
	if rs[0].Reply != "550-5.7.1 a\n550 5.7.1 b" {
		t.Errorf("ParseRules: reply %q, want the lines joined by a line break", rs[0].Reply)
	}
	out, err := yaml.Marshal(rs)
	if err != nil {
		t.Fatal(err)
	}
	if back, err := ParseRules(out); err != nil || len(back) != 1 || back[0].Reply != rs[0].Reply {
		t.Errorf("the editor's YAML %s reads back as %+v, %v", out, back, err)
	}
}

// Replies of several lines that would not be what they say are refused
// at their key and line, as a reply of one line is.
func TestMultilineRuleReplyRefused(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 506) // 512 octets as "550 x...\r\n", 518 with "550-5.7.1 "
	tests := []struct {
		name, rules string
		want        []string
	}{
		{"different codes", `[{stage: rcpt, reply: ["550 5.7.1 a", "551 b"]}]`,
			[]string{"sink.yaml:5:", "sink.rules[0].reply[1]:", "line 2 of 2: code 551, where line 1 has 550", "one code"}},
		{"different enhanced codes", `[{stage: rcpt, reply: ["550 5.7.1 a", "550 5.7.2 b"]}]`,
			[]string{"sink.rules[0].reply[1]:", "enhanced code 5.7.2, where line 1 has 5.7.1"}},
		{"enhanced code only later", `[{stage: rcpt, reply: ["550 a", "550 5.7.2 b"]}]`,
			[]string{"sink.rules[0].reply[1]:", "where line 1 has none", "first line"}},
		{"empty line", `[{stage: rcpt, reply: ["550 a", "", "550 c"]}]`,
			[]string{"sink.rules[0].reply[1]:", "line 2 of 3: empty"}},
		{"code alone", `[{stage: rcpt, reply: ["550 5.7.1 a", "550 5.7.1"]}]`,
			[]string{"sink.rules[0].reply[1]:", "no text after its code"}},
		{"no code", `[{stage: rcpt, reply: ["550 a", "and more"]}]`,
			[]string{"sink.rules[0].reply[1]:", "line 2 of 2:", "3-digit code"}},
		{"line too long", `[{stage: rcpt, reply: ["550 5.7.1 a", "550 ` + long + `"]}]`,
			[]string{"sink.rules[0].reply[1]:", "line 2 of 2 is 518 octets", "on every line", "shorten its text by 6"}},
		{"last line with a hyphen", `[{stage: rcpt, reply: ["550-5.7.1 a", "550-5.7.1 b"]}]`,
			[]string{"sink.rules[0].reply[1]:", "the last line ends the reply"}},
		{"a hyphen on one line", `[{stage: rcpt, reply: "550-5.7.1 a"}]`,
			[]string{"sink.rules[0].reply:", "its only one, has a space after its code", `write "550 5.7.1 a"`}},
		{"empty last line", `[{stage: rcpt, reply: ["550-5.7.1 a", ""]}]`,
			[]string{"sink.rules[0].reply[1]:", "line 2 of 2: empty"}},
		{"too many lines", `[{stage: rcpt, reply: [` + strings.Repeat(`"550 a", `, 20) + `"550 b"]}]`,
			[]string{"sink.rules[0].reply:", "21 lines, over the 20"}},
		{"a map in the list", `[{stage: rcpt, reply: ["550 a", {x: 1}]}]`,
			[]string{"sink.yaml:5:", "each line of a reply is a string"}},
		{"misfit code", `[{stage: rcpt, reply: ["354 a", "354 b"]}]`,
			[]string{"sink.rules[0].reply:", "354 does not fit stage rcpt"}},
		{"several lines in greylist.reply", "\n    - stage: rcpt\n      greylist:\n        reply: |\n          451 4.7.1 a\n          451 4.7.1 b\n",
			[]string{"sink.rules[0].greylist.reply:", "only a rule's reply: may have several"}},
		{"block scalar, different codes", "\n    - stage: rcpt\n      reply: |\n        550 a\n        450 b\n",
			[]string{"sink.yaml:7:", "sink.rules[0].reply[1]:", "line 2 of 2: code 450"}},
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
}

// rawReply reads one reply's lines as they came, without CRLF.
func rawReply(t *testing.T, br *bufio.Reader) []string {
	t.Helper()
	var out []string
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("reading a reply: %v (so far %q)", err, out)
		}
		out = append(out, strings.TrimRight(line, "\r\n"))
		if len(line) < 4 || line[3] != '-' {
			return out
		}
	}
}

// A reply of several lines goes on the wire with the enhanced code on
// every line, whichever way the sink writes it (go-smtp's error at MAIL
// and RCPT, its own at connect, DATA and after the dot), and is recorded
// whole: in the transcript, the sink.reply event, the attempt and the
// message's row.
func TestMultilineRuleReplyOnTheWire(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, func(c *Config) {
		c.Rules = []Rule{
			{Name: "welcome", Stage: "connect", Client: "127.0.0.2", Reply: "554 5.7.1 first\n554 second"},
			{Name: "gmail", Stage: "rcpt", Recipient: "blocked@*", Reply: "550-5.7.1 The IP you're using to send mail is not authorized\n550-5.7.1 to send email directly to our servers.\n550 5.7.1 Please use the SMTP relay."},
			{Name: "kept", Stage: "rcpt", Recipient: "kept*", Reply: "250 2.1.5 one\n250 two"},
			{Name: "no data", Stage: "data", Recipient: "nodata@*", Reply: "451 4.3.0 a\n451 b"},
			{Name: "after", Stage: "data-end", Recipient: "late@*", Reply: "552 5.3.4 too big\n552 for us"},
		}
	})
	addr := addrOf(t, s, "mx")
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(20 * time.Second))
	br := bufio.NewReader(nc)
	say := func(line string, want ...string) {
		t.Helper()
		if line != "" {
			if _, err := nc.Write([]byte(line + "\r\n")); err != nil {
				t.Fatal(err)
			}
		}
		got := rawReply(t, br)
		if want != nil && strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("%q: got\n%s\nwant\n%s", line, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	say("")
	say("EHLO client.test")
	say("MAIL FROM:<a@x.test>")
	say("RCPT TO:<blocked@sink.test>",
		"550-5.7.1 The IP you're using to send mail is not authorized",
		"550-5.7.1 to send email directly to our servers.",
		"550 5.7.1 Please use the SMTP relay.")
	say("RCPT TO:<kept+greylist5min@sink.test>", "250-2.1.5 one",
		`250 2.1.5 two; "greylist5min" is not a directive: did you mean greylist5m? It looks like a directive but does not parse as [stage]greylist[DURATION][xN][pP]: a duration is a whole number of ms, s, m, h or d, as in greylist5m; taken as a plain name`)
	say("RCPT TO:<nodata@sink.test>")
	say("DATA", "451-4.3.0 a", "451 4.3.0 b")
	say("RSET")
	say("MAIL FROM:<a@x.test>")
	say("RCPT TO:<late@sink.test>")
	say("DATA")
	say(testMsg+".", "552-5.3.4 too big", "552 5.3.4 for us")
	say("QUIT")
	waitSessions(t, st, 1)

	// The greeting, from 127.0.0.2 (loopback: Linux routes 127/8 there).
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}
	gc, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dialling from 127.0.0.2: %v", err)
	}
	defer gc.Close()
	gc.SetDeadline(time.Now().Add(20 * time.Second))
	if got := rawReply(t, bufio.NewReader(gc)); strings.Join(got, "|") != "554-5.7.1 first|554 5.7.1 second" {
		t.Errorf("greeting: got %q", got)
	}
	gc.Write([]byte("QUIT\r\n"))
	waitSessions(t, st, 2)

	ss, err := SessionByID(context.Background(), st.DB(), 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"* reply by rule \"gmail\"\n",
		"S 550-5.7.1 The IP you're using to send mail is not authorized\n",
		"S 550-5.7.1 to send email directly to our servers.\n",
		"S 550 5.7.1 Please use the SMTP relay.\n",
		"S 451-4.3.0 a\n", "S 451 4.3.0 b\n",
		"S 552-5.3.4 too big\n", "S 552 5.3.4 for us\n",
	} {
		if !strings.Contains(ss.Transcript, want) {
			t.Errorf("transcript lacks %q:\n%s", want, ss.Transcript)
		}
	}
	if n := strings.Count(ss.Transcript, "* reply by rule \"gmail\""); n != 1 {
		t.Errorf("%d notes of the rule, want 1", n)
	}

	evs, err := st.Events(context.Background(), events.Filter{Kinds: []string{events.SinkReply}})
	if err != nil {
		t.Fatal(err)
	}
	texts := map[int]string{}
	for _, e := range evs {
		var p struct {
			Code     int    `json:"code"`
			Enhanced string `json:"enhanced"`
			Text     string `json:"text"`
		}
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			t.Fatal(err)
		}
		texts[p.Code] = p.Enhanced + "|" + p.Text
	}
	for code, want := range map[int]string{
		550: "5.7.1|The IP you're using to send mail is not authorized\nto send email directly to our servers.\nPlease use the SMTP relay.",
		451: "4.3.0|a\nb",
		552: "5.3.4|too big\nfor us",
		554: "5.7.1|first\nsecond",
	} {
		if texts[code] != want {
			t.Errorf("sink.reply event of %d: %q, want %q", code, texts[code], want)
		}
	}

	all, err := AllAttempts(context.Background(), st.DB())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, a := range all {
		got[strings.SplitN(a.Recipient, "+", 2)[0]] = a.Reply.String() + "|" + a.Reply.Text
	}
	for rcpt, want := range map[string]string{
		"blocked@sink.test": "550 5.7.1 The IP you're using to send mail is not authorized to send email directly to our servers. Please use the SMTP relay.|The IP you're using to send mail is not authorized\nto send email directly to our servers.\nPlease use the SMTP relay.",
		"nodata@sink.test":  "451 4.3.0 a b|a\nb",
		"late@sink.test":    "552 5.3.4 too big for us|too big\nfor us",
	} {
		if got[rcpt] != want {
			t.Errorf("attempt of %s: %q, want %q", rcpt, got[rcpt], want)
		}
	}
	// The DATA refusal ended kept's attempt too; its note follows the
	// text, on the last line.
	if !strings.HasPrefix(got["kept"], `451 4.3.0 a b; "greylist5min" is not a directive`) || !strings.Contains(got["kept"], "|a\nb; \"greylist5min\"") {
		t.Errorf("attempt of kept: %q", got["kept"])
	}
	var text string
	if err := st.DB().QueryRow(`SELECT text FROM sink_messages WHERE rcpts = 'late@sink.test'`).Scan(&text); err != nil {
		t.Fatal(err)
	}
	if text != "too big\nfor us" {
		t.Errorf("message row text %q, want both lines", text)
	}
}

// TestRuleBannerAndGoAhead: a connect rule's 220 (of several lines, as
// some servers greet) goes out in place of the listener's banner, and a
// data rule's 354 in place of the sink's go-ahead, each named in the
// transcript; both were taken by the configuration and then ignored. A
// 250 at ehlo, which the sink's extension list always replaces, is
// refused at its key.
func TestRuleBannerAndGoAhead(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, func(c *Config) {
		c.Rules = []Rule{
			{Name: "banner", Stage: "connect", Reply: "220-first line of banner\n220 second line"},
			{Name: "go on", Stage: "data", Recipient: "d354@*", Reply: "354 go on, end with a dot"},
		}
	})
	c := dial(t, addrOf(t, s, "mx"))
	code, msg, err := c.tp.ReadResponse(220)
	if err != nil || code != 220 || msg != "first line of banner\nsecond line" {
		t.Fatalf("greeting %d %q (%v); want the rule's two lines", code, msg, err)
	}
	c.expect(250, "", "EHLO client.test")
	c.expect(250, "", "MAIL FROM:<a@x.test>")
	c.expect(250, "", "RCPT TO:<d354@sink.test>")
	c.expect(354, "go on, end with a dot", "DATA")
	if code, msg := c.body("Subject: x\r\n\r\nhi\r\n"); code != 250 {
		t.Fatalf("after the dot: %d %q", code, msg)
	}
	c.cmd("QUIT")
	waitSessions(t, st, 1)
	var tr string
	st.DB().QueryRow(`SELECT transcript FROM sink_sessions`).Scan(&tr)
	if !strings.Contains(tr, `reply by rule "banner"`) || !strings.Contains(tr, `reply by rule "go on"`) {
		t.Errorf("transcript does not name the rules:\n%s", tr)
	}
	_, err = ParseRules([]byte(`[{stage: ehlo, reply: ["250-hello", "250 there"]}]`))
	if err == nil || !strings.Contains(err.Error(), "the 250 to EHLO is the sink's own") {
		t.Errorf("a 250 at ehlo: %v; want it refused", err)
	}
}

// TestWithNotesStaysWithin512: notes added to a reply whose last line is
// already near 512 octets (a rule's reply may be) are left to the
// transcript, where "; and N more in the transcript" took the line to 532
// octets (walk V1); a short line takes notes up to the limit.
func TestWithNotesStaysWithin512(t *testing.T) {
	t.Parallel()
	notes := []replyNote{{text: "the piece 'rcpt550x' of the local part is not a directive: a typo of rcpt550?"}}
	long := []byte("250-2.1.5 one\r\n250 2.1.5 " + strings.Repeat("t", 490) + "\r\n")
	for _, r := range [][]byte{long, []byte("250 2.1.5 " + strings.Repeat("t", 490) + "\r\n"), []byte("250 2.1.5 ok\r\n")} {
		out := withNotes(r, notes)
		for _, line := range strings.SplitAfter(string(out), "\r\n") {
			if len(line) > 512 {
				t.Errorf("a line of %d octets: %.60q...", len(line), line)
			}
		}
	}
	if out := string(withNotes([]byte("250 2.1.5 ok\r\n"), notes)); !strings.Contains(out, "not a directive") {
		t.Errorf("a short line lost its note: %q", out)
	}
}
