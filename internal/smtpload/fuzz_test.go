package smtpload

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
)

// FuzzReadReply feeds server output to the reply reader: it must never
// panic, and a reply it accepts must be well formed.
func FuzzReadReply(f *testing.F) {
	for _, s := range []string{
		"250 ok\r\n", "250-a\r\n250-PIPELINING\r\n250 SIZE 10\r\n", "550 5.1.1 nope\r\n",
		"421\r\n", "2500 x\r\n", "25", "250-a\r\n251 b\r\n", "550 5.1.1\r\n", "220 \xff\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		c := &Client{opts: Options{}, r: bufio.NewReaderSize(bytes.NewReader(in), 4096)}
		rep, err := c.ReadReply("fuzz")
		if err != nil {
			return
		}
		if rep.Code < 0 || rep.Code > 999 || len(rep.Lines) == 0 {
			t.Fatalf("accepted malformed reply %+v from %q", rep, in)
		}
		if rep.Enhanced != "" && !strings.HasPrefix(rep.Enhanced, string(rune('0'+rep.Code/100))+".") {
			t.Fatalf("enhanced code %q does not match class of %d", rep.Enhanced, rep.Code)
		}
	})
}
