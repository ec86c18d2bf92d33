package dsn

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(testdata, "*.eml"))
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("Content-Type: multipart/report; boundary=\"\"\n\n--\n--\n"))
	f.Add([]byte("Content-Type: multipart/report; boundary=b\n\n--b\nContent-Type: multipart/report; boundary=b\n\n--b\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		p, err := Parse(raw)
		if p == nil {
			t.Fatal("nil *Parsed")
		}
		if err != nil {
			if !errors.Is(err, ErrNotReport) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("error wraps neither ErrNotReport nor ErrMalformed: %v", err)
			}
			return
		}
		if len(p.Report.Recipients) == 0 {
			t.Fatal("no error but no recipients")
		}
		// Whatever parsed must build again when it is valid.
		r := p.Report
		if r.validate() == nil {
			if _, err := Build(BuildOptions{To: "a@b", MessageID: "m@x", Date: time.Unix(1, 0)}, r); err != nil {
				t.Fatalf("Build of a valid parsed report: %v", err)
			}
		}
	})
}

// FuzzBuildRoundTrip builds a DSN from fuzzed fields and reads it back:
// whatever Build accepts, Parse must return unchanged (up to folding
// white space and the RFC 3464 type prefixes).
func FuzzBuildRoundTrip(f *testing.F) {
	f.Add("relay.test", "env-1", "bob@receiver.test", "failed", "5.1.1", "mx.receiver.test", "550 5.1.1 no such user", "X-Queue", "q1", "Your message failed.\n", int64(1763625000), uint8(0))
	f.Add("a", "", "x400; /C=DE/", "delayed", "4.4.7", "", "smtp; 451 later", "", "", "Zustellung verzögert\r\n.\r\n--x\n", int64(0), uint8(1))
	f.Add("dns;", "", "rfc822;", "failed", "5.0.0", "", "", "", "", "", int64(5), uint8(2))
	f.Add("m", "", "r", "failed", "5.0.0", "", "", "Final-recipient", "forged", "", int64(5), uint8(2))
	f.Fuzz(func(t *testing.T, mta, envid, rcpt, action, status, remote, diag, xname, xval, explanation string, when int64, ret uint8) {
		at := time.Unix(when%(1<<34), 0).UTC() // years 1970 to 2514
		r := Report{ReportingMTA: mta, EnvelopeID: envid, ArrivalDate: at, Recipients: []Recipient{{
			FinalRecipient: rcpt, Action: action, Status: status, RemoteMTA: remote, DiagnosticCode: diag, LastAttempt: at,
		}}}
		if xname != "" {
			r.Recipients[0].Extra = Header{{xname, xval}}
		}
		orig := []byte("Message-ID: <o@x>\r\nSubject: s\r\n\r\nbody\r\n")
		out, err := Build(BuildOptions{To: "a@b", MessageID: "m@x", Date: at, Explanation: explanation, Return: Return(ret % 3), Original: orig}, r)
		if err != nil {
			return
		}
		p, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(Build(...)): %v\n%s", err, out)
		}
		norm := func(t, v string) string { return strings.Join(strings.Fields(untyped(typed(t, v))), " ") }
		got := p.Report
		if got.ReportingMTA != norm("dns", mta) || got.EnvelopeID != strings.Join(strings.Fields(envid), " ") || !got.ArrivalDate.Equal(at) {
			t.Fatalf("per-message fields changed: %+v", got)
		}
		if len(got.Recipients) != 1 {
			t.Fatalf("%d recipients", len(got.Recipients))
		}
		rc := got.Recipients[0]
		if rc.FinalRecipient != norm("rfc822", rcpt) || rc.Action != action || rc.Status != status ||
			rc.RemoteMTA != norm("dns", remote) && remote != "" || rc.DiagnosticCode != norm("smtp", diag) && diag != "" || !rc.LastAttempt.Equal(at) {
			t.Fatalf("recipient changed:\n got %+v\nfrom %q %q %q %q %q %q", rc, rcpt, action, status, remote, diag, at)
		}
		if xname != "" && (len(rc.Extra) != 1 || rc.Extra[0].Value != strings.Join(strings.Fields(xval), " ")) {
			t.Fatalf("extra field changed: %+v", rc.Extra)
		}
		want := explanation
		if want == "" {
			want = Explain(r)
		}
		want = strings.ToValidUTF8(want, "\uFFFD")
		want = strings.ReplaceAll(strings.ReplaceAll(want, "\r\n", "\n"), "\r", "\n")
		if !strings.HasSuffix(want, "\n") {
			want += "\n"
		}
		if p.Explanation != want {
			t.Fatalf("explanation changed:\n got %q\nwant %q", p.Explanation, want)
		}
		if Return(ret%3) != ReturnNone && p.OriginalMessageID != "<o@x>" {
			t.Fatalf("original Message-ID %q", p.OriginalMessageID)
		}
	})
}
