package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/smtpload/smtptest"
)

// TestFC2LoadJSONExplains: load --json carries what the text summary
// explains under its table: each refusal's reply, category, reason and
// what to do, each connection error's, the "(pipelined)" legend and the
// failure that made the run give up, as the text says them; it had the
// counts of replies alone.
func TestFC2LoadJSONExplains(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	target := byAddress(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close() // nothing listens there now
	// A server that hangs up at the final dot: the messages' fate is
	// unknown.
	hangup := smtptest.Listen(t, func(c net.Conn) {
		smtptest.Script(c, "220 hangup.test", "250 hangup.test", func(cmd string) (string, bool) {
			switch cmd {
			case "DATA":
				return "354 go on", false
			case ".":
				return "", true
			}
			return "250 ok", false
		}, nil)
	})
	for _, tc := range []struct {
		name string
		args []string
	}{
		// Every RCPT refused: the DATA pipelined after them is answered
		// too, as "(pipelined)".
		{"refusals", []string{"--target", target, "--messages", "3", "--sessions", "1", "--rcpts", "2", "--to", "reject{r}.{n}@load.test"}},
		{"connection errors", []string{"--target", dead, "--messages", "30", "--sessions", "2"}},
		{"fate unknown", []string{"--target", hangup, "--messages", "2", "--sessions", "1", "--no-pipelining"}},
	} {
		_, text, _ := runIn(t, ctx, append([]string{"load", "--quiet"}, tc.args...)...)
		_, out, errOut := runIn(t, ctx, append([]string{"load", "--quiet", "--json"}, tc.args...)...)
		var j loadJSON
		if err := json.Unmarshal([]byte(out), &j); err != nil {
			t.Fatalf("%s: stdout is no JSON object: %v\n%s\nstderr:\n%s", tc.name, err, out, errOut)
		}
		var raw map[string]any
		if err := json.Unmarshal([]byte(out), &raw); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"replies", "connection_errors", "refusals_explained", "connection_errors_explained"} {
			if _, ok := raw[k]; !ok {
				t.Errorf("%s: JSON has no %q:\n%s", tc.name, k, out)
			}
		}
		// What the JSON says is what the text says.
		var want []string
		for _, x := range j.RefusalsExplained {
			if x.Category == "" || x.Reason == "" || x.Advice == "" || x.Count != j.Replies[x.Reply] {
				t.Errorf("%s: refusal %+v: want its category, reason, what to do and count (replies: %v)", tc.name, x, j.Replies)
			}
			want = append(want, fmt.Sprintf("  %s (%d times): %s\n      category %s: %s\n      what to do: %s\n", x.Reply, x.Count, x.Example, x.Category, x.Reason, x.Advice))
		}
		for _, x := range j.ConnErrorsExplained {
			if x.Reason == "" || x.Advice == "" || x.Count != j.ConnErrors[x.Kind] {
				t.Errorf("%s: connection error %+v: want its reason, what to do and count (connection_errors: %v)", tc.name, x, j.ConnErrors)
			}
			want = append(want, fmt.Sprintf("  %s: %s (category %s): %s\n      what to do: %s\n", x.Kind, x.Meaning, x.Category, x.Reason, x.Advice))
		}
		for note, meaning := range j.RepliesLegend {
			want = append(want, "  "+note+": "+meaning+"\n")
		}
		if x := j.UnknownExplained; x != nil {
			for kind, first := range x.First {
				want = append(want, fmt.Sprintf("  %s: %d (first: %s)\n", kind, j.UnknownBy[kind], first))
			}
			want = append(want, "      what to do: "+x.Advice+"\n")
			if !strings.Contains(x.Meaning, "may have delivered") {
				t.Errorf("%s: fate_unknown_explained's meaning %q", tc.name, x.Meaning)
			}
		}
		if x := j.GaveUpFailure; x != nil {
			want = append(want, fmt.Sprintf("  last failure: %s\n    %s (category %s): %s\n    what to do: %s\n", x.Example, x.Meaning, x.Category, x.Reason, x.Advice))
		}
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("%s: the text summary lacks what --json says:\n%q\ntext:\n%s\njson:\n%s", tc.name, w, text, out)
			}
		}
		switch tc.name {
		case "refusals":
			if len(j.RefusalsExplained) == 0 || j.RepliesLegend["(pipelined)"] == "" {
				t.Errorf("refusals: want the refusals explained and the (pipelined) legend\n%s\ntext:\n%s", out, text)
			}
		case "fate unknown":
			if x := j.UnknownExplained; x == nil || len(x.First) == 0 || j.Unknown == 0 {
				t.Errorf("fate unknown: want the messages of unknown fate explained\n%s\ntext:\n%s", out, text)
			}
		case "connection errors":
			if len(j.ConnErrorsExplained) == 0 || j.GaveUpFailure == nil {
				t.Errorf("connection errors: want them explained, and the failure that ended the run\n%s\ntext:\n%s", out, text)
			}
		}
	}
}
