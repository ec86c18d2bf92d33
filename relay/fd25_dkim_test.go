package relay

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"
	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/testutil"
)

// fd25Signing is a relay with a submission listener that signs
// shop.test's mail, sending to a fake MTA.
func fd25Signing(t *testing.T, opts Options) *harness {
	t.Helper()
	cfg := testConfig(startMTA(t, nil).addr)
	cfg.Listen = "127.0.0.1:0"
	_, cfg.DKIM = ed25519Keys(t, "shop.test")
	return newHarness(t, cfg, opts)
}

// TestFD25QueuedNotesTravel: the note on a message the relay signs with
// a line over 998 octets was written (queuedNotes) but went nowhere: now
// each recipient's relay.queued event carries it in notes, whether the
// message came through Enqueue (the HTTP API) or the submission
// listener, and QueuedNotes reads it back for queue show. A message no
// key signs, or without a long line, has no notes field.
func TestFD25QueuedNotesTravel(t *testing.T) {
	t.Parallel()
	h := fd25Signing(t, Options{})
	ctx := context.Background()
	long := "From: <news@shop.test>\r\nSubject: hi\r\n\r\nfirst\r\n" + strings.Repeat("x", 1201) + "\r\n"
	enqueue := func(sender, data string) string {
		t.Helper()
		id, err := h.r.Enqueue(ctx, Submission{From: sender, Data: []byte(data), Client: "http",
			Recipients: []Recipient{{Address: "a@r.test"}, {Address: "b@r.test"}}})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	payloadNotes := func(id string) [][]string {
		t.Helper()
		var out [][]string
		for _, e := range h.events(events.Filter{Message: id, Kinds: []string{events.RelayQueued}}) {
			var pl struct {
				Notes []string `json:"notes"`
			}
			if err := json.Unmarshal(e.Payload, &pl); err != nil {
				t.Fatal(err)
			}
			out = append(out, pl.Notes)
		}
		return out
	}
	check := func(how, id string, rcpts int) {
		t.Helper()
		all := payloadNotes(id)
		if len(all) != rcpts {
			t.Fatalf("%s: %d relay.queued events, want %d", how, len(all), rcpts)
		}
		for _, notes := range all {
			if len(notes) != 1 || !strings.Contains(notes[0], "the relay signs this message with DKIM, and its longest line (line 2 of the body) is 1201 octets") {
				t.Errorf("%s: relay.queued notes %q", how, notes)
			}
		}
		got, err := h.r.QueuedNotes(ctx, id)
		if err != nil || len(got) != 1 || got[0] != all[0][0] {
			t.Errorf("%s: QueuedNotes %q, %v; want the event's", how, got, err)
		}
	}
	check("Enqueue", enqueue("bounce@shop.test", long), 2)

	c := dialSubmission(t, h.r.Addr().String(), false)
	if err := c.SendMail("bounce@shop.test", []string{"c@r.test"}, strings.NewReader(long)); err != nil {
		t.Fatal(err)
	}
	var submitted string
	for _, e := range h.events(events.Filter{Kinds: []string{events.RelayQueued}}) {
		if e.Recipient == "c@r.test" {
			submitted = e.Message
		}
	}
	check("submission", submitted, 1)

	for _, tt := range []struct{ name, sender, data string }{
		{"no key", "bounce@other.test", strings.Replace(long, "shop.test", "other.test", 1)},
		{"short lines", "bounce@shop.test", "From: <news@shop.test>\r\nSubject: hi\r\n\r\n" + strings.Repeat("x", 998) + "\r\n"},
	} {
		id := enqueue(tt.sender, tt.data)
		for _, e := range h.events(events.Filter{Message: id, Kinds: []string{events.RelayQueued}}) {
			if strings.Contains(string(e.Payload), `"notes"`) {
				t.Errorf("%s: payload %s", tt.name, e.Payload)
			}
		}
		if got, err := h.r.QueuedNotes(ctx, id); got != nil || err != nil {
			t.Errorf("%s: QueuedNotes %q, %v", tt.name, got, err)
		}
	}
}

// TestFD25EnqueueRefusesFromFields: the HTTP API (Enqueue) queued a
// message with several From fields that a relay.dkim key applies to,
// which then went out unsigned, while the submission listener refused it
// at the dot. Enqueue now refuses it too, before anything is recorded,
// with a *FromFieldsError that is an ErrInvalidSubmission (the web
// answers 400) and says what the 554 says; it is logged as the
// listener's refusal is. One no key applies to is queued.
func TestFD25EnqueueRefusesFromFields(t *testing.T) {
	t.Parallel()
	var logs testutil.SyncBuffer
	h := fd25Signing(t, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	ctx := context.Background()
	two := "From: <news@shop.test>\r\nFrom: <ceo@bank.test>\r\nTo: b@r.test\r\nSubject: hi\r\n\r\nbody\r\n"
	sub := Submission{From: "bounce@esp.test", Data: []byte(two), Client: "http", Recipients: []Recipient{{Address: "b@r.test"}}}
	id, err := h.r.Enqueue(ctx, sub)
	var fe *FromFieldsError
	if !errors.As(err, &fe) || !errors.Is(err, ErrInvalidSubmission) || id != "" {
		t.Fatalf("Enqueue: %q, %v; want a *FromFieldsError that is ErrInvalidSubmission", id, err)
	}
	if fe.Fields != 2 || fe.Domain != "shop.test" {
		t.Errorf("refusal %+v, want 2 From fields and shop.test", fe)
	}
	if evs := h.events(events.Filter{Kinds: []string{events.RelayQueued}}); len(evs) != 0 {
		t.Errorf("refused, yet %d relay.queued events", len(evs))
	}
	if !strings.Contains(logs.String(), "refused a message with several From fields") || !strings.Contains(logs.String(), "client=http") {
		t.Errorf("the refusal is not logged with its client:\n%s", logs.String())
	}
	// The same words as the submission listener's 554 5.6.0.
	werr := fd24Submit(t, h.r.Addr().String(), sub.From, two)
	se, ok := werr.(*smtp.SMTPError)
	if !ok || se.Code != 554 || !strings.EqualFold(se.Message, fe.Reason()) || !strings.HasPrefix(se.Message, "The message has 2 From fields") {
		t.Errorf("submission: %v; want 554 saying %q", werr, fe.Reason())
	}
	if _, err := h.r.EnqueueAll(ctx, []Submission{sub}); !errors.As(err, &fe) {
		t.Errorf("EnqueueAll: %v, want the refusal", err)
	}
	sub.From, sub.Data = "bounce@other.test", []byte(strings.ReplaceAll(two, "shop.test", "other.test"))
	if _, err := h.r.Enqueue(ctx, sub); err != nil {
		t.Errorf("no key applies: %v, want it queued", err)
	}
}
