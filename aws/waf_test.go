package aws

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/wafv2"
	waftypes "github.com/aws/aws-sdk-go-v2/service/wafv2/types"

	"costbot/internal/awstest"
	"costbot/models"
)

func TestWAFRegionsAddTheGlobalTask(t *testing.T) {
	got := (&wafCollector{}).Regions([]string{"eu-west-1", "ap-east-1"})
	if want := []string{"eu-west-1", "ap-east-1", models.GlobalRegion}; !slices.Equal(got, want) {
		t.Fatalf("Regions = %v, want %v", got, want)
	}
}

func TestWebACLPure(t *testing.T) {
	acl := waftypes.WebACL{ARN: awssdk.String("arn:acl"), Name: awssdk.String("edge"), Id: awssdk.String("1"),
		Rules:            []waftypes.Rule{{Name: awssdk.String("a")}, {Name: awssdk.String("b")}},
		VisibilityConfig: &waftypes.VisibilityConfig{MetricName: awssdk.String("edgeMetric")}}
	tests := []struct {
		scope      waftypes.Scope
		region     string
		wantRegion string
		wantDims   map[string]string
	}{
		{waftypes.ScopeRegional, "eu-west-1", "eu-west-1", map[string]string{"WebACL": "edgeMetric", "Rule": "ALL", "Region": "eu-west-1"}},
		{waftypes.ScopeCloudfront, "us-east-1", models.GlobalRegion, map[string]string{"WebACL": "edgeMetric", "Rule": "ALL"}},
	}
	for _, tt := range tests {
		t.Run(string(tt.scope), func(t *testing.T) {
			r := webACLResource(acl, tt.scope, tt.region)
			if r.Region != tt.wantRegion || r.Type != string(tt.scope) || r.Usage["rules"] != 2 || r.Kind != models.KindWebACL {
				t.Fatalf("resource = %+v", r)
			}
			qs := webACLRequestQueries(acl, tt.scope, tt.region)
			if len(qs) != 2 || qs[0].Metric != "AllowedRequests" || qs[1].Metric != "BlockedRequests" {
				t.Fatalf("queries = %+v", qs)
			}
			for _, q := range qs {
				if q.Namespace != "AWS/WAFV2" || q.Stat != cwtypes.StatisticSum || fmt.Sprint(q.Dimensions) != fmt.Sprint(tt.wantDims) {
					t.Fatalf("query = %+v", q)
				}
			}
		})
	}
	if got := wafScopes("eu-west-1"); !slices.Equal(got, []waftypes.Scope{waftypes.ScopeRegional}) {
		t.Errorf("scopes of a regional task = %v", got)
	}
	if got := wafScopes("us-east-1"); !slices.Equal(got, []waftypes.Scope{waftypes.ScopeRegional}) {
		t.Errorf("scopes of a regional us-east-1 task = %v", got)
	}
	if got := wafScopes(models.GlobalRegion); !slices.Equal(got, []waftypes.Scope{waftypes.ScopeCloudfront}) {
		t.Errorf("scopes of the global task = %v", got)
	}
}

type seededACL struct {
	name, metric string
	scope        waftypes.Scope
	region       string // where it is created (us-east-1 for CLOUDFRONT)
	rules        int
	allowed      []float64 // in the last hour
	blocked      []float64
}

func createWebACL(t *testing.T, ctx context.Context, m *awstest.Moto, a seededACL, start time.Time) {
	t.Helper()
	var rules []waftypes.Rule
	for i := range a.rules {
		name := fmt.Sprintf("%s-rule-%d", a.name, i)
		rules = append(rules, waftypes.Rule{
			Name: awssdk.String(name), Priority: int32(i),
			Statement: &waftypes.Statement{RateBasedStatement: &waftypes.RateBasedStatement{
				Limit: awssdk.Int64(1000), AggregateKeyType: waftypes.RateBasedStatementAggregateKeyTypeIp}},
			Action:           &waftypes.RuleAction{Block: &waftypes.BlockAction{}},
			VisibilityConfig: &waftypes.VisibilityConfig{MetricName: awssdk.String(name), CloudWatchMetricsEnabled: true},
		})
	}
	_, err := wafv2.NewFromConfig(m.Config(a.region)).CreateWebACL(ctx, &wafv2.CreateWebACLInput{
		Name: awssdk.String(a.name), Scope: a.scope, Rules: rules,
		DefaultAction:    &waftypes.DefaultAction{Allow: &waftypes.AllowAction{}},
		VisibilityConfig: &waftypes.VisibilityConfig{MetricName: awssdk.String(a.metric), CloudWatchMetricsEnabled: true},
	})
	if err != nil {
		t.Fatalf("create web ACL %s: %v", a.name, err)
	}
	cw := newCloudWatch(m.Config(a.region))
	put := func(metric, rule string, ts time.Time, v float64) {
		t.Helper()
		// Dimensions in name order, as the collector asks: moto's GetMetricData compares
		// dimension lists in the order given (AWS does not care).
		d := dims("Rule", rule, "WebACL", a.metric)
		if a.scope == waftypes.ScopeRegional {
			d = append(dims("Region", a.region), d...)
		}
		_, err := cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: awssdk.String("AWS/WAFV2"), MetricData: []cwtypes.MetricDatum{{
			MetricName: awssdk.String(metric), Dimensions: d, Timestamp: awssdk.Time(ts), Value: awssdk.Float64(v), Unit: cwtypes.StandardUnitCount}}})
		if err != nil {
			t.Fatalf("put metric: %v", err)
		}
	}
	for i, v := range a.allowed {
		put("AllowedRequests", "ALL", start.Add(time.Duration(5+i)*time.Minute), v)
	}
	for i, v := range a.blocked {
		put("BlockedRequests", "ALL", start.Add(time.Duration(30+i)*time.Minute), v)
	}
	put("AllowedRequests", "ALL", start.Add(-time.Minute), 1e6) // the hour before
	if a.rules > 0 {
		put("BlockedRequests", a.name+"-rule-0", start.Add(time.Minute), 1e6) // one rule's share, already in ALL
	}
}

func TestWAFCollectorAgainstMoto(t *testing.T) {
	m := awstest.StartMoto(t)
	m.Reset(t)
	ctx := awstest.Context(t)
	now := time.Now()
	start, _ := lastHour(now)
	acls := []seededACL{
		{"api", "apiMetric", waftypes.ScopeRegional, "us-west-2", 2, []float64{100, 50}, []float64{7}},
		{"shop", "shopMetric", waftypes.ScopeRegional, "eu-west-1", 1, []float64{30}, nil},
		{"east", "eastMetric", waftypes.ScopeRegional, "us-east-1", 4, []float64{9}, []float64{1, 2}},
		{"cdn", "cdnMetric", waftypes.ScopeCloudfront, "us-east-1", 3, []float64{1000}, []float64{25, 5}},
	}
	for _, a := range acls {
		createWebACL(t, ctx, m, a, start)
	}
	c := &wafCollector{
		newAPI:     func(cfg awssdk.Config) wafAPI { return wafv2.NewFromConfig(cfg) },
		newMetrics: func(cfg awssdk.Config) MetricsAPI { return newCloudWatch(cfg) },
		now:        func() time.Time { return now },
	}

	tests := []struct {
		configured []string
		want       []string // web ACL names
	}{
		{[]string{"us-west-2", "eu-west-1"}, []string{"api", "shop", "cdn"}},
		// us-east-1 both configured and the global task's region: each web ACL still once.
		{[]string{"us-east-1", "eu-west-1"}, []string{"shop", "east", "cdn"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.configured), func(t *testing.T) {
			s := &Scanner{Base: m.Config("us-east-1"), Regions: tt.configured, Concurrency: 4, Collectors: []Collector{c}}
			res, err := s.Scan(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Errors) > 0 {
				t.Fatalf("errors: %+v", res.Errors)
			}
			var names []string
			for _, r := range res.Resources {
				names = append(names, r.Name)
			}
			for _, name := range tt.want {
				if n := countOf(names, name); n != 1 {
					t.Errorf("web ACL %s listed %d times in %v", name, n, names)
				}
			}
			if len(names) != len(tt.want) {
				t.Errorf("web ACLs %v, want exactly %v (a region that is not configured must not leak in)", names, tt.want)
			}
			for _, r := range res.Resources {
				i := slices.IndexFunc(acls, func(a seededACL) bool { return a.name == r.Name })
				if i < 0 {
					t.Fatalf("unexpected %+v", r)
				}
				a := acls[i]
				wantRegion := a.region
				if a.scope == waftypes.ScopeCloudfront {
					wantRegion = models.GlobalRegion
				}
				requests := 0.0
				for _, v := range append(slices.Clone(a.allowed), a.blocked...) {
					requests += v
				}
				if r.Region != wantRegion || r.Type != string(a.scope) || r.Usage["rules"] != float64(a.rules) || r.Usage["requests_hour"] != requests {
					t.Errorf("%s = %+v, want region %s, %d rules, %v requests", a.name, r, wantRegion, a.rules, requests)
				}
			}
		})
	}
}

func countOf(names []string, name string) int {
	n := 0
	for _, x := range names {
		if x == name {
			n++
		}
	}
	return n
}

// pagedWAF answers ListWebACLs one web ACL per page, with a marker even on the last page
// (AWS may do so), and an empty page after it.
type pagedWAF struct {
	names []string
	lists int
}

func (p *pagedWAF) ListWebACLs(_ context.Context, in *wafv2.ListWebACLsInput, _ ...func(*wafv2.Options)) (*wafv2.ListWebACLsOutput, error) {
	p.lists++
	i := pageOf(in.NextMarker)
	if i >= len(p.names) {
		return &wafv2.ListWebACLsOutput{NextMarker: awssdk.String("x")}, nil
	}
	return &wafv2.ListWebACLsOutput{
		WebACLs:    []waftypes.WebACLSummary{{Name: awssdk.String(p.names[i]), Id: awssdk.String(p.names[i])}},
		NextMarker: awssdk.String(string(rune('0' + i + 1))),
	}, nil
}

func (p *pagedWAF) GetWebACL(_ context.Context, in *wafv2.GetWebACLInput, _ ...func(*wafv2.Options)) (*wafv2.GetWebACLOutput, error) {
	return &wafv2.GetWebACLOutput{WebACL: &waftypes.WebACL{Name: in.Name, Id: in.Id}}, nil
}

func TestWAFCollectorReadsEveryPage(t *testing.T) {
	api := &pagedWAF{names: []string{"a", "b", "c"}}
	c := &wafCollector{
		newAPI:     func(awssdk.Config) wafAPI { return api },
		newMetrics: func(awssdk.Config) MetricsAPI { return &pagedCloudWatch{calls: map[string]int{}} },
		now:        time.Now,
	}
	rs, err := c.Collect(context.Background(), awssdk.Config{Region: "eu-west-1"})
	if err != nil || len(rs) != len(api.names) || rs[2].Name != "c" {
		t.Fatalf("%d web ACLs after %d calls: %v", len(rs), api.lists, err)
	}
}
