package models

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Per-account figures, and the cost views narrowed to the accounts a chat sees
// (TELEGRAM_CHAT_ACCOUNTS, /account). A view over every account reads the queries of
// cost_queries.go unchanged, so with one account nothing differs; a view over some
// accounts reads the same figures from the rows of those accounts alone, so a chat never
// sees another account's cost in a total, a trend, a service line or a resource list.

// AccountScope is the accounts a view covers: nil covers every account; a list, even an
// empty one, covers only the accounts it names.
type AccountScope []string

// All reports whether the scope covers every account.
func (a AccountScope) All() bool { return a == nil }

// Covers reports whether the scope includes account.
func (a AccountScope) Covers(account string) bool { return a == nil || slices.Contains(a, account) }

// cond is the SQL condition on the account column col that keeps the scope's rows, with
// its arguments, for a scope that is not All.
func (a AccountScope) cond(col string) (string, []any) {
	if len(a) == 0 {
		return "1 = 0", nil
	}
	return col + " IN ?", []any{[]string(a)}
}

// accountCostTable holds the hourly cost per account, service and region.
const accountCostTable = "cost_summary"

// CostPerAccount is each account's cost in the hours [from, to). It sums per hour and
// account first, in the primary key's order, so only those sums are grouped by account:
// a month holds up to 744 × accounts × services × regions rows, and grouping them all by
// account directly sorts them (four times slower on a year of history).
func (s *Store) CostPerAccount(ctx context.Context, from, to time.Time, scope AccountScope) (map[string]float64, error) {
	q := `SELECT hour, account_id, SUM(cost_usd) AS usd FROM ` + accountCostTable + ` WHERE hour >= ? AND hour < ?`
	args := []any{from.UTC(), to.UTC()}
	if !scope.All() {
		c, a := scope.cond("account_id")
		q += " AND " + c
		args = append(args, a...)
	}
	q = `SELECT account_id, SUM(usd) AS usd FROM (` + q + ` GROUP BY hour, account_id) AS per_hour GROUP BY account_id`
	var rows []struct {
		AccountID string
		USD       float64
	}
	if err := s.db.WithContext(ctx).Raw(q, args...).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: cost per account %s..%s: %w", from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339), err)
	}
	out := make(map[string]float64, len(rows))
	for _, r := range rows {
		out[r.AccountID] += r.USD
	}
	return out, nil
}

// scopedCost builds a query on the hourly cost table for the hours [from, to) of the
// scope's accounts: "SELECT <sel> FROM ... WHERE ... <tail>".
func scopedCost(sel string, from, to time.Time, scope AccountScope, tail string) (string, []any) {
	c, a := scope.cond("account_id")
	return `SELECT ` + sel + ` FROM ` + accountCostTable + ` WHERE hour >= ? AND hour < ? AND ` + c + " " + tail,
		append([]any{from.UTC(), to.UTC()}, a...)
}

// CostTotal is the cost of the scope's accounts (nil: every account) in the hours
// [from, to).
func (s *Store) CostTotal(ctx context.Context, from, to time.Time, scope AccountScope) (float64, error) {
	if scope.All() {
		return s.costTotalAll(ctx, from, to)
	}
	var total float64
	q, args := scopedCost(`COALESCE(SUM(cost_usd), 0)`, from, to, scope, "")
	if err := s.db.WithContext(ctx).Raw(q, args...).Scan(&total).Error; err != nil {
		return 0, fmt.Errorf("store: cost total of %v: %w", []string(scope), err)
	}
	return total, nil
}

// ServiceCosts is each service's cost of the scope's accounts (nil: every account) in
// the hours [from, to), highest first.
func (s *Store) ServiceCosts(ctx context.Context, from, to time.Time, scope AccountScope) ([]ServiceCost, error) {
	if scope.All() {
		return s.serviceCostsAll(ctx, from, to)
	}
	var out []ServiceCost
	q, args := scopedCost(`service, SUM(cost_usd) AS usd`, from, to, scope, `GROUP BY service`)
	if err := s.db.WithContext(ctx).Raw(q, args...).Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("store: service costs of %v: %w", []string(scope), err)
	}
	SortServiceCosts(out)
	return out, nil
}

// HourlyTotals is the total cost of the scope's accounts (nil: every account) per hour
// in [from, to), oldest first. Hours without data are absent.
func (s *Store) HourlyTotals(ctx context.Context, from, to time.Time, scope AccountScope) ([]HourTotal, error) {
	if scope.All() {
		return s.hourlyTotalsAll(ctx, from, to)
	}
	var rows []HourTotal
	q, args := scopedCost(`hour, SUM(cost_usd) AS usd`, from, to, scope, `GROUP BY hour ORDER BY hour`)
	if err := s.db.WithContext(ctx).Raw(q, args...).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: hourly totals of %v: %w", []string(scope), err)
	}
	for i := range rows {
		rows[i].Hour = rows[i].Hour.UTC()
	}
	return rows, nil
}

// HourlyServiceCosts is each service's cost of the scope's accounts (nil: every account)
// per hour in [from, to), by hour then service. Hours without data are absent.
func (s *Store) HourlyServiceCosts(ctx context.Context, from, to time.Time, scope AccountScope) ([]HourServiceCost, error) {
	if scope.All() {
		return s.hourlyServiceCostsAll(ctx, from, to)
	}
	var rows []HourServiceCost
	q, args := scopedCost(`hour, service, SUM(cost_usd) AS usd`, from, to, scope, `GROUP BY hour, service ORDER BY hour, service`)
	if err := s.db.WithContext(ctx).Raw(q, args...).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: hourly service costs of %v: %w", []string(scope), err)
	}
	for i := range rows {
		rows[i].Hour = rows[i].Hour.UTC()
	}
	return rows, nil
}

// DailyServiceCosts is each service's cost of the scope's accounts (nil: every account)
// per day of loc in [from, to), by day then service.
func (s *Store) DailyServiceCosts(ctx context.Context, from, to time.Time, loc *time.Location, scope AccountScope) ([]DayServiceCost, error) {
	if scope.All() {
		return s.dailyServiceCostsAll(ctx, from, to, loc)
	}
	rows, err := s.HourlyServiceCosts(ctx, from, to, scope)
	if err != nil {
		return nil, err
	}
	return dailyServiceCosts(loc, func(each func(hour time.Time, service string, usd float64)) error {
		for _, r := range rows {
			each(r.Hour, r.Service, r.USD)
		}
		return nil
	})
}

// MonthBill is one month's bill of the scope's accounts. For every account (a nil scope)
// it is monthBillAll; else the month's hours of those accounts summed per service. Whether the month is closed is the month's, whatever the
// scope.
func (s *Store) MonthBill(ctx context.Context, month string, scope AccountScope) (Bill, error) {
	if scope.All() {
		return s.monthBillAll(ctx, month)
	}
	start, err := MonthStart(month)
	if err != nil {
		return Bill{}, err
	}
	end := start.AddDate(0, 1, 0)
	bill := Bill{Month: month}
	if bill.Services, err = s.ServiceCosts(ctx, start, end, scope); err != nil || len(bill.Services) == 0 {
		return bill, err
	}
	for _, sc := range bill.Services {
		bill.TotalUSD += sc.USD
	}
	var hours struct{ Hours, Estimated int }
	q, args := scopedCost(`COUNT(DISTINCT hour) AS hours, COUNT(DISTINCT CASE WHEN estimated THEN hour END) AS estimated`, start, end, scope, "")
	if err := s.db.WithContext(ctx).Raw(q, args...).Scan(&hours).Error; err != nil {
		return Bill{}, fmt.Errorf("store: bill %s hours of %v: %w", month, []string(scope), err)
	}
	bill.Hours, bill.EstimatedHours = hours.Hours, hours.Estimated
	var rows []MonthlySummary
	if err := s.db.WithContext(ctx).Raw(qMonthRows, month).Scan(&rows).Error; err != nil {
		return Bill{}, fmt.Errorf("store: bill %s: %w", month, err)
	}
	bill.Live = len(rows) == 0
	bill.Closed, bill.ClosedAt = closedState(rows)
	return bill, nil
}

// closedState is whether a month whose monthly_summary rows are rows is closed (it has
// rows, all closed), and then when it closed (the latest close).
func closedState(rows []MonthlySummary) (closed bool, at *time.Time) {
	closed = len(rows) > 0
	for _, r := range rows {
		closed = closed && r.Closed
		if r.ClosedAt != nil && (at == nil || r.ClosedAt.After(*at)) {
			t := r.ClosedAt.UTC()
			at = &t
		}
	}
	if !closed {
		return false, nil
	}
	return true, at
}
