package relay

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
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
	if name := keyName(d.Selector, d.Domain); len(name) > 253 {
		// RFC 1035 2.3.4: a name is at most 255 octets, 253 written out.
		return nil, config.Errorf(k+".selector", "the key would be published at %s, which is %d characters long, and a DNS name holds at most 253 (RFC 1035 2.3.4): give a shorter selector", name, len(name))
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

// keyName is the name a key of selector for domain is published at
// (RFC 6376 3.6.2.1), with domain as dkimDomain writes it.
func keyName(selector, domain string) string {
	d, err := dkimDomain(domain)
	if err != nil {
		d = domain
	}
	return selector + "._domainkey." + d
}

// SignsNothing says, for Config.Warnings at relay.dkim[N].domain, why the
// relay signs no mail with d's key: its domain is a public suffix (com,
// co.uk, github.io, or a name of one label, which the Public Suffix List
// takes as a top-level domain). keyFor never uses such a key for a name
// under it, since its d= would align with no From domain (RFC 7489 3.2),
// and no one's mail comes from the suffix itself. "" for any other
// domain, and for one Validate refuses.
func (d DKIMConfig) SignsNothing() string {
	name, err := dkimDomain(d.Domain)
	if err != nil {
		return ""
	}
	if suffix, _ := publicsuffix.PublicSuffix(name); suffix != name {
		return ""
	}
	return fmt.Sprintf("%s is a public suffix, under which registrants get their own domains (Public Suffix List): the relay would sign with the key in %s only mail whose From domain is %s itself, which no one's is, and never mail from a domain under it, since a d=%s signature aligns with no organisation's From domain under DMARC (RFC 7489 3.2); so no mail is signed with this key. Give the domain that sends the mail (example.%s, not %s)",
		name, d.KeyFile, name, name, name, name)
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
// name SELECTOR._domainkey.DOMAIN its key is published at): one or more
// DNS labels separated by dots (RFC 6376 3.1: selector = sub-domain *(
// "." sub-domain ), so s1.sub and 2026.eu are selectors), each of
// letters, digits and hyphens that neither starts nor ends with a
// hyphen, at most 63 octets. A sub-domain is RFC 5321 4.1.2's Let-dig
// [Ldh-str], so an underscore or any other character, which DNS itself
// would store, makes a signature that verifiers which check the grammar
// may refuse.
func CheckSelector(s string) error {
	const want = "give DNS labels of letters, digits and hyphens, such as s2026 (or s2026.eu: RFC 6376 3.1 allows several, separated by dots)"
	if s == "" {
		return fmt.Errorf("no selector: %s", want)
	}
	for label := range strings.SplitSeq(s, ".") {
		switch {
		case label == "":
			return fmt.Errorf("%q has an empty label (a dot at its start or end, or two in a row): %s", s, want)
		case len(label) > 63:
			// RFC 1035 2.3.4: a label is at most 63 octets.
			return fmt.Errorf("%q: %s, and a DNS label holds at most 63 (RFC 1035 2.3.4): %s", s, labelSays(s, label, fmt.Sprintf("is %d characters long", len(label))), want)
		case label[0] == '-' || label[len(label)-1] == '-':
			return fmt.Errorf("%q: %s, which a selector may not (RFC 6376 3.1: a sub-domain, RFC 5321 Ldh-str): %s", s, labelSays(s, label, "starts or ends with a hyphen"), want)
		}
		for _, c := range label {
			if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' {
				continue
			}
			return fmt.Errorf("%q holds %q: a selector is a sub-domain of letters, digits and hyphens (RFC 6376 3.1, after RFC 5321 Let-dig and Ldh-str), so a signature with it is malformed and a verifier that checks the grammar may refuse it (dkim=permerror): %s", s, c, want)
		}
	}
	return nil
}

// labelSays is what of label, a label of the selector s, says: "it
// says" of a selector of one label, "its label %q says" of one of several.
func labelSays(s, label, says string) string {
	if s == label {
		return "it " + says
	}
	return fmt.Sprintf("its label %q %s", label, says)
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
	if errors.Is(err, fs.ErrNotExist) {
		// The name may be right and the directory not the one meant.
		return nil, fmt.Errorf("reading the DKIM key: %w (a key_file that is not absolute is taken from the configuration file's directory: check the name, or make the key with `relaylab dkim keygen --domain D --selector S --out FILE`)", err)
	}
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

// ParsePrivateKey reads a PEM RSA or Ed25519 private key. Any other key
// is refused saying what it is and which keys DKIM signs with, rather
// than in x509's words (an Ed448 key's "unknown algorithm:
// 1.3.101.113").
func ParsePrivateKey(b []byte) (crypto.Signer, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, errors.New("no PEM block: want a PEM private key (-----BEGIN PRIVATE KEY-----)")
	}
	switch block.Type {
	case "RSA PRIVATE KEY":
		return x509.ParsePKCS1PrivateKey(block.Bytes)
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			if what := pkcs8Algorithm(block.Bytes); what != "" {
				return nil, notDKIMKey(what)
			}
			return nil, err
		}
		switch k := k.(type) {
		case *rsa.PrivateKey:
			return k, nil
		case ed25519.PrivateKey:
			return k, nil
		case *ecdsa.PrivateKey:
			return nil, notDKIMKey("an ECDSA key (" + k.Curve.Params().Name + ")")
		case *ecdh.PrivateKey:
			return nil, notDKIMKey("an X25519 key, which is for key agreement, not signing")
		}
		return nil, notDKIMKey(fmt.Sprintf("a key of type %T", k))
	case "EC PRIVATE KEY":
		return nil, notDKIMKey("an ECDSA key (PEM block EC PRIVATE KEY)")
	case "ENCRYPTED PRIVATE KEY":
		return nil, errors.New("the key is encrypted with a passphrase, which the relay cannot give: write it unencrypted (openssl pkey -in FILE -out NEW asks for the passphrase and writes the key as PKCS#8), and keep the file readable by the relay alone")
	case "PUBLIC KEY":
		return nil, errors.New("a public key: key_file is the private key the relay signs with, and the public half goes in the DNS record")
	}
	return nil, fmt.Errorf("PEM block %q: want PRIVATE KEY or RSA PRIVATE KEY", block.Type)
}

// notDKIMKey refuses a private key of an algorithm DKIM does not sign
// with; what says which it is.
func notDKIMKey(what string) error {
	return fmt.Errorf("%s: DKIM signs with RSA keys (rsaEncryption, for rsa-sha256, RFC 6376 3.3) and Ed25519 keys (ed25519-sha256, RFC 8463) only", what)
}

// pkcs8Algorithms name the PKCS#8 key algorithms, by OID, that x509
// does not read or DKIM does not sign with.
var pkcs8Algorithms = map[string]string{
	"1.3.101.113":           "an Ed448 key",
	"1.3.101.111":           "an X448 key",
	"1.3.101.110":           "an X25519 key",
	"1.2.840.10040.4.1":     "a DSA key",
	"1.2.840.10045.2.1":     "an ECDSA key",
	"1.2.840.113549.1.1.10": "an RSASSA-PSS key",
}

// pkcs8Algorithm names the algorithm of the PKCS#8 key der (RFC 5208 5)
// when x509 could not read it: "an Ed448 key", or "a key of algorithm
// OID" for one not in pkcs8Algorithms; "" when der is not PKCS#8 at all.
func pkcs8Algorithm(der []byte) string {
	var p struct {
		Version int
		Algo    pkix.AlgorithmIdentifier
		Key     []byte
	}
	if _, err := asn1.Unmarshal(der, &p); err != nil || len(p.Algo.Algorithm) == 0 {
		return ""
	}
	oid := p.Algo.Algorithm.String()
	if name, ok := pkcs8Algorithms[oid]; ok {
		return name + " (algorithm " + oid + ")"
	}
	return "a key of algorithm " + oid
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
	h, _ := messageHeader(data)
	if froms := h["From"]; len(froms) > 1 {
		// RFC 5322 3.6 allows one From field. Receivers refuse mail with
		// more (Gmail does), and DMARC cannot tell which author to check
		// (RFC 7489 6.6.1); a signature would vouch for a From the reader
		// may be shown that is not the signer's (RFC 6376 8.15). The
		// relay refuses such mail when a key applies (checkFromFields,
		// at submission and Enqueue); this catches a message queued
		// before that, or before the key was configured.
		if _, ok := s.signsAny(sender, froms); ok {
			warn(fmt.Sprintf("relay: not signing a message with %d From fields: RFC 5322 3.6 allows one, and receivers such as Gmail refuse such mail, signed or not; the sender must write one From field", len(froms)),
				"sender", sender, "from", strings.Join(froms, " | "))
		}
		return data
	}
	domain, k, ok, fromFault := s.signingKey(sender, h)
	if fromFault != nil {
		// Said once the key is looked up: with none for the envelope
		// sender's domain, nothing is signed, and "signing" was untrue.
		if ok {
			warn("relay: the From field is not one address; signing for the envelope sender's domain, which DMARC may not align with the From",
				"from", h.Get("From"), "sender", sender, "domain", domain, "err", fromFault)
		} else {
			warn("relay: not signing: the From field is not one address, so the relay cannot tell its domain, and the envelope sender's domain has no relay.dkim key; the message goes out unsigned, and the sender must write one address in the From field",
				"from", h.Get("From"), "sender", sender, "err", fromFault)
		}
	}
	if !ok {
		return data
	}
	if note, octets, line := longLineNote(data); note != "" {
		warn("relay: signing a message with a line too long for some next hops: "+note, "domain", domain, "octets", octets, "line", line)
	}
	// Each signature covers the same fields, not the other's
	// DKIM-Signature: either verifies alone.
	fields := signedFields(data)
	out := data
	for _, key := range k.signOrder() {
		var b bytes.Buffer
		err := dkim.Sign(&b, bytes.NewReader(out), &dkim.SignOptions{
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

// messageHeader is the header of data as SignQueued reads it (nil when
// net/mail cannot read it, and the message is signed for its envelope
// sender's domain).
func messageHeader(data []byte) (mail.Header, error) {
	m, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	return m.Header, nil
}

// signingKey returns the key SignQueued signs a message with header h
// (one From field at most) from sender with, and its domain (d=): that
// of the From domain, or of the envelope sender's domain when the
// message has no From, or one that is not one address (fromFault).
func (s *dkimSigner) signingKey(sender string, h mail.Header) (domain string, k dkimKey, ok bool, fromFault error) {
	domain = strings.ToLower(domainOf(sender))
	if v := h.Get("From"); v != "" {
		// The display name's encoded-words are not decoded: a name in
		// windows-1252 made the From unreadable, and the message was
		// signed for the envelope domain, which does not align.
		from, err := fromAddressParser.Parse(v)
		if err == nil {
			domain = strings.ToLower(domainOf(from.Address))
		} else {
			fromFault = err
		}
	}
	domain, k, ok = s.keyFor(domain)
	return domain, k, ok, fromFault
}

// signsAny returns the domain of a key the relay has for the domain of
// the sender or of an address in one of the From fields: whether leaving
// the message unsigned is worth a word, or refusing it (several From
// fields) a reply.
func (s *dkimSigner) signsAny(sender string, froms []string) (string, bool) {
	domains := []string{domainOf(sender)}
	for _, f := range froms {
		if as, err := fromAddressParser.ParseList(f); err == nil {
			for _, a := range as {
				domains = append(domains, domainOf(a.Address))
			}
		}
	}
	for _, d := range domains {
		if key, _, ok := s.keyFor(strings.ToLower(d)); ok {
			return key, true
		}
	}
	return "", false
}

// unsignedFroms returns, for a message from sender with more than one
// From field that a key of the relay's applies to (signsAny), how many
// From fields it has and that key's domain: SignQueued leaves such a
// message unsigned, so the submission listener refuses it. 0 for any
// other message.
func (s *dkimSigner) unsignedFroms(sender string, data []byte) (int, string) {
	h, _ := messageHeader(data)
	froms := h["From"]
	if len(froms) < 2 {
		return 0, ""
	}
	domain, ok := s.signsAny(sender, froms)
	if !ok {
		return 0, ""
	}
	return len(froms), domain
}

// FromFieldsError refuses a message with more than one From field that
// a relay.dkim key applies to (dkimSigner.unsignedFroms): the signer
// would leave it unsigned (SignQueued), so it would go out to fail
// DMARC. Enqueue returns it, and errors.Is finds ErrInvalidSubmission in
// it (the HTTP API answers 400); the submission listener says its
// Reason in a 554 5.6.0 at the final dot.
type FromFieldsError struct {
	Fields int    // how many From fields the message has
	Domain string // the domain of the key that applies
}

// Reason is the refusal in words, for the sender: what is wrong, why it
// matters and what to do.
func (e *FromFieldsError) Reason() string {
	return fmt.Sprintf("the message has %d From fields, and RFC 5322 3.6 allows one: the relay signs %s's mail with DKIM but cannot sign this, so it would go out unsigned and fail DMARC; write one From field and send it again",
		e.Fields, e.Domain)
}

func (e *FromFieldsError) Error() string        { return "relay: " + e.Reason() }
func (e *FromFieldsError) Is(target error) bool { return target == ErrInvalidSubmission }

// checkFromFields refuses, with a *FromFieldsError, a message from sender
// with several From fields that a relay.dkim key applies to, for every
// way in (the submission listener, Enqueue: the HTTP API, replay, the
// sink's bounces), and logs the refusal with client. A message no key
// applies to is taken: the relay signs nothing for it, and passing
// malformed mail on as it came is what a test relay is for (the next hop
// judges it).
func (r *Relay) checkFromFields(sender string, data []byte, client string) error {
	s, ok := r.signer.(*dkimSigner)
	if !ok || s == nil {
		return nil
	}
	n, domain := s.unsignedFroms(sender, data)
	if n == 0 {
		return nil
	}
	r.log.Info("relay: refused a message with several From fields, which it would not sign", "from_fields", n, "domain", domain,
		"sender", sender, "client", client)
	return &FromFieldsError{Fields: n, Domain: domain}
}

// maxLineOctets is the longest line RFC 5322 2.1.1 allows, without its
// CRLF. Postfix's smtp_line_length_limit (998 by default, 990 up to
// Postfix 2.8) breaks a longer line it sends by inserting CRLF and a
// space, and other MTAs wrap or refuse such lines: any of it changes the
// body (or header) a DKIM signature covers.
const maxLineOctets = 998

// longLineNote says, of a message the relay signs, that its longest line
// is over maxLineOctets and what that does to the signature, with that
// line's length in octets (without CRLF) and its number, counted from
// the top of the message as queued; "" when no line is that long. RFC
// 5321 4.5.3.1.6 lets a server take longer lines, so the message is not
// refused: the sender is told to encode or wrap.
func longLineNote(data []byte) (note string, octets, line int) {
	body := 0 // the number of the body's first line; 0 while in the header
	for n, l := range messageLines(data) {
		l = bytes.TrimRight(l, "\r\n")
		if body == 0 && len(l) == 0 {
			body = n + 1
		}
		if len(l) > octets {
			octets, line = len(l), n
		}
	}
	if octets <= maxLineOctets {
		return "", 0, 0
	}
	where := fmt.Sprintf("line %d of the header", line)
	if body > 0 && line >= body {
		where = fmt.Sprintf("line %d of the body", line-body+1)
	}
	return fmt.Sprintf("its longest line (%s) is %d octets, over the %d that RFC 5322 2.1.1 allows; a next hop may wrap it (Postfix's smtp_line_length_limit breaks lines over %d), which breaks the DKIM signature (dkim=fail, and DMARC fails unless SPF aligns): encode the body quoted-printable or base64, or wrap its lines",
		where, octets, maxLineOctets, maxLineOctets), octets, line
}

// queuedNotes are the notes on a message from sender that the relay will
// sign, for the notes of its relay.queued events (QueuedNotes; queue
// show shows them): a line too long for some next hops (longLineNote).
// None when the relay signs nothing for it. SignQueued logs the same at
// WARN when it signs.
func (r *Relay) queuedNotes(sender string, data []byte) []string {
	s, ok := r.signer.(*dkimSigner)
	if !ok || s == nil {
		return nil
	}
	h, _ := messageHeader(data)
	if len(h["From"]) > 1 {
		return nil // not signed (unsignedFroms)
	}
	if _, _, ok, _ := s.signingKey(sender, h); !ok {
		return nil
	}
	if note, _, _ := longLineNote(data); note != "" {
		return []string{"the relay signs this message with DKIM, and " + note}
	}
	return nil
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
