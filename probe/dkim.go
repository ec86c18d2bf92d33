package probe

import (
	"bytes"
	"cmp"
	"context"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/relaylab/relaylab/internal/resolver"
)

// DKIMKey is a parsed DKIM key record (RFC 6376 3.6.1).
type DKIMKey struct {
	KeyType  string   `json:"k"`           // rsa or ed25519
	Bits     int      `json:"bits"`        // key size; 0 when revoked
	Hashes   []string `json:"h,omitempty"` // acceptable hashes; empty means all
	Flags    []string `json:"t,omitempty"` // y (testing), s (strict)
	Services []string `json:"s,omitempty"`
	Revoked  bool     `json:"revoked"` // empty p= (RFC 6376 3.6.1)
}

// ErrDKIMKey is wrapped by ParseDKIMKey errors.
var ErrDKIMKey = errors.New("DKIM key record error")

// ParseDKIMKey parses a key record and decodes its public key.
func ParseDKIMKey(s string) (*DKIMKey, error) {
	k := &DKIMKey{KeyType: "rsa"}
	var p *string
	seen := map[string]bool{}
	for i, part := range strings.Split(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, val, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("%w: %q is not tag=value", ErrDKIMKey, part)
		}
		name, val = strings.TrimSpace(name), strings.TrimSpace(val)
		if seen[name] {
			return nil, fmt.Errorf("%w: tag %q appears twice", ErrDKIMKey, name)
		}
		seen[name] = true
		switch name {
		case "v":
			if i != 0 && val == "DKIM1" {
				if fixed := dkimVersionFirst(s); fixed != "" {
					return nil, &dkimFixError{Fixed: fixed, msg: fmt.Sprintf("%v: v= must be the first tag (RFC 6376 3.6.1), and receivers that hold to it discard the record: publish %q", ErrDKIMKey, fixed)}
				}
			}
			if i != 0 || val != "DKIM1" {
				return nil, fmt.Errorf("%w: v= must be first and be DKIM1", ErrDKIMKey)
			}
		case "k":
			k.KeyType = strings.ToLower(val)
		case "h":
			k.Hashes = splitColon(val)
		case "t":
			k.Flags = splitColon(val)
		case "s":
			k.Services = splitColon(val)
		case "p":
			v := strings.Join(strings.Fields(val), "")
			p = &v
		}
	}
	if err := dkimSemicolons(s); err != nil {
		return nil, err
	}
	if p == nil {
		return nil, fmt.Errorf("%w: the required p= tag is missing", ErrDKIMKey)
	}
	if *p == "" {
		k.Revoked = true
		return k, nil
	}
	der, err := base64.StdEncoding.DecodeString(*p)
	if err != nil {
		return nil, fmt.Errorf("%w: p= is not base64: %v", ErrDKIMKey, err)
	}
	switch k.KeyType {
	case "rsa":
		pub, err := x509.ParsePKIXPublicKey(der)
		if err != nil {
			// Some publish a bare PKCS#1 key.
			rk, err2 := x509.ParsePKCS1PublicKey(der)
			if err2 != nil {
				if len(der) == ed25519.PublicKeySize {
					fixed := dkimKeyType.ReplaceAllString(s, "${1}ed25519")
					if fixed == s {
						fixed = strings.Replace(s, "v=DKIM1;", "v=DKIM1; k=ed25519;", 1)
					}
					return nil, &dkimFixError{Fixed: fixed, msg: fmt.Sprintf("%v: p= holds %d bytes, the size of an ed25519 key, not an RSA public key, and without k=ed25519 receivers read it as RSA and fail: if it is an ed25519 key (RFC 8463), publish %q",
						ErrDKIMKey, len(der), fixed)}
				}
				// The parser's own words (ASN.1 tags) help no one who
				// publishes keys: say what p= must hold.
				return nil, fmt.Errorf("%w: p= is not an RSA public key: its %d bytes are not a DER-encoded public key (RFC 6376 3.6.1), perhaps cut short or pasted with a stray character", ErrDKIMKey, len(der))
			}
			pub = rk
		}
		rk, ok := pub.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("%w: k=rsa but p= holds a %T", ErrDKIMKey, pub)
		}
		k.Bits = rk.N.BitLen()
	case "ed25519":
		// RFC 8463 4.2: the raw 32-byte key.
		if len(der) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("%w: an ed25519 key is %d bytes, not %d", ErrDKIMKey, ed25519.PublicKeySize, len(der))
		}
		k.Bits = 256
	default:
		return nil, fmt.Errorf("%w: unknown key type k=%s", ErrDKIMKey, k.KeyType)
	}
	return k, nil
}

// dkimVersionFirst is record with its v=DKIM1 tag moved first, when
// that makes a record that parses; else "".
func dkimVersionFirst(record string) string {
	tags := []string{"v=DKIM1"}
	for _, part := range strings.Split(record, ";") {
		part = strings.TrimSpace(part)
		if name, _, _ := strings.Cut(part, "="); part != "" && strings.TrimSpace(name) != "v" {
			tags = append(tags, part)
		}
	}
	fixed := strings.Join(tags, "; ")
	if _, err := ParseDKIMKey(fixed); err != nil {
		return ""
	}
	return fixed
}

// dkimTagAfterSpace finds a DKIM key tag that follows a value after a
// space instead of a ";": "k=rsa p=...".
var dkimTagAfterSpace = regexp.MustCompile(`([^;\s])[ \t]+((v|g|h|k|n|p|s|t)[ \t]*=)`)

// dkimKeyType finds the k= tag of a key record, to give it another value.
var dkimKeyType = regexp.MustCompile(`(?i)(\bk[ \t]*=[ \t]*)rsa\b`)

// dkimFixError is a key record error whose message says what to publish
// instead (Fixed): a tag that follows the value before it after a space,
// or an ed25519 key under k=rsa.
type dkimFixError struct {
	msg, Fixed string
}

func (e *dkimFixError) Error() string { return e.msg }
func (e *dkimFixError) Unwrap() error { return ErrDKIMKey }

// dkimSemicolons reports a tag that follows a value after a space
// instead of ";" (RFC 6376 3.2: tags are separated by ";"), which
// receivers read as part of that value, or nil.
func dkimSemicolons(rec string) error {
	for _, part := range strings.Split(rec, ";") {
		m := dkimTagAfterSpace.FindStringSubmatchIndex(part)
		if m == nil {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		tag := part[m[6]:m[7]]
		fixed := dkimTagAfterSpace.ReplaceAllString(rec, "$1; $2")
		return &dkimFixError{Fixed: fixed, msg: fmt.Sprintf("%v: the value of %s= is %q: it has no \";\" before %s=, so %s= is read as part of it and lost (DKIM tags are separated by \";\", RFC 6376 3.2); publish %q",
			ErrDKIMKey, strings.TrimSpace(k), strings.TrimSpace(v), tag, tag, fixed)}
	}
	return nil
}

func splitColon(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ":") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, strings.ToLower(x))
		}
	}
	return out
}

// CommonSelectors are tried besides the ones asked for: absent ones are
// not reported, since a domain cannot be asked for its selector list.
var commonSelectors = []string{"default", "selector1", "selector2", "google", "k1", "k2", "s1", "s2", "dkim", "mail"}

// DKIMSelector is what one selector publishes.
type DKIMSelector struct {
	Selector string   `json:"selector"`
	Name     string   `json:"name"`            // selector._domainkey.domain
	CNAME    string   `json:"cname,omitempty"` // where the name points, if an alias
	Record   string   `json:"record,omitempty"`
	Key      *DKIMKey `json:"key,omitempty"`
	Asked    bool     `json:"asked"` // given by the user, not a common name
}

// DKIMReport is the result of CheckDKIM.
type DKIMReport struct {
	Domain    string         `json:"domain"`
	Selectors []DKIMSelector `json:"selectors"`
	// Missing lists the selectors asked for that have no key.
	Missing  []string  `json:"missing"`
	Status   Status    `json:"status"`
	Findings []Finding `json:"findings"`
}

// CheckDKIM looks up the keys of the given selectors and of common ones.
func CheckDKIM(ctx context.Context, r resolver.Resolver, log *slog.Logger, domain string, selectors []string) DKIMReport {
	return checkDKIM(ctx, r, log, domain, selectors, nil, false)
}

// checkDKIM is CheckDKIM with the selectors of a watchlist's every domain
// (Request.SharedSelectors) besides the domain's own; watched says that
// the selectors come from the watchlist, whose keys the advice names,
// not from --selector.
func checkDKIM(ctx context.Context, r resolver.Resolver, log *slog.Logger, domain string, selectors, shared []string, watched bool) DKIMReport {
	f := &findings{check: "dkim"}
	rep := DKIMReport{Domain: domain}
	asked := map[string]bool{}
	isShared := map[string]bool{}
	var all []string
	for _, s := range selectors {
		s = strings.ToLower(s)
		if !asked[s] {
			asked[s] = true
			all = append(all, s)
		}
	}
	for _, s := range shared {
		s = strings.ToLower(s)
		if !asked[s] {
			asked[s], isShared[s] = true, true
			all = append(all, s)
		}
	}
	for _, s := range commonSelectors {
		if !asked[s] {
			all = append(all, s)
		}
	}
	// Fetch every selector at once; judge them in order, so that findings
	// come out the same on every run.
	type fetched struct {
		cname string
		txt   resolver.TXT
		err   error
	}
	got := make([]fetched, len(all))
	var wg sync.WaitGroup
	for i, sel := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := sel + "._domainkey." + strings.TrimSuffix(domain, ".")
			if cn, err := r.LookupCNAME(ctx, name); err == nil {
				got[i].cname = cn.Target
			}
			got[i].txt, got[i].err = lookupTXT(ctx, r, name)
		}()
	}
	wg.Wait()
	var guessFailed string // a guessed selector whose lookup failed
	var guessErr error
	for i, sel := range all {
		name := sel + "._domainkey." + strings.TrimSuffix(domain, ".")
		ds := DKIMSelector{Selector: sel, Name: name, Asked: asked[sel], CNAME: got[i].cname}
		t, err := got[i].txt, got[i].err
		if err != nil {
			if ds.Asked {
				f.dnsFailed(name, err)
			} else if guessErr == nil {
				guessFailed, guessErr = name, err
			}
			continue
		}
		var recs []string
		for _, s := range t.Joined() {
			if strings.Contains(s, "p=") || strings.Contains(s, "v=DKIM1") {
				recs = append(recs, s)
			}
		}
		if len(recs) == 0 {
			switch {
			case isShared[sel]:
				// Perhaps another domain's: NoteSharedSelectors says
				// whose, once every domain is checked.
				rep.Missing = append(rep.Missing, sel)
				f.add(SevWarning, sharedMissing, name, "", "RFC 6376 3.6.2.1",
					"selector %q, listed for every watched domain, has no key at %s: if %s signs with it, its mail fails DKIM; publish the key there, or tie the selector to the domains that sign with it (domains: [{name: DOMAIN, selectors: [%s]}])", sel, name, domain, sel)
			case ds.Asked && ds.CNAME != "":
				// A provider's key behind an alias: the alias is there,
				// the key it points to is not.
				rep.Missing = append(rep.Missing, sel)
				target := strings.TrimSuffix(ds.CNAME, ".")
				f.add(SevError, "missing", name, "", "RFC 6376 3.6.2.1",
					"selector %q has no key at %s: it is an alias (CNAME) of %s, which has no key (the provider that hosts it may have removed or renamed it), so mail signed with it fails DKIM; point the alias at the provider's current key, or publish the key at %s instead of the alias", sel, name, target, name)
			case ds.Asked:
				rep.Missing = append(rep.Missing, sel)
				f.add(SevError, "missing", name, "", "RFC 6376 3.6.2.1",
					"selector %q has no key at %s: mail signed with it fails DKIM; publish the key (for a key relaylab's relay signs with, relaylab dkim check --domain %s --selector %s --key KEY_FILE prints its record)", sel, name, domain, sel)
			}
			continue
		}
		if len(recs) > 1 {
			f.add(SevError, "multiple", name, strings.Join(recs, " | "), "RFC 6376 3.6.2.2",
				"%s has %d key records; verifiers may pick either or fail: keep one", name, len(recs))
		}
		ds.Record = recs[0]
		named := ""
		switch {
		case isShared[sel]:
			named = "listed in probe.selectors for every watched domain"
		case ds.Asked && watched:
			named = "named in the watchlist for " + domain
		case ds.Asked:
			named = "named with --selector"
		}
		checkKey(f, &ds, named, ds.Asked && !isShared[sel])
		rep.Selectors = append(rep.Selectors, ds)
	}
	if len(rep.Selectors) == 0 && guessErr != nil && !f.unknown {
		// A guess that could not be asked might be the key: "none found"
		// would say more than is known.
		f.dnsFailed(guessFailed, guessErr)
	}
	if len(rep.Selectors) == 0 && !f.unknown {
		how := "name your selectors with --selector to check them"
		if watched {
			how = fmt.Sprintf("name your selectors in the watchlist to check them: probe.selectors: [S] for every watched domain, or domains: [{name: %s, selectors: [S]}] for this one", domain)
		}
		f.add(SevWarning, "none-found", "_domainkey."+domain, "", "RFC 6376 3.6.2.1",
			"no DKIM key found under the selectors tried (%s): %s", strings.Join(all, ", "), how)
	}
	rep.Findings, rep.Status = f.list, f.status()
	return rep
}

// sharedMissing is the code of a selector listed for every watched domain
// that has no key at one of them.
const sharedMissing = "missing-shared"

// NoteSharedSelectors completes, across the reports of a watchlist's
// domains, the findings of selectors listed for every domain
// (Request.SharedSelectors) that have no key at one: when another domain
// has the key, the finding becomes a note that names those domains (the
// selector is likely theirs alone); when none has it, an error, since
// mail signed with it fails DKIM wherever it is used.
func NoteSharedSelectors(reps []*Report) {
	have := map[string][]string{} // selector -> domains with a key
	for _, rep := range reps {
		if rep == nil || rep.DKIM == nil {
			continue
		}
		for _, s := range rep.DKIM.Selectors {
			have[s.Selector] = append(have[s.Selector], rep.Domain)
		}
	}
	var domains []string
	for _, rep := range reps {
		if rep != nil && rep.DKIM != nil {
			domains = append(domains, rep.Domain)
		}
	}
	for _, rep := range reps {
		if rep == nil || rep.DKIM == nil {
			continue
		}
		d, changed := rep.DKIM, false
		for i := range d.Findings {
			f := &d.Findings[i]
			sel, _, ok := strings.Cut(f.Name, "._domainkey.")
			if f.Code != "dkim."+sharedMissing || !ok {
				continue
			}
			changed = true
			if at := have[sel]; len(at) > 0 {
				f.Severity = SevInfo
				f.Message = fmt.Sprintf("selector %q has no key at %s but has one at %s: fine if only %s signs with it, while mail of %s signed with it would fail DKIM; to check each domain for its own selectors, tie them to it (domains: [{name: %s, selectors: [%s]}])",
					sel, f.Name, strings.Join(at, ", "), orList(at), d.Domain, at[0], sel)
				continue
			}
			f.Severity = SevError
			f.Message = fmt.Sprintf("selector %q, listed for every watched domain, has a key at none of them (%s): mail signed with it fails DKIM; publish the key at %s under the domain that signs with it, or remove the selector",
				sel, strings.Join(domains, ", "), sel+"._domainkey.DOMAIN")
		}
		if changed {
			rep.dkimRegraded()
		}
	}
}

// dkimRegraded grades rep's DKIM check again once findings were changed
// or added after the run (NoteSharedSelectors, NoteSigningKeys), and the
// report with it: its status, and the copy of its findings in Checks.
func (rep *Report) dkimRegraded() {
	d := rep.DKIM
	d.Status = statusOf(d.Findings, d.Status == StatusUnknown)
	for i := range rep.Checks {
		if rep.Checks[i].Check == "dkim" {
			rep.Checks[i].Status, rep.Checks[i].Findings = d.Status, d.Findings
		}
	}
	rep.grade()
}

// orList joins names as "a", "a or b", "a, b or c".
func orList(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// checkKey judges the key record of ds. named says how the user named the
// selector ("named with --selector"), "" for a common one that was
// guessed; own is set when it is the domain's own, not one listed for
// every watched domain.
func checkKey(f *findings, ds *DKIMSelector, named string, own bool) {
	k, err := ParseDKIMKey(ds.Record)
	var fix *dkimFixError
	switch {
	case errors.As(err, &fix):
		// The message gives the record to publish.
		f.add(SevError, "syntax", ds.Name, ds.Record, "RFC 6376 3.6.1", "selector %q: %v; until then signatures with this selector cannot be verified and fail", ds.Selector, err)
		// An alias's record is published at its target.
		f.proposes(cmp.Or(ds.CNAME, ds.Name), "TXT", fix.Fixed)
		return
	case err != nil:
		kt := "rsa"
		if v, ok := dmarcTag(ds.Record, "k"); ok && strings.EqualFold(v, "ed25519") {
			kt = "ed25519"
		}
		f.add(SevError, "syntax", ds.Name, ds.Record, "RFC 6376 3.6.1", "selector %q: %v, so signatures with this selector cannot be verified and fail: publish the record your signer gives, of the form \"v=DKIM1; k=%s; p=<base64 public key>\"", ds.Selector, err, kt)
		return
	}
	ds.Key = k
	if !k.Revoked {
		f.add(SevInfo, "key", ds.Name, "", "RFC 6376 3.6.1", "selector %q: %s key of %d bits", ds.Selector, k.KeyType, k.Bits)
	}
	if ds.CNAME != "" {
		f.add(SevInfo, "cname", ds.Name, ds.Record, "RFC 6376 3.6.2.1", "%s is an alias of %s", ds.Name, ds.CNAME)
	}
	switch {
	case k.Revoked && named != "":
		// Named by the user, so expected to sign: every signature
		// with it fails, as with a missing key (dkim.missing).
		sev := SevError
		if !own {
			sev = SevWarning // perhaps another watched domain's selector
		}
		f.add(sev, "revoked", ds.Name, ds.Record, "RFC 6376 3.6.1",
			"selector %q, %s, is revoked (empty p=), so every signature with it fails DKIM: if a signer still uses it, publish its current public key at %s (or move the signer to a selector that has one); if it was retired on purpose, stop naming it",
			ds.Selector, named, ds.Name)
	case k.Revoked:
		f.add(SevInfo, "revoked", ds.Name, ds.Record, "RFC 6376 3.6.1", "selector %q is revoked (empty p=): signatures with it fail", ds.Selector)
	case k.KeyType == "rsa" && k.Bits < 1024:
		f.add(SevError, "weak-key", ds.Name, ds.Record, "RFC 8301 3.2",
			"selector %q: the RSA key is %d bits, and verifiers must reject keys under 1024 bits (RFC 8301 3.2), so every signature with it fails DKIM: %s", ds.Selector, k.Bits, newKeyAdvice(ds))
	case k.KeyType == "rsa" && k.Bits < 2048:
		f.add(SevWarning, "short-key", ds.Name, ds.Record, "RFC 8301 3.2",
			"selector %q: the RSA key is %d bits, under the 2048 bits that RFC 8301 3.2 says signers should use (shorter keys are easier to break, and a broken key lets anyone sign as the domain): %s", ds.Selector, k.Bits, newKeyAdvice(ds))
	}
	for _, fl := range k.Flags {
		if fl == "y" {
			f.add(SevWarning, "testing", ds.Name, ds.Record, "RFC 6376 3.6.1",
				"t=y marks the key as in testing: verifiers may treat failures and passes alike; remove it once signing works")
		}
	}
	if len(k.Hashes) > 0 && !slices.Contains(k.Hashes, "sha256") {
		why := "verifiers reject rsa-sha1 signatures (RFC 8301 3.1)"
		if !slices.Contains(k.Hashes, "sha1") {
			why = "no signature can use this key"
		}
		f.add(SevError, "sha1-only", ds.Name, ds.Record, "RFC 8301 3.1",
			"h=%s allows no sha256, the hash DKIM signers use, so %s and mail signed with selector %q fails DKIM: remove h= or list sha256", strings.Join(k.Hashes, ":"), why, ds.Selector)
	}
	// RFC 6376 3.6.1: verifiers ignore a key whose s= names neither
	// email nor *.
	if len(k.Services) > 0 && !slices.Contains(k.Services, "email") && !slices.Contains(k.Services, "*") {
		f.add(SevError, "service", ds.Name, ds.Record, "RFC 6376 3.6.1",
			"selector %q has s=%s, which does not include email or *, so verifiers ignore the key for mail and every signature with this selector fails: remove s= (the default is *) or set s=email", ds.Selector, strings.Join(k.Services, ":"))
	}
}

// newKeyAdvice says how to replace the short RSA key of ds with a
// 2048-bit one: under a new selector, so that mail signed with the old
// key still verifies while it is in transit.
func newKeyAdvice(ds *DKIMSelector) string {
	domain := strings.TrimPrefix(ds.Name[strings.Index(ds.Name, "._domainkey.")+len("._domainkey."):], ".")
	return fmt.Sprintf("make a 2048-bit key (relaylab dkim keygen --domain %s --selector NEW --bits 2048 --out FILE prints its record, or your signer's own tool), publish it under a new selector, move the signer to it, and a few days later revoke the key at %s (publish it with an empty p=)", domain, ds.Name)
}

// DKIMSignature is the verification of one DKIM-Signature header.
type DKIMSignature struct {
	Domain    string `json:"domain"`
	Selector  string `json:"selector,omitempty"`  // s=
	Algorithm string `json:"algorithm,omitempty"` // a=: rsa-sha256, ed25519-sha256
	Result    string `json:"result"`              // pass, fail, policy, temperror, permerror
	// Cause says which part of a signature that did not pass failed, when
	// that is known: DKIMCauseBodyHash, DKIMCauseSignature or
	// DKIMCauseExpired.
	Cause string `json:"cause,omitempty"`
	Error string `json:"error,omitempty"`
	// Note is a caution on a signature that passed: an unsigned From
	// field above the signed one (fromNote).
	Note string `json:"note,omitempty"`
}

// The causes of a signature that did not pass (DKIMSignature.Cause).
const (
	// DKIMCauseBodyHash: the body's hash is not the bh= signed; the
	// header fields were not checked (RFC 6376 6.1.3).
	DKIMCauseBodyHash = "body-hash"
	// DKIMCauseSignature: the body hash matched, the signature over the
	// signed header fields did not verify with the key in DNS.
	DKIMCauseSignature = "signature"
	// DKIMCauseExpired: the verifier's time was past x= (RFC 6376 3.5).
	DKIMCauseExpired = "expired"
)

// The start of VerifyDKIM's error for each cause, which DKIMCause reads
// back from an Authentication-Results reason.
const (
	bodyHashFailed   = "body hash did not verify"
	signatureFailed  = "signature did not verify"
	signatureExpired = "signature expired"
)

// DKIMCause is the cause (DKIMCauseBodyHash, DKIMCauseSignature,
// DKIMCauseExpired) of a failed signature whose error, or the reason= of
// its Authentication-Results result, is reason; "" when it is none of
// them. It reads the words of earlier versions too ("dkim: signature
// has expired"), so that messages stored by them are explained alike.
func DKIMCause(reason string) string {
	r := strings.TrimPrefix(strings.TrimSpace(reason), "dkim: ")
	switch {
	case strings.HasPrefix(r, bodyHashFailed):
		return DKIMCauseBodyHash
	case strings.HasPrefix(r, signatureFailed):
		return DKIMCauseSignature
	case strings.HasPrefix(r, signatureExpired), strings.HasPrefix(r, "signature has expired"):
		return DKIMCauseExpired
	}
	return ""
}

// dkimBodyLength is in go-msgauth's error for a signature with l=, which
// it refuses to verify.
const dkimBodyLength = "insecure body length tag"

// VerifyDKIM verifies every DKIM signature of raw, fetching keys through
// r. A signature with a body length tag (l=) is "policy" (RFC 8601
// 2.7.1: signed, but not acceptable to the verifier). A signature that
// fails says which part failed (Cause) and why, in words for the one
// who signs rather than go-msgauth's.
func VerifyDKIM(ctx context.Context, r resolver.Resolver, raw []byte) ([]DKIMSignature, error) {
	opts := &dkim.VerifyOptions{
		MaxVerifications: maxDKIMSignatures,
		LookupTXT: func(name string) ([]string, error) {
			t, err := r.LookupTXT(ctx, name)
			return t.Joined(), dnsError(name, err)
		},
	}
	vs, err := dkim.VerifyWithOptions(bytes.NewReader(raw), opts)
	if err != nil && !errors.Is(err, dkim.ErrTooManySignatures) {
		return nil, fmt.Errorf("reading the message for DKIM: %w", err)
	}
	// go-msgauth judges x= by the wall clock (its own time.Now), so the
	// time an expired signature's error gives is the wall clock's too.
	checked := time.Now()
	// The tags of each signature, in the order of the results (both are
	// the DKIM-Signature fields in order), when the header reads alike
	// here; else none, and the errors do without them.
	var tags []dkimTags
	var froms int
	if msg, err := mail.ReadMessage(bytes.NewReader(raw)); err == nil {
		tags, froms = signatureTags(msg.Header, maxDKIMSignatures), len(msg.Header["From"])
	}
	if len(tags) != len(vs) {
		tags = make([]dkimTags, len(vs))
	}
	out := make([]DKIMSignature, 0, len(vs))
	for i, v := range vs {
		t := tags[i]
		s := DKIMSignature{Domain: v.Domain, Result: "pass", Selector: t.s, Algorithm: t.a}
		if v.Err != nil {
			s.Error = strings.TrimPrefix(v.Err.Error(), "dkim: ") // the method is said beside it
			switch {
			case strings.Contains(s.Error, dkimBodyLength):
				// Signed, but in a way relaylab does not accept: not a
				// change made after signing, which "fail" would say.
				s.Result = "policy"
				s.Error = "the signature has a body length tag (l=), which lets anyone append content to the signed body (RFC 6376 8.2), and relaylab does not accept it. Sign without l="
			case dkim.IsTempFail(v.Err):
				s.Result = "temperror"
			case dkim.IsPermFail(v.Err):
				s.Result = "permerror"
				if !v.Expiration.IsZero() && checked.After(v.Expiration) && strings.Contains(s.Error, "expired") {
					s.Cause, s.Error = DKIMCauseExpired, expiredError(v.Expiration, checked)
				}
			default:
				s.Result = "fail"
				s.Cause = DKIMCause(s.Error)
				s.Error = failError(s, t)
			}
		}
		if v.Domain == "" {
			s.Result = "permerror"
		}
		if s.Result == "pass" {
			s.Note = fromNote(v.HeaderKeys, froms)
		}
		out = append(out, s)
	}
	return out, nil
}

// failError is the error of signature s, which failed (Cause), with the
// tags t of its field: which part failed, what likely changed, and what
// to do. A failure of another cause keeps go-msgauth's words.
func failError(s DKIMSignature, t dkimTags) string {
	switch s.Cause {
	case DKIMCauseBodyHash:
		// RFC 6376 3.5: c= is header/body, simple when absent or alone.
		c := cmp.Or(t.c, "simple/simple")
		if !strings.Contains(c, "/") {
			c += "/simple"
		}
		if strings.HasSuffix(c, "/simple") {
			return fmt.Sprintf("%s (c=%s): the body changed after signing, such as a footer added or long lines rewrapped, or, as simple body canonicalization counts every byte, trailing whitespace or line endings changed. Sign with c=relaxed/relaxed, which allows for the latter", bodyHashFailed, c)
		}
		return fmt.Sprintf("%s (c=%s): the body changed after signing, such as a footer added or long lines rewrapped", bodyHashFailed, c)
	case DKIMCauseSignature:
		key := "the key in DNS"
		if t.s != "" && s.Domain != "" {
			key = "the key at " + t.s + "._domainkey." + s.Domain
		}
		return signatureFailed + ", though the body hash did: the body is intact. A signed header field changed on the way, or " + key +
			" is not the one that signed (relaylab dkim check --config compares them)"
	}
	return s.Error
}

// expiredError is the error of a signature whose x=, expires, is before
// checked, the verifier's time.
func expiredError(expires, checked time.Time) string {
	return fmt.Sprintf("%s at %s (x=%d), and the verifier's clock read %s, %s later. Mail held longer than x= allows fails so: sign with a later x=, or without one (RFC 6376 3.5). Some verifiers allow a few minutes of clock skew, so such a signature may pass elsewhere",
		signatureExpired, expires.UTC().Format(time.RFC3339), expires.Unix(), checked.UTC().Format(time.RFC3339), checked.Sub(expires).Round(time.Second))
}

// fromNote is the caution on a signature that passed when the message has
// froms From fields and the signature's h=, keys, covers fewer of them:
// instances are signed from the bottom up (RFC 6376 5.4.2), so the one
// above is unsigned, and it is the one readers are shown. "" otherwise.
func fromNote(keys []string, froms int) string {
	signed := 0
	for _, k := range keys {
		if strings.EqualFold(strings.TrimSpace(k), "from") {
			signed++
		}
	}
	if froms <= signed {
		return ""
	}
	return "a From field the signature does not cover sits above the signed one: readers see the unsigned one (RFC 6376 8.15). Sign with From listed twice in h= (oversigning), so that no From can be added"
}
