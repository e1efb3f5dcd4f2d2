package models

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// refreshMonth recomputes an open month's monthly_summary from its hours, so it can be
// done any number of times: per service the sum of cost_summary; Hours and
// EstimatedHours are the month's collected hours and those with any estimated figure
// (the same for every service). A closed month is never rewritten.
func refreshMonth(tx *gorm.DB, month string, at time.Time) error {
	start, end, err := monthRange(month)
	if err != nil {
		return err
	}
	var closed int64
	if err := tx.Model(&MonthlySummary{}).Where("month = ? AND closed = ?", month, true).Count(&closed).Error; err != nil {
		return fmt.Errorf("monthly summary %s: %w", month, err)
	}
	if closed > 0 {
		return nil
	}
	var services []struct {
		Service string
		Cost    float64
	}
	// Summed per hour first, in the primary key's order, so only those sums are sorted
	// by service: a month has up to 744 × services × regions rows.
	err = tx.Raw(`SELECT service, SUM(cost) AS cost FROM (
			SELECT hour, service, SUM(cost_usd) AS cost FROM cost_summary WHERE hour >= ? AND hour < ? GROUP BY hour, service) AS h
		GROUP BY service ORDER BY service`, start, end).
		Scan(&services).Error
	if err != nil {
		return fmt.Errorf("monthly summary %s: %w", month, err)
	}
	var hours struct{ Hours, Estimated int }
	err = tx.Raw(`SELECT COUNT(*) AS hours, COALESCE(SUM(CASE WHEN estimated THEN 1 ELSE 0 END), 0) AS estimated FROM cost_hours WHERE month = ?`, month).
		Scan(&hours).Error
	if err != nil {
		return fmt.Errorf("monthly summary %s: %w", month, err)
	}
	keep := make([]string, 0, len(services))
	rows := make([]MonthlySummary, 0, len(services))
	for _, sv := range services {
		keep = append(keep, sv.Service)
		rows = append(rows, MonthlySummary{Month: month, Service: sv.Service, CostUSD: sv.Cost,
			Hours: hours.Hours, EstimatedHours: hours.Estimated, UpdatedAt: at.UTC()})
	}
	del := tx.Where("month = ?", month)
	if len(keep) > 0 {
		del = del.Where("service NOT IN ?", keep)
	}
	if err := del.Delete(&MonthlySummary{}).Error; err != nil {
		return fmt.Errorf("monthly summary %s: %w", month, err)
	}
	if len(rows) == 0 {
		return nil
	}
	err = tx.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "month"}, {Name: "service"}},
		DoUpdates: clause.AssignmentColumns([]string{"cost_usd", "hours", "estimated_hours", "updated_at"}),
	}).Create(&rows).Error
	if err != nil {
		return fmt.Errorf("monthly summary %s: %w", month, err)
	}
	return nil
}

// CloseMonthsBefore closes every month before month (YYYY-MM) that has collected hours
// and is not closed yet: its bill is recomputed one last time, then marked Closed with
// ClosedAt = at, and never rewritten. It returns the bills it closed, oldest first. A
// month without any cost has no bill to close.
func (s *CostHistory) CloseMonthsBefore(ctx context.Context, month string, at time.Time) ([]BillClosed, error) {
	var out []BillClosed
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := oneCostWriter(tx); err != nil {
			return err
		}
		var months []string
		if err := tx.Model(&CostHour{}).Distinct("month").Where("month < ?", month).Order("month").Pluck("month", &months).Error; err != nil {
			return err
		}
		var closed []string
		if err := tx.Model(&MonthlySummary{}).Distinct("month").Where("month < ? AND closed = ?", month, true).Pluck("month", &closed).Error; err != nil {
			return err
		}
		for _, m := range months {
			if slices.Contains(closed, m) {
				continue
			}
			if err := refreshMonth(tx, m, at); err != nil {
				return err
			}
			var rows []MonthlySummary
			if err := tx.Where("month = ?", m).Find(&rows).Error; err != nil {
				return err
			}
			if len(rows) == 0 {
				continue
			}
			closedAt := at.UTC()
			if err := tx.Model(&MonthlySummary{}).Where("month = ?", m).
				Updates(map[string]any{"closed": true, "closed_at": closedAt, "updated_at": closedAt}).Error; err != nil {
				return err
			}
			out = append(out, billOf(m, rows))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: close months before %s: %w", month, err)
	}
	return out, nil
}

// billOf sums a month's rows into the BillClosed event's data.
func billOf(month string, rows []MonthlySummary) BillClosed {
	b := BillClosed{Month: month}
	for _, r := range rows {
		b.TotalUSD += r.CostUSD
		b.Services = append(b.Services, ServiceCost{Service: r.Service, USD: r.CostUSD})
		b.Hours = max(b.Hours, r.Hours)
		b.EstimatedHours = max(b.EstimatedHours, r.EstimatedHours)
	}
	slices.SortStableFunc(b.Services, func(x, y ServiceCost) int {
		if x.USD != y.USD {
			if x.USD > y.USD {
				return -1
			}
			return 1
		}
		return strings.Compare(x.Service, y.Service)
	})
	return b
}

// MonthlyRows is a month's monthly_summary rows, by service.
func (s *CostHistory) MonthlyRows(ctx context.Context, month string) ([]MonthlySummary, error) {
	var rows []MonthlySummary
	if err := s.db.WithContext(ctx).Where("month = ?", month).Order("service").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: monthly rows %s: %w", month, err)
	}
	return rows, nil
}

// MonthToDate returns the pricer's state (JSON) to price hour with: the state stored
// before that hour when it was collected already (so it prices identically again), else
// the state after the latest hour collected before it. ok is false when there is none.
func (s *CostHistory) MonthToDate(ctx context.Context, hour time.Time) (state string, ok bool, err error) {
	hour = hour.UTC()
	var row MonthToDateState
	db := s.db.WithContext(ctx)
	if err := db.Where("hour = ?", hour).Limit(1).Find(&row).Error; err != nil {
		return "", false, fmt.Errorf("store: month to date: %w", err)
	}
	if row.ID != 0 {
		return row.Before, true, nil
	}
	if err := db.Where("hour < ?", hour).Order("hour DESC").Limit(1).Find(&row).Error; err != nil {
		return "", false, fmt.Errorf("store: month to date: %w", err)
	}
	return row.After, row.ID != 0, nil
}

// MonthToDateOf is the pricer's state before and after the collected hour, if stored.
func (s *CostHistory) MonthToDateOf(ctx context.Context, hour time.Time) (before, after string, ok bool, err error) {
	var row MonthToDateState
	if err := s.db.WithContext(ctx).Where("hour = ?", hour.UTC()).Limit(1).Find(&row).Error; err != nil {
		return "", "", false, fmt.Errorf("store: month to date of %s: %w", hour.UTC().Format(time.RFC3339), err)
	}
	return row.Before, row.After, row.ID != 0, nil
}

// PutMonthToDate stores the pricer's state before and after hour, and forgets the
// states of hours before the previous month.
func (s *CostHistory) PutMonthToDate(ctx context.Context, hour time.Time, before, after string) error {
	hour = hour.UTC()
	row := MonthToDateState{Hour: hour, Before: before, After: after}
	db := s.db.WithContext(ctx)
	err := db.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "hour"}}, DoUpdates: clause.AssignmentColumns([]string{"before", "after"})}).
		Create(&row).Error
	if err != nil {
		return fmt.Errorf("store: put month to date: %w", err)
	}
	start := MonthStartOf(hour)
	if err := db.Where("hour < ?", start.AddDate(0, -1, 0)).Delete(&MonthToDateState{}).Error; err != nil {
		return fmt.Errorf("store: prune month to date: %w", err)
	}
	return nil
}
