package bot

import (
	"strings"
	"testing"

	costmodels "costbot/models"
)

// Bidirectional controls and zero-width characters in a resource's name never reach a
// message: "invoice\u202Egnp.exe" would show as "invoiceexe.png".
func TestInvisibleCharactersAreStrippedFromNames(t *testing.T) {
	cat, err := newCatalog()
	if err != nil {
		t.Fatal(err)
	}
	en := cat.translator("en")
	cases := []struct{ name, raw, shown string }{
		{"right-to-left override", "invoice\u202Egnp.exe", "invoicegnp.exe"},
		{"isolates", "web\u2067-1\u2069", "web-1"},
		{"marks", "\u200Fdb\u200E\u061C", "db"},
		{"zero width", "pr\u200Bod\u200C-\u200Dweb\u2060\uFEFF", "prod-web"},
		{"plain names are kept", "web_<prod>&co_1 数据库", "web_<prod>&co_1 数据库"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := stripInvisible(tc.raw); got != tc.shown {
				t.Errorf("stripInvisible(%q) = %q, want %q", tc.raw, got, tc.shown)
			}
			traffic := awkwardTraffic()
			traffic.Instance = tc.raw
			list := renderLightsailList(en, []costmodels.LightsailTraffic{traffic}, 95, false)
			resource := renderResource(en, 1, costmodels.ResourceRow{Name: tc.raw, ResourceID: "i-0" + tc.raw, Region: "us-east-1"})
			for where, text := range map[string]string{"/lightsail": list, "/service": resource} {
				if strings.ContainsFunc(text, invisible) {
					t.Errorf("%s shows an invisible character: %q", where, text)
				}
				if escaped := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(tc.shown); !strings.Contains(text, escaped) {
					t.Errorf("%s lacks the name %q: %q", where, escaped, text)
				}
			}
		})
	}
}
