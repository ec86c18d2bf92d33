package main

import (
	"flag"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/config"
)

// flagAtLeast refuses the value v of the numeric flag name when it is
// below least: exit 2, naming the flag, the value and what it wants,
// rather than a negative or zero value silently read as something else.
func flagAtLeast[T int | int64 | time.Duration](name string, v, least T, want string) error {
	if v >= least {
		return nil
	}
	if d, ok := any(v).(time.Duration); ok {
		return usageError("--%s %s: want %s", name, config.FormatDuration(d), want)
	}
	return usageError("--%s %v: want %s", name, v, want)
}

// outputPath is the value of the flag name, which names a file to write.
// A value that starts with "-" is refused: it is the next flag, taken as
// the value of a flag given without one (replay --junit --quiet wrote its
// JUnit to a file named "--quiet"), far more often than a file name.
type outputPath struct {
	name string
	p    *string
}

func (o outputPath) String() string {
	if o.p == nil {
		return "" // the flag package's zero value, for its defaults
	}
	return *o.p
}

func (o outputPath) Get() any { return o.String() }

func (o outputPath) Set(v string) error {
	if strings.HasPrefix(v, "-") {
		return fmt.Errorf("the value is missing: %q is the next flag, not a file; give the file right after --%s (./%s for a file whose name starts with \"-\")", v, o.name, v)
	}
	*o.p = v
	return nil
}

// outputPathFlag defines the flag name of fs that names a file to write,
// as fs.String(name, "", usage) would, with outputPath's check of its
// value. Every flag that names a file to write is defined so. The help
// shows the first FILE of usage as the flag's argument (-junit FILE), as
// it would show "string" for fs.String.
func outputPathFlag(fs *flag.FlagSet, name, usage string) *string {
	if !strings.Contains(usage, "`") {
		usage = strings.Replace(usage, "FILE", "`FILE`", 1)
	}
	p := new(string)
	fs.Var(outputPath{name, p}, name, usage)
	return p
}

// flagValueError matches the flag package's errors for a value its flag
// does not take: `invalid value "V" for flag -NAME: WHY` and `invalid
// boolean value "V" for -NAME: WHY`.
var flagValueError = regexp.MustCompile(`^invalid (boolean )?value "(.*)" for (?:flag )?-([^:]+): (.*)$`)

// flagErrorLines is what a command says of the flag package's error msg
// for fs: a value the flag does not take in one line that names the flag
// and what it wants; a flag fs does not have with the ones probably meant
// and where the flags are listed.
func flagErrorLines(fs *flag.FlagSet, msg string) string {
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		return unknownFlagLine(fs, name) + "\nsee " + fs.Name() + " --help for its flags\n"
	}
	if words := flagErrorInWords(fs, msg); words != msg {
		return words + "\n"
	}
	return fs.Name() + ": " + msg + "\nsee " + fs.Name() + " --help for its flags\n"
}

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

// addressWords are flag names people try for where a program listens or
// connects (serve --port 2525): relaylab's flags take the whole address.
var addressWords = map[string]bool{"port": true, "p": true, "addr": true, "address": true, "bind": true, "host": true, "listen": true, "server": true}

// flagSynonyms are flag names people bring from other tools, and the
// flags of relaylab's that do what they mean, for every command ("") or
// for one: send's from swaks, load's from Postfix's smtp-source, whose
// letters differ (-s is swaks' server and smtp-source's sessions). swaks'
// --data and the like take a file, and send's --file, a letter from
// --body-file, meant the whole message as often as the body. A name is
// looked up as given first, then, when longer than a letter, in lower
// case (smtp-source's -M is not -m).
var flagSynonyms = map[string]map[string][]string{
	"": {
		"file": {"data", "body-file"},
		"eml":  {"data"},
		// swaks
		"tls-on-connect": {"tls"}, "tlsc": {"tls"},
		"auth-password": {"auth-pass"}, "ap": {"auth-pass"}, "au": {"auth-user"},
		"auth": {"auth-user", "auth-mech"}, "a": {"auth-user", "auth-mech"},
		"ehlo": {"helo"}, "f": {"from"}, "t": {"to"},
	},
	"send": {
		"s": {"server"}, "add-header": {"header"}, "ah": {"header"},
		"suppress-data": {"hide-data"}, "q": {"quit-after"}, "d": {"data"},
		// msmtp's and sendmail's DSN requests
		"dsn-notify": {"notify"}, "N": {"notify"}, "dsn-return": {"ret"}, "R": {"ret"}, "V": {"envid"},
	},
	"load": {
		"s": {"sessions"}, "m": {"messages"}, "l": {"size"}, "r": {"rcpts"},
		"M": {"helo"}, "d": {"reuse"}, "w": {"rate"}, "q": {"quiet"},
	},
}

// flagNotes say, after the suggestion if any, how a flag of another tool
// differs here, or what takes the place of one that has no match.
var flagNotes = map[string]map[string]string{
	"send": {
		"pipeline":       "send writes one command at a time and reads its reply, for a transcript in order; relaylab load pipelines (RFC 2920) when the server offers PIPELINING",
		"silent":         "the transcript is on stdout and the outcome on stderr and in the exit status: send stdout to /dev/null, or leave the message lines out with --hide-data",
		"S":              "the transcript is on stdout and the outcome on stderr and in the exit status: send stdout to /dev/null, or leave the message lines out with --hide-data",
		"tls-on-connect": "swaks' --tls, which is STARTTLS, is --starttls here; relaylab's --tls is TLS from the first byte, as swaks' --tls-on-connect",
		"tlsc":           "swaks' --tls, which is STARTTLS, is --starttls here; relaylab's --tls is TLS from the first byte, as swaks' --tls-on-connect",
		"dsn-return":     "msmtp's --dsn-return headers is --ret HDRS here, full is --ret FULL",
		"R":              "sendmail's -R hdrs is --ret HDRS here, full is --ret FULL",
	},
	"load": {
		"c": "load shows its progress on stderr always (a bar on a terminal, a line every 5 s otherwise); --quiet turns it off",
		"d": "smtp-source's -d keeps the connection for the next message: --reuse 0; load's default, --reuse 1, opens one per message as smtp-source does without -d",
		"C": "smtp-source's -C tries a refused connection again; load dials again after a failed session, and --give-up says when it stops trying",
		"w": "smtp-source's -w waits between the messages of each session; --rate paces the whole run in messages a second",
	},
}

// synonymsOf are the flags of command that the unknown flag name of
// another tool means, those command has.
func synonymsOf(command, name string, has []string) []string {
	var syn []string
	names := []string{name}
	if len(name) > 1 { // one letter is as given: -M is not -m
		names = append(names, strings.ToLower(name))
	}
	for _, n := range names {
		if syn = flagSynonyms[command][n]; syn == nil {
			syn = flagSynonyms[""][n]
		}
		if syn != nil {
			break
		}
	}
	return slices.DeleteFunc(slices.Clone(syn), func(f string) bool { return !slices.Contains(has, f) })
}

// flagSuggestions are the flags of fs that the unknown flag name was
// probably meant as: the one a letter or two away (--show-secret for
// --show-secrets), else those with name as a word of theirs (--listen for
// --sink-listen), else, for a word of address (--port), those that take
// an address. At most three, sorted; none when nothing is near.
func flagSuggestions(fs *flag.FlagSet, name string) (names []string, address bool) {
	var all []string
	fs.VisitAll(func(f *flag.Flag) { all = append(all, f.Name) })
	if syn := synonymsOf(strings.TrimPrefix(fs.Name(), "relaylab "), name, all); len(syn) > 0 {
		return syn, false
	}
	if n := config.Nearest(name, all); n != "" {
		return []string{n}, false
	}
	word := strings.ToLower(name)
	for _, f := range all {
		if slices.Contains(strings.Split(f, "-"), word) {
			names = append(names, f)
		}
	}
	if len(names) == 0 && addressWords[word] {
		address = true
		for _, f := range all {
			if f == "listen" || strings.HasSuffix(f, "-listen") || f == "server" {
				names = append(names, f)
			}
		}
	}
	if len(names) > 3 {
		names = names[:3]
	}
	return names, address
}

// unknownFlagLine says that fs has no flag name, and which it has that
// was probably meant: "relaylab serve: no flag --port: did you mean
// --relay-listen, --sink-listen or --web-listen (each takes an address,
// host:port)?".
func unknownFlagLine(fs *flag.FlagSet, name string) string {
	line := fmt.Sprintf("%s: no flag --%s", fs.Name(), name)
	command := strings.TrimPrefix(fs.Name(), "relaylab ")
	if field, ok := strings.CutPrefix(name, "h-"); ok && field != "" && fs.Lookup("header") != nil {
		// swaks' --h-Subject "text" is a header field by name.
		return fmt.Sprintf("%s: did you mean --header \"%s: ...\"?", line, field)
	}
	note := flagNotes[command][name]
	names, address := flagSuggestions(fs, name)
	if len(names) == 0 {
		if note != "" {
			line += ": " + note
		}
		return line
	}
	for i := range names {
		names[i] = "--" + names[i]
	}
	line += ": did you mean " + orList(names)
	if address {
		if len(names) == 1 {
			line += " (it takes an address, host:port)"
		} else {
			line += " (each takes an address, host:port)"
		}
	}
	if note != "" {
		return line + "? (" + note + ")"
	}
	return line + "?"
}

// orList is "a", "a or b", "a, b or c".
func orList(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// flagGiven reports whether the flag name was given on the command line
// (at its default value too).
func flagGiven(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}
