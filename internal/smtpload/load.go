package smtpload

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
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
	Target   string // host:port, or unix:/path for a unix-domain socket
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
	AuthMech    string // "PLAIN" or "LOGIN"; "": PLAIN when offered, else LOGIN
	Helo        string
	From        string // envelope sender; "{n}" is replaced by the message number
	// To is the recipient pattern: "{n}" is the message number, "{r}" the
	// recipient's index within the message (1-based).
	To       string
	Pipeline bool // pipeline MAIL/RCPT/DATA when the server offers it
	// LMTP speaks LMTP (RFC 2033) instead of SMTP: LHLO, and one reply to
	// the final dot per recipient accepted at RCPT, each counted (see
	// Result.DotAccepted).
	LMTP    bool
	Timeout time.Duration // per exchange
	Clock   clock.Clock   // nil: the real clock
	// Done, when not nil, is incremented once per message attempted, for
	// progress display.
	Done *atomic.Int64
	// GiveUp ends the run when every dial has failed for this long and no
	// session holds a connection (the target died), instead of trying each
	// remaining message against nothing; a run whose first dials all fail
	// (nothing ever listened) ends at once, and so does a run whose last
	// sessions all failed before their first transaction (no greeting, a
	// refused AUTH, a certificate not trusted), as many in a row as a run
	// without connections needs. 0 is 5 s; a negative value never gives up.
	GiveUp time.Duration
	// Duration, when positive, stops starting messages once it has passed
	// on Clock; the messages in flight end as usual. With a Duration,
	// Messages 0 means no limit.
	Duration time.Duration
	// Rate, when positive, paces the run to at most this many messages a
	// second across all sessions (smtp-source -w spaces one session's).
	Rate float64
	// Data, when set, is a whole message in wire form (WireFormat) that
	// every message sends instead of a built one, Size and Headers aside;
	// its Message-ID field is replaced by the message's own (see
	// dataWithoutMessageID).
	Data []byte
	// Headers are fields ("Name: value", one line each) that the built
	// messages carry, {n} in a value being the message number; one named
	// as a built field (From, To, Subject, Message-ID, Date, MIME-Version,
	// Content-Type) replaces it.
	Headers []string
}

// defaultGiveUp is Config.GiveUp's 0.
const defaultGiveUp = 5 * time.Second

// A worker whose session failed waits before it dials again, from
// backoffMin doubling up to backoffMax, so that a dead target is not
// dialled tens of thousands of times a second (a failed dial to a closed
// loopback port takes microseconds).
const (
	backoffMin = 10 * time.Millisecond
	backoffMax = 500 * time.Millisecond
)

// How a run ended (Result.Ended).
const (
	EndedAll         = ""            // every message was tried (see Result.LastFailures)
	EndedDuration    = "duration"    // Config.Duration passed
	EndedGaveUp      = "gave-up"     // Config.GiveUp: see Result.GaveUp
	EndedInterrupted = "interrupted" // the caller's context ended
)

func (cfg *Config) validate() error {
	switch {
	case cfg.Target == "" || cfg.Target == UnixPrefix:
		return errors.New("no target: give the server as host:port, or a unix-domain socket as unix:/path")
	case cfg.Sessions < 1:
		return fmt.Errorf("sessions is %d; it must be at least 1", cfg.Sessions)
	case cfg.Messages < 0:
		return fmt.Errorf("messages is %d; it must not be negative", cfg.Messages)
	case cfg.Duration < 0:
		return fmt.Errorf("duration is %s; it must not be negative", cfg.Duration)
	case cfg.Rate < 0:
		return fmt.Errorf("rate is %g; it must not be negative", cfg.Rate)
	case cfg.Rcpts < 1:
		return fmt.Errorf("rcpts is %d; each message needs at least 1 recipient", cfg.Rcpts)
	case cfg.Reuse < 0:
		return fmt.Errorf("reuse is %d; use 0 for unlimited or a positive count", cfg.Reuse)
	case cfg.StartTLS && cfg.ImplicitTLS:
		return errors.New("choose STARTTLS or implicit TLS, not both")
	case cfg.To == "":
		return errors.New("no recipient pattern")
	case cfg.Data != nil && len(cfg.Headers) > 0:
		return errors.New("a whole message (Data) is sent as it is: it takes no extra header fields")
	}
	if cfg.Data != nil {
		if err := CheckData(cfg.Data); err != nil {
			return fmt.Errorf("the message to send: %w", err)
		}
	}
	for _, h := range cfg.Headers {
		if name, _, ok := strings.Cut(h, ":"); !ok || name == "" || strings.ContainsAny(name, " \t") || strings.ContainsAny(h, "\r\n") {
			return fmt.Errorf(`header field %q: write it as "Name: value" on one line`, h)
		}
	}
	return nil
}

// Run sends cfg.Messages messages over cfg.Sessions concurrent connections
// and counts the replies. When ctx ends it stops, closing the connections
// in flight (Result.Ended says it was interrupted). Refusals and broken
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
	unlimited := cfg.Messages == 0 && cfg.Duration > 0
	body := fillerBody(cfg.Size)
	if cfg.Data != nil {
		body = dataWithoutMessageID(cfg.Data)
	}
	built := builtFields(cfg.Headers)
	var next atomic.Int64
	parent := ctx
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	dead := &deadTarget{giveUp: cfg.GiveUp, neverOpened: max(10, 2*cfg.Sessions), stop: stop}
	sessions := cfg.Sessions
	if !unlimited {
		sessions = min(cfg.Sessions, max(cfg.Messages, 1))
	}
	drain := make(chan struct{})
	var drained atomic.Bool
	if cfg.Duration > 0 {
		t := cfg.Clock.AfterFunc(cfg.Duration, func() {
			drained.Store(true)
			close(drain)
		})
		defer t.Stop()
	}
	var pace *pacer
	if cfg.Rate > 0 {
		pace = &pacer{clk: cfg.Clock, every: time.Duration(float64(time.Second) / cfg.Rate)}
	}
	workers := make([]*worker, sessions)
	start := cfg.Clock.Now()
	var wg sync.WaitGroup
	for i := range workers {
		w := &worker{cfg: &cfg, body: body, built: built, next: &next, stats: newStats(), runID: start.UnixNano(), dead: dead,
			unlimited: unlimited, drain: drain, pace: pace}
		workers[i] = w
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.run(ctx)
		}()
	}
	wg.Wait()
	res := &Result{Wall: cfg.Clock.Now().Sub(start), Start: start, Sessions: sessions, Replies: map[string]int{}, ConnErrors: map[string]int{}, FirstErrors: map[string]string{},
		ConnErrorStages: map[string]map[string]int{}, FirstReplies: map[string]Reply{}, UnknownErrors: map[string]int{}, FirstUnknown: map[string]string{}}
	res.GaveUp, res.GaveUpStage, res.GaveUpErr = dead.reason()
	var tx, sess []time.Duration
	stopped := false
	for _, w := range workers {
		st := &w.stats
		res.Attempted += st.attempted
		res.Dials += st.dials
		res.Connected += st.connected
		res.Accepted += st.accepted
		res.Partial += st.partial
		res.Refused += st.refused
		res.Failed += st.failed
		res.Cancelled += st.cancelled
		res.Unknown += st.unknown
		res.RcptNotTried += st.rcptNotTried
		res.RcptAccepted += st.rcpt[2]
		res.RcptTempRefused += st.rcpt[4]
		res.RcptPermRefused += st.rcpt[5]
		res.DotAccepted += st.dot[2]
		res.DotTempRefused += st.dot[4]
		res.DotPermRefused += st.dot[5]
		res.DotNoReply += st.dotNoReply
		res.TempRefusals += st.refusals[4]
		res.PermRefusals += st.refusals[5]
		stopped = stopped || st.stopped
		tx = append(tx, st.txTimes...)
		sess = append(sess, st.sessionTimes...)
		for k, v := range st.replies {
			res.Replies[k] += v
		}
		for k, v := range st.firstReplies {
			if _, ok := res.FirstReplies[k]; !ok {
				res.FirstReplies[k] = v
			}
		}
		for k, v := range st.connErrors {
			res.ConnErrors[k] += v
			if _, ok := res.FirstErrors[k]; !ok {
				res.FirstErrors[k] = st.firstErrors[k]
			}
		}
		for k, byStage := range st.connStages {
			if res.ConnErrorStages[k] == nil {
				res.ConnErrorStages[k] = map[string]int{}
			}
			for stage, v := range byStage {
				res.ConnErrorStages[k][stage] += v
			}
		}
		for k, v := range st.unknownErrors {
			res.UnknownErrors[k] += v
			if _, ok := res.FirstUnknown[k]; !ok {
				res.FirstUnknown[k] = st.firstUnknown[k]
			}
		}
	}
	res.TxLatency, res.SessionLatency = latencyOf(tx), latencyOf(sess)
	switch {
	case res.GaveUp == "":
	case unlimited || res.Attempted < cfg.Messages:
		res.GaveUp += "; the rest of the messages were not tried"
	default:
		// The failure that would have stopped the run came at its last
		// message: it stopped nothing, and every message was tried.
		res.LastFailures, res.GaveUp = res.GaveUp, ""
	}
	switch {
	case res.GaveUp != "":
		res.Ended = EndedGaveUp
	case stopped && parent.Err() != nil:
		res.Ended = EndedInterrupted
	case drained.Load():
		res.Ended = EndedDuration
	}
	return res, nil
}

// stats are one worker's counts, merged at the end so that the hot path
// shares nothing but the message counter.
type stats struct {
	attempted, accepted, partial, refused, failed, cancelled, unknown int
	rcptNotTried, dials, connected, dotNoReply                        int
	rcpt, refusals, dot                                               [6]int // by reply class (first digit)
	stopped                                                           bool   // the run's context ended under this worker
	replies                                                           map[string]int
	connErrors, unknownErrors                                         map[string]int
	connStages                                                        map[string]map[string]int // connErrors by kind, then stage
	firstErrors, firstUnknown                                         map[string]string
	firstReplies                                                      map[string]Reply
	txTimes, sessionTimes                                             []time.Duration
}

func newStats() stats {
	return stats{replies: map[string]int{}, connErrors: map[string]int{}, connStages: map[string]map[string]int{}, firstErrors: map[string]string{}, firstReplies: map[string]Reply{},
		unknownErrors: map[string]int{}, firstUnknown: map[string]string{}}
}

type worker struct {
	dead      *deadTarget
	cfg       *Config
	body      []byte
	built     map[string]bool // the built fields Config.Headers leaves out (builtFields)
	next      *atomic.Int64
	stats     stats
	runID     int64
	unlimited bool            // Config.Duration without Messages
	drain     <-chan struct{} // closed when Config.Duration has passed
	pace      *pacer          // nil: no Config.Rate
	backoff   time.Duration   // before the next dial; 0 after a session that worked
	// the open session's start, and the stop of its watch on the context
	opened  time.Time
	unwatch func() bool
	// reused buffers
	head []byte
	tx   Transaction
}

// take returns the number of the next message to send, once the pacing
// allows; false when the run is over.
func (w *worker) take(ctx context.Context) (int, bool) {
	select {
	case <-ctx.Done():
		w.stats.stopped = true
		return 0, false
	case <-w.drain:
		return 0, false
	default:
	}
	n := int(w.next.Add(1))
	if !w.unlimited && n > w.cfg.Messages {
		return 0, false
	}
	if w.pace != nil && !w.pace.wait(ctx, w.drain) {
		w.stats.stopped = ctx.Err() != nil
		return 0, false
	}
	return n, true
}

func (w *worker) run(ctx context.Context) {
	var c *Client
	used := 0
	defer func() {
		if c != nil {
			w.drop(c, ctx.Err() == nil)
		}
	}()
	for {
		// A connection that has sent its messages closes now, not after
		// the wait for the next message's slot (Config.Rate): held open
		// meanwhile, it would sit idle on the server, up to the server's
		// idle timeout at a low rate, and count the wait in its session
		// time.
		if c != nil && w.cfg.Reuse > 0 && used >= w.cfg.Reuse {
			w.drop(c, ctx.Err() == nil)
			c = nil
		}
		n, ok := w.take(ctx)
		if !ok {
			return
		}
		if c == nil {
			var err error
			if c, err = w.open(ctx); err != nil {
				if c != nil {
					w.drop(c, false)
					c = nil
				}
				if !w.pause(ctx) {
					return
				}
				continue
			}
			used = 0
		}
		used++
		began := w.cfg.Clock.Now()
		tx := w.transaction(n)
		// The server judges a message that needs an extension it does
		// not offer (a 553 5.6.7 without SMTPUTF8): load counts that.
		tx.MailParams, _ = c.MailParams(tx)
		res, err := c.Send(tx, w.cfg.Pipeline)
		if err != nil && ctx.Err() != nil {
			// The run was stopped under this message: its connection was
			// closed (watch), and what came back says nothing of the
			// server. After its final dot, the server may have delivered
			// it: tried, with its fate unknown; before, cancelled. The
			// replies that came before the cut count all the same (a
			// reply RFC 5321 does not allow there, not as a reply).
			unknown := res.FateUnknown()
			violation(&res)
			w.count(&res, len(tx.To))
			if unknown {
				w.fateUnknown("interrupted", fmt.Errorf("the run was interrupted after the message's final dot was sent, before %s: %w", noReplyWhich(&res), err))
			} else {
				w.stats.cancelled++
			}
			w.stats.stopped = true
			w.drop(c, false)
			c = nil
			return
		}
		if pe := violation(&res); pe != nil && err == nil {
			err = pe
		}
		w.count(&res, len(tx.To))
		if err != nil && res.FateUnknown() {
			// No reply to the dot (a timeout, a hang-up): the server may
			// have delivered it (RFC 5321 4.5.4.1); in LMTP, to the
			// recipients whose replies did not come.
			w.fateUnknown(ErrorKind(err), fmt.Errorf("%s: %w", noReplyWhat(&res), err))
			w.drop(c, false)
			c = nil
			continue
		}
		if err != nil && !res.Closing() {
			// A broken connection after a 421 is the 421's doing: the
			// server said it was closing (RFC 5321 3.8).
			w.connError(err, c.Waiting())
			w.finish(outcomeFailed)
			w.drop(c, false)
			c = nil
			continue
		}
		w.stats.txTimes = append(w.stats.txTimes, w.cfg.Clock.Now().Sub(began))
		switch {
		case res.Partial():
			w.stats.partial++
			w.finish(outcomeAccepted)
		case res.OK():
			w.finish(outcomeAccepted)
		default:
			w.finish(outcomeRefused)
		}
		if err != nil || res.Closing() {
			w.drop(c, false)
			c = nil
		}
	}
}

// pause waits before the next dial after a session that failed, longer
// each time in a row; false when the run ended meanwhile.
func (w *worker) pause(ctx context.Context) bool {
	w.backoff = min(max(2*w.backoff, backoffMin), backoffMax)
	if !sleep(ctx, w.cfg.Clock, w.drain, w.backoff) {
		w.stats.stopped = ctx.Err() != nil
		return false
	}
	return true
}

// Outcomes of a message tried.
const (
	outcomeAccepted = iota
	outcomeRefused
	outcomeFailed
	outcomeUnknown
)

func (w *worker) finish(outcome int) {
	w.stats.attempted++
	switch outcome {
	case outcomeAccepted:
		w.stats.accepted++
	case outcomeRefused:
		w.stats.refused++
	case outcomeFailed:
		w.stats.failed++
	case outcomeUnknown:
		w.stats.unknown++
	}
	if w.cfg.Done != nil {
		w.cfg.Done.Add(1)
	}
}

// violation finds a reply that RFC 5321 does not allow where it came:
// pipelined (RFC 2920) replies are read as they come, not checked one by
// one as Cmd does, so a "350" to RCPT TO would otherwise count as an
// ordinary reply. The replies after it are not counted.
func violation(res *TxResult) *ProtocolError {
	bad := func(stage string, r Reply) *ProtocolError {
		if r.Code >= 400 || Positive(r.Code) { // RFC 5321 4.2.1: any 2yz completes
			return nil
		}
		return &ProtocolError{Stage: stage, Line: r.String(),
			Why: fmt.Sprintf("the server answered %s with %d, which RFC 5321 does not allow there (a protocol violation, not a refusal)", stageWhat(stage), r.Code)}
	}
	if res.Mail.Code != 0 {
		if pe := bad(StageMail, res.Mail); pe != nil {
			res.Rcpts, res.Data, res.DataEnd, res.DotSent, res.RcptDataEnd = nil, Reply{}, Reply{}, false, nil
			res.Mail = Reply{}
			return pe
		}
	}
	for i, r := range res.Rcpts {
		if pe := bad(StageRcpt, r); pe != nil {
			res.Rcpts, res.Data, res.DataEnd, res.DotSent, res.RcptDataEnd = res.Rcpts[:i], Reply{}, Reply{}, false, nil
			return pe
		}
	}
	return nil
}

// drop lets go of a connection open counted: with QUIT when quit, else
// closed at once (it broke, or the server is closing it).
func (w *worker) drop(c *Client, quit bool) {
	if w.unwatch != nil {
		w.unwatch()
		w.unwatch = nil
	}
	if quit {
		// The session's messages were answered already; a QUIT that gets
		// no 221 (a hang, a hang-up, a refusal) is said in the summary,
		// not taken for their failure.
		if err := c.Quit(); err != nil {
			var re *ReplyError
			if errors.As(err, &re) {
				w.reply(StageQuit, re.Reply)
			} else {
				w.connError(err, StageQuit)
			}
		}
	} else {
		c.Close()
	}
	w.stats.sessionTimes = append(w.stats.sessionTimes, w.cfg.Clock.Now().Sub(w.opened))
	w.dead.closed()
}

// open dials and runs the session's preamble: greeting, EHLO, STARTTLS,
// AUTH. A refusal is counted as a reply; other failures as connection
// errors. Either way the message in hand ends there (refused or failed),
// unless the run was stopped, which cancels it.
func (w *worker) open(ctx context.Context) (*Client, error) {
	cfg := w.cfg
	opts := Options{Helo: cfg.Helo, TLS: cfg.TLS, Timeout: cfg.Timeout, Clock: cfg.Clock, AuthMech: cfg.AuthMech, LMTP: cfg.LMTP}
	w.opened = cfg.Clock.Now()
	w.stats.dials++
	c, err := Dial(ctx, cfg.Target, cfg.ImplicitTLS, opts)
	if err == nil || ErrorKind(err) == "tls" { // an implicit TLS handshake failed on a TCP connection
		w.stats.connected++
	}
	if err != nil {
		if ctx.Err() != nil {
			// The run ended during the dial: not the target's failure.
			w.stats.cancelled++
			w.stats.stopped = true
			return nil, err
		}
		w.connError(err, StageConnect)
		w.finish(outcomeFailed)
		w.dead.failed(cfg.Clock.Now(), cfg.Target, err)
		return nil, err
	}
	w.dead.opened()
	// Stopping the run closes the connection under a session that waits
	// for a reply, instead of waiting out its timeout.
	raw := c.Conn()
	if tc, ok := raw.(*tls.Conn); ok {
		raw = tc.NetConn()
	}
	w.unwatch = context.AfterFunc(ctx, func() { raw.Close() })
	stage := StageGreeting
	fail := func(err error) (*Client, error) {
		if ctx.Err() != nil {
			w.stats.cancelled++
			w.stats.stopped = true
			return c, err
		}
		var re *ReplyError
		if errors.As(err, &re) {
			w.reply(re.Stage, re.Reply)
			w.refusal(re.Reply.Code)
			w.finish(outcomeRefused)
		} else {
			w.connError(err, stage)
			w.finish(outcomeFailed)
		}
		w.dead.sessionFailed(cfg.Target, stage, err)
		return c, err
	}
	if _, err := c.Greeting(); err != nil {
		return fail(err)
	}
	stage = c.HelloStage()
	if _, err := c.Hello(); err != nil {
		return fail(err)
	}
	if cfg.StartTLS {
		stage = StageStartTLS
		if err := c.StartTLS(); err != nil {
			return fail(err)
		}
	}
	if cfg.AuthUser != "" {
		stage = StageAuth
		if err := c.Auth(cfg.AuthUser, cfg.AuthPass); err != nil {
			return fail(err)
		}
	}
	w.dead.ready()
	w.backoff = 0
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
	if w.cfg.Data != nil {
		// A message of its own: the sink counts attempts per Message-ID.
		h = w.messageID(h, num)
		w.head = h
		tx.Parts = append(tx.Parts[:0], h, w.body)
		return tx
	}
	if !w.built["from"] {
		h = append(h, "From: <"...)
		if tx.From == "" {
			// The null sender: RFC 5322 3.6.2 wants a mailbox in From.
			h = append(h, "MAILER-DAEMON@"...)
			h = append(h, w.cfg.Helo...)
		}
		h = append(h, tx.From...)
		h = append(h, ">\r\n"...)
	}
	if !w.built["to"] {
		h = append(h, "To: <"...)
		h = append(h, tx.To[0]...)
		h = append(h, ">\r\n"...)
	}
	if !w.built["subject"] {
		h = append(h, "Subject: relaylab load message "...)
		h = append(h, num...)
		h = append(h, "\r\n"...)
	}
	if !w.built["message-id"] {
		h = w.messageID(h, num)
	}
	if !w.built["date"] {
		h = append(h, "Date: "...)
		h = w.cfg.Clock.Now().AppendFormat(h, "Mon, 02 Jan 2006 15:04:05 -0700")
		h = append(h, "\r\n"...)
	}
	if !w.built["mime-version"] {
		h = append(h, "MIME-Version: 1.0\r\n"...)
	}
	if !w.built["content-type"] {
		h = append(h, "Content-Type: text/plain; charset=us-ascii\r\n"...)
	}
	for _, f := range w.cfg.Headers {
		h = append(h, strings.ReplaceAll(f, "{n}", num)...)
		h = append(h, "\r\n"...)
	}
	h = append(h, "\r\n"...)
	w.head = h
	tx.Parts = append(tx.Parts[:0], h, w.body)
	return tx
}

// messageID appends message num's Message-ID field to h: unique to the
// run (its start, runID) and the message.
func (w *worker) messageID(h []byte, num string) []byte {
	h = append(h, "Message-ID: <"...)
	h = append(h, num...)
	h = append(h, '.')
	h = strconv.AppendInt(h, w.runID, 36)
	return append(h, "@relaylab.load>\r\n"...)
}

// PipelinedNote marks, in a reply table's key, the reply to a command
// that was pipelined (RFC 2920 3.1) after a refusal and follows from it:
// a DATA sent before the RCPT refusals came back, or RCPTs sent before
// MAIL's. Those replies are not counted as refusals of their own.
const PipelinedNote = " (pipelined)"

// PipelinedMeaning is what PipelinedNote says, for the legend under a
// reply table.
const PipelinedMeaning = "the reply to a command pipelined (RFC 2920) after a refusal, which follows from that refusal"

// count records the replies of one transaction of rcpts recipients.
func (w *worker) count(res *TxResult, rcpts int) {
	if res.Mail.Code != 0 {
		w.reply(StageMail, res.Mail)
		w.refusal(res.Mail.Code)
	}
	mailOK := Positive(res.Mail.Code)
	for _, r := range res.Rcpts {
		if !mailOK {
			// Pipelined after a refused MAIL: the server answers these
			// because there is no transaction (a 503 most often).
			w.stats.replies[replyKey(StageRcpt, r)+PipelinedNote]++
			continue
		}
		w.reply(StageRcpt, r)
		w.refusal(r.Code)
		w.stats.rcpt[min(r.Code/100, 5)]++
	}
	if mailOK && closing(res) && len(res.Rcpts) < rcpts {
		// RFC 5321 3.8: after a 421 the client sends nothing more.
		w.stats.rcptNotTried += rcpts - len(res.Rcpts)
	}
	if res.Data.Code != 0 {
		if res.Stage == StageMail || res.Stage == StageRcpt {
			// Pipelined (RFC 2920 3.1): DATA went out before the refusal
			// came back, and its reply follows from that refusal.
			w.stats.replies[replyKey(StageData, res.Data)+PipelinedNote]++
		} else {
			// Through reply, so that a refusal of DATA is explained too.
			w.reply(StageData, res.Data)
			w.refusal(res.Data.Code)
		}
	}
	if res.LMTP {
		w.countDataEnd(res)
	} else if res.DataEnd.Code != 0 {
		switch res.Stage {
		case StageMail, StageRcpt:
			// The empty content sent after a 354 that came although every
			// recipient was refused (RFC 2920 3.1).
			w.stats.replies[replyKey(StageDataEnd, res.DataEnd)+PipelinedNote]++
		case StageDataEnd:
			w.reply(StageDataEnd, res.DataEnd)
			w.refusal(res.DataEnd.Code)
		default:
			w.reply(StageDataEnd, res.DataEnd)
		}
	}
	if res.Rset.Code != 0 && res.Rset.Code != 250 {
		// Not a refusal of the message, whose own refusal came before:
		// the end of the session (a 421, RFC 5321 3.8) or a reply that
		// made the connection unfit to use again, said in the table.
		w.reply(StageRset, res.Rset)
	}
}

// countDataEnd counts LMTP's replies to the final dot, one per recipient
// (RFC 2033 4.2): each in the table and, when it refused, as a refusal,
// so that a message taken for some recipients and refused for others
// says both; the recipients whose reply never came apart.
func (w *worker) countDataEnd(res *TxResult) {
	for _, r := range res.RcptDataEnd {
		switch {
		case r.Code == 0:
		case res.Stage == StageMail || res.Stage == StageRcpt:
			// The empty content sent after a 354 that followed refusals
			// (RFC 2920 3.1), as in SMTP.
			w.stats.replies[replyKey(StageDataEnd, r)+PipelinedNote]++
		default:
			w.reply(StageDataEnd, r)
			w.refusal(r.Code)
			w.stats.dot[min(r.Code/100, 5)]++
		}
	}
	if res.Stage == "" {
		w.stats.dotNoReply += res.DotNoReply()
	}
}

// noReplyWhat says which replies to the final dot never came: the one
// in SMTP, some recipients' in LMTP.
func noReplyWhat(res *TxResult) string {
	if n := res.DotNoReply(); res.LMTP && n < res.Accepted {
		return fmt.Sprintf("no reply to the message's final dot for %d of its %d recipients accepted at RCPT (LMTP)", n, res.Accepted)
	}
	return "no reply to the message's final dot"
}

// noReplyWhich is what the run did not wait for after the dot.
func noReplyWhich(res *TxResult) string {
	if res.LMTP {
		return fmt.Sprintf("the replies of %d of its %d recipients (LMTP)", res.DotNoReply(), res.Accepted)
	}
	return "its reply"
}

// refusal counts a reply that refused something, by class.
func (w *worker) refusal(code int) {
	if code >= 400 && code < 600 {
		w.stats.refusals[code/100]++
	}
}

// reply counts one reply under "stage code enhanced". Success replies
// count under "stage code" so that transaction ids in their text do not
// make every key unique.
func (w *worker) reply(stage string, r Reply) {
	key := replyKey(stage, r)
	w.stats.replies[key]++
	if r.Code >= 400 {
		if _, ok := w.stats.firstReplies[key]; !ok {
			w.stats.firstReplies[key] = r
		}
	}
}

func replyKey(stage string, r Reply) string {
	key := stage + " " + strconv.Itoa(r.Code)
	if r.Code >= 400 && r.Enhanced != "" {
		key += " " + r.Enhanced
	}
	return key
}

// fateUnknown counts a message whose final dot was sent and whose reply
// was never read, by kind of failure ("timeout", "eof", "interrupted").
func (w *worker) fateUnknown(kind string, err error) {
	w.stats.unknownErrors[kind]++
	if _, ok := w.stats.firstUnknown[kind]; !ok {
		w.stats.firstUnknown[kind] = err.Error()
	}
	w.finish(outcomeUnknown)
}

// connError counts a connection failure that came while the reply of
// stage was awaited.
func (w *worker) connError(err error, stage string) {
	kind := ErrorKind(err)
	w.stats.connErrors[kind]++
	if w.stats.connStages[kind] == nil {
		w.stats.connStages[kind] = map[string]int{}
	}
	w.stats.connStages[kind][stage]++
	if _, ok := w.stats.firstErrors[kind]; !ok {
		w.stats.firstErrors[kind] = err.Error()
	}
}

// ErrorKind sorts a connection failure into a few kinds a person can act
// on: "refused" (nothing listens, or no socket file at a unix:/path),
// "timeout", "reset", "eof" (the server hung up), "not-offered" (the
// server's EHLO lists no STARTTLS or AUTH that was asked for: nothing was
// sent), "tls", "protocol" (a reply that is not SMTP), "reply" (a
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
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ENOENT):
		// ENOENT: a unix:/path target whose socket file is not there.
		return "refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "reset"
	case errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, ErrNotOffered):
		return "not-offered"
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
