package relay

import (
	"database/sql"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/config"
)

// routeInfo is a configured route, compiled.
type routeInfo struct {
	cfg     RouteConfig
	name    string
	windows []window
	loc     *time.Location
}

func compileRoutes(rs []RouteConfig) []*routeInfo {
	out := make([]*routeInfo, len(rs))
	for i, rc := range rs {
		ri := &routeInfo{cfg: rc, name: rc.Name, loc: time.UTC}
		if ri.name == "" {
			ri.name = fmt.Sprintf("routes[%d]", i)
		}
		ri.windows, _ = parseWindows(rc.Windows) // checked by Validate
		if rc.Timezone != "" {
			if loc, err := time.LoadLocation(rc.Timezone); err == nil {
				ri.loc = loc
			}
		}
		out[i] = ri
	}
	return out
}

// route picks the route for a recipient at attempt n (1-based) and returns
// it with the paths to try, in order. Validate makes the last route match
// everything (checkRouteOrder), so the loop always finds one; the last
// route stands as the answer only for a configuration that escaped it.
func (r *Relay) route(msgID, rcpt, sender string, n int) (*routeInfo, []*path) {
	rd, sd := strings.ToLower(domainOf(rcpt)), strings.ToLower(domainOf(sender))
	chosen := r.routes[len(r.routes)-1]
	for _, ri := range r.routes {
		rt := ri.cfg
		if !matchDomains(rt.Recipients, rd) || !matchDomains(rt.Senders, sd) {
			continue
		}
		if rt.MinAttempt > 0 && n < rt.MinAttempt || rt.MaxAttempt > 0 && n > rt.MaxAttempt {
			continue
		}
		chosen = ri
		break
	}
	rt := chosen.cfg
	if rt.Fallback != "" && rt.FallbackAfter > 0 && n > rt.FallbackAfter {
		return chosen, []*path{r.paths[rt.Fallback]}
	}
	if len(rt.Split) > 0 {
		return chosen, r.split(rt, r.splitKey(msgID, rcpt), rcpt)
	}
	out := make([]*path, len(rt.Paths))
	for k, p := range rt.Paths {
		out[k] = r.paths[p]
	}
	return chosen, out
}

// maxSplitWeight bounds one arm's weight, so that a route's total is far
// from overflowing however many arms it has.
const maxSplitWeight = 1_000_000

// checkWeights checks a split route's weights; k is the route's key
// ("relay.routes[2]").
func (r *RouteConfig) checkWeights(k string) error {
	for i, w := range r.Split {
		if w.Weight <= 0 || w.Weight > maxSplitWeight {
			return config.Errorf(fmt.Sprintf("%s.split[%d].weight", k, i),
				"route %q: weight %d: must be positive and at most %d (weights are relative: 3 and 1 send three in four to the first path)",
				r.Name, w.Weight, maxSplitWeight)
		}
	}
	return nil
}

// armWeight is w clamped to [0, maxSplitWeight], so that the picker's sum
// cannot overflow even for a route that escaped checkWeights.
func armWeight(w int) uint64 {
	return uint64(min(max(w, 0), maxSplitWeight))
}

// splitKey is what a weighted split draws from for recipient rcpt of
// message msgID, beside the seed: the recipient's row in the queue, as
// for mxDraw. The queue id is random on every run, so a replay with the
// same seed split otherwise; the rows of a fresh replay store are
// numbered alike on every run, and a row keeps its number across attempts
// and restarts. HeldBack routes by it too (from this process or another
// on the same store), so it finds the paths the relay tries. A message
// not in the store, or a store that cannot say, keeps the queue id.
func (r *Relay) splitKey(msgID, rcpt string) string {
	if r.store == nil {
		return msgID
	}
	var row sql.NullInt64
	if err := r.store.DB().QueryRow(`SELECT MIN(id) FROM relay_recipients WHERE message_id = ? AND address = ?`, msgID, rcpt).Scan(&row); err != nil || !row.Valid {
		return msgID
	}
	return fmt.Sprintf("row:%d", row.Int64)
}

// split chooses one arm of a weighted route from (seed, key, recipient),
// key being splitKey's, so that the choice is stable across attempts and
// runs; the other arms follow as failover.
func (r *Relay) split(rt RouteConfig, key, rcpt string) []*path {
	var total uint64
	for _, w := range rt.Split {
		total += armWeight(w.Weight)
	}
	chosen := 0
	if total > 0 {
		h := fnv.New64a()
		fmt.Fprintf(h, "%d/%s/%s", r.seed, key, rcpt)
		x := h.Sum64() % total
		for i, w := range rt.Split {
			if x < armWeight(w.Weight) {
				chosen = i
				break
			}
			x -= armWeight(w.Weight)
		}
	}
	out := []*path{r.paths[rt.Split[chosen].Path]}
	for i, w := range rt.Split {
		if i != chosen {
			out = append(out, r.paths[w.Path])
		}
	}
	return out
}

// matchDomains reports whether domain matches one of patterns: an exact
// domain, "*.example.com" (subdomains and example.com itself) or "*".
// No patterns match everything.
func matchDomains(patterns []string, domain string) bool {
	if len(patterns) == 0 {
		return true
	}
	// An IDN matches in either spelling (U-labels or A-labels).
	domain = aLabels(domain)
	for _, p := range patterns {
		p = normPattern(p)
		switch {
		case p == "*":
			return true
		case strings.HasPrefix(p, "*."):
			if domain == p[2:] || strings.HasSuffix(domain, p[1:]) {
				return true
			}
		case p == domain:
			return true
		}
	}
	return false
}

// DirectMXRoute names the route a first attempt to rcpt from sender
// takes when any of its paths (its failover list, a split's arms, its
// fallback) delivers by direct MX, and "" when none does: serve's banner
// suggests a test address only where the relay hands it to a smarthost,
// the sink among them, rather than to the recipient domain's MX hosts.
func (r *Relay) DirectMXRoute(rcpt, sender string) string {
	ri, _ := r.route("", rcpt, sender, 1)
	rt := ri.cfg
	names := slices.Clone(rt.Paths)
	for _, w := range rt.Split {
		names = append(names, w.Path)
	}
	if rt.Fallback != "" {
		names = append(names, rt.Fallback)
	}
	for _, n := range names {
		if p := r.paths[n]; p != nil && p.cfg.Type == "mx" {
			return rt.Name
		}
	}
	return ""
}

// normPattern is a domain pattern as routes compare it: in lower case,
// in A-labels, without the root's trailing dot (the relay drops it from
// addresses, so "shop.test." would match nothing).
func normPattern(p string) string {
	p = strings.TrimSuffix(strings.ToLower(p), ".")
	if rest, ok := strings.CutPrefix(p, "*."); ok {
		return "*." + aLabels(rest)
	}
	return aLabels(p)
}
