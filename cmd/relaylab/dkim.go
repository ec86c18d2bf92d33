package main

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/relaylab/relaylab/relay"
)

func init() {
	register(command{"dkim", "make a DKIM key and print its DNS record, or check the relay's keys against DNS", runDKIM})
}

const dkimSynopsis = `keygen --domain D --selector S [--type rsa|ed25519] [--bits N] --out FILE
       relaylab dkim check (--config FILE | --domain D --selector S --key FILE) [--resolver IP:PORT | --zone FILE]... [--timeout D]

keygen makes a DKIM signing key, writes it to --out (which must not
exist), and prints the DNS TXT record to publish at
SELECTOR._domainkey.DOMAIN; the relay signs with it when relay.dkim names
the file. Exit status: 0 when written, 2 for bad flags or an --out that
exists, 1 when it cannot be written.

check looks up, as receivers will, the record of each key the relay signs
with (every relay.dkim key of --config, or the one --domain, --selector
and --key name) and says whether receivers can verify the relay's
signatures with it: a record that is missing (NXDOMAIN, or no TXT), does
not parse, is revoked (empty p=), is for another key type (k=), allows no
sha256 (h=) or no email (s=), or above all publishes another public key
than the key file's (a key rotated without its record) fails every
signature; a record in testing (t=y), a key file every user may read and
an RSA key under 2048 bits are warnings. Each finding says what is wrong,
what receivers do about it and what to do, and every key whose record
must change gets the exact record to publish. It asks --resolver, or the
servers --zone serves on 127.0.0.1, or else relay.resolvers of --config,
or else the system's (/etc/resolv.conf): the answer receivers get is the
public DNS's, so ask a resolver that sees it.

Example: relaylab dkim check --config relaylab.yaml

Exit status (check): 0 when every record is in order (warnings allowed),
1 when a key would fail at receivers, 2 for bad flags, a configuration
that does not load or one without relay.dkim keys, 3 when nothing would
fail but a lookup could not be completed (timeout, SERVFAIL).`

func runDKIM(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "dkim", dkimSynopsis)
	domain := fs.String("domain", "", "the signing domain (d=)")
	selector := fs.String("selector", "", "the selector (s=): DNS labels such as s2026, or s2026.eu")
	typ := fs.String("type", "rsa", "keygen: rsa or ed25519 (RFC 8463)")
	bits := fs.Int("bits", 2048, "keygen: rsa key size (1024 to 4096)")
	out := outputPathFlag(fs, "out", "keygen: write the private key to `FILE` (PEM, PKCS#8, mode 0600); it must not exist")
	var c dkimCheckFlags
	c.add(fs)
	if err := parseFlags(fs, interleaveFor(fs, args)); err != nil {
		return err
	}
	action := ""
	if fs.NArg() == 1 {
		action = fs.Arg(0)
	}
	only := func(names []string, other string) error {
		for _, n := range names {
			if flagGiven(fs, n) {
				return usageError("dkim %s: --%s applies to dkim %s only", action, n, other)
			}
		}
		return nil
	}
	switch action {
	case "keygen":
		if err := only(dkimCheckOnly, "check"); err != nil {
			return err
		}
		return dkimKeygen(e, fs, *domain, *selector, *typ, *bits, *out)
	case "check":
		if err := only([]string{"type", "bits", "out"}, "keygen"); err != nil {
			return err
		}
		c.domain, c.selector = *domain, *selector
		return dkimCheck(ctx, e, c)
	}
	if action != "" {
		return usageError("no action %q: dkim takes keygen or check (relaylab dkim --help)", action)
	}
	fs.Usage()
	return usageError("say keygen or check")
}

// dkimKeygen is dkim keygen.
func dkimKeygen(e *env, fs *flag.FlagSet, domain, selector, typ string, bits int, out string) error {
	if domain == "" || selector == "" || out == "" {
		return usageError("dkim keygen: --domain, --selector and --out are required")
	}
	d, err := domainName(domain)
	if err != nil {
		return usageError("dkim keygen: --domain %v", err)
	}
	// The selectors the relay signs with, as relay.dkim takes them.
	if err := relay.CheckSelector(selector); err != nil {
		return usageError("dkim keygen: --selector %v", err)
	}
	var key crypto.Signer
	switch typ {
	case "rsa":
		if bits < 1024 || bits > 4096 {
			return usageError("dkim keygen: --bits %d: want 1024 to 4096 (RFC 8301 requires at least 1024; 2048 is usual)", bits)
		}
		if bits < 2048 {
			fmt.Fprintf(e.stderr, "note: a %d-bit RSA key is allowed (RFC 8301 3.2) but weak, and 2048 bits is the current recommendation: use --bits 2048 unless the DNS host cannot hold the longer record\n", bits)
		}
		k, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			return err
		}
		key = k
	case "ed25519":
		if flagGiven(fs, "bits") {
			// An ed25519 key has one size: taking --bits and ignoring it
			// would let a user believe a 4096-bit key was made.
			return usageError("dkim keygen: --bits %d applies to RSA keys only: an ed25519 key is always 256 bits (RFC 8463); leave out --bits, or use --type rsa", bits)
		}
		_, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return err
		}
		key = k
	default:
		return usageError("dkim keygen: --type %q: want rsa or ed25519", typ)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		// The caller named a file that is there: bad input, exit 2.
		return usageError("dkim keygen: --out %s already exists (choose another --out; an existing key is never overwritten)", out)
	}
	if err != nil {
		return fmt.Errorf("dkim keygen: %w", err)
	}
	if err := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	line, err := dkimTXTLine(selector, d, key)
	if err != nil {
		return err
	}
	// The configuration takes a relative key_file from its own
	// directory, not from where keygen ran: the absolute name fits
	// wherever the configuration is.
	file := out
	if abs, err := filepath.Abs(out); err == nil {
		file = abs
	}
	fmt.Fprintf(e.stderr, "wrote the private key to %s; publish this record, then add to the config:\n  relay:\n    dkim:\n      - {domain: %s, selector: %s, key_file: %s}\n\n", file, d, selector, yamlScalar(file))
	for _, n := range keygenNotes(d, selector, typ, file) {
		fmt.Fprintf(e.stderr, "note: %s\n\n", n)
	}
	fmt.Fprintln(e.stdout, line)
	return nil
}

// keygenNotes are keygen's cautions about the key it made for domain: an
// Ed25519 key wants an RSA key beside it, and a key for a public suffix
// signs nothing.
func keygenNotes(domain, selector, typ, file string) []string {
	var out []string
	if typ == "ed25519" {
		out = append(out, ed25519Alone(domain, selector, "if it is the only key "+domain+" signs with, "))
	}
	if w := (relay.DKIMConfig{Domain: domain, Selector: selector, KeyFile: file}).SignsNothing(); w != "" {
		out = append(out, w)
	}
	return out
}

// ed25519Alone is the caution about an Ed25519 key of domain that no RSA
// key signs beside; cond says when it holds ("" when it does).
func ed25519Alone(domain, selector, cond string) string {
	return fmt.Sprintf("%sreceivers that do not implement Ed25519 (RFC 8463; many do not) treat the mail it signs as unsigned, and DMARC fails there unless SPF aligns: sign with an RSA key too (relaylab dkim keygen --domain %s --selector S --out FILE, with a selector other than %s, as a second relay.dkim entry for %s)",
		cond, domain, selector, domain)
}

// yamlScalar is s as a YAML flow scalar: as it is when it holds only
// characters no YAML flow context treats specially, else double-quoted.
func yamlScalar(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-+") == "" {
		return s
	}
	return strconv.Quote(s)
}

// dkimTXTLine is the zone file line that publishes key's public half for
// selector and domain (A-labels, no final dot): what keygen prints and
// what check asks to publish.
func dkimTXTLine(selector, domain string, key crypto.Signer) (string, error) {
	rec, err := relay.DNSRecord(key)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s._domainkey.%s. IN TXT %s", selector, domain, txtStrings(rec)), nil
}

// txtStrings splits a TXT value into quoted strings of at most 255 bytes
// (RFC 1035 3.3.14).
func txtStrings(v string) string {
	var parts []string
	for len(v) > 255 {
		parts = append(parts, `"`+v[:255]+`"`)
		v = v[255:]
	}
	parts = append(parts, `"`+v+`"`)
	if len(parts) == 1 {
		return parts[0]
	}
	return "( " + strings.Join(parts, " ") + " )"
}
