package web

import (
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
)

// signInFrom sends one request to h as the client at addr would, with
// hdr's pairs as headers (a form body when "form" is among them), and
// returns the answer.
func signInFrom(h http.Handler, addr, method, path string, hdr ...string) *httptest.ResponseRecorder {
	var req *http.Request
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i] == "form" {
			req = httptest.NewRequest(method, path, strings.NewReader(hdr[i+1]))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	}
	if req == nil {
		req = httptest.NewRequest(method, path, nil)
	}
	req.RemoteAddr = addr
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i] != "form" {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestSec25SignInGuessesLimited: an address that gave guessBurst wrong
// secrets, by any of the ways in, has its next ones refused with 429
// unread, the right one included, until guessEvery has passed; a session
// already started and another address are not held up.
func TestSec25SignInGuessesLimited(t *testing.T) {
	t.Parallel()
	basic := func(u, p string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(u+":"+p)) }
	for _, tc := range []struct {
		name         string
		wrong, right []string // method, path, then header pairs
	}{
		{"bearer", []string{"GET", "/api/v1/events", "Authorization", "Bearer nope"},
			[]string{"GET", "/api/v1/events", "Authorization", "Bearer s3cret-token"}},
		{"basic", []string{"GET", "/metrics", "Authorization", basic("ops", "nope")},
			[]string{"GET", "/metrics", "Authorization", basic("ops", "pw-long-enough")}},
		{"link", []string{"GET", "/?token=nope", "Accept", "text/html"},
			[]string{"GET", "/?token=s3cret-token", "Accept", "text/html"}},
		{"form", []string{"POST", "/", "form", url.Values{"token": {"nope"}}.Encode()},
			[]string{"POST", "/", "form", url.Values{"token": {"s3cret-token"}}.Encode()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clk := clock.NewVirtual(testEpoch)
			s, err := New(Options{Store: openStore(t, clk), Logger: slog.New(slog.DiscardHandler),
				Auth: Auth{Token: "s3cret-token", User: "ops", Password: "pw-long-enough"}})
			if err != nil {
				t.Fatal(err)
			}
			h := s.Handler()
			const attacker, other = "127.0.0.1:40001", "192.0.2.8:40002"
			// A browser signed in before the guessing starts.
			signIn := signInFrom(h, attacker, "GET", "/?token=s3cret-token")
			var cookie string
			for _, c := range signIn.Result().Cookies() {
				if c.Name == sessionCookie {
					cookie = c.Name + "=" + c.Value
				}
			}
			if cookie == "" {
				t.Fatalf("sign-in by link: %d, no session cookie", signIn.Code)
			}
			for i := range guessBurst {
				if rec := signInFrom(h, attacker, tc.wrong[0], tc.wrong[1], tc.wrong[2:]...); rec.Code != http.StatusUnauthorized {
					t.Fatalf("wrong secret %d: got %d %s, want 401", i+1, rec.Code, rec.Body)
				}
			}
			rec := signInFrom(h, attacker, tc.right[0], tc.right[1], tc.right[2:]...)
			if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "6" {
				t.Fatalf("right secret after %d wrong ones: got %d (Retry-After %q) %s, want 429 and Retry-After 6",
					guessBurst, rec.Code, rec.Header().Get("Retry-After"), rec.Body)
			}
			if e := wantAPIError(t, rec.Body.Bytes()); !strings.Contains(e.Detail, "try again in 6 s") {
				t.Fatalf("429's detail %q does not say when to try again", e.Detail)
			}
			if rec := signInFrom(h, attacker, "GET", "/api/v1/events", "Cookie", cookie); rec.Code != http.StatusOK {
				t.Fatalf("session started before: got %d %s, want 200", rec.Code, rec.Body)
			}
			if rec := signInFrom(h, other, tc.right[0], tc.right[1], tc.right[2:]...); rec.Code == http.StatusTooManyRequests || rec.Code == http.StatusUnauthorized {
				t.Fatalf("another address: got %d %s", rec.Code, rec.Body)
			}
			clk.Advance(guessEvery)
			if rec := signInFrom(h, attacker, tc.right[0], tc.right[1], tc.right[2:]...); rec.Code == http.StatusTooManyRequests || rec.Code == http.StatusUnauthorized {
				t.Fatalf("right secret %v later: got %d %s", guessEvery, rec.Code, rec.Body)
			}
			// One try came back, and it is spent again by one wrong one.
			signInFrom(h, attacker, tc.wrong[0], tc.wrong[1], tc.wrong[2:]...)
			if rec := signInFrom(h, attacker, tc.wrong[0], tc.wrong[1], tc.wrong[2:]...); rec.Code != http.StatusTooManyRequests {
				t.Fatalf("wrong secret after the try that came back: got %d, want 429", rec.Code)
			}
		})
	}
}

// TestSec25SignInGuessesTableBounded: addresses past maxGuessers share
// one allowance, so that they buy no more tries than one address.
func TestSec25SignInGuessesTableBounded(t *testing.T) {
	t.Parallel()
	clk := clock.NewVirtual(testEpoch)
	g := newGuesses(clk, slog.New(slog.DiscardHandler))
	req := func(i int) *http.Request {
		r := httptest.NewRequest("GET", "/", nil)
		// Each its own /64: the addresses of one share its tries.
		r.RemoteAddr = "[2001:db8:" + strconv.FormatInt(int64(i), 16) + "::1]:1"
		return r
	}
	wrong := func(i int) time.Duration {
		r := req(i)
		w := g.take(r)
		if w == 0 {
			g.settle(r, false)
		}
		return w
	}
	for i := 1; i <= maxGuessers; i++ {
		wrong(i)
	}
	for i := maxGuessers + 1; i <= maxGuessers+guessBurst; i++ {
		if w := wrong(i); w != 0 {
			t.Fatalf("new address %d: wait %v before the shared tries are spent", i, w)
		}
	}
	if w := wrong(maxGuessers + guessBurst + 1); w == 0 {
		t.Fatalf("%d addresses past the table's %d each tried once, and the next may try at once", guessBurst, maxGuessers)
	}
	if len(g.by) > maxGuessers+1 {
		t.Fatalf("the table holds %d addresses, want at most %d", len(g.by), maxGuessers+1)
	}
	// Once the first addresses' tries are back, their entries make room.
	clk.Advance(guessEvery)
	if w := wrong(maxGuessers + guessBurst + 2); w != 0 {
		t.Fatalf("after %v, a new address still shares the spent allowance (wait %v)", guessEvery, w)
	}
}

// TestSec25SignInGuessesAtOnce: wrong tokens sent all at once get no
// more answers than guessBurst; the rest are 429s.
func TestSec25SignInGuessesAtOnce(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Options{Auth: Auth{Token: "s3cret-token"}})
	const n = 60
	codes := make(chan int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			req, _ := http.NewRequest("GET", ts.url+"/api/v1/events", nil)
			req.Header.Set("Authorization", "Bearer nope"+strconv.Itoa(i))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			codes <- resp.StatusCode
		})
	}
	wg.Wait()
	close(codes)
	count := map[int]int{}
	for c := range codes {
		count[c]++
	}
	if count[http.StatusUnauthorized] != guessBurst || count[http.StatusTooManyRequests] != n-guessBurst {
		t.Fatalf("%d wrong tokens at once: answers %v, want %d 401s and the rest 429s", n, count, guessBurst)
	}
}
