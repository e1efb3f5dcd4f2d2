package pricing

import (
	"strconv"

	"costbot/models"
)

// meterKind says how a charge's quantity turns into an hour's cost.
type meterKind int

const (
	// perHour: quantity for this hour x rate (instance-hours, GB processed, addresses).
	perHour meterKind = iota
	// perMonth: a stock (GB stored, metrics, alarms) at its current amount, priced per
	// unit-month and divided by 730. Tiers and allowances apply to the pool's total.
	perMonth
	// flow: this hour's usage of a cumulative meter (requests, GB-seconds, bytes). Tiers
	// and allowances apply to month-to-date usage.
	flow
)

// charge is one priced component of a resource: what is used, how it is metered and
// where its price comes from.
type charge struct {
	name     string
	kind     meterKind
	qty      float64
	optional bool    // dropped when qty is 0 (gp3 IOPS at the baseline, no public IP)
	baseline float64 // free units per resource the price list may leave out (gp3's 3000 IOPS)
	freePool string  // allowance drawn on ("free:..."), "" for none
	tierPool string  // usage pooled for tiers ("tier:..."), "" for the charge alone
	price    priceRef
	note     string
	// warnMonthly, when set, is a warning about the charge with its monthly cost in
	// place of %s ("upgrade to stop paying %s a month").
	warnMonthly string
	advance     map[string]float64 // extra month-to-date increments (Lightsail transfer)
}

// priceRef says where a charge's rate comes from: a Pricing API lookup with a rule to
// pick the product, a list price when the API cannot answer, or a fixed price that needs
// no lookup (a Lightsail bundle's price, read from the account by the collector).
type priceRef struct {
	lookup      *Lookup
	pick        func([]Product) (Rate, bool)
	fallback    func() (Rate, bool)
	fixed       *Rate
	fixedSource string
}

// pricedCharge is a charge with its rate resolved.
type pricedCharge struct {
	resource int
	charge
	rate     Rate
	source   string
	ok       bool
	billable float64
	hourly   float64
}

// meterCosts sets hourly on every priced charge and returns the month-to-date state
// after the hour. It is pure: the same charges and state give the same costs, whatever
// their order.
//
// Allowances are shared by everything drawing on them, in proportion to each charge's
// usage; tiered prices are applied to a tier pool's total and shared the same way.
func meterCosts(cs []*pricedCharge, mtd *MonthToDate, allow Allowances) *MonthToDate {
	if mtd == nil {
		mtd = &MonthToDate{}
	}
	next := mtd.clone()

	for _, c := range cs {
		c.billable = c.qty
		if c.baseline > 0 && (!c.ok || c.rate.FreeBase() == 0) {
			c.billable = max(0, c.qty-c.baseline)
		}
	}

	for pool, members := range groupBy(cs, func(c *pricedCharge) string { return c.freePool }) {
		if pool == "" {
			continue
		}
		used := 0.0
		for _, c := range members {
			used += c.billable
		}
		before := 0.0
		if members[0].kind == flow {
			before = mtd.Get(pool)
			next.add(pool, used)
		}
		if used <= 0 {
			continue
		}
		free := min(used, max(0, allow[pool]-before))
		for _, c := range members {
			c.billable *= (used - free) / used
		}
	}

	for pool, members := range groupBy(cs, tierPoolOf) {
		total := 0.0
		for _, c := range members {
			total += c.billable
		}
		var rate Rate
		priced := false
		for _, c := range members {
			if c.ok {
				rate, priced = c.rate, true
				break
			}
		}
		kind := members[0].kind
		if kind == flow {
			next.add(pool, total)
		}
		if !priced || total <= 0 {
			continue
		}
		var poolCost float64
		switch kind {
		case perHour:
			poolCost = rate.Cost(total)
		case perMonth:
			poolCost = rate.Cost(total) / models.HoursPerMonth
		case flow:
			before := mtd.Get(pool)
			poolCost = rate.Cost(before+total) - rate.Cost(before)
		}
		for _, c := range members {
			c.hourly = poolCost * c.billable / total
		}
	}

	for _, c := range cs {
		for k, v := range c.advance {
			next.add(k, v)
		}
	}
	return next
}

// tierPoolOf is the charge's tier pool, or a pool of its own.
func tierPoolOf(c *pricedCharge) string {
	if c.tierPool != "" {
		return c.tierPool
	}
	return "self:" + strconv.Itoa(c.resource) + ":" + c.name
}

// groupBy groups charges by key. Groups are independent, so map order does not matter.
func groupBy(cs []*pricedCharge, key func(*pricedCharge) string) map[string][]*pricedCharge {
	out := map[string][]*pricedCharge{}
	for _, c := range cs {
		k := key(c)
		out[k] = append(out[k], c)
	}
	return out
}

// sourceRank orders sources from strongest to weakest: api, cache, fallback.
func sourceRank(s string) int {
	switch s {
	case models.SourceAPI:
		return 1
	case models.SourceCache:
		return 2
	case models.SourceFallback:
		return 3
	}
	return 0
}

// weakerSource is the weaker of two sources.
func weakerSource(a, b string) string {
	if sourceRank(b) > sourceRank(a) {
		return b
	}
	return a
}
