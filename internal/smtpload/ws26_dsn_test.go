package smtpload

import (
	"slices"
	"strings"
	"sync"
	"testing"
)

// TestDSNParamsOnTheWire: the DSN parameters go on MAIL (RET, ENVID in
// xtext) and on each RCPT (NOTIFY, that recipient's ORCPT, its address in
// xtext or utf-8-addr-xtext), pipelined or not, only when the server
// offers DSN (RFC 3461 4); without DSN the commands are as before.
func TestDSNParamsOnTheWire(t *testing.T) {
	t.Parallel()
	d := &DSN{Ret: "HDRS", EnvID: "batch+7 of=9", Notify: []string{"SUCCESS", "FAILURE"},
		ORCPT: []string{"rfc822;a+tag@y.test", "", "utf-8;dé@y.test"}}
	withDSN := []string{
		"MAIL FROM:<s@x.test> SIZE=4 RET=HDRS ENVID=batch+2B7+20of+3D9",
		"RCPT TO:<a@y.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a+2Btag@y.test",
		"RCPT TO:<b@y.test> NOTIFY=SUCCESS,FAILURE",
		`RCPT TO:<c@y.test> NOTIFY=SUCCESS,FAILURE ORCPT=utf-8;d\x{E9}@y.test`,
		"DATA",
	}
	without := []string{"MAIL FROM:<s@x.test> SIZE=4", "RCPT TO:<a@y.test>", "RCPT TO:<b@y.test>", "RCPT TO:<c@y.test>", "DATA"}
	for _, tt := range []struct {
		ehlo     string
		pipeline bool
		applied  bool
		want     []string
	}{
		{"250-mx\r\n250-SIZE\r\n250 DSN", false, true, withDSN},
		{"250-mx\r\n250-SIZE\r\n250-PIPELINING\r\n250 DSN", true, true, withDSN},
		{"250-mx\r\n250 SIZE", false, false, without},
	} {
		var mu sync.Mutex
		var got []string
		c := conversation(t, func(cmd string) string {
			if strings.HasPrefix(cmd, "EHLO") {
				return tt.ehlo
			}
			mu.Lock()
			got = append(got, cmd)
			mu.Unlock()
			if cmd == "DATA" {
				return "354 go on"
			}
			return "250 ok"
		})
		if _, err := c.Hello(); err != nil {
			t.Fatal(err)
		}
		tx := &Transaction{From: "s@x.test", To: []string{"a@y.test", "b@y.test", "c@y.test"}, Parts: [][]byte{[]byte("hi\r\n")}}
		tx.MailParams, _ = c.MailParams(tx)
		if applied := c.ApplyDSN(tx, d); applied != tt.applied {
			t.Errorf("EHLO %q: ApplyDSN = %v, want %v", tt.ehlo, applied, tt.applied)
		}
		res, err := c.Send(tx, tt.pipeline)
		if err != nil || !res.OK() {
			t.Fatalf("EHLO %q: send: %v, %+v", tt.ehlo, err, res)
		}
		mu.Lock()
		if !slices.Equal(got, tt.want) {
			t.Errorf("EHLO %q, pipeline %v: commands\n  %s\nwant\n  %s", tt.ehlo, tt.pipeline, strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
		}
		mu.Unlock()
	}
}

// TestDSNEmpty: only a DSN that asks for something is applied; an ORCPT
// list of empty entries asks for nothing.
func TestDSNEmpty(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		d    *DSN
		want bool
	}{
		{nil, true},
		{&DSN{}, true},
		{&DSN{ORCPT: []string{"", ""}}, true},
		{&DSN{ORCPT: []string{"", "rfc822;a@y.test"}}, false},
		{&DSN{Notify: []string{"NEVER"}}, false},
		{&DSN{Ret: "FULL"}, false},
		{&DSN{EnvID: "x"}, false},
	} {
		if got := tt.d.Empty(); got != tt.want {
			t.Errorf("%+v.Empty() = %v, want %v", tt.d, got, tt.want)
		}
	}
}

// TestRcptParamsLineBreak: a RCPT parameter with a line break would
// smuggle a command; the transaction is refused before anything is sent.
func TestRcptParamsLineBreak(t *testing.T) {
	t.Parallel()
	c := conversation(t, func(cmd string) string { return "250 ok" })
	_, err := c.Send(&Transaction{From: "s@x.test", To: []string{"a@y.test"}, RcptParams: []string{"NOTIFY=NEVER\r\nRSET"}}, false)
	if err == nil || !strings.Contains(err.Error(), "RCPT parameter contains a line break") {
		t.Errorf("err %v, want the line break refused", err)
	}
}
