package aws

import (
	"context"
	"fmt"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"costbot/internal/awstest"
)

func TestMetricSeriesPure(t *testing.T) {
	at := func(h int) time.Time { return time.Date(2025, 3, 1, h, 0, 0, 0, time.UTC) }
	tests := []struct {
		name       string
		s          metricSeries
		sum        float64
		latest     float64
		haveLatest bool
	}{
		{"none", metricSeries{}, 0, 0, false},
		{"in no order", metricSeries{Timestamps: []time.Time{at(2), at(5), at(1)}, Values: []float64{20, 50, 10}}, 80, 50, true},
		{"one", metricSeries{Timestamps: []time.Time{at(3)}, Values: []float64{7}}, 7, 7, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			latest, ok := tt.s.Latest()
			if got := tt.s.Sum(); got != tt.sum || latest != tt.latest || ok != tt.haveLatest {
				t.Fatalf("Sum %v, Latest %v %v; want %v, %v %v", got, latest, ok, tt.sum, tt.latest, tt.haveLatest)
			}
		})
	}
}

// statisticsSeries is how the collectors read one metric before GetMetricData: one
// GetMetricStatistics call per metric.
func statisticsSeries(t *testing.T, ctx context.Context, cw *cloudwatch.Client, q metricQuery, start, end time.Time, period time.Duration) metricSeries {
	t.Helper()
	in := &cloudwatch.GetMetricStatisticsInput{Namespace: awssdk.String(q.Namespace), MetricName: awssdk.String(q.Metric),
		StartTime: awssdk.Time(start), EndTime: awssdk.Time(end), Period: awssdk.Int32(int32(period / time.Second)),
		Statistics: []cwtypes.Statistic{q.Stat}}
	for k, v := range q.Dimensions {
		in.Dimensions = append(in.Dimensions, cwtypes.Dimension{Name: awssdk.String(k), Value: awssdk.String(v)})
	}
	out, err := cw.GetMetricStatistics(ctx, in)
	if err != nil {
		t.Fatalf("get metric statistics: %v", err)
	}
	var s metricSeries
	for _, dp := range out.Datapoints {
		s.Timestamps = append(s.Timestamps, awssdk.ToTime(dp.Timestamp))
		s.Values = append(s.Values, datapointValue(dp, string(q.Stat)))
	}
	return s
}

// TestReadMetricsMatchesStatisticsAgainstMoto checks that one batched GetMetricData read
// gives every query the numbers GetMetricStatistics gives it alone: hourly sums (Lambda,
// NAT gateways, log groups) and the latest daily average (S3).
func TestReadMetricsMatchesStatisticsAgainstMoto(t *testing.T) {
	m := awstest.StartMoto(t)
	m.Reset(t)
	ctx := awstest.Context(t)
	cfg := m.Config("us-west-2")
	now := time.Now()
	start, end := lastHour(now)
	today := now.UTC().Truncate(24 * time.Hour)
	put := func(ns, metric string, dims map[string]string, ts time.Time, v float64) {
		putMetric(t, ctx, cfg, ns, metric, dims, ts, v, "")
	}
	nat := map[string]string{"NatGatewayId": "nat-1"}
	put("AWS/NATGateway", "BytesOutToDestination", nat, start.Add(5*time.Minute), 1000)
	put("AWS/NATGateway", "BytesOutToDestination", nat, start.Add(35*time.Minute), 500)
	put("AWS/NATGateway", "BytesOutToDestination", nat, end.Add(-24*time.Hour), 7) // outside the window
	put("AWS/NATGateway", "BytesOutToSource", nat, start.Add(59*time.Minute), 250)
	fn := map[string]string{"FunctionName": "resize"}
	put("AWS/Lambda", "Invocations", fn, start.Add(time.Minute), 10)
	put("AWS/Lambda", "Invocations", fn, start.Add(40*time.Minute), 15)
	put("AWS/Lambda", "Invocations", fn, end.Add(time.Second), 99) // this hour
	group := map[string]string{"LogGroupName": "/app"}
	put("AWS/Logs", "IncomingBytes", group, start.Add(10*time.Minute), 1200)
	bucket := map[string]string{"BucketName": "logs", "StorageType": "GlacierStorage"}
	put("AWS/S3", "BucketSizeBytes", bucket, today.Add(-48*time.Hour), 1e9)
	put("AWS/S3", "BucketSizeBytes", bucket, today.Add(-24*time.Hour), 5e9)

	sum := func(ns, metric string, dims map[string]string) metricQuery {
		return metricQuery{Namespace: ns, Metric: metric, Dimensions: dims, Stat: cwtypes.StatisticSum}
	}
	hourly := []metricQuery{
		sum("AWS/NATGateway", "BytesOutToDestination", nat),
		sum("AWS/NATGateway", "BytesOutToSource", nat),
		sum("AWS/Lambda", "Invocations", fn),
		sum("AWS/Lambda", "Duration", fn), // no data
		sum("AWS/Logs", "IncomingBytes", group),
	}
	cw := newCloudWatch(cfg)
	for _, period := range []time.Duration{time.Hour, 5 * time.Minute} {
		got, err := readMetrics(ctx, cw, hourly, start, end, period)
		if err != nil {
			t.Fatalf("readMetrics: %v", err)
		}
		for i, q := range hourly {
			want := statisticsSeries(t, ctx, cw, q, start, end, period).Sum()
			if got[i].Sum() != want {
				t.Errorf("period %v: %s/%s sum = %v, GetMetricStatistics says %v", period, q.Namespace, q.Metric, got[i].Sum(), want)
			}
		}
		if got[0].Sum() != 1500 || got[1].Sum() != 250 || got[2].Sum() != 25 || got[4].Sum() != 1200 {
			t.Errorf("period %v: sums = %v %v %v %v, want 1500 250 25 1200", period, got[0].Sum(), got[1].Sum(), got[2].Sum(), got[4].Sum())
		}
	}

	daily := []metricQuery{{Namespace: "AWS/S3", Metric: "BucketSizeBytes", Dimensions: bucket, Stat: cwtypes.StatisticAverage}}
	got, err := readMetrics(ctx, cw, daily, now.Add(-s3StorageWindow), now, 24*time.Hour)
	if err != nil {
		t.Fatalf("readMetrics: %v", err)
	}
	latest, ok := got[0].Latest()
	want, wantOK := statisticsSeries(t, ctx, cw, daily[0], now.Add(-s3StorageWindow), now, 24*time.Hour).Latest()
	if latest != want || ok != wantOK || latest != 5e9 {
		t.Errorf("latest size = %v %v, GetMetricStatistics says %v %v, want 5e9", latest, ok, want, wantOK)
	}
}

// TestReadMetricsBatchesAndFollowsPages reads more queries than one call may carry, with
// answers spread over pages: every query gets all its values, in as few calls as allowed.
func TestReadMetricsBatchesAndFollowsPages(t *testing.T) {
	start := time.Date(2025, 4, 1, 10, 0, 0, 0, time.UTC)
	end := start.Add(time.Hour)
	cw := &fakeMetrics{points: map[string][]cwtypes.Datapoint{}, valuesPerPage: 7}
	var queries []metricQuery
	for i := range 1203 {
		dims := map[string]string{"FunctionName": fmt.Sprintf("fn-%d", i)}
		queries = append(queries, metricQuery{Namespace: "AWS/Lambda", Metric: "Invocations", Dimensions: dims, Stat: cwtypes.StatisticSum})
		if i%100 == 0 {
			key := metricKey("AWS/Lambda", "Invocations", dims)
			cw.points[key] = []cwtypes.Datapoint{
				{Timestamp: awssdk.Time(start.Add(time.Minute)), Sum: awssdk.Float64(float64(i))},
				{Timestamp: awssdk.Time(start.Add(30 * time.Minute)), Sum: awssdk.Float64(1)},
				{Timestamp: awssdk.Time(end), Sum: awssdk.Float64(1000)}, // the next hour
			}
		}
	}
	got, err := readMetrics(t.Context(), cw, queries, start, end, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(queries) {
		t.Fatalf("%d series for %d queries", len(got), len(queries))
	}
	for i, s := range got {
		want := 0.0
		if i%100 == 0 {
			want = float64(i) + 1
		}
		if s.Sum() != want {
			t.Errorf("query %d: sum %v, want %v", i, s.Sum(), want)
		}
	}
	// 1203 queries take 3 calls (500 + 500 + 203); their 10, 10 and 6 values at 7 a page
	// take 2 + 2 + 1 pages.
	if len(cw.stats) != len(queries) || cw.dataCalls != 5 {
		t.Errorf("%d queries asked in %d calls, want %d in 5", len(cw.stats), cw.dataCalls, len(queries))
	}
}
