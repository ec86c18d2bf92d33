package smtpload

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
)

// Config describes a load run.
type Config struct {
	Target   string // host:port
	Sessions int    // concurrent connections
	Messages int    // messages in all
	Size     int    // approximate size of each message in bytes
	Rcpts    int    // recipients per message
	// Reuse is the number of messages sent per connection before it is
	// closed; 1 opens a new connection per message (as smtp-source does),
	// 0 keeps each connection for as long as it works.
	Reuse       int
	StartTLS    bool
	ImplicitTLS bool
	TLS         *tls.Config // used by StartTLS and ImplicitTLS
	AuthUser    string
	AuthPass    string
	Helo        string
	From        string // envelope sender; "{n}" is replaced by the message number
	// To is the recipient pattern: "{n}" is the message number, "{r}" the
	// recipient's index within the message (1-based).
	To       string
	Pipeline bool          // pipeline MAIL/RCPT/DATA when the server offers it
	Timeout  time.Duration // per exchange
	Clock    clock.Clock   // nil: the real clock
	// Done, when not nil, is incremented once per message attempted, for
	// progress display.
	Done *atomic.Int64
	// GiveUp ends the run when every dial has failed for this long and no
	// session holds a connection (the target died), instead of trying each
	// remaining message against nothing; a run whose first dials all fail
	// (nothing ever listened) ends at once. 0 is 5 s; a negative value
	// never gives up.
	GiveUp time.Duration
}

// defaultGiveUp is Config.GiveUp's 0.
const defaultGiveUp = 5 * time.Second

// Result is what a run saw.
type Result struct {
	Attempted int           // messages tried
	Accepted  int           // messages the server took (250 after the dot)
	Wall      time.Duration // from the first dial to the last reply
	Sessions  int           // concurrent connections used: Config.Sessions, or fewer when there are fewer messages
	// Replies counts every reply that was not the expected success, by
	// "stage code enhanced" ("rcpt 550 5.1.1"), and the successes by
	// stage ("data-end 250").
	Replies map[string]int
	// ConnErrors counts broken connections by kind ("refused", "timeout",
	// "reset", "eof", "tls", "protocol", "other").
	ConnErrors map[string]int
	// FirstErrors keeps one example error text per kind.
	FirstErrors map[string]string
	// GaveUp says why the run ended before every message was tried
	// (Config.GiveUp), or is "".
	GaveUp string
}

// Rate is the accepted messages per second.
func (r *Result) Rate() float64 {
	if r.Wall <= 0 {
		return 0
	}
	return float64(r.Accepted) / r.Wall.Seconds()
}

func (cfg *Config) validate() error {
	switch {
	case cfg.Target == "":
		return errors.New("no target: give the server as host:port")
	case cfg.Sessions < 1:
		return fmt.Errorf("sessions is %d; it must be at least 1", cfg.Sessions)
	case cfg.Messages < 0:
		return fmt.Errorf("messages is %d; it must not be negative", cfg.Messages)
	case cfg.Rcpts < 1:
		return fmt.Errorf("rcpts is %d; each message needs at least 1 recipient", cfg.Rcpts)
	case cfg.Reuse < 0:
		return fmt.Errorf("reuse is %d; use 0 for unlimited or a positive count", cfg.Reuse)
	case cfg.StartTLS && cfg.ImplicitTLS:
		return errors.New("choose STARTTLS or implicit TLS, not both")
	case cfg.To == "":
		return errors.New("no recipient pattern")
	}
	return nil
}

// Run sends cfg.Messages messages over cfg.Sessions concurrent connections
// and counts the replies. It stops early when ctx ends. Refusals and broken
// connections are counted in the result, not returned as errors.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = time.Minute
	}
	if cfg.GiveUp == 0 {
		cfg.GiveUp = defaultGiveUp
	}
	body := fillerBody(cfg.Size)
	var next atomic.Int64
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	dead := &deadTarget{giveUp: cfg.GiveUp, neverOpened: max(10, 2*cfg.Sessions), stop: stop}
	sessions := min(cfg.Sessions, max(cfg.Messages, 1))
	workers := make([]*worker, sessions)
	start := cfg.Clock.Now()
	var wg sync.WaitGroup
	for i := range workers {
		w := &worker{cfg: &cfg, body: body, next: &next, stats: newStats(), runID: start.UnixNano(), dead: dead}
		workers[i] = w
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.run(ctx)
		}()
	}
	wg.Wait()
	res := &Result{Wall: cfg.Clock.Now().Sub(start), Sessions: sessions, Replies: map[string]int{}, ConnErrors: map[string]int{}, FirstErrors: map[string]string{},
		GaveUp: dead.reason()}
	for _, w := range workers {
		res.Attempted += w.stats.attempted
		res.Accepted += w.stats.accepted
		for k, v := range w.stats.replies {
			res.Replies[k] += v
		}
		for k, v := range w.stats.connErrors {
			res.ConnErrors[k] += v
			if _, ok := res.FirstErrors[k]; !ok {
				res.FirstErrors[k] = w.stats.firstErrors[k]
			}
		}
	}
	return res, nil
}

// stats are one worker's counts, merged at the end so that the hot path
// shares nothing but the message counter.
type stats struct {
	attempted, accepted int
	replies             map[string]int
	connErrors          map[string]int
	firstErrors         map[string]string
}

func newStats() stats {
	return stats{replies: map[string]int{}, connErrors: map[string]int{}, firstErrors: map[string]string{}}
}

// deadTarget notices a target that no dial reaches any more: when every
// dial has failed for giveUp and no session holds a connection, the run
// ends, with the failure as the reason; so it does when the first
// neverOpened dials of a run all fail. One failed dial among sessions
// that still deliver is no dead target.
type deadTarget struct {
	giveUp      time.Duration
	neverOpened int
	stop        context.CancelFunc
	everOpened  atomic.Bool
	failures    atomic.Int64 // dials failed in all
	mu          sync.Mutex
	failingFrom time.Time // the first of the failed dials since the last that opened; zero: none
	live        int       // connections the sessions hold
	why         string
}

// opened records a dial that connected: the target is alive.
func (d *deadTarget) opened() {
	d.everOpened.Store(true)
	d.mu.Lock()
	d.failingFrom = time.Time{}
	d.live++
	d.mu.Unlock()
}

// closed records that a session let go of a connection opened() counted.
func (d *deadTarget) closed() {
	d.mu.Lock()
	d.live--
	d.mu.Unlock()
}

// failed records a dial that failed at now, and ends the run if none has
// connected for giveUp.
func (d *deadTarget) failed(now time.Time, target string, err error) {
	if d.giveUp < 0 {
		return
	}
	n := d.failures.Add(1)
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.failingFrom.IsZero() {
		d.failingFrom = now
	}
	since := now.Sub(d.failingFrom)
	var why string
	switch {
	case !d.everOpened.Load() && n >= int64(d.neverOpened):
		why = fmt.Sprintf("none of the first %d connections to %s could be opened (%v): is the target running, and is this its address?", n, target, err)
	case since >= d.giveUp && d.live == 0:
		why = fmt.Sprintf("every connection to %s failed for %s, and no session held one (%v): the target is down or does not answer there any more", target, since.Round(time.Millisecond), err)
	default:
		return
	}
	if d.why == "" {
		d.why = why + "; the rest of the messages were not tried"
	}
	d.stop()
}

func (d *deadTarget) reason() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.why
}

type worker struct {
	dead  *deadTarget
	cfg   *Config
	body  []byte
	next  *atomic.Int64
	stats stats
	runID int64
	// reused buffers
	head []byte
	tx   Transaction
}

func (w *worker) run(ctx context.Context) {
	var c *Client
	used := 0
	defer func() {
		if c != nil {
			w.drop(c, true)
		}
	}()
	for ctx.Err() == nil {
		n := int(w.next.Add(1))
		if n > w.cfg.Messages {
			return
		}
		if c != nil && w.cfg.Reuse > 0 && used >= w.cfg.Reuse {
			w.drop(c, true)
			c = nil
		}
		if c == nil {
			var err error
			if c, err = w.open(ctx); err != nil {
				w.attempt()
				if c != nil {
					w.drop(c, false)
					c = nil
				}
				continue
			}
			used = 0
		}
		used++
		w.attempt()
		res, err := c.Send(w.transaction(n), w.cfg.Pipeline)
		w.count(&res)
		if err != nil {
			w.connError(err)
			w.drop(c, false)
			c = nil
			continue
		}
		if res.OK() {
			w.stats.accepted++
		}
		if res.Closing() {
			w.drop(c, false)
			c = nil
		}
	}
}

// drop lets go of a connection open counted: with QUIT when quit, else
// closed at once (it broke, or the server is closing it).
func (w *worker) drop(c *Client, quit bool) {
	if quit {
		c.Quit()
	} else {
		c.Close()
	}
	w.dead.closed()
}

func (w *worker) attempt() {
	w.stats.attempted++
	if w.cfg.Done != nil {
		w.cfg.Done.Add(1)
	}
}

// open dials and runs the session's preamble: greeting, EHLO, STARTTLS,
// AUTH. A refusal is counted as a reply; other failures as connection
// errors. Either way the message in hand counts as attempted.
func (w *worker) open(ctx context.Context) (*Client, error) {
	cfg := w.cfg
	opts := Options{Helo: cfg.Helo, TLS: cfg.TLS, Timeout: cfg.Timeout, Clock: cfg.Clock}
	c, err := Dial(ctx, cfg.Target, cfg.ImplicitTLS, opts)
	if err != nil {
		if ctx.Err() != nil {
			return nil, err // the run ended during the dial: not the target's failure
		}
		w.connError(err)
		w.dead.failed(cfg.Clock.Now(), cfg.Target, err)
		return nil, err
	}
	w.dead.opened()
	fail := func(err error) (*Client, error) {
		var re *ReplyError
		if errors.As(err, &re) {
			w.reply(re.Stage, re.Reply)
		} else {
			w.connError(err)
		}
		return c, err
	}
	if _, err := c.Greeting(); err != nil {
		return fail(err)
	}
	if _, err := c.Hello(); err != nil {
		return fail(err)
	}
	if cfg.StartTLS {
		if err := c.StartTLS(); err != nil {
			return fail(err)
		}
	}
	if cfg.AuthUser != "" {
		if err := c.Auth(cfg.AuthUser, cfg.AuthPass); err != nil {
			return fail(err)
		}
	}
	return c, nil
}

// transaction fills the worker's reusable transaction for message n.
func (w *worker) transaction(n int) *Transaction {
	num := strconv.Itoa(n)
	tx := &w.tx
	tx.From = strings.ReplaceAll(w.cfg.From, "{n}", num)
	tx.To = tx.To[:0]
	for r := 1; r <= w.cfg.Rcpts; r++ {
		to := strings.ReplaceAll(w.cfg.To, "{n}", num)
		if strings.Contains(to, "{r}") {
			to = strings.ReplaceAll(to, "{r}", strconv.Itoa(r))
		}
		tx.To = append(tx.To, to)
	}
	h := w.head[:0]
	h = append(h, "From: <"...)
	h = append(h, tx.From...)
	h = append(h, ">\r\nTo: <"...)
	h = append(h, tx.To[0]...)
	h = append(h, ">\r\nSubject: relaylab load message "...)
	h = append(h, num...)
	h = append(h, "\r\nMessage-ID: <"...)
	h = append(h, num...)
	h = append(h, '.')
	h = strconv.AppendInt(h, w.runID, 36)
	h = append(h, "@relaylab.load>\r\nDate: "...)
	h = w.cfg.Clock.Now().AppendFormat(h, "Mon, 02 Jan 2006 15:04:05 -0700")
	h = append(h, "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"...)
	w.head = h
	tx.Parts = append(tx.Parts[:0], h, w.body)
	return tx
}

// count records the replies of one transaction.
func (w *worker) count(res *TxResult) {
	if res.Mail.Code != 0 {
		w.reply(StageMail, res.Mail)
	}
	for _, r := range res.Rcpts {
		w.reply(StageRcpt, r)
	}
	if res.Data.Code != 0 {
		key := replyKey(StageData, res.Data)
		if res.Stage == StageMail || res.Stage == StageRcpt {
			// Pipelined (RFC 2920 3.1): DATA went out before the refusal
			// came back, and its reply follows from that refusal.
			key += " (pipelined after the refusal)"
		}
		w.stats.replies[key]++
	}
	if res.DataEnd.Code != 0 {
		w.reply(StageDataEnd, res.DataEnd)
	}
}

// reply counts one reply under "stage code enhanced". Success replies
// count under "stage code" so that transaction ids in their text do not
// make every key unique.
func (w *worker) reply(stage string, r Reply) {
	w.stats.replies[replyKey(stage, r)]++
}

func replyKey(stage string, r Reply) string {
	key := stage + " " + strconv.Itoa(r.Code)
	if r.Code >= 400 && r.Enhanced != "" {
		key += " " + r.Enhanced
	}
	return key
}

func (w *worker) connError(err error) {
	kind := ErrorKind(err)
	w.stats.connErrors[kind]++
	if _, ok := w.stats.firstErrors[kind]; !ok {
		w.stats.firstErrors[kind] = err.Error()
	}
}

// ErrorKind sorts a connection failure into a few kinds a person can act
// on: "refused" (nothing listens), "timeout", "reset", "eof" (the server
// hung up), "tls", "protocol" (a reply that is not SMTP), "reply" (a
// refusal), "other".
func ErrorKind(err error) string {
	var pe *ProtocolError
	var re *ReplyError
	var ne net.Error
	var ce *tls.CertificateVerificationError
	var rh tls.RecordHeaderError
	switch {
	case errors.As(err, &re):
		return "reply"
	case errors.As(err, &pe):
		return "protocol"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "reset"
	case errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.As(err, &ce), errors.As(err, &rh), strings.Contains(err.Error(), "tls:"), strings.Contains(err.Error(), "TLS"):
		return "tls"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "eof"
	}
	return "other"
}

// fillerBody is a body of about size bytes in 76-character lines, built
// once per run and shared by every message.
func fillerBody(size int) []byte {
	const line = "relaylab load filler: the quick brown fox jumps over the lazy dog 0123456789\r\n"
	if size <= 0 {
		size = 1
	}
	b := make([]byte, 0, size+len(line))
	for len(b) < size {
		b = append(b, line...)
	}
	return b
}

// Table writes the reply counts and connection errors, sorted.
func (r *Result) Table(w io.Writer) {
	keys := make([]string, 0, len(r.Replies))
	for k := range r.Replies {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return stageOrder(keys[i]) < stageOrder(keys[j]) || stageOrder(keys[i]) == stageOrder(keys[j]) && keys[i] < keys[j]
	})
	if len(keys) > 0 {
		fmt.Fprintln(w, "replies by stage:")
	}
	for _, k := range keys {
		fmt.Fprintf(w, "  %-24s %d\n", k+":", r.Replies[k])
	}
	kinds := make([]string, 0, len(r.ConnErrors))
	for k := range r.ConnErrors {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	if len(kinds) > 0 {
		fmt.Fprintln(w, "connection errors:")
	}
	for _, k := range kinds {
		fmt.Fprintf(w, "  %-24s %d (first: %s)\n", k+":", r.ConnErrors[k], r.FirstErrors[k])
	}
}

func stageOrder(key string) int {
	stage, _, _ := strings.Cut(key, " ")
	for i, s := range []string{StageGreeting, StageEHLO, StageStartTLS, StageAuth, StageMail, StageRcpt, StageData, StageDataEnd, StageRset, StageQuit} {
		if s == stage {
			return i
		}
	}
	return 99
}
