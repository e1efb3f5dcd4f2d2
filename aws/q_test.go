package aws

import (
	"errors"
	"slices"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/qbusiness"
	qtypes "github.com/aws/aws-sdk-go-v2/service/qbusiness/types"

	"costbot/internal/awstest"
	"costbot/models"
)

func TestQRegionsAreConfiguredOnesWhereQBusinessExists(t *testing.T) {
	got := (&qCollector{}).Regions([]string{"us-east-1", "ap-east-1", "eu-west-1", "ap-northeast-1"})
	if want := []string{"us-east-1", "eu-west-1"}; !slices.Equal(got, want) {
		t.Fatalf("Regions = %v, want %v", got, want)
	}
}

func TestQApplicationResourcePure(t *testing.T) {
	created := time.Date(2025, 2, 3, 4, 5, 6, 0, time.UTC)
	sub := func(current, next qtypes.SubscriptionType) qtypes.Subscription {
		s := qtypes.Subscription{Principal: &qtypes.SubscriptionPrincipalMemberUser{Value: "u"}}
		if current != "" {
			s.CurrentSubscription = &qtypes.SubscriptionDetails{Type: current}
		}
		if next != "" {
			s.NextSubscription = &qtypes.SubscriptionDetails{Type: next}
		}
		return s
	}
	subs := []qtypes.Subscription{
		sub(qtypes.SubscriptionTypeQLite, qtypes.SubscriptionTypeQLite),
		sub(qtypes.SubscriptionTypeQBusiness, qtypes.SubscriptionTypeQLite), // billed as Pro this month
		sub("", qtypes.SubscriptionTypeQBusiness),                           // starts as Pro
		{Principal: &qtypes.SubscriptionPrincipalMemberGroup{Value: "g"}, CurrentSubscription: &qtypes.SubscriptionDetails{Type: qtypes.SubscriptionTypeQLite}},
	}
	app := qtypes.Application{ApplicationId: awssdk.String("app-1"), DisplayName: awssdk.String("Helpdesk"),
		Status: qtypes.ApplicationStatusActive, CreatedAt: &created}
	r := qApplicationResource(app, subs, "us-east-1")
	if r.Usage["users_lite"] != 2 || r.Usage["users_pro"] != 2 {
		t.Errorf("usage = %v, want 2 lite and 2 pro", r.Usage)
	}
	if r.ID != "app-1" || r.Name != "Helpdesk" || r.Kind != models.KindApplication || r.Type != "qbusiness" ||
		r.State != "ACTIVE" || !r.CreatedAt.Equal(created) {
		t.Errorf("resource = %+v", r)
	}
}

func TestQCollectorAgainstFake(t *testing.T) {
	fake := awstest.StartQBusiness(t)
	fake.SetPageSize(1) // every listing takes several pages
	created := time.Date(2025, 4, 5, 6, 7, 8, 0, time.UTC)
	type seeded struct {
		region     string
		app        awstest.QApplication
		lite, pro  int
		groupsLite int
	}
	seeds := []seeded{
		{"us-east-1", awstest.QApplication{ID: "a-east-1", Name: "Support", CreatedAt: created}, 3, 2, 0},
		{"us-east-1", awstest.QApplication{ID: "a-east-2", Name: "Empty", Status: "CREATING", CreatedAt: created}, 0, 0, 0},
		{"eu-west-1", awstest.QApplication{ID: "a-eu-1", Name: "Legal", CreatedAt: created}, 1, 4, 1},
	}
	for _, s := range seeds {
		fake.AddApplication(s.region, s.app)
		for i := range s.lite {
			fake.AddSubscription(s.region, s.app.ID, awstest.QSubscription{User: "lite-" + string(rune('a'+i)), Current: "Q_LITE"})
		}
		for i := range s.pro {
			fake.AddSubscription(s.region, s.app.ID, awstest.QSubscription{User: "pro-" + string(rune('a'+i)), Current: "Q_BUSINESS", Next: "Q_LITE"})
		}
		for range s.groupsLite {
			fake.AddSubscription(s.region, s.app.ID, awstest.QSubscription{Group: "readers", Current: "Q_LITE"})
		}
	}
	c := &qCollector{newAPI: func(cfg awssdk.Config) qbusinessAPI { return qbusiness.NewFromConfig(cfg) }}
	ctx := awstest.Context(t)
	var all []models.Resource
	for _, region := range []string{"us-east-1", "eu-west-1"} {
		rs, err := c.Collect(ctx, fake.Config(region))
		if err != nil {
			t.Fatalf("collect %s: %v", region, err)
		}
		all = append(all, rs...)
	}
	if len(all) != len(seeds) {
		t.Fatalf("%d applications, want %d", len(all), len(seeds))
	}
	for _, s := range seeds {
		r := pickResource(t, all, models.KindApplication, s.app.ID)
		wantState := s.app.Status
		if wantState == "" {
			wantState = "ACTIVE"
		}
		if r.Region != s.region || r.Name != s.app.Name || r.State != wantState || !r.CreatedAt.Equal(created) ||
			r.Usage["users_lite"] != float64(s.lite+s.groupsLite) || r.Usage["users_pro"] != float64(s.pro) {
			t.Errorf("%s = %+v", s.app.ID, r)
		}
	}

	// The fake saw the SDK's real requests, signed for each region, and a second page of each listing.
	for _, op := range []string{"ListApplications", "ListSubscriptions"} {
		paged := false
		for _, call := range fake.Calls(op) {
			if call.Region != "us-east-1" && call.Region != "eu-west-1" {
				t.Errorf("%s signed for %q", op, call.Region)
			}
			paged = paged || call.Query.Get("nextToken") != ""
		}
		if !paged {
			t.Errorf("%s: no call asked for a second page", op)
		}
	}
}

func TestQCollectorReportsMissingApplication(t *testing.T) {
	fake := awstest.StartQBusiness(t)
	api := qbusiness.NewFromConfig(fake.Config("us-west-2"))
	_, err := api.ListSubscriptions(awstest.Context(t), &qbusiness.ListSubscriptionsInput{ApplicationId: awssdk.String("nope")})
	var nf *qtypes.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("ListSubscriptions of a missing application: %v", err)
	}
}

// A user subscribed to several applications is billed once, at their highest tier; each
// index is listed with its capacity units.
func TestQUniqueUsersAndIndices(t *testing.T) {
	fake := awstest.StartQBusiness(t)
	const region = "us-east-1"
	fake.AddApplication(region, awstest.QApplication{ID: "a", Name: "Support"})
	fake.AddApplication(region, awstest.QApplication{ID: "b", Name: "Legal"})
	for _, s := range []struct{ app, user, tier string }{
		{"a", "u1", "Q_LITE"}, {"a", "u2", "Q_BUSINESS"},
		{"b", "u1", "Q_BUSINESS"}, {"b", "u2", "Q_LITE"}, {"b", "u3", "Q_LITE"},
	} {
		fake.AddSubscription(region, s.app, awstest.QSubscription{User: s.user, Current: s.tier})
	}
	fake.AddIndex(region, "a", awstest.QIndex{ID: "ix-1", Name: "wiki", Units: 2})
	fake.AddIndex(region, "b", awstest.QIndex{ID: "ix-2", Name: "contracts", Type: "STARTER"})
	c := &qCollector{newAPI: func(cfg awssdk.Config) qbusinessAPI { return qbusiness.NewFromConfig(cfg) }}
	rs, err := c.Collect(awstest.Context(t), fake.Config(region))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		app              string
		lite, pro        float64
		countedElsewhere string
	}{{"a", 0, 1, "1"}, {"b", 1, 1, "1"}} {
		r := pickResource(t, rs, models.KindApplication, tc.app)
		if r.Usage["users_lite"] != tc.lite || r.Usage["users_pro"] != tc.pro || r.Attr("users_counted_elsewhere") != tc.countedElsewhere {
			t.Errorf("%s: lite %v pro %v elsewhere %q, want %v %v %q", tc.app, r.Usage["users_lite"], r.Usage["users_pro"],
				r.Attr("users_counted_elsewhere"), tc.lite, tc.pro, tc.countedElsewhere)
		}
	}
	for _, tc := range []struct {
		id, typ, name string
		units         float64
	}{{"a/ix-1", "enterprise", "wiki", 2}, {"b/ix-2", "starter", "contracts", 1}} {
		r := pickResource(t, rs, models.KindIndex, tc.id)
		if r.Type != tc.typ || r.Name != tc.name || r.Usage["units"] != tc.units {
			t.Errorf("index %s = %+v", tc.id, r)
		}
	}
}
