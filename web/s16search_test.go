package web

import (
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/goccy/go-yaml"
)

// searchMsgs are messages to search, by id: what each term matches.
func searchMsgs() map[string]*InboxMessage {
	at := time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC)
	return map[string]*InboxMessage{
		"1": {ID: "1", Session: "10", Listener: "mx", Time: at, From: "app@shop.test", To: []string{"alice@example.test", "bob@example.test"},
			HeaderFrom: "Café Shop <news@shop.test>", Subject: "Édition d'été", Size: 900, Code: 250, Reply: "250 2.0.0 Message accepted as 1"},
		"2": {ID: "2", Session: "11", Listener: "mx", Time: at.Add(24 * time.Hour), From: "billing@shop.test", To: []string{"carol@example.test"},
			HeaderFrom: "Billing <billing@shop.test>", Subject: "Re: Your invoice 42", Size: 20 << 10, Code: 451, Reply: "451 4.7.1 greylisted, try later"},
		"3": {ID: "3", Session: "11", Listener: "submission", Time: at.Add(48 * time.Hour), From: "", To: []string{"app@shop.test"},
			HeaderFrom: "MAILER-DAEMON@mx.example.test", Subject: "Undelivered Mail", Size: 3 << 20, Code: 550, Reply: "550 5.7.1 refused by rule"},
		"4": {ID: "4", Session: "12", Listener: "mx", Time: at.Add(72 * time.Hour), From: "app@shop.test", To: []string{"dave@example.test"},
			Subject: "dropped: a b", Size: 10, Code: 0, Reply: "no reply after the data"},
	}
}

// searchHeads are the To, Cc and Message-ID fields of searchMsgs.
var searchHeads = map[string]map[string]string{
	"1": {"to": "Alice <alice@example.test>", "message-id": "<one@shop.test>"},
	"2": {"to": "Carol <carol@example.test>", "cc": "Boss <boss@example.test>", "message-id": "<two@shop.test>"},
}

// TestSearchParse: each term of q= keeps the messages it should, alone,
// negated, quoted and with others; the old plain text keeps its meaning.
func TestSearchParse(t *testing.T) {
	t.Parallel()
	msgs := searchMsgs()
	for _, tc := range []struct{ q, want string }{
		{"", "1,2,3,4"},
		{"  ", "1,2,3,4"},
		{`""`, "1,2,3,4"},
		{"ÉDITION", "1"},                // plain: the subject, any case
		{"café", "1"},                   // the From field
		{"carol@", "2"},                 // a recipient
		{"app@shop", "1,3,4"},           // the sender or a recipient
		{"invoice 42", "2"},             // words ANDed
		{"invoice 43", ""},              // both must match
		{`"your invoice"`, "2"},         // a phrase
		{`"invoice your"`, ""},          // in order
		{"-app@shop", "2"},              // negated
		{"-", "3"},                      // a lone - is text: MAILER-DAEMON
		{"from:billing", "2"},           // the envelope sender
		{"FROM:café", "1"},              // the From field; the name in any case
		{"from:<>", "3"},                // the null sender
		{"-from:<>", "1,2,4"},           //
		{"to:bob@", "1"},                // a recipient
		{"to:boss", "2"},                // the Cc field
		{"to:alice", "1"},               // RCPT TO and the To field
		{"addressed:boss", "2"},         //
		{"addressed:billing", "2"},      //
		{"subject:invoice", "2"},        //
		{"subject:shop", ""},            // not the From field
		{`subject:"your invoice"`, "2"}, //
		{`-subject:"your invoice"`, "1,3,4"},
		{"message-id:two@", "2"},            //
		{"reply:4.7.1", "2"},                //
		{"code:451", "2"},                   //
		{"code:4xx", "2"},                   //
		{"code:5XX", "3"},                   //
		{"code:2x0", "1"},                   //
		{"-code:4xx", "1,3,4"},              //
		{"is:accepted", "1"},                //
		{"is:deferred", "2"},                //
		{"is:refused", "3"},                 //
		{"is:noreply", "4"},                 //
		{"-is:accepted -is:noreply", "2,3"}, //
		{"listener:MX", "1,2,4"},            // whole, any case
		{"listener:m", ""},                  // not a part
		{"session:11", "2,3"},               //
		{"session:011", "2,3"},              //
		{"after:2026-01-03", "2,3,4"},       // at or after midnight UTC
		{"before:2026-01-03", "1"},          //
		{"after:2026-01-03T12:00:00Z before:2026-01-05", "2,3"},
		{"after:2026-01-03t13:00:00+01:00", "2,3,4"}, // an offset; the letters in any case
		{"larger:1k", "2,3"},                         //
		{"larger:2m", "3"},                           //
		{"smaller:1000", "1,4"},                      //
		{"re:", "2"},                                 // a word and a colon: text
		{"Re: invoice", "2"},                         //
		{`"re:x"`, ""},                               // quoted: text, not a qualifier
		{`subject:re:`, "2"},                         // the value holds a colon
		{"10:30", ""},                                // no name: text
		{`from:"Billing <billing"`, "2"},             // quoted value with a space
		{`subject:"a \"b"`, ""},                      // an escaped quote
		{"dropped: is:noreply -from:billing", "4"},
	} {
		checkMatches(t, tc.q, tc.want, msgs, searchHeads, "1", "2", "3", "4")
	}
}

// checkMatches fails t unless the search q matches exactly the messages
// of ids listed in want ("2,3"), each read with its header fields heads.
func checkMatches(t *testing.T, q, want string, msgs map[string]*InboxMessage, heads map[string]map[string]string, ids ...string) {
	t.Helper()
	s, err := parseSearch(q)
	if err != nil {
		t.Errorf("q=%q: %v", q, err)
		return
	}
	var got []string
	for _, id := range ids {
		if s.match(fieldsOf(msgs[id], heads[id])) {
			got = append(got, id)
		}
	}
	if strings.Join(got, ",") != want {
		t.Errorf("q=%q: matches %q, want %q", q, strings.Join(got, ","), want)
	}
}

// TestSearchParseErrors: a qualifier the search does not know, one
// without a value or with one it cannot read, and an unclosed quote are
// errors that say what is wrong and how to write it.
func TestSearchParseErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		q, what string
		detail  []string
	}{
		{"frm:alice", `unknown qualifier "frm:" in q`, []string{"from:, to:", "smaller:", `"frm:alice"`}},
		{"-x-mailer:foo", `unknown qualifier "x-mailer:" in q`, []string{"smaller:"}},
		{"http://x", `unknown qualifier "http:" in q`, []string{`"http://x"`}},
		{`foo:"a b"`, `unknown qualifier "foo:" in q`, nil},
		{"from:", `qualifier "from:" without a value in q`, []string{`from:"two words"`}},
		{`subject:""`, `qualifier "subject:" without a value in q`, nil},
		{"is:read", `bad "is:" in q`, []string{"accepted", "deferred", "refused", "noreply", `"read"`}},
		{"code:4", `bad "code:" in q`, []string{"code:4xx"}},
		{"code:x51", `bad "code:" in q`, nil},
		{"code:651", `bad "code:" in q`, nil},
		{"session:0", `bad "session:" in q`, nil},
		{"before:12", `bad "before:" in q`, []string{"2026-01-02", "the before= parameter"}},
		{"after:yesterday", `bad "after:" in q`, nil},
		{"larger:1g", `bad "larger:" in q`, []string{"10k"}},
		{"smaller:-1", `bad "smaller:" in q`, nil},
		{`subject:"a b`, "unclosed quote in q", []string{`\"`}},
		{`a "b`, "unclosed quote in q", nil},
	} {
		checkSearchError(t, tc.q, tc.what, tc.detail...)
	}
}

// checkSearchError fails t unless q is a searchError whose what is what
// and whose detail holds each of detail.
func checkSearchError(t *testing.T, q, what string, detail ...string) {
	t.Helper()
	_, err := parseSearch(q)
	se, ok := err.(*searchError)
	if !ok {
		t.Errorf("q=%q: %v, want a searchError", q, err)
		return
	}
	if se.what != what {
		t.Errorf("q=%q: %q, want %q", q, se.what, what)
	}
	for _, d := range detail {
		if !strings.Contains(se.detail, d) {
			t.Errorf("q=%q: detail %q lacks %q", q, se.detail, d)
		}
	}
}

// FuzzSearchParse: any q= parses or is a searchError, never a panic, and
// what parses matches a message without one.
func FuzzSearchParse(f *testing.F) {
	for _, q := range []string{"", "a b", `subject:"a \" b"`, "-from:<>", "code:4xx is:refused", `"`, `\`, `-"-`, "a:b:c", "after:2026-01-02T00:00:00Z", "é:x", "larger:9999999999999999999k"} {
		f.Add(q)
	}
	m := searchMsgs()["2"]
	f.Fuzz(func(t *testing.T, q string) {
		s, err := parseSearch(q)
		if err != nil {
			if _, ok := err.(*searchError); !ok {
				t.Fatalf("q=%q: %T %v", q, err, err)
			}
			return
		}
		s.match(fieldsOf(m, searchHeads["2"]))
		// Any text in quotes after subject: finds a subject that holds it.
		if v := strings.TrimSpace(q); v != "" && utf8.ValidString(v) && !strings.ContainsAny(v, `"\`) {
			s, err := parseSearch(`subject:"` + v + `"`)
			if err != nil {
				t.Fatalf("subject:%q: %v", v, err)
			}
			if !s.match(fieldsOf(&InboxMessage{Subject: "x " + v + " y"}, nil)) {
				t.Fatalf("subject:%q does not find the subject %q", v, "x "+v+" y")
			}
		}
	})
}

// TestInboxSearchQualifiers: q= of /api/v1/sink/messages takes the
// qualifiers, reading the To, Cc and Message-ID fields from the message;
// a search with them reads at most maxInboxScan messages and says so as
// a plain one does; an unknown qualifier is a 400 that names it and
// lists the known ones.
func TestInboxSearchQualifiers(t *testing.T) {
	t.Parallel()
	st := openStore(t, nil)
	_, sink, _ := filledFakes()
	ts := startServer(t, Options{Store: st, Sink: sink})
	rows := inboxMessages()
	rows[1].raw = "From: Billing <billing@shop.test>\r\nTo: Carol <carol@example.test>\r\nCc: =?UTF-8?Q?Bo=C3=9F?= <boss@example.test>\r\n" +
		"Message-ID: <inv-42@shop.test>\r\nSubject: Your\r\n invoice 42\r\n\r\nhi\r\n"
	rows[1].code, rows[1].enhanced, rows[1].text = 451, "4.7.1", "greylisted"
	rows[2].listener = "submission"
	addInbox(t, st, rows...)
	for q, want := range map[string]string{
		"to:boß":                    "2", // the Cc field, decoded
		"to:carol -to:boss":         "",
		"message-id:inv-42":         "2",
		"is:deferred":               "2",
		"code:4xx subject:invoice":  "2",
		"is:accepted":               "3,1",
		"is:noreply":                "4",
		"from:<>":                   "3",
		"listener:submission":       "3",
		"-listener:submission":      "4,2,1",
		"session:11":                "3,2",
		`subject:"invoice 42"`:      "2", // folded, unfolded
		"app@shop -is:noreply":      "3,1",
		"INVOICE 42":                "2", // plain words, as before
		"after:2026-01-02 larger:1": "4,3,2,1",
	} {
		p := inbox(t, ts.url, "?q="+url.QueryEscape(q))
		if p.ids() != want || p.Searched != 4 || p.Total != 4 {
			t.Errorf("q=%q: %q searched %d total %d, want %q, 4 searched of 4", q, p.ids(), p.Searched, p.Total, want)
		}
	}
	if p := inbox(t, ts.url, "?q=from:app@shop.test&limit=1"); p.ids() != "4" || p.Next != "4" || p.Searched != 1 {
		t.Errorf("q=from:app@shop.test limit=1: %s next %q searched %d, want 4, next 4, 1 searched", p.ids(), p.Next, p.Searched)
	}
	code, _, body := do(t, "GET", ts.url+"/api/v1/sink/messages?q="+url.QueryEscape("frm:app is:accepted"), "")
	e := wantAPIError(t, body)
	if code != 400 || e.Error != `unknown qualifier "frm:" in q` || !strings.Contains(e.Detail, qualifierNames()) {
		t.Errorf("an unknown qualifier: %d %+v, want 400 naming frm: and listing %s", code, e, qualifierNames())
	}
}

// TestSearchDocumented: every qualifier is in openapi.yaml's q= and the
// Inbox page's help, so that neither lists fewer than the search knows.
func TestSearchDocumented(t *testing.T) {
	t.Parallel()
	var doc struct {
		Components struct {
			Parameters map[string]struct {
				Description string `yaml:"description"`
			} `yaml:"parameters"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(openAPISpec, &doc); err != nil {
		t.Fatal(err)
	}
	js, err := os.ReadFile("ui/inbox.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range qualifiers {
		if !strings.Contains(doc.Components.Parameters["inboxq"].Description, q.name+":") {
			t.Errorf("openapi.yaml's inboxq does not list %s:", q.name)
		}
		if !strings.Contains(string(js), `"`+q.name+`:`) {
			t.Errorf("ui/inbox.js's search help does not list %s:", q.name)
		}
	}
}
