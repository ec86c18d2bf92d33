package relay

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/mail"
	"os"
	"strings"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/mailtext"
	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

// DKIMConfig signs the mail of one sending domain.
type DKIMConfig struct {
	Domain   string `yaml:"domain"`
	Selector string `yaml:"selector"`
	// KeyFile is a PEM private key: PKCS#8 (RSA or Ed25519) or PKCS#1 RSA.
	KeyFile string `yaml:"key_file"`
}

// validate checks d, written at key k, and returns its key.
func (d DKIMConfig) validate(k string) (crypto.Signer, error) {
	if _, err := dkimDomain(d.Domain); err != nil {
		return nil, config.Errorf(k+".domain", "%v", err)
	}
	if err := CheckSelector(d.Selector); err != nil {
		return nil, config.Errorf(k+".selector", "the selector of %s's key: %v", d.Domain, err)
	}
	if d.KeyFile == "" {
		return nil, config.Errorf(k+".key_file", "a DKIM key file is required (make one with `relaylab dkim keygen`)")
	}
	key, err := loadDKIMKey(d.KeyFile)
	if err != nil {
		return nil, config.Errorf(k+".key_file", "%v", err)
	}
	return key, nil
}

// keyType names the type of a DKIM key as messages do: "RSA" or
// "Ed25519" ("" for another, which ParsePrivateKey does not return).
func keyType(key crypto.Signer) string {
	switch key.(type) {
	case *rsa.PrivateKey:
		return "RSA"
	case ed25519.PrivateKey:
		return "Ed25519"
	}
	return ""
}

// otherKeyType is the key type a domain with a key of type t may have a
// second key of, and the --type of relaylab dkim keygen that makes one.
func otherKeyType(t string) (string, string) {
	if t == "RSA" {
		return "Ed25519", "ed25519"
	}
	return "RSA", "rsa"
}

// validateDKIM checks each entry of cfgs (DKIMConfig.validate), and
// refuses two of one domain (as dkimDomain writes it, so "Shop.Test." is
// shop.test) with one selector, or with keys of one type; at gives an
// entry's key ("relay.dkim[0]"). A domain signs
// with one RSA and one Ed25519 key at most: Ed25519 (RFC 8463) goes
// beside RSA, which receivers that do not implement Ed25519 still verify,
// and two keys of one type only make two signatures that every receiver
// checks alike.
func validateDKIM(cfgs []DKIMConfig, at func(i int) string) error {
	keys := make([]crypto.Signer, len(cfgs))
	for i, d := range cfgs {
		var err error
		if keys[i], err = d.validate(at(i)); err != nil {
			return err
		}
	}
	seen := map[string][]int{}
	for i, d := range cfgs {
		name, _ := dkimDomain(d.Domain)
		for _, j := range seen[name] {
			o := cfgs[j]
			if strings.EqualFold(o.Selector, d.Selector) {
				return config.Errorf(at(i)+".domain", "%q is the domain %s of dkim[%d] again, with the same selector %s: both keys would be published at %s._domainkey.%s, and a name with two key records gives verifiers undefined results (RFC 6376 3.6.2.2), so one of the signatures fails; give each key its own selector, or remove one of them",
					d.Domain, name, j, d.Selector, strings.ToLower(d.Selector), name)
			}
			if t := keyType(keys[i]); t == keyType(keys[j]) {
				other, flag := otherKeyType(t)
				return config.Errorf(at(i)+".domain", "%q is the domain %s of dkim[%d] again, and both are %s keys (%s and %s): a domain signs with one RSA and one Ed25519 key at most, the Ed25519 signature for the receivers that implement it (RFC 8463) and the RSA one for all; remove one of them, or make this one an %s key (relaylab dkim keygen --type %s)",
					d.Domain, name, j, t, o.KeyFile, d.KeyFile, other, flag)
			}
		}
		seen[name] = append(seen[name], i)
	}
	return nil
}

// ed25519Only returns the index of each entry of cfgs whose domain has no
// other key and whose key is Ed25519, for Config.Warnings: receivers that
// do not implement Ed25519 (RFC 8463 is from 2018, and many still do not)
// cannot verify its signature, so that mail is unsigned to them. A key
// file that cannot be read is left out: Validate refuses it.
func ed25519Only(cfgs []DKIMConfig) []int {
	count := map[string]int{}
	for _, d := range cfgs {
		name, _ := dkimDomain(d.Domain)
		count[name]++
	}
	var out []int
	for i, d := range cfgs {
		name, _ := dkimDomain(d.Domain)
		if count[name] != 1 {
			continue
		}
		if key, err := loadDKIMKey(d.KeyFile); err == nil && keyType(key) == "Ed25519" {
			out = append(out, i)
		}
	}
	return out
}

// CheckSelector checks a selector the relay signs with (s=, and the
// name SELECTOR._domainkey.DOMAIN its key is published at): one DNS label
// of letters, digits and hyphens that neither starts nor ends with a
// hyphen, at most 63 octets. RFC 6376 3.1 makes a selector a sub-domain,
// RFC 5321 4.1.2's Let-dig [Ldh-str], so an underscore or any other
// character, which DNS itself would store, makes a signature that
// verifiers which check the grammar may refuse. A selector of several
// labels (RFC 6376 3.1 allows them) is refused too: the relay names keys
// by one.
func CheckSelector(s string) error {
	const want = "give one DNS label of letters, digits and hyphens, such as s2026"
	switch {
	case s == "":
		return fmt.Errorf("no selector: %s", want)
	case strings.Contains(s, "."):
		return fmt.Errorf("%q is not one DNS label: %s", s, want)
	case len(s) > 63:
		// RFC 1035 2.3.4: a label is at most 63 octets.
		return fmt.Errorf("%q is %d characters long, and a DNS label holds at most 63 (RFC 1035 2.3.4): %s", s, len(s), want)
	case s[0] == '-' || s[len(s)-1] == '-':
		return fmt.Errorf("%q starts or ends with a hyphen, which a selector may not (RFC 6376 3.1: a sub-domain, RFC 5321 Ldh-str): %s", s, want)
	}
	for _, c := range s {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' {
			continue
		}
		return fmt.Errorf("%q holds %q: a selector is a sub-domain of letters, digits and hyphens (RFC 6376 3.1, after RFC 5321 Let-dig and Ldh-str), so a signature with it is malformed and a verifier that checks the grammar may refuse it (dkim=permerror): %s", s, c, want)
	}
	return nil
}

// dkimDomain is a configured signing domain as keyFor looks it up, and as
// a signature's d= names it: lower case, without a trailing dot (an
// absolute name, "shop.test.", is the same domain), and an IDN in A-labels
// (RFC 5890 2.3.2.1; "bücher.test" becomes "xn--bcher-kva.test"). Before,
// "shop.test." was taken and never matched, and mail went out unsigned.
func dkimDomain(s string) (string, error) {
	d := strings.ToLower(strings.TrimSuffix(s, "."))
	if d == "" || strings.ContainsAny(d, " @") || strings.Contains(d, "..") || strings.HasPrefix(d, ".") {
		return "", fmt.Errorf("%q is not a domain", s)
	}
	if !isASCII(d) {
		a, err := idna.Lookup.ToASCII(d)
		if err != nil {
			return "", fmt.Errorf("%q is not a domain name that can be written in A-labels (RFC 5891): %v", s, err)
		}
		d = a
	}
	return d, nil
}

// loadDKIMKey reads and checks the private key in file.
func loadDKIMKey(file string) (crypto.Signer, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading the DKIM key: %w (make one with `relaylab dkim keygen`)", err)
	}
	key, err := ParsePrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w (make one with `relaylab dkim keygen`)", file, err)
	}
	// RFC 8301 3.2: signers use RSA keys of at least 1024 bits, and
	// verifiers may ignore signatures with shorter ones.
	if k, ok := key.(*rsa.PrivateKey); ok && k.N.BitLen() < 1024 {
		return nil, fmt.Errorf("%s: an RSA key of %d bits, and verifiers ignore signatures made with keys under 1024 bits (RFC 8301 3.2): make a 2048-bit key with `relaylab dkim keygen`", file, k.N.BitLen())
	}
	return key, nil
}

// dkimSigner signs messages whose From domain (or, without one, envelope
// sender domain), or a parent of it within its organisational domain, has
// a key (see keyFor).
type dkimSigner struct {
	keys map[string]dkimKey
	log  *slog.Logger
}

type dkimKey struct {
	selector string
	signer   crypto.Signer
	// beside is the domain's Ed25519 key when it has an RSA key too
	// (RFC 8463); it signs first (signOrder).
	beside *dkimKey
}

// signOrder is the keys a domain signs with, in the order they sign. RFC
// 6376 5.6 puts each new DKIM-Signature above those already there, so
// RSA, the key every receiver can verify, signs last and its field comes
// first, for verifiers that check only the first signatures (RFC 6376 6.1
// lets them limit how many they check).
func (k dkimKey) signOrder() []dkimKey {
	if k.beside == nil {
		return []dkimKey{k}
	}
	return []dkimKey{*k.beside, {selector: k.selector, signer: k.signer}}
}

func newDKIMSigner(cfgs []DKIMConfig, log *slog.Logger) (*dkimSigner, error) {
	s := &dkimSigner{keys: map[string]dkimKey{}, log: log}
	for _, c := range cfgs {
		key, err := loadDKIMKey(c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("relay: DKIM key for %s: %w", c.Domain, err)
		}
		if w := KeyFileExposed(c.KeyFile); w != "" {
			log.Warn("relay: "+w, "file", c.KeyFile, "domain", c.Domain)
		}
		if err := s.add(c.Domain, dkimKey{selector: c.Selector, signer: key}); err != nil {
			return nil, fmt.Errorf("relay: DKIM key for %s: %w", c.Domain, err)
		}
	}
	return s, nil
}

// add keeps k as a key of domain, written as keyFor looks it up
// (dkimDomain): its only key, or its second, of the other type
// (validateDKIM refuses more in the configuration).
func (s *dkimSigner) add(domain string, k dkimKey) error {
	d, err := dkimDomain(domain)
	if err != nil {
		return err
	}
	have, ok := s.keys[d]
	switch {
	case !ok:
		s.keys[d] = k
	case have.beside != nil || keyType(have.signer) == keyType(k.signer):
		return fmt.Errorf("%s has a key of type %s with selector %s already: a domain signs with one RSA and one Ed25519 key at most", d, keyType(have.signer), have.selector)
	case keyType(k.signer) == "RSA":
		k.beside = &have
		s.keys[d] = k
	default:
		have.beside = &k
		s.keys[d] = have
	}
	return nil
}

// ParsePrivateKey reads a PEM RSA or Ed25519 private key.
func ParsePrivateKey(b []byte) (crypto.Signer, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, errors.New("no PEM block: want a PEM private key")
	}
	switch block.Type {
	case "RSA PRIVATE KEY":
		return x509.ParsePKCS1PrivateKey(block.Bytes)
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		switch k := k.(type) {
		case *rsa.PrivateKey:
			return k, nil
		case ed25519.PrivateKey:
			return k, nil
		}
		return nil, fmt.Errorf("key type %T: want RSA or Ed25519", k)
	}
	return nil, fmt.Errorf("PEM block %q: want PRIVATE KEY or RSA PRIVATE KEY", block.Type)
}

// DNSRecord returns the DKIM TXT record value for key's public half
// (RFC 6376 3.6.1; RFC 8463 for Ed25519).
func DNSRecord(key crypto.Signer) (string, error) {
	switch pub := key.Public().(type) {
	case *rsa.PublicKey:
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			return "", err
		}
		return "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der), nil
	case ed25519.PublicKey:
		return "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub), nil
	}
	return "", fmt.Errorf("key type %T: want RSA or Ed25519", key.Public())
}

// Sign is SignQueued for a message without a queue id.
func (s *dkimSigner) Sign(sender string, data []byte) []byte {
	return s.SignQueued("", sender, data)
}

// SignQueued returns data, the message of queue id id, with a
// DKIM-Signature for each key of its domain (see keyFor); on any failure
// it logs, with id, and returns data without that signature (an unsigned
// message is still deliverable).
func (s *dkimSigner) SignQueued(id, sender string, data []byte) []byte {
	warn := func(msg string, args ...any) {
		if id != "" {
			args = append([]any{"id", id}, args...)
		}
		s.log.Warn(msg, args...)
	}
	domain := strings.ToLower(domainOf(sender))
	m, err := mail.ReadMessage(bytes.NewReader(data))
	if err == nil && len(m.Header["From"]) > 1 {
		// RFC 5322 3.6 allows one From field. Receivers refuse mail with
		// more (Gmail does), and DMARC cannot tell which author to check
		// (RFC 7489 6.6.1); a signature would vouch for a From the reader
		// may be shown that is not the signer's (RFC 6376 8.15). The
		// submission listener should refuse such mail; this catches
		// what comes in another way (HTTP, the CLI, a queue from before).
		if s.signsAny(sender, m.Header["From"]) {
			warn(fmt.Sprintf("relay: not signing a message with %d From fields: RFC 5322 3.6 allows one, and receivers such as Gmail refuse such mail, signed or not; the sender must write one From field", len(m.Header["From"])),
				"sender", sender, "from", strings.Join(m.Header["From"], " | "))
		}
		return data
	}
	var fromFault error // the From field is there but is not one address
	if err == nil && m.Header.Get("From") != "" {
		// The display name's encoded-words are not decoded: a name in
		// windows-1252 made the From unreadable, and the message was
		// signed for the envelope domain, which does not align.
		from, err := fromAddressParser.Parse(m.Header.Get("From"))
		if err == nil {
			domain = strings.ToLower(domainOf(from.Address))
		} else {
			fromFault = err
		}
	}
	domain, k, ok := s.keyFor(domain)
	if fromFault != nil {
		// Said once the key is looked up: with none for the envelope
		// sender's domain, nothing is signed, and "signing" was untrue.
		if ok {
			warn("relay: the From field is not one address; signing for the envelope sender's domain, which DMARC may not align with the From",
				"from", m.Header.Get("From"), "sender", sender, "domain", domain, "err", fromFault)
		} else {
			warn("relay: not signing: the From field is not one address, so the relay cannot tell its domain, and the envelope sender's domain has no relay.dkim key; the message goes out unsigned, and the sender must write one address in the From field",
				"from", m.Header.Get("From"), "sender", sender, "err", fromFault)
		}
	}
	if !ok {
		return data
	}
	// Each signature covers the same fields, not the other's
	// DKIM-Signature: either verifies alone.
	fields := signedFields(data)
	out := data
	for _, key := range k.signOrder() {
		var b bytes.Buffer
		err = dkim.Sign(&b, bytes.NewReader(out), &dkim.SignOptions{
			Domain: domain, Selector: key.selector, Signer: key.signer,
			HeaderCanonicalization: dkim.CanonicalizationRelaxed, BodyCanonicalization: dkim.CanonicalizationRelaxed,
			HeaderKeys: fields,
		})
		if err != nil {
			warn("relay: DKIM signing failed; the message goes out without this signature", "domain", domain, "selector", key.selector, "key_type", keyType(key.signer), "err", err)
			continue
		}
		out = b.Bytes()
	}
	return out
}

// signsAny reports whether the relay has a key for the domain of the
// sender or of an address in one of the From fields: whether leaving the
// message unsigned is worth a word.
func (s *dkimSigner) signsAny(sender string, froms []string) bool {
	domains := []string{domainOf(sender)}
	for _, f := range froms {
		if as, err := fromAddressParser.ParseList(f); err == nil {
			for _, a := range as {
				domains = append(domains, domainOf(a.Address))
			}
		}
	}
	for _, d := range domains {
		if _, _, ok := s.keyFor(strings.ToLower(d)); ok {
			return true
		}
	}
	return false
}

// fromAddressParser reads the From field without decoding its display
// name beyond the charsets net/mail knows: the address is what counts.
var fromAddressParser = mail.AddressParser{WordDecoder: &mime.WordDecoder{
	CharsetReader: func(_ string, r io.Reader) (io.Reader, error) { return r, nil },
}}

// dkimFields are the fields the relay signs when the message has them, in
// the order h= lists them. Besides the usual ones (RFC 6376 5.4.1), the
// List-* fields and Feedback-ID: RFC 8058 4 requires List-Unsubscribe and
// List-Unsubscribe-Post to be signed for one-click unsubscribe, which
// Gmail and Yahoo ask of bulk senders.
var dkimFields = []string{
	"From", "Sender", "Reply-To", "To", "Cc", "Subject", "Date", "Message-ID",
	"In-Reply-To", "References", "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
	"List-Id", "List-Unsubscribe", "List-Unsubscribe-Post", "List-Help", "List-Subscribe", "List-Post", "List-Owner", "List-Archive",
	"Feedback-ID",
}

// signedFields is the h= list for data: each field of dkimFields as many
// times as the message has it, and From once more. A field the message
// lacks is not listed: listing it signs its absence (RFC 6376 5.4), and a
// later hop that adds it as it may (Postfix and Exchange add a missing
// Date) broke the signature. From alone is oversigned on purpose: it is
// the identity DMARC checks and the reader sees, and the extra entry makes
// a second From put above it (a forgery that some readers show) break the
// signature (RFC 6376 8.15). Subject is not oversigned: mailing lists
// that tag it break the signature anyway, and it is not an identity.
func signedFields(data []byte) []string {
	count := map[string]int{}
	for _, name := range fieldNames(data) {
		count[strings.ToLower(name)]++
	}
	var keys []string
	for _, f := range dkimFields {
		n := count[strings.ToLower(f)]
		if f == "From" {
			n++
		}
		for range n {
			keys = append(keys, f)
		}
	}
	return keys
}

// fieldNames are the names of the header fields of data, in order.
func fieldNames(data []byte) []string {
	var names []string
	for line := range mailtext.HeaderLines(data) {
		if line[0] == ' ' || line[0] == '\t' {
			continue // a folded line
		}
		if name, _, ok := bytes.Cut(line, []byte(":")); ok {
			names = append(names, string(bytes.TrimSpace(name)))
		}
	}
	return names
}

// keyFor returns the key to sign mail from domain with, and the domain it
// belongs to (the signature's d=): domain's own key, else that of its
// nearest parent that is still within its organisational domain. RFC 7489
// 3.1.1: under relaxed DKIM alignment, DMARC's default, a d= of the From
// domain's organisational domain aligns, so a key for shop.test passes
// DMARC for mail from relay.shop.test, as the relay's own DSNs from
// MAILER-DAEMON@<hostname> are. A key for a public suffix or above the
// organisational domain (test, co.uk) would align with nothing, and is
// never used for a longer name.
func (s *dkimSigner) keyFor(domain string) (string, dkimKey, bool) {
	domain = strings.TrimSuffix(domain, ".")
	if !isASCII(domain) {
		// An SMTPUTF8 message's From domain in U-labels: keys are kept in
		// A-labels (dkimDomain).
		if a, err := idna.Lookup.ToASCII(domain); err == nil {
			domain = a
		}
	}
	if k, ok := s.keys[domain]; ok {
		return domain, k, true
	}
	org, err := publicsuffix.EffectiveTLDPlusOne(domain)
	if err != nil {
		return "", dkimKey{}, false // domain is a public suffix, or no name
	}
	for d := domain; d != org; {
		_, parent, ok := strings.Cut(d, ".")
		if !ok {
			break
		}
		d = parent
		if k, ok := s.keys[d]; ok {
			return d, k, true
		}
	}
	return "", dkimKey{}, false
}
