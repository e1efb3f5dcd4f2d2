package aws

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lightsail"
	lstypes "github.com/aws/aws-sdk-go-v2/service/lightsail/types"

	"costbot/internal/awstest"
	"costbot/models"
)

// fixtureDir holds the recorded AWS answers shared by the project (see its README).
const fixtureDir = "testdata" // copies of ../shared/fixtures/aws

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	return b
}

// fixtureInstance is what the tests compare against in lightsail-getinstances.json.
type fixtureInstance struct {
	Name        string  `json:"name"`
	Arn         string  `json:"arn"`
	SupportCode string  `json:"supportCode"`
	CreatedAt   float64 `json:"createdAt"`
	Location    struct {
		AvailabilityZone string `json:"availabilityZone"`
		RegionName       string `json:"regionName"`
	} `json:"location"`
	BlueprintID string `json:"blueprintId"`
	BundleID    string `json:"bundleId"`
	Networking  struct {
		MonthlyTransfer struct {
			GbPerMonthAllocated float64 `json:"gbPerMonthAllocated"`
		} `json:"monthlyTransfer"`
	} `json:"networking"`
	State struct {
		Name string `json:"name"`
	} `json:"state"`
}

func fixtureInstances(t *testing.T) ([]byte, []fixtureInstance) {
	t.Helper()
	raw := readFixture(t, "lightsail-getinstances.json")
	var doc struct {
		Instances []fixtureInstance `json:"instances"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil || len(doc.Instances) == 0 {
		t.Fatalf("decode fixture: %v (%d instances)", err, len(doc.Instances))
	}
	return raw, doc.Instances
}

func epochTime(sec float64) time.Time {
	return time.UnixMilli(int64(math.Round(sec * 1000))).UTC()
}

func pickResource(t *testing.T, rs []models.Resource, kind, id string) models.Resource {
	t.Helper()
	for _, r := range rs {
		if r.Kind == kind && r.ID == id {
			return r
		}
	}
	t.Fatalf("no %s %q among %d resources", kind, id, len(rs))
	return models.Resource{}
}

func realLightsail(cfg awssdk.Config) lightsailAPI { return lightsail.NewFromConfig(cfg) }

func TestLightsailRegionsAreConfiguredOnesWhereLightsailExists(t *testing.T) {
	c := &lightsailCollector{}
	got := c.Regions([]string{"ap-east-1", "ap-southeast-1", "us-west-1", "us-west-2"})
	if want := []string{"ap-southeast-1", "us-west-2"}; !slices.Equal(got, want) {
		t.Fatalf("Regions = %v, want %v", got, want)
	}
}

func TestLightsailCollectorAgainstFake(t *testing.T) {
	fake := awstest.StartLightsail(t)
	fake.SetPageSize(1) // every listing takes two pages or more
	raw, fixture := fixtureInstances(t)
	if err := fake.AddInstancesJSON("us-west-2", raw); err != nil {
		t.Fatal(err)
	}
	prices := map[string]float64{"large_win_3_0": 70, "medium_3_0": 24, "small_3_0": 12}
	fake.AddBundle("us-west-2", awstest.LightsailBundle{ID: "medium_3_0", Price: prices["medium_3_0"], TransferGB: 4096})
	// An old plan is listed only with includeInactive, and instances on it still cost.
	fake.AddBundle("us-west-2", awstest.LightsailBundle{ID: "large_win_3_0", Price: prices["large_win_3_0"], TransferGB: 3072, Inactive: true})
	fake.AddBundle("ap-southeast-1", awstest.LightsailBundle{ID: "small_3_0", Price: prices["small_3_0"], TransferGB: 3072})
	fake.AddBundle("ap-southeast-1", awstest.LightsailBundle{ID: "nano_3_0", Price: 5, TransferGB: 1024})
	fake.AddStaticIP("us-west-2", awstest.LightsailStaticIP{Name: "ip-idle", IP: "203.0.113.10"})
	fake.AddStaticIP("us-west-2", awstest.LightsailStaticIP{Name: "ip-used", IP: "203.0.113.11", AttachedTo: fixture[1].Name})
	sgCreated := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	sg := awstest.LightsailInstance{Name: "sg-web", Bundle: "small_3_0", Blueprint: "debian_12", Zone: "ap-southeast-1b",
		AllowanceGB: 2048, CreatedAt: sgCreated, State: "stopped"}
	fake.AddInstance("ap-southeast-1", sg)
	fake.AddDisk("ap-southeast-1", awstest.LightsailDisk{Name: "orphan", SizeGB: 32})
	fake.AddDisk("ap-southeast-1", awstest.LightsailDisk{Name: "data", SizeGB: 64, AttachedTo: "sg-web", Zone: "ap-southeast-1b"})
	fake.AddSnapshot("ap-southeast-1", awstest.LightsailSnapshot{Name: "sg-web-weekly", From: "sg-web", SizeGB: 60})
	fake.AddSnapshot("ap-southeast-1", awstest.LightsailSnapshot{Name: "data-before-resize", From: "data", Disk: true, SizeGB: 64})
	fake.AddSnapshot("ap-southeast-1", awstest.LightsailSnapshot{Name: "old-site", From: "deleted-instance", SizeGB: 40})

	c := &lightsailCollector{newAPI: realLightsail}
	ctx := awstest.Context(t)
	var all []models.Resource
	for _, region := range []string{"us-west-2", "ap-southeast-1"} {
		rs, err := c.Collect(ctx, fake.Config(region))
		if err != nil {
			t.Fatalf("collect %s: %v", region, err)
		}
		for _, r := range rs {
			if r.Region != region {
				t.Errorf("%s %s has region %q, want %q", r.Kind, r.ID, r.Region, region)
			}
		}
		all = append(all, rs...)
	}

	for _, f := range fixture {
		r := pickResource(t, all, models.KindInstance, f.Name)
		if r.Type != f.BundleID || r.State != f.State.Name || r.Attr("blueprint") != f.BlueprintID ||
			r.Attr("zone") != f.Location.AvailabilityZone {
			t.Errorf("%s: type %q state %q attrs %v", f.Name, r.Type, r.State, r.Attrs)
		}
		if r.Usage["transfer_allowance_gb"] != f.Networking.MonthlyTransfer.GbPerMonthAllocated {
			t.Errorf("%s: allowance %v, want %v", f.Name, r.Usage["transfer_allowance_gb"], f.Networking.MonthlyTransfer.GbPerMonthAllocated)
		}
		if r.Usage["bundle_price_usd_month"] != prices[f.BundleID] {
			t.Errorf("%s: bundle price %v, want %v", f.Name, r.Usage["bundle_price_usd_month"], prices[f.BundleID])
		}
		if !r.CreatedAt.Equal(epochTime(f.CreatedAt)) {
			t.Errorf("%s: created %v, want %v", f.Name, r.CreatedAt, epochTime(f.CreatedAt))
		}
	}
	got := pickResource(t, all, models.KindInstance, sg.Name)
	if got.Type != sg.Bundle || got.State != sg.State || got.Attr("zone") != sg.Zone || got.Attr("blueprint") != sg.Blueprint ||
		got.Usage["transfer_allowance_gb"] != float64(sg.AllowanceGB) || got.Usage["bundle_price_usd_month"] != prices[sg.Bundle] ||
		!got.CreatedAt.Equal(sgCreated) {
		t.Errorf("sg-web = %+v", got)
	}

	idle := pickResource(t, all, models.KindStaticIP, "ip-idle")
	used := pickResource(t, all, models.KindStaticIP, "ip-used")
	if !idle.Waste || used.Waste || idle.Type != "static-ip" || idle.Attr("public_ip") != "203.0.113.10" ||
		used.Attr("attached_to") != fixture[1].Name {
		t.Errorf("static IPs: idle %+v used %+v", idle, used)
	}
	orphan := pickResource(t, all, models.KindDisk, "orphan")
	data := pickResource(t, all, models.KindDisk, "data")
	if !orphan.Waste || data.Waste || orphan.Usage["size_gb"] != 32 || data.Usage["size_gb"] != 64 ||
		data.Attr("attached_to") != "sg-web" || data.Attr("zone") != "ap-southeast-1b" {
		t.Errorf("disks: orphan %+v data %+v", orphan, data)
	}
	for _, snap := range []struct {
		name, typ, source string
		size              float64
	}{{"sg-web-weekly", "instance", "sg-web", 60}, {"data-before-resize", "disk", "data", 64}, {"old-site", "instance", "deleted-instance", 40}} {
		r := pickResource(t, all, models.KindSnapshot, "snapshot/"+snap.name)
		if r.Type != snap.typ || r.Attr("source") != snap.source || r.Attr("upper_bound") != "true" || r.Usage["size_gb"] != snap.size {
			t.Errorf("snapshot %s = %+v", snap.name, r)
		}
	}
	if n := len(all); n != len(fixture)+1+2+2+3 {
		t.Errorf("%d resources, want instances, static IPs, block disks and snapshots only (system disks are part of the plan)", n)
	}

	// Every listing was read past its first page.
	for _, op := range []string{"GetInstances", "GetBundles", "GetStaticIps", "GetDisks", "GetInstanceSnapshots"} {
		paged := false
		for _, call := range fake.Calls(op) {
			paged = paged || call.Str("pageToken") != ""
		}
		if !paged {
			t.Errorf("%s: no call asked for a second page", op)
		}
	}
}

func TestLightsailResourcesPure(t *testing.T) {
	created := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	instances := []lstypes.Instance{{
		Name: awssdk.String("a"), BundleId: awssdk.String("micro_3_0"), BlueprintId: awssdk.String("ubuntu_22_04"),
		CreatedAt: &created, State: &lstypes.InstanceState{Name: awssdk.String("running")},
		Location:   &lstypes.ResourceLocation{AvailabilityZone: awssdk.String("ap-south-1a")},
		Networking: &lstypes.InstanceNetworking{MonthlyTransfer: &lstypes.MonthlyTransfer{GbPerMonthAllocated: awssdk.Int32(1536)}},
	}, {
		Name: awssdk.String("b"), BundleId: awssdk.String("retired_1_0"),
	}}
	prices := bundlePrices([]lstypes.Bundle{{BundleId: awssdk.String("micro_3_0"), Price: awssdk.Float32(7.5)}})
	rs := lightsailInstanceResources(instances, prices, "ap-south-1")
	a, b := rs[0], rs[1]
	if a.Usage["bundle_price_usd_month"] != 7.5 || a.Usage["transfer_allowance_gb"] != 1536 || a.Attr("zone") != "ap-south-1a" || !a.CreatedAt.Equal(created) {
		t.Errorf("a = %+v", a)
	}
	if _, ok := b.Usage["bundle_price_usd_month"]; ok || b.Usage["transfer_allowance_gb"] != 0 {
		t.Errorf("an instance on an unknown plan must have no price: %+v", b)
	}
	// A float32 price reads as its decimal value, not 0.10000000149.
	if got := bundlePrices([]lstypes.Bundle{{BundleId: awssdk.String("x"), Price: awssdk.Float32(0.1)}})["x"]; got != 0.1 {
		t.Errorf("price 0.1 read as %v", got)
	}

	disks := diskResources([]lstypes.Disk{
		{Name: awssdk.String("sys"), IsSystemDisk: awssdk.Bool(true), SizeInGb: awssdk.Int32(40)},
		{Name: awssdk.String("loose"), IsAttached: awssdk.Bool(false), SizeInGb: awssdk.Int32(8)},
	}, "ap-south-1")
	if len(disks) != 1 || disks[0].ID != "loose" || !disks[0].Waste {
		t.Errorf("disks = %+v", disks)
	}
}

// Each instance carries this month's traffic in and out since the 1st (UTC), which
// prices the overage beyond its allowance, however late in the month the first scan is.
func TestLightsailCollectorReadsTheMonthsTraffic(t *testing.T) {
	fake := awstest.StartLightsail(t)
	now := time.Date(2026, 11, 22, 10, 17, 0, 0, time.UTC)
	fake.SetClock(func() time.Time { return now })
	created := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	fake.AddBundle("eu-west-1", awstest.LightsailBundle{ID: "small_3_0", Price: 10, TransferGB: 2048})
	for _, name := range []string{"busy", "quiet"} {
		fake.AddInstance("eu-west-1", awstest.LightsailInstance{Name: name, Bundle: "small_3_0", AllowanceGB: 2048, CreatedAt: created})
	}
	fake.SetTraffic("eu-west-1", "busy", "NetworkIn", awstest.ConstantTraffic(3e6))
	fake.SetTraffic("eu-west-1", "busy", "NetworkOut", func(at time.Time) float64 { return float64(at.Minute()) * 1e6 })

	c := &lightsailCollector{newAPI: realLightsail, now: func() time.Time { return now }}
	rs, err := c.Collect(awstest.Context(t), fake.Config("eu-west-1"))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	busy := pickResource(t, rs, models.KindInstance, "busy")
	wantIn, wantOut := fake.TrafficBetween("eu-west-1", "busy", "NetworkIn", start, now), fake.TrafficBetween("eu-west-1", "busy", "NetworkOut", start, now)
	if wantIn < 21*24*12*3e6 || wantOut == 0 {
		t.Fatalf("fake traffic in %v out %v: the test's traffic is not set up", wantIn, wantOut)
	}
	if busy.Usage["bytes_in_month"] != wantIn || busy.Usage["bytes_out_month"] != wantOut {
		t.Errorf("busy: in %v out %v, want %v and %v (since the 1st)", busy.Usage["bytes_in_month"], busy.Usage["bytes_out_month"], wantIn, wantOut)
	}
	if !strings.HasPrefix(busy.Attr("arn"), "arn:aws:lightsail:eu-west-1:") {
		t.Errorf("busy arn %q: the pool needs the instance's identity", busy.Attr("arn"))
	}
	quiet := pickResource(t, rs, models.KindInstance, "quiet")
	if in, ok := quiet.Usage["bytes_in_month"]; !ok || in != 0 || quiet.Usage["bytes_out_month"] != 0 {
		t.Errorf("quiet: usage %v, want zero traffic recorded", quiet.Usage)
	}
}
