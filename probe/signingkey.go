package probe

import (
	"bytes"
	"cmp"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
)

// SigningKey is a key the relay signs a domain's mail with (relay.dkim):
// a change of the watched DKIM record of its domain and selector says
// whether the key file still matches it.
type SigningKey struct {
	Domain, Selector string
	Source           string // where it is configured: "relay.dkim[0]"
	File             string // its private key file
	Public           crypto.PublicKey
	// Record is the TXT value that publishes Public (v=DKIM1; k=...;
	// p=...), as relaylab dkim keygen and dkim check print it; "" when
	// not known.
	Record string
}

// RelayDKIMFailsDMARC ends what a fault of the record of a key the relay
// signs with does to its mail.
const RelayDKIMFailsDMARC = "so the relay's mail passes DMARC only where SPF aligns, and fails the DKIM that Gmail's and Yahoo's bulk-sender rules require"

// IgnoredKey is what receivers do with a key record they must ignore,
// for RFC 6376 6.1.2's reason.
func IgnoredKey(reason string) string {
	return fmt.Sprintf(`receivers ignore the record and fail the relay's signatures ("%s", RFC 6376 6.1.2), recording dkim=permerror`, reason)
}

// SigningRecordFault judges rec, the one key record published at name
// (parsed as key), against k, the key the relay signs with under that
// name: revoked, of another key type, or another public key, each of
// which fails every signature the relay makes. fix, which ends each
// message, says what to publish ("publish the record below"). false
// when rec publishes k's public key. relaylab dkim check and the
// watchlist (NoteSigningKeys) both judge with it.
func SigningRecordFault(name, rec string, key *DKIMKey, k SigningKey, fix string) (Finding, bool) {
	f := Finding{Check: "dkim", Severity: SevError, Name: name, Record: rec}
	ours := publicKeyType(k.Public)
	switch {
	case key.Revoked:
		f.Code, f.RFC = "dkim.revoked", "RFC 6376 3.6.1"
		f.Message = fmt.Sprintf("the record at %s is revoked (empty p=): receivers fail every signature made with selector %s (\"key revoked\", RFC 6376 6.1.2), and the relay still signs %s's mail with it (%s); if the key was retired on purpose, move the relay to a selector whose record publishes its key, else %s",
			name, k.Selector, k.Domain, k.Source, fix)
	case key.KeyType != ours:
		f.Code, f.RFC = "dkim.key-type", "RFC 6376 3.6.1"
		f.Message = fmt.Sprintf("the record at %s publishes a key of type k=%s, but %s is an %s key: %s, %s; %s",
			name, key.KeyType, k.File, ours, IgnoredKey("inappropriate key algorithm"), RelayDKIMFailsDMARC, fix)
	case !DKIMRecordMatches(rec, k.Public):
		f.Code, f.RFC = "dkim.key-mismatch", "RFC 6376 6.1.3"
		f.Message = fmt.Sprintf("the record at %s publishes another public key than that of %s, the key the relay signs %s's mail with (%s): receivers fail every signature it makes (\"signature did not verify\") and record dkim=fail, %s. The key was likely rotated without its record being updated: %s, or point key_file back at the key the record publishes",
			name, k.File, k.Domain, k.Source, RelayDKIMFailsDMARC, fix)
	default:
		return Finding{}, false
	}
	return f, true
}

// publicKeyType is pub's k= value: rsa or ed25519.
func publicKeyType(pub crypto.PublicKey) string {
	if _, ok := pub.(ed25519.PublicKey); ok {
		return "ed25519"
	}
	return "rsa"
}

// NoteSigningKeys adds to each watched domain's DKIM findings, for each
// selector the relay signs that domain's mail with (keys, relay.dkim),
// whether the key published there is the relay's: a record that is not
// (another key, another key type, revoked) fails every signature the
// relay makes, which the record's own checks cannot tell, as they do not
// know the relay's key. A revoked record's finding replaces checkKey's,
// which says the same without naming the relay's key. A selector with
// several records or none is left to checkDKIM's findings.
func NoteSigningKeys(reps []*Report, keys []SigningKey) {
	if len(keys) == 0 {
		return
	}
	for _, rep := range reps {
		if rep == nil || rep.DKIM == nil {
			continue
		}
		d, changed := rep.DKIM, false
		for _, ds := range d.Selectors {
			if ds.Key == nil || slices.ContainsFunc(d.Findings, func(f Finding) bool { return f.Code == "dkim.multiple" && f.Name == ds.Name }) {
				continue
			}
			for _, k := range signersOf(keys, d.Domain, ds.Selector) {
				changed = true
				f, bad := SigningRecordFault(ds.Name, ds.Record, ds.Key, k, publishSigningKey(ds, k))
				if !bad {
					d.Findings = append(d.Findings, Finding{Check: "dkim", Severity: SevInfo, Code: "dkim.match", Name: ds.Name, Record: ds.Record, RFC: "RFC 6376 3.6.1",
						Message: fmt.Sprintf("selector %q publishes the public half of %s, the key %s signs %s's mail with: receivers can verify the relay's signatures", ds.Selector, k.File, k.Source, d.Domain)})
					continue
				}
				if k.Record != "" {
					// An alias's record is published at its target.
					f.Publish = &Publish{Name: strings.TrimSuffix(cmp.Or(ds.CNAME, ds.Name), "."), Type: "TXT", Value: k.Record}
				}
				if f.Code == "dkim.revoked" {
					d.Findings = slices.DeleteFunc(d.Findings, func(o Finding) bool { return o.Code == "dkim.revoked" && o.Name == ds.Name })
				}
				d.Findings = append(d.Findings, f)
			}
		}
		if changed {
			rep.dkimRegraded()
		}
	}
}

// publishSigningKey is what a watched record that is not the relay's
// key k asks for: k's record, which dkim check prints as a zone file
// line, quoted here when known.
func publishSigningKey(ds DKIMSelector, k SigningKey) string {
	at := ds.Name
	if ds.CNAME != "" {
		at = strings.TrimSuffix(ds.CNAME, ".") + " (the target of the alias " + ds.Name + ")"
	}
	if k.Record == "" {
		return "publish the record relaylab dkim check --config prints at " + at
	}
	return fmt.Sprintf("publish %q at %s, the public half of %s (relaylab dkim check --config prints it as a zone file line)", k.Record, at, k.File)
}

// DKIMRecordMatches reports whether the p= of a DKIM key record is pub:
// for RSA, as a DER SubjectPublicKeyInfo or, as some publish it, a bare
// PKCS#1 key; for Ed25519, the 32 raw bytes (RFC 8463 4.2).
func DKIMRecordMatches(record string, pub crypto.PublicKey) bool {
	der, ok := dkimPublicBytes(record)
	if !ok {
		return false
	}
	switch pub := pub.(type) {
	case ed25519.PublicKey:
		return bytes.Equal(der, pub)
	case *rsa.PublicKey:
		if got, err := x509.ParsePKIXPublicKey(der); err == nil {
			return pub.Equal(got)
		}
		if got, err := x509.ParsePKCS1PublicKey(der); err == nil {
			return pub.Equal(got)
		}
	}
	return false
}

// signersOf are the signing keys of domain and selector.
func signersOf(keys []SigningKey, domain, selector string) []SigningKey {
	var out []SigningKey
	for _, k := range keys {
		if NormalizeTarget(k.Domain) == NormalizeTarget(domain) && strings.EqualFold(k.Selector, selector) {
			out = append(out, k)
		}
	}
	return out
}

// signerNote says what a confirmed change of the DKIM record of k's
// domain and selector does to the relay's signatures: a key file that no
// longer matches the record (or matches it again), or a record gone while
// the relay still signs with it.
func signerNote(k SigningKey, old, cur string) string {
	where := fmt.Sprintf("%s's key file (%s)", k.Source, k.File)
	if cur == "" {
		return fmt.Sprintf("%s still signs %s's mail with selector %s, which has no key now: receivers find no key (\"no key for signature\", RFC 6376 6.1.2) and every signature fails; publish its key again (relaylab dkim check --config prints the record), or move %s to a selector that has one",
			k.Source, k.Domain, k.Selector, k.Source)
	}
	was, is := old != "" && DKIMRecordMatches(old, k.Public), DKIMRecordMatches(cur, k.Public)
	switch {
	case is && !was:
		return fmt.Sprintf("%s matches the key published for selector %s again: the relay's signatures for %s can verify", where, k.Selector, k.Domain)
	case !is:
		how := "no longer matches"
		if old != "" && !was {
			how = "does not match"
		}
		return fmt.Sprintf("%s %s the key published for selector %s: every signature the relay makes for %s with it fails DKIM (\"signature did not verify\", RFC 6376 6.1.3); point key_file at the private key of the new record, or publish the public key of %s again (relaylab dkim check --config prints the record)",
			where, how, k.Selector, k.Domain, k.File)
	}
	return ""
}

// dkimPublicBytes are the bytes of a DKIM key record's p=; false when it
// has none, or not in base64.
func dkimPublicBytes(record string) ([]byte, bool) {
	var p string
	for _, part := range strings.Split(record, ";") {
		if name, val, ok := strings.Cut(part, "="); ok && strings.TrimSpace(name) == "p" {
			p = strings.Join(strings.Fields(val), "")
		}
	}
	der, err := base64.StdEncoding.DecodeString(p)
	return der, err == nil && p != ""
}

// dkimFingerprint names the key of a DKIM record in a few characters:
// "SHA256:" and the first 16 hex digits of the SHA-256 of its p= bytes;
// "" for a record without a key.
func dkimFingerprint(record string) string {
	der, ok := dkimPublicBytes(record)
	if !ok {
		return ""
	}
	sum := sha256.Sum256(der)
	return "SHA256:" + hex.EncodeToString(sum[:])[:16]
}

// fingerprintNote tells two keys apart where their records, shortened,
// read the same (every 2048-bit RSA key's starts alike): "new key
// SHA256:..., old key SHA256:...".
func fingerprintNote(old, cur string) string {
	o, n := dkimFingerprint(old), dkimFingerprint(cur)
	if o == "" || n == "" || o == n {
		return ""
	}
	return fmt.Sprintf("new key %s, old key %s", n, o)
}
