package pricing

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"costbot/models"
)

// Each charge small accounts are surprised by, priced to the cent against real-shaped
// PriceList documents, in two regions.
func TestSurprisingChargesAgainstListPrices(t *testing.T) {
	srv := catalogueServer(t)
	mysql57 := func(region, id string) models.Resource {
		return res("rds", models.KindDBInstance, region, id, "db.t3.micro",
			map[string]string{"engine": "mysql", "engine_version": "5.7.44", "multi_az": "false", "storage_type": "gp2"},
			map[string]float64{"allocated_gb": 20})
	}
	pg12 := res("rds", models.KindDBInstance, "us-east-1", "pg", "db.t3.micro",
		map[string]string{"engine": "postgres", "engine_version": "12.19", "multi_az": "false", "storage_type": "gp2"}, map[string]float64{"allocated_gb": 20})
	pg12.State = "stopped"
	storageFull := mysql57("us-east-1", "full")
	storageFull.State = "storage-full"
	lb := func(region, typ string, usage map[string]float64) models.Resource {
		return res("elb", models.KindLoadBalancer, region, "lb-"+typ, typ, nil, usage)
	}
	lustre := func(region, dep string, perTiB, gb float64) models.Resource {
		return res("fsx", models.KindFileSystem, region, "fs-"+dep, "LUSTRE", map[string]string{"deployment_type": dep, "storage_type": "SSD"},
			map[string]float64{"storage_gb": gb, "throughput_per_tib": perTiB})
	}
	for _, tc := range []struct {
		name       string
		r          models.Resource
		wantHourly float64
		source     string
		note       string // a note the cost must carry
	}{
		// ALB: 0.0225 per hour + 2.5 LCU x 0.008 = 0.0425 (eu-west-1: 0.0252 + 0.020).
		{"alb us-east-1", lb("us-east-1", "application", map[string]float64{"lcu_hour": 2.5}), 0.0425, models.SourceAPI, ""},
		{"alb eu-west-1", lb("eu-west-1", "application", map[string]float64{"lcu_hour": 2.5}), 0.0452, models.SourceAPI, ""},
		// An idle NLB still costs its hour.
		{"nlb us-east-1", lb("us-east-1", "network", map[string]float64{"lcu_hour": 0}), 0.0225, models.SourceAPI, ""},
		{"nlb eu-west-1", lb("eu-west-1", "network", map[string]float64{"lcu_hour": 4}), 0.0252 + 4*0.006, models.SourceAPI, ""},
		{"gwlb us-east-1", lb("us-east-1", "gateway", map[string]float64{"lcu_hour": 1}), 0.0165, models.SourceAPI, ""},
		{"gwlb eu-west-1", lb("eu-west-1", "gateway", map[string]float64{"lcu_hour": 1}), 0.0185, models.SourceAPI, ""},
		// Classic: 0.025 + 3 GB x 0.008.
		{"classic us-east-1", lb("us-east-1", "classic", map[string]float64{"bytes_processed_hour": 3 * gib}), 0.049, models.SourceAPI, ""},
		{"classic eu-west-1", lb("eu-west-1", "classic", map[string]float64{"bytes_processed_hour": 3 * gib}), 0.052, models.SourceAPI, ""},
		// EBS snapshots: 100 GB standard at 0.05 = 5.00 a month, an upper bound; 200 GB archived at 0.0125 = 2.50.
		{"ebs snapshot us-east-1", res("ebs", models.KindSnapshot, "us-east-1", "snap-1", "standard", map[string]string{"upper_bound": "true"},
			map[string]float64{"size_gb": 100}), 5.00 / 730, models.SourceAPI, "upper bound"},
		{"ebs snapshot eu-west-1", res("ebs", models.KindSnapshot, "eu-west-1", "snap-2", "standard", map[string]string{"upper_bound": "true"},
			map[string]float64{"size_gb": 100}), 5.00 / 730, models.SourceAPI, "upper bound"},
		{"ebs archive us-east-1", res("ebs", models.KindSnapshot, "us-east-1", "snap-3", "archive", map[string]string{"upper_bound": "false"},
			map[string]float64{"size_gb": 200}), 2.50 / 730, models.SourceAPI, ""},
		{"ebs archive eu-west-1", res("ebs", models.KindSnapshot, "eu-west-1", "snap-4", "archive", nil, map[string]float64{"size_gb": 200}), 2.50 / 730, models.SourceAPI, ""},
		// RDS backup storage billed beyond the free allowance: 7 GB x 0.095 = 0.665 a month.
		{"rds backup us-east-1", res("rds", models.KindBackupStorage, "us-east-1", "shop/backup", "backup", nil, map[string]float64{"billed_bytes": 7 * gib}), 0.665 / 730, models.SourceAPI, ""},
		{"rds backup eu-west-1", res("rds", models.KindBackupStorage, "eu-west-1", "crm/backup", "backup", nil, map[string]float64{"billed_bytes": 7 * gib}), 0.665 / 730, models.SourceAPI, ""},
		// A manual snapshot of a live instance is inside its backup storage; one of a deleted
		// instance is billed whole: 50 GB x 0.095 = 4.75 a month, an upper bound.
		{"rds snapshot of live instance", res("rds", models.KindSnapshot, "us-east-1", "s1", "manual", map[string]string{"billed_with": "shop", "upper_bound": "true"},
			map[string]float64{"size_gb": 20}), 0, models.SourceAPI, "backup storage of shop"},
		{"rds orphan snapshot eu-west-1", res("rds", models.KindSnapshot, "eu-west-1", "s2", "manual", map[string]string{"upper_bound": "true"},
			map[string]float64{"size_gb": 50}), 4.75 / 730, models.SourceAPI, "upper bound"},
		// MySQL 5.7 in May 2026 is in Extended Support's third year: 2 vCPUs x 0.200 on top of
		// 0.017 and 20 GB x 0.115 (eu-west-1: 2 x 0.224 + 0.018 + 20 x 0.127).
		{"mysql 5.7 us-east-1", mysql57("us-east-1", "shop"), 0.4 + 0.017 + 20*0.115/730, models.SourceAPI, "upgrade to stop paying $292.00 a month"},
		{"mysql 5.7 eu-west-1", mysql57("eu-west-1", "crm"), 0.448 + 0.018 + 20*0.127/730, models.SourceAPI, "upgrade to stop paying $327.04 a month"},
		// Storage-full is billed like available.
		{"mysql storage-full", storageFull, 0.4 + 0.017 + 20*0.115/730, models.SourceAPI, ""},
		// A stopped PostgreSQL 12 pays storage and Extended Support (Year 1-2: 2 x 0.100), not its hours.
		{"postgres 12 stopped", pg12, 0.2 + 20*0.115/730, models.SourceAPI, "upgrade to stop paying"},
		// Lustre picks the SKU of its deployment type and per-TiB tier: 2400 GB x 0.210 (PERSISTENT_2, 250).
		{"lustre persistent_2 us-east-1", lustre("us-east-1", "PERSISTENT_2", 250, 2400), 2400 * 0.21 / 730, models.SourceAPI, ""},
		{"lustre persistent_2 eu-west-1", lustre("eu-west-1", "PERSISTENT_2", 250, 2400), 2400 * 0.231 / 730, models.SourceAPI, ""},
		{"lustre persistent_1 200", lustre("us-east-1", "PERSISTENT_1", 200, 1200), 1200 * 0.29 / 730, models.SourceAPI, ""},
		{"lustre scratch_2", lustre("eu-west-1", "SCRATCH_2", 0, 1200), 1200 * 0.154 / 730, models.SourceAPI, ""},
		// A BYOIP address is free; one held by a load balancer costs 0.005 an hour.
		{"byoip", res("vpc", models.KindElasticIP, "us-east-1", "eipalloc-b", "public-ipv4", map[string]string{"byoip": "true", "association_id": "a"}, nil), 0, models.SourceAPI, "BYOIP"},
		{"ip held by alb", res("vpc", models.KindPublicIP, "eu-west-1", "3.0.0.2", "public-ipv4", map[string]string{"holder": "alb", "holder_id": "web"}, nil), 0.005, models.SourceFallback, "held by alb web"},
		// Q Business index units: Enterprise 2 x 0.264, Starter 0.140.
		{"q enterprise index", res("q", models.KindIndex, "us-east-1", "a/ix", "enterprise", nil, map[string]float64{"units": 2}), 0.528, models.SourceFallback, ""},
		{"q starter index", res("q", models.KindIndex, "eu-west-1", "b/ix", "starter", nil, map[string]float64{"units": 1}), 0.14, models.SourceFallback, ""},
		// Lightsail snapshot: 60 GB x 0.05 = 3.00 a month, an upper bound.
		{"lightsail snapshot", res("lightsail", models.KindSnapshot, "ap-southeast-1", "snapshot/weekly", "instance", nil, map[string]float64{"size_gb": 60}), 3.00 / 730, models.SourceFallback, "upper bound"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := scanOne(t, newTestPricer(t, srv, nil, ""), tc.r)
			if !c.Priced {
				t.Fatalf("unpriced: %s", c.Note)
			}
			near(t, "hourly", c.HourlyUSD, tc.wantHourly)
			if c.Source != tc.source {
				t.Errorf("source = %q, want %q (%s)", c.Source, tc.source, c.Note)
			}
			if tc.note != "" && !strings.Contains(c.Note, tc.note) {
				t.Errorf("note %q does not say %q", c.Note, tc.note)
			}
			// Upper bounds and Extended Support are warnings a view shows beside the figure.
			for _, w := range []string{"upper bound", "upgrade to stop paying"} {
				if strings.Contains(tc.note, w) && !strings.Contains(c.Warning, tc.note) {
					t.Errorf("warning %q does not say %q", c.Warning, tc.note)
				}
			}
		})
	}
}

// RDS IOPS are looked up for the instance's own volume type: io2's products are not io1's.
func TestRDSIOPSLookupNamesTheVolumeType(t *testing.T) {
	srv := catalogueServer(t)
	p := newTestPricer(t, srv, nil, "")
	for _, st := range []string{"io1", "io2"} {
		r := res("rds", models.KindDBInstance, "us-east-1", "db-"+st, "db.t3.micro",
			map[string]string{"engine": "mysql", "engine_version": "8.4.3", "multi_az": "false", "storage_type": st},
			map[string]float64{"allocated_gb": 100, "iops": 3000})
		got, _, err := p.PriceScan(context.Background(), []models.Resource{r}, nil)
		if err != nil {
			t.Fatal(err)
		}
		// 0.017 + 100 GB x 0.125 + 3000 IOPS x 0.10 a month.
		near(t, st+" hourly", got[0].HourlyUSD, 0.017+(12.5+300)/730)
	}
	var asked []string
	for _, req := range srv.Requests() {
		if fam, _ := req.Filter("productFamily"); fam == "Provisioned IOPS" {
			v, ok := req.Filter("volumeType")
			if !ok {
				t.Errorf("an IOPS lookup without volumeType: %+v", req.Filters)
			}
			asked = append(asked, v)
		}
	}
	slices.Sort(asked)
	if !slices.Equal(slices.Compact(asked), []string{"Provisioned IOPS", "Provisioned IOPS-IO2"}) {
		t.Errorf("IOPS looked up for volume types %q, want io1's and io2's", asked)
	}
}

func TestExtendedSupportYear(t *testing.T) {
	for _, tc := range []struct {
		engine, version string
		at              time.Time
		want            string
	}{
		{"mysql", "5.7.44", time.Date(2024, 2, 29, 23, 0, 0, 0, time.UTC), ""},
		{"mysql", "5.7.44", time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), "Year 1, Year 2"},
		{"mysql", "5.7.44", time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), "Year 3"},
		{"mysql", "8.0.36", time.Date(2026, 7, 31, 0, 0, 0, 0, time.UTC), ""},
		{"mysql", "8.0.36", time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC), "Year 1, Year 2"},
		{"mysql", "8.4.3", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), ""},
		{"postgres", "11.22", time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), "Year 1, Year 2"},
		{"postgres", "12.19", time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), "Year 1, Year 2"},
		{"postgres", "16.4", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), ""},
		{"aurora-mysql", "5.7.mysql_aurora.2.11.2", time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), "Year 1, Year 2"},
		{"aurora-mysql", "5.7.mysql_aurora.2.11.2", time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), "Year 1, Year 2"},
		{"mariadb", "10.6.19", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), ""},
	} {
		if _, got := extendedSupportYear(tc.engine, tc.version, tc.at); got != tc.want {
			t.Errorf("%s %s at %s = %q, want %q", tc.engine, tc.version, tc.at.Format("2006-01-02"), got, tc.want)
		}
	}
}

func TestRDSBilledStates(t *testing.T) {
	for state, want := range map[string]bool{
		"available": true, "backing-up": true, "modifying": true, "storage-full": true, "maintenance": true,
		"upgrading": true, "incompatible-parameters": true, "rebooting": true, "stopping": true,
		"stopped": false, "creating": false, "deleting": false, "failed": false,
	} {
		if got := rdsBilled(state); got != want {
			t.Errorf("rdsBilled(%q) = %v, want %v", state, got, want)
		}
	}
}

// A first start on the 20th: the resources carry the month so far, and the free tier
// falls where AWS puts it. 900,000 requests before the hour and 200,000 in it: 100,000
// billed. Without the month so far the hour would look free.
func TestMonthSoFarSeedsTheFreeTier(t *testing.T) {
	srv := catalogueServer(t)
	fn := res("lambda", models.KindFunction, "us-east-1", "api", "x86_64", nil,
		map[string]float64{"memory_mb": 128, "invocations_hour": 200_000, models.MonthSoFarPrefix + "invocations_hour": 900_000})
	p := newTestPricer(t, srv, nil, "")
	got, after, err := p.PriceScan(context.Background(), []models.Resource{fn}, NewMonthToDate(hour))
	if err != nil {
		t.Fatal(err)
	}
	near(t, "hourly", got[0].HourlyUSD, 100_000*0.0000002)
	near(t, "requests this month", after.Get(freeLambdaRequests), 1_100_000)

	// A meter already counted higher is kept.
	ahead := &MonthToDate{Month: "2026-05", Usage: map[string]float64{freeLambdaRequests: 2_000_000}}
	if s := p.SeedMonthSoFar([]models.Resource{fn}, ahead); s.Get(freeLambdaRequests) != 2_000_000 {
		t.Errorf("seeded %v over a higher count", s.Get(freeLambdaRequests))
	}
}

func TestAdvancedRepeatsAnHour(t *testing.T) {
	before := &MonthToDate{Month: "2026-12", Usage: map[string]float64{"free:a": 10, "tier:b": 5}}
	after := &MonthToDate{Month: "2026-12", Usage: map[string]float64{"free:a": 15, "tier:b": 5, "free:c": 2}}
	got := after.Advanced(before, after, 3)
	for k, want := range map[string]float64{"free:a": 30, "tier:b": 5, "free:c": 8} {
		if got.Get(k) != want {
			t.Errorf("%s = %v, want %v", k, got.Get(k), want)
		}
	}
}
