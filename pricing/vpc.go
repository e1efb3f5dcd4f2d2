package pricing

import (
	"strings"

	"costbot/models"
)

// publicIPv4Charge is n addresses for an hour. Since 2024-02-01 every public IPv4
// address costs the same, in use or idle; the usage types differ.
func publicIPv4Charge(region string, n float64, inUse bool) charge {
	base := "PublicIPv4:IdleAddress"
	if inUse {
		base = "PublicIPv4:InUseAddress"
	}
	return charge{
		name: "public-ipv4", kind: perHour, qty: n, optional: true,
		price: ref(lookup("AmazonVPC", "regionCode", region), pickFirst(usageIs(base)), fallbackPublicIPv4),
	}
}

func planPublicIP(r models.Resource) plan {
	if r.Attr("byoip") == "true" {
		free := Flat("Hrs", 0)
		return plan{charges: []charge{{name: "public-ipv4", kind: perHour, qty: 1, price: priceRef{fixed: &free, fixedSource: models.SourceAPI}}},
			notes: []string{"brought to AWS from the account's own range (BYOIP): no charge"}}
	}
	inUse := r.Kind == models.KindPublicIP || r.Attr("association_id") != "" || r.Attr("instance_id") != ""
	c := publicIPv4Charge(priceRegion(r), 1, inUse)
	c.optional = false
	p := plan{charges: []charge{c}}
	if h := r.Attr("holder"); h != "" {
		p.notes = append(p.notes, strings.TrimSpace("held by "+h+" "+r.Attr("holder_id")))
	}
	return p
}

func planNAT(r models.Resource) plan {
	region := priceRegion(r)
	l := lookup("AmazonEC2", "regionCode", region, "productFamily", "NAT Gateway")
	hours := 1.0
	if s := strings.ToLower(r.State); s == "deleted" || s == "failed" {
		hours = 0
	}
	fb := func() (Rate, bool) { return fallbackNAT(region) }
	fbGB := func() (Rate, bool) {
		rt, ok := fallbackNAT(region)
		rt.Unit = "GB"
		return rt, ok
	}
	return plan{charges: []charge{
		{name: "hours", kind: perHour, qty: hours, price: ref(l, pickFirst(usageIs("NatGateway-Hours")), fb)},
		{name: "data-processed", kind: perHour, qty: usage(r, "bytes_processed_hour") / bytesPerGiB,
			price: ref(l, pickFirst(usageIs("NatGateway-Bytes")), fbGB)},
	}}
}
