package relay

import "testing"

// TestReadReplyEnhancedCode: only an RFC 3463 code (a class of one digit,
// 2, 4 or 5, and a subject and detail of 1-3 digits) is taken from the
// text as the enhanced code; anything else stays in the text, instead of
// "55.1.1" or "5.+1.1" becoming a reply's enhanced code.
func TestReadReplyEnhancedCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in       string
		enhanced string
		text     string
	}{
		{"550 5.1.1 no such user\r\n", "5.1.1", "no such user"},
		{"452 4.2.100 over quota\r\n", "4.2.100", "over quota"},
		{"550 55.1.1 what\r\n", "", "55.1.1 what"},
		{"550 5.+1.1 what\r\n", "", "5.+1.1 what"},
		{"550 5.-1.1 what\r\n", "", "5.-1.1 what"},
		{"550 5.1.1000 what\r\n", "", "5.1.1000 what"},
		{"550 5.1.+1 what\r\n", "", "5.1.+1 what"},
		{"550 5..1 what\r\n", "", "5..1 what"},
	}
	for _, tt := range tests {
		got, err := replyReader(tt.in).readReply("rcpt")
		if err != nil || got.Enhanced != tt.enhanced || got.Text != tt.text {
			t.Errorf("readReply(%q) = %+v, %v; want enhanced %q, text %q", tt.in, got, err, tt.enhanced, tt.text)
		}
	}
}
