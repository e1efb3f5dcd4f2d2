package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"costbot/models"
	"costbot/pricing"
)

func TestScanResourceIsTheResourceWithItsAccountAndPrice(t *testing.T) {
	priced := models.PricedResource{
		Resource: models.Resource{AccountID: "111111111111", Service: "ec2", Region: "us-east-1", ID: "i-1", Name: "web",
			Kind: models.KindInstance, Type: "t3.micro", State: "running", Attrs: map[string]string{"zone": "us-east-1a"}},
		Cost: models.Cost{HourlyUSD: 0.0104, MonthlyUSD: 0.0104 * 730, Source: models.SourceAPI, Priced: true},
	}
	unpriced := models.PricedResource{
		Resource: models.Resource{AccountID: "222222222222", Service: "fsx", Region: "us-east-1", ID: "fs-1", Kind: models.KindFileSystem, Type: "ONTAP"},
		Cost:     models.Cost{Note: "no price for ONTAP SSD in us-east-1"},
	}
	tests := []struct {
		name string
		in   models.PricedResource
		acct string
		want map[string]any
		none []string
	}{
		{"priced, account named", priced, "prod", map[string]any{"account": "111111111111", "account_name": "prod", "service": "ec2",
			"region": "us-east-1", "id": "i-1", "name": "web", "kind": "instance", "type": "t3.micro", "state": "running",
			"waste": false, "hourly_usd": 0.0104, "price_source": "api", "usage": map[string]any{}, "attrs": map[string]any{"zone": "us-east-1a"}}, nil},
		{"unpriced, account unnamed", unpriced, "", map[string]any{"account": "222222222222", "hourly_usd": nil, "monthly_usd": nil,
			"price_source": "unpriced", "note": "no price for ONTAP SSD in us-east-1"}, []string{"account_name", "priced", "created_at"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := json.Marshal(toScanResource(tt.in, tt.acct))
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatal(err)
			}
			for k, want := range tt.want {
				v, ok := got[k]
				if !ok {
					t.Errorf("%s: no %q in %s", tt.name, k, raw)
					continue
				}
				if w, _ := json.Marshal(want); string(w) != mustJSON(t, v) {
					t.Errorf("%s: %q = %s, want %s", tt.name, k, mustJSON(t, v), w)
				}
			}
			for _, k := range tt.none {
				if _, ok := got[k]; ok {
					t.Errorf("%s: %q should be absent: %s", tt.name, k, raw)
				}
			}
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// An unpriced resource, or a service with nothing priced, is said unpriced with its
// reason, never $0.00.
func TestScanTableNeverPricesTheUnpricedAtZero(t *testing.T) {
	priced := []models.PricedResource{
		{Resource: models.Resource{AccountID: "111111111111", Service: "ec2", Region: "us-east-1", ID: "i-1", Type: "t3.micro"},
			Cost: models.Cost{HourlyUSD: 0.0104, MonthlyUSD: 0.0104 * 730, Source: models.SourceAPI, Priced: true}},
		{Resource: models.Resource{AccountID: "111111111111", Service: "fsx", Region: "us-east-1", ID: "fs-1", Type: "ONTAP"},
			Cost: models.Cost{Note: "no price for ONTAP SSD"}},
	}
	doc := &scanDocument{ScannedAt: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Account: "111111111111", Regions: []string{"us-east-1"},
		Totals: pricing.TotalsOf(priced)}
	for _, pr := range priced {
		doc.Resources = append(doc.Resources, toScanResource(pr, ""))
	}
	var out bytes.Buffer
	printScanTable(&out, doc)
	text := out.String()
	for _, want := range []string{"== fsx: 1 resources, unpriced", "unpriced: no price for ONTAP SSD", "== ec2: 1 resources, $0.0104/h, $7.59/month",
		"Total: 2 resources, $0.0104/h, $7.59/month + 1 unpriced"} {
		if !strings.Contains(text, want) {
			t.Errorf("scan table lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "$0.00") {
		t.Errorf("scan table prices something at $0.00:\n%s", text)
	}
}
