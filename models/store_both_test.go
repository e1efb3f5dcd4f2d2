package models

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"
)

// Store methods the rest of the project calls and no other test of this package does:
// here they run on SQLite and, in TestModelsOnPostgreSQL, on PostgreSQL, so every query
// they send is one both databases take and answer alike.

func TestFillHoursCopiesTheLastHourEstimated(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	h0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	records := []CostRecord{csRecord(h0, "ec2", "us-east-1", "i-1", 0.5), csRecord(h0, "rds", "eu-west-1", "db-1", 0.25)}
	csWrite(t, s, h0, records...)
	gap := []time.Time{h0.Add(time.Hour), h0.Add(2 * time.Hour)}
	if err := s.FillHours(ctx, h0, gap, h0.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	for _, h := range gap {
		got, err := s.CostRecordsAt(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		want := []CostRecord{records[0], records[1]}
		for i := range want {
			want[i].Hour, want[i].Estimated = h, true
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("records at %s = %+v\nwant %+v", h.Format(time.RFC3339), got, want)
		}
	}
	hours, err := s.CostHours(ctx, h0, h0.Add(3*time.Hour))
	if err != nil || len(hours) != 3 {
		t.Fatalf("CostHours = %d rows, %v; want 3", len(hours), err)
	}
	for i, h := range hours {
		if filled := i > 0; h.Filled != filled || !near(h.TotalUSD, 0.75) || !h.Hour.Equal(h0.Add(time.Duration(i)*time.Hour)) {
			t.Errorf("cost hour %d = %+v; want filled=%v, $0.75", i, h, filled)
		}
	}
	last, ok, err := s.LastCollectedHour(ctx)
	if err != nil || !ok || !last.Equal(gap[1]) {
		t.Errorf("LastCollectedHour = %v %v %v; want %v", last, ok, err, gap[1])
	}
	services, err := s.ServiceCostsAt(ctx, gap[1])
	if want := []ServiceCost{{Service: "ec2", USD: 0.5}, {Service: "rds", USD: 0.25}}; err != nil || !reflect.DeepEqual(services, want) {
		t.Errorf("ServiceCostsAt = %+v, %v; want %+v", services, err, want)
	}
}

func TestAlertStatesByPrefix(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	for _, st := range []AlertState{{Name: "budget:2026-11", ChangedAt: at}, {Name: "budget:2026-11", ChangedAt: at.Add(time.Hour)},
		{Name: "budget:2026-10", ChangedAt: at}, {Name: "spike:ec2", ChangedAt: at}} {
		if err := s.PutAlertState(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.AlertStates(ctx, "budget:")
	if err != nil || len(got) != 2 || !got["budget:2026-11"].ChangedAt.Equal(at.Add(time.Hour)) {
		t.Errorf("AlertStates(budget:) = %+v, %v; want 2 states, the November one changed at %v", got, err, at.Add(time.Hour))
	}
}

func TestMonthToDateAndKnownResources(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	h := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	if err := s.PutMonthToDate(ctx, h, `{"before":1}`, `{"after":2}`); err != nil {
		t.Fatal(err)
	}
	before, after, ok, err := s.MonthToDateOf(ctx, h)
	if err != nil || !ok || before != `{"before":1}` || after != `{"after":2}` {
		t.Errorf("MonthToDateOf = %q %q %v %v", before, after, ok, err)
	}
	_, err = s.WriteHour(ctx, HourWrite{Hour: h, CollectedAt: h, Resources: []ResourceRow{
		{Key: "ec2/us-east-1/i-1", Service: "ec2", Region: "us-east-1", ResourceID: "i-1"},
		{Key: "s3/global/logs", Service: "s3", Region: "us-east-1", ResourceID: "logs"}}})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := s.KnownResourceKeys(ctx)
	if want := map[string]bool{"ec2/us-east-1/i-1": true, "s3/global/logs": true}; err != nil || !reflect.DeepEqual(keys, want) {
		t.Errorf("KnownResourceKeys = %v, %v; want %v", keys, err, want)
	}
}

func TestInTxRollsBackOnError(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	boom := errors.New("boom")
	err := s.InTx(ctx, func(tx *Store) error {
		if err := tx.SetChatLang(ctx, 5, "en"); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx = %v, want boom", err)
	}
	if lang, err := s.ChatLang(ctx, 5); err != nil || lang != "" {
		t.Errorf("ChatLang after a rolled back transaction = %q, %v; want none", lang, err)
	}
	if err := s.InTx(ctx, func(tx *Store) error { return tx.SetChatLang(ctx, 5, "zh") }); err != nil {
		t.Fatal(err)
	}
	if lang, _ := s.ChatLang(ctx, 5); lang != "zh" {
		t.Errorf("ChatLang after a committed transaction = %q, want zh", lang)
	}
}

func TestDashboardQueries(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	h := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	rows := []ResourceRow{
		{Key: "a", Service: "ec2", Region: "us-east-1", ResourceID: "i-a", Name: "Web_1", HourlyUSD: 0.5, Priced: true, PriceSource: SourceAPI},
		{Key: "b", Service: "ec2", Region: "us-east-1", ResourceID: "i-b", Name: "web%2", HourlyUSD: 0.1, Priced: true, PriceSource: SourceAPI, Waste: true},
		{Key: "c", Service: "ec2", Region: "eu-west-1", ResourceID: "i-c", Name: "db", HourlyUSD: 0.9, Priced: true, PriceSource: SourceAPI},
	}
	if _, err := s.WriteHour(ctx, HourWrite{Hour: h, CollectedAt: h, Resources: rows}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		q    ResourceQuery
		want []string
	}{
		{"by cost", ResourceQuery{Service: "ec2"}, []string{"i-c", "i-a", "i-b"}},
		{"search any case", ResourceQuery{Service: "ec2", Search: "WEB"}, []string{"i-a", "i-b"}},
		{"a percent sign is literal", ResourceQuery{Service: "ec2", Search: "%"}, []string{"i-b"}},
		{"an underscore is literal", ResourceQuery{Service: "ec2", Search: "_"}, []string{"i-a"}},
		// Names sort by bytes: "Web_1" < "db" < "web%2".
		{"by name, descending", ResourceQuery{Service: "ec2", Sort: "name", Desc: true}, []string{"i-b", "i-c", "i-a"}},
		{"one region", ResourceQuery{Service: "ec2", Region: "us-east-1", Sort: "hourly"}, []string{"i-b", "i-a"}},
	}
	for _, tt := range tests {
		page, err := s.ResourceTable(ctx, tt.q)
		var ids []string
		for _, r := range page.Rows {
			ids = append(ids, r.ResourceID)
		}
		if err != nil || !reflect.DeepEqual(ids, tt.want) || page.Total != len(tt.want) {
			t.Errorf("%s: %v (total %d), %v; want %v", tt.name, ids, page.Total, err, tt.want)
		}
	}
	top, err := s.TopResources(ctx, 2, nil)
	if err != nil || len(top) != 2 || top[0].ResourceID != "i-c" || top[1].ResourceID != "i-a" {
		t.Errorf("TopResources = %+v, %v", top, err)
	}
	waste, err := s.WastedResources(ctx, 5, nil)
	if err != nil || len(waste) != 1 || waste[0].ResourceID != "i-b" {
		t.Errorf("WastedResources = %+v, %v", waste, err)
	}
}

func TestWebSessions(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	a := &WebSession{TokenHash: "ha", UserID: 7, Lang: "en", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	b := &WebSession{TokenHash: "hb", UserID: 7, Lang: "en", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	for _, ws := range []*WebSession{a, b} {
		if err := s.AddWebSession(ctx, ws); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetWebSessionLang(ctx, a.ID, "zh"); err != nil {
		t.Fatal(err)
	}
	live, err := s.LiveWebSession(ctx, "ha", now)
	if err != nil || live == nil || live.Lang != "zh" {
		t.Fatalf("LiveWebSession = %+v, %v; want the session in zh", live, err)
	}
	if expired, _ := s.LiveWebSession(ctx, "ha", now.Add(time.Hour)); expired != nil {
		t.Errorf("an expired session is live: %+v", expired)
	}
	if n, err := s.RevokeWebSession(ctx, a.ID, now); err != nil || n != 1 {
		t.Errorf("RevokeWebSession = %d, %v", n, err)
	}
	if n, err := s.RevokeWebAccess(ctx, 7, now); err != nil || n != 1 {
		t.Errorf("RevokeWebAccess = %d, %v; want the one session still open", n, err)
	}
	if live, _ := s.LiveWebSession(ctx, "hb", now); live != nil {
		t.Errorf("a revoked session is live: %+v", live)
	}
}

func TestLightsailStoreQueries(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	for i, used := range []float64{10, 20} {
		rows := []LightsailUsage{{Instance: "web", InstanceID: "arn:web", UsedBytes: used}}
		if err := s.SaveLightsailChecks(ctx, "", "us-east-1", "2026-11", at.Add(time.Duration(i)*time.Hour), rows); err != nil {
			t.Fatal(err)
		}
	}
	history, err := s.LightsailHistory(ctx, "", "us-east-1", "web", "2026-11", at.Add(time.Minute))
	if err != nil || len(history) != 1 || history[0].UsedBytes != 20 {
		t.Errorf("LightsailHistory = %+v, %v; want the second check", history, err)
	}
	last, err := s.LastLightsailCheck(ctx, "", "us-east-1", "web", "2026-11")
	if err != nil || last == nil || last.UsedBytes != 20 {
		t.Errorf("LastLightsailCheck = %+v, %v", last, err)
	}
	row, err := s.LastLightsailRowOf(ctx, "", "us-east-1", "arn:web")
	if err != nil || row == nil || row.UsedBytes != 20 {
		t.Errorf("LastLightsailRowOf = %+v, %v", row, err)
	}
	stop := &LightsailAction{At: at, Cycle: "2026-11", Region: "us-east-1", Instance: "web", Action: "stop", Result: "pending"}
	region := &LightsailAction{At: at, Cycle: "2026-11", Region: "us-east-1", Action: "pool", Result: "ok"}
	for _, a := range []*LightsailAction{stop, region} {
		if err := s.AddLightsailAction(ctx, "", a); err != nil {
			t.Fatal(err)
		}
	}
	stop.Result = "ok"
	if err := s.SaveLightsailAction(ctx, stop); err != nil {
		t.Fatal(err)
	}
	actions, err := s.LightsailActions(ctx, "", "us-east-1", "web", "2026-11")
	if err != nil || len(actions) != 1 || actions[0].Result != "ok" {
		t.Errorf("LightsailActions = %+v, %v; want the stop, ok", actions, err)
	}
	got, err := s.LastLightsailRegionAction(ctx, "", "us-east-1", "pool", "other")
	if err != nil || got == nil || got.ID != region.ID {
		t.Errorf("LastLightsailRegionAction = %+v, %v", got, err)
	}
	latest, err := s.LatestLightsailActions(ctx, 1)
	if err != nil || len(latest) != 1 || latest[0].ID != region.ID {
		t.Errorf("LatestLightsailActions = %+v, %v; want the latest action", latest, err)
	}
}

func TestBillingStatusAndRequests(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	if _, ok, err := s.BillingStatusOf(ctx); ok || err != nil {
		t.Fatalf("BillingStatusOf before any = %v, %v", ok, err)
	}
	if err := s.PutBillingStatus(ctx, "", "", at); err != nil {
		t.Fatal(err)
	}
	if err := s.PutBillingStatus(ctx, "denied", "AccessDenied", at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	st, ok, err := s.BillingStatusOf(ctx)
	if err != nil || !ok || st.Problem != "denied" || st.LastOKAt == nil || !st.LastOKAt.Equal(at) {
		t.Errorf("BillingStatusOf = %+v %v %v; want denied, last ok at %v", st, ok, err, at)
	}
	for _, d := range []time.Duration{0, time.Hour, 48 * time.Hour} {
		if err := s.RecordCostExplorerRequest(ctx, CostExplorerRequest{At: at.Add(d)}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.CostExplorerRequests(ctx, at, at.Add(24*time.Hour)); err != nil || n != 2 {
		t.Errorf("CostExplorerRequests = %d, %v; want 2", n, err)
	}
}

func TestUnblockChat(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	if err := s.SetChatBlocked(ctx, 9, true); err != nil {
		t.Fatal(err)
	}
	for _, want := range []bool{true, false} {
		if was, err := s.UnblockChat(ctx, 9); err != nil || was != want {
			t.Errorf("UnblockChat = %v, %v; want %v", was, err, want)
		}
	}
}
