package aws

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"costbot/models"
)

// RoleSessionName names costbot's sessions in the member accounts' CloudTrail.
const RoleSessionName = "costbot"

// defaultExpiryWindow is how long before its expiry an assumed role's credentials are
// assumed again, so no call is signed with credentials about to lapse.
const defaultExpiryWindow = 5 * time.Minute

// Account is one account a job works on, with the configuration that reaches it: the
// base credentials for the credentials' own account, an assumed role for the others.
type Account struct {
	ID      string // "" for the credentials' own account before a call has named it
	Name    string // the organization's name for it, "" when unknown
	RoleARN string // "" for the credentials' own account
	Config  awssdk.Config
}

// Model is the account as the store keeps it.
func (a Account) Model() models.Account {
	return models.Account{ID: a.ID, Name: a.Name, RoleARN: a.RoleARN}
}

// AccountResolver turns AWS_ACCOUNTS into the accounts to work on: the credentials' own
// account (neither Organization nor RoleARNs), each of RoleARNs, or every ACTIVE member
// of the organization the credentials manage, reached through RoleName. Each role's
// credentials are kept between resolutions and assumed again shortly before they expire.
type AccountResolver struct {
	Base         awssdk.Config
	Organization bool
	RoleARNs     []string
	RoleName     string // the role assumed in each member of the organization
	ExternalID   string // AWS_EXTERNAL_ID, "" for none
	// Duration is how long each assumed session lasts; 0 is STS's default (an hour).
	Duration time.Duration
	// ExpiryWindow is how long before expiry credentials are assumed again; 0 is 5 minutes.
	ExpiryWindow time.Duration

	mu    sync.Mutex
	creds map[string]*awssdk.CredentialsCache // by role ARN
}

// Single reports whether the resolver yields only the credentials' own account.
func (r *AccountResolver) Single() bool { return !r.Organization && len(r.RoleARNs) == 0 }

// Resolve lists the accounts to work on now. For an organization it lists the members
// again (organizations:ListAccounts), so a member that joined since the last call is
// there; an error is the whole list failing, said in one line with its fix.
func (r *AccountResolver) Resolve(ctx context.Context) ([]Account, error) {
	switch {
	case r.Organization:
		return r.organization(ctx)
	case len(r.RoleARNs) > 0:
		out := make([]Account, 0, len(r.RoleARNs))
		for _, arn := range r.RoleARNs {
			out = append(out, r.assumed(roleAccount(arn), "", arn))
		}
		return out, nil
	}
	return []Account{{Config: r.Base}}, nil
}

// organization lists the organization's ACTIVE members: the credentials' own account
// (the management account) with the base credentials, every other through RoleName.
func (r *AccountResolver) organization(ctx context.Context) ([]Account, error) {
	own, callerARN, err := Identity(ctx, r.Base)
	if err != nil {
		return nil, err
	}
	partition := "aws"
	if parts := strings.SplitN(callerARN, ":", 3); len(parts) == 3 && parts[1] != "" {
		partition = parts[1]
	}
	members, err := ListOrganizationAccounts(ctx, r.Base)
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(members, func(m OrgMember) bool { return m.ID == own }) {
		// AWS lists the management account (and a delegated administrator) among the
		// members: credentials whose account is not listed manage no organization.
		return nil, fmt.Errorf("AWS_ACCOUNTS=organization, but these credentials' account %s is in no organization "+
			"(or not one of its active accounts): run costbot with the management account's credentials, or list the role ARNs in AWS_ACCOUNTS instead", own)
	}
	var out []Account
	for _, m := range members {
		if m.ID == own {
			out = append(out, Account{ID: m.ID, Name: m.Name, Config: r.Base})
			continue
		}
		arn := fmt.Sprintf("arn:%s:iam::%s:role/%s", partition, m.ID, r.RoleName)
		out = append(out, r.assumed(m.ID, m.Name, arn))
	}
	return out, nil
}

// assumed is the account reached through arn, its credentials cached across calls.
func (r *AccountResolver) assumed(id, name, arn string) Account {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.creds == nil {
		r.creds = map[string]*awssdk.CredentialsCache{}
	}
	cache, ok := r.creds[arn]
	if !ok {
		stsCfg := r.Base.Copy()
		if stsCfg.Region == "" {
			stsCfg.Region = globalTaskRegion
		}
		provider := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(stsCfg), arn, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = RoleSessionName
			if r.ExternalID != "" {
				o.ExternalID = awssdk.String(r.ExternalID)
			}
			if r.Duration > 0 {
				o.Duration = r.Duration
			}
		})
		window := r.ExpiryWindow
		if window <= 0 {
			window = defaultExpiryWindow
		}
		cache = awssdk.NewCredentialsCache(provider, func(o *awssdk.CredentialsCacheOptions) {
			o.ExpiryWindow = window
		})
		r.creds[arn] = cache
	}
	cfg := r.Base.Copy()
	cfg.Credentials = cache
	return Account{ID: id, Name: name, RoleARN: arn, Config: cfg}
}

// OrgMember is one account of an organization.
type OrgMember struct {
	ID, Name string
}

// ListOrganizationAccounts is every ACTIVE account of the organization cfg's credentials
// manage (organizations:ListAccounts, every page), by the order AWS gives them.
func ListOrganizationAccounts(ctx context.Context, cfg awssdk.Config) ([]OrgMember, error) {
	c := cfg.Copy()
	if c.Region == "" {
		c.Region = globalTaskRegion
	}
	client := organizations.NewFromConfig(c)
	var out []OrgMember
	p := organizations.NewListAccountsPaginator(client, &organizations.ListAccountsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, organizationError(err)
		}
		for _, a := range page.Accounts {
			if a.Status != orgtypes.AccountStatusActive {
				continue
			}
			out = append(out, OrgMember{ID: awssdk.ToString(a.Id), Name: awssdk.ToString(a.Name)})
		}
	}
	return out, nil
}

// organizationError says in one line why the organization cannot be listed.
func organizationError(err error) error {
	if se := ClassifySetupError(err, Profile()); se != nil {
		return se
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "AWSOrganizationsNotInUseException":
			return fmt.Errorf("AWS_ACCOUNTS=organization, but these credentials' account is in no organization: list the role ARNs in AWS_ACCOUNTS instead: %w", err)
		case "AccessDeniedException", "AccessDenied":
			return fmt.Errorf("organizations:ListAccounts is denied: run costbot with credentials of the management account (or a delegated administrator) allowed organizations:ListAccounts (deploy/iam-policy.json): %w", err)
		}
	}
	return fmt.Errorf("organizations: list accounts: %w", err)
}

// AccountProblem is why a job could not work on the account, in one line with its fix:
// a role that cannot be assumed names the role, the trust policy and AWS_EXTERNAL_ID.
func AccountProblem(a Account, err error) string {
	if err == nil {
		return ""
	}
	var se *SetupError
	if errors.As(err, &se) && se.Cause == CauseRoleNotAssumed && a.RoleARN != "" {
		detail := ""
		if se.Detail != "" {
			detail = " (" + se.Detail + ")"
		}
		return fmt.Sprintf("role %s cannot be assumed%s: its trust policy must allow sts:AssumeRole by costbot's credentials "+
			"(deploy/cloudformation-member-role.json creates it so), with the external ID set in AWS_EXTERNAL_ID when the policy asks for one",
			a.RoleARN, detail)
	}
	if se := ClassifySetupError(err, Profile()); se != nil {
		return se.Error()
	}
	return describeError(err)
}

var roleARNAccount = regexp.MustCompile(`^arn:[a-z-]+:iam::(\d{12}):role/`)

// roleAccount is the account ID in a role ARN.
func roleAccount(arn string) string {
	if m := roleARNAccount.FindStringSubmatch(arn); m != nil {
		return m[1]
	}
	return ""
}
