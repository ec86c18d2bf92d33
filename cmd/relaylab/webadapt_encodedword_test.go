package main

import (
	"mime"
	"net/mail"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/web"
)

// TestBuildWebMessageEncodesWhatLooksEncoded: a subject or header value
// holding "=?" is written as encoded-words, so that a reader shows it as
// given; "=?utf-8?q?fake?=" went out as it was and read as "fake".
func TestBuildWebMessageEncodesWhatLooksEncoded(t *testing.T) {
	t.Parallel()
	const tricky = "=?utf-8?q?fake?="
	msg := mustBuild(t, web.EnqueueRequest{From: "a@x.test", To: []string{"b@y.test"}, Subject: tricky, Text: "hi",
		Headers: []web.Header{{Name: "X-Note", Value: "see " + tricky}}})
	m, err := mail.ReadMessage(strings.NewReader(string(msg)))
	if err != nil {
		t.Fatal(err)
	}
	dec := new(mime.WordDecoder)
	for name, want := range map[string]string{"Subject": tricky, "X-Note": "see " + tricky} {
		got, err := dec.DecodeHeader(m.Header.Get(name))
		if err != nil || got != want {
			t.Errorf("%s reads %q (%v), want %q as given (raw %q)", name, got, err, want, m.Header.Get(name))
		}
	}
}
