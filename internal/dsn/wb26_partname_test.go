package dsn

import (
	"strings"
	"testing"
	"time"
)

// TestReturnedPartNamesWhatHappened: the returned message's
// Content-Description says "Undelivered" only in a DSN that reports a
// recipient failed or delayed; a success DSN (delivered, relayed,
// expanded: NOTIFY=SUCCESS) returns the "Original message", which was
// delivered, not "Undelivered message headers".
func TestReturnedPartNamesWhatHappened(t *testing.T) {
	t.Parallel()
	orig := []byte("Subject: hi\r\nMessage-ID: <o@x>\r\n\r\nbody\r\n")
	for _, tt := range []struct {
		action, status string
		ret            Return
		want           string
	}{
		{ActionFailed, "5.1.1", ReturnHeaders, "Content-Description: Undelivered message headers\r\n"},
		{ActionFailed, "5.1.1", ReturnFull, "Content-Description: Undelivered message\r\n"},
		{ActionDelayed, "4.4.1", ReturnHeaders, "Content-Description: Undelivered message headers\r\n"},
		{ActionDelivered, "2.0.0", ReturnHeaders, "Content-Description: Original message headers\r\n"},
		{ActionRelayed, "2.0.0", ReturnFull, "Content-Description: Original message\r\n"},
		{ActionExpanded, "2.0.0", ReturnHeaders, "Content-Description: Original message headers\r\n"},
	} {
		out, err := Build(BuildOptions{To: "a@b.test", MessageID: "m@x", Date: time.Unix(0, 0), Return: tt.ret, Original: orig},
			Report{ReportingMTA: "x.test", Recipients: []Recipient{{FinalRecipient: "r@c.test", Action: tt.action, Status: tt.status}}})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(out), tt.want) {
			t.Errorf("%s, return %d: want %q in\n%s", tt.action, tt.ret, tt.want, out)
		}
	}
}
