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
// own colour and background).
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
	varRE := regexp.MustCompile(`(--[a-z-]+):\s*(#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b)`)
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
	resolve := func(v string) string {
		v = strings.TrimSpace(v)
		if m := regexp.MustCompile(`^var\((--[a-z-]+)\)$`).FindStringSubmatch(v); m != nil {
			return vars[m[1]]
		}
		return long(v)
	}
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
	rule := regexp.MustCompile(`([^{}]+)\{([^{}]*)\}`)
	decl := func(body, prop string) string {
		m := regexp.MustCompile(`(?:^|;)\s*` + prop + `:\s*([^;]+)`).FindStringSubmatch(body)
		if m == nil {
			return ""
		}
		return resolve(m[1])
	}
	seen := map[string]bool{}
	for _, m := range rule.FindAllStringSubmatch(css, -1) {
		fg, bg := decl(m[2], "color"), decl(m[2], "background")
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
	return 0.2126*l[0] + 0.7152*l[1] + 0.0722*l[2]
}
