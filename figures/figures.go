// Package figures is costbot's read model: one function per screen, each taking the
// viewer's scope (which accounts they may see) explicitly and returning a plain value.
// The chat, the dashboard and Mini App, the scheduled pushes and the command line render
// what it returns; none of them queries the store for a figure or adds one up itself, so
// the same viewer sees the same number on every face.
package figures

import (
	"context"
	"slices"
	"time"

	"costbot/config"
	"costbot/models"
)

// Scope is which accounts a viewer may see: nil is every account.
type Scope = models.AccountScope

// Store is what the read model reads. *models.Store implements it; each method takes the
// scope it reads for, so no figure depends on state hidden in the store.
type Store interface {
	LatestCostHour(ctx context.Context) (time.Time, bool, error)
	CostTotal(ctx context.Context, from, to time.Time, scope Scope) (float64, error)
	CostPerAccount(ctx context.Context, from, to time.Time, scope Scope) (map[string]float64, error)
	ServiceCosts(ctx context.Context, from, to time.Time, scope Scope) ([]models.ServiceCost, error)
	HourlyTotals(ctx context.Context, from, to time.Time, scope Scope) ([]models.HourTotal, error)
	HourlyServiceCosts(ctx context.Context, from, to time.Time, scope Scope) ([]models.HourServiceCost, error)
	DailyServiceCosts(ctx context.Context, from, to time.Time, loc *time.Location, scope Scope) ([]models.DayServiceCost, error)
	MonthBill(ctx context.Context, month string, scope Scope) (models.Bill, error)
	BillMonths(ctx context.Context, now time.Time, limit int) ([]string, error)
	TallyActiveResources(ctx context.Context, scope Scope) (models.ResourceTally, error)
	UnpricedActive(ctx context.Context, scope Scope) (map[string]models.UnpricedService, error)
	UnpricedBetween(ctx context.Context, start, end time.Time, scope Scope) (map[string]int, error)
	UnpricedPerMonth(ctx context.Context, months []string) (map[string]map[string]int, error)
	BillComparison(ctx context.Context, month string, before time.Time, estimated []string) (models.BillComparison, error)
	BillComparisons(ctx context.Context, months []string, estimated []string) (map[string]models.BillComparison, error)
	Accounts(ctx context.Context) ([]models.Account, error)
	LastRunOf(ctx context.Context, job string) (*models.JobRun, error)
	LastJobRuns(ctx context.Context) ([]models.JobRun, error)
	LastFailedJobRun(ctx context.Context, job string) (*models.JobRun, error)
	LatestLightsailUsage(ctx context.Context) ([]models.LightsailUsage, error)
	LatestLightsailActions(ctx context.Context, n int) ([]models.LightsailAction, error)
	ActiveResourceRegions(ctx context.Context, service string, scope Scope) ([]string, error)
	ResourceTable(ctx context.Context, q models.ResourceQuery) (models.ResourcePage, error)
	TopResources(ctx context.Context, n int, scope Scope) ([]models.ResourceRow, error)
	WastedResources(ctx context.Context, n int, scope Scope) ([]models.ResourceRow, error)
}

// ScanJob is the job whose last run the overview shows.
const ScanJob = "collect"

// Reader reads every screen's figures from one store under one configuration.
type Reader struct {
	store Store
	cfg   *config.Config
}

// New is the read model over store, with the settings of cfg: the report's time zone,
// whether AWS's bill is read, and which Lightsail instances are watched.
func New(store Store, cfg *config.Config) *Reader { return &Reader{store: store, cfg: cfg} }

// tz is the zone "today" is counted in (REPORT_TZ).
func (r *Reader) tz() *time.Location {
	if r.cfg.ReportTZ == nil {
		return time.UTC
	}
	return r.cfg.ReportTZ
}

// billingOn reports whether costbot reads AWS's bill.
func (r *Reader) billingOn() bool { return r.cfg.CostExplorerInterval > 0 }

// billed is AWS's bill of month's billed days beside costbot's estimate of them, for a
// viewer of every account; nil when billing is off, when AWS billed nothing costbot holds,
// and for a viewer of some accounts: AWS's bill is read for every account together, and
// its lines would show the others' spending.
func (r *Reader) billed(ctx context.Context, month string, scope Scope) (*models.BillComparison, error) {
	if !scope.All() || !r.billingOn() {
		return nil, nil
	}
	c, err := r.store.BillComparison(ctx, month, time.Time{}, r.cfg.CostServices)
	if err != nil {
		return nil, err
	}
	if c.Empty() {
		return nil, nil
	}
	return &c, nil
}

// Share is part's share of total in percent (0 when the total is not positive).
func Share(part, total float64) float64 {
	if total <= 0 {
		return 0
	}
	return part / total * 100
}

// visible is the stored accounts the scope covers.
func visible(stored []models.Account, scope Scope) []models.Account {
	if scope.All() {
		return stored
	}
	return slices.DeleteFunc(slices.Clone(stored), func(a models.Account) bool { return !scope.Covers(a.ID) })
}
