package main

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/web"
)

// TestSinkAdapterAttemptNumbers: the API's sink attempts, and a session's
// attempts, carry the attempt's number for its (sender, recipient) pair,
// counted across sessions: what attempt: rules and defer2 match, which
// the API left out.
func TestSinkAdapterAttemptNumbers(t *testing.T) {
	t.Parallel()
	a, addr := runningSinkAdapter(t)
	for i := 1; i <= 3; i++ {
		err := sendPlain(addr, "a@shop.test", "defer2+n@example.test", "Subject: x\r\n\r\nx\r\n")
		if (i < 3) != (err != nil && strings.Contains(err.Error(), "451")) {
			t.Fatalf("try %d: %v, want 451 twice, then accepted", i, err)
		}
	}
	ctx := context.Background()
	var atts []web.SinkAttempt
	for deadline := time.Now().Add(20 * time.Second); len(atts) < 3; time.Sleep(10 * time.Millisecond) { // recorded when the sessions end
		var err error
		if atts, err = a.Attempts(ctx); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d attempts recorded, want 3", len(atts))
		}
	}
	for i, at := range atts {
		if at.Attempt != i+1 {
			t.Errorf("attempt %d (%d %s) numbered %d", i+1, at.Code, at.Text, at.Attempt)
		}
	}
	one, err := a.Session(ctx, strconv.FormatInt(atts[2].Session, 10))
	if err != nil {
		t.Fatal(err)
	}
	if len(one.Attempts) != 1 || one.Attempts[0].Attempt != 3 {
		t.Errorf("the third session's attempts %+v, want one numbered 3", one.Attempts)
	}
}
