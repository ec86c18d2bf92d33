package reports

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/goccy/go-yaml/ast"
	"github.com/relaylab/relaylab/internal/config"
)

// Expectations is the `expect:` section of a scenario or of an expect file.
type Expectations struct {
	Recipients []RecipientExpectation `yaml:"recipients"`
	Aggregate  AggregateExpectation   `yaml:"aggregate"`

	// ExtraCategories are categories that Validate accepts besides
	// Categories: those of a replay's own relay.classify rules.
	ExtraCategories []string `yaml:"-" json:"-"`

	// File is the file the expectations were read from, which Locate
	// records, and each Result names beside the line of its expectation,
	// for a CI annotation on the line that failed.
	File string `yaml:"-" json:"-"`

	// bad are the values the section gives that did not decode, each at
	// its key, which the decoding set aside (config.SetAsideBadValues)
	// for Problems to report.
	bad []error
}

// UnmarshalYAML decodes the section as the decoder would, with each value
// that does not decode ("attempts: many", "tls: yes", "last_reply: \"\"")
// set aside, read as the key left out, for Problems to report with the
// section's other problems: a file with several bad values has each named
// in one run. The decoder is the caller's, so strict mode still reports
// unknown keys with their lines.
func (x *Expectations) UnmarshalYAML(decode func(any) error) error {
	type plain Expectations // without this method, so no recursion
	v := plain(*x)
	bad := config.SetAsideBadValues(decode, &v)
	if err := decode(&v); err != nil {
		return err
	}
	v.bad = bad
	*x = Expectations(v)
	return nil
}

// KeepsBadValues marks the section as a config.BadValueKeeper.
func (*Expectations) KeepsBadValues() {}

// Categories are the bounce categories a relay gives a recipient: those of
// its built-in classification table (relay/classify.yaml; a test keeps the
// two in step), "expired" when a message ran out of retries and "deleted"
// when an operator deleted it from the queue.
var Categories = []string{
	"auth-not-offered", "authentication-failure", "connection", "connection-lost-after-data", "credentials-refused", "deleted", "destination-backoff",
	"dns-failure", "expired", "greeting-refused", "greylisted", "invalid-recipient", "line-too-long", "mailbox-disabled", "mailbox-full",
	"message-too-big", "no-such-domain", "policy", "protocol-error", "rate-limited", "routing", "service-unavailable",
	"shaping", "smtputf8-required", "spam-block", "suppressed", "syntax-error", "tls-failure", "unclassified",
}

// Empty reports whether x expects nothing at all, so that judging it
// would pass whatever happened. A section whose values were set aside
// as bad is not empty: Problems names them.
func (x *Expectations) Empty() bool {
	a := x.Aggregate
	return len(x.Recipients) == 0 && len(x.bad) == 0 && a.DeliveredShare == nil && !a.NoAttemptAfter5xx && a.TimeToDeliveryP50 == nil &&
		a.TimeToDeliveryP99 == nil && a.MaxConcurrentPerDestination == nil && len(a.MaxDeliveriesPerDay) == 0
}

// RecipientExpectation applies to every recipient whose address matches
// Match (a glob: "*@greylist.test"). Unset fields are not checked; a
// field whose 0 means something (tolerance: 0s, max_interval: 0s) is a
// pointer, nil when the file left it out, so that 0 is judged as given.
type RecipientExpectation struct {
	Name  string `yaml:"name"`
	Match string `yaml:"match"`
	// Message narrows the match to one message: "msg-2" is the second
	// message a scenario submitted (a glob; relay message ids work too).
	Message string `yaml:"message"`
	// Status is the final status: delivered, bounced, expired, suppressed,
	// deferred (still waiting) or queued.
	Status   string `yaml:"status"`
	Attempts Range  `yaml:"attempts"`
	// AttemptTimes are the offsets from queueing at which attempts happen,
	// each within Tolerance (default 1s; 0s is exact, as a replay's
	// virtual clock keeps them): every attempt, so that one more than
	// listed fails as one fewer does.
	AttemptTimes []config.Duration `yaml:"attempt_times"`
	Tolerance    *config.Duration  `yaml:"tolerance"`
	// Interval bounds the time between consecutive attempts. A
	// max_interval of 0s asks for tries at one instant; a min_interval of
	// 0s would hold for any, and is refused.
	MinInterval *config.Duration `yaml:"min_interval"`
	MaxInterval *config.Duration `yaml:"max_interval"`
	Path        string           `yaml:"path"`
	Category    string           `yaml:"category"`
	// DSN is "sent" or "none"; DSNStatus is the status code it carries.
	DSN string `yaml:"dsn"`
	// DSNStatus is the status the DSN must carry ("5.1.1", or a prefix
	// such as "5." or "4.4").
	DSNStatus  string `yaml:"dsn_status"`
	Suppressed *bool  `yaml:"suppressed"`
	// SenderDSN judges, on a sink's record (relaylab expect), the DSNs
	// that the sender's own MTA wrote about the recipient and that
	// reached the sink: failed, delayed, delivered, relayed or expanded
	// (one of them with that action), or none. SenderDSNStatus is the
	// status one of them (of that action, when SenderDSN names one)
	// must carry, as dsn_status takes it ("5.1.1", "5.").
	SenderDSN       string `yaml:"sender_dsn"`
	SenderDSNStatus string `yaml:"sender_dsn_status"`
	// LastCode is the reply code of the last attempt (exact, "4xx" or "5xx").
	LastCode string `yaml:"last_code"`
	// LastReply is a glob (* any run, ? any one character, nothing else
	// special, case-insensitive) over the whole last reply as
	// Attempt.Reply writes it: "CODE ENHANCED TEXT", or the error of an
	// attempt that got no reply. A glob rather than a substring, like
	// match: "421 4.7.28 *" pins the code and the enhanced code at their
	// places, where the substring "421" would also be found in "250 2.0.0
	// queued as 421"; "*unusual rate*" is the substring when one is wanted.
	LastReply ReplyGlob `yaml:"last_reply"`
	// AnyReply is a glob, as last_reply, that the reply of at least one
	// attempt must match: "421 4.7.28 *" pins the wording of deferrals
	// that later cleared, where last_reply sees only the final 250.
	AnyReply ReplyGlob `yaml:"any_reply"`
	// NoReply is a glob, as last_reply, that no attempt's reply may
	// match: "5*" says the recipient never met a permanent refusal, on
	// any path and whatever came after it.
	NoReply ReplyGlob `yaml:"no_reply"`
	// TLS is whether the last attempt's connection used TLS: for a
	// delivered recipient the attempt that delivered, so "tls: false" says
	// the message went in plaintext (as after a refused STARTTLS with tls:
	// opportunistic); for one not delivered, where the last try stood.
	// Earlier attempts are in the timeline of a failure. A recipient
	// without attempts fails either value: there is nothing to judge. On
	// a sink's record (`relaylab expect`) it is the TLS of the session the
	// attempt was in.
	TLS Toggle `yaml:"tls"`
	// Count is how many recipients must match (default: at least one).
	Count Range `yaml:"count"`
	// Copies is how many copies of the recipient's message the receiving
	// side holds (Recipient.Copies): a retry after a drop after the final
	// dot joins its message's record, which count counts once, while the
	// receiving side may hold the message twice (RFC 1047).
	Copies Range `yaml:"copies"`

	// empty are the keys the file gave an empty value ("", nothing, or
	// []), which Validate refuses.
	empty []string
	// line is where the expectation begins in its file (Locate), 0 when
	// not known.
	line int
}

// name is the expectation's name in the verdicts: its name:, or
// "recipients[i] MATCH" without one.
func (e RecipientExpectation) name(i int) string {
	if e.Name != "" {
		return e.Name
	}
	return fmt.Sprintf("recipients[%d] %s", i, e.Match)
}

// UnmarshalYAML notes the keys written with an empty value, so that
// Validate refuses them at their line: an empty value reads as the key
// left out, and "path: \"\"" would pass whatever path a recipient took;
// and keeps the text of a value YAML reads as a number (config.KeepText). The
// decoder is the caller's, so strict mode still reports unknown keys
// with their lines.
func (r *RecipientExpectation) UnmarshalYAML(decode func(any) error) error {
	type plain RecipientExpectation // without this method, so no recursion
	var v plain
	if err := decode(&v); err != nil {
		return err
	}
	v.empty = emptyKeys(decode, recipientKeys)
	config.KeepText(decode, &v) // dsn_status: 5.10 is "5.10", not the float 5.1
	*r = RecipientExpectation(v)
	return nil
}

// UnmarshalYAML notes the keys written with an empty value, as a
// recipient expectation's are.
func (a *AggregateExpectation) UnmarshalYAML(decode func(any) error) error {
	type plain AggregateExpectation
	var v plain
	if err := decode(&v); err != nil {
		return err
	}
	v.empty = emptyKeys(decode, aggregateKeys)
	*a = AggregateExpectation(v)
	return nil
}

// emptyKeys are those of keys that the mapping decode reads gives an
// empty value: "", no value at all (YAML's null) or an empty list.
func emptyKeys(decode func(any) error, keys []keyHint) []string {
	var raw map[string]any
	if decode(&raw) != nil {
		return nil // not a mapping: the decoder has said so
	}
	var out []string
	for _, k := range keys {
		v, ok := raw[k.key]
		if !ok {
			continue
		}
		if l, isList := v.([]any); v == nil || v == "" || isList && len(l) == 0 {
			out = append(out, k.key)
		}
	}
	return out
}

// keyHint is an expectation's key and what to give it instead of an
// empty value.
type keyHint struct{ key, give string }

// recipientKeys are the keys of a recipient expectation, in the order of
// its fields. match is not among them: Validate refuses an empty match
// with its own message, as it refuses a missing one.
var recipientKeys = []keyHint{
	{"name", `a name such as "greylisted mail is retried" (without the key, the expectation is named after its match)`},
	{"message", `a message such as "msg-2", or a glob such as "msg-*"`},
	{"status", "delivered, bounced, expired, suppressed, deferred or queued"},
	{"attempts", `a range such as "2", "2-4" or ">=1"`},
	{"attempt_times", "offsets from queueing such as [0s, 5m]"},
	{"tolerance", "a duration such as 30s"},
	{"min_interval", "a duration such as 5m"},
	{"max_interval", "a duration such as 1h"},
	{"path", "the name of a relay path (on a sink's record, of the listener)"},
	{"category", "a category such as invalid-recipient"},
	{"dsn", "sent or none"},
	{"dsn_status", `a status such as "5.1.1", or a prefix such as "5."`},
	{"suppressed", "true or false"},
	{"sender_dsn", "failed, delayed, delivered, relayed, expanded or none"},
	{"sender_dsn_status", `a status such as "5.1.1", or a prefix such as "5."`},
	{"last_code", "a reply code (250) or a class (2xx, 4xx, 5xx)"},
	{"last_reply", `a glob such as "421 4.7.28 *"`},
	{"any_reply", `a glob such as "421 4.7.28 *"`},
	{"no_reply", `a glob such as "5*"`},
	{"tls", "true or false"},
	{"count", `a range such as "3" or ">=1"`},
	{"copies", `a range such as "2" or ">=1"`},
}

// aggregateKeys are the keys of the aggregate expectation.
var aggregateKeys = []keyHint{
	{"delivered_share", `a share between 0 and 1 such as 0.95, or "95%"`},
	{"no_attempt_after_5xx", "true or false"},
	{"time_to_delivery_p50", "a duration such as 10m"},
	{"time_to_delivery_p99", "a duration such as 1h"},
	{"max_concurrent_per_destination", "a number of connections such as 2"},
	{"max_deliveries_per_day", "caps per day such as [2, 4, 8]"},
}

// emptyError refuses the first of empty, in the order of keys.
func emptyError(prefix string, empty []string, keys []keyHint) error {
	for _, k := range keys {
		if slices.Contains(empty, k.key) {
			return config.Errorf(prefix+"."+k.key, "an empty value reads as the key left out and checks nothing: give %s, or leave the key out", k.give)
		}
	}
	return nil
}

// AggregateExpectation checks the run as a whole.
type AggregateExpectation struct {
	// DeliveredShare is the minimum share of recipients delivered (0..1,
	// or a percentage: "95%").
	DeliveredShare *Share `yaml:"delivered_share"`
	// NoAttemptAfter5xx fails when a recipient was tried again on the
	// same path after a 5xx reply. A 5xx greeting is left out: it refuses
	// the connection, not the message (RFC 5321 3.1), and the relay moves
	// on to the next MX host or tries later.
	NoAttemptAfter5xx bool `yaml:"no_attempt_after_5xx"`
	// TimeToDeliveryP50 and P99 bound delivery time percentiles (nil:
	// not checked; 0s holds when every delivery took no time, as at the
	// first try on a replay's virtual clock).
	TimeToDeliveryP50 *config.Duration `yaml:"time_to_delivery_p50"`
	TimeToDeliveryP99 *config.Duration `yaml:"time_to_delivery_p99"`
	// MaxConcurrentPerDestination bounds the connections open at once to
	// each destination (nil: not checked; 0 holds when the relay opened
	// none). Only a replay can check it: it counts them at the sink's
	// listeners.
	MaxConcurrentPerDestination *int `yaml:"max_concurrent_per_destination"`
	// MaxDeliveriesPerDay bounds the recipients delivered on each UTC day
	// of the run: the first value for the day the first message was
	// queued, the next for the day after, the last value for every day
	// beyond. [2, 4, 8] checks a warm-up that allows 2, 4, then 8 a day.
	MaxDeliveriesPerDay []int `yaml:"max_deliveries_per_day"`

	// empty are the keys the file gave an empty value, which Validate
	// refuses.
	empty []string
	// lines are the lines of the keys the file gave (Locate).
	lines map[string]int
}

// ReplyGlob is a glob over a whole reply (last_reply, any_reply,
// no_reply). Written out, it may not be empty: "" matches no reply at all,
// and would otherwise read as the key left out.
type ReplyGlob string

// UnmarshalYAML implements yaml.NodeUnmarshaler, so that an empty glob is
// reported at its line.
func (g *ReplyGlob) UnmarshalYAML(node ast.Node) error {
	v := config.ScalarText(node)
	if sn, ok := node.(*ast.StringNode); ok {
		v = sn.Value // a glob's spaces are part of it
	}
	if v == "" {
		return config.NodeError(node, `an empty glob matches no reply: give one such as "421 4.7.28 *", or leave the key out`)
	}
	*g = ReplyGlob(v)
	return nil
}

// Share is a share between 0 and 1 (delivered_share), written as a
// number ("0.95") or a percentage ("95%").
type Share float64

// shareHow says how to write a share.
const shareHow = `write 1 for all, or 0.95 (or "95%") for 95%`

// UnmarshalYAML implements yaml.NodeUnmarshaler, so that a share that is
// no number is reported at its line, saying how to write one.
func (s *Share) UnmarshalYAML(node ast.Node) error {
	v := strings.TrimSpace(config.ScalarText(node))
	pct, isPct := strings.CutSuffix(v, "%")
	f, err := strconv.ParseFloat(strings.TrimSpace(pct), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return config.NodeError(node, fmt.Sprintf("%q is not a share: %s", v, shareHow))
	}
	if isPct {
		f /= 100
	}
	*s = Share(f)
	return nil
}

// percentHint is what a share out of range most likely meant: "100" a
// percentage, 100% (write 1, or "100%"); else how to write one.
func (s Share) percentHint() string {
	if f := float64(s); f > 1 && f <= 100 {
		return fmt.Sprintf(": %v reads as %v times all the recipients; for %v%%, write %v (or \"%v%%\")", f, f, f, f/100, f)
	}
	return ": " + shareHow
}

// Toggle is a yes-or-no expectation that may be left out: "tls: true".
type Toggle struct {
	Set, Value bool
}

// UnmarshalYAML implements yaml.NodeUnmarshaler, so that a value other
// than true or false is reported at its line.
func (t *Toggle) UnmarshalYAML(node ast.Node) error {
	switch v := config.ScalarText(node); v {
	case "true", "false":
		*t = Toggle{Set: true, Value: v == "true"}
		return nil
	default:
		return config.NodeError(node, fmt.Sprintf("%q: want true or false", v))
	}
}

// Range is an inclusive integer range written "3", "2-4", "2-" (2 or
// more), ">=2" or "<=5".
type Range struct {
	Min, Max int // Max < 0: unbounded
	Set      bool
}

// UnmarshalYAML implements yaml.NodeUnmarshaler, so that a bad range is
// reported at its line.
func (r *Range) UnmarshalYAML(node ast.Node) error {
	v, err := ParseRange(config.ScalarText(node))
	if err != nil {
		return config.NodeError(node, err.Error())
	}
	*r = v
	return nil
}

// ParseRange reads a Range.
func ParseRange(s string) (Range, error) {
	bad := fmt.Errorf("bad range %q: want N, N-M, N- (N or more), >=N or <=N", s)
	atoi := func(s string) (int, error) {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 0 {
			return 0, bad
		}
		return n, nil
	}
	switch {
	case strings.HasPrefix(s, ">="):
		n, err := atoi(s[2:])
		return Range{Min: n, Max: -1, Set: true}, err
	case strings.HasPrefix(s, "<="):
		n, err := atoi(s[2:])
		return Range{Min: 0, Max: n, Set: true}, err
	case strings.Contains(s, "-"):
		a, b, _ := strings.Cut(s, "-")
		lo, err := atoi(a)
		if err != nil {
			return Range{}, err
		}
		if strings.TrimSpace(b) == "" {
			// "4-", open as a sink rule's attempt: "4-" is.
			return Range{Min: lo, Max: -1, Set: true}, nil
		}
		hi, err := atoi(b)
		if err != nil {
			return Range{}, bad
		}
		if hi < lo {
			return Range{}, fmt.Errorf("bad range %q: its minimum %d is above its maximum %d; write it as %d-%d", s, lo, hi, hi, lo)
		}
		return Range{Min: lo, Max: hi, Set: true}, nil
	}
	n, err := atoi(s)
	return Range{Min: n, Max: n, Set: true}, err
}

// Contains reports whether n is in r.
func (r Range) Contains(n int) bool { return n >= r.Min && (r.Max < 0 || n <= r.Max) }

func (r Range) String() string {
	switch {
	case r.Max < 0:
		return fmt.Sprintf(">=%d", r.Min)
	case r.Min == r.Max:
		return strconv.Itoa(r.Min)
	}
	return fmt.Sprintf("%d-%d", r.Min, r.Max)
}

// dsnStatusRE is an enhanced status code (RFC 3463: class.subject.detail)
// or its first parts, as dsn_status takes them: "5.1.1", "4.4", "5.", "5".
var dsnStatusRE = regexp.MustCompile(`^[245](\.[0-9]{1,3}){0,2}$|^[245](\.[0-9]{1,3})?\.$`)

// senderDSNValues are what sender_dsn takes: a DSN's actions (RFC 3464
// 2.3.3), or none.
var senderDSNValues = map[string]bool{"failed": true, "delayed": true, "delivered": true, "relayed": true, "expanded": true, "none": true}

var validStatus = map[string]bool{"delivered": true, "bounced": true, "expired": true, "suppressed": true, "deferred": true, "queued": true}

// Validate checks the expectations themselves (impossible ones are
// errors): Problems, joined.
func (x *Expectations) Validate(prefix string) error {
	return errors.Join(x.Problems(prefix)...)
}

// SetAside reports whether err, one of Problems, is a value of the
// section that did not decode (not a problem its checks found), which a
// caller that says one problem of its own for an expectation still says
// beside it.
func (x *Expectations) SetAside(err error) bool {
	return slices.Contains(x.bad, err)
}

// Problems are what Validate refuses, in the order of the section: the
// first problem of each recipient expectation, then the aggregate's, then
// names that two expectations share, so that one reading of a file shows
// them all.
//
// A value that did not decode is said in its place, at its key (set
// aside, it reads as the key left out), beside the first problem of the
// rest of its expectation: one reading shows both, and LocateAll puts
// them in the order of their lines and columns. A problem at a key above
// or below a value set aside is not said: it could be one that the key
// left out makes. The aggregate, with such a value, is not checked
// further.
func (x *Expectations) Problems(prefix string) []error {
	if prefix != "" {
		prefix += "."
	}
	var out []error
	taken := map[error]bool{} // the bad values said in their place
	badAt := func(key string) []error {
		bad := config.BadUnder(x.bad, key)
		for _, b := range bad {
			taken[b] = true
		}
		out = append(out, bad...)
		return bad
	}
	for i, r := range x.Recipients {
		key := fmt.Sprintf("%srecipients[%d]", prefix, i)
		bad := badAt(key)
		for _, err := range x.recipientProblems(key, r) {
			if !config.Shadowed(bad, err) && !namesBadKey(err, bad) {
				out = append(out, err)
				break
			}
		}
	}
	if len(badAt(prefix+"aggregate")) == 0 {
		if err := x.validateAggregate(prefix); err != nil {
			out = append(out, err)
		}
	}
	for _, b := range slices.Backward(x.bad) {
		if !taken[b] { // above both parts: "recipients: 5"
			out = append([]error{b}, out...)
		}
	}
	for _, err := range x.duplicateNames(prefix) {
		if !config.Shadowed(x.bad, err) {
			out = append(out, err)
		}
	}
	return out
}

// trailingIndex is the list indexes at the end of a key path.
var trailingIndex = regexp.MustCompile(`(\[[0-9]+\])+$`)

// namesBadKey reports whether the problem err names, as a word of its
// message, the key of a value of bad (set aside, so read as left out):
// "tolerance ... lists no attempt_times" beside an attempt_times that did
// not decode is a problem of the key left out, not of the file.
func namesBadKey(err error, bad []error) bool {
	var fe *config.FieldError
	if !errors.As(err, &fe) {
		return false
	}
	for _, b := range bad {
		var be *config.FieldError
		if !errors.As(b, &be) {
			continue
		}
		leaf := trailingIndex.ReplaceAllString(be.Key, "") // attempt_times[1]: attempt_times
		leaf = leaf[strings.LastIndex(leaf, ".")+1:]
		if leaf != "" && regexp.MustCompile(`\b`+regexp.QuoteMeta(leaf)+`\b`).MatchString(fe.Msg) {
			return true
		}
	}
	return false
}

// recipientProblems are the problems of the recipient expectation r at
// key, in the order of its checks; Problems says the first that a value
// set aside does not shadow.
func (x *Expectations) recipientProblems(key string, r RecipientExpectation) []error {
	var out []error
	add := func(err error) {
		if err != nil {
			out = append(out, err)
		}
	}
	add(emptyError(key, r.empty, recipientKeys))
	if r.Match == "" {
		add(config.Errorf(key+".match", "every recipient expectation needs a match pattern such as \"*@example.test\""))
	} else if err := checkMatch(r.Match); err != nil {
		add(config.Errorf(key+".match", "%q %v", r.Match, err))
	}
	if r.Status != "" && !validStatus[r.Status] {
		add(config.Errorf(key+".status", "%q is not a status%s: want delivered, bounced, expired, suppressed, deferred or queued", r.Status, DidYouMean(r.Status, statusNames)))
	}
	if r.DSN != "" && r.DSN != "sent" && r.DSN != "none" {
		add(config.Errorf(key+".dsn", "%q%s: want sent or none", r.DSN, DidYouMean(r.DSN, []string{"sent", "none"})))
	}
	if r.DSNStatus != "" && !dsnStatusRE.MatchString(r.DSNStatus) {
		add(config.Errorf(key+".dsn_status", `%q is not an enhanced status code: want one such as "5.1.1" (RFC 3463), or its first parts ("5.1", "5.")`, r.DSNStatus))
	}
	if r.DSNStatus != "" && r.DSN == "none" {
		add(config.Errorf(key+".dsn_status", "asks for a DSN with status %s, but dsn is none: the expectation can never hold", r.DSNStatus))
	}
	if r.SenderDSN != "" && !senderDSNValues[r.SenderDSN] {
		add(config.Errorf(key+".sender_dsn", "%q%s: want failed, delayed, delivered, relayed or expanded (the DSN's action, RFC 3464 2.3.3), or none", r.SenderDSN, DidYouMean(r.SenderDSN, senderDSNNames)))
	}
	if r.SenderDSNStatus != "" && !dsnStatusRE.MatchString(r.SenderDSNStatus) {
		add(config.Errorf(key+".sender_dsn_status", `%q is not an enhanced status code: want one such as "5.1.1" (RFC 3463), or its first parts ("5.1", "5.")`, r.SenderDSNStatus))
	}
	if r.SenderDSNStatus != "" && r.SenderDSN == "none" {
		add(config.Errorf(key+".sender_dsn_status", "asks for a DSN with status %s from the sender's MTA, but sender_dsn is none: the expectation can never hold", r.SenderDSNStatus))
	}
	if r.Status == "suppressed" && r.Suppressed != nil && !*r.Suppressed {
		add(config.Errorf(key+".suppressed", "false, but status suppressed is a suppressed recipient: the expectation can never hold"))
	}
	if r.Attempts.Set && len(r.AttemptTimes) > 0 && !r.Attempts.Contains(len(r.AttemptTimes)) {
		add(config.Errorf(key+".attempt_times", "%d attempt times listed but attempts is %s: the expectation can never hold", len(r.AttemptTimes), r.Attempts))
	}
	if r.Status == "delivered" && r.Attempts.Set && r.Attempts.Max == 0 {
		add(config.Errorf(key+".attempts", "a delivered recipient needs at least one attempt"))
	}
	if r.Status == "delivered" && r.Copies.Set && r.Copies.Max == 0 {
		add(config.Errorf(key+".copies", "a delivered recipient's message is at the receiving side at least once (the 2xx after its final dot took it): the expectation can never hold"))
	}
	for _, d := range []struct {
		name string
		v    *config.Duration
	}{{"tolerance", r.Tolerance}, {"min_interval", r.MinInterval}, {"max_interval", r.MaxInterval}} {
		if d.v != nil && *d.v < 0 {
			add(config.Errorf(key+"."+d.name, "%s is negative: want a duration of 0s or more", *d.v))
		}
	}
	if r.Tolerance != nil && len(r.AttemptTimes) == 0 {
		add(config.Errorf(key+".tolerance", "is how far each of attempt_times may be off, but the expectation lists no attempt_times, so it checks nothing: give attempt_times, or leave tolerance out"))
	}
	if r.MinInterval != nil && *r.MinInterval == 0 {
		// Tries come in time order: no gap is below 0s.
		add(config.Errorf(key+".min_interval", "0s holds for any attempts (no two tries are less than 0s apart), so it checks nothing: give a duration such as 5m, or leave the key out"))
	}
	add(attemptTimesProblem(key, r))
	if r.Category != "" && !x.knownCategory(r.Category) {
		hint := ""
		if near := nearCategories(r.Category, x.categories()); len(near) > 0 {
			hint = " (did you mean " + strings.Join(near, " or ") + "?)"
		}
		add(config.Errorf(key+".category", "%q is not a category the relay gives%s: want one of %s", r.Category, hint, strings.Join(x.categories(), ", ")))
	}
	if r.MinInterval != nil && r.MaxInterval != nil && *r.MinInterval > *r.MaxInterval {
		add(config.Errorf(key+".min_interval", "min_interval %s is above max_interval %s", *r.MinInterval, *r.MaxInterval))
	}
	if lc := r.LastCode; lc != "" && lc != "2xx" && lc != "4xx" && lc != "5xx" {
		if n, err := strconv.Atoi(lc); err != nil || n < 200 || n > 599 {
			add(config.Errorf(key+".last_code", "%q: want a reply code (250) or a class (2xx, 4xx, 5xx)", lc))
		}
	}
	add(validateLast(key, r))
	add(validateReplies(key, r))
	add(absenceProblem(key, r))
	return out
}

// absenceProblem refuses count: 0 beside keys that judge each record
// matched: with none to match, they would check nothing, and the
// expectation would read as more than it asks.
func absenceProblem(key string, r RecipientExpectation) error {
	if !r.Count.Set || r.Count.Max != 0 {
		return nil
	}
	keys := r.recordKeys()
	if len(keys) == 0 {
		return nil
	}
	return config.Errorf(key+".count", "%s asks that nothing match, so %s, which %s each recipient matched, %s nothing: "+
		"leave %s out to assert that nothing matches, or give count the number of recipients to judge (such as \">=1\")",
		r.Count, joinAnd(keys), plural(len(keys), "judges", "judge"), plural(len(keys), "checks", "check"), plural(len(keys), "it", "them"))
}

// recordKeys are the keys r gives that judge each record it matches
// (all but name, match, message and count), in the order of
// recipientKeys.
func (r RecipientExpectation) recordKeys() []string {
	given := map[string]bool{
		"status": r.Status != "", "attempts": r.Attempts.Set, "attempt_times": len(r.AttemptTimes) > 0, "tolerance": r.Tolerance != nil,
		"min_interval": r.MinInterval != nil, "max_interval": r.MaxInterval != nil, "path": r.Path != "", "category": r.Category != "",
		"dsn": r.DSN != "", "dsn_status": r.DSNStatus != "", "suppressed": r.Suppressed != nil, "sender_dsn": r.SenderDSN != "",
		"sender_dsn_status": r.SenderDSNStatus != "", "last_code": r.LastCode != "", "last_reply": r.LastReply != "", "any_reply": r.AnyReply != "",
		"no_reply": r.NoReply != "", "tls": r.TLS.Set, "copies": r.Copies.Set,
	}
	var out []string
	for _, k := range recipientKeys {
		if given[k.key] {
			out = append(out, k.key)
		}
	}
	return out
}

// joinAnd is "a", "a and b", "a, b and c".
func joinAnd(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}

// DidYouMean is ` (did you mean "delivered"?)` when word is a slip of one
// of names (config.Nearest), or the name in another case, "" otherwise.
func DidYouMean(word string, names []string) string {
	for _, n := range names {
		if strings.EqualFold(word, n) && word != n { // a slip of case: "failure" for FAILURE
			return fmt.Sprintf(" (did you mean %q?)", n)
		}
	}
	if near := config.Nearest(word, names); near != "" {
		return fmt.Sprintf(" (did you mean %q?)", near)
	}
	return ""
}

// statusNames and senderDSNNames are the values status and sender_dsn
// take, for DidYouMean.
var (
	statusNames    = []string{"delivered", "bounced", "expired", "suppressed", "deferred", "queued"}
	senderDSNNames = []string{"failed", "delayed", "delivered", "relayed", "expanded", "none"}
)

// attemptTimesProblem is the first problem of r's attempt_times: an
// offset before the message was queued, or one before the offset before
// it by more than the tolerance allows.
func attemptTimesProblem(key string, r RecipientExpectation) error {
	tol := time.Second // checkRecipient's default
	if r.Tolerance != nil {
		tol = r.Tolerance.D()
	}
	for j, at := range r.AttemptTimes {
		if at < 0 {
			return config.Errorf(fmt.Sprintf("%s.attempt_times[%d]", key, j), "%s is before the message was queued: want an offset of 0s or more", at)
		}
		// Tries come in time order: try j+1 cannot be found before
		// try j, even with each moved by the tolerance.
		if j > 0 && at.D()+2*tol < r.AttemptTimes[j-1].D() {
			return config.Errorf(fmt.Sprintf("%s.attempt_times[%d]", key, j), "%s is before attempt %d's %s, but attempts come in time order: the expectation can never hold", at, j, r.AttemptTimes[j-1])
		}
	}
	return nil
}

// validateAggregate is the first problem of the aggregate expectation.
func (x *Expectations) validateAggregate(prefix string) error {
	a := x.Aggregate
	if err := emptyError(prefix+"aggregate", a.empty, aggregateKeys); err != nil {
		return err
	}
	if s := a.DeliveredShare; s != nil && (*s < 0 || *s > 1) {
		return config.Errorf(prefix+"aggregate.delivered_share", "%v is not a share between 0 and 1%s", float64(*s), s.percentHint())
	}
	if s := a.DeliveredShare; s != nil && *s == 0 {
		return config.Errorf(prefix+"aggregate.delivered_share", "0 holds whatever happened (no share is below 0), so it checks nothing: give a share such as 0.95; to expect that nothing is delivered, give the recipients a status")
	}
	for _, d := range []struct {
		name string
		v    *config.Duration
	}{{"time_to_delivery_p50", a.TimeToDeliveryP50}, {"time_to_delivery_p99", a.TimeToDeliveryP99}} {
		if d.v != nil && *d.v < 0 {
			return config.Errorf(prefix+"aggregate."+d.name, "%s is negative: want a duration of 0s or more", *d.v)
		}
	}
	if n := a.MaxConcurrentPerDestination; n != nil && *n < 0 {
		return config.Errorf(prefix+"aggregate.max_concurrent_per_destination", "%d is not a number of connections", *n)
	}
	for i, n := range a.MaxDeliveriesPerDay {
		if n < 0 {
			return config.Errorf(fmt.Sprintf("%saggregate.max_deliveries_per_day[%d]", prefix, i), "%d is not a number of deliveries", n)
		}
	}
	return nil
}

// validateLast refuses last_reply and tls expectations that can never
// hold: both judge the last attempt, so attempts must allow one, and a
// last_reply that begins with a reply code (or its first digits and a *)
// must agree with last_code, or without one with status delivered, whose
// last reply is a 2xx.
func validateLast(key string, r RecipientExpectation) error {
	if r.Attempts.Set && r.Attempts.Max == 0 {
		for _, k := range []struct {
			name string
			set  bool
		}{{"last_reply", r.LastReply != ""}, {"tls", r.TLS.Set}} {
			if k.set {
				return config.Errorf(key+"."+k.name, "judges the last attempt, but attempts is %s: the expectation can never hold", r.Attempts)
			}
		}
	}
	// A delivered recipient's last reply is the 2xx that took the
	// message.
	if r.Status == "delivered" && r.LastCode != "" && !codeFits(r.LastCode, "2??") {
		return config.Errorf(key+".last_code", "%s, but status delivered ends with a 2xx reply: the expectation can never hold", r.LastCode)
	}
	p := string(r.LastReply)
	want, name := r.LastCode, "last_code is "+r.LastCode
	if want == "" && r.Status == "delivered" {
		want, name = "2xx", "status delivered ends with a 2xx reply"
	}
	code, ok := leadingCode(p)
	if want == "" || !ok {
		return nil // no reply code at the start to compare
	}
	if !codeFits(want, code) {
		return config.Errorf(key+".last_reply", "%q begins with %s but %s: the expectation can never hold", p, strings.TrimRight(code, "?"), name)
	}
	return nil
}

// leadingCode is the reply code that every reply the glob p matches
// begins with, as up to three digits or ? (the part before a *: "550"
// of "550 5.1.1 *" and of "550*", "55?" of "55*"), and false when p
// says nothing of it: it begins with *, or more digits follow the first
// three ("4210 is not a code*", which no reply code matches).
func leadingCode(p string) (string, bool) {
	lit, _, _ := strings.Cut(p, "*")
	n := min(len(lit), 3)
	if n == 0 || strings.Trim(lit[:n], "0123456789?") != "" {
		return "", false
	}
	if len(lit) > 3 && lit[3] != ' ' {
		return "", false
	}
	if n < 3 && len(lit) == len(p) {
		return "", false // "55" without a *: a whole reply of two characters
	}
	return lit[:n] + strings.Repeat("?", 3-n), true
}

// codeFits reports whether some reply code that want (250, 4xx) allows
// begins with the pattern code ("5?0").
func codeFits(want, code string) bool {
	w := want
	if strings.HasSuffix(want, "xx") {
		w = want[:1] + "??"
	}
	for i := 0; i < 3; i++ {
		if w[i] != '?' && code[i] != '?' && w[i] != code[i] {
			return false
		}
	}
	return true
}

// validateReplies refuses any_reply and no_reply expectations that can
// never hold: any_reply needs an attempt, and no_reply may not forbid
// every reply that any_reply, last_reply, last_code or status delivered
// (a 2xx reply) asks for.
func validateReplies(key string, r RecipientExpectation) error {
	if r.AnyReply != "" && r.Attempts.Set && r.Attempts.Max == 0 {
		return config.Errorf(key+".any_reply", "needs an attempt whose reply matches, but attempts is %s: the expectation can never hold", r.Attempts)
	}
	if r.NoReply == "" {
		return nil
	}
	asks := []struct{ name, glob string }{{"any_reply", string(r.AnyReply)}, {"last_reply", string(r.LastReply)}}
	switch lc := r.LastCode; {
	case strings.HasSuffix(lc, "xx"):
		asks = append(asks, struct{ name, glob string }{"last_code", lc[:1] + "*"})
	case lc != "":
		asks = append(asks, struct{ name, glob string }{"last_code", lc + " *"})
	}
	if r.Status == "delivered" {
		asks = append(asks, struct{ name, glob string }{"status", "2*"})
	}
	for _, a := range asks {
		if a.glob != "" && forbidsAll(string(r.NoReply), a.glob) {
			v := a.glob
			if a.name == "last_code" {
				v = r.LastCode
			} else if a.name == "status" {
				v = "delivered (a 2xx reply)"
			}
			return config.Errorf(key+".no_reply", "%q forbids every reply that %s %s asks for: the expectation can never hold", r.NoReply, a.name, v)
		}
	}
	return nil
}

// forbidsAll reports whether the glob no matches every reply the glob
// want allows. It sees the plain cases (want without wildcards, or no
// being a literal start and a final *, as "5*"), which is where a
// contradiction is a slip and not a puzzle.
func forbidsAll(no, want string) bool {
	no, want = strings.ToLower(no), strings.ToLower(want)
	if !strings.ContainsAny(want, "*?") {
		return Glob(no, want)
	}
	lit, ok := strings.CutSuffix(no, "*")
	if !ok || strings.Contains(lit, "*") {
		return no == want
	}
	// want's replies all begin with its text before the first wildcard.
	pre := want[:strings.IndexAny(want, "*?")]
	if len(pre) < len(lit) {
		return no == want
	}
	for i := 0; i < len(lit); i++ {
		if lit[i] != '?' && lit[i] != pre[i] {
			return false
		}
	}
	return true
}

// nearCategories are the categories of known (quoted) that c is most
// likely a slip for: those a typo or two away ("invalid-recipent"), else
// those that share the most of its words, its first word counting twice
// ("dns-error" is dns-failure, not protocol-error), a word being the same
// as one of c's or beginning with it ("auth-failure" is
// authentication-failure). At most three, none when nothing is near.
func nearCategories(c string, known []string) []string {
	c = strings.ToLower(c)
	var near []string
	best := 3
	for _, k := range known {
		switch d := config.EditDistance(c, k); {
		case d < best:
			best, near = d, []string{strconv.Quote(k)}
		case d == best:
			near = append(near, strconv.Quote(k))
		}
	}
	if len(near) > 0 {
		return near
	}
	words := strings.FieldsFunc(c, func(r rune) bool { return r == '-' || r == '_' || r == ' ' })
	top := 0
	for _, k := range known {
		score := 0
		for i, w := range words {
			if len(w) < 3 {
				continue // "no", "to": in too many
			}
			for _, kw := range strings.Split(k, "-") {
				if kw == w || len(w) >= 4 && strings.HasPrefix(kw, w) {
					score++
					if i == 0 {
						score++
					}
					break
				}
			}
		}
		switch {
		case score == 0:
		case score > top:
			top, near = score, []string{strconv.Quote(k)}
		case score == top:
			near = append(near, strconv.Quote(k))
		}
	}
	if len(near) > 3 {
		return nil // a common word: no one guess stands out
	}
	return near
}

func (x *Expectations) knownCategory(c string) bool {
	return slices.Contains(Categories, c) || slices.Contains(x.ExtraCategories, c)
}

// categories is Categories and ExtraCategories, sorted, without repeats.
func (x *Expectations) categories() []string {
	return slices.Compact(slices.Sorted(slices.Values(append(slices.Clone(Categories), x.ExtraCategories...))))
}

// Result is the outcome of one expectation.
type Result struct {
	Name    string `json:"name"`
	Pass    bool   `json:"pass"`
	Message string `json:"message,omitempty"`
	// File and Line are where the expectation is written (an aggregate
	// check: its key), when its file is known (Expectations.Locate), so
	// that a CI annotation can point at the line that failed.
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	// earlyRefusals: the failure refers to the sink's sessions refused
	// before any RCPT TO, which its verdict then notes once
	// (NewVerdict, Data.earlyRefusalRunNote).
	earlyRefusals bool
	// noted are the records whose sink notes the verdict carries for
	// this expectation (NewVerdict): those it matched, or, matching
	// none, those of the address its did-you-mean names.
	noted []*Recipient
	// suppressed are the addresses the expectation matches whose mail
	// the relay's suppression list stopped (Data.AddRelaySuppressions),
	// which its verdict notes once (NewVerdict).
	suppressed []*suppressedAddr
}

// Where is "FILE:LINE", or FILE without a line, of the expectation; ""
// when its file is not known.
func (r Result) Where() string {
	if r.File == "" || r.Line <= 0 {
		return r.File
	}
	return fmt.Sprintf("%s:%d", r.File, r.Line)
}

// Evaluate checks x against d.
func Evaluate(d *Data, x Expectations) []Result {
	var out []Result
	for i, e := range x.Recipients {
		r := evalRecipient(d, i, e)
		r.File, r.Line = x.File, e.line
		out = append(out, r)
	}
	for _, r := range evalAggregate(d, x.Aggregate) {
		r.File, r.Line = x.AggregateAt(strings.TrimPrefix(r.Name, "aggregate "))
		out = append(out, r)
	}
	return out
}

func evalRecipient(d *Data, i int, e RecipientExpectation) Result {
	res := Result{Name: e.name(i), Pass: true}
	var matched, elsewhere int
	var problems, found, others, senders []string
	var foundRecords, elsewhereRecords []*Recipient
	for _, r := range d.Recipients {
		if !MatchAddress(e.Match, r.Address) {
			continue
		}
		if e.Message != "" && !Glob(e.Message, r.Message) {
			elsewhere++
			elsewhereRecords = append(elsewhereRecords, r)
			if !slices.Contains(others, r.Message) {
				others = append(others, r.Message)
			}
			continue
		}
		matched++
		found = append(found, r.label())
		foundRecords = append(foundRecords, r)
		if r.from != "" && !slices.Contains(senders, r.from) {
			senders = append(senders, r.from)
		}
		if msg := checkRecipient(r, e); msg != "" {
			problems = append(problems, msg)
		}
	}
	// The sink's notes on the addresses the expectation names go with
	// its verdict (NewVerdict): those of its records, else of its
	// address in other messages, else of the address it was likely
	// meant to name (the did-you-mean below).
	res.noted = foundRecords
	if matched == 0 {
		res.noted = elsewhereRecords
	}
	res.suppressed = d.suppressedMatching(e.Match)
	count := e.Count
	if !count.Set {
		count = Range{Min: 1, Max: -1}
	}
	if !count.Contains(matched) {
		// With message:, the count is of that message's recipients: say
		// so, and how many the address alone would have found, or the
		// reader looks for the fault in match.
		what := fmt.Sprintf("%q", e.Match)
		if e.Message != "" {
			what += fmt.Sprintf(" in message %q", e.Message)
			if elsewhere > 0 {
				what += fmt.Sprintf(" (%d more %s the address, in %s)", elsewhere, plural(elsewhere, "matches", "match"), messageList(others))
			}
		}
		// On a sink's record count counts records (one message's
		// delivery to one recipient each), and says so.
		noun := Summary{FromSink: d.FromSink}.recordNoun()
		if count.String() != "1" {
			noun += "s"
		}
		msg := fmt.Sprintf("expected %s %s matching %s, found %d", count, noun, what, matched)
		if matched < count.Min {
			msg += copiesNote(foundRecords, count, Summary{FromSink: d.FromSink}.recordNoun())
		}
		ref := ""
		if matched < count.Min && d.FromSink {
			// Sessions refused before RCPT TO name no recipient: a
			// sender refused at its greeting or MAIL FROM is not
			// missing from the record for a fault of match. Said
			// first, as the likelier cause; the verdict's note says
			// how, once (Result.earlyRefusals).
			if ref = d.earlyRefusalRef(senders); ref != "" {
				msg += " (" + ref + ")"
				res.earlyRefusals = true
			}
		}
		if matched == 0 && elsewhere == 0 && len(res.suppressed) == 0 {
			// A typo in match, most often: name the nearest address the
			// record has, unless a session refused before RCPT TO
			// could as well have been the mail missing (earlyRefusalCovers):
			// rate2@ refused at MAIL FROM is not a slip for rate1@,
			// which the same sender got through. Nor when the relay
			// suppressed mail to addresses it matches: that is why.
			if near, rs := closestAddress(matchForm(e.Match), d.Recipients); near != "" && (ref == "" || !d.earlyRefusalCovers(rs)) {
				msg += fmt.Sprintf(" (did you mean %q?)", near)
				res.noted = rs
			}
		}
		if len(found) > 0 {
			// Name them, so that the extra (or the one that stands in for
			// a missing one) shows.
			const shown = 4
			if len(found) > shown {
				found = append(found[:shown], fmt.Sprintf("and %d more", len(found)-shown))
			}
			msg += ": " + strings.Join(found, ", ")
		}
		problems = append([]string{msg}, problems...)
	}
	if len(problems) > 0 {
		res.Pass = false
		if len(problems) > 5 {
			problems = append(problems[:5], "... and "+counted(len(problems)-5, "more "+Summary{FromSink: d.FromSink}.recordNoun()))
		}
		if len(res.suppressed) > 0 {
			// Why the records are missing, or are an earlier run's.
			problems = append(problems, suppressedRef(res.suppressed))
		}
		if e.AnyReply != "" && d.FromSink {
			// A reply given before RCPT TO is in no recipient's record.
			if note := d.earlyReplyNote(strings.ToLower(string(e.AnyReply))); note != "" {
				problems = append(problems, note)
				res.earlyRefusals = true
			}
		}
		res.Message = strings.Join(problems, "\n")
	}
	return res
}

// messageList names messages: "message m2", "messages m2 and m3",
// "messages m2, m3, m4, m5 and 3 more".
func messageList(names []string) string {
	const shown = 4
	if len(names) == 1 {
		return "message " + names[0]
	}
	if len(names) > shown {
		names = append(names[:shown:shown], fmt.Sprintf("%d more", len(names)-shown))
	}
	return "messages " + strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// checkRecipient returns "" when r meets e, else what was expected, what
// happened and the attempt timeline.
func checkRecipient(r *Recipient, e RecipientExpectation) string {
	var why []string
	if e.Status != "" && r.Status != e.Status {
		why = append(why, fmt.Sprintf("expected status %s, got %s%s", e.Status, r.Status, r.noMessageNote()))
	}
	// Attempts, their times and intervals are delivery tries: the MX
	// hosts (or route paths) of one try count once, at the try's start.
	tries := r.tries()
	// An attempts that failed has said how many there were: attempt_times
	// then says only which times, not the count again.
	countSaid := e.Attempts.Set && !e.Attempts.Contains(len(tries))
	if countSaid {
		noun := "attempts"
		if e.Attempts.String() == "1" {
			noun = "attempt"
		}
		why = append(why, fmt.Sprintf("expected %s %s, got %d%s", e.Attempts, noun, len(tries), hostsNote(r, tries)))
	}
	if len(e.AttemptTimes) > 0 {
		tol := time.Second
		if e.Tolerance != nil {
			tol = e.Tolerance.D() // 0s: exactly
		}
		for j, want := range e.AttemptTimes {
			if j >= len(tries) {
				if countSaid {
					why = append(why, fmt.Sprintf("attempt %d, expected at +%s, did not come", j+1, want))
				} else {
					why = append(why, fmt.Sprintf("expected attempt %d at +%s, but there %s only %s", j+1, want, wasWere(len(tries)), counted(len(tries), "attempt")))
				}
				break
			}
			got := r.Attempts[tries[j]].Time.Sub(r.Queued)
			if diff := got - want.D(); diff > tol || diff < -tol {
				why = append(why, fmt.Sprintf("expected attempt %d at +%s (±%s), got +%s", j+1, want, tol, got.Round(time.Millisecond)))
			}
		}
		// The times listed are all the attempts: one more that came is
		// a retry the expectation did not foresee.
		if n := len(e.AttemptTimes); len(tries) > n {
			var extra []string
			for _, k := range tries[n:] {
				extra = append(extra, "+"+r.Attempts[k].Time.Sub(r.Queued).Round(time.Millisecond).String())
			}
			const shown = 5
			if len(extra) > shown {
				extra = append(extra[:shown], fmt.Sprintf("and %d more", len(extra)-shown))
			}
			if countSaid {
				why = append(why, fmt.Sprintf("the attempts attempt_times does not list came at %s", strings.Join(extra, ", ")))
			} else {
				why = append(why, fmt.Sprintf("expected %s (attempt_times lists every attempt), but there %s %d: the attempts not listed came at %s",
					counted(n, "attempt"), wasWere(len(tries)), len(tries), strings.Join(extra, ", ")))
			}
		}
	}
	for j := 1; j < len(tries); j++ {
		gap := r.Attempts[tries[j]].Time.Sub(r.Attempts[tries[j-1]].Time)
		if e.MinInterval != nil && gap < e.MinInterval.D() {
			why = append(why, fmt.Sprintf("attempts %d and %d were %s apart, expected at least %s", j, j+1, gap.Round(time.Millisecond), *e.MinInterval))
		}
		if e.MaxInterval != nil && gap > e.MaxInterval.D() {
			why = append(why, fmt.Sprintf("attempts %d and %d were %s apart, expected at most %s", j, j+1, gap.Round(time.Millisecond), *e.MaxInterval))
		}
	}
	if e.Path != "" && r.Path != e.Path {
		why = append(why, fmt.Sprintf("expected path %s, got %q", e.Path, r.Path))
	}
	if e.Category != "" && r.Category != e.Category {
		why = append(why, fmt.Sprintf("expected category %q, got %q", e.Category, r.Category))
	}
	if e.DSN == "sent" && !r.DSN {
		want := "a DSN"
		if e.DSNStatus != "" {
			want += " with status " + e.DSNStatus // said once, below not again
		}
		why = append(why, "expected "+want+" to be sent, "+noDSN(r, "none was"))
	}
	if e.DSN == "none" && r.DSN {
		why = append(why, "expected no DSN, one was sent"+delayedDSNNote(r))
	}
	if e.DSNStatus != "" && (!r.DSN || !statusHas(e.DSNStatus, r.DSNStatus)) {
		if r.DSN {
			why = append(why, fmt.Sprintf("expected a DSN with status %s, got %s%s", e.DSNStatus, r.DSNStatus, delayedDSNNote(r)))
		} else if e.DSN != "sent" {
			why = append(why, fmt.Sprintf("expected a DSN with status %s, %s", e.DSNStatus, noDSN(r, "none was sent")))
		}
	}
	why = append(why, checkSenderDSN(r, e)...)
	if e.Suppressed != nil && *e.Suppressed != (r.Status == "suppressed" || r.Suppressed) {
		why = append(why, fmt.Sprintf("expected suppressed=%v, got %v", *e.Suppressed, !*e.Suppressed))
	}
	if e.LastCode != "" {
		switch n := len(r.Attempts); {
		case n == 0:
			// Not `got ""`: there was no reply because there was no try.
			why = append(why, fmt.Sprintf("expected the last reply to be %s, but there was no attempt", e.LastCode))
		case !codeMatches(e.LastCode, r.Attempts[n-1].Code):
			why = append(why, fmt.Sprintf("expected the last reply to be %s, got %q%s", e.LastCode, r.lastShown(), r.lateBounceNote()))
		}
	}
	if e.LastReply != "" {
		why = append(why, checkLastReply(r, string(e.LastReply))...)
	}
	if e.AnyReply != "" {
		why = append(why, checkAnyReply(r, string(e.AnyReply))...)
	}
	if e.NoReply != "" {
		why = append(why, checkNoReply(r, string(e.NoReply))...)
	}
	if e.TLS.Set {
		why = append(why, checkTLS(r, e.TLS.Value)...)
	}
	if e.Copies.Set {
		if msg := checkCopies(r, e.Copies); msg != "" {
			why = append(why, msg)
		}
	}
	if len(why) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(r.label())
	fmt.Fprintf(&b, ": %s; timeline:\n", strings.Join(why, "; "))
	WriteTimeline(&b, r)
	if len(r.Attempts) == 0 {
		b.WriteString("  (no attempts)\n")
	}
	writeOutcome(&b, r)
	return strings.TrimRight(b.String(), "\n")
}

// writeOutcome adds why a recipient that was not delivered ended as it
// did, and what to do, as the relay classified its last reply, or,
// without a classification (a sink's record), as its reply reads.
func writeOutcome(b *strings.Builder, r *Recipient) {
	if line := r.senderDSNLine(); line != "" {
		fmt.Fprintf(b, "  %s\n", line)
	}
	if r.Status == "delivered" || r.Status == "queued" {
		return
	}
	reason, advice := r.why()
	fmt.Fprintf(b, "  %s", r.state())
	if c := r.otherCategory(); c != "" {
		fmt.Fprintf(b, " (%s)", c)
	}
	fmt.Fprintf(b, ": %s\n", reason)
	if advice != "" {
		fmt.Fprintf(b, "  what to do: %s\n", advice)
	}
	// Held after its last try, or held before any (never tried yet).
	if r.heldNote() != "" || len(r.Attempts) == 0 && !r.Final() && len(r.Holds) > 0 {
		fmt.Fprintf(b, "  what to do about the hold: %s\n", heldAdvice(r.Holds[len(r.Holds)-1].Until))
	}
	if line := r.nextAttemptLine(); line != "" {
		fmt.Fprintln(b, line)
	}
}

// lateBounceNote says, for a recipient bounced after delivery, that the
// last reply is its last attempt's (the 2xx that took the message), and
// where the bounce's reply is judged; "" for any other.
func (r *Recipient) lateBounceNote() string {
	b := r.LateBounce
	if b == nil {
		return ""
	}
	later, judges := "later", "dsn_status and category the bounce"
	if last := r.Attempts[len(r.Attempts)-1].Time; !b.Time.IsZero() && !last.IsZero() {
		later = b.Time.Sub(last).Round(time.Second).String() + " later"
	}
	if r.fromSink {
		judges = "dsn_status the bounce" // a sink's record has no bounce category
	}
	return fmt.Sprintf(" (the last attempt's reply, which took the message; the late bounce %s reported %q: last_code and last_reply judge attempts, %s)", later, b.Reply(), judges)
}

// checkLastReply matches the last attempt's reply against the glob want.
func checkLastReply(r *Recipient, want string) []string {
	if len(r.Attempts) == 0 {
		return []string{fmt.Sprintf("expected the last reply to match %q, but there was no attempt", want)}
	}
	last := r.Attempts[len(r.Attempts)-1]
	w := strings.ToLower(want)
	if replyMatches(w, last) {
		return nil
	}
	got := last.Shown()
	g := strings.ToLower(got)
	msg := fmt.Sprintf("expected the last reply to match %q, got %q%s", want, got, r.lateBounceNote())
	if !strings.ContainsAny(w, "*?") && strings.HasPrefix(g, w) {
		// The commonest slip: "421 4.7.28" for every reply that begins so.
		msg += " (last_reply matches the whole reply: end it with * to allow the text that follows)"
	}
	return []string{msg}
}

// replyMatches reports whether the lower-case glob w matches a's reply,
// as Reply gives it or as Shown does (with the enhanced code of the
// relay's own failure before it, as report and the timelines show it).
func replyMatches(w string, a Attempt) bool {
	return Glob(w, strings.ToLower(a.Reply())) || Glob(w, strings.ToLower(a.Shown()))
}

// checkAnyReply looks for an attempt whose reply matches the glob want.
func checkAnyReply(r *Recipient, want string) []string {
	if len(r.Attempts) == 0 {
		return []string{fmt.Sprintf("expected a reply matching %q in some attempt (any_reply), but there was no attempt", want)}
	}
	w := strings.ToLower(want)
	hint := false
	for _, a := range r.Attempts {
		if replyMatches(w, a) {
			return nil
		}
		g := strings.ToLower(a.Shown())
		hint = hint || !strings.ContainsAny(w, "*?") && strings.HasPrefix(g, w)
	}
	msg := fmt.Sprintf("expected a reply matching %q in some attempt (any_reply), got the replies %s", want, replyList(r, nil))
	if hint {
		msg += " (any_reply matches a whole reply: end it with * to allow the text that follows)"
	}
	return []string{msg}
}

// checkNoReply names the attempts whose reply matches the glob no.
func checkNoReply(r *Recipient, no string) []string {
	n := strings.ToLower(no)
	hit := func(a Attempt) bool { return replyMatches(n, a) }
	if !slices.ContainsFunc(r.Attempts, hit) {
		return nil
	}
	return []string{fmt.Sprintf("expected no reply matching %q (no_reply), got %s", no, replyList(r, hit))}
}

// replyList writes the distinct replies of the attempts that keep allows
// (nil: all), in order, each with the numbers of its tries:
// "421 4.7.28 slow down" (attempts 1, 2), "250 2.0.0 ok" (attempt 3).
func replyList(r *Recipient, keep func(Attempt) bool) string {
	var order []string
	nums := map[string][]string{}
	try := r.tryNumbers()
	for i, a := range r.Attempts {
		if keep != nil && !keep(a) {
			continue
		}
		rep := a.Shown()
		if _, ok := nums[rep]; !ok {
			order = append(order, rep)
		}
		// Numbered by try, as attempts counts them: two MX hosts that
		// said the same in one try are that one attempt.
		if n := strconv.Itoa(try[i]); !slices.Contains(nums[rep], n) {
			nums[rep] = append(nums[rep], n)
		}
	}
	parts := make([]string, len(order))
	for i, rep := range order {
		word := "attempt"
		if len(nums[rep]) > 1 {
			word = "attempts"
		}
		parts[i] = fmt.Sprintf("%q (%s %s)", rep, word, strings.Join(nums[rep], ", "))
	}
	return strings.Join(parts, ", ")
}

// checkTLS compares whether the last attempt used TLS with want.
func checkTLS(r *Recipient, want bool) []string {
	if len(r.Attempts) == 0 {
		return []string{fmt.Sprintf("expected tls: %v of the last attempt, but there was no attempt", want)}
	}
	a := r.Attempts[len(r.Attempts)-1]
	switch got := a.TLS != ""; {
	case got == want:
		return nil
	case want:
		return []string{"expected the last attempt over TLS (tls: true), but its connection had none"}
	default:
		return []string{fmt.Sprintf("expected the last attempt without TLS (tls: false), but its connection used %s", strings.TrimSuffix(a.TLS+" "+a.Cipher, " "))}
	}
}

// statusHas reports whether the enhanced status got ("5.1.10") is want
// or begins with it, by whole parts: "5.", "5" and "5.1" take 5.1.10,
// but "5.1.1" does not, since 5.1.10 (RFC 7505: the domain accepts no
// mail) is not 5.1.1 (RFC 3463: no such mailbox).
func statusHas(want, got string) bool {
	return got == want || strings.HasPrefix(got, strings.TrimSuffix(want, ".")+".")
}

func codeMatches(want string, code int) bool {
	if strings.HasSuffix(want, "xx") {
		return code/100 == int(want[0]-'0')
	}
	n, _ := strconv.Atoi(want)
	return n == code
}

func evalAggregate(d *Data, a AggregateExpectation) []Result {
	var out []Result
	s := Summarize(d)
	// The relay's own DSNs to the messages' senders are recipients too:
	// delivered_share counts them (as the summary does), and its failure
	// says how many; the times to delivery judge the messages' own
	// recipients alone, since a DSN's time says nothing of theirs.
	var own, ownDelivered, dsns, dsnsDelivered int
	for _, r := range d.Recipients {
		switch {
		case r.dsnMail():
			// A DSN that reached a sink as mail (the sender's MTA's, or
			// the sink's own come back): counted apart, as the summary
			// counts it.
		case r.relayDSN:
			dsns++
			if r.Status == "delivered" {
				dsnsDelivered++
			}
		default:
			own++
			if r.Status == "delivered" {
				ownDelivered++
			}
		}
	}
	if a.DeliveredShare != nil {
		share := 0.0
		if s.Recipients > 0 {
			share = float64(Get(s.ByStatus, "delivered")) / float64(s.Recipients)
		}
		want := float64(*a.DeliveredShare)
		r := Result{Name: "aggregate delivered_share", Pass: share >= want}
		if !r.Pass {
			r.Message = fmt.Sprintf("expected at least %.1f%% delivered, got %.1f%% (%d of %d)", want*100, share*100, Get(s.ByStatus, "delivered"), s.Recipients)
			if dsns > 0 {
				r.Message = fmt.Sprintf("expected at least %.1f%% delivered, got %.1f%% (%d of %d recipients: %d of the %d the messages were sent to, and %d of the relay's %d %s to their senders, which count as recipients too)",
					want*100, share*100, Get(s.ByStatus, "delivered"), s.Recipients, ownDelivered, own, dsnsDelivered, dsns, plural(dsns, "DSN", "DSNs"))
			}
			var not []*Recipient
			for _, rc := range d.Recipients {
				if rc.Status != "delivered" {
					not = append(not, rc)
				}
			}
			if len(not) > 0 {
				r.Message += "; not delivered: " + RecipientStates(not, shownStates)
			}
		}
		out = append(out, r)
	}
	if a.NoAttemptAfter5xx {
		r := Result{Name: "aggregate no_attempt_after_5xx", Pass: true}
		for _, rc := range d.Recipients {
			for j := 0; j+1 < len(rc.Attempts); j++ {
				a := rc.Attempts[j]
				// RFC 5321 3.1: a 5xx greeting refuses the connection, not
				// the message; the relay goes on to the next MX host, or
				// tries later. A 521 at every MX host (RFC 7504) is bounced
				// at once, so nothing comes after it to judge either.
				if a.Code >= 500 && !a.greeting() && a.Path == rc.Attempts[j+1].Path {
					r.Pass = false
					var b strings.Builder
					fmt.Fprintf(&b, "%s was tried again after %s (at %s, attempt %d); a 5xx refuses the message for good and is not retried; timeline:\n",
						rc.Address, strings.TrimSpace(fmt.Sprintf("%d %s", a.Code, a.Enhanced)), orKeep(a.Stage, "an unknown stage"), rc.tryNumbers()[j])
					WriteTimeline(&b, rc)
					r.Message = strings.TrimRight(b.String(), "\n")
					break
				}
			}
			if !r.Pass {
				break
			}
		}
		out = append(out, r)
	}
	if len(a.MaxDeliveriesPerDay) > 0 {
		out = append(out, deliveriesPerDay(d, a.MaxDeliveriesPerDay))
	}
	ttd := percentiles(deliveryTimes(d.Recipients, func(r *Recipient) bool { return !r.relayDSN && !r.dsnMail() }))
	left, apart := "", "" // the DSNs left out, said after a count and alone
	if dsns > 0 {
		left = fmt.Sprintf("the relay's %d %s to the senders left out", dsns, plural(dsns, "DSN", "DSNs"))
		apart = " (" + left + ")"
		left = "; " + left
	}
	for _, p := range []struct {
		name  string
		limit *config.Duration
		got   float64
	}{{"time_to_delivery_p50", a.TimeToDeliveryP50, ttd.P50}, {"time_to_delivery_p99", a.TimeToDeliveryP99, ttd.P99}} {
		if p.limit == nil {
			continue // left out; 0s is judged
		}
		got := time.Duration(p.got * float64(time.Millisecond))
		r := Result{Name: "aggregate " + p.name, Pass: ttd.N > 0 && got <= p.limit.D()}
		switch {
		case r.Pass:
		case ttd.N == 0:
			// Not "got 0s": nothing was delivered, so nothing was fast.
			r.Message = fmt.Sprintf("expected %s at most %s, but no recipient was delivered, so there is no time to delivery to judge (%s%s)", p.name, *p.limit, counted(own, "recipient"), left)
		default:
			r.Message = fmt.Sprintf("expected %s at most %s, got %s over %d delivered %s%s", p.name, *p.limit, got.Round(time.Millisecond), ttd.N, plural(ttd.N, "recipient", "recipients"), apart)
		}
		out = append(out, r)
	}
	return out
}

// deliveriesPerDay checks the recipients delivered on each UTC day since
// the day the first message was queued against caps (the last repeating).
func deliveriesPerDay(d *Data, caps []int) Result {
	r := Result{Name: "aggregate max_deliveries_per_day", Pass: true}
	var first time.Time
	for _, rc := range d.Recipients {
		if !rc.Queued.IsZero() && (first.IsZero() || rc.Queued.Before(first)) {
			first = rc.Queued
		}
	}
	day := func(t time.Time) int {
		y, m, dd := first.UTC().Date()
		start := time.Date(y, m, dd, 0, 0, 0, 0, time.UTC)
		return int(t.UTC().Sub(start) / (24 * time.Hour))
	}
	byDay := map[int][]string{}
	dsnsByDay := map[int]int{}
	for _, rc := range d.Recipients {
		if rc.Status != "delivered" {
			continue
		}
		at := rc.Done
		if at.IsZero() && len(rc.Attempts) > 0 {
			at = rc.Attempts[len(rc.Attempts)-1].Time
		}
		if at.IsZero() {
			continue
		}
		n := max(day(at), 0)
		name := rc.Address
		if rc.relayDSN {
			// The path's sending counts it (a warm-up cap takes it as
			// any message): say that it is the relay's DSN to a sender,
			// not the sender's own mail.
			name += " (the relay's DSN " + cmp.Or(rc.ScenarioMessage, rc.Message) + " to the sender)"
			dsnsByDay[n]++
		}
		byDay[n] = append(byDay[n], name)
	}
	days := make([]int, 0, len(byDay))
	for n := range byDay {
		days = append(days, n)
	}
	sort.Ints(days)
	for _, n := range days {
		limit := caps[min(n, len(caps)-1)]
		if got := byDay[n]; len(got) > limit {
			r.Pass = false
			date := first.UTC().AddDate(0, 0, n).Format("2006-01-02")
			names := got
			if len(names) > 5 {
				names = append(names[:5:5], "...")
			}
			of := ""
			if k := dsnsByDay[n]; k > 0 {
				of = fmt.Sprintf(" (%d of them %s, which the path sent as well)", k, plural(k, "the relay's DSN to a sender", "the relay's DSNs to senders"))
			}
			r.Message = fmt.Sprintf("day %d (%s UTC) had %d %s%s, expected at most %d: %s", n+1, date, len(got), plural(len(got), "delivery", "deliveries"), of, limit, strings.Join(names, ", "))
			break
		}
	}
	return r
}

// checkMatch refuses a match glob that can match no address, and so
// would find 0 recipients without saying why: one written as the sink's
// rules write a regexp, between slashes (no address ends in /), or with a
// [ that no ] closes (an address has brackets only around an address
// literal, user@[127.0.0.1]). Glob takes [ and ] as themselves.
func checkMatch(p string) error {
	const glob = "match is a glob, where * is any run of characters, ? any one character and every other character itself"
	if len(p) >= 2 && strings.HasSuffix(p, "/") {
		what := "ends in /, which no address does"
		if strings.HasPrefix(p, "/") {
			what = "is written as a regexp between slashes, as the sink's rules take one"
		}
		return fmt.Errorf("%s, but %s, so it would match no recipient: write a glob such as \"*@example.test\"", what, glob)
	}
	if i, at := strings.Index(p, "["), strings.LastIndex(p, "@"); i >= 0 && i < at {
		return fmt.Errorf("has a [ before the @, but %s, so [ and ] are no character class, and an address has [ only in an address literal after the @ (user@[127.0.0.1]): it would match no recipient; write ? for one character or * for any run, such as \"user*@example.test\"", glob)
	}
	if i := strings.LastIndex(p, "["); i >= 0 && !strings.Contains(p[i:], "]") {
		return fmt.Errorf("has a [ that no ] closes, but %s, and an address has [ only in an address literal such as user@[127.0.0.1], so it would match no recipient: write a glob such as \"*@example.test\"", glob)
	}
	return nil
}

// Glob matches s against pattern, where * is any run of characters
// (including none) and ? is any one character; nothing else is special.
func Glob(pattern, s string) bool {
	px, sx := 0, 0
	star, mark := -1, 0
	for sx < len(s) {
		switch {
		case px < len(pattern) && (pattern[px] == '?' || pattern[px] == s[sx]):
			px++
			sx++
		case px < len(pattern) && pattern[px] == '*':
			star, mark = px, sx
			px++
		case star >= 0:
			px = star + 1
			mark++
			sx = mark
		default:
			return false
		}
	}
	for px < len(pattern) && pattern[px] == '*' {
		px++
	}
	return px == len(pattern)
}

// hostsNote says, when some try had several exchanges, that attempts
// counts tries and not hosts, the commonest surprise of an attempts
// expectation on an mx path or a route with failover.
func hostsNote(r *Recipient, tries []int) string {
	if len(tries) == len(r.Attempts) {
		return ""
	}
	return fmt.Sprintf(" (attempts counts delivery tries, not hosts: the timeline's %d lines are the hosts or paths each try reached, numbered by their try)", len(r.Attempts))
}

// delayedDSNNote says, after an expectation about r's DSN that failed,
// that the DSN the sender got reports a delay (a class 4 status), not a
// failure: a delay counts as a DSN sent, as the relay's own delay
// warnings do, and dsn_status "5." asks for a failure; "" for any other.
func delayedDSNNote(r *Recipient) string {
	if !r.DSN || !strings.HasPrefix(r.DSNStatus, "4") {
		return ""
	}
	who := "the relay's delay warning"
	for _, x := range r.DSNReports {
		if x.Action == "delayed" && x.Status == r.DSNStatus {
			who = "the receiving side's delayed DSN (" + x.Reply() + ")"
		}
	}
	return fmt.Sprintf(" (status %s is %s: delivery delayed, not failed; a delay counts as a DSN sent, so to judge only a failure give dsn_status: \"5.\")", r.DSNStatus, who)
}

// noDSN says, after an expectation of a DSN that failed, what
// became of the DSN the relay queued for r's sender that never reached
// them, or why the sink's bounce for r did not go out, after none
// ("none was"), which is all it says when there was no DSN at all.
func noDSN(r *Recipient, none string) string {
	switch {
	case r.DSNUndelivered != "":
		return "none reached the sender (the relay's DSN was " + r.DSNUndelivered + ")"
	case r.DSNNotSent != "":
		return none + " (the sink has a bounce for it that " + r.DSNNotSent + ")"
	case r.notify == "NEVER":
		return none + ": the recipient was queued with NOTIFY=NEVER (notify: [NEVER]), which asks that no DSN be sent for it whatever happens (RFC 3461 4.1); drop NEVER from notify, or expect dsn: none"
	case r.notify != "" && !strings.Contains(r.notify, "FAILURE") && (r.Status == "bounced" || r.Status == "expired"):
		return none + ": the recipient was queued with NOTIFY=" + r.notify + ", which asks for no DSN on a failure (RFC 3461 4.1); add FAILURE to notify, or expect dsn: none"
	case r.fromSink && r.Status == "bounced" && len(r.Attempts) > 0:
		return sinkRefusedNoDSN(r)
	}
	return none
}

// sinkRefusedNoDSN says, in place of "none was", why the sink sends no
// DSN about r, a recipient of its record that it refused (a 5xx), and
// where the sender's DSN is judged: on a sink's record, dsn and
// dsn_status judge the sink's own late bounce of a message it accepted
// (an asynchronous bounce), and for a recipient refused during the
// session the DSN, if any, is the sender's MTA's to write (RFC 5321
// 6.1), to the message's sender, which the sink receives as mail.
func sinkRefusedNoDSN(r *Recipient) string {
	a := r.Attempts[len(r.Attempts)-1]
	sender := "the message's sender"
	if r.Sender != "" && r.Sender != "<>" {
		sender = r.Sender
	}
	return fmt.Sprintf("but the sink refused this recipient %s (%s), and on a sink's record dsn and dsn_status judge the sink's own late bounce of a message it accepted, which a refused recipient never gets; "+
		"a DSN about a refused recipient is its sender's to write, if it writes one (an MTA such as Postfix, or relaylab's relay, does; swaks and many applications report the refusal instead), and it goes to %s: "+
		"judge it with an expectation on the sender's address (status: delivered, where the DSN comes back to this sink), and drop dsn and dsn_status from this one",
		sinkStageWords(a.Stage), a.Reply(), sender)
}

// sinkStageWords names a sink's stage as the moment of a refusal.
func sinkStageWords(stage string) string {
	switch stage {
	case "rcpt":
		return "at RCPT TO"
	case "mail":
		return "at MAIL FROM"
	case "data":
		return "at DATA"
	case "data-end":
		return "after its data (the reply to the final dot)"
	case "connect":
		return "in its greeting"
	case "":
		return "in its session"
	}
	return "at " + stage
}

// wasWere is the verb for a count of n: "there was 1 attempt", "there
// were 2 attempts" (and "there were 0").
func wasWere(n int) string {
	return plural(n, "was", "were")
}

// plural is one for a count of 1, many for any other: "1 delivery", "2
// deliveries", for a noun whose plural counted cannot make by adding s.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// GlobDistance is the fewest characters to insert, delete or replace in
// addr for glob to match it, where * matches any run of characters and ?
// any one character for free: "user*@exmaple.test" is 2 from
// user12@example.test.
func GlobDistance(glob, addr string) int {
	p, s := []rune(glob), []rune(addr)
	// prev[j] and cur[j]: the cost of glob[:i-1] and glob[:i] against addr[:j].
	prev := make([]int, len(s)+1)
	cur := make([]int, len(s)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(p); i++ {
		c := p[i-1]
		if c == '*' {
			cur[0] = prev[0]
		} else {
			cur[0] = prev[0] + 1
		}
		for j := 1; j <= len(s); j++ {
			switch c {
			case '*':
				cur[j] = min(prev[j], cur[j-1])
			default:
				sub := 1
				if c == '?' || c == s[j-1] {
					sub = 0
				}
				cur[j] = min(prev[j-1]+sub, prev[j]+1, cur[j-1]+1)
			}
		}
		prev, cur = cur, prev
	}
	return prev[len(s)]
}

// NearMiss reports whether addr is close enough to glob to be offered as
// "did you mean": a slip of a few characters (GlobDistance at most 3, and
// at most a quarter of the glob's own characters, * and ? aside, but 1
// always), not merely the least far of addresses that have nothing to do
// with it ("nobody@nowhere.test" is not a slip for
// "defer2+ci1@example.test"). When both have a domain, the local part and
// the domain are each held to their own share: a shared domain makes up
// most of an address, and let "never+*@example.test" take
// "defer2+local1@example.test", three edits in a local part of six.
func NearMiss(glob, addr string) bool {
	if GlobDistance(glob, addr) > slipAllowed(glob) {
		return false
	}
	gl, gd, ok := cutDomain(glob)
	al, ad, aok := cutDomain(addr)
	if !ok || !aok {
		return true
	}
	// A local part is short: a third of it (rounded up) takes alicia
	// for alice, and not defer2+ for never+.
	return GlobDistance(gl, al) <= min(3, max(1, (ownChars(gl)+2)/3)) && GlobDistance(gd, ad) <= slipAllowed(gd)
}

// slipAllowed is the most edits NearMiss takes for a slip in glob: a
// quarter of its own characters, at least 1, at most 3.
func slipAllowed(glob string) int {
	return min(3, max(1, ownChars(glob)/4))
}

// ownChars counts the characters of glob, * and ? aside.
func ownChars(glob string) int {
	return utf8.RuneCountInString(glob) - strings.Count(glob, "*") - strings.Count(glob, "?")
}

// cutDomain splits an address or a glob of one at its last @; ok is
// false when it has none.
func cutDomain(a string) (local, domain string, ok bool) {
	i := strings.LastIndexByte(a, '@')
	if i < 0 {
		return a, "", false
	}
	return a[:i], a[i+1:], true
}

// closestAddress is the address of rs that the glob (in matchForm) is
// fewest edits from (GlobDistance), the first of those, when it is a
// near miss (NearMiss), with the records of rs that have it; "" when rs
// has none.
func closestAddress(glob string, rs []*Recipient) (string, []*Recipient) {
	best, bestKey, bestD := "", "", -1
	seen := map[string]bool{}
	for _, r := range rs {
		a := matchForm(r.Address)
		if seen[a] {
			continue
		}
		seen[a] = true
		if d := GlobDistance(glob, a); bestD < 0 || d < bestD {
			best, bestKey, bestD = r.Address, a, d
		}
	}
	if bestD < 0 || !NearMiss(glob, bestKey) {
		return "", nil
	}
	var of []*Recipient
	for _, r := range rs {
		if matchForm(r.Address) == bestKey {
			of = append(of, r)
		}
	}
	return best, of
}

// shownStates is how many recipients a failure names (RecipientStates)
// before "and N more".
const shownStates = 5

// RecipientStates names the recipients rs as a failure does, each with
// its message, its status and category, and its last reply, the first
// limit of them and then how many more: "rcpt550+a@example.test (message
// msg-1): bounced (invalid-recipient), last reply "550 5.1.1 no such
// user"; b@example.test (message msg-2): deferred, no attempt yet".
func RecipientStates(rs []*Recipient, limit int) string {
	var parts []string
	for i, r := range rs {
		if i == limit {
			parts = append(parts, fmt.Sprintf("and %d more", len(rs)-limit))
			break
		}
		state := r.state()
		if r.Category != "" && r.Category != r.Status {
			state += " (" + r.Category + ")"
		}
		if n := len(r.Attempts); n > 0 {
			state += fmt.Sprintf(", last reply %q", r.Attempts[n-1].Shown())
		} else if !r.Final() {
			state += ", no attempt yet"
		}
		parts = append(parts, r.label()+": "+state)
	}
	return strings.Join(parts, "; ")
}
