package relay

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// A split whose weights overflow when summed must still pick an arm: the
// picker runs after the 250, so a panic there loses nothing but kills the
// daemon at every restart.
func TestSplitSurvivesHugeWeights(t *testing.T) {
	t.Parallel()
	r := &Relay{seed: 1, paths: map[string]*path{"a": {}, "b": {}, "c": {}}}
	tests := [][]int{
		{math.MaxInt64, math.MaxInt64, 2},
		{math.MaxInt64, 1},
		{0, 0, 0},
		{-5, math.MinInt64, 3},
	}
	for _, ws := range tests {
		rt := RouteConfig{Split: []WeightedPath{{Path: "a", Weight: ws[0]}, {Path: "b", Weight: ws[1]}}}
		if len(ws) > 2 {
			rt.Split = append(rt.Split, WeightedPath{Path: "c", Weight: ws[2]})
		}
		for i := 0; i < 50; i++ {
			var got []*path
			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Fatalf("weights %v: split panicked: %v", ws, p)
					}
				}()
				got = r.split(rt, fmt.Sprintf("m%d", i), "x@r.test")
			}()
			if len(got) != len(rt.Split) {
				t.Fatalf("weights %v: %d paths, want every arm once", ws, len(got))
			}
		}
	}
}

// The picker's arithmetic must not move a valid split's choice: messages
// already queued keep their arm across an upgrade.
func TestSplitChoiceStable(t *testing.T) {
	t.Parallel()
	a, b := &path{}, &path{}
	r := &Relay{seed: 7, paths: map[string]*path{"a": a, "b": b}}
	rt := RouteConfig{Split: []WeightedPath{{Path: "a", Weight: 3}, {Path: "b", Weight: 1}}}
	na := 0
	for i := 0; i < 400; i++ {
		id := fmt.Sprintf("m%d", i)
		first := r.split(rt, id, "x@r.test")[0]
		if again := r.split(rt, id, "x@r.test")[0]; again != first {
			t.Fatalf("%s: the choice changed between two calls", id)
		}
		if first == a {
			na++
		}
	}
	if na < 250 || na > 350 {
		t.Errorf("weights 3:1 sent %d of 400 to a, want about 300", na)
	}
}

func TestSplitWeightsChecked(t *testing.T) {
	t.Parallel()
	tests := []struct {
		weight int
		want   string // "" for no error
	}{
		{1, ""},
		{maxSplitWeight, ""},
		{0, "must be positive"},
		{-3, "must be positive"},
		{maxSplitWeight + 1, "1000000"},
		{math.MaxInt64, "1000000"},
	}
	for _, tt := range tests {
		rt := RouteConfig{Name: "bulk", Split: []WeightedPath{{Path: "a", Weight: 1}, {Path: "b", Weight: tt.weight}}}
		err := rt.checkWeights("relay.routes[2]")
		if tt.want == "" {
			if err != nil {
				t.Errorf("weight %d: %v, want no error", tt.weight, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("weight %d: no error", tt.weight)
			continue
		}
		for _, s := range []string{"relay.routes[2].split[1].weight", `"bulk"`, tt.want} {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("weight %d: error %q does not say %q", tt.weight, err, s)
			}
		}
	}
}
