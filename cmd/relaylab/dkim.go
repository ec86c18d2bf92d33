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
	"strings"

	"github.com/relaylab/relaylab/relay"
)

func init() {
	register(command{"dkim", "make a DKIM key and print the DNS record that publishes it", runDKIM})
}

func runDKIM(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "dkim", `keygen --domain D --selector S [--type rsa|ed25519] [--bits N] --out FILE

Makes a DKIM signing key, writes it to --out (which must not exist), and
prints the DNS TXT record to publish at SELECTOR._domainkey.DOMAIN; the
relay signs with it when relay.dkim names the file. Exit status: 0 when
written, 2 for bad flags or an --out that exists, 1 when it cannot be
written.`)
	domain := fs.String("domain", "", "the signing domain (d=)")
	selector := fs.String("selector", "", "the selector (s=), one DNS label such as s2026")
	typ := fs.String("type", "rsa", "rsa or ed25519 (RFC 8463)")
	bits := fs.Int("bits", 2048, "rsa: key size (1024 to 4096)")
	out := fs.String("out", "", "write the private key here (PEM, PKCS#8, mode 0600); it must not exist")
	if err := parseFlags(fs, interleaveFor(fs, args)); err != nil {
		return err
	}
	if fs.NArg() != 1 || fs.Arg(0) != "keygen" {
		fs.Usage()
		return usageError("the one action is keygen")
	}
	if *domain == "" || *selector == "" || *out == "" {
		return usageError("dkim keygen: --domain, --selector and --out are required")
	}
	d, err := domainName(*domain)
	if err != nil {
		return usageError("dkim keygen: --domain %v", err)
	}
	if err := selectorName(*selector); err != nil {
		return usageError("dkim keygen: %v", err)
	}
	if strings.Contains(*selector, ".") {
		return usageError("dkim keygen: --selector %q must be one DNS label", *selector)
	}
	bitsGiven := false
	fs.Visit(func(f *flag.Flag) { bitsGiven = bitsGiven || f.Name == "bits" })
	var key crypto.Signer
	switch *typ {
	case "rsa":
		if *bits < 1024 || *bits > 4096 {
			return usageError("dkim keygen: --bits %d: want 1024 to 4096 (RFC 8301 requires at least 1024; 2048 is usual)", *bits)
		}
		if *bits < 2048 {
			fmt.Fprintf(e.stderr, "note: a %d-bit RSA key is allowed (RFC 8301 3.2) but weak, and 2048 bits is the current recommendation: use --bits 2048 unless the DNS host cannot hold the longer record\n", *bits)
		}
		k, err := rsa.GenerateKey(rand.Reader, *bits)
		if err != nil {
			return err
		}
		key = k
	case "ed25519":
		if bitsGiven {
			// An ed25519 key has one size: taking --bits and ignoring it
			// would let a user believe a 4096-bit key was made.
			return usageError("dkim keygen: --bits %d applies to RSA keys only: an ed25519 key is always 256 bits (RFC 8463); leave out --bits, or use --type rsa", *bits)
		}
		_, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return err
		}
		key = k
	default:
		return usageError("dkim keygen: --type %q: want rsa or ed25519", *typ)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		// The caller named a file that is there: bad input, exit 2.
		return usageError("dkim keygen: --out %s already exists (choose another --out; an existing key is never overwritten)", *out)
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
	rec, err := relay.DNSRecord(key)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "wrote the private key to %s; publish this record, then add to the config:\n  relay:\n    dkim:\n      - {domain: %s, selector: %s, key_file: %s}\n\n", *out, d, *selector, *out)
	fmt.Fprintf(e.stdout, "%s._domainkey.%s. IN TXT %s\n", *selector, d, txtStrings(rec))
	return nil
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
