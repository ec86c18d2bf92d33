package reports

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/relaylab/relaylab/internal/config"
)

// duplicateNames refuses a recipient expectation whose name (its name:,
// or the one it has without) an earlier one, or an aggregate check the
// section makes, has already: each is a JUnit test case of that name in
// one class, and CI tools merge such cases or show one for both.
func (x *Expectations) duplicateNames(prefix string) []error {
	var out []error
	seen := map[string]int{}
	agg := x.Aggregate.given()
	for i, r := range x.Recipients {
		name := r.name(i)
		key := fmt.Sprintf("%srecipients[%d]", prefix, i)
		if r.Name != "" {
			key += ".name"
		}
		const why = "each expectation is a JUnit test case named by it, and CI tools merge or overwrite test cases of one class and name, so one verdict would hide the other: give each expectation a name of its own"
		if k, ok := strings.CutPrefix(name, "aggregate "); ok && slices.Contains(agg, k) {
			out = append(out, config.Errorf(key, "%q is also the name of the check %saggregate.%s%s: %s", name, prefix, k, lineNote(x.Aggregate.lines[k]), why))
			continue
		}
		j, dup := seen[name]
		if !dup {
			seen[name] = i
			continue
		}
		out = append(out, config.Errorf(key, "%q is also the name of %srecipients[%d]%s: %s", name, prefix, j, lineNote(x.Recipients[j].line), why))
	}
	return out
}

// lineNote is " (line N)" for a line that is known.
func lineNote(line int) string {
	if line <= 0 {
		return ""
	}
	return fmt.Sprintf(" (line %d)", line)
}

// given are the keys of the aggregate checks a file gives (each a result
// named "aggregate KEY"), in the order of aggregateKeys.
func (a AggregateExpectation) given() []string {
	var out []string
	for _, k := range []struct {
		key string
		set bool
	}{{"delivered_share", a.DeliveredShare != nil}, {"no_attempt_after_5xx", a.NoAttemptAfter5xx},
		{"time_to_delivery_p50", a.TimeToDeliveryP50 != nil}, {"time_to_delivery_p99", a.TimeToDeliveryP99 != nil},
		{"max_concurrent_per_destination", a.MaxConcurrentPerDestination != nil}, {"max_deliveries_per_day", len(a.MaxDeliveriesPerDay) > 0}} {
		if k.set {
			out = append(out, k.key)
		}
	}
	return out
}

// Locate records that the expectations were read from file, whose text is
// data, under the key prefix ("expect"), and the line of each: every
// Result then names them, for a CI annotation on the line that failed,
// and two expectations of one name are each named with their line.
func (x *Expectations) Locate(file string, data []byte, prefix string) {
	x.File = file
	if prefix != "" {
		prefix += "."
	}
	for i := range x.Recipients {
		x.Recipients[i].line = config.KeyLine(data, fmt.Sprintf("%srecipients[%d]", prefix, i))
	}
	x.Aggregate.lines = map[string]int{}
	for _, k := range x.Aggregate.given() {
		if n := config.KeyLine(data, prefix+"aggregate."+k); n > 0 {
			x.Aggregate.lines[k] = n
		}
	}
}

// AggregateAt is the file and line of the aggregate check key
// ("max_concurrent_per_destination"), as Locate found them (0: not
// known), for a Result judged outside Evaluate.
func (x *Expectations) AggregateAt(key string) (file string, line int) {
	return x.File, x.Aggregate.lines[key]
}

// PlaceHint adds to err, when it is the decoder's refusal of a key it does
// not know in an expect: section (under prefix, "expect"), where that key
// belongs, when it is a key of another part of the section: attempts:
// written at the indentation of recipients: belongs in an item of
// expect.recipients, and time_to_delivery_p99: in an item belongs under
// expect.aggregate. The decoder's own "did you mean" for a misspelt key
// stays alone.
func PlaceHint(err error, prefix string) error {
	var ce *config.Error
	if !errors.As(err, &ce) || !strings.HasPrefix(ce.Msg, "unknown field") || strings.Contains(ce.Msg, "did you mean") {
		return err
	}
	if prefix != "" {
		prefix += "."
	}
	rest, ok := strings.CutPrefix(ce.Key, prefix)
	if !ok {
		return err
	}
	items, agg := prefix+"recipients", prefix+"aggregate"
	where := ""
	switch key, under, _ := strings.Cut(rest, "."); {
	case under == "" && isRecipientKey(key):
		where = "in an item of " + items + ", beside that item's match:"
	case under == "" && isAggregateKey(key):
		where = "under " + agg
	case key == "aggregate" && isRecipientKey(under):
		where = "in an item of " + items + ", beside that item's match:"
	case strings.HasPrefix(key, "recipients[") && isAggregateKey(under):
		where = "under " + agg + ", which judges the run as a whole"
	}
	if where != "" {
		ce.Msg += " (it belongs " + where + ")"
	}
	return err
}

func isRecipientKey(k string) bool {
	return k == "match" || slices.ContainsFunc(recipientKeys, func(h keyHint) bool { return h.key == k })
}

func isAggregateKey(k string) bool {
	return slices.ContainsFunc(aggregateKeys, func(h keyHint) bool { return h.key == k })
}

// LocateAll is first, the error of a file's decoding (located already),
// with more, the problems its Validate found after the first, each located
// at its line in data, all in the order of their lines and, on one line
// (a flow mapping: {match: ..., status: ..., attempts: ...}), of their
// columns, those without a line last: one reading of a file shows every
// problem its checks found, as the file reads.
func LocateAll(file string, data []byte, first error, more []error) error {
	if len(more) == 0 {
		return first
	}
	all := []error{first}
	for _, e := range more {
		all = append(all, config.Locate(file, data, e))
	}
	place := func(e error) (int, int) {
		var ce *config.Error
		if errors.As(e, &ce) && ce.Line > 0 {
			return ce.Line, ce.Column
		}
		return math.MaxInt, 0
	}
	slices.SortStableFunc(all, func(a, b error) int {
		la, ca := place(a)
		lb, cb := place(b)
		return cmp.Or(cmp.Compare(la, lb), cmp.Compare(ca, cb))
	})
	return errors.Join(all...)
}
