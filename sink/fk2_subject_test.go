package sink

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/relaylab/relaylab/internal/events"
)

// The sink.message event carries the message's Subject, decoded (RFC 2047)
// and unfolded on one line, cut to maxSubject characters, and its
// Message-ID, so that a client waiting on the event stream for a subject
// need not fetch each message.
func TestMessageEventSubject(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", maxSubject+50)
	cases := []struct {
		header, subject, id string
	}{
		{"Subject: =?UTF-8?B?R3LDvMOfZQ==?=\r\n =?UTF-8?Q?_aus_K=C3=B6ln?=\r\nMessage-ID: <m1@sender.test>\r\n", "Grüße aus Köln", "m1@sender.test"},
		{"subject:\tplain\r\n\ttext\r\n", "plain text", ""},
		{"Subject: " + long + "\r\nMessage-ID: <m3@sender.test>\r\n", string([]rune(long)[:maxSubject-1]) + "…", "m3@sender.test"},
		{"Subject: a\x00b\r\n", "a\uFFFDb", ""},
		{"X-Other: x\r\n", "", ""},
	}
	s, st := testSink(t, nil, nil)
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	for _, tc := range cases {
		if code, text := c.send("a@sender.test", "b@sink.test", "From: a@sender.test\r\n"+tc.header+"\r\nHello.\r\n"); code != 250 {
			t.Fatalf("%q: %d %s", tc.header, code, text)
		}
	}
	evs, err := st.Events(context.Background(), events.Filter{Kinds: []string{events.SinkMessage}})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != len(cases) {
		t.Fatalf("%d sink.message events, want %d", len(evs), len(cases))
	}
	for i, tc := range cases {
		var p struct {
			Subject   string `json:"subject"`
			MessageID string `json:"message_id"`
		}
		if err := json.Unmarshal(evs[i].Payload, &p); err != nil {
			t.Fatal(err)
		}
		if p.Subject != tc.subject || p.MessageID != tc.id || evs[i].Message != tc.id {
			t.Errorf("%.40q: subject %q, message_id %q (event message %q); want %q, %q", tc.header, p.Subject, p.MessageID, evs[i].Message, tc.subject, tc.id)
		}
		if n := utf8.RuneCountInString(p.Subject); n > maxSubject {
			t.Errorf("subject of %d characters, over %d", n, maxSubject)
		}
	}
}

// BenchmarkSubjectOf is what the subject costs each message stored.
func BenchmarkSubjectOf(b *testing.B) {
	raw := []byte("Received: from x\r\nFrom: a@bench.test\r\nTo: b@sink.test\r\nSubject: bench\r\nMessage-ID: <m@bench.test>\r\n\r\n" + strings.Repeat("x", 2048))
	for b.Loop() {
		if subjectOf(raw) != "bench" {
			b.Fatal("no subject")
		}
	}
}
