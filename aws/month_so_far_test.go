package aws

import (
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"costbot/models"
)

// The month so far is read from the first of the month (UTC) to the start of the hour
// the scan prices: not the month before, not the hour itself.
func TestReadMonthSoFar(t *testing.T) {
	now := time.Date(2026, 12, 20, 10, 17, 0, 0, time.UTC)
	at := func(day, hour int) *time.Time { return awssdk.Time(time.Date(2026, 12, day, hour, 30, 0, 0, time.UTC)) }
	fn := map[string]string{"FunctionName": "api"}
	cw := &fakeMetrics{points: map[string][]cwtypes.Datapoint{
		metricKey("AWS/Lambda", "Invocations", fn): {
			{Timestamp: awssdk.Time(time.Date(2026, 11, 30, 23, 30, 0, 0, time.UTC)), Sum: awssdk.Float64(1e6)}, // last month
			{Timestamp: at(1, 0), Sum: awssdk.Float64(400_000)},
			{Timestamp: at(19, 23), Sum: awssdk.Float64(500_000)},
			{Timestamp: at(20, 8), Sum: awssdk.Float64(100_000)},
			{Timestamp: at(20, 9), Sum: awssdk.Float64(7)}, // the hour priced
		},
		metricKey("AWS/Lambda", "Duration", fn):                                           {{Timestamp: at(5, 5), Sum: awssdk.Float64(9_000)}},
		metricKey("AWS/Logs", "IncomingBytes", map[string]string{"LogGroupName": "/app"}): {{Timestamp: at(2, 2), Sum: awssdk.Float64(5 << 30)}},
	}}
	rs := []models.Resource{
		{Service: "lambda", Kind: models.KindFunction, ID: "api", Usage: map[string]float64{"invocations_hour": 7}},
		{Service: "cloudwatch", Kind: models.KindLogGroup, ID: "arn:/app", Name: "/app", Usage: map[string]float64{}},
		{Service: "ec2", Kind: models.KindInstance, ID: "i-1", Usage: map[string]float64{}}, // no flow meter
	}
	if err := readMonthSoFar(t.Context(), cw, rs, now); err != nil {
		t.Fatal(err)
	}
	checkFacts(t, rs[0], nil, map[string]float64{models.MonthSoFarPrefix + "invocations_hour": 1_000_000,
		models.MonthSoFarPrefix + "duration_ms_hour": 9_000, "invocations_hour": 7})
	checkFacts(t, rs[1], nil, map[string]float64{models.MonthSoFarPrefix + "ingested_bytes_hour": 5 << 30})
	if len(rs[2].Usage) != 0 {
		t.Errorf("an instance got month-so-far facts: %v", rs[2].Usage)
	}
	for _, q := range cw.stats {
		if !q.Start.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) || !q.End.Equal(time.Date(2026, 12, 20, 9, 0, 0, 0, time.UTC)) || q.Stat != "Sum" {
			t.Errorf("%s read %v..%v %s, want the 1st to the start of the hour priced, Sum", q.Metric, q.Start, q.End, q.Stat)
		}
	}
	if cw.dataCalls != 1 {
		t.Errorf("%d GetMetricData calls, want one batch", cw.dataCalls)
	}
}
