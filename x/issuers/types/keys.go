package types

import "cosmossdk.io/collections"

const (
	// ModuleName is the name of the issuers module.
	ModuleName = "issuers"

	// StoreKey is the key of the module's KV store.
	StoreKey = ModuleName
)

// Store prefixes. Each collection owns one prefix; never reuse or renumber a
// prefix once it has been released, or existing state becomes unreadable.
var (
	// ParamsKey holds the module parameters.
	ParamsKey = collections.NewPrefix(0)

	// IssuersKey holds the issuers by address.
	IssuersKey = collections.NewPrefix(1)

	// IssuersByStatusKey indexes issuers by (status, kind).
	IssuersByStatusKey = collections.NewPrefix(2)

	// IssuersByKindKey indexes issuers by kind.
	IssuersByKindKey = collections.NewPrefix(3)

	// PractitionersKey holds the practitioners by address.
	PractitionersKey = collections.NewPrefix(4)

	// PractitionersByOrganisationKey indexes practitioners by organisation.
	PractitionersByOrganisationKey = collections.NewPrefix(5)

	// MemberCountKey holds how many practitioners each organisation has.
	MemberCountKey = collections.NewPrefix(6)
)
