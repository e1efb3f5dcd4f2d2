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

// UnpricedBetween counts, per service, the resources that had an unpriced hour in
// [start, end): a bill leaves them out of its totals.
func (s *Store) UnpricedBetween(ctx context.Context, start, end time.Time) (map[string]int, error) {
	var rows []struct {
		Service string
		N       int
	}
	err := s.db.WithContext(ctx).Raw(`SELECT k.service, COUNT(DISTINCT k.id) AS n FROM cost_keys AS k
		WHERE k.id IN (SELECT r.key_id FROM cost_hourly AS r JOIN cost_labels AS l ON l.id = r.label_id
				WHERE l.price_source = ? AND r.hour >= ? AND r.hour < ?
			UNION SELECT d.key_id FROM cost_days AS d JOIN cost_labels AS l ON l.id = d.label_id
				WHERE l.price_source = ? AND d.day >= ? AND d.day < ?)
		GROUP BY k.service`,
		SourceUnpriced, start.Unix(), end.Unix(), SourceUnpriced, start.Unix(), end.Unix()).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: unpriced resources between %s and %s: %w", start.Format(time.RFC3339), end.Format(time.RFC3339), err)
	}
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.Service] = r.N
	}
	return out, nil
}
