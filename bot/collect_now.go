package bot

import (
	"context"
	"sync"
	"time"

	costmodels "costbot/models"
)

const (
	// collectTimeout bounds a /collect scan; it outlasts the usual handler timeout.
	collectTimeout = 10 * time.Minute
	// collectCooldown is how long after a chat started a scan it may start another.
	collectCooldown = 5 * time.Minute
)

// collectRuns runs the scans /collect asks for outside the update workers, one at a
// time: a /collect while a scan runs joins it and gets its result, and each chat may
// start a scan once per collectCooldown.
type collectRuns struct {
	mu      sync.Mutex
	running bool
	gen     int             // the scan running, or the last one
	waiters []collectWaiter // messages to edit with the running scan's result
	last    collectResult   // the result of scan gen, once it ended
	started map[int64]time.Time
	wg      sync.WaitGroup
}

// collectWaiter is a "collecting…" message waiting for the scan's result.
type collectWaiter struct {
	chatID    int64
	messageID int
	tr        translator
}

type collectResult struct {
	summary costmodels.CollectSummary
	err     error
}

func newCollectRuns() *collectRuns { return &collectRuns{started: map[int64]time.Time{}} }

// cmdCollect starts a scan, or joins the one running, and returns at once; the scan's
// result replaces the "collecting…" message when it ends.
func (b *Bot) cmdCollect(ctx context.Context, r *Request) error {
	if b.deps.Collector == nil {
		_, err := b.send(ctx, r.ChatID, r.tr.T(msgID{"collect.unavailable"}), nil)
		return err
	}
	c := b.collects
	now := b.now()
	c.mu.Lock()
	joining, gen := c.running, c.gen
	if !joining {
		if last, ok := c.started[r.ChatID]; ok && now.Sub(last) < collectCooldown {
			c.mu.Unlock()
			wait := (collectCooldown - now.Sub(last)).Round(time.Second)
			_, err := b.send(ctx, r.ChatID, r.tr.T(msgID{"collect.cooldown"}, map[string]any{
				"Ago": now.Sub(last).Round(time.Second), "Wait": wait}), nil)
			return err
		}
		c.running, c.gen = true, c.gen+1
		gen = c.gen
		c.started[r.ChatID] = now
	}
	c.mu.Unlock()

	text := msgID{"collect.running"}
	if joining {
		text = msgID{"collect.joined"}
	}
	sent, sendErr := b.send(ctx, r.ChatID, r.tr.T(text), nil)

	c.mu.Lock()
	ended := c.gen == gen && !c.running
	if sendErr == nil && !ended {
		c.waiters = append(c.waiters, collectWaiter{chatID: r.ChatID, messageID: sent, tr: r.tr})
	}
	result := c.last
	c.mu.Unlock()
	if !joining {
		c.wg.Go(func() { b.runCollect(gen) })
	}
	if sendErr != nil {
		return sendErr
	}
	if ended { // the scan this /collect joined ended while "collecting…" was being sent
		return b.edit(ctx, r.ChatID, sent, b.collectReply(ctx, r.ChatID, r.tr, result), nil)
	}
	return nil
}

// runCollect runs scan gen and edits every waiting message with its result.
func (b *Bot) runCollect(gen int) {
	c := b.collects
	ctx, cancel := context.WithTimeout(b.work, collectTimeout)
	defer cancel()
	summary, err := b.deps.Collector.CollectNow(ctx)
	if err != nil {
		b.log.Error("collect now failed", "error", err)
	}
	result := collectResult{summary: summary, err: err}
	c.mu.Lock()
	waiters := c.waiters
	c.waiters, c.running, c.last = nil, false, result
	c.mu.Unlock()
	for _, w := range waiters {
		if err := b.edit(ctx, w.chatID, w.messageID, b.collectReply(ctx, w.chatID, w.tr, result), nil); err != nil {
			b.log.Warn("could not report the scan", "chat_id", w.chatID, "scan", gen, "error", err)
		}
	}
}

// collectReply is a scan's result as the chat may see it: the resources, burn rate and
// errors of the accounts it sees alone.
func (b *Bot) collectReply(ctx context.Context, chatID int64, tr translator, r collectResult) string {
	if r.err == nil {
		sum, err := b.figures.Collected(ctx, b.cfg.ChatAccounts.Of(chatID), r.summary)
		if err != nil {
			b.log.Error("collect now: the chat's figures", "chat_id", chatID, "error", err)
			return tr.T(msgID{"collect.failed"}, map[string]any{"Error": tr.T(msgID{"error.internal"})})
		}
		r.summary = sum
	}
	return renderCollectResult(tr, r, b.cfg.TelegramToken)
}

func renderCollectResult(tr translator, r collectResult, token string) string {
	if r.err != nil {
		return tr.T(msgID{"collect.failed"}, map[string]any{"Error": truncate(Redact(r.err.Error(), token), 300)})
	}
	return renderCollect(tr, r.summary)
}

// waitCollects waits for a scan /collect started, at most grace, then cancels it and
// waits as long again; false when it still runs.
func (b *Bot) waitCollects(grace time.Duration) bool {
	done := make(chan struct{})
	go func() {
		b.collects.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-time.After(grace):
	}
	b.cancelWork()
	select {
	case <-done:
		return true
	case <-time.After(grace):
		return false
	}
}
