package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// fp25ProbeError is the error object of probe --json (probe/SCHEMA.md,
// "Errors").
type fp25ProbeError struct {
	Schema string `json:"schema"`
	Error  struct {
		Message  string  `json:"message"`
		Flag     string  `json:"flag"`
		Argument string  `json:"argument"`
		Value    *string `json:"value"`
	} `json:"error"`
}

// TestFP25ProbeJSONErrors: with --json, bad input is a JSON error object
// on stdout that names the flag or argument at fault, with the exit code
// and the text on stderr of the same run without --json. Before, stdout
// was empty and a CI job that parsed it got nothing.
func TestFP25ProbeJSONErrors(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "missing.zone")
	for _, tt := range []struct {
		name      string
		args      []string
		flag, arg string
		value     string // "" for none
		message   string // a part of the message
	}{
		{"invalid domain", []string{"bad..domain"}, "", "DOMAIN", "bad..domain", "is not a domain name"},
		{"an IP as the domain", []string{"192.0.2.1"}, "", "DOMAIN", "192.0.2.1", "give it with --ip"},
		{"two domains", []string{"a.test", "b.test"}, "", "DOMAIN", "", "one domain at a time"},
		{"no arguments", nil, "", "DOMAIN", "", "name a domain, or at least one --ip"},
		// A check left out by a name probe has no flag for.
		{"unknown check name", []string{"clean.auth.test", "--no-dkim"}, "--no-dkim", "", "", "no flag --no-dkim"},
		{"unknown flag before --json", []string{"--only", "spf", "clean.auth.test"}, "--only", "", "", "no flag --only"},
		{"bad --ip", []string{"clean.auth.test", "--ip", "192.0.2"}, "--ip", "", "192.0.2", `--ip "192.0.2" is not an IP address`},
		{"bad --resolver", []string{"clean.auth.test", "--resolver", "dns.example:53"}, "--resolver", "", "dns.example:53", "--resolver"},
		{"missing --zone file", []string{"clean.auth.test", "--zone", missing}, "--zone", "", "", missing},
		{"bad --timeout", []string{"clean.auth.test", "--timeout", "soon"}, "--timeout", "", "", "want a duration"},
		{"bad --selector", []string{"clean.auth.test", "--selector", "a..b"}, "--selector", "", "a..b", "not a selector name"},
		{"bad --helo", []string{"clean.auth.test", "--ip", "192.0.2.50", "--helo", "a b"}, "--helo", "", "a b", "--helo"},
		{"--mx-port without --zone", []string{"clean.auth.test", "--mx-port", "2525"}, "--mx-port", "", "", "--mx-port needs --zone"},
		{"--zone with --resolver", []string{"clean.auth.test", "--zone", "../../testdata/dns", "--resolver", "127.0.0.1:53"}, "--zone", "", "", "give one or the other"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// Cancelled already: bad input is refused before any query,
			// and a probe that went ahead would end at once.
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			textCode, textOut, textErr := runIn(t, ctx, append([]string{"probe"}, tt.args...)...)
			code, out, errOut := runIn(t, ctx, append([]string{"probe", "--json"}, tt.args...)...)
			if textCode != 2 || code != textCode {
				t.Errorf("exit %d with --json, %d without: want 2 for both", code, textCode)
			}
			if textOut != "" {
				t.Errorf("without --json, stdout %q: want nothing", textOut)
			}
			if errOut != textErr {
				t.Errorf("stderr with --json:\n%s\nwithout:\n%s\nwant the same", errOut, textErr)
			}
			got := fp25DecodeError(t, out)
			if got.Schema != "relaylab.probe/v1" || !strings.Contains(got.Error.Message, tt.message) {
				t.Errorf("schema %q, message %q: want relaylab.probe/v1 and a message with %q", got.Schema, got.Error.Message, tt.message)
			}
			if strings.Contains(got.Error.Message, "relaylab probe:") || strings.Contains(got.Error.Message, "\n") {
				t.Errorf("message %q: want one line, without the command's prefix", got.Error.Message)
			}
			if got.Error.Flag != tt.flag || got.Error.Argument != tt.arg {
				t.Errorf("flag %q, argument %q: want %q, %q", got.Error.Flag, got.Error.Argument, tt.flag, tt.arg)
			}
			if value := got.Error.Value; (value == nil) != (tt.value == "") || value != nil && *value != tt.value {
				t.Errorf("value %v: want %q", value, tt.value)
			}
		})
	}
}

// TestFP25ProbeJSONAskedOrNot: --json anywhere on the line counts, after
// the bad flag that stops parsing too; the last one given counts; a
// value of another flag that reads "--json" is that flag's; --help with
// --json is still the help.
func TestFP25ProbeJSONAskedOrNot(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		args []string
		json bool
	}{
		{[]string{"--no-such-flag", "clean.auth.test", "--json"}, true},
		{[]string{"clean.auth.test", "--json", "--ip", "x", "--", "more"}, true},
		{[]string{"clean.auth.test", "--json=false", "--ip", "x"}, false},
		{[]string{"clean.auth.test", "-json", "--json=0", "--ip", "x"}, false},
		{[]string{"clean.auth.test", "--json=false", "--json", "--ip", "x"}, true},
		{[]string{"clean.auth.test", "--zones", "--json"}, false},
		{[]string{"--ip", "x", "--", "--json"}, false},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			code, out, _ := runIn(t, ctx, append([]string{"probe"}, tt.args...)...)
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			if !tt.json {
				if out != "" {
					t.Errorf("stdout %q: want nothing without --json", out)
				}
				return
			}
			if got := fp25DecodeError(t, out); got.Error.Message == "" {
				t.Errorf("no message in %s", out)
			}
		})
	}
	code, out, _ := runIn(t, context.Background(), "probe", "--json", "--help")
	if code != 0 || !strings.HasPrefix(out, "usage: relaylab probe") || strings.Contains(out, `"error"`) {
		t.Errorf("--json --help: exit %d, stdout:\n%s\nwant 0 and the usage alone", code, out)
	}
}

// fp25DecodeError decodes out as exactly one JSON error object, with no
// field that probe/SCHEMA.md does not name.
func fp25DecodeError(t *testing.T, out string) fp25ProbeError {
	t.Helper()
	var got fp25ProbeError
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("stdout is not the JSON error object: %v\n%s", err, out)
	}
	if dec.More() {
		t.Errorf("stdout holds more than one JSON value:\n%s", out)
	}
	return got
}
