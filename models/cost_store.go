package models

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// The write side of the cost history: what the collect job stores each hour, the gaps
// it fills, the monthly bills it keeps and closes, the rollup of old hourly rows, and
// the small state its alerts need. Every hour is written in one transaction and writing
// an hour again leaves the same rows: rows are upserted on their natural keys (so their
// IDs stay) and the hour's rows that are no longer there are deleted.

// InTx runs fn in one transaction, handing it a Store bound to that transaction. fn must
// use only that Store: the database has one connection, so the outer Store would wait
// for the transaction to end.
func (s *Store) InTx(ctx context.Context, fn func(tx *Store) error) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return fn(&Store{db: tx, path: s.path})
	})
}

// TaskScope is what one scan task covers: a service in one region, or, for a global
// task (Region GlobalRegion, e.g. S3 whose one listing places buckets in their own
// regions), the service in every region except those its regional tasks cover.
type TaskScope struct {
	Service string
	Region  string
	Except  []string // for a global task: regions covered by the service's regional tasks
}

func (t TaskScope) String() string { return t.Service + "/" + t.Region }

// Covers reports whether a resource of service in region belongs to the task.
func (t TaskScope) Covers(service, region string) bool {
	if service != t.Service {
		return false
	}
	if t.Region == GlobalRegion {
		return !slices.Contains(t.Except, region)
	}
	return region == t.Region
}

// where narrows a query to the rows the task covers.
func (t TaskScope) where(db *gorm.DB) *gorm.DB {
	db = db.Where("service = ?", t.Service)
	switch {
	case t.Region != GlobalRegion:
		return db.Where("region = ?", t.Region)
	case len(t.Except) > 0:
		return db.Where("region NOT IN ?", t.Except)
	}
	return db
}

// HourWrite is what one collection stores for one hour.
type HourWrite struct {
	Hour        time.Time // truncated to the hour, UTC
	CollectedAt time.Time
	Records     []CostRecord   // one per scanned resource
	Lambda      []LambdaRecord // one per scanned function
	Resources   []ResourceRow  // the scanned resources' latest state
	// Listed are the tasks that succeeded: their resources missing from Resources are
	// marked inactive.
	Listed []TaskScope
	// Failed are the tasks that failed: their resources keep their state, and their cost
	// records of the last hour known before this one are carried forward, estimated.
	Failed []TaskScope
}

// WriteHour stores an hour: its cost records (scanned, and carried forward for failed
// tasks), the summaries per service and region, the Lambda records, the resources'
// latest state, the hour's total in cost_hours, and the month's running bill. It
// returns the hour's total row.
func (s *Store) WriteHour(ctx context.Context, w HourWrite) (CostHour, error) {
	hour := w.Hour.UTC().Truncate(time.Hour)
	var total CostHour
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		records := slices.Clone(w.Records)
		for i := range records {
			records[i].ID, records[i].Hour = 0, hour
		}
		carriedTasks := 0
		for _, task := range w.Failed {
			carried, err := carryForward(tx, task, hour)
			if err != nil {
				return err
			}
			if len(carried) > 0 {
				carriedTasks++
			}
			records = append(records, carried...)
		}
		if err := putHourRecords(tx, hour, records); err != nil {
			return err
		}
		if err := putHourLambda(tx, hour, w.Lambda); err != nil {
			return err
		}
		if err := putResources(tx, w.Resources, w.Listed, w.CollectedAt.UTC()); err != nil {
			return err
		}
		total = hourTotal(hour, records, w.CollectedAt)
		total.CarriedTasks = carriedTasks
		total.Estimated = carriedTasks > 0
		if err := putCostHour(tx, &total); err != nil {
			return err
		}
		return refreshMonth(tx, monthOf(hour), w.CollectedAt)
	})
	if err != nil {
		return CostHour{}, fmt.Errorf("store: write hour %s: %w", hour.Format(time.RFC3339), err)
	}
	return total, nil
}

// FillHours writes missed hours as copies of the cost records of hour from, every one
// marked estimated, with their summaries and cost_hours rows (Filled), a day of hours
// per transaction and a few statements per day, so even a month's gap is quick. The
// months' bills are refreshed by the next WriteHour, or by CloseMonthsBefore for a past
// month.
func (s *Store) FillHours(ctx context.Context, from time.Time, hours []time.Time, at time.Time) error {
	from = from.UTC()
	var src []CostRecord
	if err := s.db.WithContext(ctx).Where("hour = ?", from).Find(&src).Error; err != nil {
		return fmt.Errorf("store: fill hours from %s: %w", from.Format(time.RFC3339), err)
	}
	for day := range slices.Chunk(hours, 24) {
		err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			return fillDay(tx, from, src, day, at)
		})
		if err != nil {
			return fmt.Errorf("store: fill hours from %s: %w", day[0].UTC().Format(time.RFC3339), err)
		}
	}
	return nil
}

// fillDay copies the records of from (src) into each of hours.
func fillDay(tx *gorm.DB, from time.Time, src []CostRecord, hours []time.Time, at time.Time) error {
	args := make([]any, len(hours))
	totals := make([]CostHour, len(hours))
	for i, h := range hours {
		h = h.UTC().Truncate(time.Hour)
		args[i] = h
		totals[i] = hourTotal(h, src, at)
		totals[i].Filled, totals[i].Estimated = true, true
	}
	for _, table := range []string{"cost_records", "cost_summary", "lambda_records"} {
		if err := tx.Exec("DELETE FROM "+table+" WHERE hour IN ?", args).Error; err != nil {
			return err
		}
	}
	values := strings.TrimSuffix(strings.Repeat("(?),", len(hours)), ",")
	err := tx.Exec(`INSERT INTO cost_records (hour, service, region, resource_id, account_id, name, type, cost_usd, price_source, estimated)
		SELECT v.column1, r.service, r.region, r.resource_id, r.account_id, r.name, r.type, r.cost_usd, r.price_source, true
		FROM (VALUES `+values+`) AS v, cost_records AS r WHERE r.hour = ?`, append(args, from)...).Error
	if err != nil {
		return err
	}
	err = tx.Exec(`INSERT INTO cost_summary (hour, service, region, cost_usd, resource_count, estimated)
		SELECT hour, service, region, SUM(cost_usd), COUNT(*), true FROM cost_records WHERE hour IN ? GROUP BY hour, service, region`, args).Error
	if err != nil {
		return err
	}
	err = tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "hour"}}, UpdateAll: true}).Create(&totals).Error
	if err != nil {
		return fmt.Errorf("cost hours: %w", err)
	}
	return nil
}

// carryForward copies a failed task's cost records of the last hour before hour that
// has any, marked estimated.
func carryForward(tx *gorm.DB, task TaskScope, hour time.Time) ([]CostRecord, error) {
	var last CostSummary
	err := task.where(tx.Where("hour < ?", hour)).Order("hour DESC").Limit(1).Find(&last).Error
	if err != nil || last.ID == 0 {
		return nil, err
	}
	var rs []CostRecord
	err = task.where(tx.Where("hour = ?", last.Hour.UTC())).Order("region, resource_id").Find(&rs).Error
	for i := range rs {
		rs[i].ID, rs[i].Hour, rs[i].Estimated = 0, hour, true
	}
	return rs, err
}

func hourTotal(hour time.Time, records []CostRecord, at time.Time) CostHour {
	t := CostHour{Hour: hour, Month: monthOf(hour), ResourceCount: len(records), CollectedAt: at.UTC()}
	for _, r := range records {
		t.TotalUSD += r.CostUSD
		if r.PriceSource == SourceUnpriced {
			t.Unpriced++
		}
	}
	return t
}

// putHourRecords makes the hour's cost records and summaries exactly records.
func putHourRecords(tx *gorm.DB, hour time.Time, records []CostRecord) error {
	recordKey := func(r CostRecord) string { return r.Service + "\x00" + r.Region + "\x00" + r.ResourceID }
	err := replaceRows(tx, hour, records, recordKey, []string{"hour", "service", "region", "resource_id"})
	if err != nil {
		return fmt.Errorf("cost records: %w", err)
	}
	type serviceRegion struct{ service, region string }
	sums := map[serviceRegion]*CostSummary{}
	var order []serviceRegion
	for _, r := range records {
		k := serviceRegion{r.Service, r.Region}
		sum := sums[k]
		if sum == nil {
			sum = &CostSummary{Hour: hour, Service: r.Service, Region: r.Region}
			sums[k] = sum
			order = append(order, k)
		}
		sum.CostUSD += r.CostUSD
		sum.ResourceCount++
		sum.Estimated = sum.Estimated || r.Estimated
	}
	summaries := make([]CostSummary, len(order))
	for i, k := range order {
		summaries[i] = *sums[k]
	}
	summaryKey := func(c CostSummary) string { return c.Service + "\x00" + c.Region }
	if err := replaceRows(tx, hour, summaries, summaryKey, []string{"hour", "service", "region"}); err != nil {
		return fmt.Errorf("cost summary: %w", err)
	}
	return nil
}

func putHourLambda(tx *gorm.DB, hour time.Time, records []LambdaRecord) error {
	records = slices.Clone(records)
	for i := range records {
		records[i].ID, records[i].Hour = 0, hour
	}
	key := func(r LambdaRecord) string { return r.Region + "\x00" + r.FunctionName }
	if err := replaceRows(tx, hour, records, key, []string{"hour", "region", "function_name"}); err != nil {
		return fmt.Errorf("lambda records: %w", err)
	}
	return nil
}

// replaceRows makes the rows of table T for hour exactly rows: it upserts them on their
// natural key (an existing row keeps its ID) and deletes the hour's other rows.
func replaceRows[T any](tx *gorm.DB, hour time.Time, rows []T, key func(T) string, keyColumns []string) error {
	var existing []T
	if err := tx.Where("hour = ?", hour).Find(&existing).Error; err != nil {
		return err
	}
	keep := make(map[string]bool, len(rows))
	for _, r := range rows {
		keep[key(r)] = true
	}
	var stale []uint
	for _, r := range existing {
		if !keep[key(r)] {
			stale = append(stale, idOf(r))
		}
	}
	for chunk := range slices.Chunk(stale, 500) {
		if err := tx.Delete(new(T), chunk).Error; err != nil {
			return err
		}
	}
	if len(rows) == 0 {
		return nil
	}
	cols := make([]clause.Column, len(keyColumns))
	for i, c := range keyColumns {
		cols[i] = clause.Column{Name: c}
	}
	return tx.Clauses(clause.OnConflict{Columns: cols, UpdateAll: true}).CreateInBatches(rows, 200).Error
}

func idOf(row any) uint {
	switch r := row.(type) {
	case CostRecord:
		return r.ID
	case CostSummary:
		return r.ID
	case LambdaRecord:
		return r.ID
	}
	panic(fmt.Sprintf("models: no ID for %T", row))
}

// putResources marks the listed tasks' resources inactive, then upserts the scanned ones
// as active. FirstSeen is kept from the first time a resource was stored.
func putResources(tx *gorm.DB, rows []ResourceRow, listed []TaskScope, at time.Time) error {
	for _, task := range listed {
		err := task.where(tx.Model(&ResourceRow{}).Where("active = ?", true)).Update("active", false).Error
		if err != nil {
			return fmt.Errorf("resources of %s: %w", task, err)
		}
	}
	if len(rows) == 0 {
		return nil
	}
	rows = slices.Clone(rows)
	for i := range rows {
		rows[i].ID, rows[i].Active = 0, true
		if rows[i].FirstSeen.IsZero() {
			rows[i].FirstSeen = at
		}
		if rows[i].LastSeen.IsZero() {
			rows[i].LastSeen = at
		}
	}
	update := []string{"account_id", "service", "region", "resource_id", "name", "kind", "type", "state",
		"waste", "waste_reason", "attrs", "usage", "hourly_usd", "monthly_usd", "price_source", "priced", "last_seen", "active"}
	err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "key"}}, DoUpdates: clause.AssignmentColumns(update)}).
		CreateInBatches(rows, 200).Error
	if err != nil {
		return fmt.Errorf("resources: %w", err)
	}
	return nil
}

func putCostHour(tx *gorm.DB, h *CostHour) error {
	err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "hour"}}, UpdateAll: true}).Create(h).Error
	if err != nil {
		return fmt.Errorf("cost hour: %w", err)
	}
	return nil
}

// monthOf is the YYYY-MM (UTC) month of t, the billing calendar.
func monthOf(t time.Time) string { return t.UTC().Format("2006-01") }

// monthRange is the first instant of the UTC month (YYYY-MM) and of the next.
func monthRange(month string) (start, end time.Time, err error) {
	start, err = time.ParseInLocation("2006-01", month, time.UTC)
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("month %q: expected YYYY-MM", month)
	}
	return start, start.AddDate(0, 1, 0), nil
}

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
	err = tx.Raw(`SELECT service, SUM(cost_usd) AS cost FROM cost_summary WHERE hour >= ? AND hour < ? GROUP BY service ORDER BY service`, start, end).
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
func (s *Store) CloseMonthsBefore(ctx context.Context, month string, at time.Time) ([]BillClosed, error) {
	var out []BillClosed
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
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
func (s *Store) MonthlyRows(ctx context.Context, month string) ([]MonthlySummary, error) {
	var rows []MonthlySummary
	if err := s.db.WithContext(ctx).Where("month = ?", month).Order("service").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: monthly rows %s: %w", month, err)
	}
	return rows, nil
}

// LastCollectedHour is the newest hour in cost_hours (collected or filled); ok is false
// when nothing was collected yet.
func (s *Store) LastCollectedHour(ctx context.Context) (hour time.Time, ok bool, err error) {
	var h CostHour
	if err := s.db.WithContext(ctx).Order("hour DESC").Limit(1).Find(&h).Error; err != nil {
		return time.Time{}, false, fmt.Errorf("store: last collected hour: %w", err)
	}
	return h.Hour.UTC(), h.ID != 0, nil
}

// CostHours are the collected hours in [from, to), oldest first.
func (s *Store) CostHours(ctx context.Context, from, to time.Time) ([]CostHour, error) {
	var hs []CostHour
	err := s.db.WithContext(ctx).Where("hour >= ? AND hour < ?", from.UTC(), to.UTC()).Order("hour").Find(&hs).Error
	if err != nil {
		return nil, fmt.Errorf("store: cost hours: %w", err)
	}
	return hs, nil
}

// MonthToDate returns the pricer's state (JSON) to price hour with: the state stored
// before that hour when it was collected already (so it prices identically again), else
// the state after the latest hour collected before it. ok is false when there is none.
func (s *Store) MonthToDate(ctx context.Context, hour time.Time) (state string, ok bool, err error) {
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

// PutMonthToDate stores the pricer's state before and after hour, and forgets the
// states of hours before the previous month.
func (s *Store) PutMonthToDate(ctx context.Context, hour time.Time, before, after string) error {
	hour = hour.UTC()
	row := MonthToDateState{Hour: hour, Before: before, After: after}
	db := s.db.WithContext(ctx)
	err := db.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "hour"}}, DoUpdates: clause.AssignmentColumns([]string{"before", "after"})}).
		Create(&row).Error
	if err != nil {
		return fmt.Errorf("store: put month to date: %w", err)
	}
	start, _, _ := monthRange(monthOf(hour))
	if err := db.Where("hour < ?", start.AddDate(0, -1, 0)).Delete(&MonthToDateState{}).Error; err != nil {
		return fmt.Errorf("store: prune month to date: %w", err)
	}
	return nil
}

// KnownResourceKeys is the key of every resource ever stored.
func (s *Store) KnownResourceKeys(ctx context.Context) (map[string]bool, error) {
	var keys []string
	if err := s.db.WithContext(ctx).Model(&ResourceRow{}).Pluck("key", &keys).Error; err != nil {
		return nil, fmt.Errorf("store: resource keys: %w", err)
	}
	out := make(map[string]bool, len(keys))
	for _, k := range keys {
		out[k] = true
	}
	return out, nil
}

// AlertStates returns the alert states whose names start with prefix, by name.
func (s *Store) AlertStates(ctx context.Context, prefix string) (map[string]AlertState, error) {
	var rows []AlertState
	if err := s.db.WithContext(ctx).Where("substr(name, 1, ?) = ?", len(prefix), prefix).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: alert states %s: %w", prefix, err)
	}
	out := make(map[string]AlertState, len(rows))
	for _, r := range rows {
		out[r.Name] = r
	}
	return out, nil
}

// PutAlertState stores an alert state.
func (s *Store) PutAlertState(ctx context.Context, st AlertState) error {
	st.ChangedAt = st.ChangedAt.UTC()
	err := s.db.WithContext(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "name"}}, UpdateAll: true}).Create(&st).Error
	if err != nil {
		return fmt.Errorf("store: put alert state %s: %w", st.Name, err)
	}
	return nil
}

// QueueCostEvent records an event to raise, once: an event of the same kind and key
// queued before (raised or not) is left alone and queued is false.
func (s *Store) QueueCostEvent(ctx context.Context, ev Event, at time.Time) (queued bool, err error) {
	data, err := json.Marshal(ev.Data)
	if err != nil {
		return false, fmt.Errorf("store: queue %s %s: %w", ev.Kind, ev.Key, err)
	}
	row := CostEvent{Kind: ev.Kind, Key: ev.Key, Data: string(data), QueuedAt: at.UTC()}
	res := s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
	if res.Error != nil {
		return false, fmt.Errorf("store: queue %s %s: %w", ev.Kind, ev.Key, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// PendingCostEvents are the queued events not raised (nor given up) yet, oldest first.
func (s *Store) PendingCostEvents(ctx context.Context) ([]CostEvent, error) {
	var rows []CostEvent
	err := s.db.WithContext(ctx).Where("raised_at IS NULL AND dropped = ?", false).Order("id").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: pending cost events: %w", err)
	}
	return rows, nil
}

// MarkCostEventRaised records that the notifier took the event.
func (s *Store) MarkCostEventRaised(ctx context.Context, id uint, at time.Time) error {
	at = at.UTC()
	return s.updateCostEvent(ctx, id, map[string]any{"raised_at": &at, "last_error": ""})
}

// MarkCostEventFailed records a failed attempt; with drop the event is given up.
func (s *Store) MarkCostEventFailed(ctx context.Context, id uint, cause error, drop bool) error {
	msg := ""
	if cause != nil {
		msg = cause.Error()
	}
	return s.updateCostEvent(ctx, id, map[string]any{"attempts": gorm.Expr("attempts + 1"), "last_error": msg, "dropped": drop})
}

func (s *Store) updateCostEvent(ctx context.Context, id uint, set map[string]any) error {
	res := s.db.WithContext(ctx).Model(&CostEvent{}).Where("id = ?", id).Updates(set)
	if res.Error != nil {
		return fmt.Errorf("store: cost event %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: cost event %d: %w", id, gorm.ErrRecordNotFound)
	}
	return nil
}

// RollupCostRecords moves hourly cost_records of whole UTC days before the day of
// before into cost_daily (one row per day and resource: its cost and hours) and deletes
// them, one day per transaction. It returns how many hourly rows it rolled up; when
// there is nothing to do it costs one indexed query.
func (s *Store) RollupCostRecords(ctx context.Context, before time.Time) (int64, error) {
	cutoff := before.UTC().Truncate(24 * time.Hour)
	var rolled int64
	var oldest CostRecord
	if err := s.db.WithContext(ctx).Select("id", "hour").Order("hour").Limit(1).Find(&oldest).Error; err != nil {
		return 0, fmt.Errorf("store: rollup: %w", err)
	}
	if oldest.ID == 0 {
		return 0, nil
	}
	for day := oldest.Hour.UTC().Truncate(24 * time.Hour); day.Before(cutoff); day = day.Add(24 * time.Hour) {
		n, err := s.rollupDay(ctx, day)
		if err != nil {
			return rolled, fmt.Errorf("store: rollup %s: %w", day.Format(time.DateOnly), err)
		}
		rolled += n
	}
	return rolled, nil
}

func (s *Store) rollupDay(ctx context.Context, day time.Time) (int64, error) {
	next := day.Add(24 * time.Hour)
	var n int64
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// With one MAX() aggregate, SQLite takes the bare columns (name, type, account)
		// from the row of the day's last hour.
		var sums []struct {
			Service, Region, ResourceID, AccountID, Name, Type string
			LastHour                                           string
			Cost                                               float64
			Hours, Estimated                                   int
		}
		err := tx.Raw(`SELECT service, region, resource_id, account_id, name, type, MAX(hour) AS last_hour,
			SUM(cost_usd) AS cost, COUNT(*) AS hours, SUM(CASE WHEN estimated THEN 1 ELSE 0 END) AS estimated
			FROM cost_records WHERE hour >= ? AND hour < ? GROUP BY service, region, resource_id`, day, next).Scan(&sums).Error
		if err != nil {
			return err
		}
		rows := make([]CostDaily, len(sums))
		for i, r := range sums {
			rows[i] = CostDaily{Day: day, Service: r.Service, Region: r.Region, ResourceID: r.ResourceID,
				AccountID: r.AccountID, Name: r.Name, Type: r.Type, CostUSD: r.Cost, Hours: r.Hours, EstimatedHours: r.Estimated}
		}
		if len(rows) > 0 {
			// A day rolled up in parts (hours written late) adds up.
			err = tx.Clauses(clause.OnConflict{
				Columns: []clause.Column{{Name: "day"}, {Name: "service"}, {Name: "region"}, {Name: "resource_id"}},
				DoUpdates: clause.Set{
					{Column: clause.Column{Name: "cost_usd"}, Value: gorm.Expr("cost_usd + excluded.cost_usd")},
					{Column: clause.Column{Name: "hours"}, Value: gorm.Expr("hours + excluded.hours")},
					{Column: clause.Column{Name: "estimated_hours"}, Value: gorm.Expr("estimated_hours + excluded.estimated_hours")},
					{Column: clause.Column{Name: "name"}, Value: gorm.Expr("excluded.name")},
					{Column: clause.Column{Name: "type"}, Value: gorm.Expr("excluded.type")},
				},
			}).CreateInBatches(rows, 200).Error
			if err != nil {
				return err
			}
		}
		res := tx.Where("hour >= ? AND hour < ?", day, next).Delete(&CostRecord{})
		n = res.RowsAffected
		return res.Error
	})
	return n, err
}

// ServiceCostsAt is each service's cost in one hour, highest first.
func (s *Store) ServiceCostsAt(ctx context.Context, hour time.Time) ([]ServiceCost, error) {
	var rows []ServiceCost
	err := s.db.WithContext(ctx).Raw(`SELECT service, SUM(cost_usd) AS usd FROM cost_summary WHERE hour = ? GROUP BY service ORDER BY usd DESC, service`, hour.UTC()).
		Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: service costs at %s: %w", hour.UTC().Format(time.RFC3339), err)
	}
	return rows, nil
}
