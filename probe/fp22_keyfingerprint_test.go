package probe

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

// TestKeyRotatedShowsFingerprints: a key-rotated change's note names the
// old and the new key by a short SHA-256 of their p= bytes, so that two
// 2048-bit keys, whose records share their first 60-odd characters,
// differ where a reader looks. Before, old and new shown shortened read
// the same.
func TestKeyRotatedShowsFingerprints(t *testing.T) {
	t.Parallel()
	pubA, recA := edRecord(t)
	pubB, recB := edRecord(t)
	r, srv := espWorld(t, "v=spf1 -all", 0)
	setTXT(t, srv, "s1._domainkey.example.test.", `s1._domainkey.example.test. 60 IN TXT "`+recA+`"`)
	_, run := spfMonitor(t, r)
	var ch []Change
	for _, step := range []string{"baseline", "first sight", "second sight"} {
		ch = run(step)
		setTXT(t, srv, "s1._domainkey.example.test.", `s1._domainkey.example.test. 60 IN TXT "`+recB+`"`)
	}
	fp := func(b []byte) string { s := sha256.Sum256(b); return "SHA256:" + hex.EncodeToString(s[:])[:16] }
	c := changeOf(ch, "domain example.test dkim s1")
	if c == nil || c.Kind != ChangeKeyRotated {
		t.Fatalf("changes = %+v, want s1 rotated", ch)
	}
	if want := "new key " + fp(pubB) + ", old key " + fp(pubA); !strings.Contains(c.Note, want) {
		t.Errorf("note %q lacks %q", c.Note, want)
	}
}
