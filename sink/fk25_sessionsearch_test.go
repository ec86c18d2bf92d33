package sink

import (
	"context"
	"slices"
	"testing"
)

// The sessions a tester looks for from a client's log are found by the
// client's address, its EHLO name, a sender or recipient in any case and
// either spelling of an IDN domain, and a piece of the transcript; the
// list took only a listener and a page before.
func TestFK25SessionSearch(t *testing.T) {
	t.Parallel()
	_, st, addr := itSink(t, nil)
	pipelined(t, addr, "EHLO Alpha.Client.test\r\nMAIL FROM:<Ann@x.test> SMTPUTF8\r\nRCPT TO:<bob@bücher.test>\r\nQUIT\r\n")
	pipelined(t, addr, "EHLO beta.test\r\nMAIL FROM:<cy@y.test>\r\nRCPT TO:<dave@sink.test>\r\nNOOP sale 50%_off\r\nQUIT\r\n")
	waitSessions(t, st, 2)
	all, err := ListSessions(context.Background(), st.DB(), SessionFilter{})
	if err != nil || len(all) != 2 {
		t.Fatalf("all sessions: %v %v", all, err)
	}
	first, second := all[1].ID, all[0].ID
	tests := []struct {
		name string
		f    SessionFilter
		want []int64 // newest first
	}{
		{"client IP", SessionFilter{Client: "127.0.0.1"}, []int64{second, first}},
		{"client IP and port", SessionFilter{Client: all[1].Client}, []int64{first}},
		{"another client", SessionFilter{Client: "127.0.0.2"}, nil},
		{"IPv6 client", SessionFilter{Client: "::1"}, nil},
		{"HELO, a part in another case", SessionFilter{HELO: "alpha.CLIENT"}, []int64{first}},
		{"sender in another case", SessionFilter{Sender: "ann@X.TEST"}, []int64{first}},
		{"sender in angle brackets", SessionFilter{Sender: "<cy@y.test>"}, []int64{second}},
		{"recipient as A-labels", SessionFilter{Recipient: "bob@xn--bcher-kva.test"}, []int64{first}},
		{"recipient in UTF-8", SessionFilter{Recipient: "Bob@bücher.test"}, []int64{first}},
		{"recipient of the other", SessionFilter{Recipient: "dave@sink.test"}, []int64{second}},
		{"transcript text, wildcards as written", SessionFilter{Text: "50%_OFF"}, []int64{second}},
		{"transcript text that is not there", SessionFilter{Text: "50%x"}, nil},
		{"two filters", SessionFilter{HELO: "beta", Recipient: "bob@bücher.test"}, nil},
	}
	for _, tt := range tests {
		got, err := ListSessions(context.Background(), st.DB(), tt.f)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		var ids []int64
		for _, s := range got {
			ids = append(ids, s.ID)
		}
		if !slices.Equal(ids, tt.want) {
			t.Errorf("%s: sessions %v, want %v", tt.name, ids, tt.want)
		}
	}
	_, err = ListSessions(context.Background(), st.DB(), SessionFilter{Client: "client.test"})
	wantInOrder(t, "a client that is no IP address", err, `client "client.test" is no IP address`, "192.0.2.1")
}
