package sink

import (
	"bytes"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/clock"
)

// chunkConn gives its bytes in pieces of the sizes in steps, in turn.
type chunkConn struct {
	net.Conn
	data  []byte
	steps []byte
	i     int
}

func (c *chunkConn) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := len(c.data)
	if len(c.steps) > 0 {
		n = min(n, int(c.steps[c.i%len(c.steps)])%97+1)
		c.i++
	}
	n = copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

// undoNoops puts back in got, what go-smtp got from in, the lines of in
// that conn.complete gave go-smtp as a NOOP (notACommand), so that the
// two can be compared.
func undoNoops(in, got []byte) []byte {
	var out []byte
	pos := 0
	for len(got) > 0 {
		line := got
		if i := bytes.IndexByte(got, '\n'); i >= 0 {
			line = got[:i+1]
		}
		got = got[len(line):]
		if string(line) == "NOOP\r\n" && !bytes.HasPrefix(in[pos:], line) {
			if i := bytes.IndexByte(in[pos:], '\n'); i >= 0 {
				orig := in[pos : pos+i+1]
				text := bytes.TrimRight(orig, "\r\n")
				verb, _, _ := bytes.Cut(text, []byte(" "))
				upper := strings.ToUpper(string(verb))
				if notACommand(text, upper, knownVerb(upper)) != nil {
					line = orig
				}
			}
		}
		out = append(out, line...)
		pos += len(line)
	}
	return out
}

// FuzzRead feeds arbitrary client bytes, in arbitrary pieces, through
// conn.Read into reads of arbitrary sizes: it must not panic or spin, and
// go-smtp must get the client's bytes in order, whole lines but for an
// unterminated last one (and the domain a bare <Postmaster> is given).
func FuzzRead(f *testing.F) {
	for _, s := range []string{
		"EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<Postmaster>\r\nDATA\r\nx\r\n.\r\n",
		"AUTH PLAIN\r\nAGFsaWNl\r\nQUIT\r\n",
		"BDAT 5 LAST\r\nhelloNOOP\r\nBDAT 3\r\nab",
		"NOOP" + string(bytes.Repeat([]byte("x"), 3000)) + "\r\nNOOP\r\n",
		"RCPT TO:<partial",
	} {
		f.Add([]byte(s), []byte{3, 50, 1}, []byte{7, 200})
	}
	f.Fuzz(func(t *testing.T, in, steps, sizes []byte) {
		s := &Sink{clock: clock.Real{}}
		c := &conn{sink: s, clock: s.clock, l: &listener{}, guard: lineGuard{limit: 2000}}
		c.Conn = &chunkConn{data: bytes.Clone(in), steps: steps}
		var out []byte
		for i := 0; i < 4*len(in)+10; i++ {
			size := 4096
			if len(sizes) > 0 {
				size = int(sizes[i%len(sizes)])%300 + 1
			}
			p := make([]byte, size)
			n, err := c.Read(p)
			out = append(out, p[:n]...)
			if err != nil {
				break
			}
		}
		got := undoNoops(in, bytes.ReplaceAll(out, []byte("@"+postmasterMark), nil))
		if !bytes.HasPrefix(in, got) {
			t.Fatalf("go-smtp got %q\nfrom %q", got, in)
		}
		if rest := in[len(got):]; bytes.IndexByte(rest, '\n') >= 0 && c.bdatLeft == 0 {
			t.Fatalf("whole lines held back: %q", rest)
		}
	})
}
