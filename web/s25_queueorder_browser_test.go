package web

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// gatedRelay answers the queue's unfiltered pages only when release is
// closed, once gate is set: a slow answer that comes after a newer one.
type gatedRelay struct {
	*pagingRelay
	gate    bool
	held    chan struct{} // a gated call has begun
	release chan struct{}
	done    chan struct{} // the gated call has answered
}

func (g *gatedRelay) QueuePage(ctx context.Context, f QueueFilter) (QueuePage, error) {
	g.mu.Lock()
	gated := g.gate && f.Recipient == "" && f.Domain == ""
	if gated {
		g.gate = false
	}
	g.mu.Unlock()
	if gated {
		close(g.held)
		<-g.release
		defer close(g.done)
	}
	return g.pagingRelay.QueuePage(ctx, f)
}

// TestBrowserQueueLateAnswer: an answer to an earlier load (a poll, or the
// filter before) that comes after the answer to the filter chosen since
// is not shown: the table and its note stay those of the last filter. They
// were replaced by the earlier one's, 450 rows under "450 messages
// waiting" with "rq-007" in the box.
func TestBrowserQueueLateAnswer(t *testing.T) {
	b := newBrowser(t)
	g := &gatedRelay{pagingRelay: &pagingRelay{fakeRelay: fw2Queue(450)},
		held: make(chan struct{}), release: make(chan struct{}), done: make(chan struct{})}
	s := listen(t, Options{Relay: g})
	rows := `document.querySelectorAll("#queue-table tbody tr").length`
	note := `document.getElementById("queue-note").textContent`
	b.do(t, chromedp.Navigate("http://"+s.Addr()+"/#/queue"))
	b.waitFor(t, "the first page", rows+` === 200`)
	g.mu.Lock()
	g.gate = true
	g.mu.Unlock()
	// Oldest first asks for the unfiltered queue again: its answer waits.
	b.eval(t, `document.getElementById("queue-order").click()`)
	<-g.held
	b.eval(t, `(() => { const i = document.getElementById("queue-find"); i.value = "rq-007@r.test"; i.form.requestSubmit(); return true; })()`)
	b.waitFor(t, "the filter's one match", rows+` === 1 && `+note+` === "1 message matches"`)
	close(g.release)
	<-g.done
	// The late answer has reached the page once its request is finished
	// in the page's own record; then a moment for its handler to run.
	b.waitFor(t, "the late answer received", `performance.getEntriesByType("resource").filter((e) => e.name.includes("/api/v1/queue?") && e.name.includes("oldest") && !e.name.includes("rq-007")).length > 0`)
	time.Sleep(500 * time.Millisecond)
	if got := b.eval(t, rows+` + " " + `+note); got != "1 1 message matches" {
		t.Errorf("after the earlier load's late answer the page shows %q, want the filter's one match still (1 1 message matches)", got)
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}
