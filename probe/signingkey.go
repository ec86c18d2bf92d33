package probe

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"fmt"
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
