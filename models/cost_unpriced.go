package models

import (
	"context"
	"fmt"
	"time"
)

// UnpricedService is how many of a service's resources have no price, and why (the
// reason of one of them), so a view can say "unpriced" instead of showing $0.
type UnpricedService struct {
	Count  int
	Reason string
}

// unpricedActiveAll counts the active resources without a price, per service.
func (s *CostHistory) unpricedActiveAll(ctx context.Context) (map[string]UnpricedService, error) {
	var rows []struct {
		Service string
		N       int
		Reason  string
	}
	err := s.db.WithContext(ctx).Raw(`SELECT service, COUNT(*) AS n, MAX(price_note) AS reason
		FROM resources WHERE active = ? AND priced = ? GROUP BY service`, true, false).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: unpriced resources: %w", err)
	}
	out := make(map[string]UnpricedService, len(rows))
	for _, r := range rows {
		out[r.Service] = UnpricedService{Count: r.N, Reason: r.Reason}
	}
	return out, nil
}

// UnpricedBetween counts, per service, the resources seen in [start, end) whose latest
// price is none: a bill or a chart of the period leaves them out of its totals. It reads
// the resources table (one row per resource), not the hourly rows, so a month costs no
// more to ask than a day.
func (s *CostHistory) unpricedBetweenAll(ctx context.Context, start, end time.Time) (map[string]int, error) {
	var rows []struct {
		Service string
		N       int
	}
	err := s.db.WithContext(ctx).Raw(`SELECT service, COUNT(*) AS n FROM resources
		WHERE priced = ? AND last_seen >= ? AND first_seen < ? GROUP BY service`, false, start.UTC(), end.UTC()).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: unpriced resources between %s and %s: %w", start.Format(time.RFC3339), end.Format(time.RFC3339), err)
	}
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.Service] = r.N
	}
	return out, nil
}

// UnpricedPerMonth is UnpricedBetween for every month of months (YYYY-MM) in one read:
// per month, per service, the resources seen in it whose latest price is none. A page
// of every month's bill asks once, not once a month.
func (s *CostHistory) UnpricedPerMonth(ctx context.Context, months []string) (map[string]map[string]int, error) {
	out := make(map[string]map[string]int, len(months))
	if len(months) == 0 {
		return out, nil
	}
	type span struct{ start, end time.Time }
	spans := make(map[string]span, len(months))
	var first, last time.Time
	for _, m := range months {
		start, err := MonthStart(m)
		if err != nil {
			return nil, err
		}
		spans[m] = span{start, start.AddDate(0, 1, 0)}
		if first.IsZero() || start.Before(first) {
			first = start
		}
		if end := start.AddDate(0, 1, 0); end.After(last) {
			last = end
		}
	}
	var rows []struct {
		Service             string
		FirstSeen, LastSeen time.Time
	}
	err := s.db.WithContext(ctx).Raw(`SELECT service, first_seen, last_seen FROM resources
		WHERE priced = ? AND last_seen >= ? AND first_seen < ?`, false, first, last).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: unpriced resources per month: %w", err)
	}
	for m, sp := range spans {
		for _, r := range rows {
			if !r.LastSeen.Before(sp.start) && r.FirstSeen.Before(sp.end) {
				if out[m] == nil {
					out[m] = map[string]int{}
				}
				out[m][r.Service]++
			}
		}
	}
	return out, nil
}
