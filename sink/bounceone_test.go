package sink

import (
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/config"
)

// TestBounceOnlyTheRecipientAsked: in a message to several recipients, a
// bounce goes only to those whose own directive or rule asks for one,
// each after its own delay; the others are delivered. Every recipient of
// the transaction used to be bounced when one asked.
func TestBounceOnlyTheRecipientAsked(t *testing.T) {
	t.Parallel()
	v := clock.NewVirtual(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)) // due times from one instant
	s, st := testSink(t, v, func(c *Config) {
		c.Rules = []Rule{{Stage: "data-end", Recipient: "ruled@sink.test", Bounce: &BounceRule{After: ptr(config.Duration(time.Hour)), Reply: "550 5.2.1 mailbox disabled"}}}
	})
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	c.expect(250, "", "MAIL FROM:<sender@origin.test>")
	for _, to := range []string{"stays@sink.test", "bounce5m+gone@sink.test", "also@sink.test", "bounce10m+later@sink.test", "ruled@sink.test", "bounce5m+gone2@sink.test"} {
		c.expect(250, "", "RCPT TO:<%s>", to)
	}
	c.expect(354, "", "DATA")
	c.body(testMsg)
	c.expect(221, "", "QUIT")
	waitSessions(t, st, 1)
	rows, err := st.DB().Query(`SELECT recipient, due_ns, reply FROM sink_bounces`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	var first int64
	for rows.Next() {
		var rcpt, reply string
		var due int64
		if err := rows.Scan(&rcpt, &due, &reply); err != nil {
			t.Fatal(err)
		}
		if first == 0 || due < first {
			first = due
		}
		got = append(got, rcpt+" "+strings.Fields(reply)[0]+" "+time.Duration(due).String())
	}
	// Relative to the first due time (5 minutes after the dot).
	for i, g := range got {
		f := strings.Fields(g)
		d, _ := time.ParseDuration(f[2])
		got[i] = f[0] + " " + f[1] + " +" + (d - time.Duration(first)).String()
	}
	sort.Strings(got)
	want := "[bounce10m+later@sink.test 550 +5m0s bounce5m+gone2@sink.test 550 +0s bounce5m+gone@sink.test 550 +0s ruled@sink.test 550 +55m0s]"
	if g := "[" + strings.Join(got, " ") + "]"; g != want {
		t.Errorf("bounces %s\nwant %s (none for stays@ and also@)", g, want)
	}
}

// TestDeliveredBesideABounce: in a message where one recipient asks for a
// bounce, another with NOTIFY=SUCCESS is delivered and gets its delivered
// DSN (sink.bounce.delivered on); it got nothing once any bounce was
// scheduled.
func TestDeliveredBesideABounce(t *testing.T) {
	t.Parallel()
	v := clock.NewVirtual(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	s, st := testSink(t, v, func(c *Config) { c.Bounce.Delivered = true })
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	c.expect(250, "", "MAIL FROM:<sender@origin.test>")
	c.expect(250, "", "RCPT TO:<bounce5m+a@sink.test>")
	c.expect(250, "", "RCPT TO:<b@sink.test> NOTIFY=SUCCESS")
	c.expect(354, "", "DATA")
	c.body(testMsg)
	c.expect(221, "", "QUIT")
	waitSessions(t, st, 1)
	rows, err := st.DB().Query(`SELECT recipient, reply FROM sink_bounces ORDER BY recipient`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var rcpt, reply string
		if err := rows.Scan(&rcpt, &reply); err != nil {
			t.Fatal(err)
		}
		got = append(got, rcpt+" "+strings.Fields(reply)[0])
	}
	if g := strings.Join(got, ", "); g != "b@sink.test 250, bounce5m+a@sink.test 550" {
		t.Errorf("DSNs %q, want a delivered one for b@ and a bounce for a@", g)
	}
}
