package models

import (
	"context"
	"fmt"
)

// The comparisons of many months at once, for a page of every month's bill.

const (
	qBilledDaysByMonth = `SELECT month, COUNT(DISTINCT day) AS days, CAST(MIN(day) AS TEXT) AS first, CAST(MAX(day) AS TEXT) AS last
		FROM billed_costs WHERE month IN ? GROUP BY month`
	qBilledLinesByMonth = `SELECT month, service, usage_type, record, SUM(unblended_usd) AS unblended_usd, SUM(net_usd) AS net_usd,
		SUM(quantity) AS quantity, MAX(unit) AS unit
		FROM billed_costs WHERE month IN ? GROUP BY month, service, usage_type, record`
)

// BillComparisons is BillComparison of every billed day of each of months, the billed
// days and lines of all of them read in one query each rather than two a month. A
// month AWS billed nothing for gives an empty comparison.
func (s *Store) BillComparisons(ctx context.Context, months []string, estimated []string) (map[string]BillComparison, error) {
	out := make(map[string]BillComparison, len(months))
	if len(months) == 0 {
		return out, nil
	}
	db := s.db.WithContext(ctx)
	var spans []struct {
		Month       string
		Days        int
		First, Last *string
	}
	if err := db.Raw(qBilledDaysByMonth, months).Scan(&spans).Error; err != nil {
		return nil, fmt.Errorf("store: billed days per month: %w", err)
	}
	var rows []struct {
		Month string
		BilledLineSum
	}
	if err := db.Raw(qBilledLinesByMonth, months).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: billed lines per month: %w", err)
	}
	lines := map[string][]BilledLineSum{}
	for _, r := range rows {
		lines[r.Month] = append(lines[r.Month], r.BilledLineSum)
	}
	billed := map[string]billedSpan{}
	for _, sp := range spans {
		billed[sp.Month] = billedSpan{Days: sp.Days, First: sp.First, Last: sp.Last}
	}
	for _, m := range months {
		c, err := s.compareBilled(ctx, m, true, billed[m], lines[m], estimated)
		if err != nil {
			return nil, fmt.Errorf("store: bill comparison %s: %w", m, err)
		}
		out[m] = c
	}
	return out, nil
}
