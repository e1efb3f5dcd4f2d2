package jobs

import (
	"context"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"

	"costbot/aws"
	"costbot/internal/awstest"
	"costbot/models"
	"costbot/pricing"
)

// The scan's Lightsail overage is the guard's figure: usage since the 1st (costbot first
// runs on the 20th), the usage of a deleted instance of the same bundle, and the pool's
// allowance, so /cost, /service lightsail and /lightsail never disagree.
func TestScanOverageIsTheGuards(t *testing.T) {
	start := time.Date(2025, 3, 20, 8, 0, 0, 0, time.UTC)
	f := newGuardFixture(t, start, map[string]string{"LIGHTSAIL_DRY_RUN": "true"})
	monthStart, _ := models.MonthBounds(start)
	f.ls.AddBundle(east, awstest.LightsailBundle{ID: "nano_3_0", Price: 3.5, TransferGB: 1000})
	f.ls.AddInstance(east, awstest.LightsailInstance{Name: "old", Bundle: "nano_3_0", AllowanceGB: 1000,
		CreatedAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)})
	f.ls.SetTraffic(east, "old", "NetworkOut", ramp(segment{monthStart, start, 300e9}))
	f.check()
	f.ls.RemoveInstance(east, "old")
	created := start.Add(time.Hour)
	f.ls.AddInstance(east, awstest.LightsailInstance{Name: "web", Bundle: "nano_3_0", AllowanceGB: 1000, CreatedAt: created})
	f.ls.SetTraffic(east, "web", "NetworkOut", ramp(segment{created, created.Add(2 * time.Hour), 800e9}))
	f.ls.SetTraffic(east, "web", "NetworkIn", ramp(segment{created, created.Add(2 * time.Hour), 20e9}))
	f.advanceTo(created.Add(3 * time.Hour))
	f.check()
	guard := f.latest(east, "web").Traffic()
	wantOverGB := guard.OverageBytes() / models.GB
	near(t, "fixture: the guard's overage GB", wantOverGB, 300+800+20-1000)

	scanner := &collectorScanner{collector: aws.NewLightsailCollector(f.clock.Now), cfg: f.ls.Config(east), now: f.clock.Now}
	prices := awstest.NewPricingServer(t, awstest.DefaultPricingCatalogue())
	pricer := pricing.New(f.store, pricing.NewAPIClient(prices.Config()), pricing.Options{Now: f.clock.Now})
	c := NewCollector(f.store, scanner, pricer, &fakeNotifier{}, CollectorOptions{Clock: f.clock})
	if _, err := c.Collect(context.Background()); err != nil {
		t.Fatal(err)
	}
	hour := f.clock.Now().UTC().Truncate(time.Hour)
	recs, err := f.store.CostRecordsAt(context.Background(), hour)
	if err != nil {
		t.Fatal(err)
	}
	var web *models.CostRecord
	for i := range recs {
		if recs[i].Service == "lightsail" && recs[i].ResourceID == "web" {
			web = &recs[i]
		}
	}
	if web == nil {
		t.Fatalf("no cost record of web among %d", len(recs))
	}
	// The month's overage so far lands in the first hour costbot prices: 120 GB x 0.09.
	near(t, "web's hour", web.CostUSD, 3.5/730+wantOverGB*0.09)

	// An hour later with no more traffic, nothing more is billed: the month adds up once.
	f.advanceTo(created.Add(4 * time.Hour))
	f.check()
	if _, err := c.Collect(context.Background()); err != nil {
		t.Fatal(err)
	}
	recs, err = f.store.CostRecordsAt(context.Background(), hour.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.Service == "lightsail" && r.ResourceID == "web" {
			near(t, "web's next hour", r.CostUSD, 3.5/730)
		}
	}
}

// collectorScanner scans with one real collector against a fake, without the STS call
// of a whole scan.
type collectorScanner struct {
	collector aws.Collector
	cfg       awssdk.Config
	now       func() time.Time
}

func (s *collectorScanner) Scan(ctx context.Context) (*aws.ScanResult, error) {
	rs, err := s.collector.Collect(ctx, s.cfg)
	task := aws.TaskResult{Service: s.collector.Name(), Region: s.cfg.Region, Resources: rs, Err: err}
	return &aws.ScanResult{ScannedAt: s.now(), Resources: rs, Tasks: []aws.TaskResult{task}}, nil
}

func TestEveryLightsailRegionHasAnOverageRate(t *testing.T) {
	prices := awstest.NewPricingServer(t, awstest.DefaultPricingCatalogue())
	pricer := pricing.New(nil, pricing.NewAPIClient(prices.Config()), pricing.Options{})
	for _, region := range aws.LightsailRegions {
		t.Run(region, func(t *testing.T) {
			r := models.Resource{Service: "lightsail", Kind: models.KindInstance, Region: region, ID: "web", Name: "web", Type: "nano_3_0",
				Attrs: map[string]string{}, Usage: map[string]float64{"bundle_price_usd_month": 5, "transfer_allowance_gb": 1000,
					"transfer_used_month_gb": 1010, "transfer_out_month_gb": 1010, "transfer_allowance_month_gb": 1000}}
			got, _, err := pricer.PriceScan(context.Background(), []models.Resource{r}, nil)
			if err != nil {
				t.Fatal(err)
			}
			perGB := (got[0].HourlyUSD - 5.0/730) / 10
			if perGB < 0.09 || perGB > 0.17+1e-9 {
				t.Errorf("overage %.4f/GB in %s: want a Lightsail rate (0.09 to 0.17)", perGB, region)
			}
		})
	}
}
