package figures

import (
	"context"
	"time"

	"costbot/models"
)

// Series is a chart's data: a cost per service per bucket (an hour, a day or a month),
// and the resources of the period no price was found for (the bars leave them out).
type Series struct {
	Loc      *time.Location // the zone of the buckets
	Buckets  []time.Time    // each bucket's start, oldest first
	Services []string       // stacked from the bottom: highest total first, those costing anything
	Values   [][]float64    // Values[i][j] is Services[i] in bucket j
	Unpriced map[string]int // per service, resources of the period without a price
}

// Empty reports whether no service cost anything in the period.
func (s Series) Empty() bool { return len(s.Services) == 0 }

// Total is the sum of every bar.
func (s Series) Total() float64 {
	var t float64
	for _, vs := range s.Values {
		for _, v := range vs {
			t += v
		}
	}
	return t
}

// Series lengths.
const (
	SeriesHours  = 24
	SeriesDays   = 30
	SeriesMonths = 12
)

// HourlySeries is the 24 hours before end (end truncated to the hour), by service.
func (r *Reader) HourlySeries(ctx context.Context, scope Scope, end time.Time) (Series, error) {
	end = end.UTC().Truncate(time.Hour)
	start := end.Add(-SeriesHours * time.Hour)
	rows, err := r.store.HourlyServiceCosts(ctx, start, end, scope)
	if err != nil {
		return Series{}, err
	}
	buckets := make([]time.Time, SeriesHours)
	for i := range buckets {
		buckets[i] = start.Add(time.Duration(i) * time.Hour).In(r.tz())
	}
	byService := map[string][]float64{}
	for _, row := range rows {
		i := int(row.Hour.Sub(start) / time.Hour)
		if i < 0 || i >= SeriesHours {
			continue
		}
		add(byService, row.Service, i, SeriesHours, row.USD)
	}
	return r.series(ctx, scope, r.tz(), buckets, end, byService)
}

// DailySeries is the 30 days up to and including now's day in REPORT_TZ, by service.
func (r *Reader) DailySeries(ctx context.Context, scope Scope, now time.Time) (Series, error) {
	tz := r.tz()
	today := midnight(now, tz)
	first := today.AddDate(0, 0, 1-SeriesDays)
	rows, err := r.store.DailyServiceCosts(ctx, first, today.AddDate(0, 0, 1), tz, scope)
	if err != nil {
		return Series{}, err
	}
	buckets := make([]time.Time, SeriesDays)
	index := map[string]int{}
	for i := range buckets {
		buckets[i] = first.AddDate(0, 0, i)
		index[buckets[i].Format(time.DateOnly)] = i
	}
	byService := map[string][]float64{}
	for _, row := range rows {
		if i, ok := index[row.Day.In(tz).Format(time.DateOnly)]; ok {
			add(byService, row.Service, i, SeriesDays, row.USD)
		}
	}
	return r.series(ctx, scope, tz, buckets, today.AddDate(0, 0, 1), byService)
}

// MonthlySeries is the 12 months up to and including now's (UTC) month, each its bill's
// estimate by service.
func (r *Reader) MonthlySeries(ctx context.Context, scope Scope, now time.Time) (Series, error) {
	month, err := models.MonthStart(models.MonthOf(now))
	if err != nil {
		return Series{}, err
	}
	first := month.AddDate(0, 1-SeriesMonths, 0)
	buckets := make([]time.Time, SeriesMonths)
	byService := map[string][]float64{}
	for i := range buckets {
		buckets[i] = first.AddDate(0, i, 0)
		bill, err := r.store.MonthBill(ctx, models.MonthOf(buckets[i]), scope)
		if err != nil {
			return Series{}, err
		}
		for _, sc := range bill.Services {
			add(byService, sc.Service, i, SeriesMonths, sc.USD)
		}
	}
	return r.series(ctx, scope, time.UTC, buckets, month.AddDate(0, 1, 0), byService)
}

// add adds usd to service's bucket i of n.
func add(byService map[string][]float64, service string, i, n int, usd float64) {
	if byService[service] == nil {
		byService[service] = make([]float64, n)
	}
	byService[service][i] += usd
}

// series keeps the services that cost anything, highest total first, and counts the
// period's unpriced resources (from the first bucket to end).
func (r *Reader) series(ctx context.Context, scope Scope, loc *time.Location, buckets []time.Time, end time.Time, byService map[string][]float64) (Series, error) {
	s := Series{Loc: loc, Buckets: buckets}
	totals := make([]models.ServiceCost, 0, len(byService))
	for name, vs := range byService {
		var t float64
		for _, v := range vs {
			t += v
		}
		if t > 0 {
			totals = append(totals, models.ServiceCost{Service: name, USD: t})
		}
	}
	models.SortServiceCosts(totals)
	for _, t := range totals {
		s.Services = append(s.Services, t.Service)
		s.Values = append(s.Values, byService[t.Service])
	}
	var err error
	s.Unpriced, err = r.store.UnpricedBetween(ctx, buckets[0], end, scope)
	return s, err
}
