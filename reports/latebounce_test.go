package reports

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// A recipient taken with a 250 and bounced later is not delivered because
// of the late bounce's reply, not of the 250: every report names that.
func TestLateBounceIsTheReason(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	d := &Data{Recipients: []*Recipient{{Message: "m1", Address: "d@example.test", Domain: "example.test", Status: "bounced", Category: "invalid-recipient",
		Reason: "the mailbox does not exist", Queued: t0,
		Attempts:   []Attempt{{Time: t0, Try: 1, Path: "sink", Code: 250, Enhanced: "2.0.0", Text: "Message accepted as 3"}},
		LateBounce: &LateBounce{Time: t0.Add(5 * time.Minute), Code: 550, Enhanced: "5.1.1", Text: "no such user", Category: "invalid-recipient"}}}}
	const want = "550 5.1.1 no such user"
	var ju bytes.Buffer
	if err := WriteJUnit(&ju, "r", d); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ju.String(), `message="not delivered: bounced (invalid-recipient): late bounce after a 250: `+want+`"`) {
		t.Errorf("junit failure message does not name the late bounce:\n%s", ju.String())
	}
	var text bytes.Buffer
	if err := WriteText(&text, d); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "d@example.test (message m1): bounced, invalid-recipient, late bounce after a 250: "+want+"\n") {
		t.Errorf("text headline does not name the late bounce:\n%s", text.String())
	}
	var md bytes.Buffer
	if err := WriteMarkdown(&md, d); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "| late bounce after a 250: "+want+" |") {
		t.Errorf("markdown does not name the late bounce:\n%s", md.String())
	}
}
