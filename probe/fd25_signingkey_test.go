package probe

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
)

// fd25DKIM returns the dkim check of the newest stored result of
// example.test, as the web and the webhook read it.
func fd25DKIM(t *testing.T, m *Monitor) (Status, []Finding) {
	t.Helper()
	latest, err := LatestResults(context.Background(), m.st.DB())
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range latest {
		if res.Target != "example.test" {
			continue
		}
		var rep Report
		if err := json.Unmarshal(res.Report, &rep); err != nil {
			t.Fatal(err)
		}
		for _, c := range rep.Checks {
			if c.Check == "dkim" {
				if rep.DKIM == nil || len(rep.DKIM.Findings) != len(c.Findings) {
					t.Errorf("the dkim check has %d findings, its report %v", len(c.Findings), rep.DKIM)
				}
				return c.Status, c.Findings
			}
		}
	}
	t.Fatalf("no dkim check of example.test stored: %+v", latest)
	return "", nil
}

// TestFD25WatchlistSaysRecordIsNotRelayKey: serve's watchlist checked the
// selectors relay.dkim signs with, but said nothing when the key
// published there was not the relay's (a key rotated in the file and not
// in DNS): the record itself was in order, so the check was ok, and
// only a change of the record, not a record wrong from the first run,
// got a note. Now each run says so as an error, naming the key file and
// relay.dkim entry, with the record to publish (Finding.Publish too); a
// record of another key type likewise; a revoked one is one finding that
// names the relay's key; the relay's own key is said to match.
func TestFD25WatchlistSaysRecordIsNotRelayKey(t *testing.T) {
	t.Parallel()
	pubA, recA := edRecord(t)
	_, recB := edRecord(t)
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&rk.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	rsaRec := "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der)
	const name = "s1._domainkey.example.test"
	for _, tt := range []struct {
		name, published string
		status          Status
		code            string
		want            []string
	}{
		{"another key", recB, StatusError, "dkim.key-mismatch", []string{
			"the record at " + name + " publishes another public key than that of keys/s1.pem",
			"the key the relay signs Example.Test's mail with (relay.dkim[1])", "signature did not verify", "dkim=fail",
			"publish \"" + recA + "\" at " + name, "relaylab dkim check --config prints it"}},
		{"another key type", rsaRec,
			StatusError, "dkim.key-type", []string{"publishes a key of type k=rsa, but keys/s1.pem is an ed25519 key", "inappropriate key algorithm", "publish \"" + recA + "\""}},
		{"revoked", "v=DKIM1; k=ed25519; p=", StatusError, "dkim.revoked", []string{"is revoked (empty p=)", "the relay still signs Example.Test's mail with it (relay.dkim[1])", "publish \"" + recA + "\""}},
		{"the relay's key", recA, StatusOK, "dkim.match", []string{"publishes the public half of keys/s1.pem, the key relay.dkim[1] signs"}},
	} {
		r, srv := espWorld(t, "v=spf1 -all", 0)
		setTXT(t, srv, name+".", name+`. 60 IN TXT "`+tt.published+`"`)
		m, run := spfMonitor(t, r, SigningKey{Domain: "Example.Test", Selector: "s1", Source: "relay.dkim[1]", File: "keys/s1.pem", Public: pubA, Record: recA})
		run(tt.name)
		st, fs := fd25DKIM(t, m)
		if st != tt.status {
			t.Errorf("%s: the dkim check is %s, want %s: %+v", tt.name, st, tt.status, fs)
		}
		var got []Finding
		for _, f := range fs {
			if f.Code == tt.code {
				got = append(got, f)
			}
		}
		if len(got) != 1 {
			t.Errorf("%s: %d findings %s, want 1: %+v", tt.name, len(got), tt.code, fs)
			continue
		}
		f := got[0]
		for _, w := range tt.want {
			if !strings.Contains(f.Message, w) {
				t.Errorf("%s: %s lacks %q:\n%s", tt.name, f.Code, w, f.Message)
			}
		}
		if f.Name != name || f.Record != tt.published {
			t.Errorf("%s: finding at %q with record %q", tt.name, f.Name, f.Record)
		}
		if tt.status == StatusError && (f.Publish == nil || f.Publish.Name != name || f.Publish.Value != recA) {
			t.Errorf("%s: publish %+v, want %s TXT %q", tt.name, f.Publish, name, recA)
		}
	}
}

// TestFD25WatchlistSigningKeyOthers: a domain the relay does not sign
// for, and a selector with two records (which checkDKIM's own finding
// covers), get no word of the relay's key.
func TestFD25WatchlistSigningKeyOthers(t *testing.T) {
	t.Parallel()
	pubA, recA := edRecord(t)
	_, recB := edRecord(t)
	const name = "s1._domainkey.example.test"
	for _, tt := range []struct {
		name string
		key  SigningKey
		rrs  []string
	}{
		{"another domain's key", SigningKey{Domain: "other.test", Selector: "s1", Source: "relay.dkim[0]", File: "k.pem", Public: pubA, Record: recA},
			[]string{name + `. 60 IN TXT "` + recB + `"`}},
		{"two records", SigningKey{Domain: "example.test", Selector: "s1", Source: "relay.dkim[0]", File: "k.pem", Public: pubA, Record: recA},
			[]string{name + `. 60 IN TXT "` + recB + `"`, name + `. 60 IN TXT "` + recA + `"`}},
	} {
		r, srv := espWorld(t, "v=spf1 -all", 0)
		srv.Remove(name+".", 16)
		for _, rr := range tt.rrs {
			if err := srv.AddString(rr); err != nil {
				t.Fatal(err)
			}
		}
		m, run := spfMonitor(t, r, tt.key)
		run(tt.name)
		_, fs := fd25DKIM(t, m)
		for _, f := range fs {
			if strings.Contains(f.Message, "relay") {
				t.Errorf("%s: %s says %q", tt.name, f.Code, f.Message)
			}
		}
	}
}
