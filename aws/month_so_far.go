package aws

import (
	"context"
	"fmt"
	"time"

	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"costbot/models"
)

// A flow meter (requests, GB-seconds, bytes out, bytes ingested) is priced on its
// month-to-date total: free tiers and price tiers fall where the month's usage puts
// them. When costbot has no such total for the month (a first start on the 20th), the
// scan reads the month so far from CloudWatch once, beside each resource's last hour.

// flowMeter is one CloudWatch metric that feeds an hourly usage key.
type flowMeter struct {
	namespace, metric string
	dimensions        func(r models.Resource) map[string]string
	key               string // the hourly usage key it feeds
}

// flowMeters are the metrics of the usage priced on month-to-date totals, by
// service/kind.
var flowMeters = map[string][]flowMeter{
	"lambda/" + models.KindFunction: {
		{"AWS/Lambda", "Invocations", func(r models.Resource) map[string]string { return map[string]string{"FunctionName": r.ID} }, "invocations_hour"},
		{"AWS/Lambda", "Duration", func(r models.Resource) map[string]string { return map[string]string{"FunctionName": r.ID} }, "duration_ms_hour"},
	},
	"cloudfront/" + models.KindDistribution: {
		{"AWS/CloudFront", "BytesDownloaded", func(r models.Resource) map[string]string {
			return map[string]string{"DistributionId": r.ID, "Region": "Global"}
		}, "bytes_out_hour"},
		{"AWS/CloudFront", "Requests", func(r models.Resource) map[string]string {
			return map[string]string{"DistributionId": r.ID, "Region": "Global"}
		}, "requests_hour"},
	},
	"cloudwatch/" + models.KindLogGroup: {
		{"AWS/Logs", "IncomingBytes", func(r models.Resource) map[string]string { return map[string]string{"LogGroupName": r.Name} }, "ingested_bytes_hour"},
	},
}

// monthSoFarQueriesPerCall keeps a call under GetMetricData's 100,800 datapoints: a
// month of hourly datapoints is at most 744 per query.
const monthSoFarQueriesPerCall = 100

// readMonthSoFar sets, on each resource with flow meters, models.MonthSoFarPrefix+key:
// its usage from the first of now's month (UTC) to the start of the last full hour,
// the hour the scan prices.
func readMonthSoFar(ctx context.Context, cw MetricsAPI, rs []models.Resource, now time.Time) error {
	to, _ := lastHour(now)
	from := time.Date(to.Year(), to.Month(), 1, 0, 0, 0, 0, time.UTC)
	type target struct {
		resource int
		key      string
	}
	var queries []metricQuery
	var targets []target
	for i, r := range rs {
		for _, m := range flowMeters[r.Service+"/"+r.Kind] {
			queries = append(queries, metricQuery{Namespace: m.namespace, Metric: m.metric, Dimensions: m.dimensions(r), Stat: cwtypes.StatisticSum})
			targets = append(targets, target{i, m.key})
		}
	}
	for _, t := range targets {
		rs[t.resource].Usage[models.MonthSoFarPrefix+t.key] = 0
	}
	if len(queries) == 0 || !from.Before(to) {
		return nil
	}
	for first := 0; first < len(queries); first += monthSoFarQueriesPerCall {
		last := min(first+monthSoFarQueriesPerCall, len(queries))
		series, err := readMetrics(ctx, cw, queries[first:last], from, to, time.Hour)
		if err != nil {
			return fmt.Errorf("month so far: %w", err)
		}
		for j, s := range series {
			t := targets[first+j]
			rs[t.resource].Usage[models.MonthSoFarPrefix+t.key] += s.Sum()
		}
	}
	return nil
}
