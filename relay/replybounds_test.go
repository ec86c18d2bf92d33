package relay

import (
	"strings"
	"testing"
)

// TestReplyBounds: a server cannot make the relay hold an endless reply
// line, or an endless run of continuation lines, until the command's
// timeout; replies within the bounds read as before.
func TestReplyBounds(t *testing.T) {
	t.Parallel()
	long := "250 " + strings.Repeat("x", maxReplyLine) + "\r\n"
	many := strings.Repeat("250-x\r\n", maxReplyLines+1) + "250 end\r\n"
	for _, tt := range []struct {
		name, in, err string
	}{
		{"line over the bound", long, "a reply line longer than 4096 bytes"},
		{"endless line", "250 " + strings.Repeat("y", 1<<20), "a reply line longer than 4096 bytes"},
		{"too many lines", many, "the reply goes on past 200 lines"},
	} {
		if _, err := replyReader(tt.in).readReply("ehlo"); err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%s: err %v, want %q", tt.name, err, tt.err)
		}
	}
	for _, tt := range []struct {
		name, in, text string
	}{
		{"longest line", "250 " + strings.Repeat("z", maxReplyLine-4) + "\r\n", strings.Repeat("z", maxReplyLine-4)},
		{"most lines", strings.Repeat("250-a\r\n", maxReplyLines-1) + "250 b\r\n", strings.Repeat("a\n", maxReplyLines-1) + "b"},
		{"bare LF", "250 ok\n", "ok"},
		{"cut by the end of the connection", "250 ok", "ok"},
	} {
		r, err := replyReader(tt.in).readReply("ehlo")
		if err != nil || r.Code != 250 || r.Text != tt.text {
			t.Errorf("%s: %+v, %v; want 250 with the text", tt.name, r.Code, err)
		}
	}
}
