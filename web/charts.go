package web

import (
	"time"

	"costbot/figures"
)

// chartData is a stacked bar chart as app.js hands it to uPlot: a label per bar (an
// hour in REPORT_TZ, or a month), one value per bar for each series.
type chartData struct {
	Labels []string      `json:"labels"`
	Series []chartSeries `json:"series"`
}

type chartSeries struct {
	Name   string    `json:"name"`
	Values []float64 `json:"values"`
}

// chartOf is a series as app.js hands it to uPlot: a label per bucket (label formats a
// bucket's start in the series' zone), one value per bucket for each service, the
// costliest in all first.
func chartOf(tr *translator, fs figures.Series, label func(time.Time) string) chartData {
	c := chartData{Labels: make([]string, len(fs.Buckets))}
	for i, t := range fs.Buckets {
		c.Labels[i] = label(t.In(fs.Loc))
	}
	for i, svc := range fs.Services {
		c.Series = append(c.Series, chartSeries{Name: tr.Service(svc), Values: fs.Values[i]})
	}
	return c
}
