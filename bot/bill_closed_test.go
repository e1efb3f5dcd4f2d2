package bot

import (
	"strings"
	"testing"

	costmodels "costbot/models"
)

// The month-close push says a service whose resources had no price as unpriced, with
// how many, and never as $0.00; the priced ones keep their amount and share.
func TestBillClosedPushSaysUnpricedNotZero(t *testing.T) {
	cat, err := newCatalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"zh", "en"} {
		tr := cat.translator(lang)
		text, err := renderBillClosed(tr, costmodels.BillClosed{Month: "2026-11", TotalUSD: 12.5, Hours: 720,
			Services: []costmodels.ServiceCost{{Service: "ec2", USD: 12.5}, {Service: "fsx", USD: 0}},
			Unpriced: map[string]int{"fsx": 2}})
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{
			tr.T(msgID{"bill.line"}, map[string]any{"Service": serviceName("ec2"), "Amount": formatUSD(12.5), "Percent": formatPercent(100)}),
			tr.T(msgID{"bill.unpriced_line"}, map[string]any{"Service": serviceName("fsx"), "Count": 2}),
			tr.T(msgID{"bill.unpriced"}, map[string]any{"Count": 2}),
		} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: push lacks %q:\n%s", lang, want, text)
			}
		}
		for line := range strings.SplitSeq(text, "\n") {
			if strings.Contains(line, serviceName("fsx")) && strings.Contains(line, formatUSD(0)) {
				t.Errorf("%s: unpriced FSx shown as %s: %q", lang, formatUSD(0), line)
			}
		}
	}
}
