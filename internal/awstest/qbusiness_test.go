package awstest

import (
	"errors"
	"net/http"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/qbusiness"
	qtypes "github.com/aws/aws-sdk-go-v2/service/qbusiness/types"
)

func TestQBusinessFakeThroughTheSDK(t *testing.T) {
	q := StartQBusiness(t)
	created := time.Date(2025, 3, 1, 2, 3, 4, 0, time.UTC)
	q.AddApplication("us-west-2", QApplication{ID: "app-1", Name: "One", CreatedAt: created})
	q.AddApplication("us-west-2", QApplication{ID: "app-2", Name: "Two", Status: "FAILED", CreatedAt: created})
	q.AddApplication("us-west-2", QApplication{ID: "app-3", Name: "Three", CreatedAt: created})
	q.AddApplication("eu-west-1", QApplication{ID: "app-eu", Name: "Europe"})
	q.AddSubscription("us-west-2", "app-1", QSubscription{User: "u1", Current: "Q_LITE"})
	q.AddSubscription("us-west-2", "app-1", QSubscription{Group: "g1", Current: "Q_BUSINESS", Next: "Q_LITE"})
	q.AddSubscription("us-west-2", "app-1", QSubscription{User: "u2", Current: "Q_BUSINESS"})
	ctx := Context(t)
	api := qbusiness.NewFromConfig(q.Config("us-west-2"))

	var apps []qtypes.Application
	p := qbusiness.NewListApplicationsPaginator(api, &qbusiness.ListApplicationsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		apps = append(apps, page.Applications...)
	}
	if len(apps) != 3 || *apps[0].ApplicationId != "app-1" || *apps[1].DisplayName != "Two" || apps[1].Status != qtypes.ApplicationStatusFailed ||
		apps[2].Status != qtypes.ApplicationStatusActive || !apps[0].CreatedAt.Equal(created) {
		t.Fatalf("applications = %+v", apps)
	}
	if calls := q.Calls("ListApplications"); len(calls) != 2 || calls[1].Query.Get("nextToken") == "" || calls[0].Region != "us-west-2" {
		t.Fatalf("calls = %+v", calls)
	}

	out, err := api.ListSubscriptions(ctx, &qbusiness.ListSubscriptionsInput{ApplicationId: awssdk.String("app-1"), MaxResults: awssdk.Int32(1)})
	if err != nil || len(out.Subscriptions) != 1 || out.NextToken == nil {
		t.Fatalf("first page: %+v, %v", out, err)
	}
	if u, ok := out.Subscriptions[0].Principal.(*qtypes.SubscriptionPrincipalMemberUser); !ok || u.Value != "u1" ||
		out.Subscriptions[0].CurrentSubscription.Type != qtypes.SubscriptionTypeQLite {
		t.Fatalf("subscription = %+v", out.Subscriptions[0])
	}
	out, err = api.ListSubscriptions(ctx, &qbusiness.ListSubscriptionsInput{ApplicationId: awssdk.String("app-1"), NextToken: out.NextToken})
	if err != nil || len(out.Subscriptions) != 2 || out.NextToken != nil {
		t.Fatalf("second page: %+v, %v", out, err)
	}
	if g, ok := out.Subscriptions[0].Principal.(*qtypes.SubscriptionPrincipalMemberGroup); !ok || g.Value != "g1" ||
		out.Subscriptions[0].NextSubscription.Type != qtypes.SubscriptionTypeQLite {
		t.Fatalf("group subscription = %+v", out.Subscriptions[0])
	}
	if calls := q.Calls("ListSubscriptions"); calls[0].Path != "/applications/app-1/subscriptions" || calls[0].Query.Get("maxResults") != "1" {
		t.Fatalf("calls = %+v", calls)
	}

	_, err = api.ListSubscriptions(ctx, &qbusiness.ListSubscriptionsInput{ApplicationId: awssdk.String("app-eu")})
	var nf *qtypes.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("an application of another region: %v", err)
	}
	if calls := q.Calls("ListSubscriptions"); calls[len(calls)-1].Status != http.StatusNotFound {
		t.Fatalf("recorded status %d", calls[len(calls)-1].Status)
	}
	_, err = api.ListApplications(ctx, &qbusiness.ListApplicationsInput{NextToken: awssdk.String("nonsense")})
	var ve *qtypes.ValidationException
	if !errors.As(err, &ve) {
		t.Fatalf("bad token: %v", err)
	}
}
