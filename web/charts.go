package web

import (
	"slices"
	"time"

	"costbot/models"
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

// hourChart is the 24 hours up to latest, by service.
func hourChart(tr *translator, costs []models.HourServiceCost, latest time.Time, tz *time.Location) chartData {
	var c chartData
	index := map[int64]int{}
	for h := latest.Add(-23 * time.Hour); !h.After(latest); h = h.Add(time.Hour) {
		index[h.Unix()] = len(c.Labels)
		c.Labels = append(c.Labels, h.In(tz).Format("15:04"))
	}
	bySvc := map[string][]float64{}
	var order []string
	for _, hc := range costs {
		i, ok := index[hc.Hour.Unix()]
		if !ok {
			continue
		}
		if _, seen := bySvc[hc.Service]; !seen {
			bySvc[hc.Service] = make([]float64, len(c.Labels))
			order = append(order, hc.Service)
		}
		bySvc[hc.Service][i] += hc.USD
	}
	return withSeries(tr, c, bySvc, order)
}

// monthChart is each month's bill, by service.
func monthChart(tr *translator, bills []models.Bill) chartData {
	var c chartData
	bySvc := map[string][]float64{}
	var order []string
	for i, b := range bills {
		c.Labels = append(c.Labels, b.Month)
		for _, sc := range b.Services {
			if _, seen := bySvc[sc.Service]; !seen {
				bySvc[sc.Service] = make([]float64, len(bills))
				order = append(order, sc.Service)
			}
			bySvc[sc.Service][i] = sc.USD
		}
	}
	return withSeries(tr, c, bySvc, order)
}

// withSeries adds the services' series, the costliest in all first.
func withSeries(tr *translator, c chartData, bySvc map[string][]float64, order []string) chartData {
	total := func(s string) (t float64) {
		for _, v := range bySvc[s] {
			t += v
		}
		return t
	}
	slices.SortStableFunc(order, func(a, b string) int {
		ta, tb := total(a), total(b)
		switch {
		case ta > tb:
			return -1
		case ta < tb:
			return 1
		}
		return 0
	})
	for _, s := range order {
		c.Series = append(c.Series, chartSeries{Name: tr.Service(s), Values: bySvc[s]})
	}
	return c
}
