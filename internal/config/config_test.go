package config

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

type rule struct {
	Stage string   `yaml:"stage"`
	Code  int      `yaml:"code"`
	Delay Duration `yaml:"delay"`
}

type section struct {
	Listen []string `yaml:"listen"`
	Rules  []rule   `yaml:"rules"`
}

type doc struct {
	Sink section `yaml:"sink"`
}

func (d *doc) Validate(string) error {
	for i, r := range d.Sink.Rules {
		if r.Code != 0 && (r.Code < 200 || r.Code > 599) {
			return Errorf("sink.rules["+strconv.Itoa(i)+"].code", "%d is not an SMTP reply code (200-599)", r.Code)
		}
	}
	return nil
}

func TestDecode(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in string
		want     string // substring of the error; empty for success
	}{
		{"empty", "", ""},
		{"ok", "sink:\n  listen: [\"127.0.0.1:2525\"]\n  rules:\n    - stage: rcpt\n      code: 550\n      delay: 2d\n", ""},
		{"unknown key", "sink:\n  listen: []\n  lisen: x\n", "cfg.yaml:3:3: sink.lisen: "},
		{"wrong type", "sink:\n  rules:\n    - code: many\n", "cfg.yaml:3:"},
		{"bad duration", "sink:\n  rules:\n    - delay: soon\n", `cfg.yaml:3:14: sink.rules[0].delay: bad duration "soon"`},
		{"validation", "sink:\n  rules:\n    - code: 200\n    - stage: data\n      code: 999\n", "cfg.yaml:5:13: sink.rules[1].code: 999 is not an SMTP reply code"},
		{"syntax", "sink: [\n", "cfg.yaml:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var d doc
			err := Decode("cfg.yaml", []byte(tc.in), &d)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Decode accepted %q", tc.in)
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %T %v is not a *config.Error", err, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

// listener and flowDoc give TestDecodeNamesTheFailingKey flow mappings to
// misspell: one line holds many keys, and the error must name the one at
// its column, not the first on the line.
type listener struct {
	Name     string `yaml:"name"`
	Listen   string `yaml:"listen"`
	Password string `yaml:"password"`
	Attempts int    `yaml:"attempts"`
	Match    string `yaml:"match"`
}

type retry struct {
	Attempts int      `yaml:"attempts"`
	Max      Duration `yaml:"max"`
}

type flowDoc struct {
	Sink struct {
		Listeners []listener `yaml:"listeners"`
	} `yaml:"sink"`
	Relay struct {
		Retry retry `yaml:"retry"`
		DSN   struct {
			Delay Duration `yaml:"delay"`
			VERP  bool     `yaml:"verp"`
		} `yaml:"dsn"`
	} `yaml:"relay"`
}

func TestDecodeNamesTheFailingKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in, want string // want: the whole error
	}{
		{"block", "sink:\n  listeners:\n    - name: mx1\n      hostnme: x\n",
			`r.yaml:4:7: sink.listeners[0].hostnme: unknown field "hostnme"`},
		{"flow in sequence", "sink:\n  listeners:\n    - {name: mx1, listen: \"127.0.0.1:43025\", hostnme: x}\n",
			`r.yaml:3:46: sink.listeners[0].hostnme: unknown field "hostnme"`},
		{"second flow mapping on a line", "sink:\n  listeners: [{name: a}, {name: b, pasword: x}]\n",
			`r.yaml:2:36: sink.listeners[1].pasword: unknown field "pasword"`},
		{"flow value of the wrong type", "sink:\n  listeners:\n    - {match: x, attempts: many}\n",
			"r.yaml:3:28: sink.listeners[0].attempts: "},
		{"flow in block", "relay:\n  retry: {attempts: 3, mx: 5m}\n",
			`r.yaml:2:24: relay.retry.mx: unknown field "mx"`},
		{"nested flow", "relay: {retry: {attempts: 3, max: soon}}\n",
			`r.yaml:1:35: relay.retry.max: bad duration "soon"`},
		{"nested flow, second mapping", "relay: {retry: {attempts: 3}, dsn: {verp: true, delay: soon}}\n",
			`r.yaml:1:56: relay.dsn.delay: bad duration "soon"`},
		{"flow value that is a list", "relay:\n  retry: {max: 1m, attempts: [1]}\n",
			"r.yaml:2:30: relay.retry.attempts: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var d flowDoc
			err := Decode("r.yaml", []byte(tc.in), &d)
			if err == nil {
				t.Fatalf("Decode accepted %q", tc.in)
			}
			if got := err.Error(); !strings.HasPrefix(got, tc.want) {
				t.Errorf("error\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestKeyAtNearestOnTheLine(t *testing.T) {
	t.Parallel()
	data := []byte("relay:\n  retry: {attempts: 3, max: 1m}\n")
	for _, tc := range []struct {
		line, col int
		want      string
	}{
		{2, 11, "relay.retry.attempts"}, // on the key
		{2, 21, "relay.retry.attempts"}, // on its value
		{2, 22, "relay.retry.attempts"}, // the comma after the value
		{2, 24, "relay.retry.max"},      // on the key
		{2, 31, "relay.retry.max"},      // the closing brace
		{2, 5, "relay.retry"},           // inside the block key
		{2, 1, ""},                      // before any node on the line
		{1, 1, "relay"},
		{9, 1, ""}, // no such line
	} {
		if got := keyAt(data, tc.line, tc.col); got != tc.want {
			t.Errorf("keyAt(%d:%d) = %q, want %q", tc.line, tc.col, got, tc.want)
		}
	}
}

func TestDecodeKeepsDefaults(t *testing.T) {
	t.Parallel()
	d := doc{Sink: section{Listen: []string{"127.0.0.1:2525"}}}
	if err := Decode("x.yaml", []byte("sink:\n  rules: [{code: 451, delay: \"90s\"}]\n"), &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Sink.Listen) != 1 || d.Sink.Rules[0].Delay.D() != 90*time.Second {
		t.Fatalf("got %+v", d)
	}
}

func TestParseDuration(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]time.Duration{"5d": 120 * time.Hour, "1.5d": 36 * time.Hour, "90s": 90 * time.Second, "1h30m": 90 * time.Minute} {
		got, err := ParseDuration(in)
		if err != nil || got.D() != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1d", "xd", "5 minutes"} {
		if _, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) succeeded", in)
		}
	}
}

// FuzzDecode feeds arbitrary bytes to the strict decoder: it must return an
// error or a value, never panic.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{"sink:\n  rules:\n    - code: 451\n", "!\n00", "sink: [\n", "a: &x [*x]\n", "a: &x {b: 1}\nc: {<<: [*x, {d: 2}], b: 2}\n", "sink: &s {rules: [{code: 451}]}\nx: {<<: *s, rules: *s}\n", "{}", "sink: {rules: [{code: 451}, {cod: x}]}\n"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var d doc
		_ = Decode("fuzz.yaml", data, &d)
	})
}

func TestDecodeMalformedDoesNotPanic(t *testing.T) {
	t.Parallel()
	var d struct {
		Rules []rule `yaml:"rules"`
	}
	// goccy/go-yaml panics on this input when decoding into a slice.
	err := Decode("x.yaml", []byte("!\n00"), &d.Rules)
	var ce *Error
	if err == nil || !errors.As(err, &ce) || ce.File != "x.yaml" {
		t.Fatalf("Decode = %v, want a *config.Error naming x.yaml", err)
	}
}

// ruleList is a bare list of rules, as the rules editor holds it.
type ruleList []rule

func (rs ruleList) Validate(prefix string) error {
	for i, r := range rs {
		if r.Code != 0 && (r.Code < 200 || r.Code > 599) {
			return Errorf(prefix+"["+strconv.Itoa(i)+"].code", "%d is not an SMTP reply code (200-599)", r.Code)
		}
	}
	return nil
}

func TestDecodeRoot(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in, want string
	}{
		{"unknown key in flow", "- {code: 451, stag: rcpt}\n", `rules:1:15: rules[0].stag: unknown field "stag"`},
		{"unknown key in block", "- code: 451\n- stage: rcpt\n  cod: 550\n", `rules:3:3: rules[1].cod: unknown field "cod"`},
		{"bad value", "- {stage: rcpt, delay: soon}\n", `rules:1:24: rules[0].delay: bad duration "soon"`},
		{"validation", "- code: 451\n- {stage: data, code: 999}\n", "rules:2:23: rules[1].code: 999 is not an SMTP reply code"},
		{"not a list", "stage: rcpt\n", `rules:1:6: rules: want a list, each item on a line of its own starting with "- " (each a mapping of the keys stage, code, delay) or in brackets [...], got a mapping (key: value)`},
		{"not a mapping", "- 5\n", "rules:1:3: rules[0]: want a mapping of the keys stage, code, delay, as in - {stage: ...}, got 5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var rs ruleList
			err := DecodeRoot("rules", "rules", []byte(tc.in), &rs)
			if err == nil {
				t.Fatalf("DecodeRoot accepted %q", tc.in)
			}
			if got := err.Error(); !strings.HasPrefix(got, tc.want) {
				t.Errorf("error\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestLocateRootOutsideRoot(t *testing.T) {
	t.Parallel()
	err := LocateRoot("rules", "rules", []byte("- code: 1\n"), Errorf("rulesx[0].code", "bad"))
	var ce *Error
	if !errors.As(err, &ce) || ce.Line != 0 || ce.Key != "rulesx[0].code" {
		t.Fatalf("LocateRoot = %#v, want no line for a key outside the root", err)
	}
}

func TestListenAndDialAddr(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		addr         string
		listen, dial string // substring of the error; "" for none
	}{
		{"127.0.0.1:2525", "", ""},
		{"127.0.0.1:0", "", "port 0 is out of range (1-65535)"},
		{":2525", "", "has no host"},
		{"[::1]:25", "", ""},
		{"localhost:65535", "", ""},
		{"127.0.0.1:65536", "port 65536 is out of range (0-65535)", "port 65536 is out of range (1-65535)"},
		{"127.0.0.1:99999", "port 99999 is out of range", "port 99999 is out of range"},
		{"127.0.0.1:8025x", `port "8025x" is not a number`, `port "8025x" is not a number`},
		{"127.0.0.1:smtp", `port "smtp" is not a number`, `port "smtp" is not a number`},
		{"127.0.0.1:-1", `port "-1" is not a number`, `port "-1" is not a number`},
		{"127.0.0.1:", "has no port", "has no port"},
		{"127.0.0.1", "is not host:port", "is not host:port"},
		{"", "is not host:port", "is not host:port"},
		{"::1:25", "is not host:port", "is not host:port"},
		{"my host:25", "is not a host name", "is not a host name"},
		// Digits and dots are an IPv4 address, or a mistake, never a name.
		{"300.1.1.1:80", `"300.1.1.1" is not a valid IPv4 address`, `"300.1.1.1" is not a valid IPv4 address`},
		{"999.0.0.1:2525", "is not a valid IPv4 address", "is not a valid IPv4 address"},
		{"127.0.0:2525", "is not a valid IPv4 address", "is not a valid IPv4 address"},
		{"127.000.0.1:2525", "is not a valid IPv4 address", "is not a valid IPv4 address"},
		{"0.0.0.0:2525", "", ""},
		{"10.0.0.255:2525", "", ""},
		{"mx1.example.test:25", "", ""},
	} {
		for _, c := range []struct {
			name  string
			check func(string) error
			want  string
		}{{"ListenAddr", ListenAddr, tc.listen}, {"DialAddr", DialAddr, tc.dial}} {
			err := c.check(tc.addr)
			switch {
			case c.want == "" && err != nil:
				t.Errorf("%s(%q) = %v, want nil", c.name, tc.addr, err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Errorf("%s(%q) = %v, want an error containing %q", c.name, tc.addr, err, c.want)
			}
		}
	}
}

// TestDecodeNoDocument: a file with no YAML document in it (only comments,
// only "---" or "...") sets nothing, as an empty file does: the defaults
// stay and are validated, instead of a bare "EOF".
func TestDecodeNoDocument(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "\n\n", "# empty\n", "---\n", "---\n# nothing yet\n...\n", "# a\n---\n# b\n"} {
		d := doc{Sink: section{Listen: []string{"127.0.0.1:2525"}}}
		if err := Decode("cfg.yaml", []byte(in), &d); err != nil {
			t.Errorf("Decode(%q): %v, want the defaults", in, err)
			continue
		}
		if len(d.Sink.Listen) != 1 {
			t.Errorf("Decode(%q) changed the defaults: %+v", in, d)
		}
		bad := doc{Sink: section{Rules: []rule{{Code: 999}}}}
		if err := Decode("cfg.yaml", []byte(in), &bad); err == nil || !strings.Contains(err.Error(), "999") {
			t.Errorf("Decode(%q) with bad defaults: %v, want them validated", in, err)
		}
	}
}
