package sink

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/events"
)

// With pregreet: on a listener, a client that speaks before the greeting
// is refused in its place and its session recorded with why; one that
// waits is greeted after the wait.
func TestPregreetRefused(t *testing.T) {
	t.Parallel()
	v := clock.NewVirtual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	s, st := testSink(t, v, func(c *Config) {
		c.Listeners[0].Pregreet = &PregreetConfig{}
		l2 := DefaultListener("mx2", "127.0.0.1:0", "mx2.sink.test")
		l2.Pregreet = &PregreetConfig{Wait: config.Duration(2 * time.Second), Reply: "554 5.7.1 Go away, bot"}
		c.Listeners = append(c.Listeners, l2)
	})
	addr := addrOf(t, s, "mx")

	early := dial(t, addr)
	if err := early.tp.PrintfLine("EHLO early.test"); err != nil {
		t.Fatal(err)
	}
	advanceWhenWaiting(t, v, 6*time.Second)
	code, msg := early.read()
	if code != 521 || msg != "5.5.1 sink.relaylab.test Protocol error: you sent before the greeting (RFC 5321 4.3.1: a client waits for the 220)" {
		t.Fatalf("a client that spoke first: got %d %q, want 521 5.5.1", code, msg)
	}
	if code, _ := early.read(); code != 0 {
		t.Fatalf("after the 521: got %d, want the connection closed", code)
	}
	waitSessions(t, st, 1)

	polite := dial(t, addr)
	advanceWhenWaiting(t, v, 6*time.Second)
	polite.greet()
	polite.expect(221, "", "QUIT")
	waitSessions(t, st, 2)

	// A 554 keeps the connection until QUIT (RFC 5321 3.1): what the
	// client sent first is answered as any command after it.
	bot := dial(t, addrOf(t, s, "mx2"))
	if err := bot.tp.PrintfLine("EHLO bot.test"); err != nil {
		t.Fatal(err)
	}
	advanceWhenWaiting(t, v, 2*time.Second)
	if code, msg := bot.read(); code != 554 || msg != "5.7.1 Go away, bot" {
		t.Fatalf("mx2: got %d %q, want the listener's 554", code, msg)
	}
	if code, _ := bot.read(); code != 503 {
		t.Fatalf("the EHLO sent first: got %d, want 503", code)
	}
	bot.expect(221, "", "QUIT")
	waitSessions(t, st, 3)

	for id, want := range map[int64][]string{
		1: {"* pregreet: the greeting waits 6s", `* the client spoke before the greeting: 17 octets were waiting after 6s ("EHLO early.test\r\n"): refused`, "* reply by pregreet\n", "S 521 5.5.1 "},
		2: {"* pregreet: the greeting waits 6s", "S 220 sink.relaylab.test ESMTP"},
		3: {"* pregreet: the greeting waits 2s", "* reply by pregreet\n", "S 554 5.7.1 Go away, bot", "C EHLO bot.test", "S 503 5.5.1", "S 221"},
	} {
		ss, err := SessionByID(context.Background(), st.DB(), id)
		if err != nil {
			t.Fatal(err)
		}
		at := 0
		for _, w := range want {
			i := strings.Index(ss.Transcript[at:], w)
			if i < 0 {
				t.Errorf("session %d: transcript lacks %q (in order):\n%s", id, w, ss.Transcript)
				break
			}
			at += i + len(w)
		}
		if id == 2 && strings.Contains(ss.Transcript, "spoke before") {
			t.Errorf("session 2 waited, yet:\n%s", ss.Transcript)
		}
	}
	evs, err := st.Events(context.Background(), events.Filter{Kinds: []string{events.SinkReply}})
	if err != nil {
		t.Fatal(err)
	}
	var by []string
	for _, e := range evs {
		var p struct {
			Code int    `json:"code"`
			By   string `json:"by"`
		}
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			t.Fatal(err)
		}
		if p.By == "pregreet" {
			by = append(by, e.Listener)
		}
	}
	if strings.Join(by, ",") != "mx,mx2" {
		t.Errorf("sink.reply events by pregreet on %v, want mx and mx2", by)
	}
}

func TestPregreetConfig(t *testing.T) {
	t.Parallel()
	l := "sink:\n  listeners:\n    - name: mx2\n      listen: 127.0.0.1:0\n"
	for _, tc := range []struct {
		name, doc string
		want      []string
	}{
		{"implicit TLS", l + "      tls: implicit\n      pregreet: {wait: 3s}\n",
			[]string{"sink.yaml:6:", "sink.listeners[0].pregreet:", "TLS hello"}},
		{"negative wait", l + "      pregreet: {wait: -1s}\n",
			[]string{"sink.listeners[0].pregreet.wait: -1s: must not be negative"}},
		{"wait too long", l + "      pregreet:\n        wait: 10m\n",
			[]string{"sink.yaml:6:", "sink.listeners[0].pregreet.wait: 10m0s is over 5m", "RFC 5321 4.5.3.2.1"}},
		{"2xx reply", l + "      pregreet: {reply: \"220 hello\"}\n",
			[]string{"sink.listeners[0].pregreet.reply:", "want a 4xx or 5xx"}},
		{"bad enhanced code", l + "      pregreet: {reply: \"521 5.5 no\"}\n",
			[]string{"sink.listeners[0].pregreet.reply:", "x.y.z"}},
		{"unknown key", l + "      pregreet: {wiat: 3s}\n",
			[]string{"wiat"}},
	} {
		_, err := decodeSink(t, tc.doc)
		wantInOrder(t, tc.name, err, tc.want...)
	}
	cfg, err := decodeSink(t, l+"      pregreet: {}\n")
	if err != nil || cfg.Listeners[0].Pregreet == nil {
		t.Errorf("pregreet: {}: %v, %+v; want it on with its defaults", err, cfg.Listeners[0].Pregreet)
	}
	if DefaultListener("mx", "", "").Pregreet != nil {
		t.Error("pregreet is on by default")
	}
}
