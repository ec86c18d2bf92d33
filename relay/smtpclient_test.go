package relay

import (
	"bufio"
	"bytes"
	"net/textproto"
	"testing"

	"github.com/relaylab/relaylab/internal/dsn"
)

func replyReader(s string) *client {
	return &client{r: textproto.NewReader(bufio.NewReader(bytes.NewReader([]byte(s))))}
}

func TestReadReply(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want Reply
		ok   bool
	}{
		{"250 OK\r\n", Reply{Stage: "s", Code: 250, Text: "OK"}, true},
		{"550 5.1.1 no such user\r\n", Reply{Stage: "s", Code: 550, Enhanced: "5.1.1", Text: "no such user"}, true},
		{"451-4.7.1 greylisted\r\n451 4.7.1 come back later\r\n", Reply{Stage: "s", Code: 451, Enhanced: "4.7.1", Text: "greylisted\ncome back later"}, true},
		{"250-mx.test\r\n250-PIPELINING\r\n250 SIZE 100\r\n", Reply{Stage: "s", Code: 250, Text: "mx.test\nPIPELINING\nSIZE 100"}, true},
		{"421 4.7.0\r\n", Reply{Stage: "s", Code: 421, Enhanced: "4.7.0"}, true},
		{"550 4.1.1 mismatched class\r\n", Reply{Stage: "s", Code: 550, Text: "4.1.1 mismatched class"}, true},
		{"250\r\n", Reply{Stage: "s", Code: 250}, true},
		{"2x0 what\r\n", Reply{}, false},
		{"250-a\r\n251 b\r\n", Reply{}, false},
		{"ok\r\n", Reply{}, false},
		{"", Reply{}, false},
		{"999 nope\r\n", Reply{}, false},
	}
	for _, tt := range tests {
		got, err := replyReader(tt.in).readReply("s")
		if (err == nil) != tt.ok || (tt.ok && got != tt.want) {
			t.Errorf("readReply(%q) = %+v, %v; want %+v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func FuzzReadReply(f *testing.F) {
	for _, s := range []string{"250 OK\r\n", "451-4.7.1 a\r\n451 4.7.1 b\r\n", "550 5.1.1 x\r\n", "2", "250-\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		r, err := replyReader(in).readReply("s")
		if err != nil {
			return
		}
		if r.Code < 200 || r.Code > 599 {
			t.Fatalf("code %d accepted from %q", r.Code, in)
		}
		if r.Enhanced != "" && (!isEnhanced(r.Enhanced) || int(r.Enhanced[0]-'0') != r.Code/100) {
			t.Fatalf("enhanced code %q for %d from %q", r.Enhanced, r.Code, in)
		}
		_ = r.String()
	})
}

func TestXtext(t *testing.T) {
	t.Parallel()
	if got := dsn.Xtext("a+b=c d\x01"); got != "a+2Bb+3Dc+20d+01" {
		t.Errorf("dsn.Xtext = %q", got)
	}
}
