package models

import (
	"context"
	"fmt"
	"time"
)

// CostRecordsAt is every resource's cost record of one hour still kept hourly, by
// service, region and resource.
func (s *CostHistory) CostRecordsAt(ctx context.Context, hour time.Time) ([]CostRecord, error) {
	rs, err := recordsAt(s.db.WithContext(ctx), hour.UTC(), nil)
	if err != nil {
		return nil, fmt.Errorf("store: cost records at %s: %w", hour.UTC().Format(time.RFC3339), err)
	}
	return rs, nil
}

// OldestCostRecordHour is the oldest hour still kept per resource; ok is false when
// there is none.
func (s *CostHistory) OldestCostRecordHour(ctx context.Context) (hour time.Time, ok bool, err error) {
	var oldest []int64
	if err := s.db.WithContext(ctx).Raw(`SELECT hour FROM cost_hourly ORDER BY hour LIMIT 1`).Scan(&oldest).Error; err != nil {
		return time.Time{}, false, fmt.Errorf("store: oldest cost record: %w", err)
	}
	if len(oldest) == 0 {
		return time.Time{}, false, nil
	}
	return time.Unix(oldest[0], 0).UTC(), true, nil
}

// DailyCosts is the rolled-up daily rows of the UTC days in [from, to), by day,
// service, region and resource.
func (s *CostHistory) DailyCosts(ctx context.Context, from, to time.Time) ([]CostDaily, error) {
	var rows []struct {
		CostDaily
		DayUnix int64
	}
	err := s.db.WithContext(ctx).Raw(`SELECT d.day AS day_unix, k.service, k.region, k.resource_id, k.account_id, l.name, l.type,
			d.cost_usd, d.hours, d.estimated_hours
		FROM cost_days AS d JOIN cost_keys AS k ON k.id = d.key_id JOIN cost_labels AS l ON l.id = d.label_id
		WHERE d.day >= ? AND d.day < ? ORDER BY d.day, k.service, k.region, k.resource_id`, from.Unix(), to.Unix()).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: daily costs: %w", err)
	}
	out := make([]CostDaily, len(rows))
	for i, r := range rows {
		out[i] = r.CostDaily
		out[i].Day = time.Unix(r.DayUnix, 0).UTC()
	}
	return out, nil
}

// LastCollectedHour is the newest hour in cost_hours (collected or filled); ok is false
// when nothing was collected yet.
func (s *CostHistory) LastCollectedHour(ctx context.Context) (hour time.Time, ok bool, err error) {
	var h CostHour
	if err := s.db.WithContext(ctx).Order("hour DESC").Limit(1).Find(&h).Error; err != nil {
		return time.Time{}, false, fmt.Errorf("store: last collected hour: %w", err)
	}
	return h.Hour.UTC(), h.ID != 0, nil
}

// CostHours are the collected hours in [from, to), oldest first.
func (s *CostHistory) CostHours(ctx context.Context, from, to time.Time) ([]CostHour, error) {
	var hs []CostHour
	err := s.db.WithContext(ctx).Where("hour >= ? AND hour < ?", from.UTC(), to.UTC()).Order("hour").Find(&hs).Error
	if err != nil {
		return nil, fmt.Errorf("store: cost hours: %w", err)
	}
	return hs, nil
}

// ServiceCostsAt is each service's cost in one hour, highest first.
func (s *CostHistory) ServiceCostsAt(ctx context.Context, hour time.Time) ([]ServiceCost, error) {
	var rows []ServiceCost
	err := s.db.WithContext(ctx).Raw(`SELECT service, SUM(cost_usd) AS usd FROM cost_summary WHERE hour = ? GROUP BY service ORDER BY usd DESC, service`, hour.UTC()).
		Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: service costs at %s: %w", hour.UTC().Format(time.RFC3339), err)
	}
	return rows, nil
}
