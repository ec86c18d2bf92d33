package sink

import (
	"bytes"
	"testing"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/smtpdata"
)

// FuzzObserve feeds arbitrary client bytes, in arbitrary pieces, to the
// transcript observer: it must not panic, must keep its bounds, and must
// never show message content as commands.
func FuzzObserve(f *testing.F) {
	for _, s := range []string{
		"EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n",
		"AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n",
		"BDAT 5 LAST\r\nhello",
		"\x00\xff\n\n\r\r",
		"NOOP" + string(bytes.Repeat([]byte("x"), 5000)) + "\r\n",
	} {
		f.Add([]byte(s), []byte("Subject: x\r\n\r\nbody\n.\nMAIL FROM:<evil@x>\r\n.\r\n"), uint8(7))
	}
	f.Fuzz(func(t *testing.T, cmds, data []byte, cut uint8) {
		s := &Sink{clock: clock.Real{}}
		c := &conn{sink: s, clock: s.clock, l: &listener{}}
		feed := func(b []byte) {
			step := int(cut)%64 + 1
			for len(b) > 0 {
				n := min(step, len(b))
				c.observe(b[:n])
				b = b[n:]
			}
		}
		feed(cmds)
		c.inData, c.dataEnd = true, smtpdata.Scanner{}
		feed(data)
		if len(c.partial) > 4096 {
			t.Fatalf("partial line of %d bytes", len(c.partial))
		}
		if c.tr.Len() > maxTranscript+100 {
			t.Fatalf("transcript of %d bytes", c.tr.Len())
		}
		cred := []byte("AGFsaWNl")
		if bytes.HasPrefix(cmds, []byte("AUTH PLAIN AGFsaWNl")) && bytes.Count(cmds, cred) == 1 && bytes.Count(data, cred) == 0 && bytes.Contains(c.tr.Bytes(), cred) {
			t.Fatalf("credentials in the transcript:\n%s", c.tr.Bytes())
		}
		if c.inData && bytes.Contains(c.tr.Bytes(), []byte("evil")) && !bytes.Contains(cmds, []byte("evil")) {
			t.Fatalf("message content shown as commands:\n%s", c.tr.Bytes())
		}
	})
}
