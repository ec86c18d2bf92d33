package resolver

import (
	"sync"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
)

type cacheKey struct {
	name   string
	qtype  uint16
	dnssec bool // asked with DO or AD
}

type cacheEntry struct {
	reply   Reply
	expires time.Time
}

// cache keeps replies until their TTL runs out on the clock. When full it
// drops expired entries, then arbitrary ones: a probe cycle re-asks what it
// needs, so precise LRU order buys little.
type cache struct {
	clock clock.Clock
	max   int
	mu    sync.Mutex
	m     map[cacheKey]cacheEntry
}

func newCache(c clock.Clock, max int) *cache {
	return &cache{clock: c, max: max, m: make(map[cacheKey]cacheEntry)}
}

func (c *cache) get(k cacheKey) (Reply, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok {
		return Reply{}, false
	}
	now := c.clock.Now()
	if !now.Before(e.expires) {
		delete(c.m, k)
		return Reply{}, false
	}
	r := e.reply
	r.Msg = r.Msg.Copy()
	r.Cached = true
	r.TTL = e.expires.Sub(now).Truncate(time.Second)
	return r, true
}

// flush drops every entry.
func (c *cache) flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.m)
}

func (c *cache) put(k cacheKey, r Reply) {
	if r.TTL <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.clock.Now()
	if len(c.m) >= c.max {
		for key, e := range c.m {
			if !now.Before(e.expires) {
				delete(c.m, key)
			}
		}
		for key := range c.m {
			if len(c.m) < c.max {
				break
			}
			delete(c.m, key)
		}
	}
	r.Msg = r.Msg.Copy()
	c.m[k] = cacheEntry{reply: r, expires: now.Add(r.TTL)}
}
