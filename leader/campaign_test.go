package leader

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

// Campaign waits while another holds the lease, telling each refusal, and returns the
// lease as soon as the holder lets go; with no handover it gives up when ctx ends.
func TestCampaignWaitsForTheHolder(t *testing.T) {
	cases := []struct {
		name      string
		releaseIn time.Duration // 0: never
		wantLease bool
	}{
		{"holder lets go", 150 * time.Millisecond, true},
		{"holder stays", 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "cost.db")
			holder, err := NewFileElector(db).TryAcquire(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if tc.releaseIn > 0 {
				time.AfterFunc(tc.releaseIn, func() { holder.Release() })
			} else {
				defer holder.Release()
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			refusals := 0
			lease, err := Campaign(ctx, NewFileElector(db), 20*time.Millisecond, func(err error) {
				if !errors.As(err, new(*HeldError)) {
					t.Errorf("told %v, want *HeldError", err)
				}
				refusals++
			})
			if tc.wantLease {
				if err != nil {
					t.Fatalf("Campaign = %v, want the lease once the holder let go", err)
				}
				lease.Release()
			} else if !errors.Is(err, context.DeadlineExceeded) || lease != nil {
				t.Fatalf("Campaign = %v, %v; want the context's end and no lease", lease, err)
			}
			if refusals < 2 {
				t.Errorf("%d refusals told, want one per try while held", refusals)
			}
		})
	}
}
