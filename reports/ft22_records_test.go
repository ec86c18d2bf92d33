package reports

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"html"
	"regexp"
	"strings"
	"testing"
	"time"
)

// ft22SinkWithDSN is a sink's record of four records and one DSN: the
// application mailed twice@x.test twice (two records of one address),
// gone@x.test once (refused at RCPT) and slow@x.test once (deferred,
// then accepted); the sender's MTA then returned a failed DSN about
// gone@x.test to the application's sender, app@s.test, which routes it
// to the sink (message 4, from the null sender).
func ft22SinkWithDSN(t *testing.T) *Data {
	t.Helper()
	at := func(sec int, sender, rcpt, stage string, code int, msg int64, id string) SinkMessageAttempt {
		return SinkMessageAttempt{Message: msg, MessageID: id, SinkAttempt: SinkAttempt{Time: t0.Add(time.Duration(sec) * time.Second), Listener: "mx",
			Client: "127.0.0.1:1", Sender: sender, Recipient: rcpt, Stage: stage, Code: code,
			Enhanced: map[int]string{550: "5.1.1", 451: "4.3.0", 250: "2.0.0"}[code]}}
	}
	src := dsnSink{fakeMessageSink: fakeMessageSink{
		at(0, "app@s.test", "twice@x.test", "data-end", 250, 1, "a@s"),
		at(5, "app@s.test", "twice@x.test", "data-end", 250, 2, "b@s"),
		at(0, "app@s.test", "gone@x.test", "rcpt", 550, 0, ""),
		at(0, "app@s.test", "slow@x.test", "rcpt", 451, 0, ""),
		at(60, "app@s.test", "slow@x.test", "data-end", 250, 3, "c@s"),
		at(2, "", "app@s.test", "data-end", 250, 4, "d1@pf"),
	}, mail: []SinkMailMessage{{Message: 4, Time: t0.Add(2 * time.Second), Recipients: []string{"app@s.test"},
		Raw: senderDSNRaw("d1@pf", "gone@x.test", "failed", "5.1.1", "550 5.1.1 no such user", "")}}}
	d, err := FromSink(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestFT22SummaryCountsRecordsAndDSNsApart: on a sink's record the
// summary counts records (one message's delivery to one recipient: two
// messages to twice@x.test are two), and says so, and a DSN from the
// sender's MTA that reached the sink as mail is not one of them: it is
// counted apart, in every format, and left out of the status, domain,
// code and attempt counts. The JSON keeps "recipients" and adds
// "records" and "sender_dsn_mail"; the CSV adds a last column.
func TestFT22SummaryCountsRecordsAndDSNsApart(t *testing.T) {
	t.Parallel()
	d := ft22SinkWithDSN(t)
	s := Summarize(d)
	if s.Recipients != 4 || s.Records != 4 || s.SenderDSNMail != 1 || s.Attempts != 5 || Get(s.ByStatus, "delivered") != 3 || Get(s.ByDomain, "s.test") != 0 {
		t.Errorf("summary: %d recipients, %d records, %d DSNs from the sender's MTA, %d attempts, %d delivered, %d to s.test; "+
			"want 4 records (the DSN counted apart, not as a recipient), 1 DSN, 5 attempts, 3 delivered, none to s.test",
			s.Recipients, s.Records, s.SenderDSNMail, s.Attempts, Get(s.ByStatus, "delivered"), Get(s.ByDomain, "s.test"))
	}
	out := map[string]string{}
	for _, f := range Formats {
		var b bytes.Buffer
		if err := Write(&b, f, d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[f] = b.String()
	}
	// The text's columns are aligned with runs of spaces; it begins
	// with its first row.
	out["text"] = "\n" + regexp.MustCompile(` +`).ReplaceAllString(out["text"], " ")
	out["html"] = html.UnescapeString(out["html"])
	for _, c := range []struct{ format, want string }{
		{"text", "\nrecords 4\n"},
		{"text", "\nDSNs from the sender's MTA 1: "},
		{"text", "a record is one message's delivery to one recipient"},
		{"text", "\n2 record(s) delivered at the first host of the first try"},
		{"markdown", "## relaylab report\n\n4 records, 5 attempts\n"},
		{"markdown", "\n1 DSN from the sender's MTA reached the sink as mail: "},
		{"html", "4 records, 5 attempts."},
		{"html", ">Records</a> (4)"},
		{"html", "<h3>Records</h3>"},
		{"html", "1 DSN from the sender's MTA reached the sink as mail: "},
		{"json", `"recipients": 4,`},
		{"json", `"records": 4,`},
		{"json", `"sender_dsn_mail": 1,`},
		{"json", `"sender_dsn_mail": true`},
	} {
		if !strings.Contains(out[c.format], c.want) {
			t.Errorf("%s lacks %q:\n%s", c.format, c.want, out[c.format])
		}
	}
	for _, c := range []struct{ format, bad string }{
		{"text", "\nrecipients "},
		{"text", "\n5 record"},
		{"text", "the recipients and attempts are as the sink saw them"},
		{"markdown", "5 records"},
		{"markdown", "recipients"},
		{"html", "5 records"},
		// The DSN is listed nowhere as a record: it is a step of the
		// timeline of gone@x.test.
		{"html", "<td>app@s.test"},
	} {
		if strings.Contains(out[c.format], c.bad) {
			t.Errorf("%s has %q:\n%s", c.format, c.bad, out[c.format])
		}
	}
	rows, err := csv.NewReader(strings.NewReader(out["csv"])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	last := len(rows[0]) - 1
	if rows[0][last] != "sender_dsn_mail" {
		t.Errorf("CSV header %q: want sender_dsn_mail last", rows[0])
	}
	for _, row := range rows[1:] {
		if want := map[bool]string{true: "true"}[row[1] == "app@s.test"]; row[last] != want {
			t.Errorf("CSV row %q: sender_dsn_mail %q, want %q", row, row[last], want)
		}
	}
	var doc struct {
		Suites []struct {
			Tests     int    `xml:"tests,attr"`
			SystemOut string `xml:"system-out"`
			Cases     []struct {
				Name      string `xml:"name,attr"`
				Classname string `xml:"classname,attr"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(out["junit"]), &doc); err != nil {
		t.Fatal(err)
	}
	if js := doc.Suites[0]; js.Tests != 4 || !strings.Contains(js.SystemOut, "4 records, 3 delivered, 1 not delivered.\n") ||
		!strings.Contains(js.SystemOut, "1 DSN from the sender's MTA reached the sink as mail") || !strings.Contains(js.SystemOut, "one case per record") {
		t.Errorf("JUnit: %d cases, system-out %q; want 4 cases of records and the DSN counted apart", js.Tests, js.SystemOut)
	}
	for _, c := range doc.Suites[0].Cases {
		// A record without a message or session is classed as one.
		if c.Name == "gone@x.test" && c.Classname != "record" {
			t.Errorf("JUnit case %s: classname %q, want record", c.Name, c.Classname)
		}
	}
}

// TestFT22VerdictsCountRecords: expect's verdicts on a sink's record
// count records, with the DSNs from the sender's MTA apart, in the text,
// Markdown and JSON; a count that fails says records.
func TestFT22VerdictsCountRecords(t *testing.T) {
	t.Parallel()
	d := ft22SinkWithDSN(t)
	x, err := decodeExp(t, "recipients:\n  - {match: \"twice@x.test\", count: 1}\n")
	if err != nil {
		t.Fatal(err)
	}
	v := NewVerdict("app", "app.yaml", d, Evaluate(d, x))
	if want := `expected 1 record matching "twice@x.test", found 2`; !strings.Contains(v.Results[0].Message, want) {
		t.Errorf("the count's failure lacks %q:\n%s", want, v.Results[0].Message)
	}
	// An expectation can match the DSN, as it matches the sender's
	// address: its failure says what that record is.
	all := Evaluate(d, Expectations{Recipients: []RecipientExpectation{{Match: "*", Count: Range{Min: 4, Max: 4, Set: true}}}})
	if want := "app@s.test (message 4, a DSN from the sender's MTA)"; !strings.Contains(all[0].Message, want) {
		t.Errorf("the count's failure lacks %q:\n%s", want, all[0].Message)
	}
	var text, md, js bytes.Buffer
	WriteVerdicts(&text, []Verdict{v})
	if want := "FAIL app: 4 records, 5 attempts, 3 delivered, 1 bounced; 1 DSN from the sender's MTA, counted apart\n"; !strings.Contains(text.String(), want) {
		t.Errorf("verdicts lack %q:\n%s", want, text.String())
	}
	if err := WriteVerdictsMarkdown(&md, []Verdict{v}); err != nil {
		t.Fatal(err)
	}
	if want := "| scenario or expect file | verdict | expectations | records | attempts | by status |\n"; !strings.Contains(md.String(), want) {
		t.Errorf("Markdown verdicts lack %q:\n%s", want, md.String())
	}
	if err := WriteVerdictsJSON(&js, []Verdict{v}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Verdicts []struct {
			Summary map[string]any `json:"summary"`
		} `json:"verdicts"`
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if s := doc.Verdicts[0].Summary; s["recipients"] != 4.0 || s["records"] != 4.0 || s["sender_dsn_mail"] != 1.0 {
		t.Errorf("JSON verdict summary %v: want recipients and records 4, sender_dsn_mail 1", s)
	}
	var h bytes.Buffer
	if err := WriteVerdictsHTML(&h, []Verdict{v}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(h.String(), "4 records, 5 attempts.") || !strings.Contains(h.String(), "<h3>Records</h3>") {
		t.Errorf("HTML verdicts do not count records:\n%s", h.String())
	}
}
