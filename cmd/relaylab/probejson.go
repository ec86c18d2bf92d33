package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/relaylab/relaylab/probe"
)

// probeInputError is bad input to probe (exit 2), with what it is about,
// for the error object that --json writes on stdout: a CI job that parses
// stdout gets JSON whatever happened, and the text on stderr stays the
// same as without --json.
type probeInputError struct {
	msg string
	// flag is the flag at fault (--ip), argument the argument (DOMAIN);
	// value is the value refused, when the error is about one.
	flag, argument string
	value          *string
}

func (e *probeInputError) Error() string { return e.msg }

// flagError is bad input of the flag name (value, "" when the error is not
// about one value): exit 2, message as usageError's.
func flagError(name, value, format string, args ...any) error {
	return probeInput(name, "", value, format, args...)
}

// argError is bad input of the DOMAIN argument (value as flagError's).
func argError(value, format string, args ...any) error {
	return probeInput("", "DOMAIN", value, format, args...)
}

func probeInput(flagName, argument, value, format string, args ...any) error {
	ie := &probeInputError{msg: fmt.Sprintf(format, args...), flag: flagName, argument: argument}
	if value != "" {
		ie.value = &value
	}
	return &exitError{code: 2, err: ie}
}

// mxTLSFlag is the first given of --no-mx-tls (off), --mx-ca (ca) and
// --mx-port: the flag an error about several of them is filed under.
func mxTLSFlag(off bool, ca string) string {
	switch {
	case off:
		return "--no-mx-tls"
	case ca != "":
		return "--mx-ca"
	}
	return "--mx-port"
}

// jsonAsked reports whether args ask for --json, read before parsing:
// parsing stops at the first bad flag, which may come before --json. A
// value of another flag that reads "--json" is that flag's; the last
// --json given counts, as when parsing.
func jsonAsked(fs *flag.FlagSet, args []string) bool {
	asked := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		if !strings.HasPrefix(a, "-") || len(a) == 1 {
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if name != "json" {
			if !hasValue && takesValue(fs, name) {
				i++
			}
			continue
		}
		asked = true
		if hasValue {
			// --json=maybe is refused by the parser: still JSON,
			// which was asked for.
			if b, err := strconv.ParseBool(value); err == nil {
				asked = b
			}
		}
	}
	return asked
}

// probeErrorJSON is the object --json writes instead of a report when the
// input is bad (probe/SCHEMA.md, "Errors").
type probeErrorJSON struct {
	Schema string         `json:"schema"`
	Error  probeErrorBody `json:"error"`
}

type probeErrorBody struct {
	Message  string  `json:"message"`
	Flag     string  `json:"flag,omitempty"`
	Argument string  `json:"argument,omitempty"`
	Value    *string `json:"value,omitempty"`
}

// parsedFlag finds the flag that the flag package's error, as
// parseFlags printed it, is about: "relaylab probe: no flag --check: did
// you mean ...", "relaylab probe: --timeout \"x\": want a duration ...".
var parsedFlag = regexp.MustCompile(`--([A-Za-z0-9][A-Za-z0-9_.-]*)`)

// writeProbeError writes err as probe's JSON error object on w. printed
// is what was printed on stderr: the message of a flag that did not parse,
// which parseFlags prints rather than returns.
func writeProbeError(w io.Writer, err error, printed string) {
	body := probeErrorBody{Message: err.Error()}
	var ie *probeInputError
	var xe *exitError
	switch {
	case errors.As(err, &ie):
		body = probeErrorBody{Message: ie.msg, Flag: ie.flag, Argument: ie.argument, Value: ie.value}
	case errors.As(err, &xe) && xe.err == nil:
		line, _, _ := strings.Cut(strings.TrimSpace(printed), "\n")
		if line == "" {
			line = "bad flags: see relaylab probe --help"
		}
		body.Message = strings.TrimPrefix(line, "relaylab probe: ")
		if m := parsedFlag.FindStringSubmatch(body.Message); m != nil {
			body.Flag = "--" + m[1]
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(probeErrorJSON{Schema: probe.SchemaVersion, Error: body}) //nolint:errcheck // the exit code still says it
}
