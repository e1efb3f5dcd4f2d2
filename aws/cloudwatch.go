package aws

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"golang.org/x/sync/errgroup"

	"costbot/models"
)

// logsAPI is the part of CloudWatch Logs the collector reads.
type logsAPI interface {
	DescribeLogGroups(ctx context.Context, in *cloudwatchlogs.DescribeLogGroupsInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogGroupsOutput, error)
}

// cloudwatchCollector reports what CloudWatch bills for: custom metrics (per namespace),
// alarms (per metric they watch) and log groups (stored and ingested bytes).
type cloudwatchCollector struct {
	newMetrics func(cfg awssdk.Config) MetricsAPI
	newLogs    func(cfg awssdk.Config) logsAPI
	now        func() time.Time
}

func init() {
	register(&cloudwatchCollector{
		newMetrics: func(cfg awssdk.Config) MetricsAPI { return newCloudWatch(cfg) },
		newLogs:    func(cfg awssdk.Config) logsAPI { return cloudwatchlogs.NewFromConfig(cfg) },
		now:        time.Now,
	})
}

func (*cloudwatchCollector) Name() string { return "cloudwatch" }
func (*cloudwatchCollector) Global() bool { return false }

func (c *cloudwatchCollector) Collect(ctx context.Context, cfg awssdk.Config) ([]models.Resource, error) {
	cw := c.newMetrics(cfg)
	// The three listings are independent: read them at the same time.
	var (
		metrics []cwtypes.Metric
		alarms  []cwtypes.MetricAlarm
		groups  []logstypes.LogGroup
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		if metrics, err = listMetrics(gctx, cw); err != nil {
			return fmt.Errorf("cloudwatch %s: list metrics: %w", cfg.Region, err)
		}
		return nil
	})
	g.Go(func() (err error) {
		if alarms, err = describeAlarms(gctx, cw); err != nil {
			return fmt.Errorf("cloudwatch %s: describe alarms: %w", cfg.Region, err)
		}
		return nil
	})
	g.Go(func() (err error) {
		if groups, err = describeLogGroups(gctx, c.newLogs(cfg)); err != nil {
			return fmt.Errorf("cloudwatch %s: describe log groups: %w", cfg.Region, err)
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := customMetricResources(metrics, cfg.Region)
	out = append(out, alarmResources(alarms, cfg.Region)...)

	logs := logGroupResources(groups, cfg.Region)
	start, end := lastHour(c.now())
	queries := make([]metricQuery, len(logs))
	for i := range logs {
		queries[i] = metricQuery{Namespace: "AWS/Logs", Metric: "IncomingBytes",
			Dimensions: map[string]string{"LogGroupName": logs[i].Name}, Stat: cwtypes.StatisticSum}
	}
	ingested, err := readMetrics(ctx, cw, queries, start, end, time.Hour)
	if err != nil {
		return nil, fmt.Errorf("cloudwatch %s: log groups' incoming bytes: %w", cfg.Region, err)
	}
	for i := range logs {
		logs[i].Usage["ingested_bytes_hour"] = ingested[i].Sum()
	}
	return append(out, logs...), nil
}

func listMetrics(ctx context.Context, cw MetricsAPI) ([]cwtypes.Metric, error) {
	var out []cwtypes.Metric
	p := cloudwatch.NewListMetricsPaginator(cw, &cloudwatch.ListMetricsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Metrics...)
	}
	return out, nil
}

func describeAlarms(ctx context.Context, cw MetricsAPI) ([]cwtypes.MetricAlarm, error) {
	var out []cwtypes.MetricAlarm
	p := cloudwatch.NewDescribeAlarmsPaginator(cw, &cloudwatch.DescribeAlarmsInput{
		AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, page.MetricAlarms...)
	}
	return out, nil
}

func describeLogGroups(ctx context.Context, logs logsAPI) ([]logstypes.LogGroup, error) {
	var out []logstypes.LogGroup
	p := cloudwatchlogs.NewDescribeLogGroupsPaginator(logs, &cloudwatchlogs.DescribeLogGroupsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, page.LogGroups...)
	}
	return out, nil
}

// customMetricResources counts the distinct custom metrics (a name and a set of dimensions
// in a namespace not starting with "AWS/") of each namespace: one resource per namespace.
func customMetricResources(metrics []cwtypes.Metric, region string) []models.Resource {
	distinct := map[string]map[string]bool{}
	for _, m := range metrics {
		ns := awssdk.ToString(m.Namespace)
		if ns == "" || strings.HasPrefix(ns, "AWS/") {
			continue
		}
		if distinct[ns] == nil {
			distinct[ns] = map[string]bool{}
		}
		distinct[ns][metricIdentity(m)] = true
	}
	namespaces := make([]string, 0, len(distinct))
	for ns := range distinct {
		namespaces = append(namespaces, ns)
	}
	sort.Strings(namespaces)
	out := make([]models.Resource, 0, len(namespaces))
	for _, ns := range namespaces {
		out = append(out, models.Resource{
			Service: "cloudwatch",
			Region:  region,
			ID:      "namespace/" + ns,
			Name:    ns,
			Kind:    models.KindMetricNamespace,
			Type:    "custom-metrics",
			Attrs:   map[string]string{"namespace": ns},
			Usage:   map[string]float64{"metrics": float64(len(distinct[ns]))},
		})
	}
	return out
}

// metricIdentity is what makes a metric distinct: its name and its dimensions, in any order.
func metricIdentity(m cwtypes.Metric) string {
	dims := make([]string, 0, len(m.Dimensions))
	for _, d := range m.Dimensions {
		dims = append(dims, awssdk.ToString(d.Name)+"="+awssdk.ToString(d.Value))
	}
	slices.Sort(dims)
	return awssdk.ToString(m.MetricName) + "\x00" + strings.Join(dims, "\x00")
}

// alarmResources turns metric alarms into resources. An alarm is billed per metric it
// watches, at the high-resolution rate when it evaluates in periods under a minute.
func alarmResources(alarms []cwtypes.MetricAlarm, region string) []models.Resource {
	out := make([]models.Resource, 0, len(alarms))
	for _, a := range alarms {
		metrics, highRes := alarmMetrics(a)
		typ := "standard"
		if highRes {
			typ = "high-resolution"
		}
		r := models.Resource{
			Service: "cloudwatch",
			Region:  region,
			ID:      awssdk.ToString(a.AlarmArn),
			Name:    awssdk.ToString(a.AlarmName),
			Kind:    models.KindAlarm,
			Type:    typ,
			State:   string(a.StateValue),
			Usage:   map[string]float64{"metrics": float64(metrics)},
		}
		if r.ID == "" {
			r.ID = "alarm/" + r.Name
		}
		out = append(out, r)
	}
	return out
}

// alarmMetrics says how many metrics an alarm uses and whether it is high-resolution. A
// single-metric alarm uses one; a metric-math alarm uses each query that reads a metric
// (MetricStat), the expressions being free.
func alarmMetrics(a cwtypes.MetricAlarm) (metrics int, highResolution bool) {
	if len(a.Metrics) == 0 {
		return 1, a.Period != nil && *a.Period < 60
	}
	for _, q := range a.Metrics {
		if q.MetricStat == nil {
			continue
		}
		metrics++
		period := q.MetricStat.Period
		if period == nil {
			period = q.Period
		}
		if period != nil && *period < 60 {
			highResolution = true
		}
	}
	return max(metrics, 1), highResolution
}

// logGroupResources turns log groups into resources with their stored bytes; the bytes
// ingested are read from CloudWatch separately.
func logGroupResources(groups []logstypes.LogGroup, region string) []models.Resource {
	out := make([]models.Resource, 0, len(groups))
	for _, g := range groups {
		name := awssdk.ToString(g.LogGroupName)
		r := models.Resource{
			Service: "cloudwatch",
			Region:  region,
			ID:      "log-group:" + name,
			Name:    name,
			Kind:    models.KindLogGroup,
			Type:    "log-group",
			Usage: map[string]float64{
				"stored_bytes":        float64(awssdk.ToInt64(g.StoredBytes)),
				"ingested_bytes_hour": 0,
			},
		}
		if g.CreationTime != nil {
			r.CreatedAt = time.UnixMilli(*g.CreationTime).UTC()
		}
		out = append(out, r)
	}
	return out
}
