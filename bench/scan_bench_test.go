package bench

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/fsx"
	fsxtypes "github.com/aws/aws-sdk-go-v2/service/fsx/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/wafv2"
	wafv2types "github.com/aws/aws-sdk-go-v2/service/wafv2/types"
	"golang.org/x/sync/errgroup"

	costaws "costbot/aws"
	"costbot/config"
	"costbot/internal/awstest"
	"costbot/models"
)

// awsLatency is the round trip the benchmarks add to every AWS call (a far-away AWS).
const awsLatency = 50 * time.Millisecond

// scanSeed is what seedScanAccount creates in each of the six default regions, and in
// the account as a whole.
type scanSeed struct {
	Instances, Volumes, EIPs, Functions, DBs, Alarms, LogGroups, Lightsail int // per region
	FileSystems, WebACLs                                                   int // per region
	LoadBalancers                                                          int // per region: ALBs with a target group, and one Classic
	Buckets, Distributions, GlobalWebACLs                                  int // in all
}

var defaultScanSeed = scanSeed{Instances: 100, Volumes: 20, EIPs: 10, Functions: 8, DBs: 2, Alarms: 10, LogGroups: 5, Lightsail: 5,
	FileSystems: 2, WebACLs: 2, Buckets: 30, Distributions: 3, GlobalWebACLs: 1, LoadBalancers: 2}

// largeScanSeed is about 10,000 resources (the memory target's account).
var largeScanSeed = scanSeed{Instances: 320, Volumes: 220, EIPs: 50, Functions: 20, DBs: 2, Alarms: 160, LogGroups: 160, Lightsail: 120,
	FileSystems: 2, WebACLs: 2, Buckets: 60, Distributions: 3, GlobalWebACLs: 1, LoadBalancers: 2}

// taskHeader carries "service/region" of the scan task that made a request, so the
// recorder can attribute every call to its task.
const taskHeader = "X-Costbot-Bench-Task"

type call struct {
	task       string
	start, end time.Time
}

// recorder times every request a handler serves.
type recorder struct {
	mu    sync.Mutex
	calls []call
}

func (r *recorder) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		start := time.Now()
		next.ServeHTTP(w, req)
		end := time.Now()
		r.mu.Lock()
		r.calls = append(r.calls, call{req.Header.Get(taskHeader), start, end})
		r.mu.Unlock()
	})
}

func (r *recorder) take() []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.calls
	r.calls = nil
	return out
}

// longestChain is the longest sequence of calls each of which started after the one
// before it ended: the calls that had to follow each other.
func longestChain(calls []call) int {
	sort.Slice(calls, func(i, j int) bool { return calls[i].start.Before(calls[j].start) })
	chain := make([]int, len(calls))
	best := 0
	for i := range calls {
		chain[i] = 1
		for j := range i {
			if !calls[j].end.After(calls[i].start) && chain[j]+1 > chain[i] {
				chain[i] = chain[j] + 1
			}
		}
		best = max(best, chain[i])
	}
	return best
}

// taggingClient marks each request with its task and, while its gate is closed, makes
// the requests of every task wait for each other.
type taggingClient struct {
	base awssdk.HTTPClient
	task string
	gate *callGate
}

func (c taggingClient) Do(req *http.Request) (*http.Response, error) {
	req.Header.Set(taskHeader, c.task)
	if c.gate.serial.Load() {
		c.gate.mu.Lock()
		defer c.gate.mu.Unlock()
	}
	return c.base.Do(req)
}

// callGate, when serial, lets one request of the scan be under way at a time: the scan
// as if nothing in it ran concurrently.
type callGate struct {
	serial atomic.Bool
	mu     sync.Mutex
}

// taggedCollector runs a real collector with its requests tagged by task and, for the
// services moto does not serve, sent to that service's fake.
type taggedCollector struct {
	costaws.Collector
	endpoint string
	client   awssdk.HTTPClient
	gate     *callGate
}

func (c taggedCollector) Regions(configured []string) []string {
	if rs, ok := c.Collector.(costaws.RegionSelector); ok {
		return rs.Regions(configured)
	}
	if c.Global() {
		return []string{models.GlobalRegion}
	}
	return configured
}

func (c taggedCollector) Collect(ctx context.Context, cfg awssdk.Config) ([]models.Resource, error) {
	return c.CollectTask(ctx, cfg, cfg.Region)
}

func (c taggedCollector) CollectTask(ctx context.Context, cfg awssdk.Config, taskRegion string) ([]models.Resource, error) {
	cfg.HTTPClient = taggingClient{c.client, c.Name() + "/" + taskRegion, c.gate}
	if c.endpoint != "" {
		cfg.BaseEndpoint = awssdk.String(c.endpoint)
	}
	if tc, ok := c.Collector.(costaws.TaskCollector); ok {
		return tc.CollectTask(ctx, cfg, taskRegion)
	}
	return c.Collector.Collect(ctx, cfg)
}

// scanEnv is a seeded account behind 50 ms of latency.
type scanEnv struct {
	base       awssdk.Config
	collectors []costaws.Collector
	proxies    []*awstest.FaultProxy
	rec        *recorder
	gate       *callGate
}

func (e *scanEnv) requests() int64 {
	var n int64
	for _, p := range e.proxies {
		n += p.Requests()
	}
	return n
}

// latencyProxy puts a FaultProxy adding awsLatency, timed by rec, in front of target.
func latencyProxy(b *testing.B, target string, rec *recorder) (*awstest.FaultProxy, string) {
	p := awstest.NewFaultProxy(b, target)
	p.Latency = awsLatency
	srv := httptest.NewServer(rec.wrap(p))
	b.Cleanup(srv.Close)
	return p, srv.URL
}

// replayCache answers a request it has seen before (same access key, region, service,
// method, URI, operation and body) with the answer moto gave then, and passes anything
// else to moto. Behind it the scan's calls cost the added latency and almost no emulator
// time, so the figures show costbot's fan-out rather than moto's throughput. The seeded
// accounts do not change during a benchmark, so a recorded answer stays right. The access
// key tells accounts apart: each account's requests carry the key its AssumeRole answer
// gave, and that answer is replayed too, so a later run presents the same key. The
// signature, its date and the session token are left out of the key.
type replayCache struct {
	next         http.Handler
	mu           sync.Mutex
	seen         map[string]recorded
	hits, misses int
}

func newReplayCache(target string) *replayCache {
	u, _ := url.Parse(target)
	return &replayCache{next: httputil.NewSingleHostReverseProxy(u), seen: map[string]recorded{}}
}

// counts is how many requests were replayed and how many went on to moto since the last
// call.
func (c *replayCache) counts() (hits, misses int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	hits, misses = c.hits, c.misses
	c.hits, c.misses = 0, 0
	return hits, misses
}

// accessKeyID is the access key of a SigV4 Authorization header's credential scope.
func accessKeyID(authorization string) string {
	_, cred, ok := strings.Cut(authorization, "Credential=")
	if !ok {
		return ""
	}
	key, _, _ := strings.Cut(cred, "/")
	return key
}

type recorded struct {
	status int
	header http.Header
	body   []byte
}

func (c *replayCache) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	// The region and service come from the signature: many requests (DescribeAlarms,
	// ListWebACLs ...) have the same body in every region.
	region, service := awstest.CredentialScope(r.Header.Get("Authorization"))
	key := accessKeyID(r.Header.Get("Authorization")) + " " + region + " " + service + " " + r.Method + " " + r.RequestURI + " " + r.Header.Get("X-Amz-Target") + " " + string(body)
	c.mu.Lock()
	got, ok := c.seen[key]
	if ok {
		c.hits++
	} else {
		c.misses++
	}
	c.mu.Unlock()
	if !ok {
		rw := httptest.NewRecorder()
		c.next.ServeHTTP(rw, r)
		got = recorded{rw.Code, rw.Header().Clone(), rw.Body.Bytes()}
		// An answer cut short (the caller gave up) is passed on but never replayed.
		complete := r.Context().Err() == nil &&
			(got.header.Get("Content-Length") == "" || got.header.Get("Content-Length") == strconv.Itoa(len(got.body)))
		if got.status < 300 && complete {
			c.mu.Lock()
			c.seen[key] = got
			c.mu.Unlock()
		}
	}
	for k, v := range got.header {
		w.Header()[k] = v
	}
	w.WriteHeader(got.status)
	w.Write(got.body)
}

func newScanEnv(b *testing.B, seed scanSeed) *scanEnv { return newScanEnvReplay(b, seed, false) }

func newScanEnvReplay(b *testing.B, seed scanSeed, replay bool) *scanEnv {
	moto := awstest.StartMoto(b)
	moto.Reset(b)
	ls := awstest.StartLightsail(b)
	ls.SetPageSize(100)
	q := awstest.StartQBusiness(b)
	seedScanAccount(b, moto, ls, q, seed)

	rec := &recorder{}
	motoTarget := moto.URL
	if replay {
		srv := httptest.NewServer(newReplayCache(moto.URL))
		b.Cleanup(srv.Close)
		motoTarget = srv.URL
	}
	motoProxy, motoURL := latencyProxy(b, motoTarget, rec)
	lsProxy, lsURL := latencyProxy(b, ls.URL, rec)
	qProxy, qURL := latencyProxy(b, q.URL, rec)
	client := awshttp.NewBuildableClient()
	gate := &callGate{}
	var collectors []costaws.Collector
	for _, c := range costaws.Collectors(config.Services) {
		t := taggedCollector{Collector: c, client: client, gate: gate}
		switch c.Name() {
		case "lightsail":
			t.endpoint = lsURL
		case "q":
			t.endpoint = qURL
		}
		collectors = append(collectors, t)
	}
	base := awstest.Config(motoURL, "us-east-1")
	base.HTTPClient = client
	return &scanEnv{base: base, collectors: collectors, proxies: []*awstest.FaultProxy{motoProxy, lsProxy, qProxy}, rec: rec, gate: gate}
}

// seedScanAccount creates seed's resources in moto and the fakes, the regions in
// parallel.
func seedScanAccount(b *testing.B, moto *awstest.Moto, ls *awstest.Lightsail, q *awstest.QBusiness, seed scanSeed) {
	ctx := context.Background()
	role := lambdaRole(b, moto)
	code := lambdaZip(b)
	g, ctx := errgroup.WithContext(ctx)
	for ri, region := range config.DefaultRegions {
		g.Go(func() error { return seedRegion(ctx, moto.Config(region), region, role, code, seed) })
		ls.AddBundle(region, awstest.LightsailBundle{ID: "small_3_0", Price: 10, TransferGB: 2048})

		for i := range seed.Lightsail {
			ls.AddInstance(region, awstest.LightsailInstance{Name: fmt.Sprintf("ls-%d-%d", ri, i), Bundle: "small_3_0", AllowanceGB: 2048})
		}
	}
	g.Go(func() error { return seedGlobal(ctx, moto.Config("us-east-1"), seed) })
	q.AddApplication("us-east-1", awstest.QApplication{ID: "app-1", Name: "helpdesk"})
	q.AddSubscription("us-east-1", "app-1", awstest.QSubscription{User: "u1", Current: "Q_BUSINESS"})
	g.Go(func() error {
		for i := range seed.Buckets {
			region := config.DefaultRegions[i%len(config.DefaultRegions)]
			api := s3.NewFromConfig(moto.Config(region), func(o *s3.Options) { o.UsePathStyle = true })
			in := &s3.CreateBucketInput{Bucket: awssdk.String(fmt.Sprintf("costbot-bench-%03d", i))}
			if region != "us-east-1" {
				in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(region)}
			}
			if _, err := api.CreateBucket(ctx, in); err != nil {
				return fmt.Errorf("bucket %d: %w", i, err)
			}
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
}

func seedRegion(ctx context.Context, cfg awssdk.Config, region, role string, code []byte, seed scanSeed) error {
	api := ec2.NewFromConfig(cfg)
	for left := seed.Instances; left > 0; left -= 50 {
		n := int32(min(left, 50))
		if _, err := api.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: awssdk.String("ami-12c6146b"),
			InstanceType: ec2types.InstanceTypeT3Micro, MinCount: awssdk.Int32(n), MaxCount: awssdk.Int32(n)}); err != nil {
			return fmt.Errorf("%s: run instances: %w", region, err)
		}
	}
	for i := range seed.Volumes {
		if _, err := api.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: awssdk.String(region + "a"),
			Size: awssdk.Int32(int32(10 + i)), VolumeType: ec2types.VolumeTypeGp3}); err != nil {
			return fmt.Errorf("%s: create volume: %w", region, err)
		}
	}
	for range seed.EIPs {
		if _, err := api.AllocateAddress(ctx, &ec2.AllocateAddressInput{Domain: ec2types.DomainTypeVpc}); err != nil {
			return fmt.Errorf("%s: allocate address: %w", region, err)
		}
	}
	fns := lambda.NewFromConfig(cfg)
	for i := range seed.Functions {
		if _, err := fns.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: awssdk.String(fmt.Sprintf("fn-%d", i)),
			Role: awssdk.String(role), Runtime: lambdatypes.RuntimePython312, Handler: awssdk.String("handler.handler"),
			Code: &lambdatypes.FunctionCode{ZipFile: code}}); err != nil {
			return fmt.Errorf("%s: create function: %w", region, err)
		}
	}
	dbs := rds.NewFromConfig(cfg)
	for i := range seed.DBs {
		if _, err := dbs.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{
			DBInstanceIdentifier: awssdk.String(fmt.Sprintf("db-%d", i)), DBInstanceClass: awssdk.String("db.t3.micro"), Engine: awssdk.String("mysql"),
			AllocatedStorage: awssdk.Int32(20), MasterUsername: awssdk.String("admin"), MasterUserPassword: awssdk.String("correct-horse-battery"),
		}); err != nil {
			return fmt.Errorf("%s: create db: %w", region, err)
		}
	}
	cw := costaws.NewCloudWatchClient(cfg)
	for i := range seed.Alarms {
		if _, err := cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: awssdk.String(fmt.Sprintf("alarm-%d", i)),
			Namespace: awssdk.String("Costbot/Bench"), MetricName: awssdk.String(fmt.Sprintf("m%d", i)),
			Statistic: cwtypes.StatisticAverage, Period: awssdk.Int32(300), EvaluationPeriods: awssdk.Int32(1),
			Threshold: awssdk.Float64(1), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold}); err != nil {
			return fmt.Errorf("%s: put alarm: %w", region, err)
		}
	}
	logs := cloudwatchlogs.NewFromConfig(cfg)
	for i := range seed.LogGroups {
		if _, err := logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: awssdk.String(fmt.Sprintf("/bench/%d", i))}); err != nil {
			return fmt.Errorf("%s: create log group: %w", region, err)
		}
	}
	for i := range seed.WebACLs {
		if err := createWebACL(ctx, cfg, wafv2types.ScopeRegional, fmt.Sprintf("acl-%s-%d", region, i)); err != nil {
			return err
		}
	}
	files := fsx.NewFromConfig(cfg)
	for range seed.FileSystems {
		if _, err := files.CreateFileSystem(ctx, &fsx.CreateFileSystemInput{FileSystemType: fsxtypes.FileSystemTypeWindows,
			StorageCapacity: awssdk.Int32(300), StorageType: fsxtypes.StorageTypeHdd, SubnetIds: []string{"subnet-1"},
			WindowsConfiguration: &fsxtypes.CreateFileSystemWindowsConfiguration{DeploymentType: fsxtypes.WindowsDeploymentTypeSingleAz2,
				ThroughputCapacity: awssdk.Int32(64)}}); err != nil {
			return fmt.Errorf("%s: create file system: %w", region, err)
		}
	}
	return seedLoadBalancers(ctx, cfg, region, seed.LoadBalancers)
}

// seedGlobal creates the CloudFront distributions and the CLOUDFRONT-scope web ACLs.
func seedGlobal(ctx context.Context, cfg awssdk.Config, seed scanSeed) error {
	cf := cloudfront.NewFromConfig(cfg)
	for i := range seed.Distributions {
		if _, err := cf.CreateDistribution(ctx, &cloudfront.CreateDistributionInput{
			DistributionConfig: awstest.DistributionConfig(fmt.Sprintf("bench-%d", i), cftypes.PriceClassPriceClass100)}); err != nil {
			return fmt.Errorf("create distribution: %w", err)
		}
	}
	for i := range seed.GlobalWebACLs {
		if err := createWebACL(ctx, cfg, wafv2types.ScopeCloudfront, fmt.Sprintf("cdn-acl-%d", i)); err != nil {
			return err
		}
	}
	return nil
}

// createWebACL creates a web ACL of scope with two rules.
func createWebACL(ctx context.Context, cfg awssdk.Config, scope wafv2types.Scope, name string) error {
	var rules []wafv2types.Rule
	for i := range 2 {
		rule := fmt.Sprintf("%s-rule-%d", name, i)
		rules = append(rules, wafv2types.Rule{Name: awssdk.String(rule), Priority: int32(i),
			Statement: &wafv2types.Statement{RateBasedStatement: &wafv2types.RateBasedStatement{
				Limit: awssdk.Int64(1000), AggregateKeyType: wafv2types.RateBasedStatementAggregateKeyTypeIp}},
			Action:           &wafv2types.RuleAction{Block: &wafv2types.BlockAction{}},
			VisibilityConfig: &wafv2types.VisibilityConfig{MetricName: awssdk.String(rule), CloudWatchMetricsEnabled: true}})
	}
	_, err := wafv2.NewFromConfig(cfg).CreateWebACL(ctx, &wafv2.CreateWebACLInput{Name: awssdk.String(name), Scope: scope, Rules: rules,
		DefaultAction:    &wafv2types.DefaultAction{Allow: &wafv2types.AllowAction{}},
		VisibilityConfig: &wafv2types.VisibilityConfig{MetricName: awssdk.String(name), CloudWatchMetricsEnabled: true}})
	if err != nil {
		return fmt.Errorf("%s: create web ACL %s: %w", cfg.Region, name, err)
	}
	return nil
}

// lambdaRole creates in moto the IAM role the functions are created with.
func lambdaRole(b *testing.B, m *awstest.Moto) string {
	const name = "costbot-bench-lambda"
	form := url.Values{"Action": {"CreateRole"}, "Version": {"2010-05-08"}, "RoleName": {name},
		"AssumeRolePolicyDocument": {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`}}
	req, _ := http.NewRequest(http.MethodPost, m.URL, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=x")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("create role: %d %s", resp.StatusCode, body)
	}
	return "arn:aws:iam::123456789012:role/" + name
}

func lambdaZip(b *testing.B) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	f, err := zw.Create("handler.py")
	if err != nil {
		b.Fatal(err)
	}
	io.WriteString(f, "def handler(event, context):\n    return event\n")
	if err := zw.Close(); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// scanOnce scans env at concurrency and returns the wall time, the calls made and each
// task's longest chain of calls that followed each other.
func (e *scanEnv) scanOnce(b *testing.B, concurrency int) (*costaws.ScanResult, time.Duration, int64, map[string]int) {
	e.rec.take()
	before := e.requests()
	s := &costaws.Scanner{Base: e.base, Regions: config.DefaultRegions, Collectors: e.collectors, Concurrency: concurrency, TaskTimeout: 5 * time.Minute}
	start := time.Now()
	res, err := s.Scan(context.Background())
	wall := time.Since(start)
	if err != nil {
		b.Fatal(err)
	}
	if len(res.Errors) > 0 {
		b.Fatalf("scan errors: %+v", res.Errors)
	}
	byTask := map[string][]call{}
	for _, c := range e.rec.take() {
		byTask[c.task] = append(byTask[c.task], c)
	}
	chains := map[string]int{}
	for task, calls := range byTask {
		chains[task] = longestChain(calls)
	}
	if testing.Verbose() {
		tasks := slices.Clone(res.Tasks)
		slices.SortFunc(tasks, func(a, b costaws.TaskResult) int { return int(b.Duration - a.Duration) })
		for _, t := range tasks[:min(10, len(tasks))] {
			calls := byTask[t.Service+"/"+t.Region]
			var busy time.Duration
			for _, c := range calls {
				busy += c.end.Sub(c.start)
			}
			b.Logf("concurrency %d: task %s/%s %v, %d calls, chain %d, time in calls %v", concurrency, t.Service, t.Region, t.Duration.Round(time.Millisecond), len(calls), chains[t.Service+"/"+t.Region], busy.Round(time.Millisecond))
		}
	}
	return res, wall, e.requests() - before, chains
}

// BenchmarkScan scans the default six regions of a seeded moto account behind 50 ms of
// latency at Scanner concurrency 1 (one task at a time, as SCAN_CONCURRENCY counts), with
// one AWS call at a time in the whole scan (serial_s), and at the default 16.
//
//	go test ./bench -run '^$' -bench BenchmarkScan -benchtime 1x -timeout 30m
func BenchmarkScan(b *testing.B) {
	// "many" is the account (about 2,000 resources); "few" has the same tasks and
	// calls with little in each answer, so moto's own CPU time does not hide the latency.
	b.Run("resources=many", func(b *testing.B) { benchmarkScan(b, defaultScanSeed, false) })
	b.Run("resources=few", func(b *testing.B) { benchmarkScan(b, fewScanSeed, false) })
	// "many,replay" is "many" with moto's answers recorded by a warm-up scan and replayed.
	b.Run("resources=many,replay", func(b *testing.B) { benchmarkScan(b, defaultScanSeed, true) })
}

var fewScanSeed = scanSeed{Instances: 5, Volumes: 2, EIPs: 2, Functions: 8, DBs: 1, Alarms: 10, LogGroups: 5, Lightsail: 5,
	FileSystems: 2, WebACLs: 2, Buckets: 30, Distributions: 3, GlobalWebACLs: 1, LoadBalancers: 1}

func benchmarkScan(b *testing.B, seed scanSeed, replay bool) {
	env := newScanEnvReplay(b, seed, replay)
	if replay {
		env.scanOnce(b, 16) // records moto's answers
	}
	b.ResetTimer()
	for b.Loop() {
		res, conc1, conc1Calls, _ := env.scanOnce(b, 1)
		env.gate.serial.Store(true)
		_, serial, serialCalls, _ := env.scanOnce(b, 1)
		env.gate.serial.Store(false)
		_, parallel, calls, chains := env.scanOnce(b, 16)
		// The account lookup runs beside the tasks: the critical path is the longer of it and
		// the longest task chain.
		longest := 0
		for task, n := range chains {
			if task != "" {
				longest = max(longest, n)
			}
		}
		criticalCalls := max(chains[""], longest)
		critical := time.Duration(criticalCalls) * awsLatency
		counts := map[string]int{}
		for _, r := range res.Resources {
			counts[r.Service]++
		}
		b.Logf("resources %d by service %v", len(res.Resources), counts)
		b.Logf("calls: concurrency 1 %d, one call at a time %d, concurrency 16 %d", conc1Calls, serialCalls, calls)
		b.Logf("wall: one call at a time %v, concurrency 1 (one task at a time) %v, concurrency 16 %v",
			serial.Round(time.Millisecond), conc1.Round(time.Millisecond), parallel.Round(time.Millisecond))
		type tc struct {
			task string
			n    int
		}
		var top []tc
		for task, n := range chains {
			top = append(top, tc{task, n})
		}
		slices.SortFunc(top, func(a, b tc) int { return b.n - a.n })
		b.Logf("longest task chains: %v", top[:min(8, len(top))])
		b.ReportMetric(float64(len(res.Resources)), "resources")
		b.ReportMetric(conc1.Seconds(), "conc1_s")
		b.ReportMetric(serial.Seconds(), "serial_s")
		b.ReportMetric(parallel.Seconds(), "conc16_s")
		b.ReportMetric(conc1.Seconds()/parallel.Seconds(), "speedup")
		b.ReportMetric(serial.Seconds()/parallel.Seconds(), "speedup_serial")
		b.ReportMetric(float64(calls), "aws_calls")
		b.ReportMetric(float64(criticalCalls), "critical_calls")
		b.ReportMetric(float64(critical.Milliseconds()), "critical_ms")
		b.ReportMetric(parallel.Seconds()/critical.Seconds(), "x_critical")
	}
}
