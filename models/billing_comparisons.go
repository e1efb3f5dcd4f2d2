package models

import (
	"context"
	"fmt"
	"time"
)

// AWS's bill beside costbot's estimate of the same days: a read across the billing and
// the cost history, so the Store's, not either aggregate's. BillComparisons does many
// months at once, for a page of every month's bill.

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

// BillComparison sets AWS's bill for month's billed days before `before` (the zero time:
// every billed day) beside costbot's estimate of the same days, per service. estimated
// are the services costbot estimates. A month without billed days gives an empty
// comparison.
func (s *Store) BillComparison(ctx context.Context, month string, before time.Time, estimated []string) (BillComparison, error) {
	start, err := MonthStart(month)
	if err != nil {
		return BillComparison{}, err
	}
	end := start.AddDate(0, 1, 0)
	if before.IsZero() || before.After(end) {
		before = end
	}
	fail := func(err error) (BillComparison, error) {
		return BillComparison{}, fmt.Errorf("store: bill comparison %s: %w", month, err)
	}
	db := s.db.WithContext(ctx)
	var span billedSpan
	if err := db.Raw(qBilledDays, month, before.UTC()).Scan(&span).Error; err != nil {
		return fail(err)
	}
	var lines []BilledLineSum
	if span.Days > 0 {
		if err := db.Raw(qBilledLines, month, before.UTC()).Scan(&lines).Error; err != nil {
			return fail(err)
		}
	}
	c, err := s.compareBilled(ctx, month, before.Equal(end), span, lines, estimated)
	if err != nil {
		return fail(err)
	}
	return c, nil
}

// billedSpan is how many days of a month AWS billed, and the first and last.
type billedSpan struct {
	Days        int
	First, Last *string
}

// compareBilled sets a month's billed lines (of the days in span) beside costbot's
// estimate of the same days; wholeMonth says every billed day was read, so a final month
// is final.
func (s *Store) compareBilled(ctx context.Context, month string, wholeMonth bool, span billedSpan, lines []BilledLineSum, estimated []string) (BillComparison, error) {
	c := BillComparison{Month: month}
	if span.Days == 0 || span.First == nil || span.Last == nil {
		return c, nil
	}
	start, err := MonthStart(month)
	if err != nil {
		return c, err
	}
	c.Days = span.Days
	if c.From, err = parseStoredTime(*span.First); err != nil {
		return c, err
	}
	if c.Through, err = parseStoredTime(*span.Last); err != nil {
		return c, err
	}
	estimates, err := s.estimateThrough(ctx, month, start, c.Through.AddDate(0, 0, 1))
	if err != nil {
		return c, err
	}
	m, ok, err := s.BilledMonthOf(ctx, month)
	if err != nil {
		return c, err
	}
	cmp := CompareBill(lines, estimates, estimated)
	cmp.Month, cmp.From, cmp.Through, cmp.Days = month, c.From, c.Through, c.Days
	if err := s.db.WithContext(ctx).Raw(qEstimatedDays, c.From, c.Through.AddDate(0, 0, 1)).Scan(&cmp.EstimatedDays).Error; err != nil {
		return c, err
	}
	cmp.Final = ok && m.Final && wholeMonth
	return cmp, nil
}

// estimateThrough is costbot's estimate per service from the first of the month (days
// AWS billed nothing for are days costbot should have estimated nothing for) to until:
// the month's running bill less the hours after until, which are a day or two, so a
// month of hourly rows is not summed again on every /cost.
func (s *Store) estimateThrough(ctx context.Context, month string, start, until time.Time) ([]ServiceCost, error) {
	bill, err := s.MonthBill(ctx, month, nil)
	if err != nil {
		return nil, err
	}
	after, err := s.ServiceCosts(ctx, until, start.AddDate(0, 1, 0), nil)
	if err != nil {
		return nil, err
	}
	byService := map[string]float64{}
	for _, sc := range bill.Services {
		byService[sc.Service] += sc.USD
	}
	for _, sc := range after {
		byService[sc.Service] -= sc.USD
	}
	out := make([]ServiceCost, 0, len(byService))
	for service, usd := range byService {
		out = append(out, ServiceCost{Service: service, USD: usd})
	}
	SortServiceCosts(out)
	return out, nil
}
