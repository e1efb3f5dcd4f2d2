package pricing

import "costbot/models"

func planWAF(r models.Resource) plan {
	region := priceRegion(r)
	l := lookup("awswaf", "regionCode", region)
	fb := func(part string) func() (Rate, bool) { return func() (Rate, bool) { return fallbackWAF(part) } }
	return plan{charges: []charge{
		{name: "web-acl", kind: perMonth, qty: 1,
			price: ref(l, pickPreferred(usageIs("WebACLV2"), usageIs("WebACL")), fb("acl"))},
		{name: "rules", kind: perMonth, qty: usage(r, "rules"), optional: true,
			price: ref(l, pickPreferred(usageIs("RuleV2"), usageIs("Rule")), fb("rule"))},
		{name: "requests", kind: perHour, qty: usage(r, "requests_hour"),
			price: ref(l, pickPreferred(usageIs("RequestV2-Tier1"), usageIs("RequestV2"), usageIs("Request")), fb("request"))},
	}}
}
