package relay

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/dsn"
	"github.com/relaylab/relaylab/internal/store"
)

// TestBounceKeyIsKeptInTheStore: the key that signs VERP return paths is
// made once and kept in the store with the time it was made, so that a
// DSN for mail sent before a restart still matches and a copy of the
// store carries it; a store opened read-only gets a key of its own
// without writing; a damaged key is an error, never a new key in
// silence.
func TestBounceKeyIsKeptInTheStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "relay.db")
	open := func(ro bool) *store.Store {
		s, err := store.Open(ctx, store.Options{Path: path, Sync: store.SyncOff, ReadOnly: ro, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	st := open(false)
	first, err := loadBounceKey(ctx, st, epoch)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) > 3 {
		t.Errorf("files beside the store: %v, want the store's own (db, -wal, -shm) alone", entries)
	}
	st = open(false)
	again, err := loadBounceKey(ctx, st, epoch.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	if string(first.key) != string(again.key) || !again.made.Equal(epoch) || len(first.key) < 16 {
		t.Errorf("read back key %x made %v, want %x made %v", again.key, again.made, first.key, epoch)
	}
	ro := open(true)
	read, err := loadBounceKey(ctx, ro, epoch.Add(2*time.Hour))
	ro.Close()
	if err != nil || string(read.key) != string(first.key) {
		t.Errorf("read-only: key %x (%v), want the store's %x", read.key, err, first.key)
	}

	st = open(false)
	defer st.Close()
	if err := st.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(`UPDATE relay_keys SET key = x'00' WHERE name = ?`, bounceKeyName)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := loadBounceKey(ctx, st, epoch); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("damaged key: %v, want an error saying so", err)
	}
}

// TestReturnPathMACIsBoundToTheDomain: the tag's MAC vouches for the
// recipients of the domain the transaction went to, not for another
// domain's, and not once changed; a transaction to several domains is
// signed for none in particular.
func TestReturnPathMACIsBoundToTheDomain(t *testing.T) {
	t.Parallel()
	k := bounceKey{key: []byte("0123456789abcdef0123456789abcdef"), made: epoch}
	const id = "abcdefghijklmnop"
	rp := k.returnPath("bounces@relay.test", id, []string{"a@gmail.test", "B@Gmail.Test"})
	tag, ok := dsn.VERPTag(rp)
	if !ok {
		t.Fatalf("return path %q has no tag", rp)
	}
	gotID, mac := splitTag(tag)
	if gotID != id || mac == "" || !strings.HasPrefix(rp, "bounces+"+id+".") {
		t.Fatalf("return path %q: id %q mac %q, want bounces+%s.MAC@", rp, gotID, mac, id)
	}
	for _, tt := range []struct {
		mac, rcpt string
		want      bool
	}{
		{mac, "c@gmail.test", true},
		{mac, "c@GMAIL.test", true},
		{mac, "c@yahoo.test", false},
		{strings.ToUpper(mac[:1]) + mac[1:], "c@yahoo.test", false},
		{"", "c@gmail.test", false},
		{mac[:len(mac)-1] + "a", "c@gmail.test", mac[len(mac)-1] == 'a'},
	} {
		if got := k.vouches(id, strings.ToLower(tt.mac), tt.rcpt); got != tt.want {
			t.Errorf("vouches(%q, %q) = %v, want %v", tt.mac, tt.rcpt, got, tt.want)
		}
	}
	other := bounceKey{key: []byte("another key of thirty-two bytes!"), made: epoch}
	if other.vouches(id, mac, "c@gmail.test") {
		t.Error("another relay's key vouches for this MAC")
	}
	mixed, _ := dsn.VERPTag(k.returnPath("bounces@relay.test", id, []string{"a@gmail.test", "b@yahoo.test"}))
	_, mmac := splitTag(mixed)
	if !k.vouches(id, mmac, "b@yahoo.test") || !k.vouches(id, mmac, "a@gmail.test") {
		t.Errorf("a transaction to two domains: MAC %q does not vouch for both", mmac)
	}
}

// TestMatchBounceTrustsOnlyWhatOutsidersCannotKnow: a client that may
// not submit is matched by a signed VERP tag alone. The ENVID (the
// sender's own, often guessable) and the Received field (in every
// delivered copy) are refused from it, as are a bare queue id for mail
// queued since the key was made, a MAC the relay did not write and a
// queue id it never had (one refusal, no oracle); a bare tag of mail
// queued before the key still matches, and a trusted client (AUTH,
// allowed_networks, Enqueue) keeps every way.
func TestMatchBounceTrustsOnlyWhatOutsidersCannotKnow(t *testing.T) {
	t.Parallel()
	st := openStore(t, nil)
	ctx := context.Background()
	r := &Relay{cfg: Config{Hostname: "relay.test"}, store: st}
	const id, oldID = "aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb"
	k := bounceKey{key: []byte("0123456789abcdef0123456789abcdef"), made: epoch}
	if err := st.Write(ctx, func(tx *store.Tx) error {
		for _, m := range []struct {
			id      string
			created time.Time
		}{{id, epoch.Add(time.Minute)}, {oldID, epoch.Add(-time.Minute)}} {
			if err := r.insertMessage(tx, m.id, Submission{From: "a@s.test", EnvID: "campaign-7", Data: []byte("Subject: x\r\n\r\nx\r\n"),
				Recipients: []Recipient{{Address: "v@r.test"}}}, m.created); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	good := k.returnPath("bounces@relay.test", id, []string{"v@r.test"})
	p := func(envid string) *dsn.Parsed {
		raw := dsnFor(t, "bounces@relay.test", envid, "v@r.test", dsn.ActionFailed)
		parsed, err := dsn.Parse([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		return parsed
	}
	for _, tt := range []struct {
		name    string
		to      string
		envid   string
		trusted bool
		wantID  string // "" with a refusal
	}{
		{"signed tag", good, "", false, id},
		{"ENVID from outside", "bounces@relay.test", "campaign-7", false, ""},
		{"ENVID from a client that may submit", "bounces@relay.test", "campaign-7", true, id},
		{"bare queue id from outside", dsn.VERPAddress("bounces@relay.test", id), "", false, ""},
		{"bare queue id of mail from before the key", dsn.VERPAddress("bounces@relay.test", oldID), "", false, oldID},
		{"a MAC the relay did not write", dsn.VERPAddress("bounces@relay.test", id+".aaaaaaaaaaaaaaaa"), "", false, ""},
		{"a queue id the relay never had", dsn.VERPAddress("bounces@relay.test", "cccccccccccccccc."+k.mac("cccccccccccccccc", "r.test")[:5]), "", false, ""},
	} {
		var m bounceMatch
		err := st.Write(ctx, func(tx *store.Tx) error {
			var err error
			m, err = matchBounce(tx, k, []string{tt.to}, p(tt.envid), "relay.test", tt.trusted)
			return err
		})
		var refused *dsnRefusal
		switch {
		case tt.wantID == "" && !errors.As(err, &refused):
			t.Errorf("%s: matched %q (%v), want a refusal", tt.name, m.id, err)
		case tt.wantID != "" && (err != nil || m.id != tt.wantID || !m.vouchesFor("v@r.test")):
			t.Errorf("%s: matched %q (%v), want %s vouched for v@r.test", tt.name, m.id, err, tt.wantID)
		}
	}
}
