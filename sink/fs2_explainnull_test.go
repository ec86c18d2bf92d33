package sink

import (
	"strings"
	"testing"
)

// With the null sender, Explain promises no bounce: the sink sends no DSN
// to a null reverse-path (RFC 5321 4.5.5); a note says so and what to do.
func TestFS2ExplainNullSenderBounce(t *testing.T) {
	t.Parallel()
	cfg, err := decodeSink(t, `sink:
  listeners:
    - {name: mx, listen: "127.0.0.1:0"}
  rules:
    - {stage: data-end, recipient: "*@bounce.test", bounce: {after: 3s, reply: "550 5.1.1 no such user"}}
    - {stage: data-end, recipient: "*@maybe.test", probability: 0.5, bounce: {after: 3s, reply: "550 5.1.1 gone"}}
`)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Bounce.Relay = ""
	for _, to := range []string{"x@bounce.test", "bounce3s@x.test", "y@maybe.test"} {
		for _, from := range []string{"", "a@shop.test"} {
			steps, err := Explain(cfg, Envelope{From: from, To: []string{to}})
			if err != nil {
				t.Fatal(err)
			}
			end := stepOf(t, steps, StageDataEnd, "")
			bounces := len(end.Bounces)
			for _, c := range end.Chances {
				bounces += len(c.Bounces)
			}
			notes := strings.Join(end.Notes, "\n")
			if from != "" {
				if bounces != 1 || strings.Contains(notes, "no bounce") {
					t.Errorf("from <%s> to %s: got %d bounces, notes %q; want the bounce", from, to, bounces, notes)
				}
				continue
			}
			if bounces != 0 || !strings.Contains(notes, "no bounce") || (!strings.Contains(to, "maybe") && !strings.Contains(notes, "no bounce for <"+to+">")) || !strings.Contains(notes, "RFC 5321 4.5.5") || !strings.Contains(notes, "--from") {
				t.Errorf("from <> to %s: got %d bounces, notes %q; want none, and a note naming the null sender, RFC 5321 4.5.5 and --from", to, bounces, notes)
			}
		}
	}
}

// The transcript, too, promises no bounce to a message with the null
// sender, and says why.
func TestFS2TranscriptNullSenderBounce(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, nil)
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	if code, text := c.send("", "bounce5m@x.test", testMsg); code != 250 {
		t.Fatalf("message: got %d %q", code, text)
	}
	c.expect(221, "", "QUIT")
	tr, _ := sessionText(t, st, 1)
	if strings.Contains(tr, "follows in") || !strings.Contains(tr, "no bounce for <bounce5m@x.test>: the sender is null") {
		t.Errorf("transcript:\n%s\nwant no bounce promised, and a note that the sender is null", tr)
	}
}
