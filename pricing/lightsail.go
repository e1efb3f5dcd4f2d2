package pricing

import "costbot/models"

func planLightsail(r models.Resource, mtd *MonthToDate) plan {
	region := priceRegion(r)
	switch r.Kind {
	case models.KindStaticIP:
		if r.Attr("attached_to") != "" {
			free := Flat("Hrs", 0)
			return plan{charges: []charge{{name: "static-ip", kind: perHour, qty: 1, price: priceRef{fixed: &free, fixedSource: models.SourceFallback}}},
				notes: []string{"attached static IPs are free"}}
		}
		idle := Flat("Hrs", lightsailIdleIPHourly)
		return plan{charges: []charge{{name: "static-ip", kind: perHour, qty: 1, price: priceRef{fixed: &idle, fixedSource: models.SourceFallback}}}}
	case models.KindDisk:
		disk := Flat("GB-Mo", lightsailDiskGBMonth)
		return plan{charges: []charge{{name: "disk", kind: perMonth, qty: usage(r, "size_gb"), price: priceRef{fixed: &disk, fixedSource: models.SourceFallback}}}}
	}
	price, ok := r.Usage["bundle_price_usd_month"]
	if !ok {
		return plan{noPrice: "bundle price unknown"}
	}
	// The bundle price comes from the account's own GetBundles answer: an API figure.
	bundle := Flat("Bundle-Mo", price)
	p := plan{charges: []charge{{name: "bundle", kind: perMonth, qty: 1, price: priceRef{fixed: &bundle, fixedSource: models.SourceAPI}}}}
	// The month's transfer so far: the guard's pool figures when the collect job added
	// them (usage of deleted instances of the bundle, the prorated allowance), else the
	// instance's own traffic since the 1st against its whole allowance. Data in and out
	// both count toward the allowance; only data out beyond it is billed. The hour is
	// charged what became billable since the last scan, so the month adds up from the 1st
	// whenever costbot started.
	used, ok := r.Usage["transfer_used_month_gb"]
	out, allowance := usage(r, "transfer_out_month_gb"), usage(r, "transfer_allowance_month_gb")
	if !ok {
		used = (usage(r, "bytes_in_month") + usage(r, "bytes_out_month")) / bytesPerDecimalG
		out, allowance = usage(r, "bytes_out_month")/bytesPerDecimalG, usage(r, "transfer_allowance_gb")
	}
	if billable := models.LightsailOverageBytes(used, out, allowance); billable > 0 {
		meter := "lightsail-overage-gb:" + r.Key()
		qty := max(0, billable-mtd.Get(meter))
		rate, note := lightsailOverageRate(region)
		rt := Flat("GB", rate)
		p.charges = append(p.charges, charge{name: "transfer-overage", kind: perHour, qty: qty, optional: true, note: note,
			advance: map[string]float64{meter: qty}, price: priceRef{fixed: &rt, fixedSource: models.SourceFallback}})
	}
	return p
}
