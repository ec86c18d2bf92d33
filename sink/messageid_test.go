package sink

import "testing"

// TestMessageIDFolded: a Message-ID written on the line after its name
// (folded, as some senders write a long one) is read; it was "", so the
// message had no id in the record and its retries could not be told.
func TestMessageIDFolded(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		"Message-ID: <a@x.test>\r\n\r\n":            "a@x.test",
		"Message-ID:\r\n <long@x.test>\r\n\r\n":     "long@x.test",
		"message-id :  <b@x.test> \r\nX: y\r\n\r\n": "b@x.test",
		"X: y\r\n\r\nMessage-ID: <body@x.test>\r\n": "",
	} {
		if got := messageID([]byte(raw)); got != want {
			t.Errorf("messageID(%q) = %q, want %q", raw, got, want)
		}
	}
}
