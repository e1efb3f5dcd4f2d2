package jobs

import (
	"context"
	"time"

	"costbot/models"
)

// ApplyLightsailPool gives each Lightsail instance of a scan the guard's figures for the
// month so far, which the pricer turns into overage, so /cost, /service lightsail and
// /lightsail never disagree: the guard's latest stored check of the instance when there
// is one (its usage with what it carries from deleted instances of the bundle, and its
// prorated allowance), else the same pool rule applied to the scan's own reading since
// the 1st and the checks stored this month.
func ApplyLightsailPool(ctx context.Context, store *models.Store, rs []models.Resource, now time.Time) error {
	return applyLightsailPool(ctx, store, rs, now, false)
}

// ApplyLightsailPoolByAccount is ApplyLightsailPool when AWS_ACCOUNTS names accounts:
// each account's instances pool with that account's checks only (the guard keeps them
// per account).
func ApplyLightsailPoolByAccount(ctx context.Context, store *models.Store, rs []models.Resource, now time.Time) error {
	return applyLightsailPool(ctx, store, rs, now, true)
}

func applyLightsailPool(ctx context.Context, store *models.Store, rs []models.Resource, now time.Time, byAccount bool) error {
	start, end := models.MonthBounds(now)
	cycle := CycleOf(now)
	type place struct{ account, region string }
	byRegion := map[place][]int{}
	for i, r := range rs {
		if r.Service == "lightsail" && r.Kind == models.KindInstance {
			p := place{region: r.Region}
			if byAccount {
				p.account = r.AccountID
			}
			byRegion[p] = append(byRegion[p], i)
		}
	}
	for p, idx := range byRegion {
		region := p.region
		history, err := store.LightsailCycleInstances(ctx, p.account, region, cycle)
		if err != nil {
			return err
		}
		stored := map[string]models.LightsailUsage{}
		for _, h := range history {
			stored[h.InstanceID] = h
		}
		live := map[string]bool{}
		var members []poolMember
		for _, i := range idx {
			r := rs[i]
			id := resourceInstanceID(r)
			live[id] = true
			members = append(members, poolMember{ID: id, Name: r.Name, Bundle: r.Type, Created: r.CreatedAt,
				Bytes: r.Usage["bytes_in_month"] + r.Usage["bytes_out_month"], OutBytes: r.Usage["bytes_out_month"]})
		}
		for _, h := range history {
			if !live[h.InstanceID] {
				members = append(members, poolMember{ID: h.InstanceID, Name: h.Instance, Bundle: h.Bundle, Created: h.InstanceCreatedAt.UTC(),
					LastSeen: h.CheckedAt.UTC(), Gone: true, Bytes: h.OwnBytes, OutBytes: h.OwnOutBytes})
			}
		}
		carries := poolCarries(members)
		for n, i := range idx {
			r := &rs[i]
			if r.Usage == nil {
				continue
			}
			m := members[n]
			var used, out, allowance float64
			source := "guard"
			if h, ok := stored[m.ID]; ok && h.AllowanceBytes > 0 {
				used, out, allowance = h.UsedBytes, h.OwnOutBytes+h.CarriedOutBytes, h.AllowanceBytes
			} else {
				source = "scan"
				used, out, allowance = poolFigures(m.Bytes, m.OutBytes, r.Usage["transfer_allowance_gb"]*models.GB, m.Created, carries[m.ID], start, end)
			}
			if allowance <= 0 {
				continue // no allowance from the API: the pricer's own reading applies
			}
			if r.Attrs == nil {
				r.Attrs = map[string]string{}
			}
			r.Usage["transfer_used_month_gb"] = used / models.GB
			r.Usage["transfer_out_month_gb"] = out / models.GB
			r.Usage["transfer_allowance_month_gb"] = allowance / models.GB
			r.Attrs["transfer_source"] = source
		}
	}
	return nil
}

// resourceInstanceID is the scan's instance's identity as the guard stores it.
func resourceInstanceID(r models.Resource) string {
	if arn := r.Attr("arn"); arn != "" {
		return arn
	}
	return r.CreatedAt.UTC().Format(time.RFC3339)
}
