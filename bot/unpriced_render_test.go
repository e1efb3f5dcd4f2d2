package bot

import (
	"strings"
	"testing"
	"time"

	"costbot/figures"
	costmodels "costbot/models"
)

// No view shows $0 for what it could not price: each says "unpriced" with why, totals
// say how many resources they leave out, and a resource that costs nothing this hour
// because it is stopped says so.
func TestUnpricedIsNeverZero(t *testing.T) {
	for _, lang := range []string{"en", "zh"} {
		t.Run(lang, func(t *testing.T) {
			tr := testCatalog(t).translator(lang)
			unpriced := renderResource(tr, 1, costmodels.ResourceRow{ResourceID: "fs-1", Type: "LUSTRE", Region: "eu-west-1",
				Priced: false, PriceNote: "no price for storage"})
			mustContain(t, "unpriced resource", unpriced, tr.T(msgID{"service.item_unpriced"},
				map[string]any{"Type": "LUSTRE", "Region": "eu-west-1", "Reason": "no price for storage"}))
			if strings.Contains(unpriced, "$0") {
				t.Errorf("unpriced resource shown with an amount: %s", unpriced)
			}

			stopped := renderResource(tr, 2, costmodels.ResourceRow{ResourceID: "i-1", Type: "t3.micro", Region: "us-east-1",
				State: "stopped", Priced: true, PriceSource: costmodels.SourceAPI})
			mustContain(t, "stopped instance", stopped, "t3.micro (stopped)", "$0.0000")
			running := renderResource(tr, 3, costmodels.ResourceRow{ResourceID: "i-2", Type: "t3.micro", Region: "us-east-1",
				State: "running", Priced: true, HourlyUSD: 0.0104, PriceSource: costmodels.SourceAPI})
			if strings.Contains(running, "(running)") {
				t.Errorf("a billed resource shows its state: %s", running)
			}

			warned := renderResource(tr, 4, costmodels.ResourceRow{ResourceID: "shop", Type: "db.t3.micro", Region: "us-east-1",
				State: "available", Priced: true, HourlyUSD: 0.417, PriceSource: costmodels.SourceAPI,
				PriceWarning: "mysql 5.7.44 is past standard support: upgrade to stop paying $292.00 a month of Extended Support"})
			mustContain(t, "extended support warning", warned, tr.T(msgID{"service.warning"},
				map[string]any{"Warning": "mysql 5.7.44 is past standard support: upgrade to stop paying $292.00 a month of Extended Support"}))

			bill := renderBill(tr, figures.MonthBill{Month: "2026-12", Bill: costmodels.Bill{Month: "2026-12", TotalUSD: 10,
				Services: []costmodels.ServiceCost{{Service: "ec2", USD: 10}}}, Unpriced: 3, Lines: []figures.ServiceLine{
				{Service: "ec2", USD: 10, Priced: true, Percent: 100}, {Service: "fsx", Unpriced: 2}, {Service: "q", Unpriced: 1},
			}}, time.UTC)
			mustContain(t, "bill", bill,
				tr.T(msgID{"bill.unpriced_line"}, map[string]any{"Service": "FSx", "Count": 2}),
				tr.T(msgID{"bill.unpriced_line"}, map[string]any{"Service": "Amazon Q", "Count": 1}),
				tr.T(msgID{"bill.unpriced"}, map[string]any{"Count": 3}))

			caption := renderChartCaption(tr, chart24h, chartSeries{}, time.Date(2026, 12, 20, 10, 0, 0, 0, time.UTC), time.UTC, map[string]int{"fsx": 2})
			mustContain(t, "chart caption", caption, tr.T(msgID{"chart.unpriced"}, map[string]any{"Count": 2}))
			if c := renderChartCaption(tr, chart24h, chartSeries{}, time.Now(), time.UTC, nil); strings.Contains(c, "⚠️") {
				t.Errorf("caption warns with nothing unpriced: %s", c)
			}

			cost := renderCost(tr, costView{Now: time.Now(), TZ: time.UTC, HasData: true, LatestHour: time.Now().Truncate(time.Hour),
				Sources:  costmodels.PriceSourceCounts{API: 3, Unpriced: 2},
				Unpriced: map[string]costmodels.UnpricedService{"fsx": {Count: 2, Reason: "no price for storage"}}})
			mustContain(t, "cost", cost,
				tr.T(msgID{"cost.unpriced"}, map[string]any{"Count": 2}),
				tr.T(msgID{"cost.unpriced_line"}, map[string]any{"Service": "FSx", "Count": 2, "Reason": "no price for storage"}))
		})
	}
}
