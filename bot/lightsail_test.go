package bot

import (
	"strings"
	"testing"
	"time"

	costmodels "costbot/models"
)

func TestUsageBar(t *testing.T) {
	tests := []struct {
		percent float64
		want    string
	}{
		{0, "░░░░░░░░░░ 0.0%"},
		{52.3, "▓▓▓▓▓░░░░░ 52.3%"},
		{96, "▓▓▓▓▓▓▓▓▓▓ 96.0%"},
		{130, "▓▓▓▓▓▓▓▓▓▓ 130.0%"},
	}
	for _, tt := range tests {
		if got := usageBar(tt.percent); got != tt.want {
			t.Errorf("usageBar(%v) = %q, want %q", tt.percent, got, tt.want)
		}
	}
}

// awkward is a name the old guard's Markdown broke on.
const awkward = "web_<prod>&co_1"

func awkwardTraffic() costmodels.LightsailTraffic {
	return costmodels.LightsailTraffic{
		Region: "ap-northeast-1", Instance: awkward, Cycle: "2025-03", State: "running",
		CheckedAt: time.Date(2025, 3, 10, 4, 0, 0, 0, time.UTC), UsedBytes: 523e9, AllowanceBytes: 1000e9,
		FullAllowanceBytes: 2000e9, CarriedBytes: 20e9, Percent: 52.3, TZ: "Asia/Shanghai",
		Estimate: costmodels.StopEstimate{Status: costmodels.EstimateAt, At: time.Date(2025, 3, 12, 6, 0, 0, 0, time.UTC), RateBytesPerHour: 2.5e9},
	}
}

func TestLightsailRenderingEscapesNames(t *testing.T) {
	cat, err := newCatalog()
	if err != nil {
		t.Fatal(err)
	}
	tr := cat.translator("en")
	tt := awkwardTraffic()
	events := map[string]any{
		costmodels.EventLightsailWarn:       costmodels.LightsailWarn{Traffic: tt, Level: 80, StopPercent: 95},
		costmodels.EventLightsailStop:       costmodels.LightsailStop{Traffic: tt, StopPercent: 95, Reason: costmodels.StopReasonThreshold, Accepted: true},
		costmodels.EventLightsailStopFailed: costmodels.LightsailStopFailed{Traffic: tt, StopPercent: 95, Error: "denied <x>", Attempt: 1},
		costmodels.EventLightsailStart:      costmodels.LightsailStart{Traffic: tt, PreviousCycle: "2025-02", Accepted: true},
		costmodels.EventReportDaily:         costmodels.DailyReport{Date: "2025-03-10", TZ: "Asia/Shanghai", Instances: []costmodels.LightsailTraffic{tt}, StopPercent: 95},
	}
	for kind, data := range events {
		t.Run(kind, func(t *testing.T) {
			text, err := eventRenderers[kind](tr, data)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(text, "web_&lt;prod&gt;&amp;co_1") || strings.Contains(text, awkward) {
				t.Errorf("the name is not escaped:\n%s", text)
			}
			plain := stripTags(text)
			if !strings.Contains(plain, awkward) {
				t.Errorf("the name does not read back:\n%s", plain)
			}
		})
	}
	list := renderLightsailList(tr, []costmodels.LightsailTraffic{tt}, 95, false)
	for _, want := range []string{"web_&lt;prod&gt;&amp;co_1", "ap-northeast-1", "running", "523.00 GB", "1000.00 GB", "▓▓▓▓▓░░░░░ 52.3%",
		"2000.00 GB", "20.00 GB", "2025-03-12 14:00 CST", "2.50 GB/h"} {
		if !strings.Contains(list, want) {
			t.Errorf("/lightsail lacks %q:\n%s", want, list)
		}
	}
}

func TestBurstAndDryRunStopsSayWhy(t *testing.T) {
	cat, err := newCatalog()
	if err != nil {
		t.Fatal(err)
	}
	tr := cat.translator("en")
	burst := costmodels.LightsailStop{Traffic: awkwardTraffic(), StopPercent: 95, Reason: costmodels.StopReasonBurst, Accepted: true,
		Burst: &costmodels.BurstProjection{RateBytesPerHour: 480e9, NextCheck: time.Date(2025, 3, 10, 4, 10, 0, 0, time.UTC), ProjectedPercent: 98}}
	text, err := renderLightsailStop(tr, burst)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"480.00 GB/h", "98.0%", "12:10", "accepted"} {
		if !strings.Contains(text, want) {
			t.Errorf("burst stop lacks %q:\n%s", want, text)
		}
	}
	dry := costmodels.LightsailStop{Traffic: awkwardTraffic(), StopPercent: 95, Reason: costmodels.StopReasonThreshold, DryRun: true}
	if text, _ := renderLightsailStop(tr, dry); !strings.Contains(text, "Dry run") || strings.Contains(text, "accepted") {
		t.Errorf("dry-run stop:\n%s", text)
	}
}

func TestRenderPlainHasNoMarkup(t *testing.T) {
	text, err := RenderPlain("en", costmodels.Event{Kind: costmodels.EventReportDaily, Key: "2025-03-10", Data: costmodels.DailyReport{
		Date: "2025-03-10", TZ: "Asia/Shanghai", HasCost: true, TodayUSD: 1.5, MonthUSD: 12, ForecastUSD: 40, Month: "2025-03",
		Instances: []costmodels.LightsailTraffic{awkwardTraffic()}, StopPercent: 95,
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{awkward, "$1.50", "$12.00", "$40.00", "52.3%"} {
		if !strings.Contains(text, want) {
			t.Errorf("plain report lacks %q:\n%s", want, text)
		}
	}
	if strings.ContainsAny(text, "<>") && !strings.Contains(text, awkward) {
		t.Errorf("markup left in:\n%s", text)
	}
}
