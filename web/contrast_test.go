package web

import (
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestStyleContrast: the text colours of style.css read at WCAG 2 AA's
// 4.5:1 at least against what they stand on, in the light palette and in
// the dark one (prefers-color-scheme: dark, which redefines the
// variables): the advice and the warn colour on a card and on the page,
// and the "deferred" and "delivered" badges (and every rule that sets its
// own colour and background); and the charts' colours, as checkCharts says.
func TestStyleContrast(t *testing.T) {
	t.Parallel()
	css, err := os.ReadFile("ui/style.css")
	if err != nil {
		t.Fatal(err)
	}
	dark := strings.Index(string(css), "@media (prefers-color-scheme: dark)")
	if dark < 0 {
		t.Fatal("style.css has no dark palette")
	}
	varRE := regexp.MustCompile(`(--[a-z0-9-]+):\s*(#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b)`)
	light := map[string]string{}
	for _, m := range varRE.FindAllStringSubmatch(string(css[:dark]), -1) {
		light[m[1]] = long(m[2])
	}
	darkVars := map[string]string{}
	for k, v := range light {
		darkVars[k] = v
	}
	block := string(css[dark:])
	block = block[:strings.Index(block, "}")] // the dark :root's variables
	for _, m := range varRE.FindAllStringSubmatch(block, -1) {
		darkVars[m[1]] = long(m[2])
	}
	t.Run("light", func(t *testing.T) { checkPalette(t, string(css), light) })
	t.Run("dark", func(t *testing.T) { checkPalette(t, string(css), darkVars) })
}

// checkPalette checks the contrast of style.css's colours with the
// variables set as vars gives them.
func checkPalette(t *testing.T, css string, vars map[string]string) {
	check := func(what, fg, bg string) {
		t.Helper()
		if r := contrast(fg, bg); r < 4.5 {
			t.Errorf("%s: %s on %s is %.2f:1, want at least 4.5:1", what, fg, bg, r)
		}
	}
	for _, on := range []string{"--card", "--bg"} {
		for _, fg := range []string{"--warn", "--ok", "--bad", "--muted", "--accent"} {
			check(fg+" text on "+on, vars[fg], vars[on])
		}
	}
	// Each rule with a colour and a background of its own (the badges).
	seen := map[string]bool{}
	for _, m := range cssRule.FindAllStringSubmatch(css, -1) {
		fg, bg := decl(m[2], "color", vars), decl(m[2], "background", vars)
		if !hexColour(fg) || !hexColour(bg) {
			continue
		}
		sel := strings.TrimSpace(m[1])
		for _, name := range []string{".s-deferred", ".s-delivered"} {
			if strings.Contains(sel, name) {
				seen[name] = true
			}
		}
		check(sel, fg, bg)
	}
	for _, name := range []string{".s-deferred", ".s-delivered"} {
		if !seen[name] {
			t.Errorf("no rule of style.css gives %s its colour and background", name)
		}
	}
	checkCharts(t, css, vars)
}

var cssRule = regexp.MustCompile(`([^{}]+)\{([^{}]*)\}`)

// decl is the value of the property prop in a rule's body, a var()
// resolved with vars; "" when the body does not set it.
func decl(body, prop string, vars map[string]string) string {
	m := regexp.MustCompile(`(?:^|;)\s*` + prop + `:\s*([^;]+)`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	v := strings.TrimSpace(m[1])
	if m := regexp.MustCompile(`^var\((--[a-z0-9-]+)\)$`).FindStringSubmatch(v); m != nil {
		return vars[m[1]]
	}
	return long(v)
}

// chartGroups are the classes charts.js colours bars with, by the chart
// that shows them together: the series over time (and their legend), and
// the classes of reply codes.
var chartGroups = [][]string{
	{"c-delivered", "c-deferred", "c-held", "c-bounced", "c-expired"},
	{"c-code2", "c-code3", "c-code4", "c-code5", "c-none"},
}

// chartApart is the least CIE76 colour difference between two colours of
// one chart: far beyond the just noticeable (about 2.3), so that a bar
// and its neighbour, and a bar and its legend's swatch, are told apart
// at a glance.
const chartApart = 25

// checkCharts checks the fill of each chart class: at WCAG 2's 3:1 for
// graphics (1.4.11) on the card a chart stands on, and apart from every
// other colour of its chart. Before, deferred (#e0a100) and held
// (#a3b1c9) were at 2.3:1 and 2.2:1 on white, and expired (#8a3b8f) at
// 2.5:1 on the dark card.
func checkCharts(t *testing.T, css string, vars map[string]string) {
	t.Helper()
	fill := map[string]string{}
	for _, m := range cssRule.FindAllStringSubmatch(css, -1) {
		c := decl(m[2], "fill", vars)
		if !hexColour(c) {
			continue
		}
		for _, sel := range strings.Split(m[1], ",") {
			if sel = strings.TrimSpace(sel); strings.HasPrefix(sel, ".c-") && !strings.ContainsAny(sel, " :>") {
				fill[sel[1:]] = c
			}
		}
	}
	card := vars["--card"]
	for _, group := range chartGroups {
		for i, a := range group {
			if fill[a] == "" {
				t.Errorf("no rule of style.css gives .%s a fill", a)
				continue
			}
			if r := contrast(fill[a], card); r < 3 {
				t.Errorf("chart .%s: %s on the card %s is %.2f:1, want at least 3:1", a, fill[a], card, r)
			}
			for _, b := range group[i+1:] {
				if fill[b] == "" {
					continue
				}
				if d := deltaE(fill[a], fill[b]); d < chartApart {
					t.Errorf("chart .%s %s and .%s %s differ by %.1f (CIE76), want at least %d", a, fill[a], b, fill[b], d, chartApart)
				}
			}
		}
	}
}

// deltaE is the CIE76 difference of two #rrggbb colours: their distance
// in CIELAB (D65).
func deltaE(a, b string) float64 {
	la, lb := lab(a), lab(b)
	return math.Sqrt((la[0]-lb[0])*(la[0]-lb[0]) + (la[1]-lb[1])*(la[1]-lb[1]) + (la[2]-lb[2])*(la[2]-lb[2]))
}

func lab(c string) [3]float64 {
	v := linearRGB(c)
	x := (0.4124*v[0] + 0.3576*v[1] + 0.1805*v[2]) / 0.95047
	y := 0.2126*v[0] + 0.7152*v[1] + 0.0722*v[2]
	z := (0.0193*v[0] + 0.1192*v[1] + 0.9505*v[2]) / 1.08883
	f := func(t float64) float64 {
		if t > 216.0/24389 {
			return math.Cbrt(t)
		}
		return t*24389/27/116 + 16.0/116
	}
	return [3]float64{116*f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))}
}

// long writes #rgb as #rrggbb.
func long(c string) string {
	if len(c) == 4 && c[0] == '#' {
		return "#" + strings.Repeat(c[1:2], 2) + strings.Repeat(c[2:3], 2) + strings.Repeat(c[3:4], 2)
	}
	return c
}

func hexColour(s string) bool { return regexp.MustCompile(`^#[0-9a-fA-F]{6}$`).MatchString(s) }

// contrast is WCAG 2's contrast ratio of two #rrggbb colours.
func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	return (math.Max(la, lb) + 0.05) / (math.Min(la, lb) + 0.05)
}

func luminance(c string) float64 {
	l := linearRGB(c)
	return 0.2126*l[0] + 0.7152*l[1] + 0.0722*l[2]
}

// linearRGB is a #rrggbb colour's red, green and blue as linear light,
// 0 to 1. (WCAG 2 writes the sRGB threshold 0.03928, sRGB itself
// 0.04045: no 8-bit value lies between them.)
func linearRGB(c string) [3]float64 {
	var l [3]float64
	for i := range l {
		n, _ := strconv.ParseUint(c[1+2*i:3+2*i], 16, 8)
		x := float64(n) / 255
		if x <= 0.03928 {
			l[i] = x / 12.92
		} else {
			l[i] = math.Pow((x+0.055)/1.055, 2.4)
		}
	}
	return l
}
