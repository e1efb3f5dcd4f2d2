package pricing

import (
	"strings"

	"costbot/models"
)

func planLambda(r models.Resource) plan {
	region := priceRegion(r)
	arch := "x86_64"
	suffix := ""
	if strings.EqualFold(r.Type, "arm64") {
		arch, suffix = "arm64", "-ARM"
	}
	// GB-seconds: memory in GB (MB / 1024) times seconds (ms / 1000).
	gbSeconds := usage(r, "memory_mb") / 1024 * usage(r, "duration_ms_hour") / 1000
	return plan{charges: []charge{
		{name: "requests", kind: flow, qty: usage(r, "invocations_hour"),
			freePool: freeLambdaRequests, tierPool: "tier:lambda-requests:" + arch + ":" + region,
			price: ref(lookup("AWSLambda", "regionCode", region, "group", "AWS-Lambda-Requests"+suffix), pickFirst(nil),
				func() (Rate, bool) { return fallbackLambdaRequests(region) })},
		{name: "duration", kind: flow, qty: gbSeconds,
			freePool: freeLambdaGBSeconds, tierPool: "tier:lambda-gb-seconds:" + arch + ":" + region,
			price: ref(lookup("AWSLambda", "regionCode", region, "group", "AWS-Lambda-Duration"+suffix), pickFirst(nil),
				func() (Rate, bool) { return fallbackLambdaDuration(region, arch) })},
	}}
}
