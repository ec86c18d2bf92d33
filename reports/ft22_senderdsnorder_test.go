package reports

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// recordOf is d's last record of addr, nil when it has none.
func recordOf(d *Data, addr string) *Recipient {
	var r *Recipient
	for _, x := range d.Recipients {
		if x.Address == addr {
			r = x
		}
	}
	return r
}

// TestFT22SenderDSNStepInTimeOrder: a DSN from the sender's MTA is a
// step of the timeline of the record it reports on at its place in time
// among the attempts: a delay warning that came between the sink's
// deferrals and its acceptance sits between them, not after the 250;
// and a run of repeated tries is not folded across it.
func TestFT22SenderDSNStepInTimeOrder(t *testing.T) {
	t.Parallel()
	at := func(min int, stage string, code int, msg int64) SinkMessageAttempt {
		return SinkMessageAttempt{Message: msg, MessageID: map[bool]string{true: "m1@s"}[msg != 0], SinkAttempt: SinkAttempt{Time: t0.Add(time.Duration(min) * time.Minute),
			Listener: "mx", Client: "127.0.0.1:1", Sender: "app@s.test", Recipient: "slow@x.test", Stage: stage, Code: code,
			Enhanced: map[int]string{451: "4.3.0", 250: "2.0.0"}[code]}}
	}
	// Five deferrals a minute apart, a delay warning at +2m30s (after
	// the third), then the acceptance at +10m.
	src := dsnSink{fakeMessageSink: fakeMessageSink{
		at(0, "rcpt", 451, 0), at(1, "rcpt", 451, 0), at(2, "rcpt", 451, 0), at(3, "rcpt", 451, 0), at(4, "rcpt", 451, 0),
		at(10, "data-end", 250, 1),
	}, mail: []SinkMailMessage{{Message: 2, Time: t0.Add(150 * time.Second), Recipients: []string{"app@s.test"},
		Raw: senderDSNRaw("w1@pf", "slow@x.test", "delayed", "4.3.0", "451 4.3.0 try later", "m1@s")}}}
	d, err := FromSink(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	r := recordOf(d, "slow@x.test")
	if r == nil || len(r.SenderDSNs) != 1 {
		t.Fatalf("slow@x.test has no DSN from the sender's MTA: %+v", r)
	}
	var b bytes.Buffer
	WriteTimeline(&b, r)
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	want := []string{"#1-#3 +0s ... +2m0s", "DSN +2m30s", "#4 ", "#5 ", "#6 "}
	if len(lines) != len(want) {
		t.Fatalf("timeline of %d lines, want %d, in time order:\n%s", len(lines), len(want), b.String())
	}
	for i, w := range want {
		if !strings.HasPrefix(strings.TrimSpace(lines[i]), w) {
			t.Errorf("timeline line %d is %q, want it to begin %q: the DSN from the sender's MTA sits among the attempts in time order\n%s", i+1, lines[i], w, b.String())
		}
	}
	if !strings.Contains(lines[1], "DSN from the sender's MTA: delayed 4.3.0") {
		t.Errorf("line 2 is not the sender's DSN: %q", lines[1])
	}
	// The HTML shows the same steps, in the same order.
	steps := htmlSteps(r)
	if len(steps) != len(want) || !strings.HasPrefix(steps[1].Code, "DSN +2m30s") {
		t.Errorf("HTML steps %+v: want the DSN second of %d", steps, len(want))
	}
}
