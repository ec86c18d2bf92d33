package reports

import (
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/config"
)

// A count that fails names the recipients it found, a few of them, each
// with its message (the same address in several messages was named as
// many times alike), and its sender on a sink's record that has one per
// sender; "there was only 1 attempt" is singular, verb and noun; a range
// upside down says so.
func TestCountFailureNamesRecipients(t *testing.T) {
	t.Parallel()
	d := &Data{}
	for _, a := range []string{"a@x.test", "b@x.test", "c@x.test", "d@x.test", "e@x.test", "f@x.test"} {
		d.Recipients = append(d.Recipients, &Recipient{Message: "m1", Address: a, Status: "delivered", Attempts: []Attempt{{Code: 250}}})
	}
	r := evalRecipient(d, 0, RecipientExpectation{Match: "*", Count: Range{Min: 2, Max: 2, Set: true}})
	if want := `expected 2 recipients matching "*", found 6: a@x.test (message m1), b@x.test (message m1), c@x.test (message m1), d@x.test (message m1), and 2 more`; !strings.Contains(r.Message, want) {
		t.Errorf("got %q, want %q", r.Message, want)
	}
	same := &Data{}
	for _, m := range []string{"m1", "m2", "m3"} {
		same.Recipients = append(same.Recipients, &Recipient{Message: m, Address: "news@shop.test", Status: "delivered", Attempts: []Attempt{{Code: 250}}})
	}
	same.Recipients = append(same.Recipients, &Recipient{Message: "4", Address: "news@shop.test", Sender: "<>", Status: "delivered", Attempts: []Attempt{{Code: 250}}})
	r = evalRecipient(same, 0, RecipientExpectation{Match: "news@shop.test", Count: Range{Min: 1, Max: 1, Set: true}})
	if want := `expected 1 recipient matching "news@shop.test", found 4: news@shop.test (message m1), news@shop.test (message m2), news@shop.test (message m3), news@shop.test (from <>, message 4)`; !strings.Contains(r.Message, want) {
		t.Errorf("got %q, want %q", r.Message, want)
	}
	r = evalRecipient(d, 0, RecipientExpectation{Match: "a@x.test", AttemptTimes: []config.Duration{0, config.Duration(60e9)}})
	if !strings.Contains(r.Message, "but there was only 1 attempt") || strings.Contains(r.Message, "1 attempts") {
		t.Errorf("got %q", r.Message)
	}
	if _, err := ParseRange("5-2"); err == nil || !strings.Contains(err.Error(), "minimum 5 is above its maximum 2") {
		t.Errorf("ParseRange(5-2): %v", err)
	}
}
