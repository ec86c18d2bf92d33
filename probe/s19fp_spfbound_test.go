package probe

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// diamond is a policy of levels levels of width names each, every name
// including all the names of the next level; the last level's records
// end with leaf.
func diamond(levels, width int, leaf func(level, i int) string) []string {
	name := func(l, i int) string { return fmt.Sprintf("l%dx%d.b.test", l, i) }
	includes := func(l int) string {
		var s []string
		for i := 0; i < width; i++ {
			s = append(s, "include:"+name(l, i))
		}
		return strings.Join(s, " ")
	}
	recs := []string{fmt.Sprintf(`b.test. 60 IN TXT "v=spf1 %s -all"`, includes(0))}
	for l := 0; l < levels; l++ {
		for i := 0; i < width; i++ {
			body := includes(l + 1)
			if l == levels-1 {
				body = leaf(l, i)
			}
			recs = append(recs, fmt.Sprintf(`%s. 60 IN TXT "v=spf1 %s -all"`, name(l, i), body))
		}
	}
	return recs
}

func nodes(n *SPFNode) int {
	c := 1
	for _, k := range n.Children {
		c += nodes(k)
	}
	return c
}

func findingCode(fs []Finding, code string) []Finding {
	var out []Finding
	for _, f := range fs {
		if f.Code == code {
			out = append(out, f)
		}
	}
	return out
}

// TestSPFWalkBounded: a policy whose include tree is exponential in its
// names (13 levels of 3 names, each including the 3 of the next: 39
// names, 3^13 paths) costs a bounded walk: few queries, a small tree and
// small findings, with the count said as a lower bound and the 11th
// lookup named. Before, the walk followed every path and ran out of
// memory.
func TestSPFWalkBounded(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name          string
		levels, width int
	}{
		{"diamond 13x3", 13, 3},
		{"diamond 10x3", 10, 3},
		{"tree 3x10", 3, 10}, // 1,110 names if each were walked
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, srv := spfWorld(t, diamond(tc.levels, tc.width, func(l, i int) string { return fmt.Sprintf("ip4:192.0.2.%d", i) }))
			rep := CheckSPF(context.Background(), r, discard(), "b.test")
			if q := srv.Queries(); q > 2*spfWorkBudget {
				t.Errorf("%d DNS queries, want at most %d", q, 2*spfWorkBudget)
			}
			if n := nodes(rep.Tree); n > 3*spfWalkBudget {
				t.Errorf("tree of %d nodes, want at most %d", n, 3*spfWalkBudget)
			}
			body, _ := json.Marshal(rep)
			if len(body) > 64<<10 {
				t.Errorf("report of %d bytes, want at most 64 KiB", len(body))
			}
			lim := findingCode(rep.Findings, "spf.lookup-limit")
			if len(lim) != 1 {
				t.Fatalf("findings %v: want one spf.lookup-limit", rep.Findings)
			}
			if !rep.Tree.Partial || rep.Tree.Total <= spfLookupLimit {
				t.Errorf("tree total %d partial %v: want a lower bound over %d", rep.Tree.Total, rep.Tree.Partial, spfLookupLimit)
			}
			for _, want := range []string{fmt.Sprintf("needs at least %d DNS lookups", rep.Tree.Total), "the 11th (here include:"} {
				if !strings.Contains(lim[0].Message, want) {
					t.Errorf("lookup-limit %q lacks %q", lim[0].Message, want)
				}
			}
			for _, f := range rep.Findings {
				if len(f.Message) > 2000 {
					t.Errorf("finding %s of %d characters", f.Code, len(f.Message))
				}
			}
			if n := len(findingCode(rep.Findings, "spf.too-deep")); n > 1 {
				t.Errorf("%d spf.too-deep findings, want one at most", n)
			}
		})
	}
}

// TestSPFVoidListBounded: a wide tree whose every leaf looks up a name
// that does not exist names the first void terms and says how many more,
// not a thousand terms.
func TestSPFVoidListBounded(t *testing.T) {
	t.Parallel()
	r, srv := spfWorld(t, diamond(2, 10, func(l, i int) string { return fmt.Sprintf("a:nx%d-%d.b.test", l, i) }))
	rep := CheckSPF(context.Background(), r, discard(), "b.test")
	v := findingCode(rep.Findings, "spf.void-limit")
	if len(v) != 1 {
		t.Fatalf("findings %v: want one spf.void-limit", rep.Findings)
	}
	if len(v[0].Message) > 1500 || !strings.Contains(v[0].Message, "other terms") || !strings.HasPrefix(v[0].Message, "at least ") {
		t.Errorf("void-limit of %d characters: %q; want the first terms, \"and N other terms\", and a lower bound", len(v[0].Message), v[0].Message)
	}
	if q := srv.Queries(); q > 2*spfWorkBudget {
		t.Errorf("%d DNS queries, want at most %d", q, 2*spfWorkBudget)
	}
}

// TestSPFDeepChainAtLeast: a chain of 40 includes is cut at spfMaxDepth,
// and both findings say the count is a lower bound; before, too-deep
// said nothing of the count and lookup-limit said "needs 12".
func TestSPFDeepChainAtLeast(t *testing.T) {
	t.Parallel()
	var recs []string
	for i := 0; i < 40; i++ {
		name := fmt.Sprintf("c%d.b.test.", i)
		if i == 0 {
			name = "b.test."
		}
		recs = append(recs, fmt.Sprintf(`%s 60 IN TXT "v=spf1 include:c%d.b.test -all"`, name, i+1))
	}
	r, _ := spfWorld(t, recs)
	rep := CheckSPF(context.Background(), r, discard(), "b.test")
	deep := findingCode(rep.Findings, "spf.too-deep")
	if len(deep) != 1 || !strings.Contains(deep[0].Message, "at least 12 DNS lookups") {
		t.Errorf("too-deep = %v, want one saying \"at least 12 DNS lookups\"", deep)
	}
	lim := findingCode(rep.Findings, "spf.lookup-limit")
	if len(lim) != 1 || !strings.Contains(lim[0].Message, "needs at least 12 DNS lookups") {
		t.Errorf("lookup-limit = %v, want \"needs at least 12 DNS lookups\"", lim)
	}
}

// TestSPFRepeatedIncludeCountedOnceAsked: a name included from two
// records is asked once but counted (and its void lookups found) at
// each include, as receivers evaluate it; a pass for all through it is
// still found where it is met the second time.
func TestSPFRepeatedIncludeCountedOnceAsked(t *testing.T) {
	t.Parallel()
	r, srv := spfWorld(t, []string{
		`b.test. 60 IN TXT "v=spf1 include:x.b.test include:y.b.test -all"`,
		`x.b.test. 60 IN TXT "v=spf1 include:c.b.test -all"`,
		`y.b.test. 60 IN TXT "v=spf1 include:c.b.test -all"`,
		`c.b.test. 60 IN TXT "v=spf1 a:gone.b.test -all"`,
	})
	rep := CheckSPF(context.Background(), r, discard(), "b.test")
	// b: 2; x: 1 + c (1); y: 1 + c (1): 6.
	if rep.Tree.Total != 6 || rep.Tree.VoidSum != 2 || rep.Tree.Partial {
		t.Errorf("total %d, voids %d, partial %v; want 6, 2, false", rep.Tree.Total, rep.Tree.VoidSum, rep.Tree.Partial)
	}
	y := rep.Tree.Children[1]
	if len(y.Children) != 1 || !y.Children[0].Repeat || y.Children[0].Total != 1 {
		t.Errorf("y's include of c = %+v, want a repeat costing 1", y.Children)
	}
	// TXT b, x, y, c; A and AAAA of gone once; TYPE SPF of b.
	if q := srv.Queries(); q != 7 {
		t.Errorf("%d queries, want 7: c and its a term asked once", q)
	}
	if v := findingCode(rep.Findings, "spf.lookups"); len(v) != 1 || !strings.Contains(v[0].Message, "2 of the 2") {
		t.Errorf("lookups finding %v: want the void lookup of c counted twice", v)
	}

	r, _ = spfWorld(t, []string{
		`b.test. 60 IN TXT "v=spf1 include:x.b.test include:y.b.test -all"`,
		`x.b.test. 60 IN TXT "v=spf1 ~include:c.b.test -all"`,
		`y.b.test. 60 IN TXT "v=spf1 include:c.b.test -all"`,
		`c.b.test. 60 IN TXT "v=spf1 include:d.b.test -all"`,
		`d.b.test. 60 IN TXT "v=spf1 +all"`,
	})
	rep = CheckSPF(context.Background(), r, discard(), "b.test")
	if p := findingCode(rep.Findings, "spf.pass-all"); len(p) != 1 || !strings.Contains(p[0].Message, "include:y.b.test") {
		t.Errorf("pass-all = %v, want one through include:y.b.test (c walked under x, met again under y)", p)
	}
}

// TestSPFFindingsPerRecordBounded: a record of many strings and many ptr
// terms gets one string-split and one ptr finding, each carrying the
// record, not one per boundary and per term (5,000 findings of a 20 KB
// record each before).
func TestSPFFindingsPerRecordBounded(t *testing.T) {
	t.Parallel()
	rec := "v=spf1 " + strings.Repeat("ptr ", 5000) + "-all"
	var strs []string
	for len(rec) > 0 {
		n := min(len(rec), 198) // boundaries inside "ptr" terms
		strs = append(strs, `"`+rec[:n]+`"`)
		rec = rec[n:]
	}
	r, _ := spfWorld(t, []string{"b.test. 60 IN TXT " + strings.Join(strs, " ")})
	rep := CheckSPF(context.Background(), r, discard(), "b.test")
	for _, code := range []string{"spf.ptr", "spf.string-split"} {
		if n := len(findingCode(rep.Findings, code)); n != 1 {
			t.Errorf("%d %s findings, want 1", n, code)
		}
	}
	if s := findingCode(rep.Findings, "spf.string-split"); len(s) == 1 && !strings.Contains(s[0].Message, "more boundaries fall inside terms too") {
		t.Errorf("string-split %q does not say that more boundaries fall inside terms", s[0].Message)
	}
	if body, _ := json.Marshal(rep); len(body) > 1<<20 {
		t.Errorf("report of %d bytes in %d findings, want at most 1 MiB", len(body), len(rep.Findings))
	}
}
