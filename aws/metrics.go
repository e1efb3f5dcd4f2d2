package aws

import (
	"context"
	"fmt"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go/transport/http/protocol/awsjson"
)

// newCloudWatch builds a CloudWatch client that speaks awsJson1_0. Recent SDK clients
// default to a CBOR protocol that moto does not serve; AWS answers both.
func newCloudWatch(cfg awssdk.Config) *cloudwatch.Client {
	return cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) {
		o.Protocol = awsjson.New10(schemas.GraniteServiceVersion20100801)
		o.DisableRequestCompression = true
	})
}

// NewCloudWatchClient is newCloudWatch for tests in other packages that seed metrics.
func NewCloudWatchClient(cfg awssdk.Config) *cloudwatch.Client { return newCloudWatch(cfg) }

// MetricsAPI is the part of CloudWatch the collectors read metrics and alarms with.
type MetricsAPI interface {
	GetMetricStatistics(ctx context.Context, in *cloudwatch.GetMetricStatisticsInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricStatisticsOutput, error)
	ListMetrics(ctx context.Context, in *cloudwatch.ListMetricsInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.ListMetricsOutput, error)
	DescribeAlarms(ctx context.Context, in *cloudwatch.DescribeAlarmsInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
}

// metricQuery names one CloudWatch metric of one resource.
type metricQuery struct {
	Namespace  string
	Metric     string
	Dimensions map[string]string
	Stat       cwtypes.Statistic // Sum, Average, Maximum ...
	Unit       cwtypes.StandardUnit
}

// lastHour is the window the hourly usage metrics cover: the last full hour before now.
func lastHour(now time.Time) (start, end time.Time) {
	end = now.UTC().Truncate(time.Hour)
	return end.Add(-time.Hour), end
}

// metricSum adds every datapoint of q between start and end. Datapoints come in no order
// and there may be none (then 0).
func metricSum(ctx context.Context, cw MetricsAPI, q metricQuery, start, end time.Time, period time.Duration) (float64, error) {
	dps, err := metricPoints(ctx, cw, q, start, end, period)
	if err != nil {
		return 0, err
	}
	total := 0.0
	for _, dp := range dps {
		total += datapointValue(dp, q.Stat)
	}
	return total, nil
}

// metricLatest returns the value of q's most recent datapoint between start and end, and
// whether there was one (daily metrics such as S3 BucketSizeBytes).
func metricLatest(ctx context.Context, cw MetricsAPI, q metricQuery, start, end time.Time, period time.Duration) (float64, bool, error) {
	dps, err := metricPoints(ctx, cw, q, start, end, period)
	if err != nil {
		return 0, false, err
	}
	var latest *cwtypes.Datapoint
	for i := range dps {
		if latest == nil || awssdk.ToTime(dps[i].Timestamp).After(awssdk.ToTime(latest.Timestamp)) {
			latest = &dps[i]
		}
	}
	if latest == nil {
		return 0, false, nil
	}
	return datapointValue(*latest, q.Stat), true, nil
}

func metricPoints(ctx context.Context, cw MetricsAPI, q metricQuery, start, end time.Time, period time.Duration) ([]cwtypes.Datapoint, error) {
	in := &cloudwatch.GetMetricStatisticsInput{
		Namespace:  awssdk.String(q.Namespace),
		MetricName: awssdk.String(q.Metric),
		StartTime:  awssdk.Time(start),
		EndTime:    awssdk.Time(end),
		Period:     awssdk.Int32(int32(period / time.Second)),
		Statistics: []cwtypes.Statistic{q.Stat},
	}
	if q.Unit != "" {
		in.Unit = q.Unit
	}
	for k, v := range q.Dimensions {
		in.Dimensions = append(in.Dimensions, cwtypes.Dimension{Name: awssdk.String(k), Value: awssdk.String(v)})
	}
	out, err := cw.GetMetricStatistics(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("cloudwatch %s/%s: %w", q.Namespace, q.Metric, err)
	}
	return out.Datapoints, nil
}

func datapointValue(dp cwtypes.Datapoint, stat cwtypes.Statistic) float64 {
	switch stat {
	case cwtypes.StatisticAverage:
		return awssdk.ToFloat64(dp.Average)
	case cwtypes.StatisticMaximum:
		return awssdk.ToFloat64(dp.Maximum)
	case cwtypes.StatisticMinimum:
		return awssdk.ToFloat64(dp.Minimum)
	case cwtypes.StatisticSampleCount:
		return awssdk.ToFloat64(dp.SampleCount)
	default:
		return awssdk.ToFloat64(dp.Sum)
	}
}
