package aws

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go/transport/http/protocol/awsjson"
	"golang.org/x/sync/errgroup"
)

// newCloudWatch builds a CloudWatch client that speaks awsJson1_0. Recent SDK clients
// default to a CBOR protocol that moto does not serve; AWS answers both.
func newCloudWatch(cfg awssdk.Config) *cloudwatch.Client {
	return cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) {
		o.Protocol = awsjson.New10(schemas.GraniteServiceVersion20100801)
		o.DisableRequestCompression = true
	})
}

// MetricsAPI is the part of CloudWatch the collectors read metrics and alarms with.
type MetricsAPI interface {
	GetMetricData(ctx context.Context, in *cloudwatch.GetMetricDataInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error)
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

// metricSeries is what CloudWatch returned for one query: a value per period that had
// data, in no particular order.
type metricSeries struct {
	Timestamps []time.Time
	Values     []float64
}

// Sum adds every value (0 when there is none).
func (s metricSeries) Sum() float64 {
	total := 0.0
	for _, v := range s.Values {
		total += v
	}
	return total
}

// Latest is the value with the latest timestamp, and whether there was one.
func (s metricSeries) Latest() (float64, bool) {
	best := -1
	for i, ts := range s.Timestamps {
		if i < len(s.Values) && (best < 0 || ts.After(s.Timestamps[best])) {
			best = i
		}
	}
	if best < 0 {
		return 0, false
	}
	return s.Values[best], true
}

// lastHour is the window the hourly usage metrics cover: the last full hour before now.
func lastHour(now time.Time) (start, end time.Time) {
	end = now.UTC().Truncate(time.Hour)
	return end.Add(-time.Hour), end
}

// metricFetchLimit bounds the calls one collector has in flight at once.
const metricFetchLimit = 8

// metricDataLimit is the most queries one GetMetricData call may carry.
const metricDataLimit = 500

// readMetrics reads every query between start and end at period with GetMetricData,
// up to metricDataLimit queries a call, the calls at the same time (at most
// metricFetchLimit). Result i is query i's series. One GetMetricData call replaces a
// GetMetricStatistics call per query and returns the same values.
func readMetrics(ctx context.Context, cw MetricsAPI, queries []metricQuery, start, end time.Time, period time.Duration) ([]metricSeries, error) {
	out := make([]metricSeries, len(queries))
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(metricFetchLimit)
	for first := 0; first < len(queries); first += metricDataLimit {
		chunk := queries[first:min(first+metricDataLimit, len(queries))]
		g.Go(func() error {
			got, err := metricDataChunk(gctx, cw, chunk, start, end, period)
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			copy(out[first:], got)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

// metricDataChunk reads at most metricDataLimit queries, following NextToken: a
// query's values can be spread over several pages.
func metricDataChunk(ctx context.Context, cw MetricsAPI, queries []metricQuery, start, end time.Time, period time.Duration) ([]metricSeries, error) {
	in := &cloudwatch.GetMetricDataInput{
		StartTime:         awssdk.Time(start),
		EndTime:           awssdk.Time(end),
		MetricDataQueries: make([]cwtypes.MetricDataQuery, len(queries)),
	}
	for i, q := range queries {
		in.MetricDataQueries[i] = metricDataQuery(metricQueryID(i), q, period)
	}
	out := make([]metricSeries, len(queries))
	p := cloudwatch.NewGetMetricDataPaginator(cw, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("cloudwatch: get metric data (%s): %w", describeQueries(queries), err)
		}
		for _, r := range page.MetricDataResults {
			i, ok := metricQueryIndex(awssdk.ToString(r.Id), len(queries))
			if !ok {
				continue
			}
			if r.StatusCode == cwtypes.StatusCodeForbidden || r.StatusCode == cwtypes.StatusCodeInternalError {
				return nil, fmt.Errorf("cloudwatch %s/%s: get metric data: %s", queries[i].Namespace, queries[i].Metric, r.StatusCode)
			}
			n := min(len(r.Timestamps), len(r.Values))
			out[i].Timestamps = append(out[i].Timestamps, r.Timestamps[:n]...)
			out[i].Values = append(out[i].Values, r.Values[:n]...)
		}
	}
	return out, nil
}

// metricDataQuery is q as a GetMetricData query with id.
func metricDataQuery(id string, q metricQuery, period time.Duration) cwtypes.MetricDataQuery {
	m := &cwtypes.Metric{Namespace: awssdk.String(q.Namespace), MetricName: awssdk.String(q.Metric)}
	for _, k := range slices.Sorted(maps.Keys(q.Dimensions)) {
		m.Dimensions = append(m.Dimensions, cwtypes.Dimension{Name: awssdk.String(k), Value: awssdk.String(q.Dimensions[k])})
	}
	stat := &cwtypes.MetricStat{Metric: m, Period: awssdk.Int32(int32(period / time.Second)), Stat: awssdk.String(string(q.Stat))}
	if q.Unit != "" {
		stat.Unit = q.Unit
	}
	return cwtypes.MetricDataQuery{Id: awssdk.String(id), MetricStat: stat, ReturnData: awssdk.Bool(true)}
}

// metricQueryID names query i of a call ("m0", "m1", ...): an ID must start with a
// lower-case letter.
func metricQueryID(i int) string { return fmt.Sprintf("m%d", i) }

func metricQueryIndex(id string, n int) (int, bool) {
	var i int
	if _, err := fmt.Sscanf(id, "m%d", &i); err != nil || i < 0 || i >= n || metricQueryID(i) != id {
		return 0, false
	}
	return i, true
}

// describeQueries names the metrics of a call for an error message.
func describeQueries(queries []metricQuery) string {
	var names []string
	for _, q := range queries {
		name := q.Namespace + "/" + q.Metric
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	return fmt.Sprintf("%d queries of %v", len(queries), names)
}
