package console

import (
	"fmt"
	"html/template"
	"strings"

	"github.com/shopspring/decimal"
)

// bar is one bar of a chart.
type bar struct {
	Label string
	Value decimal.Decimal
}

// barChart draws horizontal bars as inline SVG on the server: no script
// and nothing fetched. Its title and each bar's <title> say the figures,
// for screen readers and tooltips.
func barChart(title, unit string, places int32, bars []bar) template.HTML {
	const width, labelW, rowH, valueW = 440, 110, 28, 100
	maxV := decimal.Zero
	for _, b := range bars {
		maxV = decimal.Max(maxV, b.Value.Abs())
	}
	h := rowH*len(bars) + 8
	if len(bars) == 0 {
		return template.HTML(`<p class="empty">No figures for this period.</p>`)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`,
		width, h, template.HTMLEscapeString(title))
	fmt.Fprintf(&sb, `<title>%s</title>`, template.HTMLEscapeString(title))
	span := width - labelW - valueW
	for i, b := range bars {
		y := 4 + i*rowH
		w := 0.0
		if maxV.IsPositive() {
			w = b.Value.Abs().Div(maxV).InexactFloat64() * float64(span)
		}
		label, value := template.HTMLEscapeString(b.Label), template.HTMLEscapeString(b.Value.StringFixed(places)+unit)
		fmt.Fprintf(&sb, `<g><title>%s: %s</title>`, label, value)
		fmt.Fprintf(&sb, `<text x="%d" y="%d" text-anchor="end" class="chart-label">%s</text>`, labelW-8, y+17, label)
		fmt.Fprintf(&sb, `<rect x="%d" y="%d" width="%.1f" height="%d" rx="3" class="chart-bar"></rect>`, labelW, y+3, w, rowH-8)
		fmt.Fprintf(&sb, `<text x="%.1f" y="%d" class="chart-value">%s</text></g>`, float64(labelW)+w+6, y+17, value)
	}
	sb.WriteString(`</svg>`)
	return template.HTML(sb.String())
}
