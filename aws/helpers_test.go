package aws

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"costbot/internal/awstest"
	"costbot/models"
)

// twoRegions are where the moto tests create resources.
var twoRegions = []string{"us-east-1", "eu-west-1"}

// freshMoto returns the shared moto_server, emptied.
func freshMoto(t *testing.T) *awstest.Moto {
	t.Helper()
	m := awstest.StartMoto(t)
	m.Reset(t)
	return m
}

// collectIn runs c in region against moto and checks that every resource is in region
// and of c's service.
func collectIn(t *testing.T, ctx context.Context, c Collector, m *awstest.Moto, region string) []models.Resource {
	t.Helper()
	rs, err := c.Collect(ctx, m.Config(region))
	if err != nil {
		t.Fatalf("%s %s: collect: %v", c.Name(), region, err)
	}
	for _, r := range rs {
		if r.Service != c.Name() {
			t.Errorf("%s %s: resource %s has service %q", c.Name(), region, r.ID, r.Service)
		}
		if !c.Global() && r.Region != region {
			t.Errorf("%s %s: resource %s has region %q", c.Name(), region, r.ID, r.Region)
		}
	}
	return rs
}

// byID indexes resources by ID, failing on duplicates.
func byID(t *testing.T, rs []models.Resource) map[string]models.Resource {
	t.Helper()
	out := make(map[string]models.Resource, len(rs))
	for _, r := range rs {
		if _, dup := out[r.ID]; dup {
			t.Errorf("resource %s listed twice", r.ID)
		}
		out[r.ID] = r
	}
	return out
}

// mustFind returns the resource with id or fails the test.
func mustFind(t *testing.T, rs map[string]models.Resource, id string) models.Resource {
	t.Helper()
	r, ok := rs[id]
	if !ok {
		t.Fatalf("resource %s not found among %v", id, slices.Sorted(maps.Keys(rs)))
	}
	return r
}

// checkFacts compares the listed attributes and usage of r with want.
func checkFacts(t *testing.T, r models.Resource, attrs map[string]string, usage map[string]float64) {
	t.Helper()
	for k, v := range attrs {
		if got := r.Attrs[k]; got != v {
			t.Errorf("%s: attr %s = %q, want %q", r.ID, k, got, v)
		}
	}
	for k, v := range usage {
		got, ok := r.Usage[k]
		if !ok || got != v {
			t.Errorf("%s: usage %s = %v (present %v), want %v", r.ID, k, got, ok, v)
		}
	}
}

// page returns pages[i] for the token "page-i" (none = page 0) and the token of the next
// page, or nil on the last one.
func page[T any](pages []T, token *string) (T, *string, error) {
	i := 0
	if tok := awssdk.ToString(token); tok != "" {
		if _, err := fmt.Sscanf(tok, "page-%d", &i); err != nil || i <= 0 || i >= len(pages) {
			var zero T
			return zero, nil, fmt.Errorf("fake: bad page token %q", tok)
		}
	}
	var next *string
	if i+1 < len(pages) {
		next = awssdk.String(fmt.Sprintf("page-%d", i+1))
	}
	return pages[i], next, nil
}

// fakeMetrics is a CloudWatch that answers GetMetricData from fixed datapoints (each
// datapoint in the window is one value), matching dimensions exactly, lists metrics a
// page at a time, and records what it was asked. It is safe for concurrent use.
type fakeMetrics struct {
	points      map[string][]cwtypes.Datapoint // by metricKey
	metricPages [][]cwtypes.Metric
	// valuesPerPage, when set, spreads GetMetricData's values over pages of at most
	// this many, as CloudWatch does with large answers.
	valuesPerPage int

	mu         sync.Mutex
	dataCalls  int           // GetMetricData calls, pages included
	stats      []askedMetric // every query of every GetMetricData call (first pages)
	listTokens []string
}

// askedMetric is one query of a GetMetricData call.
type askedMetric struct {
	Namespace, Metric string
	Dimensions        map[string]string
	Start, End        time.Time
	Period            int32
	Stat              string
}

// metricKey names a metric with its dimensions, in a stable order.
func metricKey(namespace, metric string, dims map[string]string) string {
	parts := []string{namespace, metric}
	for _, k := range slices.Sorted(maps.Keys(dims)) {
		parts = append(parts, k+"="+dims[k])
	}
	return strings.Join(parts, "|")
}

func (f *fakeMetrics) GetMetricData(_ context.Context, in *cloudwatch.GetMetricDataInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dataCalls++
	if len(in.MetricDataQueries) > 500 {
		return nil, fmt.Errorf("fake: %d queries in one call, at most 500", len(in.MetricDataQueries))
	}
	type value struct {
		id string
		ts time.Time
		v  float64
	}
	var values []value
	var ids []string
	for _, q := range in.MetricDataQueries {
		ms := q.MetricStat
		dims := map[string]string{}
		for _, d := range ms.Metric.Dimensions {
			dims[awssdk.ToString(d.Name)] = awssdk.ToString(d.Value)
		}
		if in.NextToken == nil {
			f.stats = append(f.stats, askedMetric{Namespace: awssdk.ToString(ms.Metric.Namespace), Metric: awssdk.ToString(ms.Metric.MetricName),
				Dimensions: dims, Start: awssdk.ToTime(in.StartTime), End: awssdk.ToTime(in.EndTime),
				Period: awssdk.ToInt32(ms.Period), Stat: awssdk.ToString(ms.Stat)})
		}
		id := awssdk.ToString(q.Id)
		ids = append(ids, id)
		for _, dp := range f.points[metricKey(awssdk.ToString(ms.Metric.Namespace), awssdk.ToString(ms.Metric.MetricName), dims)] {
			ts := awssdk.ToTime(dp.Timestamp)
			if !ts.Before(awssdk.ToTime(in.StartTime)) && ts.Before(awssdk.ToTime(in.EndTime)) {
				values = append(values, value{id, ts, datapointValue(dp, awssdk.ToString(ms.Stat))})
			}
		}
	}
	first := 0
	if tok := awssdk.ToString(in.NextToken); tok != "" {
		if _, err := fmt.Sscanf(tok, "values-%d", &first); err != nil {
			return nil, fmt.Errorf("fake: bad token %q", tok)
		}
	}
	last := len(values)
	out := &cloudwatch.GetMetricDataOutput{}
	if f.valuesPerPage > 0 && first+f.valuesPerPage < len(values) {
		last = first + f.valuesPerPage
		out.NextToken = awssdk.String(fmt.Sprintf("values-%d", last))
	}
	results := map[string]*cwtypes.MetricDataResult{}
	for _, id := range ids {
		results[id] = &cwtypes.MetricDataResult{Id: awssdk.String(id), StatusCode: cwtypes.StatusCodeComplete}
		if out.NextToken != nil {
			results[id].StatusCode = cwtypes.StatusCodePartialData
		}
	}
	for _, v := range values[first:last] {
		r := results[v.id]
		r.Timestamps = append(r.Timestamps, v.ts)
		r.Values = append(r.Values, v.v)
	}
	for _, id := range ids {
		out.MetricDataResults = append(out.MetricDataResults, *results[id])
	}
	return out, nil
}

// datapointValue is a datapoint's value for stat.
func datapointValue(dp cwtypes.Datapoint, stat string) float64 {
	switch cwtypes.Statistic(stat) {
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

func (f *fakeMetrics) ListMetrics(_ context.Context, in *cloudwatch.ListMetricsInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.ListMetricsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.listTokens = append(f.listTokens, awssdk.ToString(in.NextToken))
	if len(f.metricPages) == 0 {
		return &cloudwatch.ListMetricsOutput{}, nil
	}
	p, next, err := page(f.metricPages, in.NextToken)
	if err != nil {
		return nil, err
	}
	var ms []cwtypes.Metric
	for _, m := range p {
		if awssdk.ToString(m.Namespace) == awssdk.ToString(in.Namespace) && awssdk.ToString(m.MetricName) == awssdk.ToString(in.MetricName) {
			ms = append(ms, m)
		}
	}
	return &cloudwatch.ListMetricsOutput{Metrics: ms, NextToken: next}, nil
}

func (f *fakeMetrics) DescribeAlarms(context.Context, *cloudwatch.DescribeAlarmsInput, ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
	return &cloudwatch.DescribeAlarmsOutput{}, nil
}

// cwMetric describes a metric as ListMetrics lists it.
func cwMetric(namespace, metric string, dims map[string]string) cwtypes.Metric {
	m := cwtypes.Metric{Namespace: awssdk.String(namespace), MetricName: awssdk.String(metric)}
	for _, k := range slices.Sorted(maps.Keys(dims)) {
		m.Dimensions = append(m.Dimensions, cwtypes.Dimension{Name: awssdk.String(k), Value: awssdk.String(dims[k])})
	}
	return m
}

// putMetric stores one datapoint in moto's CloudWatch in cfg's region.
func putMetric(t *testing.T, ctx context.Context, cfg awssdk.Config, namespace, metric string, dims map[string]string, ts time.Time, value float64, unit cwtypes.StandardUnit) {
	t.Helper()
	d := cwtypes.MetricDatum{MetricName: awssdk.String(metric), Timestamp: awssdk.Time(ts), Value: awssdk.Float64(value), Unit: unit}
	for _, k := range slices.Sorted(maps.Keys(dims)) {
		d.Dimensions = append(d.Dimensions, cwtypes.Dimension{Name: awssdk.String(k), Value: awssdk.String(dims[k])})
	}
	_, err := newCloudWatch(cfg).PutMetricData(ctx, &cloudwatch.PutMetricDataInput{
		Namespace: awssdk.String(namespace), MetricData: []cwtypes.MetricDatum{d},
	})
	if err != nil {
		t.Fatalf("put metric %s/%s in %s: %v", namespace, metric, cfg.Region, err)
	}
}

// motoQuery sends a signed query-protocol request to moto, for services whose SDK
// module the project does not carry (IAM).
func motoQuery(t *testing.T, ctx context.Context, m *awstest.Moto, service, region string, form url.Values) string {
	t.Helper()
	body := form.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.URL+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256([]byte(body))
	cfg := m.Config(region)
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), service, region, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", service, form.Get("Action"), err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: status %d: %s", service, form.Get("Action"), resp.StatusCode, out)
	}
	return string(out)
}

// lambdaRole creates an IAM role in moto that Lambda functions can be created with and
// returns its ARN.
func lambdaRole(t *testing.T, ctx context.Context, m *awstest.Moto, account string) string {
	t.Helper()
	const name = "costbot-test-lambda"
	motoQuery(t, ctx, m, "iam", "us-east-1", url.Values{
		"Action":                   {"CreateRole"},
		"Version":                  {"2010-05-08"},
		"RoleName":                 {name},
		"AssumeRolePolicyDocument": {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`},
	})
	return fmt.Sprintf("arn:aws:iam::%s:role/%s", account, name)
}

// lambdaZip is a deployment package with one handler file.
func lambdaZip(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	f, err := zw.Create("handler.py")
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(f, "def handler(event, context):\n    return event\n")
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
