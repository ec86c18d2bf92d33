package dsn

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// sameInstant compares times by instant, since a parsed time has a fixed
// zone rather than the one it was built with.
func normalizeTimes(r Report) Report {
	fix := func(t time.Time) time.Time {
		if t.IsZero() {
			return t
		}
		return t.UTC()
	}
	r.ArrivalDate = fix(r.ArrivalDate)
	rs := make([]Recipient, len(r.Recipients))
	for i, rc := range r.Recipients {
		rc.LastAttempt = fix(rc.LastAttempt)
		rc.WillRetryUntil = fix(rc.WillRetryUntil)
		if rc.Extra == nil {
			rc.Extra = Header{}
		}
		rs[i] = rc
	}
	r.Recipients = rs
	if r.Extra == nil {
		r.Extra = Header{}
	}
	return r
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	for name, c := range buildCases() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out, err := Build(c.opts, c.r)
			if err != nil {
				t.Fatal(err)
			}
			p, err := Parse(out)
			if err != nil {
				t.Fatalf("Parse(Build(...)): %v", err)
			}
			if len(p.Warnings) != 0 {
				t.Errorf("warnings on our own output: %q", p.Warnings)
			}
			want := normalizeTimes(c.r)
			want.Recipients = append([]Recipient(nil), want.Recipients...)
			for i := range want.Recipients {
				// Folding turns runs of spaces into one; our cases have none.
				want.Recipients[i].DiagnosticCode = strings.Join(strings.Fields(want.Recipients[i].DiagnosticCode), " ")
				// Parse removes a known type that Build wrote as given.
				want.Recipients[i].OriginalRecipient = untyped(want.Recipients[i].OriginalRecipient)
			}
			if got := normalizeTimes(p.Report); !reflect.DeepEqual(got, want) {
				t.Errorf("report changed in the round trip\n got %+v\nwant %+v", got, want)
			}
			if got := p.Header.Get("Auto-Submitted"); got != "auto-replied" {
				t.Errorf("Auto-Submitted = %q, want auto-replied (RFC 3834 5)", got)
			}
			wantExpl := c.opts.Explanation
			if wantExpl == "" {
				wantExpl = Explain(c.r)
			}
			if p.Explanation != wantExpl {
				t.Errorf("explanation = %q, want %q", p.Explanation, wantExpl)
			}
			switch c.opts.Return {
			case ReturnNone:
				if p.Original != nil {
					t.Errorf("ReturnNone returned %d bytes of the original", len(p.Original))
				}
			case ReturnFull:
				if p.HeadersOnly || !strings.Contains(string(p.Original), "\r\n.leading dot stays\r\n") {
					t.Errorf("ReturnFull: headersOnly=%v original=%q", p.HeadersOnly, p.Original)
				}
			case ReturnHeaders:
				if !p.HeadersOnly || strings.Contains(string(p.Original), "The body.") {
					t.Errorf("ReturnHeaders: headersOnly=%v original=%q", p.HeadersOnly, p.Original)
				}
			}
			if c.opts.Return != ReturnNone && p.OriginalMessageID != "<orig-1@sender.test>" {
				t.Errorf("OriginalMessageID = %q, want <orig-1@sender.test>", p.OriginalMessageID)
			}
		})
	}
}

func TestParseGoldenRoundTrip(t *testing.T) {
	t.Parallel()
	// The built golden files must parse without warnings too.
	files, _ := filepath.Glob(filepath.Join(testdata, "build_*.eml"))
	if len(files) == 0 {
		t.Fatal("no build_*.eml golden files")
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		p, err := Parse(raw)
		if err != nil || len(p.Warnings) > 0 {
			t.Errorf("%s: err=%v warnings=%q", f, err, p.Warnings)
		}
	}
}

func TestBuildRejects(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 20, 8, 30, 0, 0, time.UTC)
	good := func() (BuildOptions, Report) {
		return BuildOptions{To: "a@b.test", MessageID: "m@x", Date: at},
			Report{ReportingMTA: "x.test", Recipients: []Recipient{{FinalRecipient: "r@c.test", Action: ActionFailed, Status: "5.1.1"}}}
	}
	cases := []struct {
		name   string
		change func(*BuildOptions, *Report)
		want   string
	}{
		{"no reporting mta", func(o *BuildOptions, r *Report) { r.ReportingMTA = "" }, "Reporting-MTA is empty"},
		{"no recipients", func(o *BuildOptions, r *Report) { r.Recipients = nil }, "no recipients"},
		{"no final recipient", func(o *BuildOptions, r *Report) { r.Recipients[0].FinalRecipient = "" }, "Final-Recipient is empty"},
		{"bad action", func(o *BuildOptions, r *Report) { r.Recipients[0].Action = "bounced" }, `Action "bounced"`},
		{"bad status", func(o *BuildOptions, r *Report) { r.Recipients[0].Status = "550" }, `Status "550"`},
		{"status class 3", func(o *BuildOptions, r *Report) { r.Recipients[0].Status = "3.1.1" }, `Status "3.1.1"`},
		// RFC 3464 2.3.4 with RFC 3463 3.1: the status agrees with the action.
		{"delayed with a permanent status", func(o *BuildOptions, r *Report) { r.Recipients[0].Action = ActionDelayed }, "Action delayed with Status 5.1.1"},
		{"failed with a success status", func(o *BuildOptions, r *Report) { r.Recipients[0].Status = "2.0.0" }, "Action failed with Status 2.0.0"},
		{"relayed with a failure status", func(o *BuildOptions, r *Report) { r.Recipients[0].Action = ActionRelayed }, "Action relayed with Status 5.1.1"},
		{"delivered with a transient status", func(o *BuildOptions, r *Report) {
			r.Recipients[0].Action, r.Recipients[0].Status = ActionDelivered, "4.4.7"
		}, "Action delivered with Status 4.4.7"},
		{"crlf injection", func(o *BuildOptions, r *Report) {
			r.Recipients[0].DiagnosticCode = "550 x\r\nFinal-Recipient: rfc822; forged@x"
		}, "Diagnostic-Code contains control character"},
		{"subject injection", func(o *BuildOptions, r *Report) { o.Subject = "a\nBcc: x@y" }, "Subject contains control"},
		{"bad extra", func(o *BuildOptions, r *Report) { r.Extra = Header{{"X Bad", "v"}} }, "not a field name"},
		{"extra forging a standard field", func(o *BuildOptions, r *Report) {
			r.Recipients[0].Extra = Header{{"final-recipient", "rfc822; forged@x"}}
		}, "is a standard field"},
		{"type without an address", func(o *BuildOptions, r *Report) { r.Recipients[0].FinalRecipient = "rfc822; " }, "Final-Recipient is empty"},
		{"no date", func(o *BuildOptions, r *Report) { o.Date = time.Time{} }, "Date is zero"},
		{"no message id", func(o *BuildOptions, r *Report) { o.MessageID = "" }, "MessageID is empty"},
		{"no to", func(o *BuildOptions, r *Report) { o.To = "" }, "To is empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			o, r := good()
			c.change(&o, &r)
			_, err := Build(o, r)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Build: err = %v, want ErrInvalid containing %q", err, c.want)
			}
		})
	}
	o, r := good()
	if _, err := Build(o, r); err != nil {
		t.Errorf("the good case fails: %v", err)
	}
	// An expired recipient fails with the transient status it gave up on.
	r.Recipients[0].Status = "4.4.7"
	if _, err := Build(o, r); err != nil {
		t.Errorf("failed with 4.4.7: %v", err)
	}
}

func TestBuildMaxReturn(t *testing.T) {
	t.Parallel()
	orig := []byte("Subject: big\r\nMessage-ID: <big@x>\r\n\r\n" + strings.Repeat("body line\r\n", 100))
	for _, c := range []struct {
		max         int
		headersOnly bool
	}{{0, false}, {10, true}, {len(orig), false}, {len(orig) - 1, true}} {
		out, err := Build(BuildOptions{To: "a@b.test", MessageID: "m@x", Date: time.Unix(0, 0), Return: ReturnFull, MaxReturn: c.max, Original: orig},
			Report{ReportingMTA: "x.test", Recipients: []Recipient{{FinalRecipient: "r@c.test", Action: ActionFailed, Status: "5.3.4"}}})
		if err != nil {
			t.Fatal(err)
		}
		p, err := Parse(out)
		if err != nil {
			t.Fatal(err)
		}
		if p.HeadersOnly != c.headersOnly {
			t.Errorf("MaxReturn %d of %d: HeadersOnly = %v, want %v", c.max, len(orig), p.HeadersOnly, c.headersOnly)
		}
	}
}

func TestBoundaryAvoidsContent(t *testing.T) {
	t.Parallel()
	opts := BuildOptions{To: "a@b.test", MessageID: "m@x", Date: time.Unix(0, 0), Return: ReturnFull}
	r := Report{ReportingMTA: "x.test", Recipients: []Recipient{{FinalRecipient: "r@c.test", Action: ActionFailed, Status: "5.0.0"}}}
	first := makeBoundary(opts.MessageID, nil)
	// An original that contains the boundary we would pick must not break
	// the report: a crafted message cannot forge a delivery-status part.
	opts.Original = []byte("Subject: x\r\n\r\n--" + first + "\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; forged\r\n\r\nFinal-Recipient: rfc822; forged@x\r\nAction: delivered\r\nStatus: 2.0.0\r\n")
	out, err := Build(opts, r)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	if p.Report.ReportingMTA != "x.test" || len(p.Report.Recipients) != 1 || p.Report.Recipients[0].FinalRecipient != "r@c.test" {
		t.Errorf("forged report leaked through: %+v", p.Report)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		raw  string
		want error
		text string
	}{
		{"empty", "", ErrNotReport, "no header section"},
		{"body only", "\r\n\r\nhello", ErrNotReport, "no header section"},
		{"plain text", "Subject: x\n\nhello\n", ErrNotReport, "text/plain"},
		{"mixed without status", "Content-Type: multipart/mixed; boundary=b\n\n--b\n\nhi\n--b--\n", ErrNotReport, "multipart/mixed"},
		{"mdn", "Content-Type: multipart/report; report-type=disposition-notification; boundary=b\n\n--b\n\nhi\n--b--\n", ErrNotReport, "disposition-notification"},
		{"empty status", "Content-Type: multipart/report; boundary=b\n\n--b\nContent-Type: message/delivery-status\n\n--b--\n", ErrMalformed, "empty"},
		{"no recipient", "Content-Type: multipart/report; boundary=b\n\n--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; x\n--b--\n", ErrMalformed, "no per-recipient"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p, err := Parse([]byte(c.raw))
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.text) {
				t.Errorf("err = %v, want %v containing %q", err, c.want, c.text)
			}
			if p == nil {
				t.Error("Parse returned a nil *Parsed with its error")
			}
		})
	}
}

func TestVERP(t *testing.T) {
	t.Parallel()
	cases := []struct {
		base, tag, addr string
	}{
		{"bounces@example.com", "msg-42", "bounces+msg-42@example.com"},
		{"bounces@example.com", "a+b=c@d/é", "bounces+a=2Bb=3Dc=40d=2F=C3=A9@example.com"},
		{"b@x", "", "b+@x"},
	}
	for _, c := range cases {
		got := VERPAddress(c.base, c.tag)
		if got != c.addr {
			t.Errorf("VERPAddress(%q, %q) = %q, want %q", c.base, c.tag, got, c.addr)
		}
		tag, ok := VERPTag("<" + got + ">")
		if ok != (c.tag != "") || tag != c.tag {
			t.Errorf("VERPTag(%q) = %q, %v; want %q", got, tag, ok, c.tag)
		}
	}
	for _, addr := range []string{"plain@example.com", "noat", "", "+x"} {
		if tag, ok := VERPTag(addr); ok {
			t.Errorf("VERPTag(%q) = %q, true; want none", addr, tag)
		}
	}
}

func TestEnvelopeIDPrefersField(t *testing.T) {
	t.Parallel()
	p := &Parsed{Header: Header{{"To", "Bounces <bounces+verp-id@x.test>"}}}
	if got := p.EnvelopeID(); got != "verp-id" {
		t.Errorf("EnvelopeID from VERP To = %q, want verp-id", got)
	}
	p.Report.EnvelopeID = "field-id"
	if got := p.EnvelopeID(); got != "field-id" {
		t.Errorf("EnvelopeID with Original-Envelope-Id = %q, want field-id", got)
	}
}

// TestGlobalDSN: a report with a UTF-8 address is a message/global-
// delivery-status (RFC 6533 6) with the utf-8 address type, and Parse
// reads it back, as it reads a downgraded one whose utf-8 addresses are
// escaped (\x{HEX}); an ASCII report stays message/delivery-status.
func TestGlobalDSN(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 20, 8, 30, 0, 0, time.UTC)
	build := func(rc Recipient) string {
		t.Helper()
		rc.Action, rc.Status = ActionFailed, "5.1.1"
		out, err := Build(BuildOptions{To: "a@s.test", MessageID: "g@relay.test", Date: at,
			Original: []byte("From: a@s.test\r\nSubject: x\r\n\r\nbody\r\n")}, Report{ReportingMTA: "relay.test", Recipients: []Recipient{rc}})
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	raw := build(Recipient{OriginalRecipient: "utf-8;Zoë@r.test", FinalRecipient: "zoë@r.test"})
	for _, want := range []string{"report-type=global-delivery-status;", "\r\nContent-Type: message/global-delivery-status\r\n",
		"\r\nOriginal-Recipient: utf-8;Zoë@r.test\r\n", "\r\nFinal-Recipient: utf-8; zoë@r.test\r\n", "\r\nContent-Type: text/rfc822-headers\r\n"} {
		if !strings.Contains(raw, want) {
			t.Errorf("global DSN lacks %q:\n%s", want, raw)
		}
	}
	if strings.Contains(raw, "rfc822; zoë") || strings.Contains(raw, "message/delivery-status") {
		t.Errorf("global DSN has a UTF-8 address as rfc822 or the ASCII type:\n%s", raw)
	}
	p, err := Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if rc := p.Report.Recipients; len(rc) != 1 || rc[0].FinalRecipient != "zoë@r.test" || rc[0].OriginalRecipient != "Zoë@r.test" {
		t.Errorf("parsed %+v, want zoë@r.test (original Zoë@r.test)", rc)
	}
	ascii := build(Recipient{OriginalRecipient: "rfc822;Bob@r.test", FinalRecipient: "bob@r.test"})
	if !strings.Contains(ascii, "report-type=delivery-status;") || !strings.Contains(ascii, "Content-Type: message/delivery-status\r\n") ||
		!strings.Contains(ascii, "Final-Recipient: rfc822; bob@r.test\r\n") || strings.Contains(ascii, "global") || strings.Contains(ascii, "8bit") {
		t.Errorf("ASCII DSN is not a plain delivery-status:\n%s", ascii)
	}
	downgraded := strings.NewReplacer("Final-Recipient: utf-8; zoë@r.test", `Final-Recipient: utf-8; zo\x{EB}@r.test`,
		"Original-Recipient: utf-8;Zoë@r.test", `Original-Recipient: utf-8;Zo\x{00EB}@r.test`).Replace(raw)
	p, err = Parse([]byte(downgraded))
	if err != nil {
		t.Fatal(err)
	}
	if rc := p.Report.Recipients; len(rc) != 1 || rc[0].FinalRecipient != "zoë@r.test" || rc[0].OriginalRecipient != "Zoë@r.test" {
		t.Errorf("parsed the escaped form as %+v, want zoë@r.test (original Zoë@r.test)", rc)
	}
}

// TestExplainDiagnosticType: the human-readable part shows a diagnostic's
// text without its type, and says "said" only of a server's smtp reply.
func TestExplainDiagnosticType(t *testing.T) {
	t.Parallel()
	got := Explain(Report{ReportingMTA: "relay.test", Recipients: []Recipient{
		{FinalRecipient: "a@r.test", Action: ActionFailed, Status: "5.1.1", RemoteMTA: "mx.r.test", DiagnosticCode: "smtp; 550 5.1.1 no such user"},
		{FinalRecipient: "b@r.test", Action: ActionFailed, Status: "5.1.2", DiagnosticCode: "X-Relaylab; the domain r2.test does not exist"},
		{FinalRecipient: "c@r.test", Action: ActionDelayed, Status: "4.4.7", RemoteMTA: "mx.r.test", DiagnosticCode: "X-Relaylab; reading the reply: timeout"},
		{FinalRecipient: "d@r.test", Action: ActionFailed, Status: "5.2.2", RemoteMTA: "mx.r.test", DiagnosticCode: "552 5.2.2 full"},
	}})
	for _, want := range []string{"    mx.r.test said: 550 5.1.1 no such user\n", "    reason: the domain r2.test does not exist\n",
		"    reason: reading the reply: timeout\n", "    mx.r.test said: 552 5.2.2 full\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("explanation lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "smtp;") || strings.Contains(got, "X-Relaylab;") {
		t.Errorf("explanation shows a diagnostic type:\n%s", got)
	}
}

// TestUTF8AddressInASCIIReport: in a message/delivery-status (all ASCII),
// a utf-8 address is in the utf-8-addr-xtext form of RFC 6533 3, where
// "+", "=" and "\" are escaped like any character outside QCHAR; Parse
// reads the address back, and an escaped backslash stays a backslash
// rather than starting another escape.
func TestUTF8AddressInASCIIReport(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 20, 8, 30, 0, 0, time.UTC)
	for _, tt := range []struct{ orcpt, final, wantOrig, wantFinal, addrOrig, addrFinal string }{
		{"utf-8;a+b=c@r.test", "utf-8; x\\y@r.test",
			`Original-Recipient: utf-8;a\x{2B}b\x{3D}c@r.test`, `Final-Recipient: utf-8; x\x{5C}y@r.test`, "a+b=c@r.test", `x\y@r.test`},
		{`UTF-8; \x{41}@r.test`, "rfc822; plain+tag@r.test",
			`Original-Recipient: UTF-8; \x{5C}x{41}@r.test`, "Final-Recipient: rfc822; plain+tag@r.test", `\x{41}@r.test`, "plain+tag@r.test"},
	} {
		out, err := Build(BuildOptions{To: "a@s.test", MessageID: "x@relay.test", Date: at}, Report{ReportingMTA: "relay.test",
			Recipients: []Recipient{{OriginalRecipient: tt.orcpt, FinalRecipient: tt.final, Action: ActionFailed, Status: "5.1.1"}}})
		if err != nil {
			t.Fatal(err)
		}
		raw := string(out)
		if !strings.Contains(raw, "Content-Type: message/delivery-status\r\n") {
			t.Fatalf("not an ASCII message/delivery-status:\n%s", raw)
		}
		for _, want := range []string{"\r\n" + tt.wantOrig + "\r\n", "\r\n" + tt.wantFinal + "\r\n"} {
			if !strings.Contains(raw, want) {
				t.Errorf("report lacks %q:\n%s", want, raw)
			}
		}
		p, err := Parse(out)
		if err != nil {
			t.Fatal(err)
		}
		if rc := p.Report.Recipients; len(rc) != 1 || rc[0].OriginalRecipient != tt.addrOrig || rc[0].FinalRecipient != tt.addrFinal {
			t.Errorf("parsed %+v, want original %q and final %q", rc, tt.addrOrig, tt.addrFinal)
		}
	}
}

func TestUTF8AddrXtext(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"plain@r.test":    "plain@r.test",
		"a+b=c\\d@r.test": `a\x{2B}b\x{3D}c\x{5C}d@r.test`,
		"zoë@r.test":      `zo\x{EB}@r.test`,
		"a b@r.test":      `a\x{20}b@r.test`,
		"日@r.test":        `\x{65E5}@r.test`,
	} {
		if got := UTF8AddrXtext(in); got != want {
			t.Errorf("UTF8AddrXtext(%q) = %q, want %q", in, got, want)
		}
		if got := DecodeUTF8AddrLenient(UTF8AddrXtext(in)); got != in {
			t.Errorf("DecodeUTF8AddrLenient(UTF8AddrXtext(%q)) = %q, want it back", in, got)
		}
	}
}
