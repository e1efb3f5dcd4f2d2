package aws

import (
	"context"
	"sync"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"costbot/internal/awstest"
	"costbot/models"
)

func dims(kv ...string) []cwtypes.Dimension {
	var out []cwtypes.Dimension
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, cwtypes.Dimension{Name: awssdk.String(kv[i]), Value: awssdk.String(kv[i+1])})
	}
	return out
}

func TestCustomMetricResourcesPure(t *testing.T) {
	metric := func(ns, name string, kv ...string) cwtypes.Metric {
		return cwtypes.Metric{Namespace: awssdk.String(ns), MetricName: awssdk.String(name), Dimensions: dims(kv...)}
	}
	rs := customMetricResources([]cwtypes.Metric{
		metric("App", "Latency", "Host", "a", "Path", "/"),
		metric("App", "Latency", "Path", "/", "Host", "a"), // the same metric, dimensions in another order
		metric("App", "Latency", "Host", "b", "Path", "/"),
		metric("App", "Errors"),
		metric("AWS/EC2", "CPUUtilization", "InstanceId", "i-1"),
		metric("Batch", "Jobs"),
	}, "eu-west-1")
	if len(rs) != 2 {
		t.Fatalf("%d namespaces, want App and Batch: %+v", len(rs), rs)
	}
	app := pickResource(t, rs, models.KindMetricNamespace, "namespace/App")
	if app.Usage["metrics"] != 3 || app.Attr("namespace") != "App" || app.Type != "custom-metrics" {
		t.Errorf("App = %+v", app)
	}
	if batch := pickResource(t, rs, models.KindMetricNamespace, "namespace/Batch"); batch.Usage["metrics"] != 1 {
		t.Errorf("Batch = %+v", batch)
	}
}

func TestAlarmMetricsPure(t *testing.T) {
	stat := func(id string, period int32, ret bool) cwtypes.MetricDataQuery {
		return cwtypes.MetricDataQuery{Id: awssdk.String(id), ReturnData: awssdk.Bool(ret), MetricStat: &cwtypes.MetricStat{
			Metric: &cwtypes.Metric{Namespace: awssdk.String("App"), MetricName: awssdk.String(id)}, Period: awssdk.Int32(period), Stat: awssdk.String("Sum")}}
	}
	expr := cwtypes.MetricDataQuery{Id: awssdk.String("e1"), Expression: awssdk.String("m1/m2"), ReturnData: awssdk.Bool(true)}
	tests := []struct {
		name     string
		alarm    cwtypes.MetricAlarm
		metrics  int
		highRes  bool
		wantType string
	}{
		{"single metric", cwtypes.MetricAlarm{Period: awssdk.Int32(300)}, 1, false, "standard"},
		{"single metric at 10 s", cwtypes.MetricAlarm{Period: awssdk.Int32(10)}, 1, true, "high-resolution"},
		{"single metric at 60 s", cwtypes.MetricAlarm{Period: awssdk.Int32(60)}, 1, false, "standard"},
		{"metric math", cwtypes.MetricAlarm{Metrics: []cwtypes.MetricDataQuery{stat("m1", 300, false), stat("m2", 300, false), expr}}, 2, false, "standard"},
		{"metric math at 30 s", cwtypes.MetricAlarm{Metrics: []cwtypes.MetricDataQuery{stat("m1", 30, false), expr}}, 1, true, "high-resolution"},
		{"one metric returned directly", cwtypes.MetricAlarm{Metrics: []cwtypes.MetricDataQuery{stat("m1", 60, true)}}, 1, false, "standard"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, hr := alarmMetrics(tt.alarm)
			if n != tt.metrics || hr != tt.highRes {
				t.Fatalf("alarmMetrics = %d, %v; want %d, %v", n, hr, tt.metrics, tt.highRes)
			}
			tt.alarm.AlarmName = awssdk.String(tt.name)
			r := alarmResources([]cwtypes.MetricAlarm{tt.alarm}, "us-east-1")[0]
			if r.Type != tt.wantType || r.Usage["metrics"] != float64(tt.metrics) || r.Kind != models.KindAlarm {
				t.Fatalf("resource = %+v", r)
			}
		})
	}
}

func TestCloudWatchCollectorAgainstMoto(t *testing.T) {
	m := awstest.StartMoto(t)
	m.Reset(t)
	ctx := awstest.Context(t)
	now := time.Now()
	start, _ := lastHour(now)

	type region struct {
		name       string
		custom     map[string][][]cwtypes.Dimension // namespace -> metric name index -> dimension sets
		logs       map[string][]string              // log group -> messages
		ingested   map[string][]float64             // log group -> IncomingBytes in the last hour
		alarms     []cloudwatch.PutMetricAlarmInput
		wantAlarms map[string][2]any // name -> metrics, type
	}
	regions := []region{
		{
			name: "us-west-2",
			custom: map[string][][]cwtypes.Dimension{
				"App/Web": {dims("Host", "a"), dims("Host", "b"), nil},
			},
			logs:     map[string][]string{"/app/web": {"started", "GET / 200"}, "/app/idle": nil},
			ingested: map[string][]float64{"/app/web": {1200, 800}},
			alarms: []cloudwatch.PutMetricAlarmInput{
				{AlarmName: awssdk.String("cpu"), Namespace: awssdk.String("AWS/EC2"), MetricName: awssdk.String("CPUUtilization"),
					Statistic: cwtypes.StatisticAverage, Period: awssdk.Int32(300), EvaluationPeriods: awssdk.Int32(1),
					Threshold: awssdk.Float64(80), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold},
				{AlarmName: awssdk.String("fast"), Namespace: awssdk.String("App/Web"), MetricName: awssdk.String("m0"),
					Statistic: cwtypes.StatisticSum, Period: awssdk.Int32(10), EvaluationPeriods: awssdk.Int32(3),
					Threshold: awssdk.Float64(5), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold},
			},
			wantAlarms: map[string][2]any{"cpu": {1, "standard"}, "fast": {1, "high-resolution"}},
		},
		{
			name:   "eu-central-1",
			custom: map[string][][]cwtypes.Dimension{"Batch": {nil}, "Shop": {dims("Shop", "x"), dims("Shop", "y")}},
			logs:   map[string][]string{"/batch": {"one line"}},
			alarms: []cloudwatch.PutMetricAlarmInput{
				{AlarmName: awssdk.String("error-rate"), EvaluationPeriods: awssdk.Int32(1), Threshold: awssdk.Float64(0.05),
					ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold,
					Metrics: []cwtypes.MetricDataQuery{
						{Id: awssdk.String("errors"), ReturnData: awssdk.Bool(false), MetricStat: &cwtypes.MetricStat{
							Metric: &cwtypes.Metric{Namespace: awssdk.String("Shop"), MetricName: awssdk.String("m0"), Dimensions: dims("Shop", "x")},
							Period: awssdk.Int32(300), Stat: awssdk.String("Sum")}},
						{Id: awssdk.String("requests"), ReturnData: awssdk.Bool(false), MetricStat: &cwtypes.MetricStat{
							Metric: &cwtypes.Metric{Namespace: awssdk.String("Shop"), MetricName: awssdk.String("m1"), Dimensions: dims("Shop", "y")},
							Period: awssdk.Int32(300), Stat: awssdk.String("Sum")}},
						{Id: awssdk.String("rate"), Expression: awssdk.String("errors/requests"), ReturnData: awssdk.Bool(true)},
					}},
			},
			wantAlarms: map[string][2]any{"error-rate": {2, "standard"}},
		},
	}

	for _, r := range regions {
		cw := newCloudWatch(m.Config(r.name))
		put := func(ns, name string, d []cwtypes.Dimension, ts time.Time, v float64) {
			t.Helper()
			_, err := cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: awssdk.String(ns), MetricData: []cwtypes.MetricDatum{{
				MetricName: awssdk.String(name), Dimensions: d, Timestamp: awssdk.Time(ts), Value: awssdk.Float64(v), Unit: cwtypes.StandardUnitCount}}})
			if err != nil {
				t.Fatalf("put metric: %v", err)
			}
		}
		for ns, metrics := range r.custom {
			for i, d := range metrics {
				// Twice each: a metric is counted once however many datapoints it has.
				put(ns, "m"+string(rune('0'+i)), d, now.Add(-10*time.Minute), 1)
				put(ns, "m"+string(rune('0'+i)), d, now.Add(-5*time.Minute), 2)
			}
		}
		logs := cloudwatchlogs.NewFromConfig(m.Config(r.name))
		for group, messages := range r.logs {
			if _, err := logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: awssdk.String(group)}); err != nil {
				t.Fatal(err)
			}
			if len(messages) == 0 {
				continue
			}
			if _, err := logs.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: awssdk.String(group), LogStreamName: awssdk.String("s")}); err != nil {
				t.Fatal(err)
			}
			var events []logstypes.InputLogEvent
			for _, msg := range messages {
				events = append(events, logstypes.InputLogEvent{Message: awssdk.String(msg), Timestamp: awssdk.Int64(now.UnixMilli())})
			}
			if _, err := logs.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: awssdk.String(group), LogStreamName: awssdk.String("s"), LogEvents: events}); err != nil {
				t.Fatal(err)
			}
		}
		for group, values := range r.ingested {
			for i, v := range values {
				put("AWS/Logs", "IncomingBytes", dims("LogGroupName", group), start.Add(time.Duration(10+20*i)*time.Minute), v)
			}
			put("AWS/Logs", "IncomingBytes", dims("LogGroupName", group), start.Add(-30*time.Minute), 1e9) // the hour before
		}
		for _, a := range r.alarms {
			if _, err := cw.PutMetricAlarm(ctx, &a); err != nil {
				t.Fatalf("put alarm %s: %v", awssdk.ToString(a.AlarmName), err)
			}
		}
	}

	c := &cloudwatchCollector{
		newMetrics: func(cfg awssdk.Config) MetricsAPI { return newCloudWatch(cfg) },
		newLogs:    func(cfg awssdk.Config) logsAPI { return cloudwatchlogs.NewFromConfig(cfg) },
		now:        func() time.Time { return now },
	}
	for _, r := range regions {
		rs, err := c.Collect(ctx, m.Config(r.name))
		if err != nil {
			t.Fatalf("collect %s: %v", r.name, err)
		}
		namespaces, alarms, groups := 0, 0, 0
		for _, res := range rs {
			if res.Region != r.name {
				t.Errorf("%s has region %q", res.ID, res.Region)
			}
			switch res.Kind {
			case models.KindMetricNamespace:
				namespaces++
				want, ok := r.custom[res.Attr("namespace")]
				if !ok || res.Usage["metrics"] != float64(len(want)) {
					t.Errorf("%s: namespace %+v, want %d metrics", r.name, res, len(want))
				}
			case models.KindAlarm:
				alarms++
				want, ok := r.wantAlarms[res.Name]
				if !ok || res.Usage["metrics"] != float64(want[0].(int)) || res.Type != want[1] {
					t.Errorf("%s: alarm %+v, want %v", r.name, res, want)
				}
			case models.KindLogGroup:
				groups++
				messages, ok := r.logs[res.Name]
				storedBytes := 0
				for _, msg := range messages {
					storedBytes += len(msg) // moto counts message bytes; AWS counts compressed storage
				}
				ingested := 0.0
				for _, v := range r.ingested[res.Name] {
					ingested += v
				}
				if !ok || res.Usage["stored_bytes"] != float64(storedBytes) || res.Usage["ingested_bytes_hour"] != ingested {
					t.Errorf("%s: log group %+v, want %d stored and %v ingested", r.name, res, storedBytes, ingested)
				}
			}
		}
		if namespaces != len(r.custom) || alarms != len(r.alarms) || groups != len(r.logs) {
			t.Errorf("%s: %d namespaces, %d alarms, %d log groups; want %d, %d, %d",
				r.name, namespaces, alarms, groups, len(r.custom), len(r.alarms), len(r.logs))
		}
	}
}

// pagedCloudWatch answers every listing one item per page, and every metric read with
// no data. It counts calls (and metric queries) and is safe for concurrent use.
type pagedCloudWatch struct {
	MetricsAPI
	metrics []cwtypes.Metric
	alarms  []cwtypes.MetricAlarm
	groups  []logstypes.LogGroup

	mu    sync.Mutex
	calls map[string]int
}

func (p *pagedCloudWatch) count(op string, n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls[op] += n
}

func pageOf(token *string) int {
	if token == nil {
		return 0
	}
	return int((*token)[0] - '0')
}

func nextPage(i, n int) *string {
	if i+1 < n {
		return awssdk.String(string(rune('0' + i + 1)))
	}
	return nil
}

func (p *pagedCloudWatch) ListMetrics(_ context.Context, in *cloudwatch.ListMetricsInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.ListMetricsOutput, error) {
	p.count("ListMetrics", 1)
	i := pageOf(in.NextToken)
	return &cloudwatch.ListMetricsOutput{Metrics: p.metrics[i : i+1], NextToken: nextPage(i, len(p.metrics))}, nil
}

func (p *pagedCloudWatch) DescribeAlarms(_ context.Context, in *cloudwatch.DescribeAlarmsInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
	p.count("DescribeAlarms", 1)
	i := pageOf(in.NextToken)
	return &cloudwatch.DescribeAlarmsOutput{MetricAlarms: p.alarms[i : i+1], NextToken: nextPage(i, len(p.alarms))}, nil
}

func (p *pagedCloudWatch) GetMetricData(_ context.Context, in *cloudwatch.GetMetricDataInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error) {
	p.count("GetMetricData", 1)
	p.count("metric queries", len(in.MetricDataQueries))
	return &cloudwatch.GetMetricDataOutput{}, nil
}

func (p *pagedCloudWatch) DescribeLogGroups(_ context.Context, in *cloudwatchlogs.DescribeLogGroupsInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogGroupsOutput, error) {
	p.count("DescribeLogGroups", 1)
	i := pageOf(in.NextToken)
	return &cloudwatchlogs.DescribeLogGroupsOutput{LogGroups: p.groups[i : i+1], NextToken: nextPage(i, len(p.groups))}, nil
}

func TestCloudWatchCollectorReadsEveryPage(t *testing.T) {
	api := &pagedCloudWatch{calls: map[string]int{}}
	for _, ns := range []string{"A", "B", "C"} {
		api.metrics = append(api.metrics, cwtypes.Metric{Namespace: awssdk.String(ns), MetricName: awssdk.String("x")})
		api.alarms = append(api.alarms, cwtypes.MetricAlarm{AlarmName: awssdk.String(ns)})
		api.groups = append(api.groups, logstypes.LogGroup{LogGroupName: awssdk.String("/" + ns)})
	}
	c := &cloudwatchCollector{
		newMetrics: func(awssdk.Config) MetricsAPI { return api },
		newLogs:    func(awssdk.Config) logsAPI { return api },
		now:        time.Now,
	}
	rs, err := c.Collect(context.Background(), awssdk.Config{Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, r := range rs {
		count[r.Kind]++
	}
	if count[models.KindMetricNamespace] != 3 || count[models.KindAlarm] != 3 || count[models.KindLogGroup] != 3 {
		t.Fatalf("kinds = %v, want 3 of each", count)
	}
	// Every page of each listing, and the three log groups' incoming bytes in one read.
	if api.calls["ListMetrics"] != 3 || api.calls["DescribeAlarms"] != 3 || api.calls["DescribeLogGroups"] != 3 ||
		api.calls["GetMetricData"] != 1 || api.calls["metric queries"] != 3 {
		t.Fatalf("calls = %v", api.calls)
	}
}
