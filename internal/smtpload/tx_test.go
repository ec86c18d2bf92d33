package smtpload

import (
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/smtpload/smtptest"
)

// conversation returns a client whose server greets, then answers each
// command with answer(command) and each message content with "250 ok".
func conversation(t *testing.T, answer func(cmd string) string) *Client {
	t.Helper()
	a, b := net.Pipe()
	go func() {
		defer b.Close()
		smtptest.Converse(b, "220 hi", answer)
	}()
	t.Cleanup(func() { a.Close() })
	c := NewClient(a, Options{})
	if _, err := c.Greeting(); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSendDataNot354: a positive reply to DATA other than 354 is a
// protocol violation, not a refusal; 4xx and 5xx stay refusals.
func TestSendDataNot354(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		data, wantErr, wantStage string
	}{
		{"250 ok", `bad reply at data: the server answered DATA with 250 instead of 354 (a protocol violation: it never asked for the message): "250 ok"`, ""},
		{"220 sure", "answered DATA with 220 instead of 354", ""},
		{"451 later", "", StageData},
		{"554 no", "", StageData},
		{"354 go on", "", ""},
	} {
		for _, pipeline := range []bool{false, true} {
			c := conversation(t, func(cmd string) string {
				switch {
				case cmd == "DATA":
					return tt.data
				case strings.HasPrefix(cmd, "EHLO"):
					return "250-mx\r\n250 PIPELINING"
				}
				return "250 ok"
			})
			if _, err := c.Hello(); err != nil {
				t.Fatal(err)
			}
			res, err := c.Send(&Transaction{From: "a@x.test", To: []string{"b@y.test"}, Parts: [][]byte{[]byte("hi\r\n")}}, pipeline)
			var pe *ProtocolError
			switch {
			case tt.wantErr != "":
				if !errors.As(err, &pe) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("DATA %q (pipeline %v): err %v, want a ProtocolError %q", tt.data, pipeline, err, tt.wantErr)
				}
			case err != nil || res.Stage != tt.wantStage:
				t.Errorf("DATA %q (pipeline %v): stage %q, err %v; want stage %q, no error", tt.data, pipeline, res.Stage, err, tt.wantStage)
			}
		}
	}
}
