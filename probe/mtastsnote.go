package probe

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/relaylab/relaylab/internal/store"
)

// The note of a confirmed change of a domain's MTA-STS (key "domain D
// mta-sts", value "RECORD policy SHA256") says what the hashes do not:
// a policy changed under the same id, which senders that cached the old
// one do not fetch again (RFC 8461 3.1, 5.1), and what changed in the
// policy when both texts are at hand.

// mtaSTSPolicyMark separates the record from the policy's hash in the
// value observed for a domain's MTA-STS.
const mtaSTSPolicyMark = " policy "

// mtaSTSValue splits the value observed for a domain's MTA-STS into its
// record and the hash of its policy ("" when none was fetched).
func mtaSTSValue(v string) (record, hash string) {
	i := strings.LastIndex(v, mtaSTSPolicyMark)
	if i < 0 {
		return v, ""
	}
	return v[:i], v[i+len(mtaSTSPolicyMark):]
}

// storedPolicy is the policy whose body had hash, as the newest stored
// result of target that fetched it holds it; nil when none is kept (a
// result older than probe.keep is gone).
func storedPolicy(tx *store.Tx, target, hash string) (*MTASTSPolicy, error) {
	if hash == "" {
		return nil, nil
	}
	var body string
	err := tx.QueryRow(`SELECT report FROM probe_results WHERE target = ? AND report LIKE '%'||?||'%' ORDER BY id DESC LIMIT 1`, target, hash).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var rep struct {
		MTASTS *MTASTSReport `json:"mta_sts"`
	}
	if json.Unmarshal([]byte(body), &rep) != nil || rep.MTASTS == nil || rep.MTASTS.Seen == nil || rep.MTASTS.Seen.Hash != hash {
		return nil, nil
	}
	return rep.MTASTS.Policy, nil
}

// mtaSTSChangeNote says what a confirmed change of domain's MTA-STS
// means: a policy changed while the id of the record stayed, or a
// policy changed with a new id, and what changed in it when was and is
// (the old and new policies) are both known. "" for other changes.
func mtaSTSChangeNote(domain, old, cur string, was, is *MTASTSPolicy) string {
	oldRec, oldHash := mtaSTSValue(old)
	curRec, curHash := mtaSTSValue(cur)
	if oldHash == "" || curHash == "" || oldHash == curHash {
		return ""
	}
	oldID, err1 := parseSTSRecord(oldRec)
	curID, err2 := parseSTSRecord(curRec)
	if err1 != nil || err2 != nil {
		return ""
	}
	diff := ""
	if was != nil && is != nil {
		diff = policyDiff(was, is)
	}
	name := "_mta-sts." + domain
	if oldID != curID {
		if diff == "" {
			return ""
		}
		return fmt.Sprintf("the MTA-STS policy of %s changed with a new id (%s, was %s), so senders fetch it again: %s", domain, curID, oldID, diff)
	}
	until := "its max_age"
	if was != nil {
		until = fmt.Sprintf("its max_age (%d seconds, %s)", was.MaxAge, inWords(was.MaxAge))
	}
	note := fmt.Sprintf("the MTA-STS policy of %s changed but the id in %s did not (still %s): senders fetch a policy again only when the id changes, so those that cached the old policy keep applying it until %s runs out (RFC 8461 3.1, 5.1); publish a new id in %s, such as \"v=STSv1; id=%s\"",
		domain, name, curID, until, name, nextSTSID(curID))
	if diff != "" {
		note += "; what changed: " + diff
	}
	return note
}

// nextSTSID proposes an id after id: id with 1 added when it ends in
// digits ("20260301" gives "20260302"), else id with "2" after it.
func nextSTSID(id string) string {
	i := len(id)
	for i > 0 && id[i-1] >= '0' && id[i-1] <= '9' {
		i--
	}
	if n, err := strconv.ParseUint(id[i:], 10, 64); err == nil && i < len(id) {
		next := strconv.FormatUint(n+1, 10)
		if len(next) < len(id)-i {
			next = strings.Repeat("0", len(id)-i-len(next)) + next
		}
		if len(id[:i])+len(next) <= 32 {
			return id[:i] + next
		}
	}
	if len(id) < 32 {
		return id + "2"
	}
	return "2"
}

// policyDiff says what differs between two policies: the mode, the mx
// lines added and removed, max_age; "" when they say the same (the text
// differs in layout only).
func policyDiff(was, is *MTASTSPolicy) string {
	var parts []string
	if was.Mode != is.Mode {
		parts = append(parts, fmt.Sprintf("mode %s, was %s", is.Mode, was.Mode))
	}
	var added, removed []string
	for _, m := range is.MX {
		if !slices.Contains(was.MX, m) {
			added = append(added, m)
		}
	}
	for _, m := range was.MX {
		if !slices.Contains(is.MX, m) {
			removed = append(removed, m)
		}
	}
	if len(added) > 0 {
		parts = append(parts, "mx lines added: "+strings.Join(added, ", "))
	}
	if len(removed) > 0 {
		parts = append(parts, "mx lines removed: "+strings.Join(removed, ", "))
	}
	if was.MaxAge != is.MaxAge {
		parts = append(parts, fmt.Sprintf("max_age %d (%s), was %d (%s)", is.MaxAge, inWords(is.MaxAge), was.MaxAge, inWords(was.MaxAge)))
	}
	return strings.Join(parts, "; ")
}
