package bench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"

	costaws "costbot/aws"
	"costbot/config"
	"costbot/internal/awstest"
	"costbot/models"
)

// awsLatency is the round trip the benchmarks add to every AWS call (a far-away AWS).
const awsLatency = 50 * time.Millisecond

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
