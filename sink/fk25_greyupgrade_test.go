package sink

import (
	"context"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/store"
)

// A sink before the IDN keys (mailaddr.Key) stored a greylist entry under
// its addresses in lower case only, an internationalised domain in UTF-8.
// After an upgrade, the retry of a triple greylisted then passes, in
// either spelling, and one that had passed stays let through; the rows
// are stored again under today's key, so that the sweep, which deletes by
// it, can forget them.
func TestFK25GreylistOldKeysAfterUpgrade(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	v := clock.NewVirtual(start)
	path := filepath.Join(t.TempDir(), "sink.db")
	st, err := store.Open(context.Background(), store.Options{Path: path, Sync: store.SyncOff, Clock: v, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t0 := start.UnixNano()
	old := []struct {
		key           string
		first, passed int64
	}{
		{"127.0.0.1\x00s@x.test\x00grey@bücher.test", t0, 0},             // greylisted, not yet retried
		{"127.0.0.1\x00s@x.test\x00done@zürich.test", t0, t0 + 6e11},     // passed
		{"127.0.0.1\x00s@x.test\x00plain@sink.test", t0 + 1, 0},          // ASCII: its key is today's already
		{"127.0.0.1\x00s@x.test\x00both@münchen.test", t0, 0},            // stored in both forms: the later wins
		{"127.0.0.1\x00s@x.test\x00both@xn--mnchen-3ya.test", t0 + 2, 0}, // (as upsertGrey keeps the later)
	}
	err = st.Write(context.Background(), func(tx *store.Tx) error {
		for _, o := range old {
			if _, err := tx.Exec(`INSERT INTO sink_greylist (key, first_ns, passed_ns) VALUES (?, ?, ?)`, o.key, o.first, o.passed); err != nil {
				return err
			}
		}
		return nil
	})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}

	v.Advance(6 * time.Minute)
	s, st := testSinkAt(t, path, v, func(c *Config) {
		c.Rules = []Rule{{Name: "grey", Stage: "rcpt", Greylist: &GreylistRule{Delay: ptr(config.Duration(5 * time.Minute)), Expiry: ptr(config.Duration(4 * time.Hour))}}}
	})
	got := queryRows(t, st.DB(), `SELECT key || ' ' || first_ns || ' ' || passed_ns FROM sink_greylist ORDER BY key`)
	for i := range got {
		got[i] = strings.ReplaceAll(got[i], "\x00", " ")
	}
	want := []string{
		"127.0.0.1 s@x.test both@xn--mnchen-3ya.test " + strconv.FormatInt(t0+2, 10) + " 0",
		"127.0.0.1 s@x.test done@xn--zrich-kva.test " + strconv.FormatInt(t0, 10) + " " + strconv.FormatInt(t0+6e11, 10),
		"127.0.0.1 s@x.test grey@xn--bcher-kva.test " + strconv.FormatInt(t0, 10) + " 0",
		"127.0.0.1 s@x.test plain@sink.test " + strconv.FormatInt(t0+1, 10) + " 0",
	}
	if !slices.Equal(got, want) {
		t.Errorf("greylist rows after the start\n got %q\nwant %q (each under its A-label key, once)", got, want)
	}
	addr := addrOf(t, s, "mx")
	for _, rcpt := range []string{"grey@xn--bcher-kva.test", "done@xn--zrich-kva.test", "plain@sink.test", "both@xn--mnchen-3ya.test"} {
		if code := rcptReply(t, addr, "s@x.test", rcpt); code != 250 {
			t.Errorf("RCPT TO:<%s> 6 minutes after its first attempt, greylisted before the upgrade: got %d, want 250 (a retry, not a new triple)", rcpt, code)
		}
	}
}
