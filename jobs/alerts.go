package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"costbot/models"
)

// baselinePrefix names the alert states that say a (service, region) task succeeded
// once: the resources of its first successful scan are a baseline, not new.
const baselinePrefix = "baseline:"

// burnState is the alert state of the burn rate: in an alerted jump or not, and the
// hourly total alerted.
const burnState = "burn"

// budgetPrefix names the alert state of a month's budget: above or not, and crossings.
const budgetPrefix = "budget:"

// Burn-rate alert: the hour is compared with the median of the previous burnWindow of
// hours, once at least burnMinHistory of them are known.
const (
	burnWindow     = 24 * time.Hour
	burnMinHistory = 6
	topServices    = 3
)

// newResourceAlerts are the resources never stored before whose monthly cost reaches
// threshold. Resources of a task that never succeeded before are a baseline (the first
// collection, a service or region just added, a region that was failing): no alert.
func newResourceAlerts(priced []models.PricedResource, known map[string]bool, baselined map[string]models.AlertState,
	scopes []scope, threshold float64, now time.Time) []models.Event {
	if threshold <= 0 {
		return nil
	}
	var out []models.Event
	for _, pr := range priced {
		if !pr.Priced || pr.MonthlyUSD < threshold || known[pr.Key()] {
			continue
		}
		sc, ok := scopeOf(scopes, pr.Service, pr.Region)
		if !ok || !baselined[baselinePrefix+sc.TaskScope.String()].Active {
			continue
		}
		out = append(out, models.Event{Kind: models.EventNewResource, Key: pr.Key(), Data: models.NewResourceAlert{
			AccountID: pr.AccountID, Service: pr.Service, Region: pr.Region, ID: pr.ID, Name: pr.Name, Type: pr.Type,
			HourlyUSD: pr.HourlyUSD, MonthlyUSD: pr.MonthlyUSD, Source: pr.Source, Threshold: threshold, SeenAt: now,
		}})
	}
	return out
}

// burnJump raises EventBurnJump when the hour's total is BurnJumpPercent or more above
// the median of the previous 24 hours' totals. A jump is alerted once: the hours after
// it, still above the median, raise nothing until the rate falls back or jumps again by
// as much from the alerted level.
func (c *Collector) burnJump(ctx context.Context, tx *models.Store, h models.CostHour, now time.Time) (models.Event, bool, error) {
	if c.opt.BurnJumpPercent <= 0 {
		return models.Event{}, false, nil
	}
	history, err := tx.CostHours(ctx, h.Hour.Add(-burnWindow), h.Hour)
	if err != nil || len(history) < burnMinHistory {
		return models.Event{}, false, err
	}
	totals := make([]float64, len(history))
	for i, p := range history {
		totals[i] = p.TotalUSD
	}
	med := median(totals)
	if med <= 0 {
		return models.Event{}, false, nil // a jump from nothing is a new resource, not a rate
	}
	jump := (h.TotalUSD/med - 1) * 100
	states, err := tx.AlertStates(ctx, burnState)
	if err != nil {
		return models.Event{}, false, err
	}
	st := states[burnState]
	factor := 1 + c.opt.BurnJumpPercent/100
	switch {
	case jump < c.opt.BurnJumpPercent:
		// Back to normal (or the median caught up): the next jump is news again.
		if st.Active {
			st.Active, st.ChangedAt = false, now
			return models.Event{}, false, tx.PutAlertState(ctx, st)
		}
		return models.Event{}, false, nil
	case st.Active && h.TotalUSD < st.Value*factor:
		return models.Event{}, false, nil // the jump already alerted, still going on
	}
	st = models.AlertState{Name: burnState, Active: true, Count: st.Count + 1, Value: h.TotalUSD, ChangedAt: now}
	if err := tx.PutAlertState(ctx, st); err != nil {
		return models.Event{}, false, err
	}
	services, err := tx.ServiceCostsAt(ctx, h.Hour)
	if err != nil {
		return models.Event{}, false, err
	}
	return models.Event{Kind: models.EventBurnJump, Key: h.Hour.UTC().Format(time.RFC3339), Data: models.BurnJumpAlert{
		Hour: h.Hour.UTC(), HourlyUSD: h.TotalUSD, MedianUSD: med, JumpPercent: jump,
		Threshold: c.opt.BurnJumpPercent, TopServices: services[:min(len(services), topServices)],
	}}, true, nil
}

// budget raises EventBudget when the month-end forecast (the month so far, this hour
// included, plus this hour's rate for every hour left) goes above MonthlyBudgetUSD: once
// per crossing, so again only after it fell below and rose again.
func (c *Collector) budget(ctx context.Context, tx *models.Store, h models.CostHour, now time.Time) (models.Event, bool, error) {
	if c.opt.MonthlyBudgetUSD <= 0 {
		return models.Event{}, false, nil
	}
	start := models.MonthStartOf(h.Hour)
	end := start.AddDate(0, 1, 0)
	hours, err := tx.CostHours(ctx, start, end)
	if err != nil {
		return models.Event{}, false, err
	}
	soFar := 0.0
	for _, x := range hours {
		soFar += x.TotalUSD
	}
	forecast := soFar + h.TotalUSD*end.Sub(h.Hour.Add(time.Hour)).Hours()
	above := forecast > c.opt.MonthlyBudgetUSD

	month := models.MonthOf(h.Hour)
	name := budgetPrefix + month
	states, err := tx.AlertStates(ctx, name)
	if err != nil {
		return models.Event{}, false, err
	}
	st := states[name]
	if above == st.Active {
		return models.Event{}, false, nil
	}
	st.Name, st.Active, st.ChangedAt = name, above, now
	if above {
		st.Count++
	}
	if err := tx.PutAlertState(ctx, st); err != nil {
		return models.Event{}, false, err
	}
	if !above {
		return models.Event{}, false, nil
	}
	return models.Event{Kind: models.EventBudget, Key: fmt.Sprintf("%s#%d", month, st.Count), Data: models.BudgetAlert{
		Month: month, ForecastUSD: forecast, BudgetUSD: c.opt.MonthlyBudgetUSD, SoFarUSD: soFar,
	}}, true, nil
}

// median of xs (not empty).
func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// decodeEvent turns a stored event back into the Event the notifier renders, with its
// kind's own data type.
func decodeEvent(ce models.CostEvent) (models.Event, error) {
	var data any
	var err error
	switch ce.Kind {
	case models.EventNewResource:
		data, err = decodeAs[models.NewResourceAlert](ce.Data)
	case models.EventBurnJump:
		data, err = decodeAs[models.BurnJumpAlert](ce.Data)
	case models.EventBudget:
		data, err = decodeAs[models.BudgetAlert](ce.Data)
	case models.EventBillClosed:
		data, err = decodeAs[models.BillClosed](ce.Data)
	case models.EventBillDifference:
		data, err = decodeAs[models.BillDifference](ce.Data)
	case models.EventBillCredit:
		data, err = decodeAs[models.BillCredit](ce.Data)
	case models.EventBillFinal:
		data, err = decodeAs[models.BillComparison](ce.Data)
	default:
		err = fmt.Errorf("unknown event kind %q", ce.Kind)
	}
	if err != nil {
		return models.Event{}, fmt.Errorf("event %s %s: %w", ce.Kind, ce.Key, err)
	}
	return models.Event{Kind: ce.Kind, Key: ce.Key, Data: data}, nil
}

func decodeAs[T any](s string) (T, error) {
	var v T
	err := json.Unmarshal([]byte(s), &v)
	return v, err
}
