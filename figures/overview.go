package figures

import (
	"cmp"
	"context"
	"slices"
	"time"

	"costbot/models"
)

// Overview is what the viewer's accounts cost now: what /cost and the dashboard's front
// page show.
type Overview struct {
	Now        time.Time
	TZ         *time.Location
	HasData    bool
	LatestHour time.Time
	HourlyUSD  float64              // the latest hour's total
	Services   []models.ServiceCost // the latest hour, highest first, those above $0
	TodayUSD   float64              // since midnight in TZ
	Month      string               // YYYY-MM (UTC)
	MonthUSD   float64              // this month so far: the month bill's total
	Trend      Trend
	LastScan   *models.JobRun // as the viewer may see it (ScopedRun); nil before the first scan
	Sources    models.PriceSourceCounts
	Active     map[string]int // active resources per service
	// Unpriced are the services with active resources no price was found for: each is
	// said by name and reason, never shown as $0.
	Unpriced map[string]models.UnpricedService
	// Billed is AWS's bill for the month's billed days (nil when Cost Explorer is off, and
	// for a view of some accounts: AWS's bill is not read per account).
	Billed *models.BillComparison
	// Scope is the accounts the figures cover (nil: every account).
	Scope Scope
	// Accounts is each account's part, when the figures cover two or more current accounts.
	Accounts []AccountCost
}

// EstimateForecast is the month-end forecast of costbot's estimate alone: the month so
// far plus the latest hour's rate for every hour left.
func (v Overview) EstimateForecast() float64 {
	return MonthEndForecast(v.MonthUSD, v.HourlyUSD, v.LatestHour, v.Now)
}

// Forecast is the month-end forecast as /cost and the overview show it: the billed days,
// when AWS billed any, in AWS's figures, and the estimate for the rest.
func (v Overview) Forecast() float64 { return ForecastCounted(v.EstimateForecast(), v.Billed) }

// AccountShare is an account's share of the month so far, in percent.
func (v Overview) AccountShare(a AccountCost) float64 { return Share(a.MonthUSD, v.MonthUSD) }

// UnpricedCount is how many active resources the figures leave out for want of a price.
func (v Overview) UnpricedCount() int {
	n := 0
	for _, u := range v.Unpriced {
		n += u.Count
	}
	return n
}

// AccountCost is one account's part of an overview.
type AccountCost struct {
	ID          string
	Label       string  // Account.Label when the account is known, else the ID
	MonthUSD    float64 // this month so far
	HourlyUSD   float64 // the latest hour's
	ForecastUSD float64 // the month so far plus the latest hour's rate for every hour left
}

// Overview reads the overview of the scope's accounts at now: every figure, the services
// and the resource counts are theirs, with a line per account when they are two or more.
func (r *Reader) Overview(ctx context.Context, scope Scope, now time.Time) (Overview, error) {
	now = now.UTC()
	tz := r.tz()
	st := r.store
	v := Overview{Now: now, TZ: tz, Month: models.MonthOf(now), Scope: scope}
	tally, err := st.TallyActiveResources(ctx, scope)
	if err != nil {
		return v, err
	}
	if v.Billed, err = r.billed(ctx, v.Month, scope); err != nil {
		return v, err
	}
	v.Active, v.Sources = tally.PerService, tally.Sources
	if v.Unpriced, err = st.UnpricedActive(ctx, scope); err != nil {
		return v, err
	}
	if v.LastScan, err = st.LastRunOf(ctx, ScanJob); err != nil {
		return v, err
	}
	if v.LastScan != nil {
		run := ScopedRun(*v.LastScan, scope)
		v.LastScan = &run
	}
	latest, ok, err := st.LatestCostHour(ctx)
	if err != nil || !ok {
		return v, err
	}
	v.HasData, v.LatestHour = true, latest
	next := latest.Add(time.Hour)
	services, err := st.ServiceCosts(ctx, latest, next, scope)
	if err != nil {
		return v, err
	}
	for _, sc := range services {
		v.HourlyUSD += sc.USD
		// A service whose resources have no price sums to $0: the unpriced count says
		// so, a share would not.
		if sc.USD > 0 {
			v.Services = append(v.Services, sc)
		}
	}
	if v.TodayUSD, err = st.CostTotal(ctx, midnight(now, tz), next, scope); err != nil {
		return v, err
	}
	bill, err := st.MonthBill(ctx, v.Month, scope)
	if err != nil {
		return v, err
	}
	v.MonthUSD = bill.TotalUSD
	day, err := st.HourlyTotals(ctx, latest.Add(-24*time.Hour), next, scope)
	if err != nil {
		return v, err
	}
	v.Trend = ComputeTrend(day, latest)
	// The breakdown is read only where there is more than one account to break down:
	// with one account /cost costs what it did.
	stored, err := st.Accounts(ctx)
	if err != nil {
		return v, err
	}
	if currentIn(stored, scope) >= 2 {
		if v.Accounts, err = r.accountCosts(ctx, v.Month, latest, now, scope, stored); err != nil {
			return v, err
		}
	}
	return v, nil
}

// midnight is the start of now's day in tz.
func midnight(now time.Time, tz *time.Location) time.Time {
	local := now.In(tz)
	return time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, tz)
}

// currentIn counts the current accounts of stored in scope.
func currentIn(stored []models.Account, scope Scope) int {
	n := 0
	for _, a := range stored {
		if !a.Gone && scope.Covers(a.ID) {
			n++
		}
	}
	return n
}

// accountCosts is each account's month so far (month YYYY-MM), latest hourly rate (the
// hour starting at latest) and month-end forecast at now, for the accounts of scope:
// every account with cost in the month or the hour, and every current stored account in
// scope, even at $0. Highest month first, then by ID.
func (r *Reader) accountCosts(ctx context.Context, month string, latest, now time.Time, scope Scope, stored []models.Account) ([]AccountCost, error) {
	start, err := models.MonthStart(month)
	if err != nil {
		return nil, err
	}
	monthly, err := r.store.CostPerAccount(ctx, start, start.AddDate(0, 1, 0), scope)
	if err != nil {
		return nil, err
	}
	hourly := map[string]float64{}
	if !latest.IsZero() {
		if hourly, err = r.store.CostPerAccount(ctx, latest, latest.Add(time.Hour), scope); err != nil {
			return nil, err
		}
	}
	labels := map[string]string{}
	for _, a := range stored {
		labels[a.ID] = a.Label()
		if !a.Gone && scope.Covers(a.ID) {
			if _, ok := monthly[a.ID]; !ok {
				monthly[a.ID] = 0
			}
		}
	}
	for id := range hourly {
		if _, ok := monthly[id]; !ok {
			monthly[id] = 0
		}
	}
	out := make([]AccountCost, 0, len(monthly))
	for id, usd := range monthly {
		label := labels[id]
		if label == "" {
			label = id
		}
		out = append(out, AccountCost{ID: id, Label: label, MonthUSD: usd, HourlyUSD: hourly[id],
			ForecastUSD: MonthEndForecast(usd, hourly[id], latest, now)})
	}
	slices.SortFunc(out, func(a, b AccountCost) int {
		if c := cmp.Compare(b.MonthUSD, a.MonthUSD); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out, nil
}

// Trend compares the latest hour with a base: the same hour yesterday, else the average
// of the other hours of the last day.
type Trend struct {
	Basis   string // TrendSameHour, TrendAverage, or "" when there is nothing to compare
	BaseUSD float64
}

// Trend bases.
const (
	TrendSameHour = "same_hour"
	TrendAverage  = "average"
)

// ComputeTrend picks the trend's base from the hourly totals of (latest-24h .. latest].
func ComputeTrend(totals []models.HourTotal, latest time.Time) Trend {
	var sum float64
	var n int
	for _, h := range totals {
		switch {
		case h.Hour.Equal(latest.Add(-24 * time.Hour)):
			return Trend{Basis: TrendSameHour, BaseUSD: h.USD}
		case h.Hour.After(latest.Add(-24*time.Hour)) && h.Hour.Before(latest):
			sum += h.USD
			n++
		}
	}
	if n == 0 {
		return Trend{}
	}
	return Trend{Basis: TrendAverage, BaseUSD: sum / float64(n)}
}

// ChangePercent is how much current differs from the trend's base, in percent; ok is
// false when there is no base to compare with.
func (t Trend) ChangePercent(current float64) (change float64, ok bool) {
	if t.Basis == "" || t.BaseUSD <= 0 {
		return 0, false
	}
	return (current - t.BaseUSD) / t.BaseUSD * 100, true
}

// MonthEndForecast is the month so far plus the current hourly rate for every hour left
// in the UTC month of now after the latest hour with data.
func MonthEndForecast(soFar, hourly float64, latestHour, now time.Time) float64 {
	return soFar + hourly*models.HoursLeftInMonth(latestHour, now)
}

// ForecastCounted is estimateForecast with the billed days in AWS's figures when billed
// holds any, else estimateForecast.
func ForecastCounted(estimateForecast float64, billed *models.BillComparison) float64 {
	if billed == nil || billed.Empty() {
		return estimateForecast
	}
	return models.ForecastWithBilled(estimateForecast, *billed)
}
