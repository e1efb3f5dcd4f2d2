package pricing

import (
	"fmt"
	"strings"

	"costbot/models"
)

// elbFamilies are the price list's productFamily of each load balancer type (AWSELB).
var elbFamilies = map[string]string{
	"application": "Load Balancer-Application",
	"network":     "Load Balancer-Network",
	"gateway":     "Load Balancer-Gateway",
	"classic":     "Load Balancer",
}

// usageEndsWith matches a usage type by its meter, whatever comes before it
// ("EU-LCUUsage", "LCUUsage").
func usageEndsWith(meter string) func(Product) bool {
	return func(p Product) bool { return strings.HasSuffix(baseUsageType(p.Attributes["usagetype"]), meter) }
}

// planELB prices a load balancer's hour plus what it used: capacity units (LCU for an
// Application, NLCU for a Network, GLCU for a Gateway Load Balancer) or, for a Classic
// one, the GB it processed.
func planELB(r models.Resource) plan {
	region := priceRegion(r)
	typ := strings.ToLower(r.Type)
	family, ok := elbFamilies[typ]
	if !ok {
		return plan{noPrice: fmt.Sprintf("unknown load balancer type %q", r.Type)}
	}
	l := lookup("AWSELB", "regionCode", region, "productFamily", family)
	hours := 1.0
	if s := strings.ToLower(r.State); s == "failed" {
		hours = 0
	}
	p := plan{charges: []charge{{name: "hours", kind: perHour, qty: hours,
		price: ref(l, pickFirst(usageEndsWith("LoadBalancerUsage")), func() (Rate, bool) { return fallbackELB(region, typ, false) })}}}
	if typ == "classic" {
		p.charges = append(p.charges, charge{name: "data-processed", kind: perHour, qty: usage(r, "bytes_processed_hour") / bytesPerGiB, optional: true,
			price: ref(l, pickFirst(usageEndsWith("DataProcessing-Bytes")), func() (Rate, bool) { return fallbackELB(region, typ, true) })})
		return p
	}
	unit := map[string]string{"application": "lcu", "network": "nlcu", "gateway": "glcu"}[typ]
	p.charges = append(p.charges, charge{name: unit, kind: perHour, qty: usage(r, "lcu_hour"), optional: true,
		price: ref(l, pickFirst(usageEndsWith("LCUUsage")), func() (Rate, bool) { return fallbackELB(region, typ, true) })})
	return p
}

// elbList are list prices per hour and per capacity unit-hour (per GB processed for a
// Classic load balancer), from the Elastic Load Balancing pricing page.
var elbList = map[string]map[string][2]float64{
	"us-east-1": {"application": {0.0225, 0.008}, "network": {0.0225, 0.006}, "gateway": {0.0125, 0.004}, "classic": {0.025, 0.008}},
	"us-west-2": {"application": {0.0225, 0.008}, "network": {0.0225, 0.006}, "gateway": {0.0125, 0.004}, "classic": {0.025, 0.008}},
	"eu-west-1": {"application": {0.0252, 0.008}, "network": {0.0252, 0.006}, "classic": {0.028, 0.008}},
}

func fallbackELB(region, typ string, units bool) (Rate, bool) {
	p, ok := elbList[region][typ]
	if !ok {
		return Rate{}, false
	}
	switch {
	case !units:
		return Flat("Hrs", p[0]), true
	case typ == "classic":
		return Flat("GB", p[1]), true
	}
	return Flat("LCU-Hrs", p[1]), true
}
