package sink

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/textsafe"
)

// Content rules: conditions on the message itself, at stage data-end, as
// Postfix's header_checks and body_checks (and a size filter) answer:
// header: a pattern tried on each header field, unfolded, as "Name:
// value"; body: a pattern tried on each line of the body, raw; size: a
// comparison of the message's size in octets, as received.

// contentConds is a rule's conditions on the message; nil for none.
type contentConds struct {
	header, body *matcher
	size         *sizeCond
}

// sizeCond is a size: condition, "size op n".
type sizeCond struct {
	op  string // <, <=, >, >=, =
	n   int64
	src string // as written, for the record
}

func (c *sizeCond) holds(size int64) bool {
	switch c.op {
	case "<":
		return size < c.n
	case "<=":
		return size <= c.n
	case ">":
		return size > c.n
	case ">=":
		return size >= c.n
	}
	return size == c.n
}

// least is the smallest size c holds for.
func (c *sizeCond) least() int64 {
	switch c.op {
	case ">":
		return c.n + 1
	case ">=", "=":
		return c.n
	}
	return 0
}

// sizeUnits are the units of a size: condition, in lower case: SI
// multiples of 1000 (as disks are sold) and binary ones of 1024 (as
// limits.max_message_bytes's 25 MiB).
var sizeUnits = []struct {
	name string
	mult int64
}{
	{"b", 1}, {"kb", 1000}, {"mb", 1000 * 1000}, {"gb", 1000 * 1000 * 1000},
	{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30},
}

// sizeGrammar says what a size: condition is, for its errors.
const sizeGrammar = `want a comparison, a whole number and a unit, as ">1MB", "<=10KB" or ">=500000": one of <, <=, >, >=, =; then octets, or B, KB, MB, GB (1000, 1000², 1000³) or KiB, MiB, GiB (1024, 1024², 1024³), in any case; quote it in YAML (size: ">1MB"), where a bare > starts a folded text`

// parseSizeCond reads a size: condition.
func parseSizeCond(s string) (*sizeCond, error) {
	v := strings.TrimSpace(s)
	op := ""
	for _, o := range []string{"<=", ">=", "==", "=<", "=>", "<", ">", "="} {
		if strings.HasPrefix(v, o) {
			op = o
			break
		}
	}
	num := strings.TrimSpace(v[len(op):])
	switch op {
	case "":
		if num != "" && num[0] >= '0' && num[0] <= '9' {
			return nil, fmt.Errorf("%q has no comparison: did you mean \">%s\" (larger than) or \"=%s\"? %s", s, num, num, sizeGrammar)
		}
		return nil, fmt.Errorf("%q: %s", s, sizeGrammar)
	case "=<", "=>":
		fix := string(op[1]) + "="
		return nil, fmt.Errorf("%q: did you mean \"%s%s\"? %s", s, fix, num, sizeGrammar)
	case "==":
		op = "="
	}
	if num == "" || num[0] < '0' || num[0] > '9' {
		return nil, fmt.Errorf("%q: no number after %s: %s", s, op, sizeGrammar)
	}
	n, err := sizeValue(num, op, sizeGrammar)
	if err != nil {
		return nil, fmt.Errorf("%q: %v", s, err)
	}
	if op == "<" && n == 0 {
		return nil, fmt.Errorf("%q: never matches, as no message has fewer than 0 octets", s)
	}
	return &sizeCond{op: op, n: n, src: op + num}, nil
}

// sizeValueGrammar says what a size is, for ParseSize's errors.
const sizeValueGrammar = `want a whole number of octets, or one and a unit, as 2000, 10KB or 25MiB: B, KB, MB, GB (1000, 1000², 1000³) or KiB, MiB, GiB (1024, 1024², 1024³), in any case`

// ParseSize reads a size in octets: a whole number, with or without a
// unit (B, KB, MB, GB; KiB, MiB, GiB; in any case), as a rule's size:
// condition has it after its comparison: "25MiB", "10 KB", "500000". A
// scenario's message size: is read with it, so that both are written
// alike.
func ParseSize(s string) (int64, error) {
	v := strings.TrimSpace(s)
	if v == "" || v[0] < '0' || v[0] > '9' {
		return 0, fmt.Errorf("%q: %s", s, sizeValueGrammar)
	}
	n, err := sizeValue(v, "", sizeValueGrammar)
	if err != nil {
		return 0, fmt.Errorf("%q: %v", s, err)
	}
	return n, nil
}

// sizeValue reads num, a whole number (its first byte a digit) and a
// unit, for ParseSize and parseSizeCond; op goes before the number in a
// hint ("did you mean >1MB"), and grammar ends an error.
func sizeValue(num, op, grammar string) (int64, error) {
	i := 0
	for i < len(num) && num[i] >= '0' && num[i] <= '9' {
		i++
	}
	digits, unit := num[:i], strings.ToLower(strings.TrimSpace(num[i:]))
	if strings.HasPrefix(unit, ".") || strings.HasPrefix(unit, ",") {
		return 0, fmt.Errorf("the number is whole: write a smaller unit (1500KB for 1.5MB): %s", grammar)
	}
	mult := int64(0)
	if unit == "" {
		mult = 1
	}
	for _, u := range sizeUnits {
		if u.name == unit {
			mult = u.mult
		}
	}
	if mult == 0 {
		hint := ""
		switch unit {
		case "k", "m", "g":
			hint = fmt.Sprintf(": did you mean %s%s%sB (1000s) or %s%s%siB (1024s)?", op, digits, strings.ToUpper(unit), op, digits, strings.ToUpper(unit))
		case "kbytes", "mbytes", "bytes", "octets":
			hint = ": write B, KB, MB or GB"
		}
		return 0, fmt.Errorf("unknown unit %q%s; %s", strings.TrimSpace(num[i:]), hint, grammar)
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n > math.MaxInt64/mult {
		return 0, fmt.Errorf("too large a size: no message is that large")
	}
	return n * mult, nil
}

// compileContent compiles r's header:, body: and size: conditions, which
// only stage data-end knows; nil when r has none.
func compileContent(key string, r Rule, stage Stage) (*contentConds, error) {
	if r.Header == "" && r.Body == "" && r.Size == "" {
		return nil, nil
	}
	var cc contentConds
	for _, p := range []struct {
		name, pat, what string
		dst             **matcher
	}{{"header", r.Header, "header", &cc.header}, {"body", r.Body, "body", &cc.body}} {
		if p.pat == "" {
			continue
		}
		if stage != StageDataEnd {
			return nil, config.Errorf(key+"."+p.name, "never matches: the message's %s is known only after its final dot, at stage data-end, not at %s: use stage data-end", p.what, stage)
		}
		m, err := compilePattern(p.pat)
		if err != nil {
			return nil, config.Errorf(key+"."+p.name, "%v", err)
		}
		*p.dst = m
	}
	if r.Size != "" {
		if stage != StageDataEnd {
			return nil, config.Errorf(key+".size", "never matches: the message's size is known only after its final dot, at stage data-end, not at %s: use stage data-end (a SIZE= the client declares at MAIL meets limits.max_message_bytes)", stage)
		}
		sc, err := parseSizeCond(r.Size)
		if err != nil {
			return nil, config.Errorf(key+".size", "%v", err)
		}
		cc.size = sc
	}
	return &cc, nil
}

// sizeNeverMatches refuses a rule whose size: asks for a message larger
// than every listener it applies to takes (limits.max_message_bytes): no
// such message gets to the final dot. prefix is the sink's key path.
func sizeNeverMatches(prefix string, rules []Rule, ls []ListenerConfig) error {
	for i, r := range rules {
		if r.Size == "" {
			continue
		}
		sc, err := parseSizeCond(r.Size)
		if err != nil || sc.least() == 0 {
			continue // compileRules reports a bad one
		}
		var takes []string
		for _, l := range ls {
			if r.Listener != "" && l.Name != r.Listener {
				continue
			}
			if max := l.Limits.MaxMessageBytes; max <= 0 || sc.least() <= max {
				takes = nil
				break
			}
			takes = append(takes, fmt.Sprintf("%s at most %d", l.Name, l.Limits.MaxMessageBytes))
		}
		if len(takes) > 0 {
			key := fmt.Sprintf("rules[%d].size", i)
			if prefix != "" {
				key = prefix + "." + key
			}
			return config.Errorf(key, "never matches: %q needs a message of %d octets or more, and the listeners take no message that large (limits.max_message_bytes: %s; a larger one gets 552 before the final dot): lower the size, or raise the limit", r.Size, sc.least(), strings.Join(takes, ", "))
		}
	}
	return nil
}

// contentScan is one message as the content rules see it: split into
// header fields once, at the first rule that asks, and each rule's
// verdict kept, since a data-end rule is tried for every recipient of
// the message. A session keeps one, for the message at its final dot.
type contentScan struct {
	raw      []byte // as received, without the sink's Authentication-Results
	size     int64
	split    bool
	fields   []string // unfolded header fields
	bodyAt   int      // where the body starts in raw (len(raw): none)
	verdicts map[*rule]contentVerdict
	judged   int // how many verdicts were reached, not looked up (for tests)
	// note is the sink's note on the message for its record, "" for
	// none: 8-bit data its MAIL did not declare (eightBitNote).
	note string
}

type contentVerdict struct {
	ok   bool
	what string // what matched, for the transcript
}

// maxShown bounds what the transcript shows of a matching line.
const maxShown = 100

// test reports whether the message meets cc, the content conditions of r.
func (m *contentScan) test(r *rule, cc *contentConds) bool {
	if v, ok := m.verdicts[r]; ok {
		return v.ok
	}
	v := m.judge(cc)
	m.judged++
	if m.verdicts == nil {
		m.verdicts = map[*rule]contentVerdict{}
	}
	m.verdicts[r] = v
	return v.ok
}

// what says what of the message met r's conditions, once test said so.
func (m *contentScan) what(r *rule) string { return m.verdicts[r].what }

func (m *contentScan) judge(cc *contentConds) contentVerdict {
	var what []string
	if cc.size != nil {
		if !cc.size.holds(m.size) {
			return contentVerdict{}
		}
		what = append(what, fmt.Sprintf("size %d octets (%s)", m.size, cc.size.src))
	}
	if cc.header != nil {
		m.splitHeader()
		found := false
		for _, f := range m.fields {
			if cc.header.match(f) {
				what = append(what, "header "+shown(f))
				found = true
				break
			}
		}
		if !found {
			return contentVerdict{}
		}
	}
	if cc.body != nil {
		m.splitHeader()
		n, line := m.bodyLine(cc.body)
		if n == 0 {
			return contentVerdict{}
		}
		what = append(what, "body line "+strconv.Itoa(n)+" "+shown(line))
	}
	return contentVerdict{ok: true, what: strings.Join(what, ", ")}
}

// shown is s quoted for the transcript, cut to maxShown octets: no
// control character of the message gets into it.
func shown(s string) string { return strconv.Quote(textsafe.Cut(s, maxShown)) }

// splitHeader finds the header fields, unfolded (RFC 5322 2.2.3: a line
// break before white space is removed), and where the body starts: after
// the first empty line. A message without one is all header.
func (m *contentScan) splitHeader() {
	if m.split {
		return
	}
	m.split = true
	raw := m.raw
	m.bodyAt = len(raw)
	var cur []byte
	flush := func() {
		if cur != nil {
			m.fields = append(m.fields, string(cur))
			cur = nil
		}
	}
	for off := 0; off < len(raw); {
		end := bytes.IndexByte(raw[off:], '\n')
		next := len(raw)
		if end >= 0 {
			end += off
			next = end + 1
		} else {
			end = len(raw)
		}
		line := bytes.TrimSuffix(raw[off:end], []byte("\r"))
		if len(line) == 0 {
			m.bodyAt = next
			break
		}
		if (line[0] == ' ' || line[0] == '\t') && cur != nil {
			cur = append(cur, line...)
		} else {
			flush()
			cur = append([]byte{}, line...)
		}
		off = next
	}
	flush()
}

// bodyLine returns the number (from 1, the body's first line) and text of
// the first line of the body that p matches, or 0.
func (m *contentScan) bodyLine(p *matcher) (int, string) {
	body := m.raw[m.bodyAt:]
	for n := 1; len(body) > 0; n++ {
		line := body
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			line, body = body[:i], body[i+1:]
		} else {
			body = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if p.matchBytes(line) {
			return n, string(line)
		}
	}
	return 0, ""
}
