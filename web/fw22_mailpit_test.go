package web

import (
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/relaylab/relaylab/relay"
	"github.com/relaylab/relaylab/reports"
)

// TestFW22MailpitPaths: the rest of the README's "Coming from Mailpit"
// table: Mailpit's /view/ pages, its send, chaos and tags endpoints, its
// checks and its query parameter each answer with relaylab's equivalent,
// or say there is none, in the detail.
func TestFW22MailpitPaths(t *testing.T) {
	t.Parallel()
	_, sink, _ := filledFakes()
	ts := startServer(t, Options{Sink: sink})
	for _, tc := range []struct {
		method, path string
		code         int
		want         []string
	}{
		{"GET", "/view/1.html", http.StatusNotFound, []string{"GET /api/v1/sink/messages/1/body.html"}},
		{"GET", "/view/1.raw", http.StatusNotFound, []string{"GET /api/v1/sink/messages/1/raw"}},
		{"GET", "/view/latest.html", http.StatusNotFound, []string{"GET /api/v1/sink/messages/latest/body.html"}},
		{"POST", "/api/v1/send", http.StatusNotFound, []string{"SMTP", "POST /api/v1/messages queues"}},
		{"PUT", "/api/v1/chaos", http.StatusNotFound, []string{"PUT /api/v1/sink/rules", "recipient address"}},
		{"GET", "/api/v1/tags", http.StatusNotFound, []string{"keeps no tags"}},
		{"PUT", "/api/v1/tags", http.StatusNotFound, []string{"keeps no tags"}},
		{"GET", "/api/v1/message/2/link-check", http.StatusNotFound, []string{"has none", "sink.verify"}},
		{"GET", "/api/v1/message/2/html-check", http.StatusNotFound, []string{"has none", "sink.verify"}},
		{"GET", "/api/v1/message/2/sa-check", http.StatusNotFound, []string{"has none", "sink.verify"}},
		{"GET", "/api/v1/message/2/html", http.StatusNotFound, []string{"GET /api/v1/sink/messages/2/body.html"}},
		{"GET", "/api/v1/sink/messages/latest?query=to:bob2", http.StatusBadRequest, []string{"takes only", "Mailpit's query is q"}},
		{"GET", "/nothing.txt", http.StatusNotFound, []string{"the UI is at /"}},
	} {
		code, _, body := do(t, tc.method, ts.url+tc.path, "")
		e := wantAPIError(t, body)
		for _, want := range tc.want {
			if code != tc.code || !strings.Contains(e.Detail, want) {
				t.Errorf("%s %s: %d %+v; want %d with %q in the detail", tc.method, tc.path, code, e, tc.code, want)
			}
		}
	}
}

// TestFW22ViewPage: a browser sent to Mailpit's /view/ID.html gets the
// not-found page, which names relaylab's equivalent.
func TestFW22ViewPage(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Options{})
	code, _, body := do(t, "GET", ts.url+"/view/7.html", "", "Accept", "text/html")
	if code != http.StatusNotFound || !strings.Contains(string(body), "/api/v1/sink/messages/7/body.html") {
		t.Errorf("GET /view/7.html in a browser: %d\n%s\nwant 404 naming /api/v1/sink/messages/7/body.html", code, body)
	}
}

// TestFW22ScopedDeleteCaseTwins: a scoped delete that gives ids in two
// cases (Mailpit's IDs beside relaylab's ids) is a 400 that names both
// spellings, not a key given "twice"; nothing is deleted.
func TestFW22ScopedDeleteCaseTwins(t *testing.T) {
	t.Parallel()
	ts, _ := scopedSink(t)
	code, _, body := do(t, "DELETE", ts.url+"/api/v1/sink/messages", `{"ids":["2"],"IDs":["4"]}`, "Content-Type", "application/json")
	if e := wantAPIError(t, body); code != http.StatusBadRequest || e.Error != `the body gives "ids" and "IDs"` || !strings.Contains(e.Detail, "two cases") {
		t.Errorf("ids and IDs: %d %+v; want 400 saying the body gives \"ids\" and \"IDs\"", code, e)
	}
	if held := heldIDs(t, ts.st); held != "1,2,3,4" {
		t.Errorf("after the refused delete the sink holds %s; want 1,2,3,4", held)
	}
	code, _, body = do(t, "DELETE", ts.url+"/api/v1/sink/messages", `{"ids":["2"],"ids":["4"]}`, "Content-Type", "application/json")
	if e := wantAPIError(t, body); code != http.StatusBadRequest || e.Error != `the body gives "ids" twice` {
		t.Errorf("ids twice: %d %+v; want 400 saying the body gives \"ids\" twice", code, e)
	}
}

// TestFW22DeferralCategories: relaylab_deferrals_total starts with a
// series for each category the classifier can give a temporary failure
// (every one in relay/classify.yaml, and unclassified), and none for the
// categories of a recipient the relay ends itself, which only bounce.
func TestFW22DeferralCategories(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../relay/classify.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var rules []relay.Rule
	if err := yaml.Unmarshal(data, &rules); err != nil {
		t.Fatalf("relay/classify.yaml: %v", err)
	}
	classified := []string{"unclassified"}
	for _, r := range rules {
		classified = append(classified, r.Category)
	}
	text := scrape(t, startServer(t, Options{}), nil)
	for _, c := range reports.Categories {
		series := `relaylab_deferrals_total{category="` + c + `"} 0`
		has := strings.Contains(text, "\n"+series+"\n")
		if want := slices.Contains(classified, c); has != want {
			t.Errorf("%s there: %v; want %v (a deferral's category is the classifier's, and %s is %s of relay/classify.yaml)",
				series, has, want, c, map[bool]string{true: "one", false: "none"}[want])
		}
		if bounce := `relaylab_bounces_total{category="` + c + `"} 0`; !strings.Contains(text, "\n"+bounce+"\n") {
			t.Errorf("metrics lack %s: every category can be a bounce's", bounce)
		}
	}
	for _, c := range endedCategories {
		if slices.Contains(classified, c) {
			t.Errorf("relay/classify.yaml gives category %q, which web/metrics.go takes for one the relay gives only itself: a deferral may have it", c)
		}
	}
}
