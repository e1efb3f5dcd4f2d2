package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"costbot/models"
)

// The Lightsail page shows what /lightsail shows beyond the usage: usage carried from
// deleted instances of the same plan (each named, escaped), an instance the guard is
// blind to with its last good reading's time, the instance costbot runs on; and the
// overage AWS billed this month per region, 0 GB when it billed none.
func TestLightsailPageShowsTheGuardsFacts(t *testing.T) {
	d := newDash(t, nil)
	d.seedMarch()
	d.seedBilled("")
	ctx := context.Background()
	carried, err := json.Marshal([]models.CarriedUsage{{Instance: `<script>old</script>`, Bundle: "nano_3_0", Bytes: 120e9, DeletedBy: utc("2025-03-05 02:00")}})
	if err != nil {
		t.Fatal(err)
	}
	lastGood := utc("2025-03-10 11:00")
	rows := []models.LightsailUsage{
		{CheckedAt: utc("2025-03-10 12:20"), Region: "ap-northeast-1", Instance: "shop", Cycle: "2025-03", State: "running", Bundle: "nano_3_0",
			UsedBytes: 300e9, CarriedBytes: 120e9, CarriedFrom: string(carried), AllowanceBytes: 1000e9, FullAllowanceBytes: 1000e9, Percent: 30,
			EstimateStatus: models.EstimateIdle, SelfHost: true},
		{CheckedAt: utc("2025-03-10 12:20"), Region: "ap-northeast-1", Instance: "dark", Cycle: "2025-03", State: "running",
			UsedBytes: 10e9, AllowanceBytes: 1000e9, FullAllowanceBytes: 1000e9, Percent: 1, EstimateStatus: models.EstimateIdle, Blind: true, LastGoodAt: &lastGood},
	}
	if err := d.store.SaveLightsailChecks(ctx, "", "ap-northeast-1", "2025-03", rows[0].CheckedAt, rows); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		lang string
		want []string
	}{
		{"en", []string{
			"costbot runs on this instance",
			"deleted instances of the same plan in this region (AWS counts them against this one): 120.00 GB",
			"↳ &lt;script&gt;old&lt;/script&gt; (nano_3_0, deleted by 2025-03-05 10:00 CST): 120.00 GB",
			"Blind: no traffic data since the last good reading, shown above (not 0), taken 2025-03-10 19:00 CST",
			`id="overage"`, "Lightsail overage billed by AWS this month", "through 2025-03-03", "ap-northeast-1: 2.00 GB ($0.28)",
		}},
		{"zh", []string{"costbot 运行在这台实例上", "同套餐已删除实例", "看不到流量", "AWS 本月计费的 Lightsail 超额流量", "ap-northeast-1: 2.00 GB ($0.28)"}},
	} {
		_, body := d.get(d.loggedIn(1001, tc.lang), "/lightsail")
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: lacks %q", tc.lang, w)
			}
		}
		if strings.Contains(body, "<script>old") {
			t.Errorf("%s: a carried instance's name reached the page unescaped", tc.lang)
		}
	}
	// A month AWS billed no overage for says 0 GB; without billing, nothing is said.
	clean := newDash(t, nil)
	clean.seedMarch()
	day := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	if err := clean.store.ReplaceBilled(ctx, "2025-03", day, day.AddDate(0, 0, 1), []models.BilledCost{
		{Day: day, Service: "Amazon Lightsail", UsageType: "APN1-BundleUsage:0.5GB", Record: models.RecordUsage, UnblendedUSD: 0.11, NetUSD: 0.11},
	}, false, utc("2025-03-02 06:00")); err != nil {
		t.Fatal(err)
	}
	if status, body := clean.get(clean.loggedIn(1001, "en"), "/lightsail"); status != http.StatusOK || !strings.Contains(body, "0 GB ✅ the guard kept every instance") {
		t.Errorf("no overage billed: %d, overage section missing", status)
	}
	off := newDash(t, map[string]string{"COST_EXPLORER_INTERVAL": "off"})
	off.seedMarch()
	off.seedBilled("")
	if _, body := off.get(off.loggedIn(1001, "en"), "/lightsail"); strings.Contains(body, `id="overage"`) {
		t.Error("with Cost Explorer off the page shows a billed overage")
	}
}
