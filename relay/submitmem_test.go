package relay

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// TestCRLFReader: bare LFs become CRLF whatever the reads' sizes, and
// CRLF, lone CRs and a CR that ends one read before its LF stay as they
// are.
func TestCRLFReader(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		"", "a", "\n", "\r\n", "a\nb\n", "a\r\nb\nc\r\n", "\n\n\n", "\r\r\n\n", "x\ry\n", strings.Repeat("ab\n\r\n", 300),
	} {
		for _, size := range []int{1, 2, 3, 7, 4096} {
			for name, r := range map[string]io.Reader{
				"whole":    strings.NewReader(in),
				"one byte": iotest.OneByteReader(strings.NewReader(in)),
				"half":     iotest.HalfReader(strings.NewReader(in)),
			} {
				cr := &crlfReader{r: r}
				var out bytes.Buffer
				buf := make([]byte, size)
				for {
					n, err := cr.Read(buf)
					out.Write(buf[:n])
					if err == io.EOF {
						break
					}
					if err != nil {
						t.Fatal(err)
					}
				}
				if got := out.String(); got != oldNormalize(in) {
					t.Errorf("%q read %s with %d-octet buffers: %q; want %q", in, name, size, got, oldNormalize(in))
				}
			}
		}
	}
}

// oldNormalize is how the relay mended line ends before it did so while
// reading: an LF without a CR before it gets one.
func oldNormalize(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' && (i == 0 || s[i-1] != '\r') {
			b.WriteByte('\r')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// TestWithTrace: the trace and a Message-ID go before the message in the
// room left for them, and without the Message-ID when the message has
// one.
func TestWithTrace(t *testing.T) {
	t.Parallel()
	trace, id := []byte("Received: x\r\n"), []byte("Message-ID: <1@h>\r\n")
	for _, tt := range []struct{ msg, want string }{
		{"Subject: a\r\n\r\nb\r\n", "Received: x\r\nMessage-ID: <1@h>\r\nSubject: a\r\n\r\nb\r\n"},
		{"Message-Id: <own@x>\r\n\r\nb\r\n", "Received: x\r\nMessage-Id: <own@x>\r\n\r\nb\r\n"},
	} {
		all := append(make([]byte, len(trace)+len(id)), tt.msg...)
		if got := string(withTrace(all, trace, id)); got != tt.want {
			t.Errorf("%q: %q; want %q", tt.msg, got, tt.want)
		}
	}
}
