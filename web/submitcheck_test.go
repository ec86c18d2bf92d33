package web

import (
	"net/http"
	"strings"
	"testing"
)

func TestAddressFault(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		addr string
		want string // a part of the fault; "" for none
	}{
		{"a@example.test", ""},
		{`"a b"@example.test`, ""},
		{"ü@example.test", ""},
		{"a@[192.0.2.1]", ""},
		{"a@[IPv6:2001:db8::1]", ""},
		{"bad address", "a space is allowed only inside a quoted local part"},
		{"Ann <a@example.test>", "without a name, angle brackets"},
		{"<a@example.test>", "without a name, angle brackets"},
		{"a@example.test (Ann)", "without a name, angle brackets or a comment"},
		{" a@example.test", "a space is allowed only"},
		{"a@example.test,b@example.test", "one address per entry"},
		{"nobody", "there is no @"},
		{"@example.test", "nothing before the @"},
		{"a@", "nothing after the @"},
		{"a.@example.test", `the local part "a." ends with a dot: RFC 5321 4.1.2 allows that only within double quotes, as in "a."@example.test; an address is local-part@domain`},
		{"x..y@example.test", `the local part "x..y" has two dots in a row`},
		{"a@b@example.test", `the local part "a@b" has '@'`},
		{`"x..y"@example.test`, ""},
		{`"a"b@example.test`, "this is not an address the relay can take; an address is local-part@domain"},
		{"a@[300.1.1.1]", "not an IPv4 address literal"},
		{"a\r\n@example.test", "control character"},
	} {
		got := addressFault(tc.addr)
		if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
			t.Errorf("addressFault(%q) = %q, want %q", tc.addr, got, tc.want)
		}
		if strings.Contains(got, "mail:") || strings.Contains(got, "angle-addr") {
			t.Errorf("addressFault(%q) = %q: net/mail's own words", tc.addr, got)
		}
		if tc.want != "" && !strings.Contains(got, "local-part@domain") && !strings.Contains(got, "RFC 5321") {
			t.Errorf("addressFault(%q) = %q: does not say what an address looks like", tc.addr, got)
		}
	}
}

func TestRawFault(t *testing.T) {
	t.Parallel()
	const ok = "From: a@example.test\r\nDate: Mon, 2 Jan 2006 15:04:05 +0000\r\n"
	for _, tc := range []struct {
		raw  string
		want string // a part of the fault; "" for none
	}{
		{ok + "\r\nbody", ""},
		{ok, ""},          // no body: no empty line is needed (RFC 5322 2.1)
		{ok + "\r\n", ""}, // an empty body
		{strings.ReplaceAll(ok, "\r\n", "\n") + "\nbody\n", ""},
		{ok + "Subject: a\r\n long\r\n\tfolded\r\n\r\nbody: not a header\r\n", ""},
		{"garbage no headers", `line 1 ("garbage no headers") is neither a header field`},
		{ok + "garbage\r\n\r\nbody", `line 3 ("garbage")`},
		{ok + "Bad Name: x\r\n\r\nbody", `line 3 ("Bad Name: x")`},
		{ok + ": x\r\n\r\nbody", `line 3`},
		{" From: a@example.test\r\n", "line 1 starts with a space"},
		{"Date: Mon, 2 Jan 2006 15:04:05 +0000\r\n\r\nbody", "no From field"},
		{"From: a@example.test\r\n\r\nbody", "no Date field"},
		{"From:  \r\nDate: x\r\n\r\nbody", "no From field"},
		{"\r\nFrom: a@example.test\r\nDate: x\r\n", "no From field"}, // all body
		{ok + "\r\n" + strings.Repeat("a", 998) + "\r\n", ""},
		{ok + "\r\n" + strings.Repeat("a", 998) + "\n", ""},
		{ok + "\r\nbody\r\n" + strings.Repeat("a", 999) + "\r\n", "line 5 (\"aaaa"},
		{ok + "\r\nbody\r\n" + strings.Repeat("a", 999), "is 999 characters long, and RFC 5322 2.1.1 allows at most 998"},
		{ok + "Subject: " + strings.Repeat("s", 990) + "\r\n\r\nbody", "line 3"},
	} {
		got := rawFault(tc.raw)
		if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
			t.Errorf("rawFault(%q) = %q, want %q", tc.raw, got, tc.want)
		}
		if tc.want != "" && !strings.Contains(got, "RFC 5322") {
			t.Errorf("rawFault(%q) = %q: names no RFC 5322 rule", tc.raw, got)
		}
	}
}

// TestEnqueueRefusesWhatIsNoMessage posts what the walk posted: each is a
// 400 that names the field and says what is wanted, in words of ours.
func TestEnqueueRefusesWhatIsNoMessage(t *testing.T) {
	t.Parallel()
	ts, relay, _ := componentServer(t)
	for _, tc := range []struct{ body, has string }{
		{`{"from":"api@shop.test","to":["bad address"]}`, `to[0] \"bad address\": a space is allowed only inside a quoted local part; an address is local-part@domain`},
		{`{"from":"Shop <api@shop.test>","to":["a@example.test"]}`, `from \"Shop <api@shop.test>\": give the bare address`},
		{`{"from":"api@shop.test","to":["a@example.test"],"raw":"garbage no headers"}`, `raw: line 1 (\"garbage no headers\") is neither a header field`},
		{`{"from":"api@shop.test","to":["a@example.test"],"raw":"Subject: x\r\n\r\nbody"}`, `raw: there is no From field`},
	} {
		code, _, b := do(t, "POST", ts.url+"/api/v1/messages", tc.body)
		body := string(b)
		if code != http.StatusBadRequest || !strings.Contains(body, tc.has) {
			t.Errorf("POST %s = %d %s, want 400 with %s", tc.body, code, body, tc.has)
		}
		if strings.Contains(body, "mail:") {
			t.Errorf("POST %s = %s: net/mail's error text", tc.body, body)
		}
	}
	relay.mu.Lock()
	if n := len(relay.enqueued); n != 0 {
		t.Errorf("%d messages queued, want none", n)
	}
	relay.mu.Unlock()
	code, _, body := do(t, "DELETE", ts.url+"/api/v1/suppressions/bad%20address", "")
	if code != http.StatusBadRequest || strings.Contains(string(body), "mail:") || !strings.Contains(string(body), "local-part@domain") {
		t.Errorf("DELETE a bad suppression = %d %s, want 400 in plain words", code, body)
	}
}
