// Package scenario reads scenario files and replays them: a sink, a relay
// and a virtual clock in one process, the scenario's messages submitted on
// schedule, the clock jumping to the next due timer whenever all work is
// idle, and the scenario's expectations judged against the event log.
package scenario

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/mailaddr"
	"github.com/relaylab/relaylab/relay"
	"github.com/relaylab/relaylab/reports"
	"github.com/relaylab/relaylab/sink"
)

// nearSink is a hint for a host that looks like a misspelled "sink".
func nearSink(host string) string {
	h, _, _ := strings.Cut(strings.ToLower(host), ":")
	if h != "sink" && len(h) >= 3 && len(h) <= 5 && (strings.HasPrefix(h, "sin") || strings.HasPrefix(h, "sn") || strings.HasSuffix(h, "ink") || strings.HasSuffix(h, "nk")) {
		return " (did you mean sink?)"
	}
	return ""
}

// Scenario is one scenario file.
type Scenario struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	// Seed makes jitter, probabilities and weighted splits reproducible.
	Seed  int64       `yaml:"seed"`
	Clock ClockConfig `yaml:"clock"`
	// Sink and Relay are the sections of the configuration file. In a
	// replay every listener binds a free loopback port, and a relay path
	// whose host is "sink" (or "sink:NAME") is sent to the sink's listener
	// (the first one, or the one named NAME).
	Sink  sink.Config  `yaml:"sink"`
	Relay relay.Config `yaml:"relay"`
	// DNS is what the relay's mx paths ask (see DNSConfig); a scenario
	// with an mx path must have a zone.
	DNS      DNSConfig            `yaml:"dns"`
	Messages []MessageSpec        `yaml:"messages"`
	Expect   reports.Expectations `yaml:"expect"`

	file string
	// data is the file's text while it is read, for the lines of its
	// expectations; more are the problems Validate found after the first,
	// which the decoder's Validate call can return one of.
	data []byte
	more []error
	// bad are the values the file gives that did not decode, each at its
	// key, which the decoding set aside (config.SetAsideBadValues).
	bad []error
}

// ClockConfig sets the virtual clock.
type ClockConfig struct {
	// Start is when the replay begins (RFC 3339; default 2026-01-05T09:00:00Z).
	Start string `yaml:"start"`
	// Limit is how much virtual time the replay may use (default 30d);
	// reaching it is an error, not a verdict.
	Limit config.Duration `yaml:"limit"`
}

// MessageSpec is one or more messages to submit.
type MessageSpec struct {
	// From is the envelope sender (and From header); "{n}" is replaced by
	// the message's number, as in To. Empty is the null sender <>.
	From string `yaml:"from"`
	// To lists the recipients; "{n}" is replaced by the message's number
	// (1..Count), so "user{n}@example.test" with count 100 is 100 addresses.
	To      []string `yaml:"to"`
	Count   *int     `yaml:"count"`
	Subject string   `yaml:"subject"`
	Body    string   `yaml:"body"`
	// Size pads the body to this many bytes (10KB, 25MiB: see Size).
	Size    Size              `yaml:"size"`
	Headers map[string]string `yaml:"headers"`
	// At is when the first is submitted (from the start), Every the gap
	// between submissions.
	At    config.Duration `yaml:"at"`
	Every config.Duration `yaml:"every"`
	// Notify, Ret and EnvID are the RFC 3461 DSN parameters the message is
	// submitted with, which the relay passes on to the next hop: NOTIFY
	// for every recipient (NEVER, or some of SUCCESS, FAILURE, DELAY;
	// none means FAILURE and DELAY), RET (FULL or HDRS) and ENVID
	// (printable ASCII, as the DSN's Original-Envelope-Id gives it back).
	Notify []string `yaml:"notify"`
	Ret    string   `yaml:"ret"`
	EnvID  string   `yaml:"envid"`
}

// DefaultStart is the virtual clock's start when a scenario sets none.
var defaultStart = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

// Load reads and checks a scenario file. Errors are *config.Error with the
// file, line and key.
func Load(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Parse is Load on bytes already read.
func Parse(name string, data []byte) (*Scenario, error) {
	sc := &Scenario{Sink: sink.DefaultConfig(), Relay: relay.DefaultConfig(), file: name}
	sc.Sink.Listeners = nil
	sc.Relay.Paths, sc.Relay.Routes = nil, nil
	// An empty file would read as a scenario without a name: say what is
	// wrong with it instead.
	if !config.HasDocument(data) {
		what := "the file is empty"
		if len(bytes.TrimSpace(data)) > 0 {
			what += " (it holds no YAML, only comments or document markers)"
		}
		return nil, &config.Error{File: name, Msg: what + ": a scenario needs at least name: and messages:"}
	}
	sc.data = data
	defer func() { sc.data, sc.more = nil, nil }()
	if err := config.Decode(name, data, sc); err != nil {
		return nil, reports.LocateAll(name, data, reports.PlaceHint(err, "expect"), sc.more)
	}
	return sc, nil
}

// Validate checks what the components' own checks cannot. It returns the
// first problem, and keeps the others for Parse, which reports them all.
func (sc *Scenario) Validate(string) error {
	errs := sc.problems()
	if len(errs) == 0 {
		return nil
	}
	sc.more = errs[1:]
	return errs[0]
}

// problems are the scenario's problems: the first of each of its parts
// (name, clock, sink, relay, DNS), of each message and of each
// expectation. Checks that read the messages (which addresses and
// message names an expectation can meet) wait for messages without
// problems but of timing, and each expectation has one problem at most.
func (sc *Scenario) problems() []error {
	sc.resolveFiles()
	// The values that did not decode come first; each was read as its key
	// left out, so a later check's problem at that key, or above or below
	// it, is of the value set aside and is not said again.
	errs := slices.Clone(sc.bad)
	add := func(err error) {
		if err != nil && !config.Shadowed(sc.bad, err) {
			errs = append(errs, err)
		}
	}
	if sc.Name == "" {
		add(config.Errorf("name", "a scenario needs a name"))
	}
	if _, err := sc.start(); err != nil {
		add(config.Errorf("clock.start", "%v", err))
	}
	if sc.Clock.Limit < 0 {
		add(config.Errorf("clock.limit", "must not be negative"))
	}
	if sc.Clock.Limit == 0 && config.KeyLine(sc.data, "clock.limit") > 0 {
		// Not the default 30d, which a limit left out gives: a 0s the
		// file gives would read as that, and the replay's error at the
		// limit would then name 720h0m0s beside a line that says 0s.
		add(config.Errorf("clock.limit", "0s (or no value) would leave the replay no virtual time: give how much it may use, such as 1d, or leave the key out for the default, 30d"))
	}
	// A component with a value set aside is not checked further: its
	// checks stop at their first problem, which could be one the value
	// left out makes.
	systems := len(config.BadUnder(sc.bad, "sink"))+len(config.BadUnder(sc.bad, "relay"))+len(config.BadUnder(sc.bad, "dns")) == 0
	sinkOK := systems
	if systems {
		err := sc.validateSystems()
		add(err)
		sinkOK = err == nil || len(config.BadUnder([]error{err}, "sink")) == 0
	}
	var msgs []error
	for _, err := range sc.validateMessages() {
		if !config.Shadowed(sc.bad, err) {
			msgs = append(msgs, err)
		}
	}
	errs = append(errs, msgs...)
	msgs = append(msgs, config.BadUnder(sc.bad, "messages")...) // for notTiming below
	// The scenario's own classification rules may name categories of
	// their own, which its expectations may then look for.
	for _, r := range sc.Relay.Classify {
		sc.Expect.ExtraCategories = append(sc.Expect.ExtraCategories, r.Category)
	}
	sc.Expect.Locate(sc.file, sc.data, "expect")
	errs = append(errs, sc.Expect.Problems("expect")...)
	judged := func(i int) bool { // no problem of expectation i so far
		k := fmt.Sprintf("expect.recipients[%d]", i)
		for _, e := range errs {
			var fe *config.FieldError
			if errors.As(e, &fe) && (fe.Key == k || strings.HasPrefix(fe.Key, k+".")) {
				return false
			}
		}
		return true
	}
	// A path the relay has not would fail every recipient, as if the
	// mail had gone elsewhere.
	var paths []string
	for _, p := range sc.Relay.Paths {
		paths = append(paths, p.Name)
	}
	for i, r := range sc.Expect.Recipients {
		// A replay runs until every recipient is final (or stops at
		// clock.limit, where one not final is not judged): one still waiting is never
		// judged.
		if (r.Status == "deferred" || r.Status == "queued") && judged(i) {
			add(config.Errorf(fmt.Sprintf("expect.recipients[%d].status", i), "%s can never be judged in a replay: it runs until every recipient is delivered, bounced, expired or suppressed, or stops at clock.limit, where an expectation of a recipient not final is not judged; "+
				"to assert that a recipient was retried, expect its final status with attempts: (\">=2\") or attempt_times:; relaylab expect, against a running serve, can judge deferred and queued", r.Status))
		}
		// The sender's MTA is the replay's relay, whose DSNs dsn and
		// dsn_status judge: sender_dsn would fail every recipient.
		for _, kv := range [][2]string{{"sender_dsn", r.SenderDSN}, {"sender_dsn_status", r.SenderDSNStatus}} {
			if key, v := kv[0], kv[1]; v != "" {
				add(config.Errorf(fmt.Sprintf("expect.recipients[%d].%s", i, key), "applies to relaylab expect only: it judges the DSNs a sender's own MTA sent back to a sink; a replay's DSNs are its relay's, which dsn and dsn_status judge"))
			}
		}
		if r.Path != "" && !slices.Contains(paths, r.Path) && judged(i) && systems {
			add(config.Errorf(fmt.Sprintf("expect.recipients[%d].path", i), "%q is not one of the scenario's paths (relay.paths: %s), so no recipient could ever take it", r.Path, strings.Join(paths, ", ")))
		}
	}
	if systems {
		add(sc.checkExpiry())
		for _, err := range sc.checkReach() {
			add(err)
		}
	}
	if slices.ContainsFunc(msgs, notTiming) {
		return errs
	}
	for i := range sc.Expect.Recipients {
		if judged(i) {
			add(sc.checkSent("expect", i))
		}
	}
	if sinkOK {
		// Only once the sink has no problem of its own: a rule it refuses
		// is not tried.
		for _, err := range sc.checkSinkRules() {
			add(err)
		}
	}
	return errs
}

// checkExpiry refuses an expectation of status expired that the clock
// limit rules out: the relay gives a recipient up as expired only once
// its message is max_age old (unless max_attempts gives up sooner), and
// the replay stops at the limit first, with an error rather than a
// verdict. The problem is at max_age where the file gives it, else at
// clock.limit.
func (sc *Scenario) checkExpiry() error {
	rp := sc.Relay.Retry.Resolved()
	if rp.MaxAttempts > 0 || rp.MaxAge <= 0 || len(sc.Messages) == 0 || sc.Clock.Limit < 0 || len(config.BadUnder(sc.bad, "clock.limit")) > 0 ||
		sc.Clock.Limit == 0 && config.KeyLine(sc.data, "clock.limit") > 0 {
		return nil // the limit has a problem of its own
	}
	want := slices.IndexFunc(sc.Expect.Recipients, func(r reports.RecipientExpectation) bool { return r.Status == "expired" })
	if want < 0 {
		return nil
	}
	first := sc.Messages[0].At
	for _, m := range sc.Messages {
		first = min(first, m.At)
	}
	limit := sc.limit()
	if first.D()+rp.MaxAge.D() <= limit {
		return nil
	}
	which := " (the default: set clock.limit for more)"
	if sc.Clock.Limit > 0 {
		which = " (clock.limit)"
	}
	exp := fmt.Sprintf("expect.recipients[%d]", want)
	if n := config.KeyLine(sc.data, exp+".status"); n > 0 {
		exp += fmt.Sprintf(" (line %d)", n)
	}
	why := fmt.Sprintf("the relay gives a recipient up as expired only once its message is max_age old, and the first message is sent at +%s, so none can expire before +%s; the replay stops at the clock limit, %s%s, first, so status expired at %s could never hold: raise clock.limit, or shorten max_age", first, first.D()+rp.MaxAge.D(), limit, which, exp)
	if config.KeyLine(sc.data, "relay.retry.max_age") > 0 {
		return config.Errorf("relay.retry.max_age", "%s is beyond the clock limit: %s", rp.MaxAge, why)
	}
	return config.Errorf("clock.limit", "%s is shorter than the retry policy's max_age, %s: %s", limit, rp.MaxAge, why)
}

// notTiming reports whether a message's problem is of more than when it
// is sent (its at or every): such a message still says whom it goes to,
// which the expectations' checks read.
func notTiming(err error) bool {
	var fe *config.FieldError
	if !errors.As(err, &fe) {
		return true
	}
	return !strings.HasSuffix(fe.Key, ".at") && !strings.HasSuffix(fe.Key, ".every")
}

// validateSystems checks the sink, the relay and the DNS of the scenario,
// filling in the defaults a replay gives them, and returns the first
// problem: each component's own check stops at its first.
func (sc *Scenario) validateSystems() error {
	if len(sc.Sink.Listeners) == 0 {
		sc.Sink.Listeners = sink.DefaultConfig().Listeners
	}
	for i := range sc.Sink.Listeners {
		sc.Sink.Listeners[i].Listen = "127.0.0.1:0"
	}
	if err := sc.Sink.Validate("sink"); err != nil {
		return err
	}
	if len(sc.Relay.Paths) == 0 {
		// As serve's local-sink path: the sink plays every recipient
		// domain's receiver, so each domain is shaped apart, and a 421
		// for one rests that domain alone, not the whole sink.
		sc.Relay.Paths = []relay.PathConfig{{Name: "sink", Type: "smarthost", Host: "sink", TLS: "opportunistic", MessagesPerConnection: 100, Destination: relay.DestinationDomain}}
	}
	if len(sc.Relay.Routes) == 0 {
		// As in a configuration file: one route over every path, in the
		// order given (a failover list).
		rt := relay.RouteConfig{Name: "default"}
		for _, p := range sc.Relay.Paths {
			rt.Paths = append(rt.Paths, p.Name)
		}
		sc.Relay.Routes = []relay.RouteConfig{rt}
	}
	// Check the relay with placeholders resolved to a stand-in address.
	probe := sc.Relay
	probe.Paths = append([]relay.PathConfig(nil), sc.Relay.Paths...)
	for i := range probe.Paths {
		p := probe.Paths[i]
		name, ok := relay.SinkHost(p.Host)
		switch {
		case ok:
			if name != "" && !sc.hasListener(name) {
				return config.Errorf(fmt.Sprintf("relay.paths[%d].host", i), "no sink listener named %q", name)
			}
			if p.Verify {
				// The sink's certificate is self-signed for its listener's
				// name, and the relay dials it at 127.0.0.1: no check of it
				// could pass, and every attempt would fail as tls-failure.
				return config.Errorf(fmt.Sprintf("relay.paths[%d].verify", i), "a replay's sink has a self-signed certificate, which a path with verify: true can never accept (every attempt would fail as a TLS failure); leave verify out (tls: required still checks that TLS is used, and the attempts show its version), and test certificate checks against a server with a real certificate")
			}
			probe.Paths[i].Host = "127.0.0.1:1"
		case p.Type == "" || p.Type == "smarthost":
			// A replay reaches nothing but its own listeners: a real
			// smarthost would get the scenario's mail, on the virtual
			// clock's terms.
			return config.Errorf(fmt.Sprintf("relay.paths[%d].host", i), "%q: a replay sends only to its own sink, so a smarthost path's host is sink (the first sink listener) or sink:NAME (the listener named NAME); a real server would receive the scenario's mail%s", p.Host, nearSink(p.Host))
		}
	}
	probe.Listen = "127.0.0.1:0"
	if err := probe.Validate("relay"); err != nil {
		return err
	}
	return sc.validateDNS()
}

// validateMessages is the first problem of each message.
func (sc *Scenario) validateMessages() []error {
	if len(sc.Messages) == 0 {
		return []error{config.Errorf("messages", "a scenario needs at least one message to send")}
	}
	var errs []error
	for i, m := range sc.Messages {
		k := fmt.Sprintf("messages[%d]", i)
		if len(config.BadUnder(sc.bad, k)) > 0 {
			continue // its first problem is the value set aside
		}
		if err := sc.validateMessage(k, m); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// validateMessage is the first problem of the message m at key k.
func (sc *Scenario) validateMessage(k string, m MessageSpec) error {
	if len(m.To) == 0 {
		return config.Errorf(k+".to", "every message needs at least one recipient")
	}
	// An empty sender is the null reverse-path (MAIL FROM:<>), as
	// bounces use.
	if isList(m.From) {
		return config.Errorf(k+".from", "%q: not one address but a list: a message has one sender; give one address", m.From)
	}
	if m.From != "" && !isAddress(m.From) {
		return config.Errorf(k+".from", "%q is not an address (local@domain, without brackets or spaces; leave it out for the null sender <>)", m.From)
	}
	if why := addressFault(m.From); m.From != "" && why != "" {
		return config.Errorf(k+".from", "%q: %s", m.From, why)
	}
	for j, to := range m.To {
		if isList(to) {
			return config.Errorf(fmt.Sprintf("%s.to[%d]", k, j), "%q: not one address but a list: one address per item: write to: [%s]", to, quotedList(to))
		}
		if !isAddress(to) {
			return config.Errorf(fmt.Sprintf("%s.to[%d]", k, j), "%q is not an address (local@domain, without brackets or spaces)", to)
		}
		if why := addressFault(to); why != "" {
			return config.Errorf(fmt.Sprintf("%s.to[%d]", k, j), "%q: %s", to, why)
		}
	}
	if m.Count != nil && *m.Count == 0 {
		return config.Errorf(k+".count", "0 would send no message: remove the message, or give count 1 or more (without count it is sent once)")
	}
	// Each negative key on its own, so that the error points at it.
	switch {
	case m.Count != nil && *m.Count < 0:
		return config.Errorf(k+".count", "%d is negative: want 1 or more messages (without count it is sent once)", *m.Count)
	case m.At < 0:
		return config.Errorf(k+".at", "%s is negative: want an offset from the start of 0s or more", m.At)
	case m.Every < 0:
		return config.Errorf(k+".every", "%s is negative: want a gap between messages of 0s or more", m.Every)
	}
	if m.Every > 0 && (m.Count == nil || *m.Count == 1) {
		// every is the gap between the copies count: makes; one message
		// has none, and the key would do nothing without a word.
		how := "without count: the message is sent once"
		if m.Count != nil {
			how = "with count: 1 the message is sent once"
		}
		return config.Errorf(k+".every", "%s spaces the messages of a count:, but %s, so it would do nothing: give count: N for N messages %s apart, use at: to send the one message later, or remove every", m.Every, how, m.Every)
	}
	if err := sc.checkSubmitTime(k, m); err != nil {
		return err
	}
	if limit := cmp.Or(sc.Relay.MaxMessageBytes, relay.DefaultConfig().MaxMessageBytes); int64(m.Size) > limit {
		return config.Errorf(k+".size", "%d bytes is over the relay's max_message_bytes (%d), which a submission could not pass either", m.Size, limit)
	}
	if m.Count != nil && *m.Count > 1_000_000 {
		return config.Errorf(k+".count", "%d messages is more than a replay should hold (at most 1,000,000)", *m.Count)
	}
	if m.Ret != "" && m.Ret != "FULL" && m.Ret != "HDRS" {
		return config.Errorf(k+".ret", "%q%s: want FULL or HDRS", m.Ret, reports.DidYouMean(m.Ret, []string{"FULL", "HDRS"}))
	}
	if err := checkNotify(m.Notify); err != nil {
		return config.Errorf(k+".notify", "%v", err)
	}
	if err := checkEnvID(m.EnvID); err != nil {
		return config.Errorf(k+".envid", "%v", err)
	}
	if err := checkHeaderValue(m.Subject); err != nil {
		return config.Errorf(k+".subject", "%v", err)
	}
	for _, name := range slices.Sorted(maps.Keys(m.Headers)) {
		if err := checkHeaderName(name); err != nil {
			return config.Errorf(k+".headers."+name, "%v", err)
		}
		if err := checkHeaderValue(m.Headers[name]); err != nil {
			return config.Errorf(k+".headers."+name, "%v", err)
		}
	}
	return nil
}

// checkSubmitTime refuses a message submitted after the clock limit (at:,
// or the last of its count, every: apart): the replay would end before
// it, and only then say that the limit was reached.
func (sc *Scenario) checkSubmitTime(k string, m MessageSpec) error {
	if sc.Clock.Limit < 0 || len(config.BadUnder(sc.bad, "clock.limit")) > 0 {
		return nil // refused at clock.limit
	}
	limit := sc.limit()
	which := " (the default: set clock.limit for more)"
	if sc.Clock.Limit > 0 {
		which = " (clock.limit)"
	}
	if m.At.D() > limit {
		return config.Errorf(k+".at", "+%s is after the clock limit, %s%s: the replay ends there, so the message would never be sent; give an at: of %s or less, or raise clock.limit", m.At, limit, which, limit)
	}
	count := 1
	if m.Count != nil {
		count = *m.Count
	}
	if count < 2 || m.Every <= 0 {
		return nil
	}
	// The last is submitted at at+(count-1)*every, which may be past what
	// a Duration holds: compare without multiplying.
	if left := limit - m.At.D(); int64(count-1) > int64(left/m.Every.D()) {
		fit := int64(left/m.Every.D()) + 1
		return config.Errorf(k+".every", "%s apart, the last of the %d messages would be submitted after the clock limit, %s%s, where the replay ends: %d of them fit; shorten every, lower count, or raise clock.limit", m.Every, count, limit, which, fit)
	}
	return nil
}

// checkHeaderName checks a header field's name as RFC 5322 2.2 has it:
// one or more printable US-ASCII characters but the colon (ftext), no
// space among them.
func checkHeaderName(name string) error {
	if name == "" {
		return fmt.Errorf("a header field needs a name")
	}
	for _, c := range []byte(name) {
		if c < 33 || c > 126 || c == ':' {
			return fmt.Errorf("%q is not a header field name: a name is printable US-ASCII without spaces or a colon (RFC 5322 2.2), such as X-Campaign", name)
		}
	}
	return nil
}

// checkHeaderValue refuses a CR or LF in a header field's value, which
// would end the field there and begin another (a "Bcc:" of its own)
// or the body; RFC 5322 2.2 folds a long field with CRLF and a space,
// which the message's writer does, not the scenario.
func checkHeaderValue(v string) error {
	if strings.ContainsAny(v, "\r\n") {
		return fmt.Errorf("%q has a line break, which would end the header field there and begin another (RFC 5322 2.2): write the value on one line", v)
	}
	return nil
}

// checkNotify checks a NOTIFY list: NEVER alone, or some of SUCCESS,
// FAILURE and DELAY, each once (RFC 3461 4.1).
func checkNotify(notify []string) error {
	seen := map[string]bool{}
	for _, n := range notify {
		switch n {
		case "NEVER":
			if len(notify) > 1 {
				return fmt.Errorf("%q: NEVER stands alone (RFC 3461 4.1)", notify)
			}
		case "SUCCESS", "FAILURE", "DELAY":
		default:
			return fmt.Errorf("%q%s: want NEVER, or some of SUCCESS, FAILURE and DELAY (upper case)", n, reports.DidYouMean(n, []string{"NEVER", "SUCCESS", "FAILURE", "DELAY"}))
		}
		if seen[n] {
			return fmt.Errorf("%s is given twice", n)
		}
		seen[n] = true
	}
	return nil
}

// checkEnvID checks an ENVID: printable ASCII (RFC 3461 4.4), at most 100
// characters once xtext-encoded.
func checkEnvID(id string) error {
	n := 0
	for _, c := range []byte(id) {
		if c < 0x20 || c > 0x7e {
			return fmt.Errorf("%q: want printable ASCII (RFC 3461 4.4)", id)
		}
		n++
		if c <= ' ' || c == '+' || c == '=' {
			n += 2 // xtext: +XX
		}
	}
	if n > 100 {
		return fmt.Errorf("%q is %d characters in xtext, over the 100 of RFC 3461 4.4", id, n)
	}
	return nil
}

func (sc *Scenario) hasListener(name string) bool {
	for _, l := range sc.Sink.Listeners {
		if l.Name == name {
			return true
		}
	}
	return false
}

func (sc *Scenario) start() (time.Time, error) {
	if sc.Clock.Start == "" {
		return defaultStart, nil
	}
	t, err := time.Parse(time.RFC3339, sc.Clock.Start)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time such as 2026-01-05T09:00:00Z", sc.Clock.Start)
	}
	// The store keeps times as nanoseconds since 1970, which run out in
	// 2262; earlier or later starts made no attempts or failed to make the
	// sink's certificate. The upper bound leaves room for clock.limit.
	if t.Before(minStart) || !t.Before(maxStart) {
		return time.Time{}, fmt.Errorf("%s is outside the times a replay can use: want from %s to before %s",
			sc.Clock.Start, minStart.Format(time.RFC3339), maxStart.Format(time.RFC3339))
	}
	return t.UTC(), nil
}

// The range of clock.start.
var (
	minStart = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	maxStart = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

func (sc *Scenario) limit() time.Duration {
	if sc.Clock.Limit == 0 {
		return 30 * 24 * time.Hour
	}
	return sc.Clock.Limit.D()
}

// File is the path the scenario was read from.
func (sc *Scenario) File() string { return sc.file }

// isAddress reports whether a is a bare mailbox the relay can put in MAIL
// or RCPT: local@domain, with nothing SMTP would choke on.
func isAddress(a string) bool {
	at := strings.LastIndexByte(a, '@')
	return at > 0 && at < len(a)-1 && !strings.ContainsAny(a, "<>\r\n \t")
}

// isList reports whether a, a scenario's from or to, is several
// addresses joined by commas ("b@x.test,c@x.test"), outside a quoted
// local part, where an item takes one.
func isList(a string) bool {
	if strings.HasPrefix(a, `"`) {
		return false // a quoted local part may hold commas and @
	}
	return strings.Contains(a, ",") && strings.Count(a, "@") > 1
}

// quotedList is the addresses of the list a, each quoted, comma apart:
// what a YAML list of them holds.
func quotedList(a string) string {
	var out []string
	for _, p := range strings.Split(a, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, strconv.Quote(p))
		}
	}
	return strings.Join(out, ", ")
}

// addressFault says why addr, a scenario's from or to that isAddress
// passed, is not a mailbox SMTP can carry, or returns "": its local part
// must be a Dot-string or a Quoted-string and its domain a domain name or
// an address literal (RFC 5321 4.1.2, 4.1.3), as relaylab send checks
// them. "{n}" is checked as the number it becomes.
func addressFault(addr string) string {
	a := expandN(addr, 1)
	at := strings.LastIndexByte(a, '@')
	if at <= 0 {
		return ""
	}
	local, dom := a[:at], a[at+1:]
	if !mailaddr.IsDotString(local) && !mailaddr.IsQuotedString(local) {
		what := "is not valid"
		if strings.Contains(local, "@") {
			what = "holds an @ outside quotes, where an address has one @, before its domain"
		}
		return fmt.Sprintf("the local part %q %s: a local part is letters, digits and !#$%%&'*+-/=?^_`{|}~ with single dots between (none at its start or end), or a quoted string (RFC 5321 4.1.2)", local, what)
	}
	if why := mailaddr.Fault(a); why != "" {
		return why
	}
	if strings.HasPrefix(dom, "[") {
		return "" // an address literal, which Fault checked
	}
	if why := mailaddr.DomainFault(dom); why != "" {
		return fmt.Sprintf("the domain %q is not a domain name: %s", dom, why)
	}
	if strings.HasSuffix(dom, ".") {
		return fmt.Sprintf("the domain %q ends in a dot, which an address does not have (RFC 5321 4.1.2; DNS names it an absolute name): write %s", dom, strings.TrimSuffix(addr, "."))
	}
	return ""
}

// expandN replaces "{n}" in an address (a message's from or to) by the
// message's number.
func expandN(addr string, n int) string {
	return strings.ReplaceAll(addr, "{n}", strconv.Itoa(n))
}
