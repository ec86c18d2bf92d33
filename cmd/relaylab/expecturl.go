package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	neturl "net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/reports"
	"github.com/relaylab/relaylab/web"
)

// serveClient is the HTTP client expect --url asks the serve with: it
// gives up after timeout, and notes what each new connection's server
// sent first (first), so that an answer that is no HTTP can be told by
// what it was: an SMTP server's greeting at a --url that names the
// sink's or the relay's port.
func serveClient(timeout time.Duration) (*http.Client, *firstBytes) {
	first := &firstBytes{}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	dial := tr.DialContext
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &notingConn{Conn: c, first: first}, nil
	}
	return &http.Client{Timeout: timeout, Transport: tr}, first
}

// firstBytes keeps the start of what the server sent first on the last
// connection opened.
type firstBytes struct {
	mu sync.Mutex
	b  []byte
}

// reset forgets what was noted, before a request.
func (f *firstBytes) reset() {
	f.mu.Lock()
	f.b = nil
	f.mu.Unlock()
}

func (f *firstBytes) note(b []byte) {
	f.mu.Lock()
	f.b = append(f.b[:0], b[:min(len(b), 200)]...)
	f.mu.Unlock()
}

// smtpGreeting is the first line noted when it is an SMTP server's
// greeting (RFC 5321 4.2: a three-digit code, then a space or a hyphen;
// 4.3.1: 220, or 554 or 421 for a server that refuses service), else "".
func (f *firstBytes) smtpGreeting() string {
	if f == nil {
		return ""
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	line, _, _ := strings.Cut(string(f.b), "\n")
	line = strings.TrimRight(line, "\r")
	if !greetingRE.MatchString(line) {
		return ""
	}
	return line
}

var greetingRE = regexp.MustCompile(`^(220|421|554)([ -]|$)`)

// notingConn notes the first bytes it reads.
type notingConn struct {
	net.Conn
	first *firstBytes
	read  bool // the transport's one reading goroutine alone sets it
}

func (c *notingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 && !c.read {
		c.read = true
		c.first.note(p[:n])
	}
	return n, err
}

// urlFix is the --url to give instead of raw, which lacks its scheme
// ("127.0.0.1:8025", or "localhost:8025", which parses as the scheme
// localhost) or has one that is not HTTP's, and raw itself, both with
// any password hidden; "" when that is not what is wrong.
func urlFix(raw string) (fix, shown string) {
	fixed := raw
	if !strings.Contains(raw, "://") {
		fixed = "http://" + raw
	}
	u, err := neturl.Parse(fixed)
	if err != nil || u.Host == "" || (u.Scheme == "http" || u.Scheme == "https") && fixed == raw {
		return "", ""
	}
	shown = u.Redacted()
	if fixed != raw {
		shown = strings.TrimPrefix(shown, "http://")
	}
	u.Scheme = "http"
	return u.Redacted(), shown
}

// remoteSeen is what expect --url keeps from one judgement to the next
// (--wait judges every second): the attempts the last judgement read,
// whose sessions and messages the sink's other records are read by, and
// what does not change once the sink wrote it, read once: the messages
// from the null sender, by the sink's number for each (never given to
// another), and the sender each session refused at MAIL FROM gave, by
// the id of the refusal's event (a session's number can come again
// after a clear).
type remoteSeen struct {
	attempts []web.SinkAttempt
	mails    map[int64]reports.SinkMailMessage
	senders  map[int64]string
}

// readAttempts reads every attempt of the sink, and keeps them for the
// sink's other records (lastAttempts).
func (r remoteAttempts) readAttempts(ctx context.Context) ([]web.SinkAttempt, error) {
	var body struct {
		Attempts []web.SinkAttempt `json:"attempts"`
	}
	if err := r.get(ctx, "/api/v1/sink/attempts", "the sink's attempts", &body); err != nil {
		return nil, err
	}
	if r.seen != nil {
		r.seen.attempts = body.Attempts
	}
	return body.Attempts, nil
}

// lastAttempts are the attempts AllMessageAttempts read last (FromSink
// reads them first), or read now.
func (r remoteAttempts) lastAttempts(ctx context.Context) ([]web.SinkAttempt, error) {
	if r.seen != nil && r.seen.attempts != nil {
		return r.seen.attempts, nil
	}
	return r.readAttempts(ctx)
}

// NullSenderMessages gives reports.FromSink the messages the sink
// received from the null sender, as expect --db reads them from the
// store: the messages of the attempts from <>, each with its envelope
// and time (/api/v1/sink/messages/{id}) and its bytes (.../raw), among
// them the DSNs of the sender's own MTA that sender_dsn judges. One
// deleted since the attempts were read is left out, as from the store.
func (r remoteAttempts) NullSenderMessages(ctx context.Context) ([]reports.SinkMailMessage, error) {
	atts, err := r.lastAttempts(ctx)
	if err != nil {
		return nil, err
	}
	var nums []int64
	listed := map[int64]bool{}
	for _, a := range atts {
		if a.Sender == "" && a.Message != 0 && !listed[a.Message] {
			listed[a.Message] = true
			nums = append(nums, a.Message)
		}
	}
	slices.Sort(nums)
	seen := r.seen
	if seen == nil {
		seen = &remoteSeen{}
	}
	if seen.mails == nil {
		seen.mails = map[int64]reports.SinkMailMessage{}
	}
	var out []reports.SinkMailMessage
	for _, n := range nums {
		m, ok := seen.mails[n]
		if !ok {
			if m, err = r.nullSenderMessage(ctx, n); errors.As(err, new(*notThere)) {
				continue
			} else if err != nil {
				return nil, err
			}
			seen.mails[n] = m
		}
		out = append(out, m)
	}
	return out, nil
}

// nullSenderMessage reads the sink's message n, its envelope and its
// bytes.
func (r remoteAttempts) nullSenderMessage(ctx context.Context, n int64) (reports.SinkMailMessage, error) {
	what := fmt.Sprintf("the sink's message %d (from the null sender: a DSN, maybe)", n)
	var d web.MessageDetail
	if err := r.get(ctx, fmt.Sprintf("/api/v1/sink/messages/%d", n), what, &d); err != nil {
		return reports.SinkMailMessage{}, err
	}
	resp, err := r.fetch(ctx, fmt.Sprintf("/api/v1/sink/messages/%d/raw", n), what)
	if err != nil {
		return reports.SinkMailMessage{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return reports.SinkMailMessage{}, fmt.Errorf("reading %s from %s: %w", what, hidePassword(r.base), err)
	}
	return reports.SinkMailMessage{Message: n, Time: d.Received.UTC(), Recipients: d.To, Raw: raw}, nil
}

// EarlyRefusals gives reports.FromSink the sessions the sink refused
// before any RCPT TO (a 421 greeting, a rate limit's 421 to MAIL FROM),
// as expect --db reads them from the store: the sessions of the sink's
// refusals (its sink.reply events, written when a session ends) that
// left no attempt, each with its first refusal before RCPT TO, and at
// MAIL the sender its transcript names (/api/v1/sink/sessions/{id}).
func (r remoteAttempts) EarlyRefusals(ctx context.Context) ([]reports.SinkEarlyRefusal, error) {
	atts, err := r.lastAttempts(ctx)
	if err != nil {
		return nil, err
	}
	tried := map[int64]bool{}
	for _, a := range atts {
		tried[a.Session] = true
	}
	var out []reports.SinkEarlyRefusal
	var evs []int64 // the event of each of out
	err = r.eachEvent(ctx, events.SinkReply, "the sink's refusals", func(e events.Event) {
		var p struct {
			Session  int64  `json:"session"`
			Stage    string `json:"stage"`
			Code     int    `json:"code"`
			Enhanced string `json:"enhanced"`
			Text     string `json:"text"`
			By       string `json:"by"`
		}
		if json.Unmarshal(e.Payload, &p) != nil || p.Session == 0 || tried[p.Session] || p.Code < 400 ||
			p.Stage == "rcpt" || p.Stage == "data" || p.Stage == "data-end" {
			return
		}
		tried[p.Session] = true // its first refusal only
		evs = append(evs, e.ID)
		out = append(out, reports.SinkEarlyRefusal{Time: e.Time.UTC(), Session: p.Session, Listener: e.Listener,
			Stage: p.Stage, Code: p.Code, Enhanced: p.Enhanced, Text: p.Text, By: p.By})
	})
	if err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Stage != "mail" {
			continue
		}
		if out[i].Sender, err = r.sessionSender(ctx, out[i].Session, evs[i]); err != nil {
			return nil, err
		}
	}
	slices.SortStableFunc(out, func(a, b reports.SinkEarlyRefusal) int { return cmp.Compare(a.Session, b.Session) })
	return out, nil
}

// sessionSender is the address of the last MAIL FROM of the sink's
// session n, whose refusal is the event ev: "" for none, the null
// sender, or a session deleted since.
func (r remoteAttempts) sessionSender(ctx context.Context, n, ev int64) (string, error) {
	if from, ok := r.seen.sender(ev); ok {
		return from, nil
	}
	var s web.SinkSession
	err := r.get(ctx, fmt.Sprintf("/api/v1/sink/sessions/%d?limit=1", n), fmt.Sprintf("the transcript of the sink's session %d", n), &s)
	if errors.As(err, new(*notThere)) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	from := ""
	for _, l := range s.Transcript {
		if a, ok := mailFromAddr(l.Text); ok && l.Dir == "c" {
			from = a
		}
	}
	if r.seen != nil {
		if r.seen.senders == nil {
			r.seen.senders = map[int64]string{}
		}
		r.seen.senders[ev] = from
	}
	return from, nil
}

// sender is the sender noted of the session refused by the event ev, if
// any.
func (s *remoteSeen) sender(ev int64) (string, bool) {
	if s == nil {
		return "", false
	}
	from, ok := s.senders[ev]
	return from, ok
}

// eachEvent calls fn with each event of kind in the serve's event log,
// oldest first, a page at a time; what names them in errors.
func (r remoteAttempts) eachEvent(ctx context.Context, kind, what string, fn func(events.Event)) error {
	after := int64(0)
	for {
		var page struct {
			Events []events.Event `json:"events"`
			Next   int64          `json:"next"`
		}
		if err := r.get(ctx, fmt.Sprintf("/api/v1/events?kind=%s&limit=5000&after=%d", kind, after), what, &page); err != nil {
			return err
		}
		for _, e := range page.Events {
			fn(e)
		}
		if len(page.Events) == 0 || page.Next <= after {
			return nil
		}
		after = page.Next
	}
}
