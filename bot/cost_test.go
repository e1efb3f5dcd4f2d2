package bot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/png"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"costbot/figures"
	"costbot/internal/tgtest"
	costmodels "costbot/models"
)

// The harness clock stands at 2025-03-10 12:00 UTC (20:00 in Asia/Shanghai, REPORT_TZ).

// seedMarch writes cost_summary as the collector would for two EC2 instances: a t3.micro
// ($0.0104/h, us-east-1) every hour of March up to 12:00 on the 10th, and an m5.large
// ($0.096/h, eu-west-1) from 00:00 on the 10th; plus a February hour that no March
// figure may count. And the resources: those two, priced, and an unpriced Amazon Q app.
//
//	burn now       0.0104 + 0.096                          = $0.1064/h
//	month so far   229 h × 0.0104 + 13 h × 0.096            = 2.3816 + 1.248 = $3.6296
//	today (CST)    since 2025-03-09 16:00 UTC: 21 h × 0.0104 + 13 h × 0.096 = 0.2184 + 1.248 = $1.4664
//	forecast       3.6296 + 0.1064 × 515 hours left          = $58.4256
//	trend          vs 0.0104 at 12:00 yesterday: (0.1064 - 0.0104) / 0.0104 = +923.1%
func seedMarch(t *testing.T, st *costmodels.Store) {
	t.Helper()
	var rows []costmodels.CostSummary
	for h := utc("2025-03-01 00:00"); !h.After(utc("2025-03-10 12:00")); h = h.Add(time.Hour) {
		rows = append(rows, costmodels.CostSummary{Hour: h, Service: "ec2", Region: "us-east-1", CostUSD: 0.0104, ResourceCount: 1})
		if !h.Before(utc("2025-03-10 00:00")) {
			rows = append(rows, costmodels.CostSummary{Hour: h, Service: "ec2", Region: "eu-west-1", CostUSD: 0.096, ResourceCount: 1})
		}
	}
	rows = append(rows,
		costmodels.CostSummary{Hour: utc("2025-02-28 23:00"), Service: "ec2", Region: "us-east-1", CostUSD: 5},
		// the unpriced Amazon Q app sums to $0 in its summary row
		costmodels.CostSummary{Hour: utc("2025-03-10 12:00"), Service: "q", Region: "us-east-1", CostUSD: 0, ResourceCount: 1},
	)
	if err := st.DB().CreateInBatches(rows, 100).Error; err != nil {
		t.Fatal(err)
	}
	resources := []costmodels.ResourceRow{
		{Key: "a/ec2/us-east-1/i-micro", Service: "ec2", Region: "us-east-1", ResourceID: "i-micro", Name: "web", Type: "t3.micro",
			HourlyUSD: 0.0104, MonthlyUSD: 7.592, PriceSource: "api", Priced: true, Active: true},
		{Key: "a/ec2/eu-west-1/i-large", Service: "ec2", Region: "eu-west-1", ResourceID: "i-large", Name: "batch", Type: "m5.large",
			HourlyUSD: 0.096, MonthlyUSD: 70.08, PriceSource: "cache", Priced: true, Active: true},
		{Key: "a/q/us-east-1/app-1", Service: "q", Region: "us-east-1", ResourceID: "app-1", Type: "qbusiness", Active: true},
	}
	if err := st.DB().Create(&resources).Error; err != nil {
		t.Fatal(err)
	}
}

func recordCollectRun(t *testing.T, st *costmodels.Store, at time.Time) {
	t.Helper()
	run, err := st.StartJobRun(context.Background(), figures.ScanJob, at)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.FinishJobRun(context.Background(), run, at.Add(20*time.Second), "resources=3", nil); err != nil {
		t.Fatal(err)
	}
}

// pressForEdit presses a button on a message and returns the next editMessageText.
func (h *harness) pressForEdit(chatID, userID int64, messageID int, data string) tgtest.Call {
	h.t.Helper()
	seen := len(h.srv.Calls("editMessageText"))
	h.srv.PressButton(chatID, userID, messageID, data)
	n := 0
	return h.srv.WaitCall(h.t, "editMessageText", func(c tgtest.Call) bool {
		n++
		return n > seen
	}, wait)
}

func keyboardData(c tgtest.Call) []string {
	var out []string
	for _, row := range c.Keyboard() {
		for _, b := range row {
			out = append(out, b.Text+"="+b.CallbackData)
		}
	}
	return out
}

func mustContain(t *testing.T, what, text string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, text)
		}
	}
}

func TestCostCommandAndRefresh(t *testing.T) {
	h := newHarness(t)
	seedMarch(t, h.store)
	recordCollectRun(t, h.store, utc("2025-03-10 12:00").Add(5*time.Second))
	h.start()
	zh := h.tr("zh")

	reply := h.say(ownerID, ownerID, "/cost")
	text := reply.Params["text"]
	mustContain(t, "/cost", text,
		zh.T(msgID{"cost.burn"}, map[string]any{"Rate": "$0.1064"}),
		zh.T(msgID{"cost.trend.same_hour"}, map[string]any{"Arrow": "📈", "Change": "+923.1%", "Base": "$0.0104"}),
		zh.T(msgID{"cost.today"}, map[string]any{"Zone": "Asia/Shanghai", "Amount": "$1.47"}),
		zh.T(msgID{"cost.month"}, map[string]any{"Month": "2025-03", "Amount": "$3.63"}),
		zh.T(msgID{"cost.forecast"}, map[string]any{"Amount": "$58.43"}),
		zh.T(msgID{"cost.service_line"}, map[string]any{"Service": "EC2", "Rate": "$0.1064", "Percent": "100.0%"}),
		zh.T(msgID{"cost.last_scan"}, map[string]any{"Time": "2025-03-10 20:00 CST", "Outcome": stripTags(outcomeText(zh, "ok"))}),
		zh.T(msgID{"cost.latest_hour"}, map[string]any{"Time": "2025-03-10 20:00 CST"}),
		zh.T(msgID{"cost.sources"}, map[string]any{"API": 1, "Cache": 1, "Fallback": 0}),
		zh.T(msgID{"cost.unpriced"}, map[string]any{"Count": 1}),
		// The unpriced service is named as unpriced, with why.
		zh.T(msgID{"cost.unpriced_line"}, map[string]any{"Service": "Amazon Q", "Count": 1, "Reason": stripTags(zh.T(msgID{"service.unpriced_unknown"}))}),
	)
	if reply.Params["parse_mode"] != "HTML" {
		t.Errorf("parse_mode = %q", reply.Params["parse_mode"])
	}
	if strings.Contains(text, "$0.0000") {
		t.Errorf("the unpriced service is shown at $0:\n%s", text)
	}
	wantKB := []string{"EC2=sv:ec2::1", "Amazon Q=sv:q::1", zh.T(msgID{"cost.refresh"}) + "=c:r", zh.T(msgID{"menu.back"}) + "=m:home"}
	if got := keyboardData(reply); !slices.Equal(got, wantKB) {
		t.Errorf("keyboard = %q, want %q", got, wantKB)
	}

	// An hour later a NAT gateway ($0.045/h) joined: burn 0.1064 + 0.045 = 0.1514, month
	// 3.6296 + 0.1514 = 3.781, forecast 3.781 + 0.1514 × 514 = 81.6006.
	h.clock.Advance(time.Hour + 5*time.Minute)
	next := []costmodels.CostSummary{
		{Hour: utc("2025-03-10 13:00"), Service: "ec2", Region: "us-east-1", CostUSD: 0.0104},
		{Hour: utc("2025-03-10 13:00"), Service: "ec2", Region: "eu-west-1", CostUSD: 0.096},
		{Hour: utc("2025-03-10 13:00"), Service: "vpc", Region: "us-east-1", CostUSD: 0.045},
	}
	if err := h.store.DB().Create(&next).Error; err != nil {
		t.Fatal(err)
	}
	edit := h.pressForEdit(ownerID, ownerID, reply.MessageID(), "c:r")
	if edit.Int("message_id") != int64(reply.MessageID()) {
		t.Errorf("Refresh edited message %d, want %d", edit.Int("message_id"), reply.MessageID())
	}
	mustContain(t, "refreshed /cost", edit.Params["text"],
		zh.T(msgID{"cost.burn"}, map[string]any{"Rate": "$0.1514"}),
		zh.T(msgID{"cost.month"}, map[string]any{"Month": "2025-03", "Amount": "$3.78"}),
		zh.T(msgID{"cost.forecast"}, map[string]any{"Amount": "$81.60"}),
		// 0.1064 / 0.1514 = 70.3%, 0.045 / 0.1514 = 29.7%
		zh.T(msgID{"cost.service_line"}, map[string]any{"Service": "EC2", "Rate": "$0.1064", "Percent": "70.3%"}),
		zh.T(msgID{"cost.service_line"}, map[string]any{"Service": "VPC", "Rate": "$0.0450", "Percent": "29.7%"}),
	)
	if got := keyboardData(edit); !slices.Contains(got, "VPC=sv:vpc::1") {
		t.Errorf("refreshed keyboard lacks VPC: %q", got)
	}
	// The press was answered before the edit.
	var answered, edited = -1, -1
	for i, c := range h.srv.Calls("") {
		switch {
		case c.Method == "answerCallbackQuery" && answered < 0:
			answered = i
		case c.Method == "editMessageText" && edited < 0:
			edited = i
		}
	}
	if answered < 0 || answered > edited {
		t.Errorf("callback answered at call %d, message edited at %d", answered, edited)
	}
}

func TestCostWithoutData(t *testing.T) {
	h := newHarness(t)
	h.start()
	reply := h.say(ownerID, ownerID, "/cost")
	mustContain(t, "/cost", reply.Params["text"], h.tr("zh").T(msgID{"cost.no_data"}))
	if strings.Contains(reply.Params["text"], "$") {
		t.Errorf("no data, yet an amount:\n%s", reply.Params["text"])
	}
}

// seedFleet writes 23 active EC2 instances vm-01 .. vm-23 costing $0.01 × n an hour,
// in eu-west-1 when n is a multiple of 3, else us-east-1; one terminated instance; and
// an unattached EBS volume named a<b>&c.
func seedFleet(t *testing.T, st *costmodels.Store) {
	t.Helper()
	var rows []costmodels.ResourceRow
	for n := 1; n <= 23; n++ {
		region := "us-east-1"
		if n%3 == 0 {
			region = "eu-west-1"
		}
		hourly := float64(n) / 100
		rows = append(rows, costmodels.ResourceRow{Key: fmt.Sprintf("a/ec2/%s/i-%02d", region, n), Service: "ec2", Region: region,
			ResourceID: fmt.Sprintf("i-%02d", n), Name: fmt.Sprintf("vm-%02d", n), Type: "t3.micro",
			HourlyUSD: hourly, MonthlyUSD: hourly * 730, PriceSource: "api", Priced: true, Active: true})
	}
	rows = append(rows,
		costmodels.ResourceRow{Key: "a/ec2/us-east-1/i-gone", Service: "ec2", Region: "us-east-1", ResourceID: "i-gone", Name: "gone",
			HourlyUSD: 9, Priced: true, PriceSource: "api", Active: false},
		costmodels.ResourceRow{Key: "a/ebs/us-east-1/vol-1", Service: "ebs", Region: "us-east-1", ResourceID: "vol-1", Name: "a<b>&c", Type: "gp3",
			HourlyUSD: 8.0 / 730, MonthlyUSD: 8, PriceSource: "fallback", Priced: true, Active: true, Waste: true, WasteReason: "unattached volume"},
	)
	if err := st.DB().Create(&rows).Error; err != nil {
		t.Fatal(err)
	}
}

func TestServicePagingAndRegionFilter(t *testing.T) {
	h := newHarness(t)
	seedFleet(t, h.store)
	if err := h.store.SetChatLang(context.Background(), ownerID, "en"); err != nil {
		t.Fatal(err)
	}
	h.start()
	en := h.tr("en")

	first := h.say(ownerID, ownerID, "/service ec2")
	mustContain(t, "page 1", first.Params["text"],
		en.T(msgID{"service.title"}, map[string]any{"Service": "EC2", "Count": 23, "Region": "all regions"}),
		en.T(msgID{"service.page"}, map[string]any{"Page": 1, "Pages": 3}),
		"1. <b>vm-23</b> <code>i-23</code>\n    t3.micro · us-east-1 · $0.2300/h · $167.90/mo · API",
		"10. <b>vm-14</b>",
	)
	if strings.Contains(first.Params["text"], "vm-13") || strings.Contains(first.Params["text"], "gone") {
		t.Errorf("page 1 shows more than items 1-10, or a terminated instance:\n%s", first.Params["text"])
	}
	kb := keyboardData(first)
	if !slices.Contains(kb, "▶=sv:ec2::2") || !slices.Contains(kb, "1/3=sv:ec2::1") || slices.Contains(kb, "◀=sv:ec2::0") {
		t.Fatalf("page 1 keyboard = %q", kb)
	}

	second := h.pressForEdit(ownerID, ownerID, first.MessageID(), "sv:ec2::2")
	text := second.Params["text"]
	// Items 11-20 by cost: vm-13 ($0.13/h, $94.90 a month) down to vm-04.
	mustContain(t, "page 2", text,
		en.T(msgID{"service.page"}, map[string]any{"Page": 2, "Pages": 3}),
		"11. <b>vm-13</b> <code>i-13</code>\n    t3.micro · us-east-1 · $0.1300/h · $94.90/mo · API",
		"12. <b>vm-12</b> <code>i-12</code>\n    t3.micro · eu-west-1 · $0.1200/h · $87.60/mo · API",
		"20. <b>vm-04</b>",
	)
	for _, absent := range []string{"vm-14", "vm-03", "10. ", "21. "} {
		if strings.Contains(text, absent) {
			t.Errorf("page 2 shows %q:\n%s", absent, text)
		}
	}
	if kb := keyboardData(second); !slices.Contains(kb, "◀=sv:ec2::1") || !slices.Contains(kb, "▶=sv:ec2::3") {
		t.Errorf("page 2 keyboard = %q", kb)
	}

	// Region filter: eu-west-1 has vm-21, 18, 15, 12, 09, 06, 03.
	eu := h.pressForEdit(ownerID, ownerID, first.MessageID(), "sv:ec2:eu-west-1:1")
	mustContain(t, "eu-west-1", eu.Params["text"],
		en.T(msgID{"service.title"}, map[string]any{"Service": "EC2", "Count": 7, "Region": "eu-west-1"}),
		"1. <b>vm-21</b>", "7. <b>vm-03</b>")
	if strings.Contains(eu.Params["text"], "us-east-1") {
		t.Errorf("eu-west-1 filter shows us-east-1:\n%s", eu.Params["text"])
	}
	if kb := keyboardData(eu); !slices.Contains(kb, "✓ eu-west-1=sv:ec2:eu-west-1:1") || !slices.Contains(kb, "All=sv:ec2::1") || slices.Contains(kb, "▶=sv:ec2:eu-west-1:2") {
		t.Errorf("eu-west-1 keyboard = %q", kb)
	}

	// A page past the end shows the last one: items 21-23.
	last := h.pressForEdit(ownerID, ownerID, first.MessageID(), "sv:ec2::9")
	mustContain(t, "last page", last.Params["text"], "21. <b>vm-03</b>", "23. <b>vm-01</b>")

	ebs := h.say(ownerID, ownerID, "/service EBS")
	mustContain(t, "/service ebs", ebs.Params["text"],
		"1. <b>a&lt;b&gt;&amp;c</b> <code>vol-1</code>\n    gp3 · us-east-1 · $0.0110/h · $8.00/mo · fallback",
		en.T(msgID{"service.waste"}, map[string]any{"Reason": "unattached volume"}))

	for _, c := range h.srv.Calls("") {
		for _, d := range keyboardData(c) {
			if _, data, _ := strings.Cut(d, "="); len(data) > maxCallbackData {
				t.Errorf("callback data %q over 64 bytes", data)
			}
		}
	}
}

func TestServicePickerAndUnknownName(t *testing.T) {
	h := newHarness(t)
	seedFleet(t, h.store)
	h.start()
	zh := h.tr("zh")

	picker := h.say(ownerID, ownerID, "/service")
	if picker.Params["text"] != zh.T(msgID{"service.pick"}) {
		t.Errorf("picker text = %q", picker.Params["text"])
	}
	kb := keyboardData(picker)
	if len(kb) != len(h.cfg.CostServices)+1 || kb[0] != "EC2 (23)=sv:ec2::1" || !slices.Contains(kb, "EBS (1)=sv:ebs::1") || !slices.Contains(kb, "Lightsail (0)=sv:lightsail::1") {
		t.Errorf("picker keyboard = %q", kb)
	}

	unknown := h.say(ownerID, ownerID, "/service <b>ec3")
	mustContain(t, "unknown service", unknown.Params["text"],
		zh.T(msgID{"service.unknown"}, map[string]any{"Name": "<b>ec3", "Valid": "ec2 rds lambda s3 ebs vpc fsx cloudwatch waf q cloudfront lightsail elb"}),
		"&lt;b&gt;ec3")
	if len(keyboardData(unknown)) != len(kb) {
		t.Errorf("the unknown-service reply has no service buttons")
	}

	// The picker's back button on a service page returns to the picker.
	back := h.pressForEdit(ownerID, ownerID, unknown.MessageID(), "sv:")
	if back.Params["text"] != zh.T(msgID{"service.pick"}) {
		t.Errorf("back to services = %q", back.Params["text"])
	}
}

func seedFebruaryClosed(t *testing.T, st *costmodels.Store) {
	t.Helper()
	closedAt := utc("2025-03-01 00:05")
	rows := []costmodels.MonthlySummary{
		{Month: "2025-02", Service: "ec2", CostUSD: 69.888, Hours: 672, EstimatedHours: 3, Closed: true, ClosedAt: &closedAt},
		{Month: "2025-02", Service: "vpc", CostUSD: 30.24, Hours: 672, EstimatedHours: 3, Closed: true, ClosedAt: &closedAt},
	}
	if err := st.DB().Create(&rows).Error; err != nil {
		t.Fatal(err)
	}
}

func TestBill(t *testing.T) {
	h := newHarness(t)
	seedMarch(t, h.store)
	seedFebruaryClosed(t, h.store)
	h.start()
	zh := h.tr("zh")

	current := h.say(ownerID, ownerID, "/bill")
	mustContain(t, "/bill", current.Params["text"],
		zh.T(msgID{"bill.title_current"}, map[string]any{"Month": "2025-03"}),
		zh.T(msgID{"bill.so_far"}, map[string]any{"Amount": "$3.63", "Forecast": "$58.43"}),
		zh.T(msgID{"bill.hours"}, map[string]any{"Hours": 229, "Estimated": 0}),
		zh.T(msgID{"bill.line"}, map[string]any{"Service": "EC2", "Amount": "$3.63", "Percent": "100.0%"}),
	)
	if got, want := keyboardData(current), []string{"2025-02=b:2025-02", zh.T(msgID{"menu.back"}) + "=m:home"}; !slices.Equal(got, want) {
		t.Errorf("bill keyboard = %q, want %q", got, want)
	}

	// February is closed: final, in full, with its hours. 69.888 + 30.24 = 100.128.
	feb := h.pressForEdit(ownerID, ownerID, current.MessageID(), "b:2025-02")
	mustContain(t, "February", feb.Params["text"],
		zh.T(msgID{"bill.title_closed"}, map[string]any{"Month": "2025-02"}),
		zh.T(msgID{"bill.total"}, map[string]any{"Amount": "$100.13"}),
		zh.T(msgID{"bill.hours"}, map[string]any{"Hours": 672, "Estimated": 3}),
		zh.T(msgID{"bill.line"}, map[string]any{"Service": "EC2", "Amount": "$69.89", "Percent": "69.8%"})+"\n"+
			zh.T(msgID{"bill.line"}, map[string]any{"Service": "VPC", "Amount": "$30.24", "Percent": "30.2%"}),
		zh.T(msgID{"bill.closed_at"}, map[string]any{"Time": "2025-03-01 08:05 CST"}),
	)
	if !slices.Contains(keyboardData(feb), "2025-03=b:2025-03") {
		t.Errorf("February's keyboard lacks March: %q", keyboardData(feb))
	}

	same := h.say(ownerID, ownerID, "/bill 2025-02")
	if same.Params["text"] != feb.Params["text"] {
		t.Errorf("/bill 2025-02 differs from the button:\n%s\n---\n%s", same.Params["text"], feb.Params["text"])
	}
	if got := h.say(ownerID, ownerID, "/bill 2025-01").Params["text"]; got != zh.T(msgID{"bill.no_data"}, map[string]any{"Month": "2025-01"}) {
		t.Errorf("/bill 2025-01 = %q", got)
	}
	usage := zh.T(msgID{"bill.usage"}, map[string]any{"Example": "2025-03"})
	for _, bad := range []string{"/bill 2025-13", "/bill 03-2025", "/bill march", "/bill 2025-3"} {
		if got := h.say(ownerID, ownerID, bad).Params["text"]; got != usage {
			t.Errorf("%s = %q, want the format", bad, got)
		}
	}
}

func TestChart(t *testing.T) {
	h := newHarness(t)
	h.start()
	zh := h.tr("zh")

	if got := h.say(ownerID, ownerID, "/chart 24h").Params["text"]; got != zh.T(msgID{"chart.no_data"}) {
		t.Errorf("no data: %q", got)
	}
	seedMarch(t, h.store)

	h.srv.SendMessage(ownerID, ownerID, "/chart 24h")
	photo := h.srv.WaitCall(t, "sendPhoto", nil, wait)
	if photo.Int("chat_id") != ownerID || photo.Params["parse_mode"] != "HTML" {
		t.Errorf("sendPhoto params = %v", photo.Params)
	}
	decodePNG(t, photo.Files["photo"].Data)
	// 2025-03-09 13:00 .. 2025-03-10 12:00: 24 × 0.0104 + 13 × 0.096 = 0.2496 + 1.248 = 1.4976.
	if want := zh.T(msgID{"chart.caption.24h"}, map[string]any{"Total": "$1.50", "Until": "2025-03-10 20:00 CST"}); photo.Params["caption"] != want {
		t.Errorf("caption = %q, want %q", photo.Params["caption"], want)
	}

	picker := h.say(ownerID, ownerID, "/chart")
	if got, want := keyboardData(picker), []string{
		zh.T(msgID{"chart.button.24h"}) + "=ch:24h", zh.T(msgID{"chart.button.30d"}) + "=ch:30d", zh.T(msgID{"chart.button.12m"}) + "=ch:12m",
		zh.T(msgID{"menu.back"}) + "=m:home",
	}; !slices.Equal(got, want) {
		t.Errorf("chart buttons = %q, want %q", got, want)
	}
	h.srv.PressButton(ownerID, ownerID, picker.MessageID(), "ch:30d")
	n := 0
	month := h.srv.WaitCall(t, "sendPhoto", func(tgtest.Call) bool { n++; return n > 1 }, wait)
	decodePNG(t, month.Files["photo"].Data)
	// Since 2025-02-09 in Shanghai: all of March (3.6296) and the $5 February hour.
	if want := zh.T(msgID{"chart.caption.30d"}, map[string]any{"Total": "$8.63", "Until": "2025-03-10 20:00 CST"}); month.Params["caption"] != want {
		t.Errorf("30d caption = %q, want %q", month.Params["caption"], want)
	}

	wrong := h.say(ownerID, ownerID, "/chart 7d")
	if want := zh.T(msgID{"chart.usage"}, map[string]any{"Arg": "7d", "Valid": "24h | 30d | 12m"}); wrong.Params["text"] != want {
		t.Errorf("/chart 7d = %q, want %q", wrong.Params["text"], want)
	}
	if len(keyboardData(wrong)) != 4 {
		t.Errorf("/chart 7d has no chart buttons")
	}
}

func TestChartTwelveMonths(t *testing.T) {
	h := newHarness(t)
	seedMarch(t, h.store)
	seedFebruaryClosed(t, h.store)
	h.start()
	h.srv.SendMessage(groupID, memberID, "/chart 12m")
	photo := h.srv.WaitCall(t, "sendPhoto", nil, wait)
	img, err := png.Decode(bytes.NewReader(photo.Files["photo"].Data))
	if err != nil || img.Bounds().Dx() != chartWidthPx {
		t.Fatalf("12m chart: %v", err)
	}
	// February's closed bill (100.128) and March so far (3.6296).
	if want := h.tr("zh").T(msgID{"chart.caption.12m"}, map[string]any{"Total": "$103.76", "Until": "2025-03-10 20:00 CST"}); photo.Params["caption"] != want {
		t.Errorf("caption = %q, want %q", photo.Params["caption"], want)
	}
}

// fakeCollector plays the collect job.
type fakeCollector struct {
	calls   atomic.Int32
	summary costmodels.CollectSummary
	err     error
}

func (f *fakeCollector) CollectNow(ctx context.Context) (costmodels.CollectSummary, error) {
	f.calls.Add(1)
	return f.summary, f.err
}

func TestCollect(t *testing.T) {
	h := newHarness(t)
	fake := &fakeCollector{summary: costmodels.CollectSummary{Resources: 3, Unpriced: 1, HourlyUSD: 0.0104 + 0.096,
		Errors: []string{"rds/us-east-1: <AccessDenied> & more"}, Duration: 2 * time.Second}}
	h.bot.deps.Collector = fake
	h.start()
	zh := h.tr("zh")

	refused := h.say(groupID, memberID, "/collect")
	if want := zh.T(msgID{"access.admin_only"}, map[string]any{"UserID": memberID}); refused.Params["text"] != want {
		t.Errorf("non-admin got %q, want %q", refused.Params["text"], want)
	}
	if fake.calls.Load() != 0 {
		t.Fatalf("a non-admin started a scan")
	}

	running := h.say(ownerID, ownerID, "/collect")
	if running.Params["text"] != zh.T(msgID{"collect.running"}) {
		t.Errorf("first reply = %q", running.Params["text"])
	}
	done := h.srv.WaitCall(t, "editMessageText", nil, wait)
	if done.Int("message_id") != int64(running.MessageID()) {
		t.Errorf("summary edited message %d, want %d", done.Int("message_id"), running.MessageID())
	}
	if want := renderCollect(zh, fake.summary); done.Params["text"] != want {
		t.Errorf("summary = %q, want %q", done.Params["text"], want)
	}
	mustContain(t, "summary", done.Params["text"], "<b>$0.1064/小时</b>", "&lt;AccessDenied&gt; &amp; more")
	if fake.calls.Load() != 1 {
		t.Errorf("scans run: %d", fake.calls.Load())
	}

	fake.err = errors.New("scan: <throttled>")
	h.clock.Advance(collectCooldown)
	h.say(ownerID, ownerID, "/collect")
	n := 0
	failed := h.srv.WaitCall(t, "editMessageText", func(tgtest.Call) bool { n++; return n > 1 }, wait)
	if want := zh.T(msgID{"collect.failed"}, map[string]any{"Error": "scan: <throttled>"}); failed.Params["text"] != want {
		t.Errorf("failure = %q, want %q", failed.Params["text"], want)
	}
}

func TestCollectNotAvailable(t *testing.T) {
	h := newHarness(t)
	h.start()
	if got := h.say(ownerID, ownerID, "/collect").Params["text"]; got != h.tr("zh").T(msgID{"collect.unavailable"}) {
		t.Errorf("/collect without a collector = %q", got)
	}
}

func TestMenuCostButtons(t *testing.T) {
	h := newHarness(t)
	seedMarch(t, h.store)
	h.start()
	zh := h.tr("zh")
	menu := h.say(ownerID, ownerID, "/start")
	for _, tc := range []struct {
		key  string
		want string
	}{
		{"cost", zh.T(msgID{"cost.forecast"}, map[string]any{"Amount": "$58.43"})},
		{"services", zh.T(msgID{"service.pick"})},
		{"bill", zh.T(msgID{"bill.so_far"}, map[string]any{"Amount": "$3.63", "Forecast": "$58.43"})},
		{"charts", zh.T(msgID{"chart.pick"})},
	} {
		edit := h.pressForEdit(ownerID, ownerID, menu.MessageID(), "m:"+tc.key)
		mustContain(t, "menu "+tc.key, edit.Params["text"], tc.want)
	}
}
