package smtpload

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// Result is what a run saw.
//
// Every message tried ends one way: Attempted = Accepted + Refused +
// Failed + Unknown. Messages in flight when the run was stopped
// (interrupted, or given up) before their final dot was sent are
// Cancelled and not counted as tried; after it, their fate is Unknown.
type Result struct {
	Attempted int // messages tried
	Accepted  int // messages the server took (2xx after the dot; in LMTP, for at least one recipient, every reply read)
	// Partial counts the accepted messages whose recipients were not all
	// accepted at RCPT or, in LMTP, after the final dot: the server took
	// them for the others only.
	Partial   int
	Refused   int // messages a 4xx or 5xx reply stopped, at any stage
	Failed    int // messages lost to connection, TLS or protocol errors
	Cancelled int // messages in flight when the run was stopped, before their final dot
	// Unknown counts the messages whose final dot was sent and whose reply
	// was never read (a timeout, a hang-up, the run interrupted): the
	// server may have delivered them (RFC 5321 4.5.4.1).
	Unknown int
	// UnknownErrors counts them by what cut the reply off (an ErrorKind,
	// or "interrupted"); FirstUnknown keeps one example text of each.
	UnknownErrors map[string]int
	FirstUnknown  map[string]string
	Wall          time.Duration // from the first dial to the last reply
	Start         time.Time     // when the run began, on Config.Clock
	// Dials counts the connections tried, Connected those whose TCP
	// connection was opened: a message whose dial failed was tried but
	// reached no server.
	Dials, Connected int
	Sessions         int // concurrent connections used: Config.Sessions, or fewer when there are fewer messages
	// RcptAccepted, RcptTempRefused and RcptPermRefused count the replies
	// to RCPT of messages whose sender was accepted, by class (2xx, 4xx,
	// 5xx).
	RcptAccepted, RcptTempRefused, RcptPermRefused int
	// DotAccepted, DotTempRefused and DotPermRefused count LMTP's replies
	// to the final dot, one per recipient accepted at RCPT (RFC 2033 4.2),
	// by class; DotNoReply the recipients whose reply never came (the
	// message's fate is unknown). All 0 in SMTP.
	DotAccepted, DotTempRefused, DotPermRefused, DotNoReply int
	// RcptNotTried counts the recipients of those messages never sent:
	// the server closed the session (421) before them (RFC 5321 3.8).
	RcptNotTried int
	// TempRefusals and PermRefusals count the 4xx and 5xx replies at any
	// stage that refused something the client asked, not counting the
	// replies to commands pipelined after a refusal, which follow from it.
	TempRefusals, PermRefusals int
	// Ended says why the run ended (EndedAll, EndedDuration, EndedGaveUp,
	// EndedInterrupted).
	Ended string
	// TxLatency is the time each transaction took, from MAIL FROM to the
	// reply to its final dot (or the refusal that ended it); SessionLatency
	// the time each session took, from its dial to its end.
	TxLatency, SessionLatency Latency
	// Replies counts every reply that was not the expected success, by
	// "stage code enhanced" ("rcpt 550 5.1.1"), and the successes by
	// stage ("data-end 250").
	Replies map[string]int
	// ConnErrors counts broken connections by kind ("refused", "timeout",
	// "reset", "eof", "not-offered", "tls", "protocol", "other").
	ConnErrors map[string]int
	// FirstErrors keeps one example error text per kind.
	FirstErrors map[string]string
	// ConnErrorStages counts ConnErrors by kind, then by the stage whose
	// reply the failure left unread (StageConnect for the dial): a
	// timeout before the greeting is not one at RCPT TO.
	ConnErrorStages map[string]map[string]int
	// FirstReplies keeps one example of each refusal (4xx, 5xx) in
	// Replies, by the same key, with its text.
	FirstReplies map[string]Reply
	// GaveUp says why the run ended before every message was tried
	// (Config.GiveUp), or is "". GaveUpStage and GaveUpErr are the last
	// failure behind it: a *ReplyError for a refusal, else the connection
	// error, and the stage it came at.
	GaveUp      string
	GaveUpStage string
	GaveUpErr   error
	// LastFailures is, in GaveUp's words, how the run's last messages
	// failed when they failed as Config.GiveUp gives up on ("none of the
	// first 20 connections to ... could be opened"), but at the last
	// message, so that nothing was left untried: Ended is then EndedAll,
	// GaveUp "", and GaveUpStage and GaveUpErr the last failure.
	LastFailures string
}

// Latency sums up a set of durations.
type Latency struct {
	N                  int
	P50, P90, P99, Max time.Duration
}

func latencyOf(d []time.Duration) Latency {
	if len(d) == 0 {
		return Latency{}
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	at := func(p int) time.Duration { return d[(len(d)*p+99)/100-1] } // nearest rank
	return Latency{N: len(d), P50: at(50), P90: at(90), P99: at(99), Max: d[len(d)-1]}
}

// Rate is the accepted messages per second.
func (r *Result) Rate() float64 {
	if r.Wall <= 0 {
		return 0
	}
	return float64(r.Accepted) / r.Wall.Seconds()
}

// Table writes the reply counts and connection errors, sorted, with the
// counts in one column.
func (r *Result) Table(w io.Writer) {
	keys := make([]string, 0, len(r.Replies))
	width := 0
	pipelined := false
	for k := range r.Replies {
		keys = append(keys, k)
		width = max(width, len(k)+1)
		pipelined = pipelined || strings.HasSuffix(k, PipelinedNote)
	}
	kinds := make([]string, 0, len(r.ConnErrors))
	for k := range r.ConnErrors {
		kinds = append(kinds, k)
		width = max(width, len(k)+1)
	}
	sort.Slice(keys, func(i, j int) bool {
		return stageOrder(keys[i]) < stageOrder(keys[j]) || stageOrder(keys[i]) == stageOrder(keys[j]) && keys[i] < keys[j]
	})
	if len(keys) > 0 {
		fmt.Fprintln(w, "replies by stage:")
	}
	for _, k := range keys {
		fmt.Fprintf(w, "  %-*s %d\n", width, k+":", r.Replies[k])
	}
	if pipelined {
		fmt.Fprintf(w, "  %s: %s\n", strings.TrimSpace(PipelinedNote), PipelinedMeaning)
	}
	sort.Strings(kinds)
	if len(kinds) > 0 {
		fmt.Fprintln(w, "connection errors:")
	}
	for _, k := range kinds {
		fmt.Fprintf(w, "  %-*s %d (first: %s)\n", width, k+":", r.ConnErrors[k], r.FirstErrors[k])
	}
}

// ErrorStages lists the stages at which connection failures of kind
// came, in the order of a session, with how many came at each.
func (r *Result) ErrorStages(kind string) []StageCount {
	var out []StageCount
	for st, n := range r.ConnErrorStages[kind] {
		out = append(out, StageCount{Stage: st, N: n})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := stageOrder(out[i].Stage), stageOrder(out[j].Stage)
		return a < b || a == b && out[i].Stage < out[j].Stage
	})
	return out
}

// StageCount is how many connection failures came at a stage.
type StageCount struct {
	Stage string
	N     int
}

func stageOrder(key string) int {
	stage, _, _ := strings.Cut(key, " ")
	for i, s := range []string{StageConnect, StageGreeting, StageEHLO, StageLHLO, StageStartTLS, StageAuth, StageMail, StageRcpt, StageData, StageDataEnd, StageRset, StageQuit} {
		if s == stage {
			return i
		}
	}
	return 99
}
