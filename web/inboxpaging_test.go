package web

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"testing"

	"github.com/goccy/go-yaml"
)

// TestInboxPaging: a client that follows next pages through the inbox
// and sees every message once, none skipped, while the sink stores more
// between its requests: newest first down to the oldest, then with
// after= the newest id it read up through what came meanwhile; or
// oldest first with after= from the start. A search pages the same way.
func TestInboxPaging(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		first string // the first request's query, without limit
		q     string // a search; every message matches it
	}{
		{"newest first, then after=", "", ""},
		{"oldest first", "after=0", ""},
		{"search, newest first, then after=", "", "routine"},
		{"search, oldest first", "after=0", "ROUTINE"},
	} {
		for _, limit := range []int{1, 2, 3, 7} {
			t.Run(fmt.Sprintf("%s limit %d", tc.name, limit), func(t *testing.T) {
				t.Parallel()
				st := openStore(t, nil)
				_, sink, _ := filledFakes()
				ts := startServer(t, Options{Store: st, Sink: sink})
				stored := int64(0)
				store := func(n int) {
					for range n {
						stored++
						addInbox(t, st, inboxRow{id: stored, session: 1, from: "app@shop.test", rcpts: "r@example.test", code: 250,
							raw: fmt.Sprintf("Subject: routine %d\r\n\r\nx\r\n", stored)})
					}
				}
				store(10)
				seen := map[string]int{}
				var order []int64
				requests := 0
				get := func(query url.Values) InboxPage {
					t.Helper()
					query.Set("limit", strconv.Itoa(limit))
					if tc.q != "" {
						query.Set("q", tc.q)
					}
					p := inbox(t, ts.url, "?"+query.Encode())
					for _, m := range p.Messages {
						seen[m.ID]++
						n, _ := strconv.ParseInt(m.ID, 10, 64)
						order = append(order, n)
					}
					// The sink stores two more before each of the next
					// few requests.
					if requests++; requests <= 8 {
						store(2)
					}
					return p
				}
				// read follows next from query until it is absent, and
				// returns the newest id read.
				read := func(query url.Values, cursor string) (newest int64) {
					for i := 0; ; i++ {
						if i > 100 {
							t.Fatalf("next never ends: %v", order)
						}
						from := len(order)
						p := get(query)
						for _, n := range order[from:] {
							newest = max(newest, n)
						}
						if p.Next == "" {
							return newest
						}
						query.Set(cursor, p.Next)
					}
				}
				first, _ := url.ParseQuery(tc.first)
				var newest int64
				if first.Has("after") {
					newest = read(first, "after")
					if !slices.IsSorted(order) {
						t.Errorf("after= pages in the order %v, want oldest first", order)
					}
				} else {
					newest = read(first, "before")
					if !slices.IsSortedFunc(order, func(a, b int64) int { return int(b - a) }) {
						t.Errorf("pages in the order %v, want newest first", order)
					}
					// Then what came since the first page, oldest first.
					newest = max(newest, read(url.Values{"after": {itoa(newest)}}, "after"))
				}
				// Caught up: one more request with after= the newest id
				// read finds what came since, and only that.
				store(3)
				since := stored - newest
				from := len(order)
				p := get(url.Values{"after": {itoa(newest)}})
				for p.Next != "" {
					p = get(url.Values{"after": {p.Next}})
				}
				if got := int64(len(order) - from); got != since {
					t.Errorf("after=%d found %d messages of the %d stored since", newest, got, since)
				}
				for id := int64(1); id <= max(newest, slices.Max(order)); id++ {
					if n := seen[itoa(id)]; n != 1 {
						t.Errorf("message %d seen %d times, want once (ids in the order read: %v)", id, n, order)
					}
				}
				if len(seen) != len(order) {
					t.Errorf("%d messages read for %d ids: %v", len(order), len(seen), order)
				}
			})
		}
	}
}

// TestInboxIDTypes: a message's id, its session and the page's next are
// strings, as the API's other ids are (/api/v1/sink/messages/{id},
// /api/v1/messages/{id}/received, /api/v1/sink/sessions); next is the id
// of the message a page ends with.
func TestInboxIDTypes(t *testing.T) {
	t.Parallel()
	st := openStore(t, nil)
	_, sink, _ := filledFakes()
	ts := startServer(t, Options{Store: st, Sink: sink})
	addInbox(t, st, inboxMessages()...)
	for _, q := range []string{"?limit=2", "?after=0&limit=2"} {
		code, _, body := do(t, "GET", ts.url+"/api/v1/sink/messages"+q, "")
		if code != 200 {
			t.Fatalf("%s: %d %s", q, code, body)
		}
		var raw struct {
			Messages []map[string]any `json:"messages"`
			Next     any              `json:"next"`
		}
		if err := json.Unmarshal(body, &raw); err != nil {
			t.Fatal(err)
		}
		last := raw.Messages[len(raw.Messages)-1]
		if _, ok := raw.Next.(string); !ok || raw.Next != last["id"] {
			t.Errorf("%s: next %#v, want the last message's id %#v, a string", q, raw.Next, last["id"])
		}
		for _, m := range raw.Messages {
			if _, ok := m["id"].(string); !ok {
				t.Errorf("%s: id %#v, want a string", q, m["id"])
			}
			if _, ok := m["session"].(string); !ok {
				t.Errorf("%s: session %#v, want a string", q, m["session"])
			}
		}
	}
}

// TestInboxSpecTypes: openapi.yaml gives the inbox's ids and next the
// type the API sends.
func TestInboxSpecTypes(t *testing.T) {
	t.Parallel()
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					Type string `yaml:"type"`
				} `yaml:"properties"`
			} `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(openAPISpec, &doc); err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct{ schema, prop string }{{"InboxPage", "next"}, {"InboxMessage", "id"}, {"InboxMessage", "session"}} {
		if got := doc.Components.Schemas[f.schema].Properties[f.prop].Type; got != "string" {
			t.Errorf("openapi.yaml: %s.%s is of type %q, want string as the API sends it", f.schema, f.prop, got)
		}
	}
}
