package aws

import (
	"context"
	"fmt"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/qbusiness"
	qtypes "github.com/aws/aws-sdk-go-v2/service/qbusiness/types"
	"golang.org/x/sync/errgroup"

	"costbot/models"
)

// QBusinessRegions are the regions where Amazon Q Business exists.
var QBusinessRegions = []string{"us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2"}

// qbusinessAPI is the part of Amazon Q Business the collector reads.
type qbusinessAPI interface {
	ListApplications(ctx context.Context, in *qbusiness.ListApplicationsInput, optFns ...func(*qbusiness.Options)) (*qbusiness.ListApplicationsOutput, error)
	ListSubscriptions(ctx context.Context, in *qbusiness.ListSubscriptionsInput, optFns ...func(*qbusiness.Options)) (*qbusiness.ListSubscriptionsOutput, error)
}

// qCollector lists Amazon Q Business applications and counts their subscriptions by tier
// (Lite and Pro, billed per user-month).
type qCollector struct {
	newAPI func(cfg awssdk.Config) qbusinessAPI
}

func init() {
	register(&qCollector{newAPI: func(cfg awssdk.Config) qbusinessAPI { return qbusiness.NewFromConfig(cfg) }})
}

func (*qCollector) Name() string { return "q" }
func (*qCollector) Global() bool { return false }

// Regions keeps the configured regions where Q Business exists.
func (*qCollector) Regions(configured []string) []string {
	return intersect(configured, QBusinessRegions)
}

func (c *qCollector) Collect(ctx context.Context, cfg awssdk.Config) ([]models.Resource, error) {
	api := c.newAPI(cfg)
	var apps []qtypes.Application
	p := qbusiness.NewListApplicationsPaginator(api, &qbusiness.ListApplicationsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("q %s: list applications: %w", cfg.Region, err)
		}
		apps = append(apps, page.Applications...)
	}
	// Each application's subscriptions, the applications at the same time.
	out := make([]models.Resource, len(apps))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(metricFetchLimit)
	for i, app := range apps {
		g.Go(func() error {
			var subs []qtypes.Subscription
			sp := qbusiness.NewListSubscriptionsPaginator(api, &qbusiness.ListSubscriptionsInput{ApplicationId: app.ApplicationId})
			for sp.HasMorePages() {
				page, err := sp.NextPage(gctx)
				if err != nil {
					return fmt.Errorf("q %s: list subscriptions of %s: %w", cfg.Region, awssdk.ToString(app.ApplicationId), err)
				}
				subs = append(subs, page.Subscriptions...)
			}
			out[i] = qApplicationResource(app, subs, cfg.Region)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

// qApplicationResource turns an application and its subscriptions into a resource. Each
// subscription counts once in the tier it has now (or, before it starts, the tier it will
// have). A group subscription counts as one user: its members are not expanded.
func qApplicationResource(app qtypes.Application, subs []qtypes.Subscription, region string) models.Resource {
	lite, pro := 0, 0
	for _, s := range subs {
		switch subscriptionTier(s) {
		case qtypes.SubscriptionTypeQLite:
			lite++
		case qtypes.SubscriptionTypeQBusiness:
			pro++
		}
	}
	r := models.Resource{
		Service: "q",
		Region:  region,
		ID:      awssdk.ToString(app.ApplicationId),
		Name:    awssdk.ToString(app.DisplayName),
		Kind:    models.KindApplication,
		Type:    "qbusiness",
		State:   string(app.Status),
		Usage:   map[string]float64{"users_lite": float64(lite), "users_pro": float64(pro)},
	}
	if app.CreatedAt != nil {
		r.CreatedAt = app.CreatedAt.UTC()
	}
	return r
}

func subscriptionTier(s qtypes.Subscription) qtypes.SubscriptionType {
	if s.CurrentSubscription != nil && s.CurrentSubscription.Type != "" {
		return s.CurrentSubscription.Type
	}
	if s.NextSubscription != nil {
		return s.NextSubscription.Type
	}
	return ""
}
