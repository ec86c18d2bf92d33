package relay

import (
	"strings"
	"testing"

	"github.com/emersion/go-smtp"
)

// TestReadMessagePresizeBounded: a SIZE at MAIL sets aside at most
// maxPresized before the data, however large the claim, and the buffer
// still grows to hold a message that is bigger than that.
func TestReadMessagePresizeBounded(t *testing.T) {
	t.Parallel()
	s := &session{r: &Relay{cfg: Config{MaxMessageBytes: 25 << 20}}, opts: &smtp.MailOptions{Size: 25 << 20}}
	all, data, err := s.readMessage(strings.NewReader(""), 100)
	if err != nil || len(data) != 0 || cap(all) > 100+maxPresized {
		t.Errorf("an empty message after SIZE=25 MiB: cap %d, want at most %d (%v)", cap(all), 100+maxPresized, err)
	}
	s.opts.Size = 1000
	_, data, err = s.readMessage(strings.NewReader(strings.Repeat("x", 3000)+"\r\n"), 10)
	if err != nil || len(data) != 3002 {
		t.Errorf("a message over its SIZE: %d octets read (%v), want 3002", len(data), err)
	}
}
