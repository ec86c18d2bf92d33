package smtpload

import (
	"bytes"
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/relaylab/relaylab/internal/smtpload/smtptest"
)

// lmtpServer serves every connection with smtptest.Script and an
// smtptest.LMTP answer of its own, rcpt and dot picking each recipient's
// replies by the start of its address; every command is added to seen
// when it is not nil.
func lmtpServer(t *testing.T, lhlo string, rcpt, dot map[string]string, seen *commands) string {
	t.Helper()
	pick := func(m map[string]string) func(string) string {
		return func(addr string) string {
			for prefix, r := range m {
				if strings.HasPrefix(addr, prefix) {
					return r
				}
			}
			return ""
		}
	}
	return smtptest.Listen(t, func(c net.Conn) {
		smtptest.Script(c, "220 lmtp.test LMTP", "", smtptest.LMTP(lhlo, pick(rcpt), pick(dot)), seen.add)
	})
}

// commands collects the commands a scripted server saw.
type commands struct {
	mu   sync.Mutex
	list []string
}

func (c *commands) add(cmd string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.list = append(c.list, cmd)
	c.mu.Unlock()
}

func (c *commands) all() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.list...)
}

const lmtpLHLO = "250-lmtp.test\r\n250-PIPELINING\r\n250 ENHANCEDSTATUSCODES"

func dialLMTP(t *testing.T, addr string) *Client {
	t.Helper()
	c, err := Dial(context.Background(), addr, false, Options{Helo: "client.test", LMTP: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := c.Greeting(); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestWL27LMTPHelloHasNoFallback: in LMTP the client says LHLO (RFC 2033
// 4.1), and a refusal of it stands: no EHLO or HELO follows, as they are
// no LMTP commands.
func TestWL27LMTPHelloHasNoFallback(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, lhlo, wantErr string
	}{
		{"accepted", lmtpLHLO, ""},
		{"refused", "500 5.5.1 what?", "server rejected LHLO: 500 5.5.1 what?"},
	} {
		seen := &commands{}
		c := dialLMTP(t, lmtpServer(t, tc.lhlo, nil, nil, seen))
		_, err := c.Hello()
		if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || err.Error() != tc.wantErr) {
			t.Errorf("%s: Hello: %v, want %q", tc.name, err, tc.wantErr)
		}
		c.Close()
		if got := seen.all(); len(got) != 1 || got[0] != "LHLO client.test" {
			t.Errorf("%s: the server saw %q, want only LHLO client.test", tc.name, got)
		}
		var re *ReplyError
		if errors.As(err, &re) && re.Stage != StageLHLO {
			t.Errorf("%s: stage %q, want %q", tc.name, re.Stage, StageLHLO)
		}
		if tc.wantErr == "" && !c.Has("PIPELINING") {
			t.Errorf("%s: the LHLO reply's extensions were not kept: %v", tc.name, c.Ext)
		}
	}
}

// TestWL27LMTPSendRepliesPerRecipient: after the final dot an LMTP client
// reads one reply for each recipient accepted at RCPT, in order (RFC 2033
// 4.2), and keeps each at its recipient's index; a message delivered to
// some and refused for others is accepted, partly.
func TestWL27LMTPSendRepliesPerRecipient(t *testing.T) {
	t.Parallel()
	addr := lmtpServer(t, lmtpLHLO, map[string]string{"nouser": "550 5.1.1 no such user"},
		map[string]string{"full": "552 5.2.2 mailbox full", "over": "452 4.2.2 over quota"}, nil)
	to := []string{"a@x.test", "nouser@x.test", "full@x.test", "over@x.test", "b@x.test"}
	for _, pipeline := range []bool{false, true} {
		c := dialLMTP(t, addr)
		if _, err := c.Hello(); err != nil {
			t.Fatal(err)
		}
		res, err := c.Send(&Transaction{From: "s@x.test", To: to, Parts: [][]byte{WireFormat([]byte("Subject: t\n\nhi\n"))}}, pipeline)
		if err != nil {
			t.Fatalf("pipeline %v: %v", pipeline, err)
		}
		want := []int{250, 0, 552, 452, 250}
		if len(res.RcptDataEnd) != len(want) {
			t.Fatalf("pipeline %v: %d replies after the dot, want %d slots: %+v", pipeline, len(res.RcptDataEnd), len(want), res.RcptDataEnd)
		}
		for i, w := range want {
			if res.RcptDataEnd[i].Code != w {
				t.Errorf("pipeline %v: recipient %s got %d after the dot, want %d", pipeline, to[i], res.RcptDataEnd[i].Code, w)
			}
		}
		if !res.OK() || !res.Partial() || res.FateUnknown() || res.DotNoReply() != 0 || res.Stage != "" {
			t.Errorf("pipeline %v: OK %v, partial %v, fate unknown %v, no reply %d, stage %q; want accepted partly, every reply read",
				pipeline, res.OK(), res.Partial(), res.FateUnknown(), res.DotNoReply(), res.Stage)
		}
		if res.RcptDataEnd[2].Enhanced != "5.2.2" {
			t.Errorf("pipeline %v: enhanced code %q, want 5.2.2", pipeline, res.RcptDataEnd[2].Enhanced)
		}
	}
}

// TestWL27LMTPAllRefusedAtDot: a message every recipient of which is
// refused after the dot is refused there, and the connection is reset
// for the next one.
func TestWL27LMTPAllRefusedAtDot(t *testing.T) {
	t.Parallel()
	addr := lmtpServer(t, lmtpLHLO, nil, map[string]string{"": "552 5.2.2 mailbox full"}, nil)
	c := dialLMTP(t, addr)
	if _, err := c.Hello(); err != nil {
		t.Fatal(err)
	}
	res, err := c.Send(&Transaction{From: "s@x.test", To: []string{"a@x.test", "b@x.test"}, Parts: [][]byte{[]byte("Subject: t\r\n\r\nhi\r\n")}}, true)
	if err != nil {
		t.Fatal(err)
	}
	if res.OK() || res.Stage != StageDataEnd || res.Rset.Code != 250 || res.DataEnd.Code != 552 {
		t.Errorf("OK %v, stage %q, RSET %d, DataEnd %d; want refused at data-end, reset, DataEnd 552", res.OK(), res.Stage, res.Rset.Code, res.DataEnd.Code)
	}
}

// TestWL27LMTPDataWithoutRecipients: an LMTP server that asks for the
// content although it accepted no recipient breaks RFC 2033 4.2; the
// client does not guess how many replies would follow the dot.
func TestWL27LMTPDataWithoutRecipients(t *testing.T) {
	t.Parallel()
	addr := smtptest.Listen(t, func(c net.Conn) {
		smtptest.Script(c, "220 lmtp.test", "", func(cmd string) (string, bool) {
			switch {
			case strings.HasPrefix(cmd, "LHLO"):
				return "250-lmtp.test\r\n250 PIPELINING", false
			case strings.HasPrefix(cmd, "RCPT"):
				return "550 5.1.1 no such user", false
			case cmd == "DATA":
				return "354 go on", false
			}
			return "250 ok", false
		}, nil)
	})
	c := dialLMTP(t, addr)
	if _, err := c.Hello(); err != nil {
		t.Fatal(err)
	}
	res, err := c.Send(&Transaction{From: "s@x.test", To: []string{"a@x.test"}, Parts: [][]byte{[]byte("\r\n")}}, true)
	var pe *ProtocolError
	if !errors.As(err, &pe) || !strings.Contains(pe.Why, "RFC 2033 4.2") || res.DotSent {
		t.Errorf("err %v, dot sent %v; want a protocol error citing RFC 2033 4.2, no dot", err, res.DotSent)
	}
}

// TestWL27RunLMTPCounts: load over LMTP counts each recipient's reply to
// the final dot in the table and the refusals, and a message refused
// after the dot for some recipients as partly accepted; one whose every
// recipient was refused there as refused.
func TestWL27RunLMTPCounts(t *testing.T) {
	t.Parallel()
	addr := lmtpServer(t, lmtpLHLO, nil, map[string]string{"r2": "452 4.2.2 over quota", "r3": "552 5.2.2 mailbox full", "all": "552 5.2.2 mailbox full"}, nil)
	for _, pipeline := range []bool{false, true} {
		res, table := runTable(t, Config{Target: addr, LMTP: true, Sessions: 2, Messages: 10, Rcpts: 3, Reuse: 0, Pipeline: pipeline,
			From: "s@x.test", To: "r{r}.m{n}@y.test", GiveUp: -1})
		checkAddsUp(t, res)
		if res.Accepted != 10 || res.Partial != 10 || res.RcptAccepted != 30 {
			t.Errorf("pipeline %v: accepted %d (partly %d), recipients at RCPT %d; want 10, 10, 30\n%s", pipeline, res.Accepted, res.Partial, res.RcptAccepted, table)
		}
		if res.DotAccepted != 10 || res.DotTempRefused != 10 || res.DotPermRefused != 10 || res.DotNoReply != 0 {
			t.Errorf("pipeline %v: at the dot %d accepted, %d 4xx, %d 5xx, %d no reply; want 10, 10, 10, 0\n%s",
				pipeline, res.DotAccepted, res.DotTempRefused, res.DotPermRefused, res.DotNoReply, table)
		}
		if res.TempRefusals != 10 || res.PermRefusals != 10 {
			t.Errorf("pipeline %v: refusals 4xx %d, 5xx %d; want 10 each", pipeline, res.TempRefusals, res.PermRefusals)
		}
		for k, n := range map[string]int{"data-end 250": 10, "data-end 452 4.2.2": 10, "data-end 552 5.2.2": 10} {
			if res.Replies[k] != n {
				t.Errorf("pipeline %v: %q counted %d, want %d\n%s", pipeline, k, res.Replies[k], n, table)
			}
		}
	}
	res, table := runTable(t, Config{Target: addr, LMTP: true, Sessions: 1, Messages: 4, Rcpts: 2, Reuse: 0, Pipeline: true,
		From: "s@x.test", To: "all{r}.m{n}@y.test", GiveUp: -1})
	checkAddsUp(t, res)
	if res.Refused != 4 || res.Accepted != 0 || res.DotPermRefused != 8 || res.PermRefusals != 8 || res.Replies["data-end 552 5.2.2"] != 8 {
		t.Errorf("all refused at the dot: refused %d, accepted %d, at the dot 5xx %d, refusals %d; want 4, 0, 8, 8\n%s",
			res.Refused, res.Accepted, res.DotPermRefused, res.PermRefusals, table)
	}
}

// TestWL27RunLMTPFateUnknown: a server that hangs up after the reply of
// the first recipient leaves the others' fate unknown: the message is of
// unknown fate, the reply that came is counted, and the recipients
// without one apart.
func TestWL27RunLMTPFateUnknown(t *testing.T) {
	t.Parallel()
	addr := lmtpServer(t, lmtpLHLO, nil, map[string]string{"r2": "-"}, nil)
	res, table := runTable(t, Config{Target: addr, LMTP: true, Sessions: 1, Messages: 3, Rcpts: 3, Reuse: 0, Pipeline: true,
		From: "s@x.test", To: "r{r}.m{n}@y.test", GiveUp: -1})
	checkAddsUp(t, res)
	if res.Unknown != 3 || res.Accepted != 0 || res.DotAccepted != 3 || res.DotNoReply != 6 || res.UnknownErrors["eof"] != 3 {
		t.Errorf("unknown %d (%v), accepted %d, at the dot %d accepted and %d without reply; want 3 (eof), 0, 3, 6\n%s",
			res.Unknown, res.UnknownErrors, res.Accepted, res.DotAccepted, res.DotNoReply, table)
	}
	if first := res.FirstUnknown["eof"]; !strings.Contains(first, "for 2 of its 3 recipients") {
		t.Errorf("first fate-unknown error %q does not say how many recipients lack a reply", first)
	}
}

// TestWL27RunLMTPGoSMTP: end to end against go-smtp's LMTP server, over
// a unix-domain socket and over TCP on loopback.
func TestWL27RunLMTPGoSMTP(t *testing.T) {
	t.Parallel()
	sock := filepath.Join(t.TempDir(), "lmtp.sock")
	for _, opts := range []smtptest.Options{{LMTP: true, Unix: sock, Keep: true}, {LMTP: true, Keep: true}} {
		srv := smtptest.Start(t, opts)
		res, table := runTable(t, Config{Target: srv.Addr, LMTP: true, Sessions: 2, Messages: 6, Rcpts: 2, Reuse: 2, Pipeline: true,
			From: "s@x.test", To: "u{n}.{r}@y.test", GiveUp: -1})
		checkAddsUp(t, res)
		if res.Accepted != 6 || res.Partial != 0 || res.DotAccepted != 12 || srv.Accepted() != 6 || res.Replies["lhlo 250"] != 0 {
			t.Errorf("%s: accepted %d (partly %d), at the dot %d, server took %d; want 6, 0, 12, 6\n%s",
				srv.Addr, res.Accepted, res.Partial, res.DotAccepted, srv.Accepted(), table)
		}
		for _, m := range srv.Messages() {
			if len(m.To) != 2 || !bytes.Contains(m.Data, []byte("Subject: relaylab load message")) {
				t.Errorf("%s: the server got %v, %q", srv.Addr, m.To, m.Data)
			}
		}
		res, table = runTable(t, Config{Target: srv.Addr, LMTP: true, Sessions: 1, Messages: 2, Rcpts: 2, Reuse: 0, Pipeline: true,
			From: "s@x.test", To: "full{r}.{n}@y.test", GiveUp: -1})
		if res.Refused != 2 || res.DotPermRefused != 4 || res.Replies["data-end 552 5.2.2"] != 4 {
			t.Errorf("%s: full mailboxes: refused %d, at the dot 5xx %d; want 2, 4\n%s", srv.Addr, res.Refused, res.DotPermRefused, table)
		}
	}
}

// TestWL27UnixTarget: a unix:/path target is dialled as a unix-domain
// socket, a missing socket file counts as nothing listening, and
// "unix:" alone is no target.
func TestWL27UnixTarget(t *testing.T) {
	t.Parallel()
	if n, a := Network("unix:/run/x.sock"); n != "unix" || a != "/run/x.sock" {
		t.Errorf("Network(unix:/run/x.sock) = %q, %q", n, a)
	}
	if n, a := Network("127.0.0.1:24"); n != "tcp" || a != "127.0.0.1:24" {
		t.Errorf("Network(127.0.0.1:24) = %q, %q", n, a)
	}
	if _, err := Run(context.Background(), Config{Target: "unix:", Sessions: 1, Messages: 1, Rcpts: 1, To: "a@b.test"}); err == nil || !strings.Contains(err.Error(), "unix:/path") {
		t.Errorf("Run with target unix: = %v, want an error naming unix:/path", err)
	}
	missing := "unix:" + filepath.Join(t.TempDir(), "none.sock")
	res, table := runTable(t, Config{Target: missing, Sessions: 1, Messages: 2, Rcpts: 1, From: "s@x.test", To: "a@b.test", GiveUp: -1})
	if res.Failed != 2 || res.ConnErrors["refused"] != 2 {
		t.Errorf("missing socket: failed %d, connection errors %v; want 2 refused\n%s", res.Failed, res.ConnErrors, table)
	}
}
