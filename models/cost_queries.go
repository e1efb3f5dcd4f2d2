package models

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The read queries behind the bot's cost views (/cost, /service, /bill, /chart). They
// read cost_summary (per hour, service and region), monthly_summary and resources, never
// cost_records, and every range is a WHERE on the leading column of an index, so a year
// of hourly history answers in milliseconds. Times are stored and compared in UTC.

// CollectSummary is what one cost scan did, as the collect job reports it to whoever
// asked for the scan (the bot's /collect).
type CollectSummary struct {
	Hour      time.Time     // the hour the scan's costs were written for
	Resources int           // resources found
	Unpriced  int           // of which no price could be found
	HourlyUSD float64       // the hourly burn rate of what was found
	Errors    []string      // one line per failed (service, region) task
	Duration  time.Duration // how long the scan took
}

// HourServiceCost is one service's cost in one hour, summed over regions.
type HourServiceCost struct {
	Hour    time.Time
	Service string
	USD     float64
}

// HourTotal is the cost of one hour, summed over services and regions.
type HourTotal struct {
	Hour time.Time
	USD  float64
}

// DayServiceCost is one service's cost in one day of a time zone.
type DayServiceCost struct {
	Day     time.Time // midnight, in the zone asked for
	Service string
	USD     float64
}

// Bill is one month's cost per service.
type Bill struct {
	Month          string        // YYYY-MM (UTC)
	Services       []ServiceCost // highest first
	TotalUSD       float64
	Hours          int // hours of the month with cost data
	EstimatedHours int // of which were estimated
	Closed         bool
	ClosedAt       *time.Time
	// Live is true when monthly_summary has no row for the month yet and the bill was
	// summed from cost_summary.
	Live bool
}

// Empty reports whether the month has no cost data at all.
func (b Bill) Empty() bool { return len(b.Services) == 0 }

// ResourceFilter selects a page of a service's active resources.
type ResourceFilter struct {
	Service string
	Region  string // "" for every region
	Offset  int
	Limit   int
}

// ResourcePage is one page of resources and how many match in all.
type ResourcePage struct {
	Rows  []ResourceRow
	Total int
}

// PriceSourceCounts counts active resources by where their price came from.
type PriceSourceCounts struct {
	API, Cache, Fallback int
	Unpriced             int // no price found: shown as unpriced, never as $0
}

// The SQL text of each query, kept as constants so a test can check each plan.
const (
	qLatestCostHour = `SELECT MAX(hour) FROM cost_summary`
	qLatestHourRow  = `SELECT MAX(hour) FROM cost_hours`
	qCostTotal      = `SELECT COALESCE(SUM(cost_usd), 0) FROM cost_summary WHERE hour >= ? AND hour < ?`
	qServiceCosts   = `SELECT service, SUM(cost_usd) AS usd FROM cost_summary WHERE hour >= ? AND hour < ? GROUP BY service`
	qHourlyServices = `SELECT CAST(hour AS TEXT), service, TOTAL(cost_usd) FROM cost_summary WHERE hour >= ? AND hour < ? GROUP BY hour, service ORDER BY hour, service`
	qHourlyTotals   = `SELECT hour, SUM(cost_usd) AS usd FROM cost_summary WHERE hour >= ? AND hour < ? GROUP BY hour ORDER BY hour`
	qLiveHours      = `SELECT COUNT(DISTINCT hour) AS hours, COUNT(DISTINCT CASE WHEN estimated THEN hour END) AS estimated FROM cost_summary WHERE hour >= ? AND hour < ?`
	qAnyCostIn      = `SELECT 1 FROM cost_summary WHERE hour >= ? AND hour < ? LIMIT 1`
	qFirstCostHour  = `SELECT MIN(hour) FROM cost_summary`
	qMonthRows      = `SELECT * FROM monthly_summary WHERE month = ?`
	qSummaryMonths  = `SELECT DISTINCT month FROM monthly_summary WHERE month >= ? ORDER BY month DESC`
	qResourceCount  = `SELECT COUNT(*) FROM resources WHERE service = ? AND active = ? AND (? = '' OR region = ?)`
	qResourcePage   = `SELECT * FROM resources WHERE service = ? AND active = ? AND (? = '' OR region = ?) ORDER BY priced DESC, hourly_usd DESC, name, resource_id LIMIT ? OFFSET ?`
	qResourceRegion = `SELECT DISTINCT region FROM resources WHERE service = ? AND active = ? ORDER BY region`
	qResourceTally  = `SELECT service, priced, price_source, COUNT(*) AS n FROM resources WHERE active = ? GROUP BY service, priced, price_source`
	qLastRunOf      = `SELECT * FROM job_runs WHERE job = ? ORDER BY started_at DESC LIMIT 1`
)

// LatestCostHour is the newest hour with cost data; ok is false when there is none. An
// hour collected with nothing billable (a cost_hours row without summaries) counts: the
// burn rate is then $0, not the last hour that cost something.
func (s *CostHistory) LatestCostHour(ctx context.Context) (hour time.Time, ok bool, err error) {
	for _, q := range []string{qLatestCostHour, qLatestHourRow} {
		latest, err := s.storedTime(ctx, q)
		if err != nil {
			return time.Time{}, false, fmt.Errorf("store: latest cost hour: %w", err)
		}
		if latest.After(hour) {
			hour = latest
		}
	}
	return hour, !hour.IsZero(), nil
}

// storedTime runs a query of one time column, such as MAX(hour), which SQLite answers
// from the end of the hour index. It gives the zero time when the answer is NULL.
func (s *CostHistory) storedTime(ctx context.Context, q string, args ...any) (time.Time, error) {
	var text sql.NullString
	if err := s.db.WithContext(ctx).Raw(q, args...).Row().Scan(&text); err != nil {
		return time.Time{}, err
	}
	if !text.Valid {
		return time.Time{}, nil
	}
	return parseStoredTime(text.String)
}

// costTotalAll is the cost of every service and region in the hours [from, to).
func (s *CostHistory) costTotalAll(ctx context.Context, from, to time.Time) (float64, error) {
	var total float64
	if err := s.db.WithContext(ctx).Raw(qCostTotal, from.UTC(), to.UTC()).Scan(&total).Error; err != nil {
		return 0, fmt.Errorf("store: cost total %s..%s: %w", from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339), err)
	}
	return total, nil
}

// serviceCostsAll is each service's cost in the hours [from, to), highest first.
func (s *CostHistory) serviceCostsAll(ctx context.Context, from, to time.Time) ([]ServiceCost, error) {
	var rows []struct {
		Service string
		USD     float64
	}
	if err := s.db.WithContext(ctx).Raw(qServiceCosts, from.UTC(), to.UTC()).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: service costs %s..%s: %w", from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339), err)
	}
	out := make([]ServiceCost, len(rows))
	for i, r := range rows {
		out[i] = ServiceCost{Service: r.Service, USD: r.USD}
	}
	SortServiceCosts(out)
	return out, nil
}

// SortServiceCosts orders by cost, highest first, then by name.
func SortServiceCosts(costs []ServiceCost) {
	slices.SortStableFunc(costs, func(a, b ServiceCost) int {
		switch {
		case a.USD > b.USD:
			return -1
		case a.USD < b.USD:
			return 1
		}
		if a.Service < b.Service {
			return -1
		}
		if a.Service > b.Service {
			return 1
		}
		return 0
	})
}

// hourlyServiceCostsAll is each service's cost per hour in [from, to), by hour then service.
// Hours without data are absent.
func (s *CostHistory) hourlyServiceCostsAll(ctx context.Context, from, to time.Time) ([]HourServiceCost, error) {
	var rows []HourServiceCost
	err := s.scanHourlyServices(ctx, from, to, func(hour time.Time, service string, usd float64) {
		rows = append(rows, HourServiceCost{Hour: hour, Service: service, USD: usd})
	})
	if err != nil {
		return nil, fmt.Errorf("store: hourly service costs: %w", err)
	}
	return rows, nil
}

// scanHourlyServices calls each with every service's cost in every hour of [from, to)
// that has data, summed over regions, by hour then service. The chart of 30 days reads
// some 9,000 such rows but only 720 distinct hours, so the hour comes as text and each
// distinct one is parsed once, and rows are read without GORM's reflection.
func (s *CostHistory) scanHourlyServices(ctx context.Context, from, to time.Time, each func(hour time.Time, service string, usd float64)) error {
	rows, err := s.db.WithContext(ctx).Raw(forDB(s.db, qHourlyServices), from.UTC(), to.UTC()).Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	var (
		hourText, service sql.RawBytes
		usd               float64
		lastText          string
		hour              time.Time
		names             = map[string]string{} // one string per service name
	)
	for rows.Next() {
		if err := rows.Scan(&hourText, &service, &usd); err != nil {
			return err
		}
		if string(hourText) != lastText {
			lastText = string(hourText)
			if hour, err = parseStoredTime(lastText); err != nil {
				return err
			}
		}
		name, ok := names[string(service)]
		if !ok {
			name = string(service)
			names[name] = name
		}
		each(hour, name, usd)
	}
	return rows.Err()
}

// storedTimeLayouts are the layouts the SQLite driver reads a DATETIME column's text
// with: first the one it writes a time.Time in ("2025-03-09 15:00:00+00:00"); then the
// text PostgreSQL casts a TIMESTAMPTZ to in UTC ("2025-03-09 15:00:00+00").
var storedTimeLayouts = []string{
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999-07",
	"2006-01-02T15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02T15:04",
	"2006-01-02",
}

// parseStoredTime reads a time stored as text in a DATETIME column, in UTC.
func parseStoredTime(text string) (time.Time, error) {
	trimmed := strings.TrimSuffix(text, "Z")
	for _, layout := range storedTimeLayouts {
		if t, err := time.ParseInLocation(layout, trimmed, time.UTC); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("stored time %q: not a time", text)
}

// hourlyTotalsAll is the total cost per hour in [from, to), oldest first. Hours without
// data are absent.
func (s *CostHistory) hourlyTotalsAll(ctx context.Context, from, to time.Time) ([]HourTotal, error) {
	var rows []HourTotal
	if err := s.db.WithContext(ctx).Raw(qHourlyTotals, from.UTC(), to.UTC()).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: hourly totals: %w", err)
	}
	for i := range rows {
		rows[i].Hour = rows[i].Hour.UTC()
	}
	return rows, nil
}

// dailyServiceCostsAll is each service's cost per day of loc in [from, to), by day then
// service. It sums the hourly rows, at most 24 × services a day, as they arrive: hours
// come in order, so each day's rows come together.
func (s *CostHistory) dailyServiceCostsAll(ctx context.Context, from, to time.Time, loc *time.Location) ([]DayServiceCost, error) {
	return dailyServiceCosts(loc, func(each func(hour time.Time, service string, usd float64)) error {
		return s.scanHourlyServices(ctx, from, to, each)
	})
}

// dailyServiceCosts sums per day of loc the hourly service costs scan hands each, by
// hour then service.
func dailyServiceCosts(loc *time.Location, scan func(each func(hour time.Time, service string, usd float64)) error) ([]DayServiceCost, error) {
	var out []DayServiceCost
	var dayStart, dayEnd time.Time // the local day being summed, [dayStart, dayEnd)
	first := 0                     // out[first:] are that day's services
	endDay := func() {
		slices.SortFunc(out[first:], func(a, b DayServiceCost) int { return strings.Compare(a.Service, b.Service) })
		first = len(out)
	}
	err := scan(func(hour time.Time, service string, usd float64) {
		if !hour.Before(dayEnd) || hour.Before(dayStart) {
			endDay()
			t := hour.In(loc)
			dayStart = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
			dayEnd = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, loc)
		}
		for i := first; i < len(out); i++ {
			if out[i].Service == service {
				out[i].USD += usd
				return
			}
		}
		out = append(out, DayServiceCost{Day: dayStart, Service: service, USD: usd})
	})
	if err != nil {
		return nil, fmt.Errorf("store: daily service costs: %w", err)
	}
	endDay()
	return out, nil
}

// monthBillAll is one month's bill: the month's monthly_summary rows when there are any,
// else (a month the collector has not summarised yet) the sum of its cost_summary hours.
// A month without any data gives an empty Bill.
func (s *CostHistory) monthBillAll(ctx context.Context, month string) (Bill, error) {
	start, err := MonthStart(month)
	if err != nil {
		return Bill{}, err
	}
	bill := Bill{Month: month}
	var rows []MonthlySummary
	if err := s.db.WithContext(ctx).Raw(qMonthRows, month).Scan(&rows).Error; err != nil {
		return Bill{}, fmt.Errorf("store: bill %s: %w", month, err)
	}
	if len(rows) > 0 {
		for _, r := range rows {
			bill.Services = append(bill.Services, ServiceCost{Service: r.Service, USD: r.CostUSD})
			bill.TotalUSD += r.CostUSD
			bill.Hours = max(bill.Hours, r.Hours)
			bill.EstimatedHours = max(bill.EstimatedHours, r.EstimatedHours)
		}
		bill.Closed, bill.ClosedAt = closedState(rows)
		SortServiceCosts(bill.Services)
		return bill, nil
	}

	end := start.AddDate(0, 1, 0)
	services, err := s.serviceCostsAll(ctx, start, end)
	if err != nil {
		return Bill{}, err
	}
	if len(services) == 0 {
		return bill, nil
	}
	var hours struct{ Hours, Estimated int }
	if err := s.db.WithContext(ctx).Raw(qLiveHours, start, end).Scan(&hours).Error; err != nil {
		return Bill{}, fmt.Errorf("store: bill %s hours: %w", month, err)
	}
	bill.Live = true
	bill.Services = services
	for _, sc := range services {
		bill.TotalUSD += sc.USD
	}
	bill.Hours, bill.EstimatedHours = hours.Hours, hours.Estimated
	return bill, nil
}

// BillMonths lists the months (YYYY-MM) with cost data among the limit months up to
// and including the one of now, newest first.
func (s *CostHistory) BillMonths(ctx context.Context, now time.Time, limit int) ([]string, error) {
	if limit <= 0 {
		return nil, nil
	}
	current := MonthStartOf(now)
	oldest := current.AddDate(0, 1-limit, 0)
	var summarised []string
	if err := s.db.WithContext(ctx).Raw(qSummaryMonths, MonthOf(oldest)).Scan(&summarised).Error; err != nil {
		return nil, fmt.Errorf("store: bill months: %w", err)
	}
	first, err := s.storedTime(ctx, qFirstCostHour)
	if err != nil {
		return nil, fmt.Errorf("store: bill months: %w", err)
	}
	var months []string
	for m := current; !m.Before(oldest); m = m.AddDate(0, -1, 0) {
		month := MonthOf(m)
		has := slices.Contains(summarised, month)
		if !has && !first.IsZero() && !m.AddDate(0, 1, 0).Before(first) {
			var one int
			if err := s.db.WithContext(ctx).Raw(qAnyCostIn, m, m.AddDate(0, 1, 0)).Scan(&one).Error; err != nil {
				return nil, fmt.Errorf("store: bill months %s: %w", month, err)
			}
			has = one == 1
		}
		if has {
			months = append(months, month)
		}
	}
	return months, nil
}

// activeResourcesAll is one page of a service's active resources, optionally in one
// region, priced ones first by hourly cost, highest first.
func (s *CostHistory) activeResourcesAll(ctx context.Context, f ResourceFilter) (ResourcePage, error) {
	var page ResourcePage
	var total int64
	db := s.db.WithContext(ctx)
	if err := db.Raw(qResourceCount, f.Service, true, f.Region, f.Region).Scan(&total).Error; err != nil {
		return ResourcePage{}, fmt.Errorf("store: count %s resources: %w", f.Service, err)
	}
	page.Total = int(total)
	limit := f.Limit
	if limit <= 0 {
		limit = 10
	}
	if err := db.Raw(qResourcePage, f.Service, true, f.Region, f.Region, limit, max(f.Offset, 0)).Scan(&page.Rows).Error; err != nil {
		return ResourcePage{}, fmt.Errorf("store: %s resources: %w", f.Service, err)
	}
	return page, nil
}

// activeResourceRegionsAll lists the regions where a service has active resources.
func (s *CostHistory) activeResourceRegionsAll(ctx context.Context, service string) ([]string, error) {
	var regions []string
	if err := s.db.WithContext(ctx).Raw(qResourceRegion, service, true).Scan(&regions).Error; err != nil {
		return nil, fmt.Errorf("store: %s regions: %w", service, err)
	}
	return regions, nil
}

// ResourceTally counts the active resources per service and by price source.
type ResourceTally struct {
	PerService map[string]int
	Sources    PriceSourceCounts
}

// tallyActiveResourcesAll counts the active resources per service and by price source in
// one pass over them, for /cost, which shows both.
func (s *CostHistory) tallyActiveResourcesAll(ctx context.Context) (ResourceTally, error) {
	var rows []tallyRow
	if err := s.db.WithContext(ctx).Raw(qResourceTally, true).Scan(&rows).Error; err != nil {
		return ResourceTally{}, fmt.Errorf("store: resource counts: %w", err)
	}
	return tallyOf(rows), nil
}

// tallyRow is a count of active resources of one service, price state and source.
type tallyRow struct {
	Service     string
	Priced      bool
	PriceSource string
	N           int
}

// tallyOf sums tally rows per service and by price source.
func tallyOf(rows []tallyRow) ResourceTally {
	t := ResourceTally{PerService: make(map[string]int)}
	for _, r := range rows {
		t.PerService[r.Service] += r.N
		c := &t.Sources
		switch {
		case !r.Priced:
			c.Unpriced += r.N
		case r.PriceSource == SourceAPI:
			c.API += r.N
		case r.PriceSource == SourceCache:
			c.Cache += r.N
		default:
			c.Fallback += r.N
		}
	}
	return t
}

// ActiveResourceCounts counts active resources per service.
func (s *CostHistory) ActiveResourceCounts(ctx context.Context) (map[string]int, error) {
	t, err := s.TallyActiveResources(ctx, nil)
	return t.PerService, err
}

// priceSourceCounts counts active resources by price source.
func (s *CostHistory) priceSourceCounts(ctx context.Context) (PriceSourceCounts, error) {
	t, err := s.TallyActiveResources(ctx, nil)
	return t.Sources, err
}
