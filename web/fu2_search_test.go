package web

import "testing"

// TestSearchSpacedQualifier: a name the search does not know with its
// value after a space ("foo: bar") is the same error as "foo:bar", which
// says how to write a qualifier and how to look for the text, where it
// found nothing as two words and passed for no mail; a reply or forward
// prefix ("Re: invoice", "AW: invoice"), a name before a qualifier or a
// term left out ("dropped: is:noreply"), and a name at the end stay text.
func TestSearchSpacedQualifier(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		q, name string
		detail  []string
	}{
		{"foo: bar", "foo", []string{"without a space (from:alice, not from: alice)", "from:, to:", `write it in double quotes: "foo:"`}},
		{`Foo: "two words"`, "foo", []string{`"Foo:"`}},
		{"-foo: bar", "foo", []string{`"foo:"`}},
		{"is:refused foo: bar", "foo", []string{"from:, to:"}},
		{"cc: boss", "cc", []string{"to: matches the Cc field"}},
	} {
		checkSearchError(t, tc.q, `unknown qualifier "`+tc.name+`:" in q`, tc.detail...)
	}
	msgs := searchMsgs()
	for _, tc := range []struct{ q, want string }{
		{"Re: invoice", "2"},
		{"aw: invoice", ""},
		{"dropped: is:noreply", "4"},
		{"dropped: -from:billing", "4"},
		{"a dropped:", "4"},
		{`"dropped:" a`, "4"},
	} {
		checkMatches(t, tc.q, tc.want, msgs, searchHeads, "1", "2", "3", "4")
	}
}
