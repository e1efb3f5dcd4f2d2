package models

import (
	"context"
	"testing"
	"time"
)

// Each aggregate's store works alone, over the database the Store opened, and what one
// writes the Store reads: they are views of the same tables, not copies.
func TestAggregatesWorkAlone(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	at := time.Date(2025, 3, 9, 10, 0, 0, 0, time.UTC)

	dir := &s.Directory
	if err := dir.SetChatLang(ctx, 42, "ru"); err != nil {
		t.Fatal(err)
	}
	if lang, err := s.ChatLang(ctx, 42); err != nil || lang != "ru" {
		t.Errorf("ChatLang through the Store = %q, %v", lang, err)
	}

	out := &s.Outbox
	if queued, err := out.Enqueue(ctx, 42, []string{"hello"}, "", "k"); err != nil || !queued {
		t.Fatalf("Enqueue = %v, %v", queued, err)
	}
	if n, err := s.PendingCount(ctx); err != nil || n != 1 {
		t.Errorf("PendingCount through the Store = %d, %v", n, err)
	}

	ls := &s.Lightsail
	if err := ls.SaveLightsailChecks(ctx, "111111111111", "us-east-1", "2025-03", at, []LightsailUsage{{Instance: "web", State: "running"}}); err != nil {
		t.Fatal(err)
	}
	if rows, err := s.LatestLightsailUsage(ctx); err != nil || len(rows) != 1 || rows[0].AccountID != "111111111111" {
		t.Errorf("LatestLightsailUsage through the Store = %+v, %v", rows, err)
	}

	// A transaction binds every aggregate to it.
	err := s.InTx(ctx, func(tx *Store) error {
		return tx.Directory.SetChatLang(ctx, 43, "en")
	})
	if err != nil {
		t.Fatal(err)
	}
	if lang, err := dir.ChatLang(ctx, 43); err != nil || lang != "en" {
		t.Errorf("ChatLang after InTx = %q, %v", lang, err)
	}
}
