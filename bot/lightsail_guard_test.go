package bot

import (
	"testing"
	"time"

	costmodels "costbot/models"
)

func TestGuardLinesInBothLanguages(t *testing.T) {
	cat, err := newCatalog()
	if err != nil {
		t.Fatal(err)
	}
	lastGood := time.Date(2025, 3, 10, 3, 40, 0, 0, time.UTC) // 11:40 in Shanghai
	blind := awkwardTraffic()
	blind.Blind, blind.LastGoodAt = true, lastGood
	carried := awkwardTraffic()
	carried.CarriedFrom = []costmodels.CarriedUsage{{Instance: "old<1>", Bundle: "nano_3_0", Bytes: 20e9, DeletedBy: lastGood}}
	over := awkwardTraffic()
	over.UsedBytes, over.OutBytes, over.AllowanceBytes = 1100e9, 700e9, 1000e9
	self := awkwardTraffic()
	self.SelfHost = true
	stop := func(mod func(*costmodels.LightsailStop)) costmodels.LightsailStop {
		s := costmodels.LightsailStop{Traffic: awkwardTraffic(), StopPercent: 95, Reason: costmodels.StopReasonThreshold, Accepted: true}
		mod(&s)
		return s
	}
	tests := []struct {
		name   string
		render func(tr translator) (string, error)
		want   map[string][]string // lang -> fragments
		absent []string
	}{
		{"/lightsail: a blind instance says so, with the last good reading's time",
			func(tr translator) (string, error) { return instanceBlock(tr, blind, 95), nil },
			map[string][]string{"en": {"Blind", "11:40", "not 0"}, "zh": {"看不到流量", "11:40"}}, nil},
		{"/lightsail: carried GB and where they came from",
			func(tr translator) (string, error) { return instanceBlock(tr, carried, 95), nil },
			map[string][]string{"en": {"20.00 GB", "deleted instances of the same plan", "old&lt;1&gt;", "nano_3_0"}, "zh": {"已删除实例", "old&lt;1&gt;"}}, nil},
		{"/lightsail: overage beyond the allowance is data out only",
			func(tr translator) (string, error) { return instanceBlock(tr, over, 95), nil },
			map[string][]string{"en": {"100.00 GB of data out billable"}, "zh": {"100.00 GB"}}, nil},
		{"/lightsail: costbot's own host",
			func(tr translator) (string, error) { return instanceBlock(tr, self, 95), nil },
			map[string][]string{"en": {"costbot runs on this instance"}, "zh": {"costbot 运行在这台实例上"}}, nil},
		{"a stop with a static IP names it",
			func(tr translator) (string, error) {
				return renderLightsailStop(tr, stop(func(s *costmodels.LightsailStop) {
					s.StaticIPChecked, s.StaticIPName, s.StaticIP = true, "ip<1>", "203.0.113.7"
				}))
			},
			map[string][]string{"en": {"still bills its monthly plan", "ip&lt;1&gt;", "203.0.113.7", "does not change"}, "zh": {"仍按月收取套餐费用", "203.0.113.7"}},
			[]string{"changes when it starts"}},
		{"a stop without a static IP says the address changes",
			func(tr translator) (string, error) {
				return renderLightsailStop(tr, stop(func(s *costmodels.LightsailStop) { s.StaticIPChecked = true }))
			},
			map[string][]string{"en": {"still bills its monthly plan", "no static IP", "changes when it starts again"}, "zh": {"未绑定静态 IP"}}, nil},
		{"a stop whose static IPs could not be read says it could not check",
			func(tr translator) (string, error) {
				return renderLightsailStop(tr, stop(func(*costmodels.LightsailStop) {}))
			},
			map[string][]string{"en": {"still bills", "could not check"}, "zh": {"未能确认"}}, nil},
		{"a stop of costbot's own host says costbot stops with it",
			func(tr translator) (string, error) {
				return renderLightsailStop(tr, stop(func(s *costmodels.LightsailStop) { s.SelfHost, s.StaticIPChecked = true, true }))
			},
			map[string][]string{"en": {"stops with it", "auto-start and the daily reports stop until someone starts it again"}, "zh": {"会随之停止"}}, nil},
		{"the blind push",
			func(tr translator) (string, error) {
				return renderLightsailBlind(tr, costmodels.LightsailBlind{Traffic: blind, Since: lastGood.Add(time.Hour), Reason: costmodels.BlindNoData})
			},
			map[string][]string{"en": {"cannot see", "web_&lt;prod&gt;&amp;co_1", "11:40"}, "zh": {"看不到", "11:40"}}, nil},
		{"the region-down push",
			func(tr translator) (string, error) {
				return renderLightsailRegionDown(tr, costmodels.LightsailRegionDown{Region: "eu-west-1", Failures: 3, Since: lastGood, Error: "<denied>", TZ: "Asia/Shanghai"})
			},
			map[string][]string{"en": {"eu-west-1", "3 checks", "&lt;denied&gt;", "11:40"}, "zh": {"连续 3 次"}}, nil},
		{"the region-up push",
			func(tr translator) (string, error) {
				return renderLightsailRegionUp(tr, costmodels.LightsailRegionUp{Region: "eu-west-1", DownSince: lastGood, At: lastGood.Add(time.Hour), TZ: "Asia/Shanghai"})
			},
			map[string][]string{"en": {"checked again", "12:40", "11:40"}, "zh": {"已恢复检查"}}, nil},
	}
	for _, tt := range tests {
		for lang, frags := range tt.want {
			t.Run(tt.name+"/"+lang, func(t *testing.T) {
				text, err := tt.render(cat.translator(lang))
				if err != nil {
					t.Fatal(err)
				}
				checkFragments(t, text, frags, tt.absent)
			})
		}
	}
}
