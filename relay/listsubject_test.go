package relay

import (
	"context"
	"testing"
)

// TestListGivesSubjects: the queue's list carries each message's Subject
// (decoded), which the web's Delete dialog and queue list --json show;
// it had none.
func TestListGivesSubjects(t *testing.T) {
	t.Parallel()
	cfg := testConfig(closedAddr(t))
	h := newHarness(t, cfg, Options{})
	s := Submission{From: "a@shop.test", Data: []byte("From: a@shop.test\r\nSubject: =?UTF-8?Q?caf=C3=A9_receipt?=\r\n\r\nHello.\r\n"),
		Recipients: []Recipient{{Address: "b@example.test"}}}
	one, err := h.r.Enqueue(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	two := h.enqueue("a@shop.test", "c@example.test")
	ms, err := h.r.List(context.Background(), QueueFilter{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, m := range ms {
		got[m.ID] = m.Subject
	}
	if got[one] != "café receipt" || got[two] != "test" {
		t.Errorf("subjects %q, want %q for %s and \"test\" for %s", got, "café receipt", one, two)
	}
}
