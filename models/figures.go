package models

import (
	"context"
	"time"
)

// The figures the chat and the dashboard both show (burn rate, its trend, today, the
// month so far, the month-end forecast, each service's share). They are computed here,
// once, so the two can never disagree; bot and web only render them.

// Trend compares the latest hour with a base: the same hour yesterday, else the
// average of the other hours of the last day.
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
func ComputeTrend(totals []HourTotal, latest time.Time) Trend {
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

// Share is part's share of total in percent (0 when the total is not positive).
func Share(part, total float64) float64 {
	if total <= 0 {
		return 0
	}
	return part / total * 100
}

// MonthEndForecast is the month so far plus the current hourly rate for every hour left
// in the UTC month of now after the latest hour with data.
func MonthEndForecast(soFar, hourly float64, latestHour, now time.Time) float64 {
	return soFar + hourly*HoursLeftInMonth(latestHour, now)
}

// CostOverview is the account's cost now: what /cost and the dashboard's overview show.
type CostOverview struct {
	Now        time.Time
	TZ         *time.Location
	HasData    bool
	LatestHour time.Time
	HourlyUSD  float64       // the latest hour's total
	Services   []ServiceCost // the latest hour, highest first, those above $0
	TodayUSD   float64       // since midnight in TZ
	Month      string        // YYYY-MM (UTC)
	MonthUSD   float64       // this month so far
	Trend      Trend
	LastScan   *JobRun
	Sources    PriceSourceCounts
	Active     map[string]int // active resources per service
	// Unpriced are the services with active resources no price was found for: each is
	// said by name and reason, never shown as $0.
	Unpriced map[string]UnpricedService
	// Billed is AWS's bill for the month's billed days (nil when Cost Explorer is off,
	// and for a view of some accounts: AWS's bill is not read per account).
	Billed *BillComparison
	// Scope is the accounts the figures cover (nil: every account).
	Scope AccountScope
	// Accounts is each account's part, when the figures cover two or more current accounts.
	Accounts []AccountCost
}

// EstimateForecast is the month-end forecast of costbot's estimate alone: the month so
// far plus the latest hour's rate for every hour left.
func (v CostOverview) EstimateForecast() float64 {
	return MonthEndForecast(v.MonthUSD, v.HourlyUSD, v.LatestHour, v.Now)
}

// Forecast is the month-end forecast as /cost and the overview show it: the billed days,
// when AWS billed any, in AWS's figures, and the estimate for the rest.
func (v CostOverview) Forecast() float64 { return ForecastCounted(v.EstimateForecast(), v.Billed) }

// ForecastCounted is estimateForecast with the billed days in AWS's figures when billed
// holds any, else estimateForecast.
func ForecastCounted(estimateForecast float64, billed *BillComparison) float64 {
	if !HasBilled(billed) {
		return estimateForecast
	}
	return ForecastWithBilled(estimateForecast, *billed)
}

// HasBilled reports whether c holds any day AWS billed.
func HasBilled(c *BillComparison) bool { return c != nil && !c.Empty() }

// BillingScope is whether costbot reads AWS's bill (Cost Explorer on) and the services
// it estimates, which a comparison sets apart from the lines it does not.
type BillingScope struct {
	On        bool
	Estimated []string
}

// Billed is AWS's bill for month's billed days beside costbot's estimate of the same
// days, or nil when billing is off.
func (s *Store) Billed(ctx context.Context, month string, scope BillingScope) (*BillComparison, error) {
	if !scope.On {
		return nil, nil
	}
	c, err := s.BillComparison(ctx, month, time.Time{}, scope.Estimated)
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// CostOverview reads the overview at now of the scope's accounts (nil: every account);
// today starts at midnight in tz, the last scan is the latest run of scanJob, and AWS's
// bill of the month is read when billing is on. In a scope every figure, the
// services and the resource counts are theirs, with a line per account when they are
// two or more.
func (s *Store) CostOverview(ctx context.Context, now time.Time, tz *time.Location, scanJob string, billing BillingScope, scope AccountScope) (CostOverview, error) {
	now = now.UTC()
	if tz == nil {
		tz = time.UTC
	}
	v := CostOverview{Now: now, TZ: tz, Month: MonthOf(now), Scope: scope}
	tally, err := s.TallyActiveResources(ctx, scope)
	if err != nil {
		return v, err
	}
	if scope.All() {
		if v.Billed, err = s.Billed(ctx, v.Month, billing); err != nil {
			return v, err
		}
	}
	v.Active, v.Sources = tally.PerService, tally.Sources
	if v.Unpriced, err = s.UnpricedActive(ctx, scope); err != nil {
		return v, err
	}
	latest, ok, err := s.LatestCostHour(ctx)
	if err != nil || !ok {
		return v, err
	}
	v.HasData, v.LatestHour = true, latest
	next := latest.Add(time.Hour)
	services, err := s.ServiceCosts(ctx, latest, next, scope)
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
	local := now.In(tz)
	midnight := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, tz)
	if v.TodayUSD, err = s.CostTotal(ctx, midnight, next, scope); err != nil {
		return v, err
	}
	if scope.All() {
		bill, err := s.MonthBill(ctx, v.Month, nil)
		if err != nil {
			return v, err
		}
		v.MonthUSD = bill.TotalUSD
	} else {
		start, _ := MonthStart(v.Month)
		if v.MonthUSD, err = s.CostTotal(ctx, start, start.AddDate(0, 1, 0), scope); err != nil {
			return v, err
		}
	}
	day, err := s.HourlyTotals(ctx, latest.Add(-24*time.Hour), next, scope)
	if err != nil {
		return v, err
	}
	v.Trend = ComputeTrend(day, latest)
	// The breakdown is read only where there is more than one account to break down:
	// with one account /cost costs what it did.
	stored, err := s.Accounts(ctx)
	if err != nil {
		return v, err
	}
	if currentIn(stored, scope) >= 2 {
		accounts, err := s.accountCosts(ctx, v.Month, latest, now, scope, stored)
		if err != nil {
			return v, err
		}
		v.Accounts = accounts
	}
	if v.LastScan, err = s.LastRunOf(ctx, scanJob); err != nil {
		return v, err
	}
	return v, nil
}
