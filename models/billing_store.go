package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

const billingStatusName = "ce"

const (
	qBilledLines = `SELECT service, usage_type, record, SUM(unblended_usd) AS unblended_usd, SUM(net_usd) AS net_usd,
		SUM(quantity) AS quantity, MAX(unit) AS unit
		FROM billed_costs WHERE month = ? AND day < ? GROUP BY service, usage_type, record`
	qBilledDays = `SELECT COUNT(DISTINCT day) AS days, CAST(MIN(day) AS TEXT) AS first, CAST(MAX(day) AS TEXT) AS last
		FROM billed_costs WHERE month = ? AND day < ?`
	qEstimatedDays = `SELECT COUNT(DISTINCT substr(CAST(hour AS TEXT), 1, 10)) FROM cost_hours WHERE hour >= ? AND hour < ?`
)

// ReplaceBilled stores what Cost Explorer answered for the days [from, to) of month: the
// lines it returned replace every stored line of those days, so a figure AWS revised is
// revised here and none is stored twice. final says AWS finalised the whole month: it is
// then never asked for again.
func (s *Billing) ReplaceBilled(ctx context.Context, month string, from, to time.Time, lines []BilledCost, final bool, at time.Time) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := oneCostWriter(tx); err != nil {
			return err
		}
		if err := tx.Where("month = ? AND day >= ? AND day < ?", month, from.UTC(), to.UTC()).Delete(&BilledCost{}).Error; err != nil {
			return err
		}
		for i := range lines {
			lines[i].ID = 0
			lines[i].Month = month
			lines[i].Day = lines[i].Day.UTC()
			lines[i].FetchedAt = at.UTC()
		}
		if len(lines) > 0 {
			// Cost Explorer may list one usage type twice in a day (two linked accounts):
			// the amounts add up.
			err := tx.Clauses(clause.OnConflict{
				Columns: []clause.Column{{Name: "day"}, {Name: "service"}, {Name: "usage_type"}, {Name: "record"}},
				DoUpdates: clause.Assignments(map[string]any{
					"unblended_usd": gorm.Expr("billed_costs.unblended_usd + excluded.unblended_usd"),
					"net_usd":       gorm.Expr("billed_costs.net_usd + excluded.net_usd"),
					"quantity":      gorm.Expr("billed_costs.quantity + excluded.quantity"),
				}),
			}).CreateInBatches(lines, 200).Error
			if err != nil {
				return err
			}
		}
		m := BilledMonth{Month: month, Final: final, FetchedAt: at.UTC()}
		if final {
			t := at.UTC()
			m.FinalAt = &t
		}
		var days int64
		if err := tx.Model(&BilledCost{}).Where("month = ?", month).Distinct("day").Count(&days).Error; err != nil {
			return err
		}
		m.Days = int(days)
		var last BilledCost
		if err := tx.Where("month = ?", month).Order("day DESC").Limit(1).Find(&last).Error; err != nil {
			return err
		}
		if last.ID != 0 {
			d := last.Day.UTC()
			m.Through = &d
		}
		return tx.Save(&m).Error
	})
	if err != nil {
		return fmt.Errorf("store: billed %s %s..%s: %w", month, from.UTC().Format(time.DateOnly), to.UTC().Format(time.DateOnly), err)
	}
	return nil
}

// BilledMonthOf is what costbot holds of a month of AWS's bill; ok is false when it
// never stored any.
func (s *Billing) BilledMonthOf(ctx context.Context, month string) (m BilledMonth, ok bool, err error) {
	err = s.db.WithContext(ctx).Where("month = ?", month).Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return BilledMonth{}, false, nil
	}
	if err != nil {
		return BilledMonth{}, false, fmt.Errorf("store: billed month %s: %w", month, err)
	}
	return m, true, nil
}

// RecordCostExplorerRequest notes one paid request.
func (s *Billing) RecordCostExplorerRequest(ctx context.Context, r CostExplorerRequest) error {
	r.ID, r.At = 0, r.At.UTC()
	if err := s.db.WithContext(ctx).Create(&r).Error; err != nil {
		return fmt.Errorf("store: record cost explorer request: %w", err)
	}
	return nil
}

// CostExplorerRequests counts the paid requests made in [from, to).
func (s *Billing) CostExplorerRequests(ctx context.Context, from, to time.Time) (int, error) {
	var n int64
	if err := s.db.WithContext(ctx).Model(&CostExplorerRequest{}).Where("at >= ? AND at < ?", from.UTC(), to.UTC()).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("store: count cost explorer requests: %w", err)
	}
	return int(n), nil
}

// PutBillingStatus records the outcome of reading Cost Explorer: problem "" is success.
func (s *Billing) PutBillingStatus(ctx context.Context, problem, detail string, at time.Time) error {
	st, _, err := s.BillingStatusOf(ctx)
	if err != nil {
		return err
	}
	st.Name, st.CheckedAt, st.Problem, st.Detail = billingStatusName, at.UTC(), problem, detail
	if problem == "" {
		t := at.UTC()
		st.LastOKAt = &t
	}
	if err := s.db.WithContext(ctx).Save(&st).Error; err != nil {
		return fmt.Errorf("store: billing status: %w", err)
	}
	return nil
}

// BillingStatusOf is the latest outcome of reading Cost Explorer; ok is false before the
// first.
func (s *Billing) BillingStatusOf(ctx context.Context) (st BillingStatus, ok bool, err error) {
	err = s.db.WithContext(ctx).Where("name = ?", billingStatusName).Take(&st).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return BillingStatus{}, false, nil
	}
	if err != nil {
		return BillingStatus{}, false, fmt.Errorf("store: billing status: %w", err)
	}
	return st, true, nil
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
