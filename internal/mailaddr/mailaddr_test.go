package mailaddr

import (
	"strings"
	"testing"
)

func TestFault(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		addr string
		want string // a part of the fault; "" for none
	}{
		{"a@x.test", ""},
		{"", ""},
		{"\"a b\"@x.test", ""},
		{"ü@x.test", ""},
		{"a@[192.0.2.1]", ""},
		{"a@[IPv6:2001:db8::1]", ""},
		{"a@[ipv6:::ffff:192.0.2.1]", ""},
		{"a\x00@x.test", "control character 0x00 at octet 2"},
		{"a\x7f@x.test", "control character 0x7f at octet 2"},
		{"a\t@[300.1.1.1]", "control character 0x09"},
		{"a@[300.1.1.1]", "[300.1.1.1] is not an IPv4 address literal"},
		{"a@[1.2.3]", "[1.2.3] is not an IPv4 address literal"},
		{"a@[]", "[] is not an IPv4 address literal"},
		{"a@[2001:db8::1]", "needs the tag \"IPv6:\""},
		{"a@[x-tag:anything]", "no other tag is registered"},
		{"a@[IPv6:1.2.3.4]", "[IPv6:1.2.3.4] is not an IPv6 address literal"},
		{"a@[IPv6:fe80::1%eth0]", "is not an IPv6 address literal"},
		{"\"a@[300.1.1.1]\"@x.test", ""}, // the literal is in the local part
	} {
		got := Fault(tc.addr)
		if (got == "") != (tc.want == "") || !strings.Contains(got, tc.want) {
			t.Errorf("Fault(%q) = %q, want %q", tc.addr, got, tc.want)
		}
		if tc.want != "" && !strings.Contains(got, "RFC 5321") {
			t.Errorf("Fault(%q) = %q names no RFC section", tc.addr, got)
		}
	}
}

// FuzzFault: any path gives a fault or none without a panic; a fault
// names its RFC section, and a path with a control character has one.
func FuzzFault(f *testing.F) {
	for _, s := range []string{"a@x", "a@[1.2.3.4]", "a@[IPv6:::1]", "a@[", "@[]", "a\x00@x", "\"a@[x]\"@y", "a@[IPv6:]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, addr string) {
		got := Fault(addr)
		if got != "" && !strings.Contains(got, "RFC 5321") {
			t.Fatalf("Fault(%q) = %q names no RFC section", addr, got)
		}
		if ControlAt(addr) >= 0 && got == "" {
			t.Fatalf("Fault(%q) found no fault in a path with a control character", addr)
		}
	})
}
