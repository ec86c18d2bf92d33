package mailtext

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestField(t *testing.T) {
	t.Parallel()
	msg := []byte("Received: x\r\nMessage-ID:\r\n <long.id@shop.test>\r\nSubject : =?utf-8?q?caf=C3=A9?=\r\n\tand more\nX-Empty:\r\n\r\nSubject: in the body\r\n")
	for _, tt := range []struct{ name, want string }{
		{"message-id", "<long.id@shop.test>"}, // folded onto the next line
		{"SUBJECT", "=?utf-8?q?caf=C3=A9?=\tand more"},
		{"x-empty", ""},
		{"date", ""},
	} {
		if got := Field(msg, tt.name); got != tt.want {
			t.Errorf("Field(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
	if !HasField(msg, "X-Empty") || HasField(msg, "date") || HasField(msg, "subject: in the body") {
		t.Errorf("HasField: X-Empty %v, date %v", HasField(msg, "X-Empty"), HasField(msg, "date"))
	}
	if got := Subject(msg, 200); got != "café and more" {
		t.Errorf("Subject = %q", got)
	}
	if got := Subject([]byte("Subject: a\x00b\r\n\r\n"), 200); got != "a\uFFFDb" {
		t.Errorf("Subject with a NUL = %q", got)
	}
	long := Subject([]byte("Subject: "+strings.Repeat("é", 300)+"\r\n\r\n"), 200)
	if n := utf8.RuneCountInString(long); n != 200 || !strings.HasSuffix(long, "…") {
		t.Errorf("a long subject: %d characters, ends %q", n, long[len(long)-4:])
	}
}
