package dsn

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
)

// longLines returns the lines of b over maxLine octets, by number.
func longLines(b []byte) map[int]int {
	long := map[int]int{}
	for i, l := range bytes.Split(b, []byte("\n")) {
		if n := len(bytes.TrimSuffix(l, []byte("\r"))); n > maxLine {
			long[i+1] = n
		}
	}
	return long
}

func TestBuildKeepsLinesWithinLimit(t *testing.T) {
	t.Parallel()
	var to []string
	for i := 0; i < 80; i++ {
		to = append(to, fmt.Sprintf("user%02d@receiver.test", i))
	}
	toLine := strings.Join(to, ", ")
	token := strings.Repeat("y", 2000)
	head := "From: a@sender.test\r\nTo: " + toLine + "\r\nX-Long: " + token + "\r\nSubject: s\r\nMessage-ID: <m1@sender.test>\r\n"
	at := time.Date(2026, 11, 20, 8, 30, 0, 0, time.UTC)
	hostile := "550 5.0.0 " + strings.Repeat("z", 3000) + " end"
	r := Report{ReportingMTA: "relay.test", Recipients: []Recipient{{
		FinalRecipient: "user00@receiver.test", Action: ActionFailed, Status: "5.0.0",
		RemoteMTA: "mx.receiver.test", DiagnosticCode: hostile,
	}}}
	for name, c := range map[string]struct {
		ret      Return
		body     string
		wantBody bool
	}{
		"headers":              {ReturnHeaders, "body\r\n", false},
		"full":                 {ReturnFull, "body\r\n", true},
		"full, long body line": {ReturnFull, strings.Repeat("b", 2500) + "\r\n", false},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out, err := Build(BuildOptions{To: "a@sender.test", MessageID: "dsn@relay.test", Date: at, Return: c.ret,
				Original: []byte(head + "\r\n" + c.body)}, r)
			if err != nil {
				t.Fatal(err)
			}
			if long := longLines(out); len(long) > 0 {
				t.Fatalf("DSN has lines over %d octets (line: length) %v; it would bounce as line-too-long and the sender never hear", maxLine, long)
			}
			p, err := Parse(out)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := p.OriginalHeader.Get("To"); got != toLine {
				t.Errorf("returned To, unfolded, = %.80q... (%d octets), want the original's %d octets unchanged", got, len(got), len(toLine))
			}
			if got := p.OriginalHeader.Get("X-Long"); !strings.HasSuffix(got, "...") || len(got) > maxLine {
				t.Errorf("returned X-Long = %d octets ending %q, want it cut short to end in \"...\"", len(got), got[max(0, len(got)-5):])
			}
			for _, want := range []string{"longer than the 998 characters", "1 header line was folded", "1 header line was cut short"} {
				if !strings.Contains(p.Explanation, want) {
					t.Errorf("explanation lacks %q; got %q", want, p.Explanation)
				}
			}
			if body := bytes.Contains(p.Original, []byte("\r\n\r\nbody")); body != c.wantBody || p.HeadersOnly == c.wantBody {
				t.Errorf("body returned = %v, headers only = %v; want body %v", body, p.HeadersOnly, c.wantBody)
			}
			if dropped := strings.Contains(p.Explanation, "only its header section is returned"); dropped != (c.ret == ReturnFull && !c.wantBody) {
				t.Errorf("explanation says the body was left out = %v; want %v", dropped, !dropped)
			}
			if got := p.Report.Recipients[0].DiagnosticCode; !strings.HasPrefix(got, "550 5.0.0 zzz") {
				t.Errorf("Diagnostic-Code = %.40q, want the reply, cut short", got)
			}
			if !strings.Contains(p.Explanation, strings.Repeat("z", 3000)) {
				t.Errorf("the human-readable part lost the full reply text")
			}
		})
	}
}

func TestBuildLeavesShortOriginalAlone(t *testing.T) {
	t.Parallel()
	orig := "From: a@sender.test\r\nTo: b@receiver.test\r\n\r\nbody\r\n"
	out, err := Build(BuildOptions{To: "a@sender.test", MessageID: "dsn@relay.test", Date: time.Unix(0, 0), Return: ReturnFull, Original: []byte(orig)},
		Report{ReportingMTA: "relay.test", Recipients: []Recipient{{FinalRecipient: "b@receiver.test", Action: ActionFailed, Status: "5.1.1"}}})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out, []byte(orig)) || bytes.Contains(out, []byte("998 characters")) {
		t.Errorf("a message with short lines was changed or noted:\n%s", out)
	}
}
