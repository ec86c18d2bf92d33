package probe

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"testing"
)

// edRecord makes an Ed25519 key and its DKIM record.
func edRecord(t *testing.T) (ed25519.PublicKey, string) {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pub, "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub)
}

// TestKeyRotatedNotesSigningKey: a watched selector that the relay signs
// with (Options.SigningKeys, from relay.dkim) rotated to a key its key
// file does not hold: the key-rotated change says relay.dkim[N]'s key
// file no longer matches, so every signature fails; rotated back, that
// it matches again; removed, that the relay still signs with it. Before,
// only relaylab dkim check found dkim.key-mismatch.
func TestKeyRotatedNotesSigningKey(t *testing.T) {
	t.Parallel()
	pubA, recA := edRecord(t)
	_, recB := edRecord(t)
	r, srv := espWorld(t, "v=spf1 -all", 0)
	setTXT(t, srv, "s1._domainkey.example.test.", `s1._domainkey.example.test. 60 IN TXT "`+recA+`"`)
	_, run := spfMonitor(t, r, SigningKey{Domain: "Example.Test", Selector: "s1", Source: "relay.dkim[1]", File: "keys/s1.pem", Public: pubA})
	const key = "domain example.test dkim s1"
	step := func(name, rec string, want ...string) {
		t.Helper()
		if rec == "" {
			srv.Remove("s1._domainkey.example.test.", 16)
		} else {
			setTXT(t, srv, "s1._domainkey.example.test.", `s1._domainkey.example.test. 60 IN TXT "`+rec+`"`)
		}
		run(name + " once")
		c := changeOf(run(name+" twice"), key)
		if c == nil {
			t.Fatalf("%s: no change of %s", name, key)
		}
		for _, w := range want {
			if !strings.Contains(c.Note, w) {
				t.Errorf("%s: %s change (%s) note %q lacks %q", name, key, c.Kind, c.Note, w)
			}
		}
	}
	run("baseline")
	step("rotated away", recB, "relay.dkim[1]'s key file (keys/s1.pem) no longer matches", "every signature", "fails DKIM")
	step("rotated back", recA, "relay.dkim[1]'s key file (keys/s1.pem) matches", "again")
	step("removed", "", "relay.dkim[1] still signs", "no key")
}
