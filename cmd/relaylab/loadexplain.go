package main

import (
	"errors"
	"sort"
	"strconv"
	"strings"

	"github.com/relaylab/relaylab/internal/smtpload"
)

// loadExplained is one kind of refusal or connection failure of a load
// run with what it means and what to do: what the text summary's "what
// the refusals mean" and "what the connection errors mean" say of it,
// for --json.
type loadExplained struct {
	// Reply is a refusal's key in replies ("rcpt 550 5.1.1"); Kind a
	// connection failure's in connection_errors ("refused").
	Reply string `json:"reply,omitempty"`
	Kind  string `json:"kind,omitempty"`
	// Stage is where a connection failure came (the reply it left
	// unread; "connect" for the dial), when known.
	Stage string `json:"stage,omitempty"`
	Count int    `json:"count,omitempty"`
	// Example is one of them: the server's refusal, or the error.
	Example string `json:"example"`
	// Meaning is what came back in a connection failure: no reply, or
	// one SMTP does not allow there.
	Meaning  string `json:"meaning,omitempty"`
	Category string `json:"category,omitempty"`
	Reason   string `json:"reason,omitempty"`
	Advice   string `json:"what_to_do,omitempty"`
}

// loadUnknownJSON is what --json says of the messages of unknown fate,
// as the text summary's "fate unknown" lines do.
type loadUnknownJSON struct {
	Meaning string            `json:"meaning"`
	First   map[string]string `json:"first"` // one error by kind, as fate_unknown_by counts them
	Advice  string            `json:"what_to_do"`
}

// refusalKeys sorts the keys of the run's refusals (4xx, 5xx), the most
// frequent first: those that refused something of a message, and those
// that answered the RSET after a refusal or QUIT, which ended a session
// and refused no message.
func refusalKeys(res *smtpload.Result) (refusals, sessionEnds []string) {
	keys := make([]string, 0, len(res.FirstReplies))
	for k := range res.FirstReplies {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := res.Replies[keys[i]], res.Replies[keys[j]]
		return a > b || a == b && keys[i] < keys[j]
	})
	for _, k := range keys {
		if stage, _, _ := strings.Cut(k, " "); stage == smtpload.StageRset || stage == smtpload.StageQuit {
			sessionEnds = append(sessionEnds, k)
		} else {
			refusals = append(refusals, k)
		}
	}
	return refusals, sessionEnds
}

// refusalsExplained explains every kind of refusal of the run in keys
// (refusalKeys), as explainRefusals does the first maxExplained.
func refusalsExplained(res *smtpload.Result, keys []string) []loadExplained {
	out := make([]loadExplained, 0, len(keys))
	for _, k := range keys {
		stage, _, _ := strings.Cut(k, " ")
		x := refusalExplained(stage, res.FirstReplies[k])
		x.Reply, x.Count = k, res.Replies[k]
		out = append(out, x)
	}
	return out
}

// refusalExplained is refusal r at stage with its category, reason and
// advice: the fields of the lines explainRefusal writes under it.
func refusalExplained(stage string, r smtpload.Reply) loadExplained {
	x := loadExplained{Example: (&smtpload.ReplyError{Stage: stage, Reply: r}).Error()}
	for _, line := range strings.Split(explainRefusal(stage, r, -1), "\n    ") {
		if c, ok := strings.CutPrefix(line, "category "); ok {
			x.Category, x.Reason, _ = strings.Cut(c, ": ")
		} else if a, ok := strings.CutPrefix(line, "what to do: "); ok {
			x.Advice = a
		}
	}
	return x
}

// connErrorsExplained explains every kind of connection failure of the
// run, by kind and then by the stage it came at, in a session's order.
func connErrorsExplained(cfg smtpload.Config, res *smtpload.Result) []loadExplained {
	kinds := make([]string, 0, len(res.ConnErrors))
	for k := range res.ConnErrors {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	out := make([]loadExplained, 0, len(kinds))
	for _, k := range kinds {
		stages := res.ErrorStages(k)
		if len(stages) == 0 {
			stages = []smtpload.StageCount{{N: res.ConnErrors[k]}} // where is not known
		}
		for _, st := range stages {
			x := connExplained(cfg, k, st.Stage, errors.New(res.FirstErrors[k]))
			x.Count = st.N
			out = append(out, x)
		}
	}
	return out
}

// connExplained is a connection failure of kind at stage ("" when not
// known) with what it means and what to try.
func connExplained(cfg smtpload.Config, kind, stage string, err error) loadExplained {
	why, todo := connAdvice(cfg, kind, stage, err)
	return loadExplained{Kind: kind, Stage: stage, Example: err.Error(), Meaning: connLabel(kind), Category: "connection-" + kind, Reason: why, Advice: todo}
}

// failureExplained is the failure that ended a run that gave up, as
// explainLoadFailure says it; nil when none was recorded.
func failureExplained(cfg smtpload.Config, stage string, err error) *loadExplained {
	if err == nil {
		return nil
	}
	var re *smtpload.ReplyError
	if errors.As(err, &re) {
		x := refusalExplained(re.Stage, re.Reply)
		x.Stage = re.Stage
		return &x
	}
	x := connExplained(cfg, smtpload.ErrorKind(err), stage, err)
	return &x
}

// unknownMeaning is what the messages of unknown fate are; unknownAdvice
// what to do about them.
const unknownMeaning = "the final dot was sent, the reply not read; the server may have delivered them (RFC 5321 4.5.4.1)"

func unknownAdvice(res *smtpload.Result) string {
	todo := "count what the server delivered (its log, the sink's messages) before comparing the numbers, or sending them again"
	if res.UnknownErrors["timeout"] > 0 {
		todo += "; raise --timeout if the server is slow to answer the dot"
	}
	return todo
}

// repliesLegend explains the notes in the keys of replies
// ("(pipelined)") and the keys of a 2yz other than the usual one at its
// stage ("data-end 299"), those the run has; nil when none.
func repliesLegend(res *smtpload.Result) map[string]string {
	var legend map[string]string
	add := func(k, v string) {
		if legend == nil {
			legend = map[string]string{}
		}
		legend[k] = v
	}
	for k := range res.Replies {
		if strings.HasSuffix(k, smtpload.PipelinedNote) {
			add(strings.TrimSpace(smtpload.PipelinedNote), smtpload.PipelinedMeaning)
		}
	}
	for _, k := range unusualKeys(res) {
		add(k, unusualLegend(k))
	}
	return legend
}

// unusualKeys are the keys of replies whose code is a 2yz other than the
// one RFC 5321 gives at its stage, sorted.
func unusualKeys(res *smtpload.Result) []string {
	var out []string
	for k := range res.Replies {
		stage, code, _ := strings.Cut(k, " ")
		if n, err := strconv.Atoi(code); err == nil && smtpload.Unusual(stage, n) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// unusualLegend says what the reply of key ("data-end 299") was taken for.
func unusualLegend(key string) string {
	stage, _, _ := strings.Cut(key, " ")
	return unusualMeaning(stage)
}
