package pricing

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"costbot/config"
	"costbot/internal/awstest"
	"costbot/models"
)

const gib = 1 << 30

var hour = time.Date(2026, 5, 14, 10, 0, 0, 0, time.UTC)

func res(service, kind, region, id, typ string, attrs map[string]string, usage map[string]float64) models.Resource {
	return models.Resource{AccountID: "111122223333", Service: service, Kind: kind, Region: region, ID: id, Name: id,
		Type: typ, State: "running", Attrs: attrs, Usage: usage}
}

// catalogueServer is the in-process Pricing API seeded with real list prices.
func catalogueServer(t *testing.T) *awstest.PricingServer {
	t.Helper()
	return awstest.NewPricingServer(t, awstest.DefaultPricingCatalogue())
}

func newTestPricer(t *testing.T, srv *awstest.PricingServer, store *models.Store, freeTier string) *Pricer {
	t.Helper()
	var api GetProductsAPI
	if srv != nil {
		api = NewAPIClient(srv.Config())
	}
	return New(store, api, Options{FreeTier: freeTier, Now: func() time.Time { return hour }})
}

func TestFormulasAgainstListPrices(t *testing.T) {
	srv := catalogueServer(t)
	usedFree := &MonthToDate{Month: "2026-05", Usage: map[string]float64{
		freeLambdaRequests: 1_000_000, freeLambdaGBSeconds: 400_000,
		freeCloudFrontGB: 1024, freeCloudFrontReqs: 10_000_000, freeCWLogsIngestGB: 5,
	}}
	stopped := res("ec2", models.KindInstance, "us-east-1", "i-stopped", "t3.micro", map[string]string{"platform": "Linux/UNIX"}, nil)
	stopped.State = "stopped"

	cases := []struct {
		name       string
		r          models.Resource
		mtd        *MonthToDate
		freeTier   string
		wantHourly float64
		source     string
	}{
		// EC2 Linux t3.micro, us-east-1: 0.0104 per hour.
		{"ec2 t3.micro us-east-1", res("ec2", models.KindInstance, "us-east-1", "i-1", "t3.micro", map[string]string{"platform": "Linux/UNIX", "tenancy": "default"}, nil), nil, "", 0.0104, models.SourceAPI},
		// m5.large in Tokyo: 0.124 per hour.
		{"ec2 m5.large ap-northeast-1", res("ec2", models.KindInstance, "ap-northeast-1", "i-2", "m5.large", map[string]string{"platform": "Linux/UNIX"}, nil), nil, "", 0.124, models.SourceAPI},
		// Windows: the license-included SKU (0.0196), not the BYOL one (0.0104).
		{"ec2 windows", res("ec2", models.KindInstance, "us-east-1", "i-3", "t3.micro", map[string]string{"platform": "Windows"}, nil), nil, "", 0.0196, models.SourceAPI},
		// A stopped instance costs nothing per hour.
		{"ec2 stopped", stopped, nil, "", 0, models.SourceAPI},
		// t3.micro with one public IPv4 address: 0.0104; the address is a vpc resource of its
		// own and priced there, not twice.
		{"ec2 with public ip", res("ec2", models.KindInstance, "us-east-1", "i-4", "t3.micro", map[string]string{"platform": "Linux/UNIX"}, map[string]float64{"public_ipv4": 1}), nil, "", 0.0104, models.SourceAPI},
		// 100 GB gp3 at the included 3000 IOPS / 125 MB/s: 100 x 0.08 = 8.00 per month.
		{"gp3 100 GB", res("ebs", models.KindVolume, "us-east-1", "vol-1", "gp3", nil, map[string]float64{"size_gb": 100, "iops": 3000, "throughput_mbps": 125}), nil, "", 8.00 / 730, models.SourceAPI},
		// gp3 100 GB, 6000 IOPS, 250 MB/s: 8.00 + (6000-3000) x 0.005 = 15.00 + (250-125) x 40.96/1024 = 5.00 -> 28.00 per month.
		{"gp3 beyond 3000 IOPS", res("ebs", models.KindVolume, "us-east-1", "vol-2", "gp3", nil, map[string]float64{"size_gb": 100, "iops": 6000, "throughput_mbps": 250}), nil, "", 28.00 / 730, models.SourceAPI},
		// io1 100 GB, 1000 IOPS: 12.50 + 1000 x 0.065 = 65.00 -> 77.50 per month.
		{"io1", res("ebs", models.KindVolume, "us-east-1", "vol-3", "io1", nil, map[string]float64{"size_gb": 100, "iops": 1000}), nil, "", 77.50 / 730, models.SourceAPI},
		// io2 500 GB, 40000 IOPS: 62.50 + 32000 x 0.065 = 2080 + 8000 x 0.0455 = 364 -> 2506.50 per month.
		{"io2 tiers", res("ebs", models.KindVolume, "us-east-1", "vol-4", "io2", nil, map[string]float64{"size_gb": 500, "iops": 40000}), nil, "", 2506.50 / 730, models.SourceAPI},
		// NAT with 10 GiB processed this hour: 0.045 + 10 x 0.045 = 0.495.
		{"nat with traffic", res("vpc", models.KindNATGateway, "us-east-1", "nat-1", "nat-gateway", nil, map[string]float64{"bytes_processed_hour": 10 * gib}), nil, "", 0.495, models.SourceAPI},
		// An idle NAT gateway still costs its hourly price (Tokyo: 0.062), never 0.
		{"nat idle tokyo", res("vpc", models.KindNATGateway, "ap-northeast-1", "nat-2", "nat-gateway", nil, map[string]float64{"bytes_processed_hour": 0}), nil, "", 0.062, models.SourceAPI},
		// Every public IPv4 address costs 0.005 per hour, in use or idle.
		{"elastic ip in use", res("vpc", models.KindElasticIP, "us-east-1", "eipalloc-1", "public-ipv4", map[string]string{"association_id": "eipassoc-1"}, nil), nil, "", 0.005, models.SourceAPI},
		{"elastic ip idle", res("vpc", models.KindElasticIP, "us-east-1", "eipalloc-2", "public-ipv4", nil, nil), nil, "", 0.005, models.SourceAPI},
		{"public ip", res("vpc", models.KindPublicIP, "ap-northeast-1", "203.0.113.9", "public-ipv4", map[string]string{"instance_id": "i-9"}, nil), nil, "", 0.005, models.SourceAPI},
		// RDS MySQL db.t3.micro Single-AZ with 20 GB gp2: 0.017 + 20 x 0.115 / 730.
		{"rds single-az", res("rds", models.KindDBInstance, "us-east-1", "db-1", "db.t3.micro", map[string]string{"engine": "mysql", "multi_az": "false", "storage_type": "gp2"}, map[string]float64{"allocated_gb": 20}), nil, "", 0.017 + 20*0.115/730, models.SourceAPI},
		// Multi-AZ doubles both: 0.034 + 20 x 0.23 / 730 (24.82 + 4.60 = 29.42 per month).
		{"rds multi-az", res("rds", models.KindDBInstance, "us-east-1", "db-2", "db.t3.micro", map[string]string{"engine": "mysql", "multi_az": "true", "storage_type": "gp2"}, map[string]float64{"allocated_gb": 20}), nil, "", 29.42 / 730, models.SourceAPI},
		// PostgreSQL is its own SKU: 0.018.
		{"rds postgres gp3", res("rds", models.KindDBInstance, "us-east-1", "db-3", "db.t3.micro", map[string]string{"engine": "postgres", "multi_az": "false", "storage_type": "gp3"}, map[string]float64{"allocated_gb": 20}), nil, "", 0.018 + 20*0.115/730, models.SourceAPI},
		// Lambda inside the free tier: 1000 requests, 128 MB x 100 s = 12.5 GB-s -> 0.
		{"lambda within free tier", res("lambda", models.KindFunction, "us-east-1", "fn-1", "x86_64", nil, map[string]float64{"memory_mb": 128, "invocations_hour": 1000, "duration_ms_hour": 100_000}), nil, config.FreeTierAlways, 0, models.SourceAPI},
		// Beyond it (allowances used up): 2M requests x 0.0000002 = 0.40; 1024 MB x 1,000,000 s = 1,000,000 GB-s
		// (1024/1024 GB, not /1024^2) x 0.0000166667 = 16.6667 -> 17.0667.
		{"lambda beyond free tier", res("lambda", models.KindFunction, "us-east-1", "fn-2", "x86_64", nil, map[string]float64{"memory_mb": 1024, "invocations_hour": 2_000_000, "duration_ms_hour": 1_000_000_000}), usedFree, config.FreeTierAlways, 0.40 + 16.6667, models.SourceAPI},
		// Arm: 1,000,000 GB-s x 0.0000133334 = 13.3334, requests 0 (none).
		{"lambda arm beyond free tier", res("lambda", models.KindFunction, "us-east-1", "fn-3", "arm64", nil, map[string]float64{"memory_mb": 2048, "invocations_hour": 0, "duration_ms_hour": 500_000_000}), usedFree, config.FreeTierAlways, 13.3334, models.SourceAPI},
		// The free tier half used up this hour: 999,000 requests used before; 2,000 now -> 1,000 billable = 0.0002.
		{"lambda crossing free tier", res("lambda", models.KindFunction, "us-east-1", "fn-4", "x86_64", nil, map[string]float64{"memory_mb": 128, "invocations_hour": 2000}),
			&MonthToDate{Month: "2026-05", Usage: map[string]float64{freeLambdaRequests: 999_000}}, config.FreeTierAlways, 0.0002, models.SourceAPI},
		// FREE_TIER=none: 1000 requests = 0.0002; 12.5 GB-s x 0.0000166667 = 0.00020833375.
		{"lambda no free tier", res("lambda", models.KindFunction, "us-east-1", "fn-5", "x86_64", nil, map[string]float64{"memory_mb": 128, "invocations_hour": 1000, "duration_ms_hour": 100_000}), nil, config.FreeTierNone, 0.0002 + 12.5*0.0000166667, models.SourceAPI},
		// S3 Standard 60 TB: 51,200 x 0.023 + 10,240 x 0.022 = 1,402.88 per month.
		{"s3 across 50 TB", res("s3", models.KindBucket, "us-east-1", "big", "bucket", nil, map[string]float64{"bytes_StandardStorage": 61440 * gib}), nil, "", 1402.88 / 730, models.SourceAPI},
		// 10 GB Standard + 100 GB Standard-IA: 0.23 + 1.25 = 1.48 per month.
		{"s3 classes", res("s3", models.KindBucket, "us-east-1", "mixed", "bucket", nil, map[string]float64{"bytes_StandardStorage": 10 * gib, "bytes_StandardIAStorage": 100 * gib}), nil, config.FreeTierAlways, 1.48 / 730, models.SourceAPI},
		// Under FREE_TIER=legacy the first 5 GB are free: (10 - 5) x 0.023 = 0.115 per month.
		{"s3 legacy free tier", res("s3", models.KindBucket, "us-east-1", "small", "bucket", nil, map[string]float64{"bytes_StandardStorage": 10 * gib}), nil, config.FreeTierLegacy, 0.115 / 730, models.SourceAPI},
		// CloudFront inside the free tier: 100 GiB and 1M requests this month -> 0.
		{"cloudfront within free tier", res("cloudfront", models.KindDistribution, models.GlobalRegion, "E1", "distribution", nil, map[string]float64{"bytes_out_hour": 100 * gib, "requests_hour": 1_000_000}), nil, "", 0, models.SourceAPI},
		// Beyond it: 100 GiB x 0.085 = 8.50; 1M HTTPS requests x 0.000001 = 1.00.
		{"cloudfront beyond free tier", res("cloudfront", models.KindDistribution, models.GlobalRegion, "E2", "distribution", nil, map[string]float64{"bytes_out_hour": 100 * gib, "requests_hour": 1_000_000}), usedFree, "", 9.50, models.SourceAPI},
		// 25 custom metrics, 10 free: 15 x 0.30 = 4.50 per month.
		{"cloudwatch metrics", res("cloudwatch", models.KindMetricNamespace, "us-east-1", "App", "custom-metrics", nil, map[string]float64{"metrics": 25}), nil, "", 4.50 / 730, models.SourceAPI},
		// A high-resolution alarm: 0.30 per month, i.e. 0.30/730 per hour (never 0.30 x 730).
		{"cloudwatch high-res alarm", res("cloudwatch", models.KindAlarm, "us-east-1", "cpu-hi", "high-resolution", nil, map[string]float64{"metrics": 1}), nil, "", 0.30 / 730, models.SourceAPI},
		// A standard alarm within the 10 free alarm metrics.
		{"cloudwatch standard alarm free", res("cloudwatch", models.KindAlarm, "us-east-1", "cpu", "standard", nil, map[string]float64{"metrics": 1}), nil, "", 0, models.SourceAPI},
		// Logs: 2 GiB ingested after the 5 free GB = 1.00; 10 GiB stored x 0.03 = 0.30 per month.
		{"cloudwatch logs", res("cloudwatch", models.KindLogGroup, "us-east-1", "/app", "log-group", nil, map[string]float64{"ingested_bytes_hour": 2 * gib, "stored_bytes": 10 * gib}), usedFree, "", 1.00 + 0.30/730, models.SourceAPI},
		// WAF: (5.00 ACL + 3 x 1.00 rules) per month + 1M requests x 0.60 per million.
		{"waf", res("waf", models.KindWebACL, "us-east-1", "acl-1", "REGIONAL", nil, map[string]float64{"rules": 3, "requests_hour": 1_000_000}), nil, "", 8.00/730 + 0.60, models.SourceAPI},
		// Q Business: 2 Lite x 3.00 + 1 Pro x 20.00 = 26.00 per month, a list price (fallback).
		{"q business", res("q", models.KindApplication, "us-east-1", "app-1", "qbusiness", nil, map[string]float64{"users_lite": 2, "users_pro": 1}), nil, "", 26.00 / 730, models.SourceFallback},
		// FSx Windows SSD Single-AZ: 32 GB x 0.13 + 8 MB/s x 2.20 = 4.16 + 17.60 = 21.76 per month.
		{"fsx windows", res("fsx", models.KindFileSystem, "us-east-1", "fs-1", "WINDOWS", map[string]string{"deployment_type": "SINGLE_AZ_2", "storage_type": "SSD"}, map[string]float64{"storage_gb": 32, "throughput_mbps": 8}), nil, "", 21.76 / 730, models.SourceAPI},
		// Lightsail: the bundle's own price, 5.00 per month.
		{"lightsail bundle", res("lightsail", models.KindInstance, "us-east-1", "web-1", "nano_3_0", nil, map[string]float64{"bundle_price_usd_month": 5, "transfer_allowance_gb": 1024}), nil, "", 5.00 / 730, models.SourceAPI},
		// An unattached Lightsail static IP: 0.005 per hour.
		{"lightsail idle static ip", res("lightsail", models.KindStaticIP, "us-east-1", "ip-1", "static-ip", nil, nil), nil, "", 0.005, models.SourceFallback},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := newTestPricer(t, srv, nil, tc.freeTier)
			got, _, err := p.PriceScan(context.Background(), []models.Resource{tc.r}, tc.mtd)
			if err != nil {
				t.Fatal(err)
			}
			c := got[0].Cost
			if !c.Priced {
				t.Fatalf("unpriced: %s", c.Note)
			}
			near(t, "hourly", c.HourlyUSD, tc.wantHourly)
			near(t, "monthly", c.MonthlyUSD, tc.wantHourly*730)
			if c.Source != tc.source {
				t.Errorf("source = %q, want %q (%s)", c.Source, tc.source, c.Note)
			}
		})
	}
}

func TestListPriceFigures(t *testing.T) {
	// The headline figures, to the cent.
	srv := catalogueServer(t)
	p := newTestPricer(t, srv, nil, "")
	rs := []models.Resource{
		res("ec2", models.KindInstance, "us-east-1", "i-1", "t3.micro", map[string]string{"platform": "Linux/UNIX"}, nil),
		res("ec2", models.KindInstance, "ap-northeast-1", "i-2", "m5.large", map[string]string{"platform": "Linux/UNIX"}, nil),
		res("ebs", models.KindVolume, "us-east-1", "vol-1", "gp3", nil, map[string]float64{"size_gb": 100, "iops": 3000, "throughput_mbps": 125}),
		res("vpc", models.KindNATGateway, "us-east-1", "nat-1", "nat-gateway", nil, map[string]float64{"bytes_processed_hour": 2 * gib}),
	}
	got, _, err := p.PriceScan(context.Background(), rs, nil)
	if err != nil {
		t.Fatal(err)
	}
	cents := func(f float64) int64 { return int64(f*100 + 0.5) }
	if got[0].HourlyUSD != 0.0104 || got[0].Source != models.SourceAPI {
		t.Errorf("t3.micro = %v (%s), want 0.0104 api", got[0].HourlyUSD, got[0].Source)
	}
	if got[1].HourlyUSD != 0.124 {
		t.Errorf("m5.large ap-northeast-1 = %v, want 0.124", got[1].HourlyUSD)
	}
	if cents(got[2].MonthlyUSD) != 800 {
		t.Errorf("100 GB gp3 = %v per month, want 8.00", got[2].MonthlyUSD)
	}
	near(t, "nat", got[3].HourlyUSD, 0.045+2*0.045)
}

func TestSharedFreeAllowances(t *testing.T) {
	// Two functions in two regions share one free tier: 600,000 + 600,000 requests this
	// hour, 1M free -> 200,000 billable x 0.0000002 = 0.04, split by usage (0.02 each).
	// Tokyo has no catalogue entry, so its price is the (equal) list price.
	srv := catalogueServer(t)
	p := newTestPricer(t, srv, nil, config.FreeTierAlways)
	rs := []models.Resource{
		res("lambda", models.KindFunction, "us-east-1", "a", "x86_64", nil, map[string]float64{"memory_mb": 128, "invocations_hour": 600_000}),
		res("lambda", models.KindFunction, "ap-northeast-1", "b", "x86_64", nil, map[string]float64{"memory_mb": 128, "invocations_hour": 600_000}),
	}
	got, next, err := p.PriceScan(context.Background(), rs, NewMonthToDate(hour))
	if err != nil {
		t.Fatal(err)
	}
	near(t, "a", got[0].HourlyUSD, 0.02)
	near(t, "b", got[1].HourlyUSD, 0.02)
	if got[1].Source != models.SourceFallback {
		t.Errorf("b source = %s, want fallback", got[1].Source)
	}
	near(t, "free used", next.Get(freeLambdaRequests), 1_200_000)

	// The next hour starts from there: 100,000 more requests are all billable.
	rs[0].Usage["invocations_hour"] = 100_000
	again, _, err := p.PriceScan(context.Background(), rs[:1], roundTrip(t, next))
	if err != nil {
		t.Fatal(err)
	}
	near(t, "after free tier", again[0].HourlyUSD, 100_000*0.0000002)
}

// roundTrip persists and reloads a MonthToDate the way the collect job will.
func roundTrip(t *testing.T, m *MonthToDate) *MonthToDate {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var out MonthToDate
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return &out
}

func TestMonthToDateRollsOver(t *testing.T) {
	m := &MonthToDate{Month: "2026-05", Usage: map[string]float64{freeLambdaRequests: 5}}
	if got := m.For(time.Date(2026, 5, 31, 23, 0, 0, 0, time.UTC)).Get(freeLambdaRequests); got != 5 {
		t.Errorf("same month = %v, want 5", got)
	}
	june := m.For(time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	if june.Month != "2026-06" || june.Get(freeLambdaRequests) != 0 {
		t.Errorf("new month = %+v, want empty June", june)
	}
	// For returns a copy: advancing it leaves the original alone.
	c := m.For(time.Date(2026, 5, 2, 0, 0, 0, 0, time.UTC))
	c.add(freeLambdaRequests, 1)
	if m.Get(freeLambdaRequests) != 5 {
		t.Error("For shares its map with the original")
	}
}

func TestTieredFlowIsMonthToDate(t *testing.T) {
	// CloudFront at 10,200 GB billable so far this month: the next 100 GB straddle the
	// 10 TB (10,240 GB) boundary: 40 x 0.085 + 60 x 0.080 = 3.40 + 4.80 = 8.20.
	srv := catalogueServer(t)
	p := newTestPricer(t, srv, nil, config.FreeTierNone)
	mtd := &MonthToDate{Month: "2026-05", Usage: map[string]float64{"tier:cloudfront-out": 10200}}
	r := res("cloudfront", models.KindDistribution, models.GlobalRegion, "E3", "distribution", nil, map[string]float64{"bytes_out_hour": 100 * gib})
	got, next, err := p.PriceScan(context.Background(), []models.Resource{r}, mtd)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "hourly", got[0].HourlyUSD, 8.20)
	near(t, "tier meter", next.Get("tier:cloudfront-out"), 10300)
	if mtd.Get("tier:cloudfront-out") != 10200 {
		t.Error("PriceScan modified its input month-to-date")
	}
}

func TestLightsailOverage(t *testing.T) {
	p := newTestPricer(t, nil, nil, "")
	base := map[string]float64{"bundle_price_usd_month": 10, "transfer_allowance_gb": 1000}
	with := func(kv map[string]float64) map[string]float64 {
		u := map[string]float64{}
		for k, v := range base {
			u[k] = v
		}
		for k, v := range kv {
			u[k] = v
		}
		return u
	}
	bundle := 10.0 / 730
	tests := []struct {
		name        string
		region      string
		usage       map[string]float64
		billedGB    float64 // before this scan (the month-to-date meter)
		wantHourly  float64
		wantMeterGB float64
		wantNote    string
	}{
		// The guard's pool: 1,040 GB used of a 1,000 GB allowance, 30 GB of it out: 40 GB
		// over, of which only the 30 GB out is billed: 30 x 0.09.
		{"the guard's figures, first scan of the month", "us-east-1",
			with(map[string]float64{"transfer_used_month_gb": 1040, "transfer_out_month_gb": 30, "transfer_allowance_month_gb": 1000}), 0, bundle + 30*0.09, 30, ""},
		{"an hour later only what became billable since", "us-east-1",
			with(map[string]float64{"transfer_used_month_gb": 1050, "transfer_out_month_gb": 40, "transfer_allowance_month_gb": 1000}), 30, bundle + 10*0.09, 40, ""},
		{"a prorated allowance from the guard counts, not the bundle's", "us-east-1",
			with(map[string]float64{"transfer_used_month_gb": 600, "transfer_out_month_gb": 600, "transfer_allowance_month_gb": 500}), 0, bundle + 100*0.09, 100, ""},
		{"within the allowance", "us-east-1",
			with(map[string]float64{"transfer_used_month_gb": 999, "transfer_out_month_gb": 999, "transfer_allowance_month_gb": 1000}), 0, bundle, 0, ""},
		{"without the guard's figures: the instance's own since the 1st", "ap-northeast-1",
			with(map[string]float64{"bytes_in_month": 500e9, "bytes_out_month": 520e9}), 0, bundle + 20*0.14, 20, ""},
		{"Jakarta has a rate too", "ap-southeast-3",
			with(map[string]float64{"transfer_used_month_gb": 1010, "transfer_out_month_gb": 1010, "transfer_allowance_month_gb": 1000}), 0, bundle + 10*0.17, 10, "highest Lightsail rate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := res("lightsail", models.KindInstance, tt.region, "web-1", "small_3_0", nil, tt.usage)
			meter := "lightsail-overage-gb:" + r.Key()
			mtd := &MonthToDate{Month: "2026-05", Usage: map[string]float64{meter: tt.billedGB}}
			got, next, err := p.PriceScan(context.Background(), []models.Resource{r}, mtd)
			if err != nil {
				t.Fatal(err)
			}
			near(t, "hourly", got[0].HourlyUSD, tt.wantHourly)
			near(t, "billed GB so far", next.Get(meter), tt.wantMeterGB)
			if tt.wantHourly > bundle && got[0].Source != models.SourceFallback {
				t.Errorf("source = %s, want fallback (overage from the built-in table)", got[0].Source)
			}
			if !strings.Contains(got[0].Note, tt.wantNote) {
				t.Errorf("note %q, want it to say %q", got[0].Note, tt.wantNote)
			}
		})
	}
}
