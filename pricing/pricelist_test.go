package pricing

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

func near(t *testing.T, name string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
		t.Errorf("%s = %.12f, want %.12f", name, got, want)
	}
}

func TestParsePriceListRealFixture(t *testing.T) {
	raw, err := os.ReadFile("testdata/pricing-getproducts-ebs-io1-ap-southeast-1.json")
	if err != nil {
		t.Fatal(err)
	}
	var answer struct {
		PriceList []string `json:"PriceList"`
		NextToken string   `json:"NextToken"`
	}
	if err := json.Unmarshal(raw, &answer); err != nil {
		t.Fatal(err)
	}
	prods, err := ParsePriceLists(answer.PriceList)
	if err != nil {
		t.Fatal(err)
	}
	if len(prods) != 1 {
		t.Fatalf("products = %d, want 1", len(prods))
	}
	p := prods[0]
	if p.SKU != "3MKHN58N7RDDVGKJ" || p.Family != "Storage" {
		t.Errorf("sku/family = %s/%s", p.SKU, p.Family)
	}
	if got := baseUsageType(p.Attributes["usagetype"]); got != "EBS:VolumeUsage.piops" {
		t.Errorf("base usage type = %q", got)
	}
	r, err := p.Rate()
	if err != nil {
		t.Fatal(err)
	}
	if r.Unit != "GB-Mo" || len(r.Tiers) != 1 || !math.IsInf(r.Tiers[0].End, 1) {
		t.Fatalf("rate = %+v", r)
	}
	near(t, "price", r.Tiers[0].USD, 0.138)
	// 100 GB of io1 in Singapore: 100 x 0.138 = 13.80 per month.
	near(t, "100 GB", r.Cost(100), 13.80)
}

// A document with three tiers whose dimensions arrive in no particular order (they are
// a JSON object), as S3 Standard's does.
const s3StandardDoc = `{"product":{"productFamily":"Storage","attributes":{"regionCode":"us-east-1","usagetype":"TimedStorage-ByteHrs","volumeType":"Standard"},"sku":"WP9ANXZGBYYSGJEA"},"serviceCode":"AmazonS3","terms":{"OnDemand":{"WP9ANXZGBYYSGJEA.JRTCKXETXF":{"priceDimensions":{
"WP9ANXZGBYYSGJEA.JRTCKXETXF.D42MF2PVJS":{"unit":"GB-Mo","endRange":"Inf","beginRange":"512000","pricePerUnit":{"USD":"0.0210000000"}},
"WP9ANXZGBYYSGJEA.JRTCKXETXF.PGHJ3S3EYE":{"unit":"GB-Mo","endRange":"51200","beginRange":"0","pricePerUnit":{"USD":"0.0230000000"}},
"WP9ANXZGBYYSGJEA.JRTCKXETXF.PXJDJ3YSKK":{"unit":"GB-Mo","endRange":"512000","beginRange":"51200","pricePerUnit":{"USD":"0.0220000000"}}}}},
"Reserved":{}}}`

func TestParsePriceListTiers(t *testing.T) {
	p, err := ParsePriceList(s3StandardDoc)
	if err != nil {
		t.Fatal(err)
	}
	r, err := p.Rate()
	if err != nil {
		t.Fatal(err)
	}
	wantBegins := []float64{0, 51200, 512000}
	for i, tier := range r.Tiers {
		if tier.Begin != wantBegins[i] {
			t.Errorf("tier %d begins at %v, want %v", i, tier.Begin, wantBegins[i])
		}
	}
	cases := []struct {
		name string
		gb   float64
		want float64
	}{
		// 1,000 GB all in the first tier: 1000 x 0.023 = 23.00
		{"first tier", 1000, 23.00},
		// 60 TB = 61,440 GB: 51,200 x 0.023 = 1,177.60 + 10,240 x 0.022 = 225.28 -> 1,402.88
		{"across 50 TB", 61440, 1402.88},
		// 600 TB = 614,400 GB: 1,177.60 + 460,800 x 0.022 = 10,137.60 + 102,400 x 0.021 = 2,150.40 -> 13,465.60
		{"over 500 TB", 614400, 13465.60},
		{"nothing", 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { near(t, "cost", r.Cost(tc.gb), tc.want) })
	}
}

func TestParsePriceListErrors(t *testing.T) {
	if _, err := ParsePriceList("not json"); err == nil {
		t.Error("bad JSON parsed")
	}
	p, err := ParsePriceList(`{"product":{"sku":"X","attributes":{}},"terms":{"Reserved":{}}}`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Rate(); err == nil {
		t.Error("a product with no on-demand terms has a rate")
	}
}

func TestRateCostStartsAtFirstBegin(t *testing.T) {
	// A price list that starts charging gp3 IOPS at 3000 encodes the free baseline.
	r := Rate{Unit: "IOPS-Mo", Tiers: []Tier{{Begin: 3000, End: math.Inf(1), USD: 0.005}}}
	near(t, "at baseline", r.Cost(3000), 0)
	near(t, "6000 IOPS", r.Cost(6000), 15)
}

func TestBaseUsageType(t *testing.T) {
	for in, want := range map[string]string{
		"APN1-NatGateway-Hours": "NatGateway-Hours", "NatGateway-Hours": "NatGateway-Hours",
		"USE1-PublicIPv4:InUseAddress": "PublicIPv4:InUseAddress", "EU-DataProcessing-Bytes": "DataProcessing-Bytes",
		"EBS:VolumeP-IOPS.gp3": "EBS:VolumeP-IOPS.gp3", "CW:AlarmMonitorUsage": "CW:AlarmMonitorUsage",
		"TimedStorage-ByteHrs": "TimedStorage-ByteHrs",
	} {
		if got := baseUsageType(in); got != want {
			t.Errorf("baseUsageType(%q) = %q, want %q", in, got, want)
		}
	}
}
