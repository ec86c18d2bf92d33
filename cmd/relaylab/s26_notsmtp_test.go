package main

import (
	"context"
	"net"
	"strings"
	"testing"
)

// TestNoGreetingAsksWhetherItIsSMTP: a server that closes the connection
// before any greeting, as a web server does (relaylab's own UI on 8025,
// given by mistake), is answered by send and load with the question
// whether the port speaks SMTP at all, not only "it may limit
// connections".
func TestNoGreetingAsksWhetherItIsSMTP(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	ctx := context.Background()
	_, _, errOut := runIn(t, ctx, "send", "--server", l.Addr().String(), "--to", "a@example.test")
	if !strings.Contains(errOut, "is this an SMTP port? A web server (relaylab's UI on 8025)") {
		t.Errorf("send: stderr %q, want the question whether it is an SMTP port", errOut)
	}
	_, out, errOut := runIn(t, ctx, "load", "--target", l.Addr().String(), "--messages", "1", "--quiet")
	if !strings.Contains(out+errOut, "is it an SMTP port at all?") {
		t.Errorf("load: output %q %q, want the question whether it is an SMTP port", out, errOut)
	}
}
