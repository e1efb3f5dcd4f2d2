// Package randhist makes random cost histories for tests that hold several faces (the
// chat, the dashboard, the daily report) against one oracle: several accounts, priced and
// unpriced resources, a closed month and an open one, and AWS's bill of some days. The
// oracle sums the generated records in Go, apart from the store's SQL, so a face that
// agrees with it agrees with every other face.
package randhist

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"costbot/models"
)

// services the histories draw from.
var services = []string{"ec2", "rds", "s3", "ebs", "vpc", "fsx", "lambda"}

// History is one random history: its accounts, resources and hourly records, and now.
type History struct {
	Accounts  []models.Account
	Resources []Resource
	First     time.Time // the first hour written, in the month before Now's
	Now       time.Time // within the last hour written
	Billed    []models.BilledCost
}

// Resource is one resource of the history and its cost each hour (0 when unpriced).
type Resource struct {
	Account, Service, Region, ID, Name string
	HourlyUSD                          float64
	Priced                             bool
	Reason                             string // why it is unpriced
}

// New draws a history from rng.
func New(rng *rand.Rand) History {
	var h History
	n := 2 + rng.IntN(2)
	for i := range n {
		id := fmt.Sprintf("%012d", 111111111111*(i+1))
		a := models.Account{ID: id}
		if rng.IntN(2) == 0 {
			a.Name = fmt.Sprintf("acct%c", 'a'+i)
		}
		h.Accounts = append(h.Accounts, a)
		for j := range 1 + rng.IntN(4) {
			svc := services[rng.IntN(len(services))]
			r := Resource{Account: id, Service: svc, Region: []string{"us-east-1", "eu-west-1", "ap-northeast-1"}[rng.IntN(3)],
				ID: fmt.Sprintf("%s-%d-%d", svc, i, j), Name: fmt.Sprintf("res-%d-%d", i, j), Priced: rng.IntN(5) != 0}
			if r.Priced {
				r.HourlyUSD = math.Round((0.001+rng.Float64()*0.5)*1e4) / 1e4
			} else {
				r.Reason = "no price for this type"
			}
			h.Resources = append(h.Resources, r)
		}
	}
	month := time.Date(2026, time.Month(1+rng.IntN(12)), 1, 0, 0, 0, 0, time.UTC)
	h.First = month.Add(-time.Duration(2+rng.IntN(30)) * time.Hour)
	last := month.Add(time.Duration(3+rng.IntN(80)) * time.Hour)
	h.Now = last.Add(time.Duration(5+rng.IntN(50)) * time.Minute)
	// AWS's bill of the open month's first day, a little above the estimate.
	if last.Sub(month) > 30*time.Hour {
		h.Billed = append(h.Billed, models.BilledCost{Day: month, Month: models.MonthOf(month), Service: "Amazon Elastic Compute Cloud - Compute",
			UsageType: "BoxUsage:t3.micro", Record: models.RecordUsage, UnblendedUSD: 1.25, NetUSD: 1.25, Estimated: true})
	}
	return h
}

// Last is the last hour written.
func (h History) Last() time.Time { return h.Now.Truncate(time.Hour) }

// Month is Now's month (YYYY-MM), the open one; Previous the month before, closed.
func (h History) Month() string    { return models.MonthOf(h.Now) }
func (h History) Previous() string { return models.MonthOf(h.First) }

// Write stores the history: every hour from First to Last, the previous month closed, the
// accounts, and AWS's bill.
func (h History) Write(tb testing.TB, s *models.Store) {
	tb.Helper()
	ctx := context.Background()
	if err := s.SaveAccounts(ctx, h.Accounts); err != nil {
		tb.Fatal(err)
	}
	var listed []models.TaskScope
	for _, r := range h.Resources {
		if !slices.ContainsFunc(listed, func(t models.TaskScope) bool {
			return t.Account == r.Account && t.Service == r.Service && t.Region == r.Region
		}) {
			listed = append(listed, models.TaskScope{Account: r.Account, Service: r.Service, Region: r.Region})
		}
	}
	closed := false
	for hour := h.First; !hour.After(h.Last()); hour = hour.Add(time.Hour) {
		if !closed && models.MonthOf(hour) == h.Month() {
			if _, err := s.CloseMonthsBefore(ctx, h.Month(), hour); err != nil {
				tb.Fatal(err)
			}
			closed = true
		}
		w := models.HourWrite{Hour: hour, CollectedAt: hour.Add(5 * time.Minute), Listed: listed}
		for _, r := range h.Resources {
			source := models.SourceAPI
			if !r.Priced {
				source = models.SourceUnpriced
			}
			w.Records = append(w.Records, models.CostRecord{Hour: hour, AccountID: r.Account, Service: r.Service, Region: r.Region,
				ResourceID: r.ID, Name: r.Name, CostUSD: r.HourlyUSD, PriceSource: source})
			w.Resources = append(w.Resources, models.ResourceRow{Key: r.Account + "/" + r.Service + "/" + r.Region + "/" + r.ID,
				AccountID: r.Account, Service: r.Service, Region: r.Region, ResourceID: r.ID, Name: r.Name,
				HourlyUSD: r.HourlyUSD, MonthlyUSD: r.HourlyUSD * 730, Priced: r.Priced, PriceSource: source, PriceNote: r.Reason, Active: true})
		}
		if _, err := s.WriteHour(ctx, w); err != nil {
			tb.Fatal(err)
		}
	}
	if len(h.Billed) > 0 {
		day := h.Billed[0].Day
		if err := s.ReplaceBilled(ctx, h.Month(), day, day.AddDate(0, 0, 1), h.Billed, false, h.Now); err != nil {
			tb.Fatal(err)
		}
	}
}

// Oracle is what a viewer of scope must see of the history, summed here in Go.
type Oracle struct {
	MonthUSD     float64            // the open month so far
	PreviousUSD  float64            // the closed month
	HourlyUSD    float64            // the last hour
	Services     map[string]float64 // the open month, per service with a priced resource
	Unpriced     map[string]int     // unpriced resources per service
	UnpricedOnly []string           // services whose every resource is unpriced
	Accounts     []string           // the accounts in scope
}

// Oracle sums the history for a viewer of scope (nil: every account).
func (h History) Oracle(scope models.AccountScope) Oracle {
	o := Oracle{Services: map[string]float64{}, Unpriced: map[string]int{}}
	for _, a := range h.Accounts {
		if scope.Covers(a.ID) {
			o.Accounts = append(o.Accounts, a.ID)
		}
	}
	priced := map[string]bool{}
	for _, r := range h.Resources {
		if !scope.Covers(r.Account) {
			continue
		}
		if !r.Priced {
			o.Unpriced[r.Service]++
			continue
		}
		priced[r.Service] = true
		for hour := h.First; !hour.After(h.Last()); hour = hour.Add(time.Hour) {
			if models.MonthOf(hour) == h.Month() {
				o.MonthUSD += r.HourlyUSD
				o.Services[r.Service] += r.HourlyUSD
			} else {
				o.PreviousUSD += r.HourlyUSD
			}
		}
		o.HourlyUSD += r.HourlyUSD
	}
	for svc := range o.Unpriced {
		if !priced[svc] {
			o.UnpricedOnly = append(o.UnpricedOnly, svc)
		}
	}
	slices.Sort(o.UnpricedOnly)
	return o
}

// UnpricedCount is every unpriced resource the viewer sees.
func (o Oracle) UnpricedCount() int {
	n := 0
	for _, c := range o.Unpriced {
		n += c
	}
	return n
}

// Scopes are the scopes worth trying on h: every account, each one alone, and a random pair.
func (h History) Scopes(rng *rand.Rand) []models.AccountScope {
	scopes := []models.AccountScope{nil}
	for _, a := range h.Accounts {
		scopes = append(scopes, models.AccountScope{a.ID})
	}
	if len(h.Accounts) > 2 {
		perm := rng.Perm(len(h.Accounts))
		scopes = append(scopes, models.AccountScope{h.Accounts[perm[0]].ID, h.Accounts[perm[1]].ID})
	}
	return scopes
}
