package relay

import (
	_ "embed"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
)

// Disposition is what the relay does about a failed reply.
type Disposition string

// Dispositions.
const (
	Retry    Disposition = "retry"    // try again later, or on the next path or MX
	Bounce   Disposition = "bounce"   // give up now and tell the sender
	Suppress Disposition = "suppress" // bounce, and suppress the address
	Reroute  Disposition = "reroute"  // as Retry at delivery: the next path at once, then later
)

// Rule is one row of the classification table. Empty fields match
// everything.
type Rule struct {
	Stage       string      `yaml:"stage" json:"stage,omitempty"`       // a stage, or several separated by |
	Code        string      `yaml:"code" json:"code,omitempty"`         // prefix of the reply code
	Enhanced    string      `yaml:"enhanced" json:"enhanced,omitempty"` // prefix of the enhanced code; "none" for a reply without one
	Text        string      `yaml:"text" json:"text,omitempty"`         // case-insensitive regexp
	Disposition Disposition `yaml:"disposition" json:"disposition"`
	Category    string      `yaml:"category" json:"category"`
	Reason      string      `yaml:"reason" json:"reason,omitempty"`
	Advice      string      `yaml:"advice" json:"advice,omitempty"`
}

// Reply is the outcome of one step of a delivery: an SMTP reply, or a
// failure without one (Code 0, Text the error).
type Reply struct {
	Stage    string `json:"stage"`
	Code     int    `json:"code"`
	Enhanced string `json:"enhanced,omitempty"`
	Text     string `json:"text"`
	// Local marks a reply the relay made up itself (a null MX, a domain
	// that does not exist, no SMTPUTF8 upstream): no server said it, so a
	// DSN does not present it as one (RFC 3464 2.3.6).
	Local bool `json:"local,omitempty"`
}

func (r Reply) String() string {
	if r.Code == 0 {
		return fmt.Sprintf("%s: %s", r.Stage, r.Text)
	}
	if r.Enhanced != "" {
		return fmt.Sprintf("%d %s %s", r.Code, r.Enhanced, r.Text)
	}
	return fmt.Sprintf("%d %s", r.Code, r.Text)
}

// Permanent is a 5xx reply.
func (r Reply) Permanent() bool { return r.Code >= 500 && r.Code < 600 }

// Verdict is the classification of a failed reply.
type Verdict struct {
	Disposition Disposition `json:"disposition"`
	Category    string      `json:"category"`
	Reason      string      `json:"reason"`
	Advice      string      `json:"advice"`
}

//go:embed classify.yaml
var builtinRules []byte

// Classifier applies an ordered rule table.
type Classifier struct {
	rules []Rule
	res   []*regexp.Regexp
}

// NewClassifier returns a classifier trying extra before the built-in
// table.
func NewClassifier(extra []Rule) (*Classifier, error) {
	var builtin []Rule
	if err := yaml.UnmarshalWithOptions(builtinRules, &builtin, yaml.Strict()); err != nil {
		return nil, fmt.Errorf("relay: built-in classification table: %w", err)
	}
	c := &Classifier{rules: append(append([]Rule(nil), extra...), builtin...)}
	for i, r := range c.rules {
		if r.Reason == "" {
			c.rules[i].Reason = fmt.Sprintf("matched configured classification rule %d (%s)", i, r.Category)
		}
		if r.Advice == "" {
			c.rules[i].Advice = "read the reply text"
		}
		var re *regexp.Regexp
		if r.Text != "" {
			var err error
			if re, err = regexp.Compile("(?i)" + r.Text); err != nil {
				return nil, fmt.Errorf("relay: classification rule %d: %w", i, err)
			}
		}
		c.res = append(c.res, re)
	}
	return c, nil
}

// Classify returns the verdict of the first matching rule. Whatever the
// rule says, a 5xx is never retried and a 4xx or a failure without a reply
// is never bounced: the retry policy decides when those give up. The
// exceptions are a 452 or 552 for too many recipients in one transaction,
// which is always retried (RFC 5321 4.5.3.1.10 asks clients to treat the
// 552 as temporary), a 5xx to our own STARTTLS, which refuses the transport
// and not the message, a 5xx to our own AUTH command: the upstream refused the
// path's credentials, which says nothing about the message, so the table
// may send it to the next path or retry it (as Postfix defers on a 535,
// smtp_sasl_auth_soft_bounce) instead of bouncing every message while the
// password is wrong, and a 530 at MAIL, RCPT or DATA, the same refusal
// of the path (no AUTH, or no TLS) said a step later.
func (c *Classifier) Classify(r Reply) Verdict {
	v := Verdict{Disposition: Retry, Category: "unclassified", Reason: "no rule matched", Advice: "read the reply text"}
	if r.Code >= 500 {
		v.Disposition = Bounce
	}
	code := strconv.Itoa(r.Code)
	for i, rule := range c.rules {
		if rule.Stage != "" && !stageIn(rule.Stage, r.Stage) {
			continue
		}
		if rule.Code != "" && !strings.HasPrefix(code, rule.Code) {
			continue
		}
		if rule.Enhanced == "none" && r.Enhanced != "" || rule.Enhanced != "" && rule.Enhanced != "none" && !strings.HasPrefix(r.Enhanced, rule.Enhanced) {
			continue
		}
		if c.res[i] != nil && !c.res[i].MatchString(r.Text) {
			continue
		}
		st := describeStage(r.Stage)
		v = Verdict{Disposition: rule.Disposition, Category: rule.Category,
			Reason: strings.ReplaceAll(rule.Reason, "{stage}", st), Advice: strings.ReplaceAll(rule.Advice, "{stage}", st)}
		break
	}
	if tooManyRecipients(r) {
		// Refused for the server's limit per transaction (452, or 552
		// which RFC 5321 4.5.3.1.10 asks to treat as temporary): sent
		// again, never bounced nor suppressed, whatever a rule says.
		v.Disposition = Retry
	} else {
		v.Disposition = forcedDisposition(v.Disposition, r)
	}
	return v
}

// forcedDisposition is what the relay does with reply r that a rule gave
// disposition d: a 5xx is never retried nor rerouted (RFC 5321 4.2.1:
// sent again, it gets the same answer) but where it refuses the path
// rather than the message (refusesPath), and a 4xx or a failure without a
// reply is never bounced nor suppressed: the retry policy decides when it
// gives up. Config.Warnings names the rules it overrides.
func forcedDisposition(d Disposition, r Reply) Disposition {
	switch {
	case r.Permanent() && !refusesPath(r) && (d == Retry || d == Reroute):
		return Bounce
	case !r.Permanent() && (d == Bounce || d == Suppress):
		return Retry
	}
	return d
}

// refusesPath reports whether 5xx reply r refuses the path and says
// nothing of the message: any 5xx to the relay's own STARTTLS, TLS
// handshake or AUTH (its TLS, its credentials), and a 530 at MAIL, RCPT
// or DATA, which only ever says that the server wants AUTH first (RFC
// 4954 6: 530 5.7.0, authentication required) or STARTTLS first (RFC
// 3207 4: 530 5.7.0, must issue a STARTTLS command first): the message
// was not judged, as at a 535 to AUTH.
func refusesPath(r Reply) bool {
	switch r.Stage {
	case "auth", "starttls", "tls":
		return true
	case "mail", "rcpt", "data":
		return r.Code == 530
	}
	return false
}

// stageIn reports whether stage is one of the |-separated stages in list.
func stageIn(list, stage string) bool {
	for s := range strings.SplitSeq(list, "|") {
		if strings.TrimSpace(s) == stage {
			return true
		}
	}
	return false
}

// describeStage says where in the SMTP conversation a stage is, for the
// {stage} placeholder of a rule's reason and advice.
func describeStage(stage string) string {
	switch stage {
	case "connect":
		return "while connecting"
	case "greeting":
		return "at the greeting (the server's first reply)"
	case "ehlo":
		return "at EHLO"
	case "starttls":
		return "at STARTTLS"
	case "tls":
		return "in the TLS handshake from the first byte (tls: implicit)"
	case "auth":
		return "during AUTH"
	case "mail":
		return "at MAIL FROM"
	case "rcpt":
		return "at RCPT TO"
	case "data":
		return "at DATA or while sending the message data"
	case "dot":
		return "after the final dot"
	case "":
		return "at an unknown stage"
	}
	return "at stage " + stage
}
