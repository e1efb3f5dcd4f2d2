package pricing

import "costbot/models"

func planQ(r models.Resource) plan {
	lite, pro := Flat("User-Mo", qLiteUserMonth), Flat("User-Mo", qProUserMonth)
	fixed := func(rt Rate) priceRef { return priceRef{fixed: &rt, fixedSource: models.SourceFallback} }
	return plan{charges: []charge{
		{name: "lite-users", kind: perMonth, qty: usage(r, "users_lite"), price: fixed(lite)},
		{name: "pro-users", kind: perMonth, qty: usage(r, "users_pro"), price: fixed(pro)},
	}}
}

// planQIndex prices an Amazon Q Business index per capacity unit-hour: Enterprise 0.264,
// Starter 0.140, list prices in every region (labelled fallback, as Q's user prices).
func planQIndex(r models.Resource) plan {
	rate := Flat("Unit-Hrs", qEnterpriseIndexUnitHour)
	if r.Type == "starter" {
		rate = Flat("Unit-Hrs", qStarterIndexUnitHour)
	}
	return plan{charges: []charge{{name: "index-units", kind: perHour, qty: usage(r, "units"),
		price: priceRef{fixed: &rate, fixedSource: models.SourceFallback}}}}
}
