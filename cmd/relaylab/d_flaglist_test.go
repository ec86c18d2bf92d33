package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
)

// TestProbeUsageNamesEveryFlag: probe's usage line names each flag its
// --help lists, where it left out --helo, --zones, --no-blocklists,
// --timeout and the MTA-STS ones.
func TestProbeUsageNamesEveryFlag(t *testing.T) {
	t.Parallel()
	_, out, errOut := runIn(t, context.Background(), "probe", "--help")
	help := out + errOut
	usage, _, _ := strings.Cut(help, "\n")
	if !strings.HasPrefix(usage, "usage: relaylab probe ") {
		t.Fatalf("no usage line:\n%s", help)
	}
	flags := regexp.MustCompile(`(?m)^  --([a-z][a-z-]*)`).FindAllStringSubmatch(help, -1)
	if len(flags) < 5 {
		t.Fatalf("too few flags listed in --help:\n%s", help)
	}
	for _, f := range flags {
		if !strings.Contains(usage, "[--"+f[1]+" ") && !strings.Contains(usage, "[--"+f[1]+"]") && !strings.Contains(usage, "--"+f[1]+" ") {
			t.Errorf("usage line lacks --%s: %s", f[1], usage)
		}
	}
}

// TestSendToListSaysOncePerRecipient: --to with a comma and a space is a
// list, told to give --to once per recipient, not "without brackets or
// spaces" as if the space were the trouble; --from with one says a message
// has one sender.
func TestSendToListSaysOncePerRecipient(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		flag, val, want string
	}{
		{"to", "b@x.test, c@x.test", "not one address but a list: one address per flag: give --to once per recipient"},
		{"from", "b@x.test, c@x.test", "a message has one sender"},
		{"to", "<b@x.test>", "without brackets or spaces"},
	} {
		err := checkMailboxes(tc.flag, tc.val)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(tc.val, ",") && strings.Contains(err.Error(), "without brackets") {
			t.Errorf("--%s %q: %v; want %q", tc.flag, tc.val, err, tc.want)
		}
	}
	// Through send itself: exit 2, before anything is dialled (no server
	// is given one that listens).
	code, _, errOut := runIn(t, context.Background(), "send", "--server", "127.0.0.1:1", "--from", "a@x.test", "--to", "b@x.test, c@x.test")
	if code != 2 || !strings.Contains(errOut, "give --to once per recipient") {
		t.Errorf("send --to 'b@x.test, c@x.test': exit %d (want 2), stderr %q", code, errOut)
	}
}
