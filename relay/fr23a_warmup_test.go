package relay

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/relaylab/relaylab/internal/events"
)

// warmConfig is testConfig(addr) with a warm-up cap of caps from the
// harness's first day.
func warmConfig(addr string, caps ...int) Config {
	cfg := testConfig(addr)
	cfg.Paths[0].Warmup = caps
	cfg.Paths[0].WarmupStart = epoch.Format("2006-01-02")
	cfg.Retry.MaxAge = dur(5 * 24 * time.Hour)
	return cfg
}

// deliveredDay is the day of the warm-up (0: the first) on which message
// id's recipient rcpt was delivered, or -1.
func (h *harness) deliveredDay(id, rcpt string) int {
	h.t.Helper()
	for _, e := range h.events(events.Filter{Message: id, Recipient: rcpt, Kinds: []string{events.RelayDelivered}}) {
		return int(e.Time.Sub(epoch.Truncate(24*time.Hour)) / (24 * time.Hour))
	}
	return -1
}

// TestFR23aWarmupCountsMessagesHandedOnce: a warm-up cap counts the
// messages the path handed to a server that day, each once. It counted
// every job: a retry of the same message, each recipient domain's job of
// one message, and a job a resting destination then held back (nothing
// sent), so a cap of 2 held the second message of the day to the next.
func TestFR23aWarmupCountsMessagesHandedOnce(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		mta  func(*fakeMTA)
		// send enqueues the day's mail, running the harness as it needs;
		// it returns each message with its recipients.
		send func(h *harness) map[string][]string
	}{
		{"a retry the same day", func(f *fakeMTA) {
			var tries atomic.Int32
			f.onRcpt = func(to string) error {
				if to == "first@r.test" && tries.Add(1) == 1 {
					return smtpErr(451, smtp.EnhancedCode{4, 3, 0}, "try again later")
				}
				return nil
			}
		}, func(h *harness) map[string][]string {
			a := h.enqueue("s@s.test", "first@r.test")
			h.runUntil("the 451", h.deferrals(a, 1))
			b := h.enqueue("s@s.test", "second@r.test")
			return map[string][]string{a: {"first@r.test"}, b: {"second@r.test"}}
		}},
		{"one message to two domains", nil, func(h *harness) map[string][]string {
			a := h.enqueue("s@s.test", "x@a.test", "y@b.test")
			h.runUntil("both domains", h.done(a, 2))
			b := h.enqueue("s@s.test", "z@c.test")
			return map[string][]string{a: {"x@a.test", "y@b.test"}, b: {"z@c.test"}}
		}},
		{"a job a rest held back", func(f *fakeMTA) {
			var tries atomic.Int32
			f.onMail = func(string) error {
				if tries.Add(1) == 1 {
					return smtpErr(421, smtp.EnhancedCode{4, 7, 0}, "too fast, come back later")
				}
				return nil
			}
		}, func(h *harness) map[string][]string {
			a := h.enqueue("s@s.test", "first@r.test")
			h.runUntil("the 421", h.deferrals(a, 1))
			b := h.enqueue("s@s.test", "second@r.test") // held by the rest: nothing sent
			h.runUntil("the rest's hold", h.deferrals(b, 1))
			return map[string][]string{a: {"first@r.test"}, b: {"second@r.test"}}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mta := startMTA(t, tt.mta)
			h := newHarness(t, warmConfig(mta.addr, 2, 4), Options{})
			msgs := tt.send(h)
			h.runUntil("all delivered", func() bool {
				for id, to := range msgs {
					if !h.done(id, len(to))() {
						return false
					}
				}
				return true
			})
			for id, to := range msgs {
				for _, a := range to {
					if day := h.deliveredDay(id, a); day != 0 {
						t.Errorf("%s of %s delivered on day %d, want day 0: two messages are within the first day's cap of 2, however many jobs and tries they took; events %v",
							a, id, day, h.deferredTexts(id))
					}
				}
			}
		})
	}
}

// deferredTexts are the replies of message id's relay.deferred events, for
// a failure's message.
func (h *harness) deferredTexts(id string) []string {
	h.t.Helper()
	var out []string
	for _, e := range h.events(events.Filter{Message: id, Kinds: []string{events.RelayDeferred}}) {
		rep, _ := payload(h.t, e)["reply"].(map[string]any)
		out = append(out, rep["text"].(string))
	}
	return out
}

// TestFR23aWarmupRestoreCountsWhatWasHanded: at start the day's count is
// read back by what the cap counts, the messages handed to a server. It
// counted every message with an attempt, a refused connection too, so
// that after a restart the message itself was held to the next day
// although the day's cap of 1 had sent nothing.
func TestFR23aWarmupRestoreCountsWhatWasHanded(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	down := warmConfig(closedAddr(t), 1)
	h := newHarness(t, down, Options{})
	a := h.enqueue("s@s.test", "first@r.test")
	h.runUntil("the refused connection", h.deferrals(a, 1))
	if err := h.r.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, h2 := restartWith(t, h, warmConfig(mta.addr, 1)) // the server is back
	h2.runUntil("the retry", h2.done(a, 1))
	if day := h2.deliveredDay(a, "first@r.test"); day != 0 {
		t.Errorf("delivered on day %d, want day 0: the refused connection handed nothing to a server, so the day's cap of 1 had room; holds %v", day, h2.deferredTexts(a))
	}
}

// TestFR23aWarmupHeldMailFirstWhenRoom: mail the cap held goes as soon as
// the day's count has room, oldest first: after a restart whose cap has
// room (raised here), the held message goes at once, before a message
// queued after it, which the cap then holds. The held message stayed held
// to the next day while the newer one was sent. The hold gives the day's
// count.
func TestFR23aWarmupHeldMailFirstWhenRoom(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	mta := startMTA(t, nil)
	h := newHarness(t, warmConfig(mta.addr, 1), Options{Ordered: true})
	first := h.enqueue("s@s.test", "first@r.test")
	h.runUntil("the first", h.done(first, 1))
	held := h.enqueue("s@s.test", "held@r.test")
	h.runUntil("the cap's hold", h.deferrals(held, 1))
	if got, want := h.deferredTexts(held)[0], "path primary reached its warm-up cap for the day (1 of 1 messages today, day 1 of the warm-up); it opens again at 2026-03-02T00:00:00Z"; got != want {
		t.Errorf("hold %q, want %q", got, want)
	}
	if err := h.r.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	h.v.Advance(time.Minute)
	raised := warmConfig(mta.addr, 2)
	r2, err := New(raised, Options{Store: h.store, Clock: h.v, Logger: slog.New(slog.DiscardHandler), Ordered: true})
	if err != nil {
		t.Fatal(err)
	}
	h2 := &harness{t: t, v: h.v, store: h.store, r: r2}
	newer := h2.enqueue("s@s.test", "newer@r.test") // queued while no relay ran
	h.v.Advance(time.Minute)
	if err := r2.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r2.Shutdown(ctx) })
	h2.runUntil("both sent", func() bool { return h2.done(held, 1)() && h2.done(newer, 1)() })
	if day := h2.deliveredDay(held, "held@r.test"); day != 0 {
		t.Errorf("the held message went on day %d, want day 0: the raised cap of 2 had room for it at the restart; holds %v", day, h2.deferredTexts(held))
	}
	if day := h2.deliveredDay(newer, "newer@r.test"); day != 1 {
		t.Errorf("the newer message went on day %d, want day 1: the held one, older, takes the day's last place", day)
	}
	if got := h2.deferredTexts(newer); len(got) == 0 || !strings.Contains(got[0], "(2 of 2 messages today, day 1 of the warm-up)") {
		t.Errorf("the newer message's holds %q: want the day's count, 2 of 2", got)
	}
}

// TestFR23aWarmupRoomGivenBackSendsHeld: a job that takes the day's last
// place and then hands nothing to a server (its MX hosts greet 421 and
// refuse) gives the place back, and the message the cap held meanwhile
// goes that day. It waited for the next day while the place stood empty.
func TestFR23aWarmupRoomGivenBackSendsHeld(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	mta := startMTA(t, nil)
	greet := make(chan struct{})
	busy := busyGreeter(t, greet) // down.test's first MX host
	d := &mapDialer{to: map[string]string{"192.0.2.3:25": busy, "192.0.2.5:25": mta.addr}}
	cfg := testConfig("unused:25")
	cfg.Paths = []PathConfig{{Name: "direct", Type: "mx", TLS: "none", Warmup: []int{1}, WarmupStart: epoch.Format("2006-01-02")}}
	cfg.Routes = []RouteConfig{{Name: "all", Paths: []string{"direct"}}}
	cfg.Retry.MaxAge = dur(5 * 24 * time.Hour)
	h := newHarness(t, cfg, Options{Resolver: r1Zone, Dialer: d, Ordered: true})
	sub := func(to string) Submission {
		return Submission{From: "s@s.test", Recipients: []Recipient{{Address: to}}, Data: []byte("Subject: t\r\n\r\nHi.\r\n")}
	}
	ids, err := h.r.EnqueueAll(ctx, []Submission{sub("a@down.test"), sub("b@one.test")})
	if err != nil {
		t.Fatal(err)
	}
	down, held := ids[0], ids[1]
	// The first holds the day's place while its first MX host keeps it
	// waiting for a greeting; the second meets the cap.
	for deadline := time.Now().Add(10 * time.Second); !h.deferrals(held, 1)(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the second message was never held by the cap: events %v", h.deferredTexts(held))
		}
	}
	close(greet)
	h.runUntil("the first deferred", h.deferrals(down, 1))
	h.runUntil("the held message sent", h.done(held, 1))
	if day := h.deliveredDay(held, "b@one.test"); day != 0 {
		t.Errorf("the held message went on day %d, want day 0: the first message handed nothing to a server and gave the day's place back; holds %v", day, h.deferredTexts(held))
	}
}

// busyGreeter is a server that, once greet is closed, greets every
// connection with 421 and closes it; it returns its address.
func busyGreeter(t *testing.T, greet <-chan struct{}) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				<-greet
				c.Write([]byte("421 4.3.2 busy, try later\r\n"))
			}()
		}
	}()
	return l.Addr().String()
}
