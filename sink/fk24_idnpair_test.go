package sink

import (
	"net/netip"
	"slices"
	"testing"
	"time"
)

// An internationalised domain is one domain however the client writes
// it, in UTF-8 (under SMTPUTF8) or as A-labels, in any case: its attempts
// are counted together, so "defer2" defers twice in all, not twice per
// spelling; each attempt is recorded as the client wrote it.
func TestIDNSpellingsCountedAsOne(t *testing.T) {
	t.Parallel()
	_, st, addr := itSink(t, nil)
	codes, lines := pipelined(t, addr, "EHLO a.test\r\nMAIL FROM:<app@shop.test> SMTPUTF8\r\n"+
		"RCPT TO:<defer2+idn@bücher.test>\r\nRCPT TO:<defer2+idn@xn--bcher-kva.test>\r\nRCPT TO:<defer2+idn@BÜCHER.test>\r\nQUIT\r\n")
	if want := []int{220, 250, 250, 451, 451, 250, 221}; !slices.Equal(codes, want) {
		t.Fatalf("replies %v %q, want %v: the third spelling of one domain is its third attempt, past defer2", codes, lines, want)
	}
	waitSessions(t, st, 1)
	got := queryRows(t, st.DB(), `SELECT recipient, '#' || attempt, code FROM sink_attempts ORDER BY id`)
	want := []string{"defer2+idn@bücher.test #1 451", "defer2+idn@xn--bcher-kva.test #2 451", "defer2+idn@BÜCHER.test #3 250"}
	if !slices.Equal(got, want) {
		t.Errorf("attempts\n got %q\nwant %q (numbered together, each as written)", got, want)
	}
}

// The greylist's triple is one for both spellings too: a retry that
// writes the domain as A-labels passes the greylisting its first attempt,
// in UTF-8, began; and the keys agree with the counters'.
func TestIDNGreylistOneTriple(t *testing.T) {
	t.Parallel()
	st := newState()
	g := &Greylist{MinDelay: 5 * time.Minute, Expiry: 4 * time.Hour, KeepPassed: 24 * time.Hour, Reply: Reply{Code: 451}}
	ip := netip.MustParseAddr("192.0.2.1")
	t0 := time.Unix(1_700_000_000, 0)
	if pass, _ := st.greylist(ip, "app@shop.test", "grey@bücher.test", t0, g); pass {
		t.Fatal("a first attempt passed the greylist")
	}
	if pass, _ := st.greylist(ip, "app@SHOP.test", "grey@xn--bcher-kva.test", t0.Add(6*time.Minute), g); !pass {
		t.Error("the retry after the minimum delay, its domain written as A-labels, was greylisted again as a new triple")
	}
	if a, b := pairKey("x@bücher.test", "y@Bücher.TEST"), pairKey("X@xn--bcher-kva.test", "y@XN--BCHER-KVA.test"); a != b {
		t.Errorf("pairKey %q and %q differ for one pair of mailboxes", a, b)
	}
}
