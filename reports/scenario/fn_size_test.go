package scenario

import (
	"strings"
	"testing"
	"time"
)

// TestFnMessageSizeUnits: a message's size: takes the units a sink
// rule's size: takes (B, KB, MB, GB; KiB, MiB, GiB; any case), read by
// the same parser, and a plain number of bytes as before; a size that
// does not read is named at its file, line and key, saying what to
// write, and the message is padded to the size given.
func TestFnMessageSizeUnits(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		size string
		want int64
	}{
		{"500", 500}, {"0", 0}, {"10KB", 10000}, {"2MiB", 2 << 20}, {"\"1 mb\"", 1000000}, {"3kib", 3072}, {"100b", 100},
	} {
		sc, err := Parse("ok.yaml", []byte("name: x\nmessages:\n  - {to: [a@b.test], size: "+tc.size+"}\n"))
		if err != nil {
			t.Errorf("size: %s: %v", tc.size, err)
			continue
		}
		if got := int64(sc.Messages[0].Size); got != tc.want {
			t.Errorf("size: %s is %d bytes, want %d", tc.size, got, tc.want)
		}
		if n := len(buildMessage("x", sc.Messages[0], 1, time.Unix(0, 0), 1)); int64(n) < tc.want {
			t.Errorf("size: %s: the message has %d bytes, want %d or more", tc.size, n, tc.want)
		}
	}
	for _, tc := range []struct{ size, want string }{
		{"10 MBs", `bad.yaml:3:28: messages[0].size: "10 MBs": unknown unit "MBs"; want a whole number of octets, or one and a unit, as 2000, 10KB or 25MiB: B, KB, MB, GB (1000, 1000², 1000³) or KiB, MiB, GiB (1024, 1024², 1024³), in any case`},
		{"1.5MB", `bad.yaml:3:28: messages[0].size: "1.5MB": the number is whole: write a smaller unit (1500KB for 1.5MB)`},
		{"1M", `bad.yaml:3:28: messages[0].size: "1M": unknown unit "M": did you mean 1MB (1000s) or 1MiB (1024s)?`},
		{"\">1MB\"", `bad.yaml:3:28: messages[0].size: ">1MB": want a whole number of octets`},
		{"big", `bad.yaml:3:28: messages[0].size: "big": want a whole number of octets`},
		{"-2KB", `bad.yaml:3:28: messages[0].size: -2KB is negative: want a number of bytes, 0 or more`},
		{"99999999999GB", `bad.yaml:3:28: messages[0].size: "99999999999GB": too large a size: no message is that large`},
		{"30MiB", `bad.yaml:3:28: messages[0].size: 31457280 bytes is over the relay's max_message_bytes (26214400)`},
	} {
		_, err := Parse("bad.yaml", []byte("name: x\nmessages:\n  - {to: [a@b.test], size: "+tc.size+"}\n"))
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("size: %s: error\n%v\nwant one starting\n%s", tc.size, err, tc.want)
		}
	}
}
