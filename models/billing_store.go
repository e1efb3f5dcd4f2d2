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
