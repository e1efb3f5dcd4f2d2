package pricing

import (
	"maps"
	"strings"
	"time"

	"costbot/models"
)

// monthSoFarResource is r as it was used from the first of the month to the hour priced,
// when the scan read that (models.MonthSoFarPrefix facts): its hourly flow facts replaced
// by the month's, every other fact kept (a function's memory prices its GB-seconds).
func monthSoFarResource(r models.Resource) (models.Resource, bool) {
	var month map[string]float64
	for k, v := range r.Usage {
		if key, ok := strings.CutPrefix(k, models.MonthSoFarPrefix); ok {
			if month == nil {
				month = maps.Clone(r.Usage)
			}
			month[key] = v
		}
	}
	if month == nil {
		return r, false
	}
	r.Usage = month
	return r, true
}

// seedMonthSoFar is mtd with each flow meter raised to what the resources used from the
// first of the month to the hour priced, for the resources whose scan read it. It is
// how a first start on the 20th applies the free tier to the month so far: the meters
// then stand where AWS's do, and this hour's usage climbs from there. A meter mtd
// already counts higher is left as it is.
func seedMonthSoFar(rs []models.Resource, mtd *MonthToDate, allow Allowances, at time.Time) *MonthToDate {
	var charges []*pricedCharge
	for i, r := range rs {
		month, ok := monthSoFarResource(r)
		if !ok {
			continue
		}
		for _, c := range planResource(month, mtd, at).charges {
			if c.kind == flow {
				charges = append(charges, &pricedCharge{resource: i, charge: c})
			}
		}
	}
	if len(charges) == 0 {
		return mtd
	}
	seeded := meterCosts(charges, &MonthToDate{Month: mtd.Month, Usage: map[string]float64{}}, allow)
	out := mtd.clone()
	for k, v := range seeded.Usage {
		out.Usage[k] = max(out.Usage[k], v)
	}
	return out
}

// Advanced is m moved on by hours more hours like the one from before to after: the
// hours costbot was down and filled with copies of that hour use the meters as it did.
func (m *MonthToDate) Advanced(before, after *MonthToDate, hours int) *MonthToDate {
	out := m.clone()
	if hours <= 0 || before == nil || after == nil {
		return out
	}
	for k, v := range after.Usage {
		if d := v - before.Get(k); d > 0 {
			out.add(k, d*float64(hours))
		}
	}
	return out
}

// SeedMonthSoFar is the state PriceScan prices the hour of rs from: mtd raised to the
// month so far the resources carry. The collect job stores it as the hour's starting
// state, so a second pricing of the same hour starts from the same place.
func (p *Pricer) SeedMonthSoFar(rs []models.Resource, mtd *MonthToDate) *MonthToDate {
	if mtd == nil {
		mtd = NewMonthToDate(p.now())
	}
	return seedMonthSoFar(rs, mtd, p.allow, p.now())
}
