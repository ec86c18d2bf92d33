package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestNumericFlagsRefuseMeaninglessValues: a negative (or zero, where
// zero means nothing) numeric flag is exit 2 naming the flag and the
// value, before anything runs, instead of being taken or read as a default.
func TestNumericFlagsRefuseMeaninglessValues(t *testing.T) {
	t.Parallel()
	db, _ := queueStore(t, "queued")
	cfg := filepath.Join(t.TempDir(), "ports.yaml")
	os.WriteFile(cfg, []byte("sink: {listeners: [{name: mx, listen: '127.0.0.1:0', hostname: mx.test}]}\nrelay: {listen: '127.0.0.1:0', paths: [{name: up, host: '127.0.0.1:2'}]}\nweb: {listen: '127.0.0.1:0'}\n"), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"queue", "list", "--limit", "-1", "--db", db}, "--limit -1: want 1 or more"},
		{[]string{"queue", "list", "--limit", "0", "--db", db}, "--limit 0: want 1 or more"},
		{[]string{"serve", "--config", cfg, "--shutdown-grace", "-1s", "--db", db}, "--shutdown-grace -1s: want 0 or more"},
		{[]string{"sink", "--config", cfg, "--shutdown-grace", "-5s", "--db", db}, "--shutdown-grace -5s"},
		{[]string{"relay", "--config", cfg, "--shutdown-grace", "-1m", "--db", db}, "--shutdown-grace -1m:"},
		{[]string{"serve", "--config", cfg, "--demo", "--demo-interval", "0s", "--db", db}, "--demo-interval 0s: want a positive time"},
		{[]string{"send", "--to", "a@b.test", "--timeout", "-1s"}, "--timeout -1s: want a positive time"},
	} {
		t.Run(strings.Join(tc.args[:2], " "), func(t *testing.T) {
			t.Parallel()
			// A guard only: a command that ran would not return.
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			code, _, errOut := runIn(t, ctx, tc.args...)
			if code != 2 || !strings.Contains(errOut, tc.want) {
				t.Errorf("%v: exit %d (want 2), stderr %q (want %q)", tc.args, code, errOut, tc.want)
			}
		})
	}
}

// TestFlagValueErrorsInWords: a value a flag does not take is said in one
// line as the flag, the value and what it wants (exit 2, without the
// usage after it, which buried the line), instead of the flag package's
// `invalid value "abc" for flag -sessions: parse error`.
func TestFlagValueErrorsInWords(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"load", "--sessions", "abc"}, `relaylab load: --sessions "abc": want a whole number, such as 10` + "\n"},
		{[]string{"load", "--sessions", "99999999999999999999"}, `relaylab load: --sessions "99999999999999999999": out of range; want a whole number, such as 10`},
		{[]string{"load", "--timeout", "5x"}, `relaylab load: --timeout "5x": want a duration such as 30s, 5m or 1h30m`},
		{[]string{"load", "--starttls=maybe"}, `relaylab load: --starttls "maybe": want true or false (or --starttls alone for true)`},
		{[]string{"send", "--to"}, `relaylab send: --to needs a value after it`},
	} {
		code, _, errOut := runIn(t, context.Background(), tc.args...)
		if code != 2 || !strings.HasPrefix(errOut, tc.want) || strings.Contains(errOut, "parse error") || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%q: exit %d (want 2), stderr %q, want it to start with %q", tc.args, code, errOut, tc.want)
		}
	}
}
