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

// UnpricedActive counts the active resources without a price, per service.
func (s *Store) UnpricedActive(ctx context.Context) (map[string]UnpricedService, error) {
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
func (s *Store) UnpricedBetween(ctx context.Context, start, end time.Time) (map[string]int, error) {
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
