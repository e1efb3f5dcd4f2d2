package pricing

import (
	"context"
	"testing"

	"costbot/config"
	"costbot/models"
)

func TestFallbackMatchesDesignListPrices(t *testing.T) {
	for _, tc := range []struct {
		region, itype string
		want          float64
	}{
		{"us-east-1", "t3.micro", 0.0104}, {"us-east-1", "t3.small", 0.0208}, {"us-east-1", "m5.large", 0.096},
		{"us-east-1", "c5.xlarge", 0.17}, {"ap-northeast-1", "t3.micro", 0.0136}, {"ap-northeast-1", "m5.large", 0.124},
		{"us-east-1", "t3.nano", 0.0052}, {"us-east-1", "t2.small", 0.023}, {"us-east-1", "t4g.2xlarge", 0.2688},
		// Derived sizes are rounded to 4 decimals like AWS's: 0.0979 / 4 = 0.024475 -> 0.0245.
		{"ap-northeast-1", "t3a.small", 0.0245},
	} {
		r, ok := fallbackEC2(tc.region, tc.itype)
		if !ok {
			t.Errorf("%s %s: no fallback", tc.region, tc.itype)
			continue
		}
		near(t, tc.region+" "+tc.itype, r.Cost(1), tc.want)
	}
	if _, ok := fallbackEC2("us-east-1", "m5.4xlarge"); ok {
		t.Error("m5.4xlarge is outside the table but has a fallback")
	}
	if _, ok := fallbackEC2("eu-central-1", "t3.micro"); ok {
		t.Error("a region outside the table has a fallback")
	}
	checks := []struct {
		name string
		f    func() (Rate, bool)
		q    float64
		want float64
	}{
		{"gp3", func() (Rate, bool) { return fallbackEBS("us-east-1", "gp3") }, 1, 0.08},
		{"gp2", func() (Rate, bool) { return fallbackEBS("us-east-1", "gp2") }, 1, 0.10},
		{"st1", func() (Rate, bool) { return fallbackEBS("us-east-1", "st1") }, 1, 0.045},
		{"sc1", func() (Rate, bool) { return fallbackEBS("us-east-1", "sc1") }, 1, 0.015},
		{"io1 iops", func() (Rate, bool) { return fallbackPIOPS("us-east-1", "io1") }, 1, 0.065},
		// io2 40,000 IOPS: 32,000 x 0.065 + 8,000 x 0.0455 = 2,444.
		{"io2 iops tiers", func() (Rate, bool) { return fallbackPIOPS("us-east-1", "io2") }, 40000, 2444},
		{"nat", func() (Rate, bool) { return fallbackNAT("us-east-1") }, 1, 0.045},
		{"s3 standard 60 TB", func() (Rate, bool) { return fallbackS3("us-east-1", "TimedStorage-ByteHrs") }, 61440, 1402.88},
		{"rds mysql t3.micro", func() (Rate, bool) { return fallbackRDS("us-east-1", "mysql", "db.t3.micro", false) }, 1, 0.017},
		{"rds mysql t3.micro multi-az", func() (Rate, bool) { return fallbackRDS("us-east-1", "mysql", "db.t3.micro", true) }, 1, 0.034},
		{"lambda requests", func() (Rate, bool) { return fallbackLambdaRequests("us-east-1") }, 1e6, 0.20},
		{"lambda arm", func() (Rate, bool) { return fallbackLambdaDuration("us-east-1", "arm64") }, 1, 0.0000133334},
		{"cw metrics", func() (Rate, bool) { return fallbackCWMetrics("us-east-1") }, 1, 0.30},
		{"cw logs", func() (Rate, bool) { return fallbackCWLogsIngest("us-east-1") }, 1, 0.50},
		{"cw logs stored", func() (Rate, bool) { return fallbackCWLogsStorage("us-east-1") }, 1, 0.03},
		{"waf acl", func() (Rate, bool) { return fallbackWAF("acl") }, 1, 5},
		{"waf requests", func() (Rate, bool) { return fallbackWAF("request") }, 1e6, 0.60},
	}
	for _, c := range checks {
		r, ok := c.f()
		if !ok {
			t.Errorf("%s: no fallback", c.name)
			continue
		}
		near(t, c.name, r.Cost(c.q), c.want)
	}
}

func TestFallbackCoversTheDefaultRegions(t *testing.T) {
	p := New(nil, nil, Options{FreeTier: config.FreeTierNone})
	for _, region := range config.DefaultRegions {
		rs := []models.Resource{
			res("ec2", models.KindInstance, region, "i", "t3.micro", map[string]string{"platform": "Linux/UNIX"}, nil),
			res("ebs", models.KindVolume, region, "v", "gp3", nil, map[string]float64{"size_gb": 10, "iops": 4000, "throughput_mbps": 200}),
			res("vpc", models.KindNATGateway, region, "n", "nat-gateway", nil, map[string]float64{"bytes_processed_hour": gib}),
			res("vpc", models.KindElasticIP, region, "e", "public-ipv4", nil, nil),
			res("s3", models.KindBucket, region, "b", "bucket", nil, map[string]float64{"bytes_StandardStorage": gib}),
		}
		got, _, err := p.PriceScan(context.Background(), rs, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, pr := range got {
			if !pr.Priced || pr.HourlyUSD <= 0 || pr.Source != models.SourceFallback {
				t.Errorf("%s %s = %+v, want a positive fallback price", region, pr.ID, pr.Cost)
			}
		}
	}
}
