package reports

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/smtp"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/sink"
)

// fakeMessageSink is a sink's record whose attempts carry their message.
type fakeMessageSink []SinkMessageAttempt

func (f fakeMessageSink) AllAttempts(context.Context) ([]SinkAttempt, error) {
	panic("FromSink must read a SinkMessageSource's attempts with their messages")
}

func (f fakeMessageSink) AllMessageAttempts(context.Context) ([]SinkMessageAttempt, error) {
	return f, nil
}

// TestFromSinkPath: a recipient's path is the listener its last attempt
// reached, so that path expectations hold and the CSV shows it.
func TestFromSinkPath(t *testing.T) {
	t.Parallel()
	at := func(min int, listener, rcpt, stage string, code int) SinkAttempt {
		return SinkAttempt{Time: t0.Add(time.Duration(min) * time.Minute), Listener: listener, Client: "127.0.0.1", Recipient: rcpt, Stage: stage, Code: code}
	}
	d, err := FromSink(context.Background(), fakeSink{
		at(0, "mx1", "a@x.test", "rcpt", 451), at(5, "mx2", "a@x.test", "data-end", 250),
		at(1, "mx1", "b@x.test", "data-end", 250),
	})
	if err != nil {
		t.Fatal(err)
	}
	x, err := decodeExp(t, `
recipients:
  - {match: "a@x.test", status: delivered, path: mx2}
  - {match: "b@x.test", path: mx1}
  - {match: "a@x.test", path: mx1}
`)
	if err != nil {
		t.Fatal(err)
	}
	rs := Evaluate(d, x)
	for i, want := range []bool{true, true, false} {
		if rs[i].Pass != want {
			t.Errorf("%s: pass %v, want %v (%s)", rs[i].Name, rs[i].Pass, want, rs[i].Message)
		}
	}
	if !strings.Contains(rs[2].Message, `expected path mx1, got "mx2"`) {
		t.Errorf("the failure does not say which path: %q", rs[2].Message)
	}
	var csv bytes.Buffer
	if err := Write(&csv, "csv", d); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{",a@x.test,x.test,delivered,mx2,", ",b@x.test,x.test,delivered,mx1,"} {
		if !strings.Contains(csv.String(), want) {
			t.Errorf("the CSV lacks %q:\n%s", want, csv.String())
		}
	}
	if s := Summarize(d); len(s.ByPath) != 2 {
		t.Errorf("by path %v, want mx1 and mx2", s.ByPath)
	}
}

// TestFromSinkCountsMessages: SinkMessages counts the messages the sink
// received (one per message, whatever its recipients), SinkAccepted those
// answered with 2xx after the data; attempts that do not say their
// message count none.
func TestFromSinkCountsMessages(t *testing.T) {
	t.Parallel()
	at := func(min int, rcpt, stage string, code int, msg int64) SinkMessageAttempt {
		return SinkMessageAttempt{Message: msg, SinkAttempt: SinkAttempt{Time: t0.Add(time.Duration(min) * time.Minute), Listener: "mx",
			Client: "127.0.0.1", Recipient: rcpt, Stage: stage, Code: code}}
	}
	atts := fakeMessageSink{
		// One message to three recipients, accepted.
		at(0, "a@x.test", "data-end", 250, 7), at(0, "b@x.test", "data-end", 250, 7), at(0, "c@x.test", "data-end", 250, 7),
		// One refused after the dot: received, not accepted.
		at(1, "d@x.test", "data-end", 552, 8),
		// Refused at RCPT: no message.
		at(2, "e@x.test", "rcpt", 550, 0),
	}
	d, err := FromSink(context.Background(), atts)
	if err != nil {
		t.Fatal(err)
	}
	if d.SinkMessages != 2 || d.SinkAccepted != 1 {
		t.Errorf("sink messages %d, accepted %d; want 2 received, 1 accepted", d.SinkMessages, d.SinkAccepted)
	}
	s := Summarize(d)
	if s.SinkMessages != 2 || s.SinkAccepted != 1 {
		t.Errorf("summary: sink messages %d, accepted %d; want 2 and 1", s.SinkMessages, s.SinkAccepted)
	}

	plain := make(fakeSink, len(atts))
	for i, a := range atts {
		plain[i] = a.SinkAttempt
	}
	if d, err = FromSink(context.Background(), plain); err != nil {
		t.Fatal(err)
	}
	if d.SinkMessages != 0 || d.SinkAccepted != 0 || len(d.Recipients) != 5 {
		t.Errorf("without messages: sink messages %d, accepted %d, %d recipients; want 0, 0, 5", d.SinkMessages, d.SinkAccepted, len(d.Recipients))
	}
}

// fakeRecord is a sink's record with replies counted.
type fakeRecord struct {
	fakeSink
	replies  []SinkReply
	sessions int
}

func (f fakeRecord) SinkReplies(context.Context) ([]SinkReply, int, error) {
	return f.replies, f.sessions, nil
}

// TestAddSinkRecord: the record's reply counts replace the log's
// refusals; the sink's recipients stand in only where the log has none;
// a record without sessions changes nothing.
func TestAddSinkRecord(t *testing.T) {
	t.Parallel()
	rec := fakeRecord{
		fakeSink: fakeSink{{Time: t0, Listener: "mx", Recipient: "a@x.test", Stage: "data-end", Code: 250}},
		replies:  []SinkReply{{"connect", 220, 3}, {"data-end", 250, 2}, {"rcpt", 550, 1}},
		sessions: 3,
	}
	d := &Data{SinkReplies: map[string]int{"rcpt 550": 1}}
	if err := d.AddSinkRecord(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(d.SinkReplies); got != "map[connect 220:3 data-end 250:2 rcpt 550:1]" {
		t.Errorf("sink replies %s", got)
	}
	if !d.FromSink || len(d.Recipients) != 1 || d.Recipients[0].Path != "mx" {
		t.Errorf("a store without relay mail: from sink %v, recipients %+v", d.FromSink, d.Recipients)
	}

	relayed := &Data{Recipients: []*Recipient{{Address: "r@y.test", Status: "delivered"}}}
	if err := relayed.AddSinkRecord(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	if relayed.FromSink || len(relayed.Recipients) != 1 || relayed.SinkReplies["data-end 250"] != 2 {
		t.Errorf("a relay's store: from sink %v, %d recipients, replies %v", relayed.FromSink, len(relayed.Recipients), relayed.SinkReplies)
	}

	empty := &Data{SinkReplies: map[string]int{"rcpt 451": 1}}
	if err := empty.AddSinkRecord(context.Background(), fakeRecord{}); err != nil {
		t.Fatal(err)
	}
	if empty.SinkReplies["rcpt 451"] != 1 || empty.FromSink {
		t.Errorf("no sessions: %+v", empty)
	}
}

// storeAttempts reads a real sink's store as relaylab expect --db does.
type storeAttempts struct{ st *store.Store }

func (s storeAttempts) AllAttempts(ctx context.Context) ([]SinkAttempt, error) {
	atts, err := sink.AllAttempts(ctx, s.st.DB())
	var out []SinkAttempt
	for _, a := range atts {
		out = append(out, SinkAttempt{Time: a.Time, Listener: a.Listener, Client: a.Client, Sender: a.Sender, Recipient: a.Recipient,
			Stage: string(a.Stage), Code: a.Reply.Code, Enhanced: a.Reply.Enhanced, Text: a.Reply.Text, TLS: a.TLS})
	}
	return out, err
}

// TestFromSinkPathRealSink: path expectations against a sink with two
// listeners, mx1 deferring late@ and mx2 taking it.
func TestFromSinkPathRealSink(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	logger := slog.New(slog.DiscardHandler)
	st, err := store.Open(ctx, store.Options{Path: filepath.Join(t.TempDir(), "sink.db"), Sync: store.SyncOff, Clock: clock.Real{}, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := sink.DefaultConfig()
	cfg.Listeners = []sink.ListenerConfig{sink.DefaultListener("mx1", "127.0.0.1:0", "mx1.sink.test"), sink.DefaultListener("mx2", "127.0.0.1:0", "mx2.sink.test")}
	cfg.Bounce.Relay = ""
	cfg.Rules = []sink.Rule{{Stage: "rcpt", Listener: "mx1", Recipient: "late@*", Reply: "451 4.7.1 not here, try mx2"}}
	snk, err := sink.New(cfg, sink.Options{Store: st, Clock: clock.Real{}, Logger: logger, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := snk.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer snk.Shutdown(ctx)
	for _, s := range []struct{ listener, rcpt string }{{"mx1", "one@x.test"}, {"mx2", "two@x.test"}, {"mx1", "late@x.test"}, {"mx2", "late@x.test"}} {
		sendPlain(t, snk.Addrs()[s.listener].String(), s.rcpt)
	}
	if err := snk.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	d, err := FromSink(ctx, storeAttempts{st})
	if err != nil {
		t.Fatal(err)
	}
	x, err := decodeExp(t, `
recipients:
  - {match: "one@x.test", status: delivered, path: mx1}
  - {match: "two@x.test", status: delivered, path: mx2}
  - {match: "late@x.test", status: delivered, attempts: 2, path: mx2}
`)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range Evaluate(d, x) {
		if !r.Pass {
			t.Errorf("%s: %s", r.Name, r.Message)
		}
	}
}

// sendPlain sends one message in plaintext; a refused recipient ends the
// transaction there.
func sendPlain(t *testing.T, addr, rcpt string) {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("client.test"); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail("app@sender.test"); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt(rcpt); err != nil {
		c.Quit()
		return
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(w, "From: app@sender.test\r\nTo: %s\r\nSubject: path\r\n\r\nHello.\r\n", rcpt)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	c.Quit()
}

// TestFromSinkNoReplySaysWhy: an attempt the sink recorded without a
// reply keeps the sink's own account of why (the client left, or the
// sink dropped the connection on purpose and by which directive), instead
// of one sentence for every case.
func TestFromSinkNoReplySaysWhy(t *testing.T) {
	t.Parallel()
	d, err := FromSink(context.Background(), fakeSink{
		{Time: t0, Listener: "mx", Client: "127.0.0.1", Recipient: "rcptdrop@x.test", Stage: "rcpt",
			Text: "the sink dropped the connection on purpose at RCPT (directive rcptdrop)"},
		{Time: t0, Listener: "mx", Client: "127.0.0.1", Recipient: "old@x.test", Stage: "data"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"rcptdrop@x.test": "no reply: the sink dropped the connection on purpose at RCPT (directive rcptdrop)",
		"old@x.test":      "no reply: connection dropped or left hanging at data",
	}
	for _, r := range d.Recipients {
		if got := r.Attempts[0].Reply(); got != want[r.Address] {
			t.Errorf("%s: %q, want %q", r.Address, got, want[r.Address])
		}
	}
}
