package aws

import (
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"costbot/internal/awstest"
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

// Against moto: a month-so-far scan carries, beside each function's last hour, its
// invocations from the first of the month; a plain scan does not read them.
func TestScanMonthSoFarAgainstMoto(t *testing.T) {
	m := freshMoto(t)
	ctx := awstest.Context(t)
	const region = "us-east-1"
	account, err := AccountID(ctx, m.Config(region))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lambda.NewFromConfig(m.Config(region)).CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: awssdk.String("api"),
		Role: awssdk.String(lambdaRole(t, ctx, m, account)), Runtime: lambdatypes.RuntimePython312, Handler: awssdk.String("handler.handler"),
		Code: &lambdatypes.FunctionCode{ZipFile: lambdaZip(t)}}); err != nil {
		t.Fatal(err)
	}
	// The scan's clock: the 1st of this month, 03:10. The month so far is 00:00 to 02:00.
	now := time.Now().UTC()
	scanAt := time.Date(now.Year(), now.Month(), 1, 3, 10, 0, 0, time.UTC)
	fn := map[string]string{"FunctionName": "api"}
	for _, p := range []struct {
		at time.Time
		n  float64
	}{
		{scanAt.Add(-3 * time.Hour), 400}, {scanAt.Add(-90 * time.Minute), 600}, // 00:10, 01:40: the month so far
		{scanAt.Add(-4 * time.Hour), 999},  // the month before
		{scanAt.Add(-30 * time.Minute), 5}, // the hour priced
	} {
		putMetric(t, ctx, m.Config(region), "AWS/Lambda", "Invocations", fn, p.at, p.n, cwtypes.StandardUnitCount)
	}
	s := &Scanner{Base: m.Config(region), Regions: []string{region}, Services: []string{"lambda"}, Concurrency: 1,
		TaskTimeout: time.Minute, Now: func() time.Time { return scanAt }}
	res, err := s.ScanMonthSoFar(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := byID(t, res.Resources)
	checkFacts(t, mustFind(t, got, "api"), nil, map[string]float64{models.MonthSoFarPrefix + "invocations_hour": 1000})
	plain, err := s.Scan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := byID(t, plain.Resources)["api"].Usage[models.MonthSoFarPrefix+"invocations_hour"]; ok {
		t.Error("a plain scan read the month so far")
	}
}
