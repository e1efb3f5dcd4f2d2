package aws

import (
	"context"
	"fmt"
	"strconv"
	"strings"

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
	ListIndices(ctx context.Context, in *qbusiness.ListIndicesInput, optFns ...func(*qbusiness.Options)) (*qbusiness.ListIndicesOutput, error)
	GetIndex(ctx context.Context, in *qbusiness.GetIndexInput, optFns ...func(*qbusiness.Options)) (*qbusiness.GetIndexOutput, error)
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
	// Each application's subscriptions and indices, the applications at the same time.
	subs := make([][]qtypes.Subscription, len(apps))
	indices := make([][]models.Resource, len(apps))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(metricFetchLimit)
	for i, app := range apps {
		g.Go(func() error {
			sp := qbusiness.NewListSubscriptionsPaginator(api, &qbusiness.ListSubscriptionsInput{ApplicationId: app.ApplicationId})
			for sp.HasMorePages() {
				page, err := sp.NextPage(gctx)
				if err != nil {
					return fmt.Errorf("q %s: list subscriptions of %s: %w", cfg.Region, awssdk.ToString(app.ApplicationId), err)
				}
				subs[i] = append(subs[i], page.Subscriptions...)
			}
			var err error
			indices[i], err = qIndices(gctx, api, app, cfg.Region)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := qApplicationResources(apps, subs, cfg.Region)
	for _, ix := range indices {
		out = append(out, ix...)
	}
	return out, nil
}

// qIndices lists an application's indices with the capacity units each is billed for.
func qIndices(ctx context.Context, api qbusinessAPI, app qtypes.Application, region string) ([]models.Resource, error) {
	var out []models.Resource
	p := qbusiness.NewListIndicesPaginator(api, &qbusiness.ListIndicesInput{ApplicationId: app.ApplicationId})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("q %s: list indices of %s: %w", region, awssdk.ToString(app.ApplicationId), err)
		}
		for _, ix := range page.Indices {
			got, err := api.GetIndex(ctx, &qbusiness.GetIndexInput{ApplicationId: app.ApplicationId, IndexId: ix.IndexId})
			if err != nil {
				return nil, fmt.Errorf("q %s: get index %s: %w", region, awssdk.ToString(ix.IndexId), err)
			}
			units := 1.0 // an index without a stated capacity runs one unit
			if got.CapacityConfiguration != nil && got.CapacityConfiguration.Units != nil {
				units = float64(*got.CapacityConfiguration.Units)
			}
			r := models.Resource{
				Service: "q",
				Region:  region,
				ID:      awssdk.ToString(app.ApplicationId) + "/" + awssdk.ToString(ix.IndexId),
				Name:    awssdk.ToString(got.DisplayName),
				Kind:    models.KindIndex,
				Type:    strings.ToLower(string(got.Type)),
				State:   string(got.Status),
				Attrs:   map[string]string{"application_id": awssdk.ToString(app.ApplicationId)},
				Usage:   map[string]float64{"units": units},
			}
			if r.Type == "" {
				r.Type = "enterprise"
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// qApplicationResources turns applications and their subscriptions into resources. AWS
// bills each user once, at the highest tier they have in any application: a user in
// several applications is counted in the first (in listing order) where they have that
// tier, and the others say how many of their users are counted elsewhere.
func qApplicationResources(apps []qtypes.Application, subs [][]qtypes.Subscription, region string) []models.Resource {
	highest := map[string]qtypes.SubscriptionType{}
	for _, ss := range subs {
		for _, s := range ss {
			k, tier := subscriptionPrincipal(s), subscriptionTier(s)
			if k != "" && (highest[k] == "" || tier == qtypes.SubscriptionTypeQBusiness) {
				highest[k] = tier
			}
		}
	}
	counted := map[string]bool{}
	out := make([]models.Resource, len(apps))
	for i, app := range apps {
		var mine []qtypes.Subscription
		elsewhere := 0
		for _, s := range subs[i] {
			k := subscriptionPrincipal(s)
			switch {
			case k == "":
				mine = append(mine, s)
			case counted[k] || subscriptionTier(s) != highest[k]:
				elsewhere++
			default:
				counted[k] = true
				mine = append(mine, s)
			}
		}
		out[i] = qApplicationResource(app, mine, region)
		if elsewhere > 0 {
			out[i].Attrs = map[string]string{"users_counted_elsewhere": strconv.Itoa(elsewhere)}
		}
	}
	return out
}

// subscriptionPrincipal names who a subscription is for: "user:<id>" or "group:<id>".
func subscriptionPrincipal(s qtypes.Subscription) string {
	switch p := s.Principal.(type) {
	case *qtypes.SubscriptionPrincipalMemberUser:
		return "user:" + p.Value
	case *qtypes.SubscriptionPrincipalMemberGroup:
		return "group:" + p.Value
	}
	return ""
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
