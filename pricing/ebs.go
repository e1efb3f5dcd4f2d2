package pricing

import (
	"math"
	"strings"

	"costbot/models"
)

func planEBS(r models.Resource) plan {
	region := priceRegion(r)
	vt := strings.ToLower(r.Type)
	p := plan{charges: []charge{{
		name: "storage", kind: perMonth, qty: usage(r, "size_gb"),
		price: ref(lookup("AmazonEC2", "regionCode", region, "productFamily", "Storage", "volumeApiName", vt),
			pickFirst(nil), func() (Rate, bool) { return fallbackEBS(region, vt) }),
	}}}
	iopsLookup := lookup("AmazonEC2", "regionCode", region, "productFamily", "System Operation", "volumeApiName", vt)
	switch vt {
	case "gp3":
		p.charges = append(p.charges,
			charge{name: "iops", kind: perMonth, qty: usage(r, "iops"), baseline: 3000, optional: true,
				price: ref(iopsLookup, pickFirst(usageIs("EBS:VolumeP-IOPS.gp3")), func() (Rate, bool) { return fallbackGP3IOPS(region) })},
			charge{name: "throughput", kind: perMonth, qty: usage(r, "throughput_mbps"), baseline: 125, optional: true,
				price: ref(lookup("AmazonEC2", "regionCode", region, "productFamily", "Provisioned Throughput", "volumeApiName", vt),
					perMiBps(pickFirst(usageIs("EBS:VolumeP-Throughput.gp3"))), func() (Rate, bool) { return fallbackGP3Throughput(region) })},
		)
	case "io1":
		p.charges = append(p.charges, charge{name: "iops", kind: perMonth, qty: usage(r, "iops"), optional: true,
			price: ref(iopsLookup, pickFirst(usageIs("EBS:VolumeP-IOPS.piops")), func() (Rate, bool) { return fallbackPIOPS(region, vt) })})
	case "io2":
		p.charges = append(p.charges, charge{name: "iops", kind: perMonth, qty: usage(r, "iops"), optional: true,
			price: ref(iopsLookup, pickIO2IOPS, func() (Rate, bool) { return fallbackPIOPS(region, vt) })})
	case "standard":
		p.notes = append(p.notes, "magnetic I/O requests are not priced")
	}
	return p
}

// pickIO2IOPS assembles io2's IOPS tiers, which the price list keeps as three SKUs:
// EBS:VolumeP-IOPS.io2 (up to 32,000), .io2.tier2 (32,001-64,000) and .io2.tier3.
func pickIO2IOPS(ps []Product) (Rate, bool) {
	bounds := []float64{0, 32000, 64000, math.Inf(1)}
	out := Rate{Unit: "IOPS-Mo"}
	for i, suffix := range []string{"EBS:VolumeP-IOPS.io2", "EBS:VolumeP-IOPS.io2.tier2", "EBS:VolumeP-IOPS.io2.tier3"} {
		r, ok := pickFirst(usageIs(suffix))(ps)
		if !ok {
			if i == 0 {
				return Rate{}, false
			}
			// Without the higher tiers, the first tier's price applies throughout: an
			// upper bound.
			out.Tiers[len(out.Tiers)-1].End = math.Inf(1)
			break
		}
		out.Tiers = append(out.Tiers, Tier{Begin: bounds[i], End: bounds[i+1], USD: r.Tiers[len(r.Tiers)-1].USD})
	}
	return out, true
}

// perMiBps converts a throughput rate quoted per GiBps-month (how EBS lists gp3
// throughput: 40.96 per GiBps-mo) to per MiB/s-month.
func perMiBps(pick func([]Product) (Rate, bool)) func([]Product) (Rate, bool) {
	return func(ps []Product) (Rate, bool) {
		r, ok := pick(ps)
		if ok && strings.Contains(strings.ToLower(r.Unit), "gibps") {
			r = r.Scaled(1.0 / 1024)
			r.Unit = "MiBps-Mo"
		}
		return r, ok
	}
}
