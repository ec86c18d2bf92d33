package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/smtp"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestServe runs serve in-process with one config file that moves the sink
// and leaves the relay's paths at their default, submits a message to the
// relay, and watches it arrive through the web API.
func TestServe(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sinkAddr, relayAddr, webAddr := freeAddr(t), freeAddr(t), freeAddr(t)
	cfg := filepath.Join(dir, "relaylab.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`store:
  path: %s
  sync: normal
sink:
  listeners:
    - {name: mx, listen: "%s", hostname: sink.test}
relay:
  listen: "%s"
web:
  listen: "%s"
`, filepath.Join(dir, "serve.db"), sinkAddr, relayAddr, webAddr)), 0o644)
	// No relay paths: the default one, to "sink", goes to wherever the
	// sink listens, not to its default port.

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, errb, done := startServe(t, ctx, cfg)
	deadline := time.Now().Add(60 * time.Second)
	for _, want := range []string{"web UI        http://" + webAddr + "/", "sink mx       smtp://" + sinkAddr, "relay         smtp://" + relayAddr} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("serve output lacks %q:\n%s", want, out.String())
		}
	}
	msg := "From: a@shop.test\r\nTo: reader@example.test\r\nSubject: serve test\r\n\r\nhello\r\n"
	if err := sendPlain(relayAddr, "a@shop.test", "reader@example.test", msg); err != nil {
		t.Fatalf("submit to the relay: %v", err)
	}
	// The delivery shows up in the web API's event log.
	var delivered bool
	for !delivered && time.Now().Before(deadline) {
		resp, err := http.Get("http://" + webAddr + "/api/v1/events?kind=relay.delivered")
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Events []struct {
				Recipient string `json:"recipient"`
			} `json:"events"`
		}
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		for _, e := range body.Events {
			delivered = delivered || e.Recipient == "reader@example.test"
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !delivered {
		t.Fatalf("no relay.delivered event for reader@example.test\n%s", errb.String())
	}
	// The sink's asynchronous bounce goes to serve's own relay, not to
	// the default 127.0.0.1:2587.
	if err := sendPlain(sinkAddr, "owner@shop.test", "bounce0s@example.test", "Subject: bounce me\r\n\r\nhi\r\n"); err != nil {
		t.Fatalf("send to the sink: %v", err)
	}
	bounce := firstBounce(t, webAddr, deadline)
	if bounce["relay"] != ownRelayName || bounce["sent"] != true {
		t.Errorf("the sink's bounce: relay %v, sent %v, error %v; want it sent to %s", bounce["relay"], bounce["sent"], bounce["error"], ownRelayName)
	}
	// relaylab expect --url judges what the sink saw through the web API
	// (an attempt is recorded with its message, or when its session ends).
	exp := filepath.Join(dir, "expect.yaml")
	os.WriteFile(exp, []byte("name: serve\nexpect:\n  recipients:\n    - {match: reader@example.test, status: delivered, attempts: 1}\n"), 0o644)
	code, expOut := 1, ""
	for code != 0 && time.Now().Before(deadline) {
		code, expOut, _ = runIn(t, context.Background(), "expect", "--url", "http://"+webAddr, exp)
		time.Sleep(100 * time.Millisecond)
	}
	if code != 0 || !strings.Contains(expOut, "PASS serve") {
		t.Errorf("expect --url: exit %d\n%s", code, expOut)
	}
	wrong := filepath.Join(dir, "wrong.yaml")
	os.WriteFile(wrong, []byte("name: wrong\nexpect:\n  recipients:\n    - {match: reader@example.test, attempts: 2}\n"), 0o644)
	if code, out, _ := runIn(t, context.Background(), "expect", "--url", "http://"+webAddr, wrong); code != 1 || !strings.Contains(out, "expected 2 attempts, got 1") {
		t.Errorf("a wrong expectation over --url: exit %d\n%s", code, out)
	}
	resp, err := http.Get("http://" + webAddr + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src") || !strings.Contains(string(page), "<html") {
		t.Errorf("UI: %d, CSP %q", resp.StatusCode, resp.Header.Get("Content-Security-Policy"))
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("serve exited %d after SIGINT:\n%s", code, errb.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not stop")
	}
}

func TestServeBadConfig(t *testing.T) {
	t.Parallel()
	cfg := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(cfg, []byte("sink:\n  listeners:\n    - name: mx\n      listen: nowhere\nrelay:\n  retry: {kind: list}\n"), 0o644)
	code, _, errOut := runIn(t, context.Background(), "serve", "--config", cfg)
	if code != 2 || !strings.Contains(errOut, "bad.yaml:4:") || !strings.Contains(errOut, "sink.listeners[0].listen") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	code, _, errOut = runIn(t, context.Background(), "serve", "--config", cfg+".missing")
	if code != 2 || !strings.Contains(errOut, "--config") {
		t.Errorf("missing config: exit %d, stderr %q", code, errOut)
	}
}

// sendPlain submits one message without STARTTLS (net/smtp.SendMail would
// upgrade and refuse the relay's self-signed certificate).
func sendPlain(addr, from, to, msg string) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Mail(from); err != nil {
		return err
	}
	if err := c.Rcpt(to); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// TestServeBusyAddress: a listener whose address is taken stops serve with
// an error that names the component and the address once, not "sink: sink:".
func TestServeBusyAddress(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	dir := t.TempDir()
	for _, tc := range []struct{ name, yaml, want string }{
		{"sink", fmt.Sprintf("sink:\n  listeners:\n    - {name: mx, listen: %q, hostname: sink.test}\nrelay: {listen: %q}\nweb: {listen: %q}\n", busy.Addr(), freeAddr(t), freeAddr(t)),
			"relaylab serve: sink: listener mx: listen tcp " + busy.Addr().String()},
		{"web", fmt.Sprintf("sink:\n  listeners:\n    - {name: mx, listen: %q, hostname: sink.test}\nrelay: {listen: %q}\nweb: {listen: %q}\n", freeAddr(t), freeAddr(t), busy.Addr()),
			"relaylab serve: web: listen on " + busy.Addr().String()},
	} {
		cfg := filepath.Join(dir, tc.name+".yaml")
		os.WriteFile(cfg, []byte(fmt.Sprintf("store: {path: %q, sync: normal}\n", filepath.Join(dir, tc.name+".db"))+tc.yaml), 0o644)
		code, _, errOut := runIn(t, context.Background(), "serve", "--config", cfg)
		if key := map[string]string{"sink": "move sink.listeners[0].listen", "web": "move web.listen"}[tc.name]; !strings.Contains(errOut, key) {
			t.Errorf("%s busy: the error does not say which key moves it (%q): %q", tc.name, key, errOut)
		}
		if code == 0 || !strings.Contains(errOut, tc.want) || strings.Count(errOut, tc.name+": ") != 1 {
			t.Errorf("%s busy: exit %d, stderr %q; want it to contain %q once", tc.name, code, errOut, tc.want)
		}
	}
}
