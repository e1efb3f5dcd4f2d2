package web

import (
	"testing"

	"costbot/models"
)

// A resource without a price shows "unpriced" and its reason, never $0.00; a price
// warning is shown; a stopped instance that costs nothing shows its state beside
// $0.0000; the overview says how many resources its totals leave out, per service and
// why. Names and reasons are escaped.
func TestUnpricedResourcesAreSaidSo(t *testing.T) {
	d := newDash(t, nil)
	d.seedMarch()
	rows := []models.ResourceRow{
		{Key: "a/fsx/eu-west-1/fs-1", Service: "fsx", Region: "eu-west-1", ResourceID: "fs-1", Type: "LUSTRE", State: "AVAILABLE", Active: true,
			PriceNote: "no price for <b>PERSISTENT_2</b> storage", Waste: true, WasteReason: "no client for 30 days",
			FirstSeen: utc("2025-03-02 00:00"), LastSeen: utc("2025-03-10 12:00")},
		{Key: "a/ec2/us-east-1/i-off", Service: "ec2", Region: "us-east-1", ResourceID: "i-off", Name: "idle", Type: "t3.small", State: "stopped",
			HourlyUSD: 0, MonthlyUSD: 0, PriceSource: "api", Priced: true, Active: true},
		{Key: "a/rds/us-east-1/db-1", Service: "rds", Region: "us-east-1", ResourceID: "db-1", Type: "db.t3.micro", State: "available",
			HourlyUSD: 0.017, MonthlyUSD: 12.41, PriceSource: "api", Priced: true, Active: true, PriceWarning: "MySQL 5.7: Extended Support adds <$0.10>/vCPU-h"},
	}
	if err := d.store.DB().Create(&rows).Error; err != nil {
		t.Fatal(err)
	}
	// seedMarch's Amazon Q app, unpriced, was seen this month: its $0 hours are no cost.
	if err := d.store.DB().Model(&models.ResourceRow{}).Where("resource_id = ?", "app-1").
		Updates(map[string]any{"first_seen": utc("2025-03-01 00:00"), "last_seen": utc("2025-03-10 12:00")}).Error; err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path, lang string
		want, not        []string
	}{
		{"overview en", "/", "en", []string{
			`id="left-out"`, "Not in these totals: resources without a price: 2",
			`<a href="/service/fsx">FSx</a>: unpriced (1): no price for &lt;b&gt;PERSISTENT_2&lt;/b&gt; storage`,
			`<a href="/service/q">Amazon Q</a>: unpriced (1)</li>`,
			`<span class="warn">unpriced</span> (no price for &lt;b&gt;PERSISTENT_2&lt;/b&gt; storage)`,
		}, []string{"fs-1</code> · eu-west-1 · $0.00"}},
		{"overview zh", "/", "zh", []string{"未计入这些合计：没有价格的资源: 2", "FSx</a>: 未定价 (1)"}, nil},
		{"fsx", "/service/fsx", "en", []string{`<span class="warn">unpriced</span><br><span class="muted">no price for &lt;b&gt;PERSISTENT_2&lt;/b&gt; storage</span>`}, []string{"$0.00"}},
		{"fsx zh", "/service/fsx", "zh", []string{"未定价"}, []string{"$0.00"}},
		{"ec2 stopped", "/service/ec2", "en", []string{`$0.0000 <span class="muted state">(stopped)</span>`}, []string{`$0.0960 <span class="muted state">`}},
		{"rds warning", "/service/rds", "en", []string{`⚠ Note: MySQL 5.7: Extended Support adds &lt;$0.10&gt;/vCPU-h`}, []string{"<$0.10>"}},
		{"rds warning zh", "/service/rds", "zh", []string{`⚠ 注意: MySQL 5.7`}, nil},
		// The month's totals leave the FSx file system out, and say so: by name, never $0.00.
		{"bills", "/bills", "en", []string{`<span class="warn">unpriced</span> (1)`}, nil},
		{"march", "/bills/2025-03", "en", []string{`id="left-out">Not in these totals: resources without a price: 2 · FSx 1 · Amazon Q 1</p>`,
			`<a href="/service/q">Amazon Q</a></td><td class="num" colspan="2"><span class="warn">unpriced</span> (1)</td>`}, []string{"$0.00"}},
		{"march zh", "/bills/2025-03", "zh", []string{"未计入这些合计：没有价格的资源: 2 · FSx 1 · Amazon Q 1"}, nil},
		{"february", "/bills/2025-02", "en", nil, []string{`id="left-out"`}},
	} {
		t.Run(tc.name, func(t *testing.T) { d.expectPage(t, tc.lang, tc.path, tc.want, tc.not) })
	}
}
