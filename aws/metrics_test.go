package aws

import (
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"costbot/internal/awstest"
)

func TestMetricSumAgainstMoto(t *testing.T) {
	m := awstest.StartMoto(t)
	m.Reset(t)
	ctx := awstest.Context(t)
	cw := newCloudWatch(m.Config("us-west-2"))
	start, end := lastHour(time.Now())
	put := func(ts time.Time, v float64) {
		t.Helper()
		_, err := cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{
			Namespace: awssdk.String("AWS/NATGateway"),
			MetricData: []cwtypes.MetricDatum{{
				MetricName: awssdk.String("BytesOutToDestination"),
				Dimensions: []cwtypes.Dimension{{Name: awssdk.String("NatGatewayId"), Value: awssdk.String("nat-1")}},
				Timestamp:  awssdk.Time(ts), Value: awssdk.Float64(v), Unit: cwtypes.StandardUnitBytes,
			}},
		})
		if err != nil {
			t.Fatalf("put metric: %v", err)
		}
	}
	put(start.Add(5*time.Minute), 1000)
	put(start.Add(35*time.Minute), 500)
	put(end.Add(-24*time.Hour), 7) // outside the window
	q := metricQuery{Namespace: "AWS/NATGateway", Metric: "BytesOutToDestination",
		Dimensions: map[string]string{"NatGatewayId": "nat-1"}, Stat: cwtypes.StatisticSum}
	got, err := metricSum(ctx, cw, q, start, end, 5*time.Minute)
	if err != nil {
		t.Fatalf("metricSum: %v", err)
	}
	if got != 1500 {
		t.Fatalf("metricSum = %v, want 1500", got)
	}
	latest, ok, err := metricLatest(ctx, cw, q, start.Add(-48*time.Hour), end, time.Hour)
	if err != nil || !ok || latest == 0 {
		t.Fatalf("metricLatest = %v %v %v", latest, ok, err)
	}
}
