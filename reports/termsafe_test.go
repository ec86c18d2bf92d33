package reports

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestTextShowsControlCharacters: a reply a server chose, with terminal
// escape sequences in it, is printed escaped in the text report and the
// verdicts, instead of acting on the reader's terminal.
func TestTextShowsControlCharacters(t *testing.T) {
	t.Parallel()
	q := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	d := &Data{First: q, Last: q, Recipients: []*Recipient{{Address: "a@x.test", Status: "bounced", Queued: q, Done: q,
		Reason: "no such user \x1b]0;pwned\x07", Attempts: []Attempt{{Time: q, Try: 1, Code: 550, Enhanced: "5.1.1", Text: "no \x1b[2J such user"}}}}}
	var text, verdicts bytes.Buffer
	if err := WriteText(&text, d); err != nil {
		t.Fatal(err)
	}
	WriteVerdicts(&verdicts, []Verdict{NewVerdict("x", "x.yaml", d, []Result{{Name: "r", Message: "got \"550 5.1.1 no \x1b[2J such user\""}})})
	for name, out := range map[string]string{"text": text.String(), "verdicts": verdicts.String()} {
		if strings.ContainsAny(out, "\x1b\x07") || !strings.Contains(out, `no \x1b[2J such user`) {
			t.Errorf("%s: control characters raw, or not shown escaped:\n%q", name, out)
		}
	}
}
