package reports

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

type fakeLog []events.Event

var _ EventSource = fakeLog(nil)

func (l fakeLog) Events(_ context.Context, f events.Filter) ([]events.Event, error) {
	var out []events.Event
	for _, e := range l {
		if e.ID > f.AfterID && f.Match(e) {
			out = append(out, e)
			if f.Limit > 0 && len(out) == f.Limit {
				break
			}
		}
	}
	return out, nil
}

var t0 = time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)

func sampleLog() fakeLog {
	var l fakeLog
	add := func(min int, kind, msg, rcpt string, p map[string]any) {
		e := events.Event{ID: int64(len(l) + 1), Time: t0.Add(time.Duration(min) * time.Minute), Kind: kind, Message: msg, Recipient: rcpt}
		if p != nil {
			e = e.WithPayload(p)
		}
		l = append(l, e)
	}
	add(0, events.RelayQueued, "m1", "ok@a.test", nil)
	add(0, events.RelayQueued, "m1", "grey@b.test", nil)
	add(0, events.RelayQueued, "m2", `<script>x</script>@c.test`, nil)
	add(0, events.RelayAttempt, "m1", "ok@a.test", map[string]any{"path": "local-sink", "host": "127.0.0.1:2525", "code": 250, "enhanced": "2.0.0", "text": "OK", "latency_ms": 12.5, "tls": "", "cipher": ""})
	add(0, events.RelayDelivered, "m1", "ok@a.test", map[string]any{"path": "local-sink"})
	add(0, events.RelayAttempt, "m1", "grey@b.test", map[string]any{"path": "local-sink", "code": 451, "enhanced": "4.7.1", "text": "greylisted", "latency_ms": 10})
	add(0, events.RelayDeferred, "m1", "grey@b.test", map[string]any{"category": "greylisted"})
	add(5, events.RelayAttempt, "m1", "grey@b.test", map[string]any{"path": "local-sink", "reply": map[string]any{"stage": "data", "code": 250, "enhanced": "2.0.0", "text": "OK"}, "latency_ms": 20,
		"tls": "TLS 1.3", "cipher": "TLS_AES_128_GCM_SHA256"})
	add(5, events.RelayDelivered, "m1", "grey@b.test", nil)
	add(1, events.RelayAttempt, "m2", `<script>x</script>@c.test`, map[string]any{"path": "mx", "code": 550, "enhanced": "5.1.1", "text": "no such user | really", "latency_ms": 30})
	add(1, events.RelayBounced, "m2", `<script>x</script>@c.test`, map[string]any{"category": "invalid-recipient", "reason": "the mailbox does not exist", "advice": "check the address"})
	add(1, events.RelayDSN, "m2", `<script>x</script>@c.test`, map[string]any{"status": "5.1.1", "action": "failed"})
	add(1, events.SinkReply, "", "", map[string]any{"stage": "rcpt", "code": 550})
	return l
}

func TestLoadAndSummarize(t *testing.T) {
	t.Parallel()
	d, err := Load(context.Background(), sampleLog())
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Recipients) != 3 {
		t.Fatalf("%d recipients, want 3", len(d.Recipients))
	}
	bad := d.Recipients[2]
	if bad.Status != "bounced" || bad.Category != "invalid-recipient" || !bad.DSN || bad.LastReply() != "550 5.1.1 no such user | really" {
		t.Errorf("bounced recipient = %+v", bad)
	}
	grey := d.Recipients[0]
	if grey.Status != "delivered" || len(grey.Attempts) != 2 || grey.Category != "greylisted" {
		t.Errorf("greylisted recipient = %+v", grey)
	}
	s := Summarize(d)
	for key, want := range map[string]int{"delivered": 2, "bounced": 1} {
		if got := Get(s.ByStatus, key); got != want {
			t.Errorf("ByStatus[%s] = %d, want %d", key, got, want)
		}
	}
	if got := Get(s.ByCode, "250 2.0.0"); got != 2 {
		t.Errorf("ByCode[250 2.0.0] = %d, want 2", got)
	}
	var text strings.Builder
	if err := Write(&text, "text", d); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "by category, not delivered") || strings.Contains(text.String(), "bounce category") {
		t.Errorf("the category table must say it counts all undelivered recipients (deferred too), not only bounces:\n%s", text.String())
	}
	if got := Get(s.ByCategory, "greylisted"); got != 0 {
		t.Errorf("a delivered recipient's deferral category counted as a bounce category")
	}
	if s.TimeToDelivery.N != 2 || s.TimeToDelivery.Max != 5*60*1000 || s.TimeToDelivery.P50 != 0 {
		t.Errorf("TimeToDelivery = %+v", s.TimeToDelivery)
	}
	if s.Latency.N != 4 || s.Latency.P50 != 12.5 || s.Latency.Max != 30 {
		t.Errorf("Latency = %+v", s.Latency)
	}
	if Get(s.SinkReplies, "rcpt 550") != 1 {
		t.Errorf("SinkReplies = %+v", s.SinkReplies)
	}
}

func TestFormats(t *testing.T) {
	t.Parallel()
	d, _ := Load(context.Background(), sampleLog())
	for _, f := range Formats {
		var b bytes.Buffer
		if err := Write(&b, f, d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out := b.String()
		switch f {
		case "json":
			var v struct {
				Summary    Summary
				Recipients []Recipient
			}
			if err := json.Unmarshal(b.Bytes(), &v); err != nil || len(v.Recipients) != 3 {
				t.Errorf("json: %v, %d recipients", err, len(v.Recipients))
			}
		case "csv":
			rows, err := csv.NewReader(&b).ReadAll()
			if err != nil || len(rows) != 4 || rows[3][3] != "bounced" {
				t.Errorf("csv: %v %q", err, rows)
			}
		case "junit":
			var v junitSuites
			if err := xml.Unmarshal(b.Bytes(), &v); err != nil {
				t.Fatalf("junit: %v", err)
			}
			if s := v.Suites[0]; s.Tests != 3 || s.Failures != 1 || !strings.Contains(s.Cases[2].Failure.Message, "550 5.1.1") ||
				!strings.Contains(s.Cases[2].Failure.Text, "what to do: check the address") {
				t.Errorf("junit suite = %+v", s)
			}
		case "html":
			if strings.Contains(out, "<script>x") {
				t.Error("html: recipient address not escaped")
			}
			if !strings.Contains(out, "&lt;script&gt;x&lt;/script&gt;@c.test") || !strings.Contains(out, "<svg") || !strings.Contains(out, "what to do: check the address") {
				t.Error("html: missing escaped address or charts")
			}
		case "markdown":
			if !strings.Contains(out, `no such user \| really`) || strings.Contains(out, "<script>") {
				t.Errorf("markdown not escaped:\n%s", out)
			}
		case "text":
			if !strings.Contains(out, "why: the mailbox does not exist\n  what to do: check the address\n") || !strings.Contains(out, "#1  +1m0s") {
				t.Errorf("text:\n%s", out)
			}
		}
	}
	if err := Write(&bytes.Buffer{}, "pdf", d); err == nil || !strings.Contains(err.Error(), "want one of") {
		t.Errorf("unknown format error = %v", err)
	}
}

// TestTextSinkOnlyStore: a store that only the sink wrote (relaylab sink as
// the receiving side of someone else's sender) says so and points at
// expect, instead of showing "recipients 0" as if nothing had happened.
func TestTextSinkOnlyStore(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	if err := Write(&b, "text", &Data{SinkReplies: map[string]int{"rcpt 451": 2, "data-end 250": 1}, SinkMessages: 1}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "only what the sink received") || !strings.Contains(b.String(), "relaylab expect --db") {
		t.Errorf("a sink-only store's report does not say what it holds:\n%s", b.String())
	}
	b.Reset()
	if err := Write(&b, "text", &Data{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "only what the sink received") {
		t.Errorf("an empty store is called a sink-only one:\n%s", b.String())
	}
}
