package relay

import (
	"bytes"
	"context"
	"reflect"
	"testing"

	"github.com/relaylab/relaylab/internal/dsn"
	"github.com/relaylab/relaylab/internal/events"
)

// With default DSN settings (no VERP) the sink's late bounce goes to the
// original sender through the relay's submission port, as in `relaylab
// serve`. The relay records it against the message it reports on and still
// relays it on to the sender's mailbox.
func TestLateBounceThroughSubmissionWithoutVERP(t *testing.T) {
	t.Parallel()
	cfg := testConfig("127.0.0.1:1") // replaced below, once the sink listens
	cfg.Listen = "127.0.0.1:0"
	if cfg.DSN.VERP {
		t.Fatal("the default configuration has VERP on; this test is about VERP off")
	}
	h := newHarness(t, cfg, Options{})
	sinkAddr := withSink(t, h, h.r.Addr().String())
	h.r.paths["primary"].cfg.Host = sinkAddr

	const sender, rcpt = "news@shop.test", "bounce1m+x@r.test"
	id := h.enqueue(sender, rcpt)
	h.runUntil("the late bounce recorded", func() bool { return len(h.terminal(id)[rcpt]) == 2 })
	if k := h.terminal(id)[rcpt]; !reflect.DeepEqual(k, []string{events.RelayDelivered, events.RelayBounced}) {
		t.Errorf("terminal events %v, want delivered then bounced", k)
	}
	info, err := h.r.Message(context.Background(), id)
	if err != nil || len(info.Recipients) != 1 || info.Recipients[0].State != StateBounced {
		t.Errorf("message %+v (%v), want its recipient bounced", info, err)
	}

	// The DSN itself is relayed on to the original sender, null sender and all.
	var relayed string
	h.runUntil("the DSN relayed to the sender", func() bool {
		msgs, err := h.r.List(context.Background(), QueueFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if m.ID != id && m.Sender == "" && len(m.Recipients) == 1 && m.Recipients[0].Address == sender && m.Recipients[0].State == StateDelivered {
				relayed = m.ID
				return true
			}
		}
		return false
	})
	m, err := h.r.Message(context.Background(), relayed)
	if err != nil {
		t.Fatal(err)
	}
	if !dsn.IsReport(m.Data) || !bytes.Contains(m.Data, []byte(rcpt)) {
		t.Errorf("the relayed message is not the sink's DSN about %s:\n%s", rcpt, m.Data)
	}
	// Its queueing names the message it reports on, for the UI to link.
	if pl := h.firstOutcome(t, relayed, events.RelayQueued); pl["bounce_for"] != id {
		t.Errorf("the relayed DSN's relay.queued: bounce_for %v, want %s", pl["bounce_for"], id)
	}
}

// relaylab serve hands the sink's late bounces to its relay through
// Enqueue, not over SMTP: the relay records them against the message they
// report on all the same, and relays them on to the sender.
func TestLateBounceThroughEnqueue(t *testing.T) {
	t.Parallel()
	cfg := testConfig("127.0.0.1:1") // replaced below, once the sink listens
	cfg.Listen = "127.0.0.1:0"
	h := newHarness(t, cfg, Options{})
	sk := startSink(t, h, "")
	sk.SetBounceSubmitter("the relay under test", func(ctx context.Context, to string, msg []byte) error {
		_, err := h.r.Enqueue(ctx, Submission{Recipients: []Recipient{{Address: to}}, Data: msg, Client: "sink"})
		return err
	})
	h.r.paths["primary"].cfg.Host = sk.Addrs()["mx"].String()

	const sender, rcpt = "news@shop.test", "bounce1m+x@r.test"
	id := h.enqueue(sender, rcpt)
	h.runUntil("the late bounce recorded", func() bool { return len(h.terminal(id)[rcpt]) == 2 })
	if k := h.terminal(id)[rcpt]; !reflect.DeepEqual(k, []string{events.RelayDelivered, events.RelayBounced}) {
		t.Errorf("terminal events %v, want delivered then bounced", k)
	}
	var queued []events.Event
	h.runUntil("the late bounce queued", func() bool {
		queued = h.events(events.Filter{Recipient: sender, Kinds: []string{events.RelayQueued}})
		return len(queued) == 1
	})
	if pl := payload(t, queued[0]); pl["bounce_for"] != id || pl["client"] != "sink" {
		t.Errorf("the sink's late bounce's relay.queued %v: want bounce_for %s, from the sink", pl, id)
	}
}

// A DSN with a null sender that names no message of this relay is relayed
// as any other message, and nothing is recorded.
func TestForeignDSNThroughSubmissionIsRelayed(t *testing.T) {
	t.Parallel()
	cfg := testConfig("127.0.0.1:1")
	cfg.Listen = "127.0.0.1:0"
	h := newHarness(t, cfg, Options{})
	sinkAddr := withSink(t, h, "")
	h.r.paths["primary"].cfg.Host = sinkAddr

	data, err := dsn.Build(dsn.BuildOptions{To: "someone@else.test", MessageID: "<d1@mx.else.test>", Date: epoch,
		Original: []byte("From: someone@else.test\r\nSubject: not ours\r\n\r\nx\r\n"), Return: dsn.ReturnHeaders},
		dsn.Report{ReportingMTA: "mx.else.test", Recipients: []dsn.Recipient{{FinalRecipient: "gone@else.test",
			Action: dsn.ActionFailed, Status: "5.1.1", DiagnosticCode: "550 5.1.1 no such user", LastAttempt: epoch}}})
	if err != nil {
		t.Fatal(err)
	}
	c := dialSubmission(t, h.r.Addr().String(), false)
	if err := c.SendMail("", []string{"someone@else.test"}, bytes.NewReader(data)); err != nil {
		t.Fatalf("a foreign DSN was refused: %v", err)
	}
	msgs, err := h.r.List(context.Background(), QueueFilter{})
	if err != nil || len(msgs) != 1 || msgs[0].Sender != "" || msgs[0].Recipients[0].Address != "someone@else.test" {
		t.Fatalf("queue %+v (%v), want the DSN queued to someone@else.test", msgs, err)
	}
	if evs := h.events(events.Filter{Kinds: []string{events.RelayBounced}}); len(evs) != 0 {
		t.Errorf("bounces recorded for a foreign DSN: %+v", evs)
	}
}
