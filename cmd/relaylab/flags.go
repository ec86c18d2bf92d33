package main

import (
	"flag"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// flagAtLeast refuses the value v of the numeric flag name when it is
// below least: exit 2, naming the flag, the value and what it wants,
// rather than a negative or zero value silently read as something else.
func flagAtLeast[T int | int64 | time.Duration](name string, v, least T, want string) error {
	if v >= least {
		return nil
	}
	return usageError("--%s %v: want %s", name, v, want)
}

// flagValueError matches the flag package's errors for a value its flag
// does not take: `invalid value "V" for flag -NAME: WHY` and `invalid
// boolean value "V" for -NAME: WHY`.
var flagValueError = regexp.MustCompile(`^invalid (boolean )?value "(.*)" for (?:flag )?-([^:]+): (.*)$`)

// flagErrorInWords is the flag package's error msg for fs said as the
// flag, the value and what the flag wants, rather than "parse error".
// Other errors stay as they are.
func flagErrorInWords(fs *flag.FlagSet, msg string) string {
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		return fmt.Sprintf("%s: --%s needs a value after it", fs.Name(), name)
	}
	m := flagValueError.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	boolean, value, name, why := m[1] != "", m[2], m[3], m[4]
	head := fmt.Sprintf("%s: --%s %q", fs.Name(), name, value)
	var want string
	if f := fs.Lookup(name); f != nil && !boolean {
		if g, ok := f.Value.(flag.Getter); ok {
			switch g.Get().(type) {
			case int, int64:
				want = "a whole number, such as " + f.DefValue
			case uint, uint64:
				want = "a whole number of 0 or more, such as " + f.DefValue
			case float64:
				want = "a number, such as " + f.DefValue
			case time.Duration:
				want = "a duration such as 30s, 5m or 1h30m"
			}
		}
	}
	switch {
	case boolean:
		return fmt.Sprintf("%s: want true or false (or --%s alone for true)", head, name)
	case why == "value out of range" && want != "":
		return fmt.Sprintf("%s: out of range; want %s", head, want)
	case why == "parse error" && want != "":
		return fmt.Sprintf("%s: want %s", head, want)
	}
	return fmt.Sprintf("%s: %s", head, why) // a Value of our own said why
}
