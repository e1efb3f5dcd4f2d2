package figures

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"time"

	"costbot/models"
)

// MonthBill is a month's bill as every face shows it: costbot's estimate per service, the
// resources it leaves out for want of a price, the month-end forecast of the current
// month, and AWS's bill of the month's billed days beside it.
type MonthBill struct {
	Month   string
	Current bool // the month of now: "so far", with a forecast
	Bill    models.Bill
	// Lines are the services of the estimate, priced ones highest first, then those whose
	// resources have no price at all: a line is never $0.00 for a service it could not price.
	Lines []ServiceLine
	// Unpriced is how many resources seen in the month have no price: the total leaves them out.
	Unpriced int
	// Forecast is the month-end forecast (the current month only; 0 otherwise): the billed
	// days in AWS's figures when it billed any, else the estimate so far plus the latest
	// hour's rate for every hour left.
	Forecast float64
	// Billed is AWS's bill of the month's billed days beside the estimate (nil when billing
	// is off, when AWS billed nothing costbot holds, and for a viewer of some accounts).
	Billed *models.BillComparison
}

// ServiceLine is one service of a bill.
type ServiceLine struct {
	Service string
	USD     float64
	// Priced is false when every resource of the service seen in the month went without a
	// price: the line says "unpriced", never $0.00, and counts apart from the total.
	Priced bool
	// Unpriced is how many of the service's resources have no price.
	Unpriced int
	// Percent is the line's share of the bill's total (0 when not priced).
	Percent float64
}

// Empty reports whether the month has nothing to show: no cost and no unpriced resource.
func (b MonthBill) Empty() bool { return b.Bill.Empty() && b.Unpriced == 0 }

// Status says whether the month is this one (so far), closed (final) or still open.
func (b MonthBill) Status() string {
	switch {
	case b.Current:
		return BillCurrent
	case b.Bill.Closed:
		return BillClosed
	}
	return BillOpen
}

// Bill states.
const (
	BillCurrent = "current"
	BillClosed  = "closed"
	BillOpen    = "open"
)

// Line is the bill's line of service, and whether the bill has one.
func (b MonthBill) Line(service string) (ServiceLine, bool) {
	i := slices.IndexFunc(b.Lines, func(l ServiceLine) bool { return l.Service == service })
	if i < 0 {
		return ServiceLine{}, false
	}
	return b.Lines[i], true
}

// Bill reads month's (YYYY-MM) bill for the scope's accounts as of now.
func (r *Reader) Bill(ctx context.Context, scope Scope, month string, now time.Time) (MonthBill, error) {
	start, err := models.MonthStart(month)
	if err != nil {
		return MonthBill{}, err
	}
	bill, err := r.store.MonthBill(ctx, month, scope)
	if err != nil {
		return MonthBill{}, err
	}
	unpriced, err := r.store.UnpricedBetween(ctx, start, start.AddDate(0, 1, 0), scope)
	if err != nil {
		return MonthBill{}, err
	}
	billed, err := r.billed(ctx, month, scope)
	if err != nil {
		return MonthBill{}, err
	}
	mb := newMonthBill(bill, unpriced, billed, month == models.MonthOf(now.UTC()))
	if mb.Current && !bill.Empty() {
		latest, ok, err := r.store.LatestCostHour(ctx)
		if err != nil {
			return MonthBill{}, err
		}
		hourly := 0.0
		if ok {
			if hourly, err = r.store.CostTotal(ctx, latest, latest.Add(time.Hour), scope); err != nil {
				return MonthBill{}, err
			}
		}
		mb.Forecast = ForecastCounted(MonthEndForecast(bill.TotalUSD, hourly, latest, now.UTC()), billed)
	}
	return mb, nil
}

// newMonthBill puts a month's estimate, its unpriced resources per service and AWS's bill
// together into lines.
func newMonthBill(bill models.Bill, unpriced map[string]int, billed *models.BillComparison, current bool) MonthBill {
	mb := MonthBill{Month: bill.Month, Current: current, Bill: bill, Billed: billed}
	for _, sc := range bill.Services {
		line := ServiceLine{Service: sc.Service, USD: sc.USD, Unpriced: unpriced[sc.Service]}
		line.Priced = sc.USD != 0 || line.Unpriced == 0
		if line.Priced {
			line.Percent = Share(sc.USD, bill.TotalUSD)
		}
		mb.Lines = append(mb.Lines, line)
	}
	for _, s := range slices.Sorted(maps.Keys(unpriced)) {
		mb.Unpriced += unpriced[s]
		if _, ok := mb.Line(s); !ok && unpriced[s] > 0 {
			mb.Lines = append(mb.Lines, ServiceLine{Service: s, Unpriced: unpriced[s]})
		}
	}
	slices.SortStableFunc(mb.Lines, func(a, b ServiceLine) int {
		if a.Priced != b.Priced {
			if a.Priced {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(b.USD, a.USD); c != 0 {
			return c
		}
		return cmp.Compare(a.Service, b.Service)
	})
	return mb
}

// BillMonths are the months with cost data, newest first, at most limit of them: the
// months a viewer can open a bill of.
func (r *Reader) BillMonths(ctx context.Context, now time.Time, limit int) ([]string, error) {
	return r.store.BillMonths(ctx, now, limit)
}

// Bills is every month's bill for the scope's accounts, newest first, at most limit
// months: the bills history. For a viewer of every account, AWS's bills and the unpriced
// counts of all months are read at once rather than month by month.
func (r *Reader) Bills(ctx context.Context, scope Scope, now time.Time, limit int) ([]MonthBill, error) {
	months, err := r.store.BillMonths(ctx, now, limit)
	if err != nil {
		return nil, err
	}
	out := make([]MonthBill, 0, len(months))
	if !scope.All() {
		for _, m := range months {
			mb, err := r.Bill(ctx, scope, m, now)
			if err != nil {
				return nil, err
			}
			out = append(out, mb)
		}
		return out, nil
	}
	unpriced, err := r.store.UnpricedPerMonth(ctx, months)
	if err != nil {
		return nil, err
	}
	var compared map[string]models.BillComparison
	if r.billingOn() {
		if compared, err = r.store.BillComparisons(ctx, months, r.cfg.CostServices); err != nil {
			return nil, err
		}
	}
	current := models.MonthOf(now.UTC())
	for _, m := range months {
		if m == current { // the current month has a forecast
			mb, err := r.Bill(ctx, scope, m, now)
			if err != nil {
				return nil, err
			}
			out = append(out, mb)
			continue
		}
		bill, err := r.store.MonthBill(ctx, m, scope)
		if err != nil {
			return nil, err
		}
		var billed *models.BillComparison
		if c, ok := compared[m]; ok && !c.Empty() {
			billed = &c
		}
		out = append(out, newMonthBill(bill, unpriced[m], billed, false))
	}
	return out, nil
}
