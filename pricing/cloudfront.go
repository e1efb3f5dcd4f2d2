package pricing

import "costbot/models"

// planCloudFront prices data out and requests at the United States / Europe edge rates
// (the collector reports totals, not where viewers were), HTTPS requests at the HTTPS
// rate. Tiers and the free allowance apply to account-wide month-to-date usage.
func planCloudFront(r models.Resource) plan {
	out := lookup("AmazonCloudFront", "usagetype", "US-DataTransfer-Out-Bytes")
	req := lookup("AmazonCloudFront", "usagetype", "US-Requests-Tier2-HTTPS")
	return plan{
		charges: []charge{
			{name: "data-out", kind: flow, qty: usage(r, "bytes_out_hour") / bytesPerGiB,
				freePool: freeCloudFrontGB, tierPool: "tier:cloudfront-out",
				price: ref(out, pickPreferred(attrIs("transferType", "CloudFront Outbound"), nil), fallbackCloudFrontOut)},
			{name: "requests", kind: flow, qty: usage(r, "requests_hour"),
				freePool: freeCloudFrontReqs, tierPool: "tier:cloudfront-requests",
				price: ref(req, pickFirst(nil), fallbackCloudFrontRequests)},
		},
		notes: []string{"priced at United States/Europe edge rates"},
	}
}
