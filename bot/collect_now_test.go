package bot

import (
	"context"
	"sync/atomic"
	"testing"

	"costbot/internal/tgtest"
	costmodels "costbot/models"
)

// gatedCollector plays the collect job with a scan that lasts until the test opens the
// gate.
type gatedCollector struct {
	calls   atomic.Int32
	started chan struct{}
	gate    chan struct{}
	summary costmodels.CollectSummary
}

func (g *gatedCollector) CollectNow(ctx context.Context) (costmodels.CollectSummary, error) {
	g.calls.Add(1)
	g.started <- struct{}{}
	select {
	case <-g.gate:
		return g.summary, nil
	case <-ctx.Done():
		return costmodels.CollectSummary{}, ctx.Err()
	}
}

// Six /collect while a scan runs make one scan, each gets its result; meanwhile another
// chat is answered (the bot has one update worker here, so a scan inside it would hold
// every chat); a chat that started a scan waits collectCooldown before starting another.
func TestConcurrentCollectsMakeOneScan(t *testing.T) {
	h := newHarness(t)
	scan := &gatedCollector{started: make(chan struct{}, 10), gate: make(chan struct{}),
		summary: costmodels.CollectSummary{Resources: 7, HourlyUSD: 0.5}}
	h.bot.deps.Collector = scan
	h.start()
	zh := h.tr("zh")

	var prompts []tgtest.Call
	for i := range 6 {
		chat := []int64{ownerID, groupID}[i%2]
		prompts = append(prompts, h.say(chat, ownerID, "/collect"))
	}
	<-scan.started
	if want := zh.T(msgID{"collect.running"}); prompts[0].Params["text"] != want {
		t.Errorf("first /collect said %q, want %q", prompts[0].Params["text"], want)
	}
	for _, p := range prompts[1:] {
		if want := zh.T(msgID{"collect.joined"}); p.Params["text"] != want {
			t.Errorf("a /collect during the scan said %q, want %q", p.Params["text"], want)
		}
	}
	// Another chat's command is answered while the scan still runs.
	if reply := h.say(groupID, memberID, "/help"); reply.Params["text"] == "" {
		t.Error("/help got an empty reply")
	}
	if n := len(h.srv.Calls("editMessageText")); n != 0 {
		t.Fatalf("%d results before the scan ended", n)
	}

	close(scan.gate)
	want := renderCollect(zh, scan.summary)
	for _, p := range prompts {
		h.srv.WaitCall(t, "editMessageText", func(c tgtest.Call) bool {
			return c.Int("message_id") == int64(p.MessageID()) && c.Params["chat_id"] == p.Params["chat_id"] && c.Params["text"] == want
		}, wait)
	}
	if n := scan.calls.Load(); n != 1 {
		t.Errorf("%d scans for six /collect, want 1", n)
	}

	// The owner's chat started that scan: a new one must wait for the cooldown.
	h.clock.Advance(collectCooldown / 2)
	refused := h.say(ownerID, ownerID, "/collect")
	if want := zh.T(msgID{"collect.cooldown"}, map[string]any{"Ago": "2m30s", "Wait": "2m30s"}); refused.Params["text"] != want {
		t.Errorf("/collect within the cooldown said %q, want %q", refused.Params["text"], want)
	}
	if n := scan.calls.Load(); n != 1 {
		t.Errorf("a /collect within the cooldown scanned")
	}
	h.clock.Advance(collectCooldown / 2)
	h.say(ownerID, ownerID, "/collect")
	<-scan.started
	if n := scan.calls.Load(); n != 2 {
		t.Errorf("%d scans after the cooldown, want 2", n)
	}
}
