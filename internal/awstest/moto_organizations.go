package awstest

import (
	"context"
	"testing"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
)

// CreateOrganization creates in moto an organization managed by the test credentials'
// account, with one member account per name, and returns the members' IDs by name.
func (m *Moto) CreateOrganization(t testing.TB, ctx context.Context, names ...string) map[string]string {
	t.Helper()
	org := organizations.NewFromConfig(m.Config("us-east-1"))
	if _, err := org.CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: orgtypes.OrganizationFeatureSetAll}); err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for _, n := range names {
		ids[n] = m.AddMember(t, ctx, n)
	}
	return ids
}

// AddMember creates one more member account of the organization and returns its ID.
func (m *Moto) AddMember(t testing.TB, ctx context.Context, name string) string {
	t.Helper()
	out, err := organizations.NewFromConfig(m.Config("us-east-1")).CreateAccount(ctx, &organizations.CreateAccountInput{
		AccountName: awssdk.String(name), Email: awssdk.String(name + "@example.com")})
	if err != nil {
		t.Fatal(err)
	}
	return awssdk.ToString(out.CreateAccountStatus.AccountId)
}
