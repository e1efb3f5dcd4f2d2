package figures

import (
	"context"
	"slices"
	"time"

	"costbot/models"
)

// actionsShown bounds the guard's latest actions a Lightsail view lists.
const actionsShown = 200

// Lightsail is every watched instance's traffic the viewer sees, as of the guard's latest
// check, the guard's latest actions in those accounts, and AWS's billed overage.
type Lightsail struct {
	Cycle       string // YYYY-MM (UTC)
	Instances   []models.LightsailTraffic
	Actions     []models.LightsailAction
	StopPercent float64
	WarnPercent float64 // the lowest warning level (0 when none)
	DryRun      bool
	// Billed is AWS's bill of the cycle's month so far, for the overage it billed per
	// region (nil when costbot holds none, and for a viewer of some accounts).
	Billed *models.BillComparison
}

// Lightsail reads the Lightsail view of the scope's accounts at now.
func (r *Reader) Lightsail(ctx context.Context, scope Scope, now time.Time) (Lightsail, error) {
	v := Lightsail{Cycle: models.MonthOf(now.UTC()), StopPercent: r.cfg.LightsailStopPercent, DryRun: r.cfg.LightsailDryRun}
	if len(r.cfg.LightsailWarnPercents) > 0 {
		v.WarnPercent = slices.Min(r.cfg.LightsailWarnPercents)
	}
	var err error
	if v.Instances, err = r.LightsailInstances(ctx, scope); err != nil {
		return v, err
	}
	if v.Actions, err = r.store.LatestLightsailActions(ctx, actionsShown); err != nil {
		return v, err
	}
	v.Actions = slices.DeleteFunc(v.Actions, func(a models.LightsailAction) bool { return !scope.Covers(a.AccountID) })
	if v.Billed, err = r.billed(ctx, v.Cycle, scope); err != nil {
		return v, err
	}
	return v, nil
}

// LightsailInstances is the traffic of every watched instance in the scope's accounts, as
// of the guard's latest check, its times in REPORT_TZ.
func (r *Reader) LightsailInstances(ctx context.Context, scope Scope) ([]models.LightsailTraffic, error) {
	rows, err := r.store.LatestLightsailUsage(ctx)
	if err != nil {
		return nil, err
	}
	var out []models.LightsailTraffic
	for _, u := range rows {
		if r.cfg.Watches(u.Instance) && slices.Contains(r.cfg.LightsailRegions, u.Region) && scope.Covers(u.AccountID) {
			t := u.Traffic()
			t.TZ = r.tz().String()
			out = append(out, t)
		}
	}
	return out, nil
}
