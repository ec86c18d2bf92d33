package sink

import (
	"net"
	"strings"
	"testing"
)

// TestCommandsAfterTheMessageInOneWrite: what follows a message's end in
// the same write is read as commands, as it is after a command line: an
// unterminated command at the close is not run, and a STARTTLS gets the
// sink's 220, instead of go-smtp running the unterminated MAIL (250, no
// command in the transcript) and answering STARTTLS "502 TLS not
// supported" although it is offered.
func TestCommandsAfterTheMessageInOneWrite(t *testing.T) {
	t.Parallel()
	env := "EHLO x\r\nMAIL FROM:<a@client.test>\r\nRCPT TO:<b@sink.test>\r\n"
	for _, tc := range []struct{ name, body, tail string }{
		{"DATA", "DATA\r\nSubject: x\r\n\r\nbody\r\n.\r\n", "MAIL FROM:<unterminated@client.test>"},
		{"BDAT", "BDAT 3 LAST\r\nabc", "MAIL FROM:<unterminated@client.test>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, st, addr := itSink(t, nil)
			c := hsDial(t, addr)
			hsExpect(t, c, "", 220)
			c.write(env + tc.body + tc.tail)
			c.nc.(*net.TCPConn).CloseWrite()
			var replies []string
			for {
				_, line, err := c.reply()
				if err != nil {
					break
				}
				replies = append(replies, line)
			}
			if strings.Contains(strings.Join(replies, "\n"), "unterminated@client.test") || strings.Count(strings.Join(replies, "\n"), "Sender <") > 1 {
				t.Errorf("the unterminated MAIL was run: %q", replies)
			}
			tr, _ := sessionOf(t, st, 1, 1)
			if !strings.Contains(tr, `unterminated line "MAIL FROM:<unterminated@client.test>"`) {
				t.Errorf("the transcript does not note the unterminated line:\n%s", tr)
			}
		})
	}
	t.Run("STARTTLS after the dot", func(t *testing.T) {
		t.Parallel()
		_, _, addr := itSink(t, func(c *Config) { c.Listeners[0].TLS = "starttls" })
		c := hsDial(t, addr)
		hsExpect(t, c, "", 220)
		c.write(env + "DATA\r\nSubject: x\r\n\r\nbody\r\n.\r\nSTARTTLS\r\n")
		var replies []string
		for range 6 {
			_, line, err := c.reply()
			if err != nil {
				break
			}
			replies = append(replies, line)
		}
		if last := replies[len(replies)-1]; !strings.HasPrefix(last, "220") {
			t.Errorf("replies %q, want STARTTLS's 220 last", replies)
		}
	})
}
