package reliability

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
)

// Series is one line of a panel.
type Series struct {
	Name   string
	Color  string
	Points []float64 // one per minute; NaN for none
}

// Panel is one chart of the plot: a title, a unit and lines over minutes.
type Panel struct {
	Title, Unit string
	Series      []Series
}

// Plot writes panels stacked as one SVG image, minutes along the x axis.
func Plot(w io.Writer, title string, minutes int, panels []Panel) error {
	const width, panelH, left, right, top, gap = 900, 190, 70, 170, 40, 45
	height := top + len(panels)*(panelH+gap)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/><text x="%d" y="22" font-size="15" font-weight="bold">%s</text>`+"\n", left, esc(title))
	plotW := float64(width - left - right)
	for pi, p := range panels {
		y0 := float64(top + pi*(panelH+gap) + 12)
		hi := 0.0
		for _, s := range p.Series {
			for _, v := range s.Points {
				if !math.IsNaN(v) {
					hi = math.Max(hi, v)
				}
			}
		}
		hi = niceCeil(hi)
		fmt.Fprintf(&b, `<text x="%d" y="%.0f" font-weight="bold">%s</text>`+"\n", left, y0-4, esc(p.Title))
		fmt.Fprintf(&b, `<rect x="%d" y="%.0f" width="%.0f" height="%d" fill="none" stroke="#999"/>`+"\n", left, y0, plotW, panelH)
		for i := 0; i <= 4; i++ {
			v := hi * float64(i) / 4
			y := y0 + panelH - float64(panelH)*float64(i)/4
			fmt.Fprintf(&b, `<line x1="%d" x2="%.0f" y1="%.1f" y2="%.1f" stroke="#eee"/><text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n",
				left, float64(left)+plotW, y, y, left-6, y+4, esc(trimFloat(v)+" "+p.Unit))
		}
		for m := 0; m < minutes; m += max(1, minutes/10) {
			x := float64(left) + plotW*float64(m)/float64(max(minutes-1, 1))
			fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" text-anchor="middle" fill="#555">%d</text>`+"\n", x, y0+panelH+15, m+1)
		}
		for si, s := range p.Series {
			var pts []string
			for m, v := range s.Points {
				if math.IsNaN(v) {
					continue
				}
				x := float64(left) + plotW*float64(m)/float64(max(minutes-1, 1))
				y := y0 + panelH - float64(panelH)*v/math.Max(hi, 1e-9)
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
			}
			if len(pts) > 0 {
				fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.6" points="%s"/>`+"\n", s.Color, strings.Join(pts, " "))
			}
			ly := y0 + 14 + float64(si)*16
			fmt.Fprintf(&b, `<line x1="%.0f" x2="%.0f" y1="%.0f" y2="%.0f" stroke="%s" stroke-width="2"/><text x="%.0f" y="%.0f">%s</text>`+"\n",
				float64(left)+plotW+10, float64(left)+plotW+28, ly-4, ly-4, s.Color, float64(left)+plotW+33, ly, esc(s.Name))
		}
	}
	fmt.Fprintf(&b, `<text x="%.0f" y="%d" text-anchor="middle" fill="#555">minute of the soak</text>`+"\n", float64(left)+plotW/2, height-8)
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten (1 for 0).
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func trimFloat(v float64) string {
	s := fmt.Sprintf("%.2f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}

func esc(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// palette colors series in order.
var palette = []string{"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"}

// soakPanels are the soak's plot: latency, unhealthy answers, and each
// long-lived instance's goroutines and resident memory.
func soakPanels(s Soak) []Panel {
	n := len(s.Minutes)
	lat := func(f func(SoakMinute) float64) []float64 {
		out := make([]float64, n)
		for i, m := range s.Minutes {
			out[i] = f(m)
		}
		return out
	}
	ms := func(d interface{ Seconds() float64 }) float64 { return d.Seconds() * 1000 }
	panels := []Panel{
		{Title: "latency, all routes", Unit: "ms", Series: []Series{
			{Name: "p50", Color: palette[0], Points: lat(func(m SoakMinute) float64 { return ms(m.P50) })},
			{Name: "p95", Color: palette[1], Points: lat(func(m SoakMinute) float64 { return ms(m.P95) })},
			{Name: "p99", Color: palette[3], Points: lat(func(m SoakMinute) float64 { return ms(m.P99) })},
		}},
		{Title: "unhealthy answers", Unit: "%", Series: []Series{
			{Name: "share", Color: palette[3], Points: lat(func(m SoakMinute) float64 {
				if m.Requests == 0 {
					return math.NaN()
				}
				return 100 * float64(m.Unhealthy) / float64(m.Requests)
			})},
		}},
	}
	ids := map[string]int{}
	for _, m := range s.Minutes {
		for id := range m.Goroutines {
			ids[id]++
		}
	}
	var long []string
	for id, c := range ids {
		if c >= n/2 {
			long = append(long, id)
		}
	}
	slices.Sort(long)
	gor, rss := Panel{Title: "goroutines per aggregator instance", Unit: ""}, Panel{Title: "resident memory per aggregator instance", Unit: "MiB"}
	for i, id := range long {
		g, r := make([]float64, n), make([]float64, n)
		for j, m := range s.Minutes {
			g[j], r[j] = math.NaN(), math.NaN()
			if v, ok := m.Goroutines[id]; ok {
				g[j] = float64(v)
			}
			if v, ok := m.RSS[id]; ok && v > 0 {
				r[j] = float64(v) / (1 << 20)
			}
		}
		name := "instance " + id
		gor.Series = append(gor.Series, Series{Name: name, Color: palette[i%len(palette)], Points: g})
		rss.Series = append(rss.Series, Series{Name: name, Color: palette[i%len(palette)], Points: r})
	}
	return append(panels, gor, rss)
}
