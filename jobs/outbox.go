package jobs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jonboulle/clockwork"

	"costbot/bot/tghtml"
	"costbot/models"
)

// Sender sends one message to a chat. On failure it returns a *models.SendError saying
// what kind of failure it was; any other error counts as temporary.
type Sender interface {
	Send(ctx context.Context, chatID int64, text, parseMode string) error
}

// DelivererOptions tune a Deliverer; zero values take the defaults.
type DelivererOptions struct {
	Clock  clockwork.Clock // default: the real clock
	Logger *slog.Logger    // default: slog.Default()

	PerChatInterval time.Duration // at most one message per chat per this; default 1s
	GlobalInterval  time.Duration // at most one message overall per this; default 40ms (25/s)
	Tick            time.Duration // Run looks at the outbox at least this often; default 30s
	BackoffMin      time.Duration // first retry delay; default 1s
	BackoffMax      time.Duration // retry delay cap; default 5m
	MaxAttempts     int           // permanent failures are dropped after this many attempts; default 5
	Batch           int           // messages loaded per round; default 100

	// Jitter turns a backoff delay into the delay used. Default: a random delay between
	// half and all of it, so chats that failed together do not retry together.
	Jitter func(time.Duration) time.Duration
}

// OutboxStore is what the deliverer needs of the store: the outbox, and which chats get
// pushes and which blocked the bot.
type OutboxStore interface {
	Enqueue(ctx context.Context, chatID int64, parts []string, parseMode, dedupKey string) (queued bool, err error)
	EnqueueAll(ctx context.Context, chatIDs []int64, parts []string, parseMode, dedupKey string) (queued int, err error)
	DueMessages(ctx context.Context, now time.Time, limit int) ([]models.OutboxMessage, error)
	NextDue(ctx context.Context) (at time.Time, ok bool, err error)
	MarkSent(ctx context.Context, id uint, at time.Time) error
	MarkRetry(ctx context.Context, id uint, nextAttempt time.Time, cause error) error
	MarkDropped(ctx context.Context, id uint, cause error) error
	ReplaceText(ctx context.Context, id uint, text, parseMode string, cause error) error
	DropChatPending(ctx context.Context, chatID int64, reason string) (int64, error)
	SetChatBlocked(ctx context.Context, chatID int64, blocked bool) error
	SubscribedChats(ctx context.Context, configured []int64) ([]int64, error)
}

// Deliverer sends the outbox to Telegram: oldest first per chat, paced under Telegram's
// limits, retrying what failed, and marking a message sent only once Telegram took it.
// Run is its loop; DeliverDue is one pass, usable as a job body. Passes never overlap.
type Deliverer struct {
	store  OutboxStore
	sender Sender
	clock  clockwork.Clock
	log    *slog.Logger
	opt    DelivererOptions
	wake   chan struct{}

	mu        sync.Mutex // one pass at a time; guards the fields below
	lastSent  map[int64]time.Time
	nextSlot  time.Time           // the next send overall may not be before this
	limited   map[int64]time.Time // chats under a 429, until when
	holdAll   time.Time           // after a 429 that looks global, nothing is sent before this
	remaining map[uint][]string   // parts still to send of messages Telegram found too long
}

// NewDeliverer builds a Deliverer over store sending through sender.
func NewDeliverer(store OutboxStore, sender Sender, opt DelivererOptions) *Deliverer {
	if opt.Clock == nil {
		opt.Clock = clockwork.NewRealClock()
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.PerChatInterval <= 0 {
		opt.PerChatInterval = time.Second
	}
	if opt.GlobalInterval <= 0 {
		opt.GlobalInterval = time.Second / 25
	}
	if opt.Tick <= 0 {
		opt.Tick = 30 * time.Second
	}
	if opt.BackoffMin <= 0 {
		opt.BackoffMin = time.Second
	}
	if opt.BackoffMax <= 0 {
		opt.BackoffMax = 5 * time.Minute
	}
	if opt.MaxAttempts <= 0 {
		opt.MaxAttempts = 5
	}
	if opt.Batch <= 0 {
		opt.Batch = 100
	}
	if opt.Jitter == nil {
		opt.Jitter = func(d time.Duration) time.Duration { return d/2 + rand.N(d/2+1) }
	}
	return &Deliverer{
		store: store, sender: sender, clock: opt.Clock, log: opt.Logger, opt: opt,
		wake:      make(chan struct{}, 1),
		lastSent:  map[int64]time.Time{},
		limited:   map[int64]time.Time{},
		remaining: map[uint][]string{},
	}
}

// Notify wakes Run to look at the outbox now; call it after enqueueing. It never blocks.
func (d *Deliverer) Notify() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Push queues text for one chat, cut into parts that fit a message, and wakes the loop.
// See models.Outbox.Enqueue for dedupKey.
func (d *Deliverer) Push(ctx context.Context, chatID int64, text, parseMode, dedupKey string) (queued bool, err error) {
	queued, err = d.store.Enqueue(ctx, chatID, tghtml.Split(text, parseMode, tghtml.MaxMessageLen), parseMode, dedupKey)
	if queued {
		d.Notify()
	}
	return queued, err
}

// Broadcast queues text for every configured chat that is subscribed and not blocked,
// and wakes the loop. It says for how many chats the text was queued.
func (d *Deliverer) Broadcast(ctx context.Context, configured []int64, text, parseMode, dedupKey string) (int, error) {
	chats, err := d.store.SubscribedChats(ctx, configured)
	if err != nil {
		return 0, err
	}
	n, err := d.store.EnqueueAll(ctx, chats, tghtml.Split(text, parseMode, tghtml.MaxMessageLen), parseMode, dedupKey)
	if n > 0 {
		d.Notify()
	}
	return n, err
}

// Run delivers until ctx ends: a pass now, then whenever Notify is called, a retry falls
// due, or Tick passes.
func (d *Deliverer) Run(ctx context.Context) error {
	for {
		sent, failed, err := d.DeliverDue(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		wait := d.opt.Tick
		if err != nil {
			d.log.Error("outbox pass failed", "err", err)
		} else if next, ok := d.nextWake(ctx); ok {
			wait = min(max(d.clock.Until(next), 0), d.opt.Tick)
			if wait == 0 && sent == 0 && failed == 0 {
				// Due, yet the pass did nothing: never spin.
				wait = min(d.opt.PerChatInterval, d.opt.Tick)
			}
		}
		if wait > 0 {
			timer := d.clock.NewTimer(wait)
			select {
			case <-ctx.Done():
				timer.Stop()
				return ctx.Err()
			case <-d.wake:
				timer.Stop()
			case <-timer.Chan():
			}
		}
	}
}

// nextWake is when a pending message may next be sent, counting a global hold.
func (d *Deliverer) nextWake(ctx context.Context) (time.Time, bool) {
	next, ok, err := d.store.NextDue(ctx)
	if err != nil {
		d.log.Error("outbox: next due", "err", err)
		return time.Time{}, false
	}
	if !ok {
		return time.Time{}, false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.holdAll.After(next) {
		next = d.holdAll
	}
	return next, true
}

// Job is DeliverDue in the shape of a scheduled job body.
func (d *Deliverer) Job(ctx context.Context) (string, error) {
	sent, failed, err := d.DeliverDue(ctx)
	return fmt.Sprintf("sent=%d failed=%d", sent, failed), err
}

// DeliverDue sends every message that is due, in rounds: each round takes the head of
// every chat that may send and sends them, each when pacing allows. It returns when
// nothing due is left that could be sent within one per-chat interval (a chat waiting
// for a retry, everything held back by a 429). failed counts failed attempts.
func (d *Deliverer) DeliverDue(ctx context.Context) (sent, failed int, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for chat, at := range d.lastSent {
		if d.clock.Since(at) > d.opt.PerChatInterval {
			delete(d.lastSent, chat) // no longer limits anything
		}
	}
	for {
		due, err := d.store.DueMessages(ctx, d.clock.Now(), d.opt.Batch)
		if err != nil {
			return sent, failed, fmt.Errorf("outbox: %w", err)
		}
		heads := headsOf(due)
		attempted := 0
		for len(heads) > 0 {
			// Next: the head that may go first; ties go to the oldest message.
			i := 0
			for j := range heads {
				if d.readyAt(heads[j].ChatID).Before(d.readyAt(heads[i].ChatID)) {
					i = j
				}
			}
			m := heads[i]
			heads = slices.Delete(heads, i, i+1)
			ready := d.readyAt(m.ChatID)
			if ready.Sub(d.clock.Now()) > d.opt.PerChatInterval {
				continue // held back; a later pass will come to it
			}
			if err := d.waitUntil(ctx, ready); err != nil {
				return sent, failed, err
			}
			result, err := d.deliver(ctx, m)
			if ctx.Err() != nil {
				return sent, failed, ctx.Err()
			}
			if err != nil {
				return sent, failed, fmt.Errorf("outbox: %w", err)
			}
			attempted++
			switch result {
			case sentWhole:
				sent++
			case sendFailed:
				failed++
			}
		}
		if attempted == 0 {
			return sent, failed, nil
		}
	}
}

// headsOf keeps each chat's first message, oldest chat first.
func headsOf(due []models.OutboxMessage) []models.OutboxMessage {
	seen := map[int64]bool{}
	var heads []models.OutboxMessage
	for _, m := range due {
		if !seen[m.ChatID] {
			seen[m.ChatID] = true
			heads = append(heads, m)
		}
	}
	slices.SortFunc(heads, func(a, b models.OutboxMessage) int { return cmp.Compare(a.ID, b.ID) })
	return heads
}

// readyAt is the earliest time pacing and 429 holds allow a message to chatID.
func (d *Deliverer) readyAt(chatID int64) time.Time {
	t := d.nextSlot
	if last, ok := d.lastSent[chatID]; ok {
		t = later(t, last.Add(d.opt.PerChatInterval))
	}
	return later(t, d.holdAll)
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func (d *Deliverer) waitUntil(ctx context.Context, t time.Time) error {
	wait := d.clock.Until(t)
	if wait <= 0 {
		return nil
	}
	timer := d.clock.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.Chan():
		return nil
	}
}

// sendResult is what one attempt did.
type sendResult int

const (
	sendFailed sendResult = iota
	sentWhole             // the message is sent
	sentPart              // a part of a message being sent in parts
)

// deliver makes one attempt at message m and records the outcome; err is a store failure.
func (d *Deliverer) deliver(ctx context.Context, m models.OutboxMessage) (sendResult, error) {
	text := m.Text
	parts, split := d.remaining[m.ID]
	if split {
		text = parts[0]
	}
	now := d.clock.Now()
	d.lastSent[m.ChatID] = now
	d.nextSlot = now.Add(d.opt.GlobalInterval)
	sendErr := d.sender.Send(ctx, m.ChatID, text, m.ParseMode)
	// What Telegram answered is recorded even when shutdown cut the pass short.
	rec := context.WithoutCancel(ctx)
	if sendErr == nil {
		if split && len(parts) > 1 {
			// Keep what is left, so a restart sends the rest and not the start again.
			rest := parts[1:]
			if err := d.store.ReplaceText(rec, m.ID, strings.Join(rest, "\n"), m.ParseMode, nil); err != nil {
				return sentPart, err
			}
			d.remaining[m.ID] = rest
			d.log.Info("outbox: part sent", "id", m.ID, "chat_id", m.ChatID, "parts_left", len(rest))
			return sentPart, nil
		}
		delete(d.remaining, m.ID)
		delete(d.limited, m.ChatID)
		if err := d.store.MarkSent(rec, m.ID, d.clock.Now()); err != nil {
			return sentWhole, err
		}
		d.log.Debug("outbox: sent", "id", m.ID, "chat_id", m.ChatID)
		return sentWhole, nil
	}
	if ctx.Err() != nil {
		return sendFailed, nil // cut short by shutdown: the message stays pending
	}
	return sendFailed, d.handleFailure(rec, m, text, sendErr)
}

// handleFailure decides what follows a failed attempt at m, which sent text.
func (d *Deliverer) handleFailure(ctx context.Context, m models.OutboxMessage, text string, sendErr error) error {
	var se *models.SendError
	if !errors.As(sendErr, &se) {
		se = &models.SendError{Kind: models.Temporary, Err: sendErr}
	}
	now := d.clock.Now()
	attempts := m.Attempts + 1
	log := d.log.With("id", m.ID, "chat_id", m.ChatID, "attempts", attempts, "kind", se.Kind.String(), "err", sendErr)

	switch se.Kind {
	case models.RateLimited:
		if se.RetryAfter <= 0 {
			next := now.Add(d.backoff(attempts))
			log.Warn("outbox: rate limited by Telegram without retry_after; will retry", "next_attempt", next)
			return d.store.MarkRetry(ctx, m.ID, next, sendErr)
		}
		until := now.Add(se.RetryAfter)
		global := false
		for chat, t := range d.limited {
			if !t.After(now) {
				delete(d.limited, chat)
			} else if chat != m.ChatID {
				// Two chats limited at once: the bot, not one chat, is over the limit.
				global = true
			}
		}
		d.limited[m.ChatID] = until
		if global {
			d.holdAll = later(d.holdAll, until)
			log.Warn("outbox: rate limited by Telegram; holding every chat", "until", d.holdAll)
		} else {
			log.Warn("outbox: rate limited by Telegram; holding the chat", "until", until)
		}
		return d.store.MarkRetry(ctx, m.ID, until, sendErr)

	case models.Blocked:
		if err := d.store.SetChatBlocked(ctx, m.ChatID, true); err != nil {
			return err
		}
		n, err := d.store.DropChatPending(ctx, m.ChatID, sendErr.Error())
		if err != nil {
			return err
		}
		delete(d.remaining, m.ID)
		log.Warn("outbox: chat refuses messages; marked blocked, its pending messages dropped", "dropped", n)
		return nil

	case models.Temporary:
		next := now.Add(d.backoff(attempts))
		log.Warn("outbox: send failed; will retry", "next_attempt", next)
		return d.store.MarkRetry(ctx, m.ID, next, sendErr)

	case models.Unparseable:
		if m.ParseMode != "" {
			// Everything still to send becomes plain text: the reader loses the
			// formatting, not the message.
			plain := tghtml.PlainText(m.Text)
			delete(d.remaining, m.ID)
			log.Warn("outbox: Telegram could not parse the HTML; sending it as plain text")
			return d.store.ReplaceText(ctx, m.ID, plain, "", sendErr)
		}

	case models.TooLong:
		parts := tghtml.Split(text, m.ParseMode, min(tghtml.MaxMessageLen, utf8.RuneCountInString(text))/2)
		if len(parts) > 1 {
			if rest, ok := d.remaining[m.ID]; ok {
				parts = append(parts, rest[1:]...)
			}
			d.remaining[m.ID] = parts
			log.Warn("outbox: message too long for Telegram; sending it in parts", "parts", len(parts))
			return d.store.MarkRetry(ctx, m.ID, now, sendErr)
		}
	}

	// Permanent, or a rewrite that cannot help.
	if attempts >= d.opt.MaxAttempts {
		delete(d.remaining, m.ID)
		log.Error("outbox: message refused by Telegram; dropped")
		return d.store.MarkDropped(ctx, m.ID, sendErr)
	}
	next := now.Add(d.backoff(attempts))
	log.Warn("outbox: message refused by Telegram; will retry", "next_attempt", next)
	return d.store.MarkRetry(ctx, m.ID, next, sendErr)
}

// backoff is the delay before attempt number attempts+1: BackoffMin doubled per failed
// attempt, capped at BackoffMax, jittered.
func (d *Deliverer) backoff(attempts int) time.Duration {
	delay := d.opt.BackoffMin
	for i := 1; i < attempts && delay < d.opt.BackoffMax; i++ {
		delay *= 2
	}
	return d.opt.Jitter(min(delay, d.opt.BackoffMax))
}
